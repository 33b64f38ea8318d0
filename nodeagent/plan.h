/* SPDX-License-Identifier: MIT */
/*
 * plan.h - the agent's state and its pure decisions: from (verdict, state, policy, now) to the
 * Slurm actions to take (plan.c), how each action's result changes the state (apply.c), and
 * the plugin's launch guard and job notices (guard.c); a tracked job's record is job.h's. No
 * I/O here, so every rule is unit-tested with plain structs (tests/check_agent.c,
 * tests/check_dispatch.c).
 *
 * The daemon runs one cycle on every event (sample, input, worker result, timer, request):
 *   agent_observe(verdict) -> agent_plan() -> agent_issue() for each action, queued to the
 *   worker -> later agent_apply(result) -> agent_plan() again.
 * Actions are planned from the difference between what we want and what we last saw of
 * Slurm, with a "busy" flag per object while a call is in flight: one call per transition,
 * never one per sample.
 *
 * Time: every now_ms and every *_ms time below is on the monotonic clock (clock_mono_ms(),
 * through agent_clock()), so a step of the wall clock (NTP at boot, an admin's date -s) moves
 * no deadline, backoff or grace. Wall-clock times are only what people see (event stamps,
 * "held until 14:30") and what the state file keeps (converted there); libidle's verdict
 * times stay its own wall-clock ones.
 */
#ifndef AGENT_PLAN_H
#define AGENT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idle.h"
#include "job.h"
#include "params.h"
#include "model.h"

/* Every drain reason of ours starts with this tag; we resume only nodes whose reason has it. */
#define AGENT_TAG "IDLEACC:"
/* A hold's reason starts with this (after the tag), so a hold and an owner drain differ. */
#define AGENT_HOLD_PREFIX "IDLEACC: held by "

#define AGENT_MAX_JOBS	  256 /* jobs tracked on one node; a desktop runs a few */
#define AGENT_MAX_EVENTS  64  /* events kept for the log and the status */
#define AGENT_EVENT_LEN	  320 /* one event's text, NUL included */
#define AGENT_ERR_LEN	  256 /* one error message, NUL included */
#define AGENT_USER_LEN	  32  /* a user name */
#define AGENT_MAX_REFUSED 64  /* jobs refused here remembered until their exclusion is lifted */

/* Backoff between calls while slurmctld is unreachable or a call keeps failing. */
#define AGENT_BACKOFF_MIN_MS 1000
#define AGENT_BACKOFF_MAX_MS 60000
/* While we stand aside, reread the node this often: an admin's resume is noticed soon. */
#define AGENT_ASIDE_RECONCILE_MS 60000
/* After a call about a job failed (the job ended, say): wait this long before the next one. */
#define AGENT_RETRY_MS 10000
/* A drain reason of ours is rewritten at most this often (see plan_node): a flapping reading
 * costs slurmctld one update a second per desktop at worst, never one per sample. */
#define AGENT_REASON_MIN_MS 1000

/*
 * A drain reason of ours, numbers aside (the codes of enum idle_reason_code): the reason in
 * Slurm is rewritten when this changes, so it never says what stopped being true.
 */
struct agent_rkey {
	int n;				       /* codes used; -1: not known (a hold, or
						* a reason this run did not write) */
	unsigned char codes[IDLE_MAX_REASONS]; /* one per reason of the verdict */
};

enum agent_act {
	AGENT_ACT_RECONCILE = 0, /* read the node and its jobs */
	AGENT_ACT_JOBS,		 /* read the jobs on the node */
	AGENT_ACT_DRAIN,	 /* drain the node with [reason] (unless someone else drained it) */
	AGENT_ACT_RESUME,	 /* resume the node (only if its reason is still ours) */
	AGENT_ACT_SUSPEND,	 /* suspend [job] */
	AGENT_ACT_RESUME_JOB,	 /* resume [job] we suspended */
	AGENT_ACT_SIGNAL,	 /* send [sig] to [job] */
	AGENT_ACT_REQUEUE,	 /* requeue [job], not held */
	AGENT_ACT_CANCEL,	 /* cancel [job] */
	AGENT_ACT_STAND_ASIDE,	 /* no call: note once that the node belongs to someone else */
	AGENT_ACT_KEEP,		 /* no call: [job] cannot be requeued, keep it suspended */
	AGENT_ACT_UNEXCLUDE,	 /* remove the node from the excluded nodes of pending [job] */
	AGENT_ACT_COUNT
};

struct agent_action {
	enum agent_act kind;
	uint32_t job;		       /* the job, for job actions; 0 otherwise */
	int sig;		       /* AGENT_ACT_SIGNAL: the signal */
	bool keep;		       /* AGENT_ACT_SUSPEND: the job cannot be requeued: keep it
					* suspended until the owner leaves */
	enum agent_act then;	       /* AGENT_ACT_SIGNAL: what follows the grace (REQUEUE or
					* CANCEL) */
	char reason[AGENT_REASON_LEN]; /* AGENT_ACT_DRAIN: the reason, "IDLEACC: ..." */
	struct agent_rkey rkey;	       /* AGENT_ACT_DRAIN: what [reason] says, numbers aside */
};

/* A job whose launch we refused: the plugin excluded this node from it. */
struct agent_refused {
	uint32_t id;
	int64_t ms;	  /* when we refused it */
	bool busy;	  /* lifting its exclusion is in flight */
	int64_t retry_ms; /* after a failed lift: not before this */
};

/* One line of the agent's history: every action, result and change of mind. */
struct agent_event {
	int64_t ms;		    /* when, on the wall clock (ms since the epoch) */
	int prio;		    /* syslog priority (LOG_ERR .. LOG_DEBUG) */
	bool transition;	    /* a change of node or job state (shown in the status) */
	char text[AGENT_EVENT_LEN]; /* "drain d1: IDLEACC: console input 4s ago < 15m" */
};

/* Everything the agent knows and has done. Owned by the main thread. */
struct agent_state {
	char name[AGENT_NODE_LEN]; /* our Slurm node's name */
	int64_t wall_off_ms;	   /* the wall clock minus the monotonic one at the last reading
				    * (agent_clock()): our times as people's, for display and the
				    * state file */
	unsigned clock_steps;	   /* wall-clock steps seen by agent_clock() */
	int64_t clock_step_ms;	   /* the last one, + ahead, - back */

	bool have_verdict;	     /* a sample was decided */
	struct idle_verdict verdict; /* the last verdict */
	int64_t stop_since_ms;	     /* since when jobs must stop (owner back or hold); 0 if they
				      * may run */

	bool node_known;	 /* [node] was read at least once */
	struct agent_node node;	 /* the node as last read or changed by us */
	int64_t node_seen_ms;	 /* when [node] was last read or changed */
	bool node_busy;		 /* a drain/resume is in flight */
	int64_t node_retry_ms;	 /* after a failed drain/resume: not before this */
	int64_t node_backoff_ms; /* current backoff of failing drain/resume calls */
	bool aside;		 /* the node is someone else's: we noted it and stand aside */
	bool redrain;		 /* a launch was refused here, so slurmctld sees the node up
				  * whatever [node] says: drain it again (until it is read) */

	struct agent_rkey node_rkey; /* what our reason in [node] says, numbers aside */
	int64_t reason_ms;	     /* when we last wrote a drain reason; 0 never */

	bool online;			/* the last call reached slurmctld */
	int64_t offline_since_ms;	/* when it stopped answering, 0 while online */
	int64_t backoff_ms;		/* current backoff while offline */
	int64_t retry_ms;		/* while offline: next attempt */
	char last_error[AGENT_ERR_LEN]; /* the last failed call, "" if none */

	bool reconcile_busy;	   /* a reconcile is in flight */
	int64_t next_reconcile_ms; /* when the next reconcile is due; 0: at once */
	bool jobs_busy;		   /* a job listing is in flight (alone or in a reconcile) */
	int64_t jobs_asked_ms;	   /* when the listing in flight was asked for */
	int64_t jobs_listed_ms;	   /* when the last good listing was asked for; 0 never */
	bool jobs_stale;	   /* a job call failed: list the jobs again */
	int64_t jobs_retry_ms;	   /* after a failed listing: not before this */

	/* jobs[] and events[] are left untouched by agent_state_init (see there): keep njobs
	 * before jobs, everything else between jobs and events, and dirty last. */
	size_t njobs;
	struct agent_tjob jobs[AGENT_MAX_JOBS]; /* jobs on the node and our records */

	size_t nrefused;
	struct agent_refused refused[AGENT_MAX_REFUSED]; /* oldest first */

	int64_t hold_until_ms;		    /* a console user's hold ends at this time; 0 if none */
	uint32_t hold_uid;		    /* who asked for the hold */
	char hold_user[AGENT_USER_LEN];	    /* their name */
	char hold_reason[AGENT_REASON_LEN]; /* "IDLEACC: held by alice until 14:30" */

	unsigned nevents; /* events ever noted; the last AGENT_MAX_EVENTS are kept */
	struct agent_event events[AGENT_MAX_EVENTS]; /* ring: event i is at i % AGENT_MAX_EVENTS */
	bool dirty; /* what the state file keeps changed: write it */
};

/* A worker's answer to one action. */
struct agent_result {
	struct agent_action act; /* the action, as issued */
	int rc;			 /* 0 done, -1 failed */
	bool unreachable;	 /* failed because slurmctld could not be reached */
	bool skipped;		 /* drain/resume not done: the node was someone else's, or
				  * already in that state ([node] says how) */
	char err[AGENT_ERR_LEN]; /* why it failed */
	bool have_node;		 /* [node] was read */
	struct agent_node node;
	bool have_jobs;		/* [jobs] was read */
	struct agent_job *jobs; /* malloc'd, owned by the result */
	size_t njobs;
	int64_t call_us; /* microseconds the worker spent in libslurm for it; -1 if it made no
			  * call (not tried while slurmctld is known unreachable) */
};

void agent_state_init(struct agent_state *st, const char *node);

/* Adds an event (and marks nothing else). */
void agent_note(struct agent_state *st, int64_t now_ms, int prio, bool transition, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

/* The node is drained or down with a reason that is not ours: hands off. */
bool agent_node_foreign(const struct agent_node *n);

/* "IDLEACC: " + the verdict's reasons, cut to fit Slurm's reason. */
char *agent_drain_reason(const struct idle_verdict *v, char *buf, size_t len);

bool agent_hold_active(const struct agent_state *st, int64_t now_ms);

/* Takes a new verdict: tracks since when jobs must stop; ends an expired hold. */
void agent_observe(struct agent_state *st, const struct idle_verdict *v, int64_t now_ms);

/*
 * The actions due now, at most [max]; returns how many. Pure. When it returns [max], more may
 * be due: issue those and plan again for the rest (agent_cycle() does).
 */
int agent_plan(const struct agent_state *st, const struct agent_params *p, int64_t now_ms,
	       struct agent_action *acts, int max);

/*
 * Called before [a] is handed to the worker: records what a crash during the call must not
 * lose. A suspend's job counts, in the state file, as suspended by us from [now_ms] on: if the
 * agent dies after slurmctld suspended it but before the answer was applied and saved, the
 * restarted agent adopts the suspended job (resumes it when the owner leaves, requeues it after
 * max_suspend) instead of leaving it suspended as someone else's; if the call never happened,
 * the next listing shows the job running and it is planned afresh. Returns true if the state
 * file must be written before the call is made.
 */
bool agent_intend(struct agent_state *st, const struct agent_action *a, int64_t now_ms);

/* Records that [a] was handed to the worker (or done, for the no-call actions). */
void agent_issue(struct agent_state *st, const struct agent_action *a, int64_t now_ms);

/* Takes the worker's result for an issued action. */
void agent_apply(struct agent_state *st, const struct agent_params *p, const struct agent_result *r,
		 int64_t now_ms);

/* When something is next due without a new sample (a deadline, a retry); 0 if nothing. */
int64_t agent_deadline(const struct agent_state *st, const struct agent_params *p, int64_t now_ms);

/*
 * Holds the desktop for [len_ms] from [now_ms] for [uid]/[user] (the control request's checks
 * are dispatch.c's): jobs stop and the node is drained with "IDLEACC: held by USER until
 * HH:MM" ([st->hold_reason]).
 */
void agent_hold_set(struct agent_state *st, uint32_t uid, const char *user, int64_t len_ms,
		    int64_t now_ms);

/* Ends the hold in force, released by [by]. */
void agent_hold_end(struct agent_state *st, const char *by, int64_t now_ms);

/* Names, for logs and the status. */
const char *agent_act_name(enum agent_act a);

struct agent_tjob *agent_job_find(struct agent_state *st, uint32_t id);

/*
 * The launch guard's question: may job [job] start here now? Decides from the last verdict
 * (the caller samples just before), the hold and whether we stand aside. Returns true, or
 * false with [reason] filled with what the agent writes into Slurm ("IDLEACC: ..."); a
 * refusal is remembered (its exclusion is lifted when the desktop is offered again) and makes
 * sure the node is drained again, whatever we last saw of it.
 */
bool agent_admit(struct agent_state *st, uint32_t job, int64_t now_ms, char *reason, size_t len);

/*
 * The plugin says job [job] started here, with its --desktop-signal [sig] and [secs] (sig 0:
 * none). Tracked from now on: if the owner comes back, it is acted on at once, without
 * waiting for a listing. Returns 0, or -1 if too many jobs are tracked.
 */
int agent_job_started(struct agent_state *st, uint32_t job, int sig, int64_t secs, int64_t now_ms);

/* The plugin says job [job] ended here: forgotten (an unknown job is not an error). */
void agent_job_ended(struct agent_state *st, uint32_t job, int64_t now_ms);

/*
 * The owner's protection on the desktop itself, which needs no slurmctld (localstop.c does
 * the signals): while jobs must stop, every process of every job is stopped at once, before
 * and whatever Slurm is told; it is continued by idleaccd only once Slurm resumed the job, or
 * when Slurm never suspended it (the owner left before Slurm answered), or when it has to run
 * (its warning signal, a requeue or cancel that ends it). So the agent never fights Slurm.
 */
enum agent_local {
	AGENT_LOCAL_LEAVE = 0, /* leave its processes as they are */
	AGENT_LOCAL_STOP,      /* every process of the job stopped (SIGSTOP to those running) */
	AGENT_LOCAL_CONT,      /* the processes we stopped continued (SIGCONT) */
};

/* What the processes of job [job] on the desktop must be now; only jobs tracked as this
 * node's are ever stopped. Pure. */
enum agent_local agent_local_want(const struct agent_state *st, const struct agent_params *p,
				  uint32_t job, int64_t now_ms);

/* Jobs must stop on the desktop now (the owner is back or a hold is on, and the policy is not
 * "drain", which lets jobs run on). Pure. */
bool agent_local_stopping(const struct agent_state *st, const struct agent_params *p,
			  int64_t now_ms);

/*
 * A local pass sent SIGSTOP to [n] running processes of job [job] (n > 0): the job's record
 * says so, and an event says whether Slurm knows. Returns 0, or -1 if [job] is not tracked.
 */
int agent_local_stopped(struct agent_state *st, uint32_t job, int n, int64_t now_ms);

/* A local pass continued the processes of job [job] ([n] got SIGCONT): the flag is cleared. */
void agent_local_continued(struct agent_state *st, uint32_t job, int n, int64_t now_ms);

#endif /* AGENT_PLAN_H */
