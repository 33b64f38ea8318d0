/* SPDX-License-Identifier: MIT */
/*
 * plan_int.h - what the planner's files (plan.c, apply.c, guard.c) share beyond plan.h: the
 * table of jobs refused here.
 */
#ifndef AGENT_PLAN_INT_H
#define AGENT_PLAN_INT_H

#include "plan.h"

/* The refused job [id], NULL if it is not remembered. */
struct agent_refused *agent_refused_find(struct agent_state *st, uint32_t id);

/* Forgets [r] (an entry of st->refused); the state file changes. */
void agent_refused_drop(struct agent_state *st, struct agent_refused *r);

#endif /* AGENT_PLAN_INT_H */
