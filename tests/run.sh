#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - the whole test suite from a fresh clone: installs what it needs, builds out of
# tree with warnings as errors, then runs "make distcheck", which builds the release tarball
# and runs every test from it (unit tests, program tests, integration tests against real
# munged/slurmctld/slurmd started in temporary directories). Prints each test's result and a
# closing "N passed, N failed, N skipped" line; the full log is left in BUILD_DIR/run.log.
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
make -j"$(nproc)" >>"$log" 2>&1 || { grep -E 'error|Error' "$log" | head -40; exit 1; }

rc=0
make -j"$(nproc)" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >>"$log" 2>&1 || rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS): ' "$log" || true
if [ "$rc" -ne 0 ]; then
	echo "---- make distcheck failed; the end of its output:"
	tail -40 "$log"
	# The logs of failing tests stay in the distcheck tree.
	for f in $(grep -lE '^:test-result: (FAIL|ERROR)' $(find . -name '*.trs' 2>/dev/null) 2>/dev/null); do
		echo "---- ${f%.trs}.log"
		tail -60 "${f%.trs}.log"
	done
fi
sum() { grep -E "^# $1: " "$log" | awk '{ s += $3 } END { print s + 0 }'; }
pass=$(sum PASS)
fail=$(( $(sum FAIL) + $(sum ERROR) + $(sum XPASS) ))
skip=$(sum SKIP)
echo "$pass passed, $fail failed, $skip skipped"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
