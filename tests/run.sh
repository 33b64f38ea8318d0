#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - the whole test suite from a fresh clone: installs what it needs, builds out of
# tree with warnings as errors, then runs "make distcheck", which builds the release tarball
# and runs from it the unit and program tests (tests/Makefile.am, print-plain-tests).
# Then three more passes, each counted in the totals:
#   san       the whole project built with -fsanitize=address,undefined (UBSan fatal) in
#             BUILD_DIR/san and "make check" run there: every test, so the integration tests
#             against real munged/slurmctld/slurmd, started in temporary directories, the
#             Windows tests under wine, and the package tests (which build packages of their
#             own from the source tree, without the sanitizers, beside the others) run here;
#             slurmd and slurmstepd are not built with ASan and cannot load an ASan plugin, so
#             the integration tests load the plugin of the plain build (PLUGIN_SO);
#   valgrind  every Check unit test of the plain build under valgrind memcheck (CK_FORK=no,
#             so memcheck sees the tests themselves), an error or a definite leak failing it;
#   fuzz      each libFuzzer harness of tests/fuzz/ for FUZZ_SECONDS (default 15) seconds.
# Prints each test's result and a closing "N passed, N failed, N skipped" line; the full logs
# are left in BUILD_DIR/run.log, san.log, valgrind.log and fuzz.log.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"

build=${BUILD_DIR:-$top/build}
mkdir -p "$build"
log=$build/run.log
: >"$log"
cd "$top"
autoreconf -fi >>"$log" 2>&1 || { tail -40 "$log"; exit 1; }
cd "$build"
"$top/configure" -q --enable-werror >>"$log" 2>&1 || { tail -40 "$log"; exit 1; }
# The tests mostly wait on daemons (each cluster in its own directory, on its own ports):
# twice as many at once as there are cores keeps the suite within CI's 30 minutes.
test_jobs=${TEST_JOBS:-$(($(nproc) * 2))}
make -j"$(nproc)" >>"$log" 2>&1 || { grep -E 'error|Error' "$log" | head -40; exit 1; }

# show_failed SUFFIX TRS...: the log of each failed test among TRS (.trs files): its first lines
# say what failed, its last ones what the daemons did.
show_failed()
{
	local suffix=$1 f
	shift
	for f in $(grep -lE '^:test-result: (FAIL|ERROR)' "$@" 2>/dev/null); do
		echo "---- ${f%.trs}.log$suffix"
		if [ "$(wc -l <"${f%.trs}.log")" -le 60 ]; then
			cat "${f%.trs}.log"
		else
			head -15 "${f%.trs}.log"
			echo "[...]"
			tail -45 "${f%.trs}.log"
		fi
	done
}

rc=0
# The integration, Windows and package tests run once, in the sanitizers' pass below (each test
# once keeps CI within its 30 minutes); the distcheck runs the rest from the tarball.
plain_tests=$(make -s -C tests print-plain-tests | tr '\n' ' ')
make -j"$test_jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror TESTS="$plain_tests" \
	>>"$log" 2>&1 || rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS): ' "$log" || true
echo "distcheck: ${SECONDS} s since the start" # CI's budget is 30 minutes in all
if [ "$rc" -ne 0 ]; then
	echo "---- make distcheck failed; the end of its output:"
	tail -40 "$log"
	# The logs of failing tests stay in the distcheck tree.
	show_failed "" $(find . -name '*.trs' 2>/dev/null)
fi

# The sanitizers' pass: its own tree, its own build, the full make check.
san_flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
sanlog=$build/san.log
: >"$sanlog"
san_rc=0
mkdir -p "$build/san"
(
	cd "$build/san" &&
		# No --enable-werror: the plain build holds the warnings to -Werror, and -O1 with
		# the sanitizers' instrumentation makes gcc's -Wformat-truncation guess wrong.
		"$top/configure" -q CFLAGS="$san_flags" \
			LDFLAGS="-fsanitize=address,undefined" &&
		make -j"$(nproc)" &&
		# verify_asan_link_order=0: agent_clock_step.test preloads libfaketime before ASan.
		# lsan.supp: leaks inside other projects' libraries, each explained there.
		ASAN_OPTIONS=verify_asan_link_order=0 UBSAN_OPTIONS=print_stacktrace=1 \
			LSAN_OPTIONS=suppressions="$top/tests/lsan.supp":print_suppressions=0 \
			PLUGIN_SO="$build/plugin/.libs/idleacc.so" make -j"$test_jobs" check \
			TESTS="$(make -s -C tests print-san-tests | tr "\n" " ")"
) >>"$sanlog" 2>&1 || san_rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS): ' "$sanlog" | sed 's/^/san /' || true
echo "sanitizers: ${SECONDS} s since the start"
if [ "$san_rc" -ne 0 ]; then
	echo "---- the sanitizers' make check failed; the end of its output:"
	tail -40 "$sanlog"
	show_failed "" $(find "$build/san" -name '*.trs')
fi

# Memcheck on the plain build's unit tests (valgrind cannot run ASan binaries). check_x11
# runs under x11.sh, which starts Xvfb and runs it through IDLEACC_TEST_WRAPPER.
vglog=$build/valgrind.log
: >"$vglog"
vg_rc=0
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
vg="$vg --suppressions=$top/tests/valgrind.supp" # leaks of other projects, each explained there
units=$(cd "$build/tests" && make -s -j"$(nproc)" check TESTS= >/dev/null &&
	ls check_* | grep -E '^check_[a-z0-9_]+$' | grep -vx check_x11 | tr '\n' ' ') || true
if [ -z "$units" ]; then
	echo "valgrind: no unit tests built in $build/tests" | tee -a "$vglog"
	vg_rc=1
else
	(cd "$build/tests" && CK_FORK=no make -j"$(nproc)" check TESTS="$units" LOG_COMPILER="$vg") \
		>>"$vglog" 2>&1 || vg_rc=$?
	if [ -x "$build/tests/check_x11" ]; then
		(cd "$build/tests" && CK_FORK=no IDLEACC_TEST_WRAPPER="$vg" \
			make check TESTS=x11.sh) >>"$vglog" 2>&1 || vg_rc=$?
	fi
fi
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS): ' "$vglog" | sed 's/^/valgrind /' || true
echo "valgrind: ${SECONDS} s since the start"
if [ "$vg_rc" -ne 0 ]; then
	show_failed " (valgrind)" "$build"/tests/*.trs
fi

# The fuzzers, each for a bounded time, from their seed corpora.
fuzzlog=$build/fuzz.log
fuzz_rc=0
"$top/tests/fuzz/run.sh" -b "$build/fuzz" -t "${FUZZ_SECONDS:-15}" >"$fuzzlog" 2>&1 || fuzz_rc=$?
grep -E '^fuzz ' "$fuzzlog" || tail -30 "$fuzzlog"

# "# PASS: N" lines of each make check's summary; each fuzzer is one test.
sum() { cat "$log" "$sanlog" "$vglog" | grep -E "^# $1: " | awk '{ s += $3 } END { print s + 0 }'; }
fuzz_pass=$(grep -c '^fuzz .*: PASS' "$fuzzlog" || true)
fuzz_fail=$(grep -c '^fuzz .*: FAIL' "$fuzzlog" || true)
[ "$fuzz_rc" -eq 0 ] || [ "$fuzz_fail" -gt 0 ] || fuzz_fail=1 # a harness that did not build
pass=$(( $(sum PASS) + fuzz_pass ))
fail=$(( $(sum FAIL) + $(sum ERROR) + $(sum XPASS) + fuzz_fail ))
skip=$(sum SKIP)
echo "fuzz: ${SECONDS} s since the start"
echo "$pass passed, $fail failed, $skip skipped"
[ "$rc" -eq 0 ] && [ "$san_rc" -eq 0 ] && [ "$vg_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ] &&
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
