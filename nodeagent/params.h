/* SPDX-License-Identifier: MIT */
/*
 * params.h - what the agent's decisions read besides its state: the node's policy and the
 * agent's settings, with every duration the planner counts in also given in milliseconds,
 * converted once here (the policy's durations are seconds, the agent's clocks milliseconds).
 */
#ifndef AGENT_PARAMS_H
#define AGENT_PARAMS_H

#include <stdint.h>

#include "idle.h"

struct agent_params {
	struct idle_policy pol; /* the policy of this node (its durations in seconds) */
	int64_t reconcile_ms;	/* between reconciles when nothing changes, at least 1 s */
	int64_t max_suspend_ms; /* pol.max_suspend: a job suspended this long is requeued */
	int64_t warn_grace_ms;	/* pol.warn_grace: from the warning signal to the requeue */
};

/* [s] seconds (a policy's or a request's duration) in milliseconds: the one conversion. */
static inline int64_t agent_secs_ms(int64_t s)
{
	return s * 1000;
}

/* Sets [p] from the node's policy [pol] and the reconcile period [reconcile] (seconds; below
 * 1 counts as 1). */
void agent_params_set(struct agent_params *p, const struct idle_policy *pol, int64_t reconcile);

#endif /* AGENT_PARAMS_H */
