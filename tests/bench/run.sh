#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the benchmark's one command: starts a private slurmctld with N emulated desktops per
# profile (one slurmd each, plus idleaccd or the naive script), replays the checked-in owner
# trace and job mix, and writes results.json, results.md and PNG plots. See README.md.
#
# Usage: tests/bench/run.sh [--build DIR] [-n N] [-c COMPRESSION] [--start "Mon 11:00"]
#                           [-d SIM_DURATION] [--quiet SECONDS] [--profiles LIST] [-o OUTDIR]
#                           [--scale N1,N2,...]
#   Without --build (a fresh clone, as root): installs the packages (BENCH=1 tests/deps.sh),
#   builds into ./build (BUILD_DIR=), then runs. make bench [BENCH_ARGS="-n 8"] runs it from
#   a build directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BENCH_BUILD:-}
n=4
compression=60
start="Mon 11:00"
duration=4h
quiet=60
profiles=idleacc,condor,naive
out=
scale=

usage()
{
	sed -n 's/^# \{0,1\}//; 7,12p' "$0"
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	-n) n=$2; shift ;;
	-c) compression=$2; shift ;;
	--start) start=$2; shift ;;
	-d) duration=$2; shift ;;
	--quiet) quiet=$2; shift ;;
	--profiles) profiles=$2; shift ;;
	-o) out=$2; shift ;;
	--scale) scale=$2; shift ;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown option $1" >&2; usage ;;
	esac
	shift
done
BENCH=1 "$top/tests/deps.sh" || exit 1
if [ -z "$build" ]; then
	# The one command of a fresh clone: build (quietly, incrementally) into ./build.
	build=${BUILD_DIR:-$top/build}
	mkdir -p "$build"
	build=$(cd "$build" && pwd)
	echo "bench: building in $build (log: $build/bench-build.log)"
	(
		cd "$top"
		[ -x configure ] || autoreconf -fi
		cd "$build"
		[ -f Makefile ] || "$top/configure" -q
		make -j"$(nproc)"
	) >"$build/bench-build.log" 2>&1 || {
		tail -30 "$build/bench-build.log" >&2
		echo "run.sh: the build failed (log: $build/bench-build.log)" >&2
		exit 1
	}
fi
out=${out:-$build/bench-out}
IDLEACCD=$build/nodeagent/idleaccd
if ! [ -x "$IDLEACCD" ]; then
	echo "run.sh: $IDLEACCD not built: run make first (or --build DIR)" >&2
	exit 1
fi
for b in python3 gnuplot; do
	command -v "$b" >/dev/null || { echo "run.sh: $b missing: $here/deps lists the packages" >&2; exit 1; }
done

# Scale sweep: one short run per N, the idleaccd profile only, then one summary.
if [ -n "$scale" ]; then
	mkdir -p "$out"
	for k in ${scale//,/ }; do
		"$0" --build "$build" -n "$k" -c "$compression" --start "$start" -d "${SCALE_DURATION:-1h}" \
			--quiet 20 --profiles idleacc -o "$out/scale-$k" || echo "run.sh: N=$k failed" >&2
	done
	exec python3 "$here/bench.py" scale --out "$out" --ns "$scale"
fi

srcdir=$build/tests # cluster.sh reads nothing else from it
# The cluster lives in its own directory, out of reach of clean-ups of /tmp/idleacc-cluster.*.
export TMPDIR=${BENCH_TMPDIR:-/var/tmp/idleacc-bench.$$}
mkdir -p "$TMPDIR"
. "$here/../integration/cluster.sh"

rm -rf "$out"
mkdir -p "$out/raw"
IFS=, read -r -a profs <<<"$profiles"
np=${#profs[@]}
total=$((n * np))

# Durations of the policy, scaled by the compression (seconds, at least 1).
scaled()
{
	python3 -c "import sys; print(max(1, round($1 / $compression)))"
}
idle_after=$(scaled 900)
resume_after=$(scaled 300)
max_suspend=$(scaled 600)
warn_grace=$(scaled 120)

extra=("MinJobAge=86400")
for ((k = 0; k < np; k++)); do
	lo=$((k * n + 1))
	hi=$((k * n + n))
	extra+=("PartitionName=${profs[k]} Nodes=d[$lo-$hi] MaxTime=INFINITE State=UP")
done
# A binary just built has dirty pages in the page cache until they are written back, and smaps
# counts them as the process's Private_Dirty: write them out before measuring the agent.
sync
echo "bench: starting slurmctld and $total slurmd ($n desktops x $profiles)"
cluster_start "$total" "${extra[@]}" || exit 1

agent_pids=()
stop_agents()
{
	local p
	for p in "${agent_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${agent_pids[@]}"; do
		wait_until 10 _cluster_all_gone "$p" || kill -KILL "$p" 2>/dev/null
	done
	agent_pids=()
}
trap 'stop_agents; cluster_stop; rmdir "$TMPDIR" 2>/dev/null' EXIT

# agent_conf DIR [INTERVAL]: an idleacc.yaml with HTCondor's durations scaled, tty source only;
# without INTERVAL the agent samples at its shipped default (5 s).
agent_conf()
{
	local interval=
	[ -z "${2:-}" ] || interval="  interval: ${2}s"
	cat >"$1/idleacc.yaml" <<EOF
# Written by tests/bench/run.sh: HTCondor's desktop durations divided by $compression.
policy:
  idle_after: ${idle_after}s
  locked_idle_after: ${idle_after}s
  resume_after: ${resume_after}s
  on_owner_return: suspend
  max_suspend: ${max_suspend}s
  warn_grace: ${warn_grace}s
sources:
  tty:
    dirs: [$1/tty]
    utmp: $1/utmp
agent:
${interval}
  reconcile: 10m
  run_dir: $1/run
  state_dir: $1/state
EOF
	chmod 644 "$1/idleacc.yaml"
}

: >"$out/raw/pids.txt"
i=0
for ((k = 0; k < np; k++)); do
	for ((j = 1; j <= n; j++)); do
		i=$((i + 1))
		node=d$i
		dir=$CLUSTER_DIR/desk-$node
		mkdir -p "$dir/tty" "$dir/run" "$dir/state"
		touch -d '1 hour ago' "$dir/tty/console"
		case ${profs[k]} in
		idleacc | condor)
			# idleacc: the product as shipped (default interval; it wakes on tty input and
			# when time alone changes the verdict); condor: HTCondor's 5 s polling interval.
			if [ "${profs[k]}" = idleacc ]; then
				agent_conf "$dir"
			else
				agent_conf "$dir" 5
			fi
			pid=$(_cluster_spawn "idleaccd-$node" "$IDLEACCD" -D -v -N "$node" \
				-c "$dir/idleacc.yaml") || exit 1
			;;
		naive)
			pid=$(_cluster_spawn "naive-$node" bash "$here/naive.sh" "$node" \
				"$dir/tty/console" "$idle_after" "${NAIVE_PERIOD:-60}") || exit 1
			;;
		*) echo "run.sh: unknown profile ${profs[k]}" >&2; exit 2 ;;
		esac
		agent_pids+=("$pid")
		echo "$node ${profs[k]} $((j - 1)) agent $pid $dir" >>"$out/raw/pids.txt"
		echo "$node ${profs[k]} $((j - 1)) slurmd ${_cluster_slurmd_pids[i - 1]} $dir" \
			>>"$out/raw/pids.txt"
	done
done
echo "slurmctld - - slurmctld $_cluster_ctld_pid -" >>"$out/raw/pids.txt"

# The naive script resumes only at its first sweep; everyone else at its first sample.
wait_until $((${NAIVE_PERIOD:-60} + 30)) cluster_all_idle || {
	echo "bench: nodes not all IDLE after start-up" >&2
	scontrol show node -o >&2
	cluster_logs 20
	exit 1
}

python3 "$here/bench.py" run --out "$out" --cluster "$CLUSTER_DIR" --n "$n" \
	--profiles "$profiles" --compression "$compression" --start "$start" \
	--duration "$duration" --quiet "$quiet" --idle-after "$idle_after" \
	--trace "$here/trace.json" --jobs "$here/jobs.json" --job-script "$here/job.sh" || exit 1
stop_agents
cp "$CLUSTER_DIR"/log/*.log "$CLUSTER_DIR"/log/*.out "$out/raw/" 2>/dev/null
python3 "$here/bench.py" report --out "$out" || exit 1
echo "bench: results in $out/results.md, $out/results.json and $out/*.png"
