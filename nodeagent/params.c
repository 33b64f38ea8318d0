/* SPDX-License-Identifier: MIT */
/* params.c - the decisions' parameters, their durations converted to milliseconds once. */
#include "config.h"

#include "params.h"

void agent_params_set(struct agent_params *p, const struct idle_policy *pol, int64_t reconcile)
{
	p->pol = *pol;
	p->reconcile_ms = agent_secs_ms(reconcile > 0 ? reconcile : 1);
	p->max_suspend_ms = agent_secs_ms(pol->max_suspend);
	p->warn_grace_ms = agent_secs_ms(pol->warn_grace);
}
