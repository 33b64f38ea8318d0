#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - the main job: a private Slurm cluster of three emulated desktops on this machine,
# one idleaccd each, owners that come and go on a script, jobs sent with sbatch -p desktop,
# a live view of node states, reasons and what the agents do, and a closing summary.
#
# Installs what it needs (tests/deps.sh), builds into BUILD_DIR (default ./build), and runs
# for about two minutes. Time is compressed: the owner counts as absent after 8 s without
# input (15 min in conf/idleacc.yaml), jobs resume 4 s after the owner leaves, and a job
# suspended for 15 s is requeued to run elsewhere. Options: --keep leaves the cluster's
# directory (logs, configs) in place.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
keep=0
for a in "$@"; do
	case $a in
	--keep) keep=1 ;;
	-h | --help)
		sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "demo.sh: unknown option $a (try --help)" >&2
		exit 2
		;;
	esac
done

"$top/tests/deps.sh"

build=${BUILD_DIR:-$top/build}
mkdir -p "$build"
log=$build/demo-build.log
echo "building in $build (log: $log)"
(
	cd "$top"
	[ -x configure ] || autoreconf -fi
	cd "$build"
	[ -f Makefile ] || "$top/configure" -q
	make -j"$(nproc)"
) >"$log" 2>&1 || {
	tail -30 "$log"
	exit 1
}

export top_builddir=$build
[ "$keep" = 1 ] && export KEEP_CLUSTER=1
# shellcheck source=integration/cluster.sh
. "$top/tests/integration/cluster.sh"
# shellcheck source=integration/agent.sh
. "$top/tests/integration/agent.sh"

NODES=(d1 d2 d3)
NJOBS=5
JOB_SECONDS=20
IDLE_AFTER=8
RESUME_AFTER=4
MAX_SUSPEND=15
END_BY=240

echo "starting munged, slurmctld and ${#NODES[@]} slurmd (desktops ${NODES[*]})"
agent_cluster_start ${#NODES[@]} || exit 1
for n in "${NODES[@]}"; do
	agent_conf "$n"
	sed -i -e "s/^  idle_after: .*/  idle_after: ${IDLE_AFTER}s/" \
		-e "s/^  locked_idle_after: .*/  locked_idle_after: ${IDLE_AFTER}s/" \
		-e "s/^  resume_after: .*/  resume_after: ${RESUME_AFTER}s/" \
		-e "s/^  max_suspend: .*/  max_suspend: ${MAX_SUSPEND}s/" \
		-e "s/^  reconcile: .*/  reconcile: 60s/" "$CLUSTER_DIR/agent-$n/idleacc.yaml"
	agent_start "$n"
done

t0=$(date +%s)
elapsed() { echo $(($(date +%s) - t0)); }

# --- owners: who is at which desktop, on a script ----------------------------------------
declare -A owner_loop=() owner_present=() absent_ms=() offered_ms=() seen_lines=()
last_tick_ms=$(date +%s%3N)
owner_arrives()
{
	[ -n "${owner_loop[$1]:-}" ] && return
	owner_loop[$1]=$(busy_loop "$1")
	owner_present[$1]=1
	printf '%4ss  >> the owner of %s sits down and works\n' "$(elapsed)" "$1"
}
owner_leaves()
{
	[ -n "${owner_loop[$1]:-}" ] || return 0
	kill "${owner_loop[$1]}" 2>/dev/null || true
	wait "${owner_loop[$1]}" 2>/dev/null || true
	owner_loop[$1]=
	owner_present[$1]=0
	printf '%4ss  >> the owner of %s leaves\n' "$(elapsed)" "$1"
}
# time: event
SCRIPT=(
	"0:arrive d1"
	"12:submit"
	"18:arrive d2"
	"24:leave d2"
	"34:leave d1"
	"38:arrive d3"
	"80:leave d3"
)

# --- the live view -------------------------------------------------------------------------
jobs_ids=()
view()
{
	local line="" n st id js now_ms dt
	# Each state seen holds since the previous tick: ticks are about a second apart.
	now_ms=$(date +%s%3N)
	dt=$((now_ms - last_tick_ms))
	last_tick_ms=$now_ms
	for n in "${NODES[@]}"; do
		st=$(node_state "$n")
		line+=$(printf ' %s:%-16s' "$n" "$st")
		if [[ $st != *DRAIN* && $st != *DOWN* && $st != *NOT_RESPONDING* ]]; then
			offered_ms[$n]=$((${offered_ms[$n]:-0} + dt))
		fi
		[ "${owner_present[$n]:-0}" = 1 ] || absent_ms[$n]=$((${absent_ms[$n]:-0} + dt))
	done
	js=""
	for id in "${jobs_ids[@]}"; do
		st=$(job_state "$id")
		js+=" $id:${st:0:4}"
	done
	printf '%4ss %s |%s\n' "$(elapsed)" "$line" "$js"
	# What the agents did since the last tick: their notices, as they logged them.
	for n in "${NODES[@]}"; do
		local f=$CLUSTER_DIR/log/idleaccd-$n.out total
		total=$(wc -l <"$f")
		if [ "$total" -gt "${seen_lines[$n]:-0}" ]; then
			tail -n +"$((${seen_lines[$n]:-0} + 1))" "$f" | head -n "$((total - ${seen_lines[$n]:-0}))" |
				grep ' notice: ' | grep -v 'started for node' |
				sed -e "s/^[^ ]* idleaccd: notice: /        [idleaccd@$n] /" || true
			seen_lines[$n]=$total
		fi
	done
}

echo
echo "time  node states (DRAIN = kept for its owner)              | jobs (id:state)"
step=0
while :; do
	t=$(elapsed)
	while [ "$step" -lt ${#SCRIPT[@]} ] && [ "${SCRIPT[$step]%%:*}" -le "$t" ]; do
		ev=${SCRIPT[$step]#*:}
		case $ev in
		"arrive "*) owner_arrives "${ev#arrive }" ;;
		"leave "*) owner_leaves "${ev#leave }" ;;
		submit)
			for i in $(seq "$NJOBS"); do
				jobs_ids+=("$(submit -p desktop --requeue -J "demo$i" \
					--wrap="for i in \$(seq $JOB_SECONDS); do sleep 1; done")")
			done
			printf '%4ss  >> %d jobs of %d s sent with sbatch -p desktop: %s\n' "$t" "$NJOBS" \
				"$JOB_SECONDS" "${jobs_ids[*]}"
			;;
		esac
		step=$((step + 1))
	done
	view
	done_n=0
	for id in "${jobs_ids[@]}"; do
		[ "$(job_state "$id")" = COMPLETED ] && done_n=$((done_n + 1))
	done
	if [ "$step" -ge ${#SCRIPT[@]} ] && [ "$done_n" -eq "$NJOBS" ]; then
		break
	fi
	[ "$t" -lt "$END_BY" ] || break
	sleep 1
done
for n in "${NODES[@]}"; do owner_leaves "$n" >/dev/null; done

# --- summary -------------------------------------------------------------------------------
echo
echo "summary after $(elapsed) s"
completed=0 lost=0 restarts=0
for id in "${jobs_ids[@]}"; do
	st=$(job_state "$id")
	case $st in
	COMPLETED) completed=$((completed + 1)) ;;
	PENDING | RUNNING | SUSPENDED | COMPLETING | CONFIGURING) ;;
	*) lost=$((lost + 1)) ;;
	esac
	restarts=$((restarts + $(job_field "$id" Restarts)))
done
count() { cat "$CLUSTER_DIR"/log/idleaccd-*.out | grep -c "$1" || true; }
printf '  jobs: %d sent, %d completed, %d lost, %d requeued (Restarts), %d suspensions, %d resumed\n' \
	"$NJOBS" "$completed" "$lost" "$restarts" "$(count 'notice: suspended job')" \
	"$(count 'notice: resumed job')"
for n in "${NODES[@]}"; do
	printf '  %s: offered to Slurm %3d s of the %3d s its owner was away\n' \
		"$n" "$((${offered_ms[$n]:-0} / 1000))" "$((${absent_ms[$n]:-0} / 1000))"
done
echo "  (each absence starts with the ${IDLE_AFTER} s idle_after wait before the desktop is offered)"
echo "  node reasons the agents wrote, as sinfo -R shows them:"
grep -h 'notice: drained' "$CLUSTER_DIR"/log/idleaccd-*.out | sed 's/.*notice: drained /    /' |
	sort | uniq -c | sort -rn | head -5
if [ "$keep" = 1 ]; then echo "  cluster directory kept: $CLUSTER_DIR"; fi
# The clean-up in the EXIT trap must not turn the result into its own (errexit would).
set +e
if [ "$lost" -eq 0 ] && [ "$completed" -eq "$NJOBS" ]; then
	exit 0
fi
exit 1
