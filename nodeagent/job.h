/* SPDX-License-Identifier: MIT */
/*
 * job.h - one job the agent tracks on its node: the record, its one constructor, which records
 * the state file keeps (one rule for saving and loading), and when the next step on a job is
 * due (one deadline for the planner, its wake-up and the status). Pure.
 */
#ifndef AGENT_JOB_H
#define AGENT_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "params.h"

/* What we did to a job. */
enum agent_fate {
	AGENT_JOB_SEEN = 0,	/* on the node; nothing done by us (or resumed by us) */
	AGENT_JOB_SUSPENDED,	/* suspended by us; requeued after max_suspend */
	AGENT_JOB_KEPT,		/* suspended by us and cannot be requeued: kept until the owner
				 * leaves */
	AGENT_JOB_WARN_REQUEUE, /* warned with the warn signal; requeued after warn_grace */
	AGENT_JOB_WARN_CANCEL,	/* warned with the warn signal; cancelled after warn_grace */
	AGENT_JOB_REQUEUED,	/* requeued by us: gone from the node */
	AGENT_JOB_CANCELLED,	/* cancelled by us */
};

/* One job on the node, as Slurm last showed it and with what we did to it. */
struct agent_tjob {
	uint32_t id;
	char state[24];	       /* Slurm's state when last listed, "" if not listed since start-up */
	bool running;	       /* RUNNING when last listed */
	bool suspended;	       /* SUSPENDED when last listed */
	bool can_requeue;      /* a batch job with the requeue flag, as far as we know */
	enum agent_fate fate;  /* what we did */
	int64_t fate_ms;       /* when the fate was set */
	int64_t suspended_ms;  /* when we suspended it; max_suspend counts from here; 0 if not */
	int64_t resumed_ms;    /* when we last resumed it, 0 if never (shown in the status) */
	bool busy;	       /* a call about this job is in flight */
	int64_t retry_ms;      /* after a failed call: no new call before this */
	int64_t noticed_ms;    /* when the plugin's job-start told us it runs here; 0 if only
				* listed (or read from the state file) */
	int warn_sig;	       /* the job's --desktop-signal, sent instead of the policy's
				* warn_signal; 0 if none */
	int64_t warn_secs;     /* its grace in seconds (at most the policy's warn_grace) */
	bool local_stop;       /* idleaccd stopped its processes itself (SIGSTOP, localstop.c),
				* whatever Slurm knows; only idleaccd continues them (SIGCONT),
				* so the state file keeps it across a restart */
	int64_t local_stop_ms; /* when it did, 0 if [local_stop] is false */
	/* When a suspend of ours was handed to the worker, until its answer; 0 if none. The
	 * state file keeps the job as suspended by us from then on (see agent_intend). */
	int64_t suspend_asked_ms;
	/* When every process of the job was first seen stopped while it is ours to leave running
	 * (we neither suspended nor stopped it); 0 if not (agent_localstop_strays). */
	int64_t stray_ms;
	int stray_fixes; /* how often we continued it so (at most AGENT_STRAY_MAX) */
};

/*
 * Makes [j] a new record of job [id] with [fate] set at [fate_ms] (0: not known, as for a job
 * only read from the state file's signal line). Until a listing says otherwise it may be
 * requeued (a refused requeue falls back to keeping it suspended) and, if we suspended it,
 * Slurm shows it suspended; it is neither running nor announced by the plugin.
 */
void agent_job_init(struct agent_tjob *j, uint32_t id, enum agent_fate fate, int64_t fate_ms);

/* The fates the state file keeps: what we did to a job that a restarted agent carries on. */
bool agent_fate_saved(enum agent_fate f);

/*
 * The record must be in the state file: a saved fate, a suspend in flight (agent_intend), the
 * job's --desktop-signal, or its processes stopped on the desktop. Dropping such a record, or
 * changing what makes it so, changes the file.
 */
bool agent_job_saved(const struct agent_tjob *j);

/* The name of [f] (logs, the status, the state file) and back; parse returns 0, or -1 for a
 * name that is not a fate. */
const char *agent_fate_name(enum agent_fate f);
int agent_fate_parse(const char *s, enum agent_fate *f);

/*
 * The warning [j] gets before a requeue or cancel: its own --desktop-signal if it gave one
 * (its grace capped by the policy's warn_grace), else the policy's. [*sig] 0: no warning;
 * [*grace_ms] the time from the signal to the requeue or cancel.
 */
void agent_job_warning(const struct agent_params *p, const struct agent_tjob *j, int *sig,
		       int64_t *grace_ms);

/*
 * When the next step on [j] falls due by itself: the requeue of a job suspended by us
 * (max_suspend after its suspend), or the requeue or cancel after a warning (its grace after
 * the signal). 0 if none.
 */
int64_t agent_job_due(const struct agent_params *p, const struct agent_tjob *j);

#endif /* AGENT_JOB_H */
