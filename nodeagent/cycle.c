/* SPDX-License-Identifier: MIT */
/* cycle.c - one turn of idleaccd's main loop: the clock its decisions run on, and the plan
 * issued (see cycle.h). */
#include "config.h"

#include "cycle.h"

int64_t agent_clock(struct agent_state *st, int64_t mono_ms, int64_t wall_ms)
{
	(void)st;
	(void)mono_ms;
	return wall_ms;
}

int agent_cycle(struct agent_state *st, const struct agent_params *p, int64_t now_ms,
		const struct agent_cycle_ops *ops)
{
	struct agent_action acts[64];
	int i, n;

	n = agent_plan(st, p, now_ms, acts, 64);
	for (i = 0; i < n; i++) {
		if (acts[i].kind != AGENT_ACT_STAND_ASIDE && acts[i].kind != AGENT_ACT_KEEP &&
		    ops->push(ops->arg, &acts[i]) < 0)
			return -1;
		agent_issue(st, &acts[i], now_ms);
		if (ops->issued)
			ops->issued(ops->arg, &acts[i]);
	}
	return n;
}
