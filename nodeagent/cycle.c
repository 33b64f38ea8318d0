/* SPDX-License-Identifier: MIT */
/* cycle.c - one turn of idleaccd's main loop: the clock its decisions run on, and the plan
 * issued (see cycle.h). */
#include "config.h"

#include <syslog.h>

#include "cycle.h"

int64_t agent_clock(struct agent_state *st, int64_t mono_ms, int64_t wall_ms)
{
	int64_t off = wall_ms - mono_ms, d = off - st->wall_off_ms;

	/* The two clocks drift apart by NTP's slewing only (at most 0.5 ms a second): a jump
	 * of the offset is a step (NTP at boot, an admin's date -s). */
	if (st->wall_off_ms && (d > AGENT_CLOCK_STEP_MS || d < -AGENT_CLOCK_STEP_MS)) {
		st->clock_steps++;
		st->clock_step_ms = d;
	}
	st->wall_off_ms = off;
	return mono_ms;
}

int64_t agent_wall_ms(const struct agent_state *st, int64_t mono_ms)
{
	return mono_ms ? mono_ms + st->wall_off_ms : 0;
}

/*
 * Actions planned at once: a cycle plans in batches of this many and plans again for the
 * rest. Each action issued is marked in flight (or done, for those without a call), so the
 * next batch holds only what is still due: a node with every job running gets a suspend for
 * each of them in the same cycle, whatever the number.
 */
#define CYCLE_BATCH 32

/* More batches than the most actions ever due at once need: a planner bug, not a big node. */
#define CYCLE_ROUNDS ((3 + AGENT_MAX_JOBS + AGENT_MAX_REFUSED) / CYCLE_BATCH + 2)

/* The [n] actions of [acts] were not queued: none of their calls is in flight. */
static void unintend(struct agent_state *st, const struct agent_action *acts, int n)
{
	struct agent_tjob *j;
	int i;

	for (i = 0; i < n; i++)
		if (acts[i].kind == AGENT_ACT_SUSPEND && (j = agent_job_find(st, acts[i].job)))
			j->suspend_asked_ms = 0;
}

int agent_cycle(struct agent_state *st, const struct agent_params *p, int64_t now_ms,
		const struct agent_cycle_ops *ops)
{
	struct agent_action acts[CYCLE_BATCH];
	int i, n, total = 0, round;
	bool save;

	for (round = 0; round < CYCLE_ROUNDS; round++) {
		n = agent_plan(st, p, now_ms, acts, CYCLE_BATCH);
		/* What a crash during the calls must not lose is on disk first: one write for the
		 * batch, not one per job. */
		for (i = 0, save = false; i < n; i++)
			save |= agent_intend(st, &acts[i], now_ms);
		if (save && ops->save)
			ops->save(ops->arg);
		for (i = 0; i < n; i++) {
			if (acts[i].kind != AGENT_ACT_STAND_ASIDE &&
			    acts[i].kind != AGENT_ACT_KEEP && ops->push(ops->arg, &acts[i]) < 0) {
				unintend(st, acts + i, n - i);
				return -1;
			}
			agent_issue(st, &acts[i], now_ms);
			if (ops->issued)
				ops->issued(ops->arg, &acts[i]);
			total++;
		}
		if (n < CYCLE_BATCH)
			return total;
	}
	agent_note(st, now_ms, LOG_ERR, false,
		   "%d actions issued in one cycle and more still due: the rest follow in the"
		   " next cycle",
		   total);
	return -1;
}
