#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the benchmark's one command: starts a private slurmctld with N emulated desktops per
# profile (one slurmd each, plus idleaccd or the naive script), replays the checked-in owner
# trace and job mix, and writes results.json, results.md and PNG plots. See README.md.
#
# Usage: tests/bench/run.sh [--build DIR] [-n N] [-c COMPRESSION] [--start "Mon 11:00"]
#                           [-d SIM_DURATION] [--quiet SECONDS] [--profiles LIST] [-o OUTDIR]
#                           [--scale N1,N2,...] [--trace FILE] [--allow-distorted] [--week]
#                           [--policy idle_after=15m,resume_after=5m,...] [--frontier]
#   --profiles takes idleacc, predict (idleacc with predicted idle windows), condor, naive,
#   dedicated.
#   Without --build (a fresh clone, as root): installs the packages (BENCH=1 tests/deps.sh),
#   builds into ./build (BUILD_DIR=), then runs. make bench [BENCH_ARGS="-n 8"] runs it from
#   a build directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BENCH_BUILD:-}
n=4
compression=30
allow=
start="Mon 11:00"
duration=4h
quiet=60
profiles=idleacc,condor,naive
out=
scale=
trace=$here/trace.json
policy=
frontier=

usage()
{
	sed -n 's/^# \{0,1\}//; 7,15p' "$0"
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
	--trace) trace=$2; shift ;;
	--allow-distorted) allow=--allow-distorted ;;
	--policy) policy=$2; shift ;;
	--frontier) frontier=1 ;;
	--week)
		# The week-long comparison (hours: not for CI): a whole simulated week, 16 desktops
		# per profile, and dedicated nodes for the cluster equivalence; later flags override.
		n=16 duration=7d start="Mon 00:00" profiles=idleacc,condor,dedicated ;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown option $1" >&2; usage ;;
	esac
	shift
done
BENCH=1 "$top/tests/deps.sh" || exit 1
# Refuse what would not measure what it claims, before building or starting anything: a trace
# that does not parse, a compression that distorts a baseline (bench.py validity()).
[ -r "$trace" ] || { echo "run.sh: cannot read the trace $trace" >&2; exit 2; }
trace=$(cd "$(dirname "$trace")" && pwd)/$(basename "$trace")
python3 "$here/gen.py" stats "$trace" >/dev/null || exit 2
python3 "$here/bench.py" check --compression "$compression" --profiles "$profiles" \
	--naive-period "${NAIVE_PERIOD:-60}" --policy "$policy" $allow || exit 2
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
			--trace "$trace" $allow --quiet 20 --profiles idleacc -o "$out/scale-$k" || echo "run.sh: N=$k failed" >&2
	done
	exec python3 "$here/bench.py" scale --out "$out" --ns "$scale"
fi

# The policy frontier: one run per policy of bench.py FRONTIER (idleacc and the HTCondor-like
# profile, FRONTIER_DURATION each at this compression), then frontier.md and frontier.png.
if [ -n "$frontier" ]; then
	mkdir -p "$out"
	k=0
	while read -r pol <&3; do
		k=$((k + 1))
		echo "bench: frontier point $k: $pol"
		"$0" --build "$build" -n "$n" -c "$compression" --start "$start" \
			-d "${FRONTIER_DURATION:-2h}" --trace "$trace" $allow --quiet 10 \
			--profiles idleacc,condor --policy "$pol" -o "$out/frontier-$k" ||
			echo "run.sh: frontier point $k ($pol) failed" >&2
	done 3< <(python3 "$here/bench.py" frontier --list)
	exec python3 "$here/bench.py" frontier --out "$out"
fi

srcdir=$build/tests # cluster.sh reads nothing else from it
# The cluster lives in its own directory, out of reach of clean-ups of /tmp/idleacc-cluster.*.
export TMPDIR=${BENCH_TMPDIR:-/var/tmp/idleacc-bench.$$}
mkdir -p "$TMPDIR"
. "$here/../integration/cluster.sh"

rm -rf "$out"
mkdir -p "$out/raw"
python3 "$here/bench.py" check --compression "$compression" --profiles "$profiles" \
	--naive-period "${NAIVE_PERIOD:-60}" --policy "$policy" $allow --write "$out/raw/validity.json" >/dev/null 2>&1
IFS=, read -r -a profs <<<"$profiles"
np=${#profs[@]}
total=$((n * np))

# Durations of the policy (HTCondor's, or --policy), scaled by the compression (whole seconds,
# at least 1): idle_after, resume_after, max_suspend, warn_grace.
durations=$(python3 "$here/bench.py" check --compression "$compression" --profiles "$profiles" \
	--policy "$policy" --shell) || exit 2
eval "$durations"

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

# agent_conf DIR [INTERVAL]: an idleacc.yaml with the policy's durations scaled, tty source only;
# without INTERVAL the agent samples at its shipped default (5 s).
agent_conf()
{
	local interval=
	[ -z "${2:-}" ] || interval="  interval: ${2}s"
	cat >"$1/idleacc.yaml" <<EOF
# Written by tests/bench/run.sh: the policy's durations (HTCondor's unless --policy) divided by $compression.
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

# The predict profile: idleacc with agent.predict on, its profile learnt beforehand by gen.py
# from earlier weeks of the lab (never the replayed week), its clock the replay's
# (IDLEACC_PREDICT_CLOCK: the replay's start S at real time pred_t0, at the compression): so
# the replay's start is fixed now, after the longest start-up wait and the quiet phase.
pred_t0=
if [[ ",$profiles," == *,predict,* ]]; then
	pred_t0=$(($(date +%s) + ${NAIVE_PERIOD:-60} + 60 + ${quiet%.*} + 30))
	pred_week=$((($(date +%s) + 3 * 86400) / 604800))
	pred_s=$(python3 -c "import sys; sys.path.insert(0, '$here'); import bench; print(bench.weektime('$start'))") || exit 2
	pred_local0=$((pred_week * 604800 - 3 * 86400 + pred_s))
fi

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
		predict)
			# As idleacc, with predicted idle windows (idleacc.yaml(5)).
			agent_conf "$dir"
			echo "  predict: on" >>"$dir/idleacc.yaml"
			python3 "$here/gen.py" profile "$trace" --desktop $((j - 1)) --node "$node" \
				--week "$pred_week" --idle-after $((idle_after * ${compression%.*})) \
				-o "$dir/state/$node.profile" || exit 2
			chmod 600 "$dir/state/$node.profile"
			pid=$(_cluster_spawn "idleaccd-$node" env \
				IDLEACC_PREDICT_CLOCK="$pred_t0 $pred_local0 $compression" \
				"$IDLEACCD" -D -v -N "$node" -c "$dir/idleacc.yaml") || exit 1
			;;
		naive)
			pid=$(_cluster_spawn "naive-$node" bash "$here/naive.sh" "$node" \
				"$dir/tty/console" "$idle_after" "${NAIVE_PERIOD:-60}") || exit 1
			;;
		dedicated)
			# A node of a dedicated cluster: no owner, no agent; the reference of the
			# cluster equivalence (README.md, "Statistics").
			echo "$node dedicated $((j - 1)) agent 0 $dir" >>"$out/raw/pids.txt"
			echo "$node dedicated $((j - 1)) slurmd ${_cluster_slurmd_pids[i - 1]} $dir" \
				>>"$out/raw/pids.txt"
			continue
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
	--trace "$trace" --jobs "$here/jobs.json" --job-script "$here/job.sh" \
	${pred_t0:+--t0 "$pred_t0"} || exit 1
stop_agents
cp "$CLUSTER_DIR"/log/*.log "$CLUSTER_DIR"/log/*.out "$out/raw/" 2>/dev/null
python3 "$here/bench.py" report --out "$out" || exit 1
echo "bench: results in $out/results.md, $out/results.json and $out/*.png"
