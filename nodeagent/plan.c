/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the agent's decisions: which Slurm calls to make for a verdict, when the next one
 * falls due, the console user's hold, and what the jobs' processes on the desktop must be.
 * What a call's result means is apply.c's, the launch guard and the job notices guard.c's.
 * Pure functions over struct agent_state; the daemon does the I/O.
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
 *   5. The launch guard (admit, guard.c) says yes only when the desktop is offered, not held
 *      and ours; a refusal redrains the node. The jobs refused here get this node back in their
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
#include "plan.h"
#include "plan_int.h"
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

/* The node is drained as far as planning goes: as last read, unless a refused launch showed
 * that slurmctld sees it up (st->redrain). */
static bool drained(const struct agent_state *st)
{
	return st->node.drain && !st->redrain;
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

	if (!drained(st) || !ours(st->node.reason) || is_hold_reason(st->node.reason))
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
		if (!drained(st) || !is_hold_reason(nd->reason)) {
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
		if (!drained(st) || is_hold_reason(nd->reason) ||
		    (reason_differs(st) && now_ms >= st->reason_ms + AGENT_REASON_MIN_MS)) {
			a = add(acts, max, n, AGENT_ACT_DRAIN, 0);
			if (a) {
				agent_drain_reason(&st->verdict, a->reason, sizeof(a->reason));
				rkey_of(&st->verdict, &a->rkey);
			}
		}
	} else if (drained(st)) {
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
		if (now_ms >= agent_job_due(p, j))
			add(acts, max, n,
			    j->fate == AGENT_JOB_WARN_REQUEUE ? AGENT_ACT_REQUEUE
							      : AGENT_ACT_CANCEL,
			    j->id);
		break;
	case AGENT_JOB_SUSPENDED:
		if (!stop)
			add(acts, max, n, AGENT_ACT_RESUME_JOB, j->id);
		else if (now_ms >= agent_job_due(p, j))
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
	    drained(st) || st->node_busy)
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

struct agent_refused *agent_refused_find(struct agent_state *st, uint32_t id)
{
	size_t i;

	for (i = 0; i < st->nrefused; i++)
		if (st->refused[i].id == id)
			return &st->refused[i];
	return NULL;
}

void agent_refused_drop(struct agent_state *st, struct agent_refused *r)
{
	size_t i = (size_t)(r - st->refused);

	memmove(&st->refused[i], &st->refused[i + 1],
		(st->nrefused - i - 1) * sizeof(st->refused[0]));
	st->nrefused--;
	st->dirty = true;
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

		earliest(&best, j->retry_ms, now_ms);
		earliest(&best, agent_job_due(p, j), now_ms);
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

void agent_hold_set(struct agent_state *st, uint32_t uid, const char *user, int64_t len_ms,
		    int64_t now_ms)
{
	char a[32], at[16];

	st->hold_until_ms = now_ms + len_ms;
	st->hold_uid = uid;
	snprintf(st->hold_user, sizeof(st->hold_user), "%s", user);
	hhmm(agent_wall_ms(st, st->hold_until_ms), at, sizeof(at));
	snprintf(st->hold_reason, sizeof(st->hold_reason), "%s%s until %s", AGENT_HOLD_PREFIX,
		 st->hold_user, at);
	if (!st->stop_since_ms)
		st->stop_since_ms = now_ms;
	st->dirty = true;
	agent_note(st, now_ms, LOG_NOTICE, true, "hold by %s (uid %" PRIu32 ") until %s (%s)",
		   st->hold_user, uid, at, idle_format_duration(len_ms / 1000, a, sizeof(a)));
}

void agent_hold_end(struct agent_state *st, const char *by, int64_t now_ms)
{
	agent_note(st, now_ms, LOG_NOTICE, true, "hold by %s released by %s", st->hold_user, by);
	st->hold_until_ms = 0;
	st->hold_uid = 0;
	st->hold_user[0] = st->hold_reason[0] = '\0';
	if (st->have_verdict && st->verdict.run)
		st->stop_since_ms = 0;
	st->dirty = true;
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
	if (!j->local_stop) {
		j->local_stop_ms = now_ms;
		st->dirty = true; /* a restarted agent must know whom it stopped */
	}
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
	st->dirty = true;
}
