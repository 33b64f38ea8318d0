#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - builds the libFuzzer harnesses of tests/fuzz/ (fuzz_*.c, one per parser) with clang,
# -fsanitize=fuzzer,address,undefined, against the project built out of tree with the same
# sanitizers, and runs each for a bounded time from its seed corpus corpus/NAME/. What the
# fuzzer generates stays in BUILD/corpus/NAME; a crash leaves BUILD/crash-NAME-* and fails.
#
#   tests/fuzz/run.sh [-b BUILD] [-t SECONDS] [NAME...]
#     -b BUILD    build directory (default /tmp/idleacc-fuzz)
#     -t SECONDS  time per harness (default 20; 0 only builds)
#     NAME        harnesses to run (conf ctl state proc utmp evdev plugargs predict; default
#                 all)
# A crash file replays with: BUILD/fuzz_NAME BUILD/crash-NAME-...
# Prints "fuzz NAME: PASS (N runs)" or "fuzz NAME: FAIL" per harness, exits 1 if any failed.
set -euo pipefail

src=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$src/../.." && pwd)
build=/tmp/idleacc-fuzz
secs=20
while getopts b:t: o; do
	case $o in
	b) build=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) sed -n 's/^#   //p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(conf ctl state proc utmp evdev plugargs predict)

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
mkdir -p "$build"
build=$(cd "$build" && pwd)
log=$build/build.log
: >"$log"
# The project's libraries, instrumented for coverage (fuzzer-no-link) and the sanitizers.
if [ ! -f "$build/config.status" ]; then
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) >>"$log" 2>&1
	(cd "$build" && "$top/configure" -q CC=clang \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link $san") >>"$log" 2>&1 ||
		{ tail -30 "$log"; exit 1; }
fi
for d in common:libcommon.la idle:libidle.la nodeagent:libagent.la plugin:libplugin.la; do
	make -C "$build/${d%%:*}" -j2 "${d#*:}" >>"$log" 2>&1 || { tail -30 "$log"; exit 1; }
done
# Each harness linked through libtool, which adds each library's own dependencies.
for n in "${names[@]}"; do
	[ -f "$src/fuzz_$n.c" ] || { echo "run.sh: no harness $n" >&2; exit 2; }
	"$build/libtool" --silent --tag=CC --mode=link clang -g -O1 \
		-fsanitize=fuzzer $san -Wall -Wextra -Werror \
		-I"$build" -I"$top/common" -I"$top/idle" -I"$top/nodeagent" -I"$top/plugin" \
		-o "$build/fuzz_$n" "$src/fuzz_$n.c" \
		"$build/plugin/libplugin.la" "$build/nodeagent/libagent.la" \
		"$build/idle/libidle.la" "$build/common/libcommon.la" >>"$log" 2>&1 ||
		{ tail -30 "$log"; exit 1; }
done
[ "$secs" -gt 0 ] || exit 0

fail=0
for n in "${names[@]}"; do
	work=$build/corpus/$n
	mkdir -p "$work"
	out=$build/fuzz_$n.log
	# -timeout: one input that takes this long is a hang; -rss_limit_mb: one that takes this
	# much memory is a leak or an unbounded allocation.
	if (cd "$build" && TMPDIR=$build ./fuzz_$n -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=1024 -artifact_prefix="$build/crash-$n-" -print_final_stats=1 \
		"$work" "$src/corpus/$n") >"$out" 2>&1; then
		echo "fuzz $n: PASS ($(sed -n 's/^stat::number_of_executed_units: *//p' "$out") runs)"
	else
		echo "fuzz $n: FAIL (log $out)"
		grep -E 'ERROR|SUMMARY|runtime error|fuzz_' "$out" | head -10
		fail=1
	fi
done
exit "$fail"
