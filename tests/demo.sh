#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - the main job: a private Slurm cluster of three emulated desktops on this machine,
# one idleaccd each, owners that come and go on a script, jobs sent with sbatch -p desktop,
# a live view of node states, reasons and what the agents do, and a closing summary.
#
# Installs what it needs (tests/deps.sh), builds into BUILD_DIR (default ./build), and runs
# for about two minutes. Time is compressed: the owner counts as absent after 8 s without
# input (15 min in conf/idleacc.yaml), jobs resume 4 s after the owner leaves, and a job
# suspended for 15 s is requeued to run elsewhere. The cluster is configless (slurmd gets its
# configuration from slurmctld). Options: --keep leaves the cluster's directory (logs,
# configs) in place; --emergency adds a last act, emergency mode: research jobs on the idle
# desktops, "idleacc emergency on" reaches every agent through the pushed configuration within
# seconds, the urgent jobs preempt the research jobs (suspended by Slurm), the owner of d2 goes
# home and d2 is offered at once, "emergency status", "off", every desktop back to normal and
# every research job completes.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
keep=0 emergency=0
for a in "$@"; do
	case $a in
	--keep) keep=1 ;;
	--emergency) emergency=1 ;;
	-h | --help)
		sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
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
# Configless, as a desktop fleet is run (README, "A configless fleet"): every slurmd takes its
# configuration from slurmctld, and each agent runs as on its desktop (its own /run and
# /etc/slurm), watching /run/slurm/conf. What slurmctld pushes there (scontrol reconfigure,
# which "idleacc emergency on" and "off" do) wakes every agent at once.
export CLUSTER_CONFIGLESS=1
# shellcheck source=integration/cluster.sh
. "$top/tests/integration/cluster.sh"
# shellcheck source=integration/agent.sh
. "$top/tests/integration/agent.sh"
# shellcheck source=integration/emergency_lib.sh
. "$top/tests/integration/emergency_lib.sh"

NODES=(d1 d2 d3)
NJOBS=5
JOB_SECONDS=20
IDLE_AFTER=8
RESUME_AFTER=4
MAX_SUSPEND=15
END_BY=240

echo "starting munged, slurmctld and ${#NODES[@]} slurmd (desktops ${NODES[*]})"
if [ "$emergency" = 1 ]; then
	emergency_cluster_start ${#NODES[@]} || exit 1
	export AGENT_YAML_EXTRA=$EMERGENCY_YAML
else
	agent_cluster_start ${#NODES[@]} || exit 1
fi
for n in "${NODES[@]}"; do
	agent_conf "$n"
	# The demo's durations in policy: (not in emergency:, which keeps its own).
	sed -i -e "/^policy:/,/^[a-z]/{s/^  idle_after: .*/  idle_after: ${IDLE_AFTER}s/" \
		-e "s/^  locked_idle_after: .*/  locked_idle_after: ${IDLE_AFTER}s/" \
		-e "s/^  resume_after: .*/  resume_after: ${RESUME_AFTER}s/" \
		-e "s/^  max_suspend: .*/  max_suspend: ${MAX_SUSPEND}s/}" \
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

# --- the emergency act ---------------------------------------------------------------------
# Every job state each job was seen in, for the act's closing lines.
declare -A seen_states=()
emergency_view()
{
	local n line="" id st
	for n in "${NODES[@]}"; do
		line+=$(printf '%s %-10s %-18s ' "$n" "$(node_state "$n")" "$(node_extra "$n")")
	done
	printf '%4ss  %s|' "$(elapsed)" "$line"
	for id in "${research[@]}" "${urgent[@]}"; do
		st=$(job_state "$id")
		seen_states[$id]="${seen_states[$id]:-} $st"
		printf ' %s:%s' "$id" "${st:0:4}"
	done
	echo
}
# all_report TEXT: every desktop's agent reports TEXT in its node's Extra.
all_report()
{
	local n
	for n in "${NODES[@]}"; do
		extra_is "$n" "$1" || return 1
	done
}
all_in() # STATE ID...: every job is in STATE
{
	local st=$1 id
	shift
	for id in "$@"; do
		job_is "$id" "$st" || return 1
	done
}
was_seen() # ID STATE
{
	[[ " ${seen_states[$1]:-} " == *" $2 "* ]]
}
# since T: seconds since the time T (now), one decimal.
since()
{
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}
research=() urgent=()
emergency_ok=1
emergency_act()
{
	local n id t_on t_act t_sw="" t_off ok=0 ran=0 preempted=0 left=0
	echo
	echo "emergency act: research jobs on the desktops, the owner of d2 at work"
	echo "  (urgent work: emergency partition, PriorityTier 10, DOWN while the switch is off;"
	echo "   its jobs preempt the research partition's by suspending them; idle desktops are"
	echo "   offered after 1 s without input instead of ${IDLE_AFTER} s; an owner at work keeps the desktop)"
	owner_arrives d2 >/dev/null
	for n in "${NODES[@]}"; do
		[ "$n" = d2 ] && continue
		research+=("$(submit -p desktop -w "$n" -J research --wrap='for i in $(seq 30); do sleep 1; done')")
	done
	wait_until 30 all_in RUNNING "${research[@]}" || true
	wait_until 30 drained d2 || true
	for n in "${NODES[@]}"; do
		urgent+=("$(submit -p emergency -w "$n" -J urgent --wrap='for i in $(seq 10); do sleep 1; done')")
	done
	echo "time  desktop state      agent's mode (Extra) ...                               | jobs (id:state)"
	emergency_view
	echo "  >> research jobs ${research[*]} running; urgent jobs ${urgent[*]} queued, one per desktop"
	echo "  \$ idleacc emergency on --reason \"demo: flood forecast\""
	t_on=$(now) t_act=$(elapsed)
	emergency_cli on --reason "demo: flood forecast" | sed 's/^/    /'
	# Up to 2 minutes: a launch that Slurm could not deliver during the push is requeued and
	# runs about a minute later (README.md, "Emergency mode").
	for _ in $(seq 120); do
		emergency_view
		if [ -z "$t_sw" ] && all_report idleacc:emergency; then
			t_sw=$(since "$t_on")
			echo "  >> every desktop switched ${t_sw} s after the command (pushed configuration: no agent waits for its reconcile)"
			echo "  \$ idleacc emergency status"
			emergency_cli status | sed 's/^/    /'
		fi
		# The owner of d2 goes home a few seconds into the emergency.
		if [ "$left" = 0 ] && [ -n "$t_sw" ] && [ "$(elapsed)" -ge "$((t_act + 6))" ]; then
			owner_leaves d2 >/dev/null
			echo "  >> the owner of d2 goes home: its desktop is offered after 1 s without input"
			left=1
		fi
		all_in COMPLETED "${urgent[@]}" && break
		sleep 1
	done
	[ -n "$t_sw" ] || {
		echo "  !! not every desktop switched"
		emergency_ok=0
	}
	for id in "${urgent[@]}"; do
		was_seen "$id" RUNNING && job_is "$id" COMPLETED && ran=$((ran + 1))
	done
	printf '  >> urgent jobs: %d of %d ran and completed, the last %s s after the switch\n' \
		"$ran" ${#urgent[@]} "$(since "$t_on")"
	[ "$ran" = ${#urgent[@]} ] || emergency_ok=0
	echo "  \$ idleacc emergency off"
	t_off=$(now)
	emergency_cli off | sed 's/^/    /'
	if wait_until 30 all_report idleacc:normal; then
		echo "  >> every desktop back to its normal policy $(since "$t_off") s after the command"
	else
		echo "  !! not every desktop back to normal"
		emergency_ok=0
	fi
	for _ in $(seq 90); do
		emergency_view
		all_in COMPLETED "${research[@]}" && break
		sleep 1
	done
	for id in "${research[@]}"; do
		was_seen "$id" SUSPENDED && preempted=$((preempted + 1))
		job_is "$id" COMPLETED && ok=$((ok + 1))
	done
	echo "  research jobs: ${#research[@]} sent, $preempted preempted (suspended by Slurm), $ok completed, $((${#research[@]} - ok)) lost"
	[ "$ok" -eq ${#research[@]} ] && [ "$preempted" -eq ${#research[@]} ] || emergency_ok=0
	[ "$ok" -eq ${#research[@]} ] || lost=$((lost + ${#research[@]} - ok))
}
[ "$emergency" = 0 ] || emergency_act

if [ "$keep" = 1 ]; then echo "  cluster directory kept: $CLUSTER_DIR"; fi
# The clean-up in the EXIT trap must not turn the result into its own (errexit would).
set +e
if [ "$lost" -eq 0 ] && [ "$completed" -eq "$NJOBS" ] && [ "$emergency_ok" = 1 ]; then
	exit 0
fi
exit 1
