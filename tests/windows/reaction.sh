#!/bin/bash
# SPDX-License-Identifier: MIT
# reaction.sh - the Windows owner's reaction figure: how long from a key pressed on Windows
# (SendInput under wine) until idleaccd in the "guest" has the node drained and the running
# job suspended, over a few rounds, printed beside the Linux figure of tests/bench. A figure,
# not a test: nothing is asserted. As root, from a build where "make check" ran (or after
# "make msi" and "make -C tests windows/winplay.exe"):
#   tests/windows/reaction.sh [-b BUILD_DIR] [ROUNDS]      (default: ./build, 5 rounds)
# The Windows side runs under wine on this machine; the path (helper's raw input, the pipe to
# the service, TCP to idleaccd) is the one of a real PC, its timings are not.
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(dirname "$here")
top_builddir=$srcdir/../build
if [ "${1:-}" = -b ]; then
	top_builddir=$(cd "$2" && pwd) || exit 2
	shift 2
fi
rounds=${1:-5}
export top_builddir
. "$srcdir/integration/cluster.sh"
. "$srcdir/integration/agent.sh"
. "$srcdir/windows/wine.sh"

_reaction_exit()
{
	wine_stop
	_agent_exit
}

agent_cluster_start 1 || exit 1
trap _reaction_exit EXIT
windows_desktop_start d1
wait_until 60 idle_again d1 || fail "d1 not offered: $(node_state d1)"
id=$(submit -p desktop -w d1 --wrap='sleep 3600') || fail "sbatch failed"
wait_until 60 job_is "$id" RUNNING || fail "job $id not running"

drains=()
stops=()
for ((r = 1; r <= rounds; r++)); do
	# The owner away again: the job runs and the node is offered.
	wait_until 60 job_is "$id" RUNNING || fail "round $r: job $id not running"
	wait_until 60 node_is d1 ALLOCATED || fail "round $r: d1 not offered"
	sleep 1
	from=$(log_lines d1)
	t0=$(windows_type) || fail "SendInput failed"
	wait_until 60 job_is "$id" SUSPENDED || fail "round $r: job $id not suspended"
	td=$(log_ms d1 'drained d1: IDLEACC: console input' "$from") || fail "no drain logged"
	ts=$(log_ms d1 "suspended job $id \\(owner back\\)" "$from") || fail "no suspension logged"
	drains+=($((td - t0)))
	stops+=($((ts - t0)))
	echo "round $r: drained $((td - t0)) ms, job suspended $((ts - t0)) ms after SendInput"
done
scancel "$id"

# p50 and max of the numbers given.
stats()
{
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%d ms (p50), %d ms (max)", v[int((NR + 1) / 2)], v[NR] }'
}
echo
echo "The owner returns: from the first keystroke to ..."
printf '  %-44s %-34s %s\n' "" "node drained" "job stopped"
printf '  %-44s %-34s %s\n' "Windows under wine ($rounds rounds, this run)" "$(stats "${drains[@]}")" \
	"$(stats "${stops[@]}") (suspended)"
printf '  %-44s %-34s %s\n' "Linux, evdev (tests/bench/README.md)" "19 ms (p50), 79 ms (p99)" \
	"40 ms (p50), 60 ms (p99) (last process)"
