#!/bin/sh
# SPDX-License-Identifier: MIT
# x11.sh - runs check_x11 against a private Xvfb: picks a free display from :90 up, starts the
# server, waits until it listens, runs the tests with IDLEACC_TEST_DISPLAY set, stops the
# server. Exits 77 (skipped) only when Xvfb or xdotool is not installed, and never in CI:
# with CI=true a missing program fails the run (99).

for prog in Xvfb xdotool; do
	command -v "$prog" >/dev/null 2>&1 && continue
	if [ "${CI:-}" = true ]; then
		echo "x11.sh: $prog is not installed (Debian packages xvfb xdotool): X11 tests" \
			"cannot run, and CI=true forbids skipping them" >&2
		exit 99
	fi
	echo "x11.sh: $prog is not installed (Debian packages xvfb xdotool): X11 tests skipped"
	exit 77
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/idleacc-x11.XXXXXX") || exit 99
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

# Another test run may pick the same number at the same moment: Xvfb then refuses it (its lock
# file), exits, and the next number is tried. -displayfd says when the server is ready.
# -noreset: a server resets when its last client leaves, refusing connections meanwhile; the
# tests connect and leave many times, where a desktop's server always has clients.
n=90
while [ "$n" -lt 190 ]; do
	if [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; then
		n=$((n + 1))
		continue
	fi
	: >"$tmp/ready"
	Xvfb ":$n" -nolisten tcp -noreset -displayfd 3 3>"$tmp/ready" >"$tmp/xvfb.log" 2>&1 &
	pid=$!
	tries=0
	while kill -0 "$pid" 2>/dev/null && ! [ -s "$tmp/ready" ] && [ "$tries" -lt 600 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	if [ -s "$tmp/ready" ] && [ -S "/tmp/.X11-unix/X$n" ]; then
		break
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	n=$((n + 1))
done
if [ -z "$pid" ]; then
	echo "x11.sh: could not start Xvfb on any display from :90 to :189" >&2
	cat "$tmp/xvfb.log" >&2
	exit 99
fi

# IDLEACC_TEST_WRAPPER: a program to run the tests under (tests/run.sh: valgrind).
IDLEACC_TEST_DISPLAY=":$n" ${IDLEACC_TEST_WRAPPER:-} ./check_x11
rc=$?
exit "$rc"
