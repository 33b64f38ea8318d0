/* SPDX-License-Identifier: MIT */
/*
 * apply.c - the planner's other half: what issuing an action records (agent_intend,
 * agent_issue) and what the worker's result for it means for the state (agent_apply): the node
 * as read, the jobs listed, each job's new fate, the backoffs while slurmctld is unreachable or a
 * call fails. Pure, like plan.c.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "plan.h"
#include "plan_int.h"

bool agent_intend(struct agent_state *st, const struct agent_action *a, int64_t now_ms)
{
	struct agent_tjob *j;

	if (a->kind != AGENT_ACT_SUSPEND || !(j = agent_job_find(st, a->job)))
		return false;
	j->suspend_asked_ms = now_ms ? now_ms : -1; /* 0 would read as none */
	st->dirty = true;
	return true;
}

void agent_issue(struct agent_state *st, const struct agent_action *a, int64_t now_ms)
{
	struct agent_tjob *j = a->job ? agent_job_find(st, a->job) : NULL;
	struct agent_refused *rf;

	switch (a->kind) {
	case AGENT_ACT_RECONCILE:
		st->reconcile_busy = true;
		st->jobs_busy = true;
		st->jobs_asked_ms = now_ms;
		break;
	case AGENT_ACT_JOBS:
		st->jobs_busy = true;
		st->jobs_asked_ms = now_ms;
		break;
	case AGENT_ACT_DRAIN:
	case AGENT_ACT_RESUME:
		st->node_busy = true;
		break;
	case AGENT_ACT_STAND_ASIDE:
		st->aside = true;
		agent_note(st, now_ms, LOG_WARNING, true,
			   "node %s is %s by someone else (reason \"%s\", uid %" PRIu32
			   "): idleaccd stands aside until it is resumed",
			   st->name, st->node.drain ? "drained" : "down", st->node.reason,
			   st->node.reason_uid);
		break;
	case AGENT_ACT_KEEP:
		if (j) {
			j->fate = AGENT_JOB_KEPT;
			j->fate_ms = now_ms;
			st->dirty = true;
			agent_note(st, now_ms, LOG_WARNING, true,
				   "job %" PRIu32 " cannot be requeued (--no-requeue or not a batch"
				   " job): kept suspended until the owner leaves",
				   a->job);
		}
		break;
	case AGENT_ACT_UNEXCLUDE:
		rf = agent_refused_find(st, a->job);
		if (rf)
			rf->busy = true;
		break;
	default:
		if (!j)
			break;
		j->busy = true;
		/* The first move on a job since the owner came back, made before any listing. */
		if (j->noticed_ms && j->fate == AGENT_JOB_SEEN && st->stop_since_ms &&
		    st->jobs_listed_ms < st->stop_since_ms)
			agent_note(st, now_ms, LOG_INFO, false,
				   "%s job %" PRIu32 " at once: known from its job-start notice,"
				   " no listing needed",
				   agent_act_name(a->kind), a->job);
		break;
	}
}

static void set_node(struct agent_state *st, const struct agent_node *n, int64_t now_ms)
{
	if (strcmp(n->reason, st->node.reason))
		st->node_rkey.n = -1; /* not the reason we wrote last */
	st->node = *n;
	st->node_known = true;
	st->redrain = false; /* read again: what it says holds */
	st->node_seen_ms = now_ms;
	if (st->aside && !agent_node_foreign(n)) {
		st->aside = false;
		agent_note(st, now_ms, LOG_NOTICE, true,
			   "node %s is no longer drained by someone else (now %s%s): idleaccd takes"
			   " over again",
			   st->name, n->state, n->drain ? "+DRAIN" : "");
	}
}

/* A fresh listing: add new jobs, refresh known ones, forget those that left. */
static void merge_jobs(struct agent_state *st, const struct agent_job *jobs, size_t njobs,
		       int64_t now_ms)
{
	bool listed[AGENT_MAX_JOBS] = {false};
	size_t i, k, untracked = 0;
	uint32_t first_untracked = 0;

	for (i = 0; i < njobs; i++) {
		const struct agent_job *sj = &jobs[i];
		struct agent_tjob *t;

		if (!sj->running && !sj->suspended)
			continue;
		t = agent_job_find(st, sj->id);
		if (!t) {
			if (st->njobs >= AGENT_MAX_JOBS) {
				if (!untracked++)
					first_untracked = sj->id;
				continue;
			}
			t = &st->jobs[st->njobs++];
			agent_job_init(t, sj->id, AGENT_JOB_SEEN, now_ms);
		}
		listed[t - st->jobs] = true;
		snprintf(t->state, sizeof(t->state), "%s", sj->state);
		t->running = sj->running;
		t->suspended = sj->suspended;
		t->can_requeue = sj->requeueable && sj->batch;
		if (t->busy)
			continue;
		if ((t->fate == AGENT_JOB_SUSPENDED || t->fate == AGENT_JOB_KEPT) &&
		    !t->suspended) {
			agent_note(st, now_ms, LOG_NOTICE, true,
				   "job %" PRIu32 " is %s: resumed by someone else, no longer ours",
				   t->id, t->state);
			t->fate = AGENT_JOB_SEEN;
			t->fate_ms = now_ms;
			t->suspended_ms = 0;
			st->dirty = true;
		} else if (t->fate == AGENT_JOB_REQUEUED || t->fate == AGENT_JOB_CANCELLED) {
			t->fate = AGENT_JOB_SEEN;
			t->fate_ms = now_ms;
		}
	}
	for (i = 0, k = 0; i < st->njobs; i++) {
		/* Announced after the listing was asked for: the listing cannot know it yet. */
		if (!listed[i] && st->jobs[i].noticed_ms >= st->jobs_asked_ms &&
		    st->jobs[i].noticed_ms)
			listed[i] = true;
		if (!listed[i]) {
			if (agent_job_saved(&st->jobs[i]))
				st->dirty = true;
			agent_note(st, now_ms, LOG_DEBUG, false,
				   "job %" PRIu32 " is no longer on the node", st->jobs[i].id);
			continue;
		}
		if (k != i)
			st->jobs[k] = st->jobs[i];
		k++;
	}
	st->njobs = k;
	st->jobs_stale = false;
	if (untracked) {
		/* Jobs we cannot track would run on beside the owner: list again until they fit. */
		agent_note(st, now_ms, LOG_ERR, false,
			   "too many jobs on the node: %zu not tracked (job %" PRIu32
			   " first), at most %d are; listing the jobs again in %ds",
			   untracked, first_untracked, AGENT_MAX_JOBS, AGENT_RETRY_MS / 1000);
		st->jobs_stale = true;
		st->jobs_retry_ms = now_ms + AGENT_RETRY_MS;
	}
}

static int64_t backoff_next(int64_t cur)
{
	if (cur < AGENT_BACKOFF_MIN_MS)
		return AGENT_BACKOFF_MIN_MS;
	return cur * 2 > AGENT_BACKOFF_MAX_MS ? AGENT_BACKOFF_MAX_MS : cur * 2;
}

static void clear_busy(struct agent_state *st, const struct agent_action *a)
{
	struct agent_tjob *j;

	switch (a->kind) {
	case AGENT_ACT_RECONCILE:
		st->reconcile_busy = false;
		st->jobs_busy = false;
		break;
	case AGENT_ACT_JOBS:
		st->jobs_busy = false;
		break;
	case AGENT_ACT_DRAIN:
	case AGENT_ACT_RESUME:
		st->node_busy = false;
		break;
	case AGENT_ACT_UNEXCLUDE:
		if (agent_refused_find(st, a->job))
			agent_refused_find(st, a->job)->busy = false;
		break;
	default:
		j = a->job ? agent_job_find(st, a->job) : NULL;
		if (!j)
			break;
		j->busy = false;
		if (a->kind == AGENT_ACT_SUSPEND && j->suspend_asked_ms) {
			/* Done or failed: the result decides what the state file says now. */
			j->suspend_asked_ms = 0;
			st->dirty = true;
		}
		break;
	}
}

static void job_failed(struct agent_state *st, struct agent_tjob *j, const struct agent_result *r,
		       int64_t now_ms)
{
	j->retry_ms = now_ms + AGENT_RETRY_MS;
	st->jobs_stale = true;
	agent_note(st, now_ms, LOG_ERR, false, "%s job %" PRIu32 " failed: %s",
		   agent_act_name(r->act.kind), j->id, r->err);
}

/* What Slurm now shows of [j] after our call: its fate from [now_ms], its state as listed. */
static void set_fate(struct agent_state *st, struct agent_tjob *j, enum agent_fate fate,
		     const char *state, int64_t now_ms)
{
	j->fate = fate;
	j->fate_ms = now_ms;
	j->running = !strcmp(state, "RUNNING");
	j->suspended = !strcmp(state, "SUSPENDED");
	snprintf(j->state, sizeof(j->state), "%s", state);
	st->dirty = true;
}

/* Slurm refused to requeue [j] (--no-requeue, not a batch job): such work is never killed. */
static void requeue_refused(struct agent_state *st, struct agent_tjob *j,
			    const struct agent_result *r, int64_t now_ms)
{
	j->can_requeue = false;
	j->retry_ms = 0;
	if (j->fate == AGENT_JOB_SUSPENDED) {
		j->fate = AGENT_JOB_KEPT;
		j->fate_ms = now_ms;
	} else {
		j->fate = AGENT_JOB_SEEN; /* planned again: suspended and kept */
	}
	st->dirty = true;
	agent_note(st, now_ms, LOG_WARNING, true,
		   "job %" PRIu32 " cannot be requeued (%s): kept suspended until the owner leaves",
		   j->id, r->err);
}

static void apply_job(struct agent_state *st, const struct agent_params *p,
		      const struct agent_result *r, int64_t now_ms)
{
	struct agent_tjob *j = agent_job_find(st, r->act.job);
	int64_t grace;
	char d[32];
	int sig;

	if (!j) {
		agent_note(st, now_ms, LOG_DEBUG, false, "%s job %" PRIu32 ": %s (job gone)",
			   agent_act_name(r->act.kind), r->act.job, r->rc ? r->err : "done");
		return;
	}
	if (r->rc && r->act.kind != AGENT_ACT_REQUEUE) {
		job_failed(st, j, r, now_ms);
		return;
	}
	switch (r->act.kind) {
	case AGENT_ACT_SUSPEND:
		set_fate(st, j, r->act.keep ? AGENT_JOB_KEPT : AGENT_JOB_SUSPENDED, "SUSPENDED",
			 now_ms);
		j->suspended_ms = now_ms;
		if (r->act.keep)
			agent_note(st, now_ms, LOG_NOTICE, true,
				   "suspended job %" PRIu32 " (owner back); it cannot be requeued"
				   " (--no-requeue or not a batch job): kept suspended until the"
				   " owner leaves",
				   j->id);
		else
			agent_note(st, now_ms, LOG_NOTICE, true,
				   "suspended job %" PRIu32 " (owner back); requeued if still"
				   " suspended after %s",
				   j->id, idle_format_duration(p->pol.max_suspend, d, sizeof(d)));
		break;
	case AGENT_ACT_RESUME_JOB:
		agent_note(st, now_ms, LOG_NOTICE, true,
			   "resumed job %" PRIu32 " (owner away; it was suspended for %s)", j->id,
			   idle_format_duration((now_ms - j->suspended_ms) / 1000, d, sizeof(d)));
		set_fate(st, j, AGENT_JOB_SEEN, "RUNNING", now_ms);
		j->resumed_ms = now_ms;
		j->suspended_ms = 0;
		break;
	case AGENT_ACT_SIGNAL:
		j->fate = r->act.then == AGENT_ACT_CANCEL ? AGENT_JOB_WARN_CANCEL
							  : AGENT_JOB_WARN_REQUEUE;
		j->fate_ms = now_ms;
		st->dirty = true;
		agent_job_warning(p, j, &sig, &grace);
		agent_note(st, now_ms, LOG_NOTICE, true,
			   "sent signal %d to job %" PRIu32 " (owner back%s); %s in %s", r->act.sig,
			   j->id, j->warn_sig ? ", its --desktop-signal" : "",
			   r->act.then == AGENT_ACT_CANCEL ? "cancel" : "requeue",
			   idle_format_duration(grace / 1000, d, sizeof(d)));
		break;
	case AGENT_ACT_REQUEUE:
		if (r->rc) {
			requeue_refused(st, j, r, now_ms);
			break;
		}
		set_fate(st, j, AGENT_JOB_REQUEUED, "REQUEUED", now_ms);
		agent_note(st, now_ms, LOG_NOTICE, true, "requeued job %" PRIu32 " (owner back)",
			   j->id);
		break;
	case AGENT_ACT_CANCEL:
		set_fate(st, j, AGENT_JOB_CANCELLED, "CANCELLED", now_ms);
		agent_note(st, now_ms, LOG_NOTICE, true, "cancelled job %" PRIu32 " (owner back)",
			   j->id);
		break;
	default:
		break;
	}
}

static void apply_node_op(struct agent_state *st, const struct agent_result *r, int64_t now_ms)
{
	char b[16];

	if (r->rc) {
		st->node_backoff_ms = backoff_next(st->node_backoff_ms);
		st->node_retry_ms = now_ms + st->node_backoff_ms;
		st->next_reconcile_ms = now_ms; /* the node may have changed under us */
		agent_note(st, now_ms, LOG_ERR, false, "%s %s failed: %s; retrying in %s",
			   agent_act_name(r->act.kind), st->name, r->err,
			   idle_format_duration(st->node_backoff_ms / 1000, b, sizeof(b)));
		return;
	}
	st->node_backoff_ms = 0;
	if (r->have_node)
		set_node(st, &r->node, now_ms);
	if (r->skipped)
		return; /* someone else's node: plan stands aside; or nothing to do */
	if (r->act.kind == AGENT_ACT_DRAIN) {
		st->node_rkey = r->act.rkey;
		st->reason_ms = now_ms;
		agent_note(st, now_ms, LOG_NOTICE, true, "drained %s: %s", st->name, r->act.reason);
	} else
		agent_note(st, now_ms, LOG_NOTICE, true, "resumed %s", st->name);
}

static void apply_unexclude(struct agent_state *st, const struct agent_result *r, int64_t now_ms)
{
	struct agent_refused *rf = agent_refused_find(st, r->act.job);

	if (!rf)
		return;
	if (r->rc) {
		rf->retry_ms = now_ms + AGENT_RETRY_MS;
		agent_note(st, now_ms, LOG_ERR, false, "%s", r->err);
		return;
	}
	/* Done, or nothing left to do: the job runs elsewhere, ended, or was changed by hand. */
	if (!r->skipped)
		agent_note(st, now_ms, LOG_NOTICE, true,
			   "job %" PRIu32 " refused here earlier may run on %s again (removed from"
			   " its excluded nodes)",
			   rf->id, st->name);
	agent_refused_drop(st, rf);
}

void agent_apply(struct agent_state *st, const struct agent_params *p, const struct agent_result *r,
		 int64_t now_ms)
{
	char b[16];

	clear_busy(st, &r->act);
	if (r->rc && r->unreachable) {
		snprintf(st->last_error, sizeof(st->last_error), "%s", r->err);
		if (st->online) {
			st->online = false;
			st->offline_since_ms = now_ms;
			st->backoff_ms = AGENT_BACKOFF_MIN_MS;
			agent_note(st, now_ms, LOG_WARNING, false,
				   "slurmctld unreachable (%s): deciding locally, retrying",
				   r->err);
		} else if (r->act.kind == AGENT_ACT_RECONCILE) {
			st->backoff_ms = backoff_next(st->backoff_ms);
		}
		st->retry_ms = now_ms + st->backoff_ms;
		return;
	}
	if (!st->online) {
		agent_note(
		    st, now_ms, LOG_NOTICE, false,
		    "slurmctld reachable again after %s: reconciling",
		    idle_format_duration((now_ms - st->offline_since_ms) / 1000, b, sizeof(b)));
		st->online = true;
		st->offline_since_ms = 0;
		st->backoff_ms = 0;
		if (r->act.kind != AGENT_ACT_RECONCILE)
			st->next_reconcile_ms = now_ms;
	}
	if (r->rc)
		snprintf(st->last_error, sizeof(st->last_error), "%s", r->err);

	switch (r->act.kind) {
	case AGENT_ACT_RECONCILE:
	case AGENT_ACT_JOBS:
		if (r->have_node)
			set_node(st, &r->node, now_ms);
		if (r->have_jobs) {
			merge_jobs(st, r->jobs, r->njobs, now_ms);
			st->jobs_listed_ms = st->jobs_asked_ms ? st->jobs_asked_ms : now_ms;
		}
		if (r->rc) {
			agent_note(st, now_ms, LOG_ERR, false, "%s %s failed: %s",
				   agent_act_name(r->act.kind), st->name, r->err);
			st->jobs_retry_ms = now_ms + AGENT_RETRY_MS;
		}
		if (r->act.kind == AGENT_ACT_RECONCILE) {
			int64_t every = p->reconcile_ms;

			if (r->rc)
				every = AGENT_BACKOFF_MAX_MS;
			else if (agent_node_foreign(&st->node) && every > AGENT_ASIDE_RECONCILE_MS)
				every = AGENT_ASIDE_RECONCILE_MS;
			st->next_reconcile_ms = now_ms + every;
		}
		break;
	case AGENT_ACT_DRAIN:
	case AGENT_ACT_RESUME:
		apply_node_op(st, r, now_ms);
		break;
	case AGENT_ACT_UNEXCLUDE:
		apply_unexclude(st, r, now_ms);
		break;
	default:
		apply_job(st, p, r, now_ms);
		break;
	}
}
