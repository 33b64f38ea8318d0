/* SPDX-License-Identifier: MIT */
/*
 * guard.c - the SPANK plugin's side of the planner: the launch guard's answer (agent_admit),
 * which remembers each refusal and asks for the drain again, and the job-start and job-end
 * notices that make a job known here before any listing. Pure, like plan.c.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "plan.h"
#include "plan_int.h"
#include "signame.h"

bool agent_admit(struct agent_state *st, uint32_t job, int64_t now_ms, char *reason, size_t len)
{
	struct agent_refused *rf;

	if (!st->have_verdict)
		snprintf(reason, len, "%s owner unknown: not sampled yet", AGENT_TAG);
	else if (agent_hold_active(st, now_ms))
		snprintf(reason, len, "%s", st->hold_reason);
	else if (!st->verdict.offer)
		agent_drain_reason(&st->verdict, reason, len);
	else if (agent_node_foreign(&st->node))
		snprintf(reason, len, "node %s is %s by someone else: %s", st->name,
			 st->node.drain ? "drained" : "down", st->node.reason);
	else {
		agent_note(st, now_ms, LOG_INFO, false, "admitted job %" PRIu32, job);
		return true;
	}
	agent_note(st, now_ms, LOG_NOTICE, true, "refused job %" PRIu32 ": %s", job, reason);
	if (agent_node_foreign(&st->node)) {
		/* Not ours to drain; but slurmctld sent a job, so it may have been resumed. */
		if (!st->reconcile_busy)
			st->next_reconcile_ms = now_ms;
	} else {
		/*
		 * slurmctld just sent a job here, so whatever we last saw, the node is not drained
		 * now (an admin or the controller resumed it): plan the drain again. The node as
		 * last read stays what the status shows until it is read again.
		 */
		st->redrain = true;
	}
	rf = agent_refused_find(st, job);
	if (!rf) {
		if (st->nrefused == AGENT_MAX_REFUSED)
			agent_refused_drop(st, &st->refused[0]); /* the oldest has waited longest */
		rf = &st->refused[st->nrefused++];
		memset(rf, 0, sizeof(*rf));
		rf->id = job;
	}
	rf->ms = now_ms;
	st->dirty = true;
	return false;
}

/* A new record for [job], not seen by Slurm yet; NULL (noted) if too many jobs are tracked. */
static struct agent_tjob *job_new(struct agent_state *st, uint32_t job, int64_t now_ms)
{
	struct agent_tjob *j;

	if (st->njobs >= AGENT_MAX_JOBS) {
		agent_note(st, now_ms, LOG_ERR, false,
			   "too many jobs on the node: job %" PRIu32 " not tracked", job);
		return NULL;
	}
	j = &st->jobs[st->njobs++];
	agent_job_init(j, job, AGENT_JOB_SEEN, 0);
	return j;
}

int agent_job_started(struct agent_state *st, uint32_t job, int sig, int64_t secs, int64_t now_ms)
{
	struct agent_tjob *j = agent_job_find(st, job);
	char name[16];

	if (!j && !(j = job_new(st, job, now_ms)))
		return -1;
	if (j->fate == AGENT_JOB_REQUEUED || j->fate == AGENT_JOB_CANCELLED || !j->fate_ms) {
		/* Requeued from here earlier and started here again: a new run. */
		j->fate = AGENT_JOB_SEEN;
		j->fate_ms = now_ms;
	}
	if (j->fate == AGENT_JOB_SEEN) {
		j->running = true;
		j->suspended = false;
		snprintf(j->state, sizeof(j->state), "RUNNING");
	}
	j->noticed_ms = now_ms;
	if (j->warn_sig != sig || j->warn_secs != secs)
		st->dirty = true;
	j->warn_sig = sig;
	j->warn_secs = sig ? secs : 0;
	if (sig)
		agent_note(st, now_ms, LOG_INFO, false,
			   "job %" PRIu32 " started here (--desktop-signal %s@%" PRId64 ")", job,
			   signame_format(sig, name, sizeof(name)), secs);
	else
		agent_note(st, now_ms, LOG_INFO, false, "job %" PRIu32 " started here", job);
	return 0;
}

void agent_job_ended(struct agent_state *st, uint32_t job, int64_t now_ms)
{
	struct agent_tjob *j = agent_job_find(st, job);
	size_t i;

	if (!j) {
		agent_note(st, now_ms, LOG_DEBUG, false, "job %" PRIu32 " ended (not tracked here)",
			   job);
		return;
	}
	agent_note(st, now_ms, LOG_INFO, false, "job %" PRIu32 " ended here", job);
	if (agent_job_saved(j))
		st->dirty = true;
	i = (size_t)(j - st->jobs);
	memmove(&st->jobs[i], &st->jobs[i + 1], (st->njobs - i - 1) * sizeof(st->jobs[0]));
	st->njobs--;
}
