/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the agent's decisions: which Slurm calls to make for a verdict, and what each
 * result means. Pure functions over struct agent_state; the daemon does the I/O.
 *
 * The rules, in order of authority:
 *   1. A node drained or down with a reason that does not start with "IDLEACC:" belongs to
 *      someone else (an admin, NHC, Slurm itself): we never resume it and never overwrite
 *      its reason; we note it once and stand aside until it is resumed (as NHC does).
 *   2. A hold by the console user keeps the node drained with the hold's reason.
 *   3. Otherwise the verdict decides: offer -> resumed; anything else -> drained with the
 *      verdict's reasons. The reason is written when the state changes, not on every
 *      sample, so one call per transition.
 *   4. Jobs: while the owner is back (verdict not "run") or a hold is on, running jobs are
 *      handled by the policy's on_owner_return; jobs we suspended are resumed once the
 *      verdict says "run" again. Jobs are listed once when the owner comes back (and on each
 *      reconcile), never per sample. Jobs the SPANK plugin announced (job-start) are acted on
 *      at once, before that listing, which then catches the jobs it did not announce.
 *   5. The launch guard (admit) says yes only when the desktop is offered, not held and ours;
 *      a refusal redrains the node. The jobs refused here get this node back in their
 *      allowed nodes once the desktop is offered again.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "cycle.h"
#include "ctl.h"
#include "plan.h"
#include "signame.h"

void agent_state_init(struct agent_state *st, const char *node)
{
	/*
	 * The job table and the event ring (most of the structure's 50 KiB) are read only below
	 * njobs and nevents, and every entry is cleared when it is taken: leaving them alone keeps
	 * their pages untouched (the daemon's is in zeroed .bss) until they are used.
	 */
	_Static_assert(
	    offsetof(struct agent_state, jobs) < offsetof(struct agent_state, nrefused) &&
		offsetof(struct agent_state, nrefused) < offsetof(struct agent_state, events) &&
		offsetof(struct agent_state, dirty) > offsetof(struct agent_state, events),
	    "agent_state_init() relies on this field order");
	memset(st, 0, offsetof(struct agent_state, jobs));
	memset(&st->nrefused, 0,
	       offsetof(struct agent_state, events) - offsetof(struct agent_state, nrefused));
	st->dirty = false;
	st->node_rkey.n = -1;
	snprintf(st->name, sizeof(st->name), "%s", node);
	st->online = true; /* until a call says otherwise */
}

void agent_note(struct agent_state *st, int64_t now_ms, int prio, bool transition, const char *fmt,
		...)
{
	struct agent_event *e = &st->events[st->nevents % AGENT_MAX_EVENTS];
	va_list ap;

	e->ms = agent_wall_ms(st, now_ms);
	e->prio = prio;
	e->transition = transition;
	va_start(ap, fmt);
	if (vsnprintf(e->text, sizeof(e->text), fmt, ap) < 0)
		e->text[0] = '\0';
	va_end(ap);
	st->nevents++;
}

static bool ours(const char *reason)
{
	return strncmp(reason, AGENT_TAG, strlen(AGENT_TAG)) == 0;
}

static bool is_hold_reason(const char *reason)
{
	return strncmp(reason, AGENT_HOLD_PREFIX, strlen(AGENT_HOLD_PREFIX)) == 0;
}

bool agent_node_foreign(const struct agent_node *n)
{
	return (n->drain || n->down) && !ours(n->reason);
}

char *agent_drain_reason(const struct idle_verdict *v, char *buf, size_t len)
{
	char r[IDLE_MAX_REASONS * IDLE_REASON_LEN];
	size_t n;

	idle_verdict_reasons(v, r, sizeof(r));
	if (!r[0])
		snprintf(r, sizeof(r), "owner %s", idle_owner_name(v->owner));
	n = (size_t)snprintf(buf, len, "%s %s", AGENT_TAG, r);
	/* Slurm keeps reasons short; a cut reason says so rather than ending mid-word. */
	if (n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

/* What the reason agent_drain_reason() writes for [v] says, numbers aside. */
static void rkey_of(const struct idle_verdict *v, struct agent_rkey *k)
{
	k->n = v->nreasons < IDLE_MAX_REASONS ? v->nreasons : IDLE_MAX_REASONS;
	memcpy(k->codes, v->codes, sizeof(k->codes));
}

static bool rkey_eq(const struct agent_rkey *a, const struct agent_rkey *b)
{
	return a->n >= 0 && a->n == b->n && !memcmp(a->codes, b->codes, (size_t)a->n);
}

/*
 * Our drain reason in Slurm no longer says what the verdict says (an age reached the limit it
 * is quoted against, a reading crossed its limit, a source failed or came back), or this run
 * did not write it. The ages it quotes are as of its own time, which sinfo -R shows.
 */
static bool reason_differs(const struct agent_state *st)
{
	struct agent_rkey k;

	if (!st->node.drain || !ours(st->node.reason) || is_hold_reason(st->node.reason))
		return false;
	rkey_of(&st->verdict, &k);
	return !rkey_eq(&st->node_rkey, &k);
}

bool agent_hold_active(const struct agent_state *st, int64_t now_ms)
{
	return st->hold_until_ms && now_ms < st->hold_until_ms;
}

/* Jobs must stop: the owner is back (or unknown), or a hold is on. */
static bool must_stop(const struct agent_state *st, int64_t now_ms)
{
	return agent_hold_active(st, now_ms) || !st->have_verdict || !st->verdict.run;
}

void agent_observe(struct agent_state *st, const struct idle_verdict *v, int64_t now_ms)
{
	bool changed = !st->have_verdict || st->verdict.owner != v->owner ||
		       st->verdict.offer != v->offer || st->verdict.run != v->run;
	char r[IDLE_MAX_REASONS * IDLE_REASON_LEN];

	if (st->hold_until_ms && now_ms >= st->hold_until_ms) {
		agent_note(st, now_ms, LOG_NOTICE, true, "hold by %s ended", st->hold_user);
		st->hold_until_ms = 0;
		st->hold_uid = 0;
		st->hold_user[0] = st->hold_reason[0] = '\0';
		st->dirty = true;
	}
	st->verdict = *v;
	st->have_verdict = true;
	if (changed)
		agent_note(st, now_ms, LOG_INFO, false, "owner %s, offer %s, run %s: %s",
			   idle_owner_name(v->owner), v->offer ? "yes" : "no",
			   v->run ? "yes" : "no", idle_verdict_reasons(v, r, sizeof(r)));
	if (must_stop(st, now_ms)) {
		if (!st->stop_since_ms)
			st->stop_since_ms = now_ms;
	} else {
		st->stop_since_ms = 0;
	}
}

static struct agent_action *add(struct agent_action *acts, int max, int *n, enum agent_act kind,
				uint32_t job)
{
	struct agent_action *a;

	if (*n >= max)
		return NULL;
	a = &acts[(*n)++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->job = job;
	return a;
}

static void plan_node(const struct agent_state *st, int64_t now_ms, struct agent_action *acts,
		      int max, int *n)
{
	const struct agent_node *nd = &st->node;
	struct agent_action *a;

	if (agent_node_foreign(nd)) {
		if (!st->aside)
			add(acts, max, n, AGENT_ACT_STAND_ASIDE, 0);
		return;
	}
	if (st->node_busy || now_ms < st->node_retry_ms)
		return;
	if (agent_hold_active(st, now_ms)) {
		if (!nd->drain || !is_hold_reason(nd->reason)) {
			a = add(acts, max, n, AGENT_ACT_DRAIN, 0);
			if (a) {
				snprintf(a->reason, sizeof(a->reason), "%s", st->hold_reason);
				a->rkey.n = -1;
			}
		}
	} else if (!st->verdict.offer) {
		/* A hold just ended while the owner is here: the reason must say so; and a
		 * reason that stopped being true is rewritten, at most every AGENT_REASON_MIN_MS.
		 */
		if (!nd->drain || is_hold_reason(nd->reason) ||
		    (reason_differs(st) && now_ms >= st->reason_ms + AGENT_REASON_MIN_MS)) {
			a = add(acts, max, n, AGENT_ACT_DRAIN, 0);
			if (a) {
				agent_drain_reason(&st->verdict, a->reason, sizeof(a->reason));
				rkey_of(&st->verdict, &a->rkey);
			}
		}
	} else if (nd->drain) {
		add(acts, max, n, AGENT_ACT_RESUME, 0);
	}
}

static void plan_job(const struct agent_state *st, const struct agent_params *p,
		     const struct agent_tjob *j, bool stop, bool fresh, int64_t now_ms,
		     struct agent_action *acts, int max, int *n)
{
	const struct idle_policy *pol = &p->pol;
	struct agent_action *a;
	int64_t grace;
	int sig;

	(void)st;
	switch (j->fate) {
	case AGENT_JOB_WARN_REQUEUE:
	case AGENT_JOB_WARN_CANCEL:
		/* The job was told; the requeue or cancel follows even if the owner left. */
		agent_job_warning(p, j, &sig, &grace);
		if (now_ms - j->fate_ms >= grace * 1000)
			add(acts, max, n,
			    j->fate == AGENT_JOB_WARN_REQUEUE ? AGENT_ACT_REQUEUE
							      : AGENT_ACT_CANCEL,
			    j->id);
		break;
	case AGENT_JOB_SUSPENDED:
		if (!stop)
			add(acts, max, n, AGENT_ACT_RESUME_JOB, j->id);
		else if (now_ms - j->suspended_ms >= pol->max_suspend * 1000)
			add(acts, max, n, j->can_requeue ? AGENT_ACT_REQUEUE : AGENT_ACT_KEEP,
			    j->id);
		break;
	case AGENT_JOB_KEPT:
		if (!stop)
			add(acts, max, n, AGENT_ACT_RESUME_JOB, j->id);
		break;
	case AGENT_JOB_SEEN:
		/*
		 * Only act on a listing made after the owner came back: older ones may be stale.
		 * A job the plugin announced is known to run here until its job-end.
		 */
		if (!stop || !j->running || !(fresh || j->noticed_ms))
			break;
		agent_job_warning(p, j, &sig, &grace);
		switch (pol->on_owner_return) {
		case IDLE_RETURN_DRAIN:
			break;
		case IDLE_RETURN_SUSPEND:
			add(acts, max, n, AGENT_ACT_SUSPEND, j->id);
			break;
		case IDLE_RETURN_REQUEUE:
			if (!j->can_requeue) {
				/* Never kill work the user asked not to requeue: park it. */
				a = add(acts, max, n, AGENT_ACT_SUSPEND, j->id);
				if (a)
					a->keep = true;
			} else if (sig > 0) {
				a = add(acts, max, n, AGENT_ACT_SIGNAL, j->id);
				if (a) {
					a->sig = sig;
					a->then = AGENT_ACT_REQUEUE;
				}
			} else {
				add(acts, max, n, AGENT_ACT_REQUEUE, j->id);
			}
			break;
		case IDLE_RETURN_CANCEL:
			if (sig > 0) {
				a = add(acts, max, n, AGENT_ACT_SIGNAL, j->id);
				if (a) {
					a->sig = sig;
					a->then = AGENT_ACT_CANCEL;
				}
			} else {
				add(acts, max, n, AGENT_ACT_CANCEL, j->id);
			}
			break;
		}
		break;
	case AGENT_JOB_REQUEUED:
	case AGENT_JOB_CANCELLED:
		break;
	}
}

/*
 * The desktop is offered again and the node is undrained: the jobs refused here while it was
 * not may come back (the plugin added this node to their excluded nodes).
 */
static void plan_unexclude(const struct agent_state *st, int64_t now_ms, struct agent_action *acts,
			   int max, int *n)
{
	size_t i;

	if (!st->verdict.offer || agent_hold_active(st, now_ms) || agent_node_foreign(&st->node) ||
	    st->node.drain || st->node_busy)
		return;
	for (i = 0; i < st->nrefused; i++)
		if (!st->refused[i].busy && now_ms >= st->refused[i].retry_ms)
			add(acts, max, n, AGENT_ACT_UNEXCLUDE, st->refused[i].id);
}

int agent_plan(const struct agent_state *st, const struct agent_params *p, int64_t now_ms,
	       struct agent_action *acts, int max)
{
	bool reconciling = st->reconcile_busy, stop, fresh;
	int n = 0;
	size_t i;

	if (!st->online) {
		/* Decide locally; only a reconcile probes whether slurmctld is back. */
		if (!st->reconcile_busy && now_ms >= st->retry_ms)
			add(acts, max, &n, AGENT_ACT_RECONCILE, 0);
		return n;
	}
	if (!st->reconcile_busy && now_ms >= st->next_reconcile_ms) {
		add(acts, max, &n, AGENT_ACT_RECONCILE, 0);
		reconciling = true;
	}
	if (!st->node_known || !st->have_verdict)
		return n;
	plan_node(st, now_ms, acts, max, &n);

	stop = must_stop(st, now_ms);
	fresh = st->jobs_listed_ms && st->jobs_listed_ms >= st->stop_since_ms;
	if (!reconciling && !st->jobs_busy && now_ms >= st->jobs_retry_ms &&
	    (st->jobs_stale || (stop && p->pol.on_owner_return != IDLE_RETURN_DRAIN && !fresh)))
		add(acts, max, &n, AGENT_ACT_JOBS, 0);
	for (i = 0; i < st->njobs; i++) {
		const struct agent_tjob *j = &st->jobs[i];

		if (j->busy || now_ms < j->retry_ms)
			continue;
		/* Records from the state file are acted on only once a listing confirmed them. */
		if (!st->jobs_listed_ms && !j->noticed_ms)
			continue;
		plan_job(st, p, j, stop, fresh, now_ms, acts, max, &n);
	}
	plan_unexclude(st, now_ms, acts, max, &n);
	return n;
}

struct agent_tjob *agent_job_find(struct agent_state *st, uint32_t id)
{
	size_t i;

	for (i = 0; i < st->njobs; i++)
		if (st->jobs[i].id == id)
			return &st->jobs[i];
	return NULL;
}

static struct agent_refused *refused_find(struct agent_state *st, uint32_t id)
{
	size_t i;

	for (i = 0; i < st->nrefused; i++)
		if (st->refused[i].id == id)
			return &st->refused[i];
	return NULL;
}

static void refused_drop(struct agent_state *st, struct agent_refused *r)
{
	size_t i = (size_t)(r - st->refused);

	memmove(&st->refused[i], &st->refused[i + 1],
		(st->nrefused - i - 1) * sizeof(st->refused[0]));
	st->nrefused--;
	st->dirty = true;
}

/* The job's record has to be in the state file: dropping it changes the file. */
static bool persistent(const struct agent_tjob *j)
{
	return j->fate == AGENT_JOB_SUSPENDED || j->fate == AGENT_JOB_KEPT ||
	       j->fate == AGENT_JOB_WARN_REQUEUE || j->fate == AGENT_JOB_WARN_CANCEL ||
	       j->warn_sig || j->suspend_asked_ms;
}

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
		rf = refused_find(st, a->job);
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
			memset(t, 0, sizeof(*t));
			t->id = sj->id;
			t->fate = AGENT_JOB_SEEN;
			t->fate_ms = now_ms;
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
			if (persistent(&st->jobs[i]))
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
		if (refused_find(st, a->job))
			refused_find(st, a->job)->busy = false;
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
		j->fate = r->act.keep ? AGENT_JOB_KEPT : AGENT_JOB_SUSPENDED;
		j->fate_ms = j->suspended_ms = now_ms;
		j->running = false;
		j->suspended = true;
		snprintf(j->state, sizeof(j->state), "SUSPENDED");
		st->dirty = true;
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
		j->fate = AGENT_JOB_SEEN;
		j->fate_ms = j->resumed_ms = now_ms;
		j->suspended_ms = 0;
		j->running = true;
		j->suspended = false;
		snprintf(j->state, sizeof(j->state), "RUNNING");
		st->dirty = true;
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
			   idle_format_duration(grace, d, sizeof(d)));
		break;
	case AGENT_ACT_REQUEUE:
		if (r->rc) {
			/* Requeue refused (--no-requeue, not batch): never kill such work. */
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
				   "job %" PRIu32 " cannot be requeued (%s): kept suspended until"
				   " the owner leaves",
				   j->id, r->err);
			break;
		}
		j->fate = AGENT_JOB_REQUEUED;
		j->fate_ms = now_ms;
		j->running = j->suspended = false;
		snprintf(j->state, sizeof(j->state), "REQUEUED");
		st->dirty = true;
		agent_note(st, now_ms, LOG_NOTICE, true, "requeued job %" PRIu32 " (owner back)",
			   j->id);
		break;
	case AGENT_ACT_CANCEL:
		j->fate = AGENT_JOB_CANCELLED;
		j->fate_ms = now_ms;
		j->running = j->suspended = false;
		snprintf(j->state, sizeof(j->state), "CANCELLED");
		st->dirty = true;
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
	struct agent_refused *rf = refused_find(st, r->act.job);

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
	refused_drop(st, rf);
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
			int64_t every = p->reconcile * 1000;

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

static void earliest(int64_t *best, int64_t t, int64_t now_ms)
{
	if (t > now_ms && (!*best || t < *best))
		*best = t;
}

int64_t agent_deadline(const struct agent_state *st, const struct agent_params *p, int64_t now_ms)
{
	int64_t best = 0;
	size_t i;

	if (!st->online) {
		earliest(&best, st->retry_ms, now_ms);
	} else {
		earliest(&best, st->next_reconcile_ms, now_ms);
		earliest(&best, st->node_retry_ms, now_ms);
		earliest(&best, st->jobs_retry_ms, now_ms);
		if (reason_differs(st) && !st->verdict.offer)
			earliest(&best, st->reason_ms + AGENT_REASON_MIN_MS, now_ms);
	}
	earliest(&best, st->hold_until_ms, now_ms);
	for (i = 0; i < st->njobs; i++) {
		const struct agent_tjob *j = &st->jobs[i];
		int64_t grace;
		int sig;

		earliest(&best, j->retry_ms, now_ms);
		agent_job_warning(p, j, &sig, &grace);
		if (j->fate == AGENT_JOB_SUSPENDED)
			earliest(&best, j->suspended_ms + p->pol.max_suspend * 1000, now_ms);
		else if (j->fate == AGENT_JOB_WARN_REQUEUE || j->fate == AGENT_JOB_WARN_CANCEL)
			earliest(&best, j->fate_ms + grace * 1000, now_ms);
	}
	for (i = 0; i < st->nrefused; i++)
		earliest(&best, st->refused[i].retry_ms, now_ms);
	return best;
}

static void hhmm(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%H:%M", &tm))
		snprintf(buf, len, "?");
}

#define REFUSED_RIGHTS CTL_REFUSED ": only root or the console user may hold this desktop"

int agent_hold(struct agent_state *st, uint32_t uid, const char *user, bool console, int64_t secs,
	       int64_t max_hold, int64_t now_ms, char *resp, size_t len)
{
	char a[32], b[32], at[16];

	if (uid != 0 && !console) {
		snprintf(resp, len, REFUSED_RIGHTS);
		return -1;
	}
	if (secs <= 0) {
		snprintf(resp, len, CTL_ERROR ": a hold needs a duration above 0");
		return -1;
	}
	if (max_hold <= 0) {
		snprintf(resp, len, CTL_REFUSED ": holds are turned off here (max_hold 0)");
		return -1;
	}
	if (secs > max_hold) {
		snprintf(resp, len, CTL_REFUSED ": a hold of %s is longer than max_hold (%s)",
			 idle_format_duration(secs, a, sizeof(a)),
			 idle_format_duration(max_hold, b, sizeof(b)));
		return -1;
	}
	st->hold_until_ms = now_ms + secs * 1000;
	st->hold_uid = uid;
	snprintf(st->hold_user, sizeof(st->hold_user), "%s", user);
	hhmm(agent_wall_ms(st, st->hold_until_ms), at, sizeof(at));
	snprintf(st->hold_reason, sizeof(st->hold_reason), "%s%s until %s", AGENT_HOLD_PREFIX,
		 st->hold_user, at);
	if (!st->stop_since_ms)
		st->stop_since_ms = now_ms;
	st->dirty = true;
	agent_note(st, now_ms, LOG_NOTICE, true, "hold by %s (uid %" PRIu32 ") until %s (%s)",
		   st->hold_user, uid, at, idle_format_duration(secs, a, sizeof(a)));
	snprintf(resp, len, CTL_OK ": held by %s until %s", st->hold_user, at);
	return 0;
}

int agent_release(struct agent_state *st, uint32_t uid, const char *user, bool console,
		  int64_t now_ms, char *resp, size_t len)
{
	if (uid != 0 && !console) {
		snprintf(resp, len, REFUSED_RIGHTS);
		return -1;
	}
	if (!agent_hold_active(st, now_ms)) {
		snprintf(resp, len, CTL_OK ": no hold");
		return 0;
	}
	agent_note(st, now_ms, LOG_NOTICE, true, "hold by %s released by %s", st->hold_user, user);
	snprintf(resp, len, CTL_OK ": hold by %s released", st->hold_user);
	st->hold_until_ms = 0;
	st->hold_uid = 0;
	st->hold_user[0] = st->hold_reason[0] = '\0';
	if (st->have_verdict && st->verdict.run)
		st->stop_since_ms = 0;
	st->dirty = true;
	return 0;
}

const char *agent_act_name(enum agent_act a)
{
	static const char *const names[AGENT_ACT_COUNT] = {
	    [AGENT_ACT_RECONCILE] = "reconcile", [AGENT_ACT_JOBS] = "list jobs",
	    [AGENT_ACT_DRAIN] = "drain",	 [AGENT_ACT_RESUME] = "resume",
	    [AGENT_ACT_SUSPEND] = "suspend",	 [AGENT_ACT_RESUME_JOB] = "resume",
	    [AGENT_ACT_SIGNAL] = "signal",	 [AGENT_ACT_REQUEUE] = "requeue",
	    [AGENT_ACT_CANCEL] = "cancel",	 [AGENT_ACT_STAND_ASIDE] = "stand aside",
	    [AGENT_ACT_KEEP] = "keep",		 [AGENT_ACT_UNEXCLUDE] = "unexclude",
	};

	return (unsigned)a < AGENT_ACT_COUNT ? names[a] : "?";
}

const char *agent_fate_name(enum agent_fate f)
{
	switch (f) {
	case AGENT_JOB_SEEN:
		return "seen";
	case AGENT_JOB_SUSPENDED:
		return "suspended";
	case AGENT_JOB_KEPT:
		return "kept";
	case AGENT_JOB_WARN_REQUEUE:
		return "warn-requeue";
	case AGENT_JOB_WARN_CANCEL:
		return "warn-cancel";
	case AGENT_JOB_REQUEUED:
		return "requeued";
	case AGENT_JOB_CANCELLED:
		return "cancelled";
	}
	return "?";
}

void agent_job_warning(const struct agent_params *p, const struct agent_tjob *j, int *sig,
		       int64_t *grace)
{
	*sig = p->pol.warn_signal;
	*grace = p->pol.warn_grace;
	if (!j->warn_sig)
		return;
	/* The job picks its signal and may shorten the grace, never lengthen the owner's wait. */
	*sig = j->warn_sig;
	if (j->warn_secs < *grace)
		*grace = j->warn_secs;
}

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
		 * now (an admin or the controller resumed it): plan the drain again.
		 */
		st->node.drain = false;
	}
	rf = refused_find(st, job);
	if (!rf) {
		if (st->nrefused == AGENT_MAX_REFUSED)
			refused_drop(st, &st->refused[0]); /* the oldest has waited longest */
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
	memset(j, 0, sizeof(*j));
	j->id = job;
	/* Until a listing says otherwise: a refused requeue falls back to keeping it. */
	j->can_requeue = true;
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
	if (persistent(j))
		st->dirty = true;
	i = (size_t)(j - st->jobs);
	memmove(&st->jobs[i], &st->jobs[i + 1], (st->njobs - i - 1) * sizeof(st->jobs[0]));
	st->njobs--;
}

bool agent_local_stopping(const struct agent_state *st, const struct agent_params *p,
			  int64_t now_ms)
{
	return must_stop(st, now_ms) && p->pol.on_owner_return != IDLE_RETURN_DRAIN;
}

/* The job was let run on purpose while the owner is back, or is being ended by Slurm. */
static bool let_run(const struct agent_tjob *j)
{
	return j->fate == AGENT_JOB_WARN_REQUEUE || j->fate == AGENT_JOB_WARN_CANCEL ||
	       j->fate == AGENT_JOB_REQUEUED || j->fate == AGENT_JOB_CANCELLED;
}

enum agent_local agent_local_want(const struct agent_state *st, const struct agent_params *p,
				  uint32_t job, int64_t now_ms)
{
	const struct agent_tjob *j = NULL;
	size_t i;

	for (i = 0; i < st->njobs && !j; i++)
		if (st->jobs[i].id == job)
			j = &st->jobs[i];
	if (agent_local_stopping(st, p, now_ms)) {
		/*
		 * Every job of this node (from the plugin's job-start or a listing), suspended in
		 * Slurm or not: a job SUSPENDED in Slurm whose processes run again (slurmd's
		 * SIGCONT of a resume landing after the SIGSTOP of the next suspend) is stopped
		 * again. Only a job that has to run to act on its warning, or that Slurm is
		 * ending, is let go. A job we do not know may be another node's (several slurmd
		 * on one host).
		 */
		if (!j)
			return AGENT_LOCAL_LEAVE;
		if (!let_run(j))
			return AGENT_LOCAL_STOP;
		return j->local_stop ? AGENT_LOCAL_CONT : AGENT_LOCAL_LEAVE;
	}
	/*
	 * Jobs may run. A job Slurm suspended (we, or someone else) stays stopped until Slurm
	 * resumed it (our resume's result makes it SEEN and not suspended again): our SIGCONT
	 * follows Slurm's, never precedes it. A call in flight (a suspend that may still land)
	 * is waited for.
	 */
	if (!j || !j->local_stop || j->busy || j->suspended || j->fate == AGENT_JOB_SUSPENDED ||
	    j->fate == AGENT_JOB_KEPT)
		return AGENT_LOCAL_LEAVE;
	return AGENT_LOCAL_CONT;
}

int agent_local_stopped(struct agent_state *st, uint32_t job, int n, int64_t now_ms)
{
	struct agent_tjob *j = agent_job_find(st, job);

	if (!j)
		return -1;
	if (j->fate == AGENT_JOB_SUSPENDED || j->fate == AGENT_JOB_KEPT)
		agent_note(st, now_ms, LOG_WARNING, true,
			   "job %" PRIu32 " is suspended in Slurm but %d of its processes were"
			   " running (slurmd's SIGCONT of a resume after its SIGSTOP?): stopped"
			   " them on the desktop",
			   job, n);
	else if (j->local_stop)
		agent_note(st, now_ms, LOG_NOTICE, false,
			   "job %" PRIu32 ": %d more processes running: stopped them on the"
			   " desktop",
			   job, n);
	else
		agent_note(st, now_ms, LOG_NOTICE, true,
			   "stopped job %" PRIu32 " on the desktop (%d processes, owner back);"
			   " Slurm not yet told: it still counts the job as running",
			   job, n);
	if (!j->local_stop)
		j->local_stop_ms = now_ms;
	j->local_stop = true;
	return 0;
}

void agent_local_continued(struct agent_state *st, uint32_t job, int n, int64_t now_ms)
{
	struct agent_tjob *j = agent_job_find(st, job);
	const char *why;

	if (!j || !j->local_stop)
		return;
	if (j->fate == AGENT_JOB_WARN_REQUEUE || j->fate == AGENT_JOB_WARN_CANCEL)
		why = "so it can act on its warning signal";
	else if (j->fate == AGENT_JOB_REQUEUED)
		why = "requeued in Slurm: its processes end";
	else if (j->fate == AGENT_JOB_CANCELLED)
		why = "cancelled in Slurm: its processes end";
	else if (j->resumed_ms >= j->local_stop_ms)
		why = "resumed in Slurm";
	else
		why = "the owner left before Slurm suspended it";
	agent_note(st, now_ms, LOG_NOTICE, true,
		   "continued job %" PRIu32 " on the desktop (%d processes): %s", job, n, why);
	j->local_stop = false;
	j->local_stop_ms = 0;
}
