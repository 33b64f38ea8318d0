# SPDX-License-Identifier: MIT
# emergency_lib.sh - emergency mode on a cluster.sh/agent.sh cluster: the slurm.conf lines of
# conf/slurm.conf.desktop's emergency partition and preemption, and helpers for the
# agent_emergency*.test tests and tests/bench/emergency_figures.sh.
#
# Usage (bash, after cluster.sh and agent.sh):
#   . "$srcdir/integration/emergency_lib.sh"
#   emergency_cluster_start 4 || exit 1
#   AGENT_YAML_EXTRA=$EMERGENCY_YAML agent_start d1
#   $IDLEACC emergency on --reason "flood" -c "$(agent_yaml d1)"

# The emergency partition over every desktop, above the research partition (desktop), which
# its jobs preempt by suspending them (gang): as in conf/slurm.conf.desktop.
EMERGENCY_CONF_LINES=(
	"PreemptType=preempt/partition_prio"
	"PreemptMode=SUSPEND,GANG"
)

# The emergency: section the agents of these tests run with: idle desktops offered at once.
EMERGENCY_YAML='emergency:
  partition: emergency
  idle_after: 1s
  locked_idle_after: 1s
  resume_after: 1s'

# emergency_cluster_start N [LINE...]: agent_cluster_start with the emergency partition (DOWN:
# the switch is off) and preemption.
emergency_cluster_start()
{
	local n=$1
	shift
	CLUSTER_PART_OPTS="OverSubscribe=FORCE:1 PriorityTier=1" agent_cluster_start "$n" \
		"${EMERGENCY_CONF_LINES[@]}" \
		"PartitionName=emergency Nodes=d[1-$n] MaxTime=INFINITE State=DOWN PriorityTier=10 OverSubscribe=FORCE:1" \
		"$@"
}

agent_yaml()
{
	echo "$CLUSTER_DIR/agent-$1/idleacc.yaml"
}

# emergency_cli ARGS...: idleacc emergency ARGS with the test agents' configuration.
emergency_cli()
{
	"$IDLEACC" emergency "$@" -c "$(agent_yaml d1)"
}

# node_extra NODE: the node's Extra field, where its agent reports its mode.
node_extra()
{
	scontrol show node "$1" | sed -n 's/^ *Extra=//p'
}

# extra_is NODE TEXT
extra_is()
{
	[ "$(node_extra "$1")" = "$2" ]
}

partition_state()
{
	scontrol show partition "$1" | sed -n 's/.* State=\([A-Z]*\).*/\1/p'
}

# status_has TEXT: idleacc emergency status prints a line that is exactly TEXT.
status_has()
{
	emergency_cli status 2>&1 | grep -qxF -- "$1"
}
