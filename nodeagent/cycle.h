/* SPDX-License-Identifier: MIT */
/*
 * cycle.h - one turn of idleaccd's main loop without its I/O: which clock the decisions run
 * on, and every action due planned and handed to the worker. The daemon supplies the clocks'
 * readings and the queue; the unit tests supply their own.
 */
#ifndef AGENT_CYCLE_H
#define AGENT_CYCLE_H

#include <stdint.h>

#include "plan.h"

/*
 * Takes one reading of the two clocks ([mono_ms] from clock_mono_ms(), [wall_ms] from
 * clock_wall_ms()) and returns the time the decisions run on, the now_ms of agent_plan() and
 * the others: the monotonic one. The wall clock's offset from it is kept in [st] to show our
 * times to people and to store them (agent_wall_ms()).
 */
int64_t agent_clock(struct agent_state *st, int64_t mono_ms, int64_t wall_ms);

/* A change of the wall clock's offset from the monotonic one larger than this is a step, and
 * counted in st->clock_steps: libidle's input ages, which are wall-clock, are off by it. */
#define AGENT_CLOCK_STEP_MS 2000

/* [mono_ms], one of our times, on the wall clock as it was last read; 0 (none) stays 0. */
int64_t agent_wall_ms(const struct agent_state *st, int64_t mono_ms);

/* What a cycle hands its actions to. */
struct agent_cycle_ops {
	/* Queues [a] for the worker thread. Returns 0, or -1 if it could not be queued. */
	int (*push)(void *arg, const struct agent_action *a);
	/* Called after each action was issued (the daemon logs the events it noted); or NULL. */
	void (*issued)(void *arg, const struct agent_action *a);
	/* Writes the state file, before a call whose effect a crash must not lose is queued
	 * (agent_intend); or NULL. */
	void (*save)(void *arg);
	void *arg; /* passed to each */
};

/*
 * Plans what is due at [now_ms] and issues all of it, however many actions that is: the
 * actions without a call (stand aside, keep) at once, the others once [ops->push] queued them.
 * Returns how many were issued, or -1 if some could not be: a push failed, or more was due
 * than a cycle ever needs (a planner bug, noted as an event). What was not issued is still
 * due: the caller runs another cycle soon.
 */
int agent_cycle(struct agent_state *st, const struct agent_params *p, int64_t now_ms,
		const struct agent_cycle_ops *ops);

#endif /* AGENT_CYCLE_H */
