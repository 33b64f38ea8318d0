#!/bin/bash
# SPDX-License-Identifier: MIT
# emergency_figures.sh - the figures of emergency mode (README.md, "Emergency mode"), not a
# test: for N = 4, 16 and 50 emulated desktops (one slurmd and one idleaccd each on this host,
# configless: every slurmd takes its configuration from slurmctld and each agent watches
# /run/slurm/conf, as on a desktop) it times "idleacc emergency on" to every desktop switched
# (its agent reports idleacc:emergency in the node's Extra) and to an urgent job running on
# every desktop, then "off" to every desktop back to idleacc:normal, and counts the RPCs
# slurmctld served meanwhile (sdiag). The agents' reconcile period is 1 h, so nothing but the
# configuration "emergency on" pushes (slurm_reconfigure) can wake them within the run; half of
# the desktops are kept out by idle_after until the switch (their idle_after is 2 h, the
# emergency profile's 1 s), so their urgent jobs need the agent to offer them.
#
# Run as root from a clone (it builds into BUILD_DIR, default ./build, like tests/demo.sh):
#   tests/integration/emergency_figures.sh [N...]
# or from a build's tests/ directory: srcdir=SRC/tests top_builddir=BUILD SRC/tests/...sh [N...]
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -z "${top_builddir:-}" ]; then
	top=$(cd "$srcdir/.." && pwd)
	top_builddir=${BUILD_DIR:-$top/build}
	mkdir -p "$top_builddir"
	echo "building in $top_builddir (log: $top_builddir/figures-build.log)"
	(
		cd "$top" && { [ -x configure ] || autoreconf -fi; } &&
			cd "$top_builddir" && { [ -f Makefile ] || "$top/configure" -q; } &&
			make -j"$(nproc)"
	) >"$top_builddir/figures-build.log" 2>&1 || {
		tail -30 "$top_builddir/figures-build.log"
		exit 1
	}
fi
export top_builddir
export CLUSTER_CONFIGLESS=1
. "$srcdir/integration/cluster.sh"
. "$srcdir/integration/agent.sh"
. "$srcdir/integration/emergency_lib.sh"

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(4 16 50)

# all_extra TEXT: every node reports TEXT.
all_extra()
{
	[ "$(scontrol -o show node | grep -cE "Extra=$1( |$)")" = "$N" ]
}

all_running()
{
	[ "$(squeue -h -p emergency -t R | wc -l)" = "$N" ]
}

# rpcs: the RPC counts slurmctld served since the last sdiag -r, "TYPE count ave_us" lines.
rpcs()
{
	sdiag | sed -n 's/^\t*\(REQUEST_[A-Z_]*\) *( *[0-9]*) count:\([0-9]*\) *ave_time:\([0-9]*\).*/\1 \2 \3/p'
}

no_emergency_jobs()
{
	[ "$(squeue -h -p emergency | wc -l)" = 0 ]
}

# offered_count K: exactly K desktops are IDLE with no flag (offered; the others drained).
offered_count()
{
	[ "$(scontrol -o show node | grep -c ' State=IDLE ')" = "$1" ]
}

secs()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# one_switch: times one "on" and one "off" and prints the result lines.
one_switch()
{
	local t0 t_cmd t_sw='' t_run='' t_off t_norm='' n polls=0 e c a
	for n in $CLUSTER_NODES; do
		submit -p emergency -w "$n" --wrap='sleep 600' >/dev/null || fail "sbatch"
	done
	sleep 2
	sdiag -r >/dev/null
	t0=$(now)
	emergency_cli on --reason "figures" >/dev/null || fail "emergency on"
	t_cmd=$(now)
	while [ -z "$t_sw" ] || [ -z "$t_run" ]; do
		polls=$((polls + 1))
		[ -n "$t_sw" ] || ! all_extra idleacc:emergency || t_sw=$(now)
		[ -n "$t_run" ] || ! all_running || t_run=$(now)
		[ -n "$t_sw" ] || [ $polls -lt 1500 ] || fail "not every desktop switched"
		# A job Slurm shows RUNNING whose launch slurmd never logged (see README.md) would
		# hold the count back for good: reported, not waited for.
		if [ -n "$t_sw" ] && [ -z "$t_run" ] && [ $polls -ge 1500 ]; then
			t_run=never
			break
		fi
		sleep 0.1
	done
	if [ "$t_run" = never ]; then
		t_run="never ($(squeue -h -p emergency -t R | wc -l) of $N running, $(grep -l 'Launching batch job' "$CLUSTER_DIR"/log/slurmd-d*.log 2>/dev/null | wc -l) slurmd launched one)"
	else
		t_run="$(secs "$t0" "$t_run") s"
	fi
	printf 'N=%d on: command %s s, every desktop switched %s s, an urgent job running on every desktop %s\n' \
		"$N" "$(secs "$t0" "$t_cmd")" "$(secs "$t0" "$t_sw")" "$t_run"
	echo "  RPCs slurmctld served from the command to both (sdiag; count, mean time):"
	rpcs | while read -r e c a; do
		printf '    %-32s %6d  ave %6d us\n' "$e" "$c" "$a"
	done
	echo "  (of them the script's own polls: $polls x scontrol show node (REQUEST_NODE_INFO +" \
		"REQUEST_PARTITION_INFO) and at most $polls x squeue (REQUEST_JOB_INFO))"
	t_off=$(now)
	emergency_cli off >/dev/null || fail "emergency off"
	while [ -z "$t_norm" ]; do
		all_extra idleacc:normal && t_norm=$(now)
		awk -v s="$(secs "$t_off" "$(now)")" 'BEGIN { exit !(s < 150) }' ||
			fail "not all back to normal"
		sleep 0.1
	done
	printf 'N=%d off: every desktop back to normal %s s\n' "$N" "$(secs "$t_off" "$t_norm")"
	scancel -p emergency
	wait_until 120 no_emergency_jobs ||
		echo "  emergency jobs left 120 s after scancel:" \
			"$(squeue -h -p emergency -o '%i:%T:%N' | tr '\n' ' ')"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)," \
	"Slurm $(slurmctld -V | cut -d' ' -f2)"
for N in "${sizes[@]}"; do
	(
		emergency_cluster_start "$N" || exit 1
		export AGENT_YAML_EXTRA=$EMERGENCY_YAML
		i=0
		for n in $CLUSTER_NODES; do
			i=$((i + 1))
			# Odd desktops wait 2 h without input in normal times: drained until the switch.
			if [ $((i % 2)) = 1 ]; then
				AGENT_IDLE_AFTER=2h agent_conf "$n"
			else
				agent_conf "$n"
			fi
			sed -i 's/^  reconcile: .*/  reconcile: 1h/' "$(agent_yaml "$n")"
			agent_start "$n"
		done
		wait_until 180 all_extra idleacc:normal || fail "agents did not report"
		wait_until 120 offered_count $((N / 2)) ||
			fail "not half the desktops offered: $(sinfo -h -p desktop -o '%D %T')"
		one_switch
	) || exit 1
done
