/* SPDX-License-Identifier: MIT */
/*
 * slurm.h - every call idleaccd makes to Slurm, through libslurm's public API (never by
 * running scontrol). Each call blocks for a round trip (about 1 ms; up to MessageTimeout
 * seconds when slurmctld is down), so the agent makes them from its Slurm worker thread,
 * never from the thread that watches input.
 *
 * All functions return 0 on success, or -1 with [err] filled with a message that names the
 * operation and Slurm's error string ("drain d1: Invalid node name specified").
 */
#ifndef AGENT_SLURM_H
#define AGENT_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AGENT_REASON_LEN 256
#define AGENT_NODE_LEN	 64

/* What slurmctld says of one node. */
struct agent_node {
	char name[AGENT_NODE_LEN];
	char state[32];	     /* base state as Slurm names it: "IDLE", "ALLOCATED", "DOWN" ... */
	bool drain;	     /* the DRAIN flag is set */
	bool down;	     /* base state DOWN */
	bool not_responding; /* the NO_RESPOND flag */
	char reason[AGENT_REASON_LEN]; /* "" if none */
	uint32_t reason_uid;	       /* who set the reason */
	time_t reason_time;
};

/* A job that has (part of) its allocation on a node. */
struct agent_job {
	uint32_t id;
	uint32_t user_id;
	char state[24];	  /* "RUNNING", "SUSPENDED", "PENDING", ... */
	bool running;	  /* RUNNING (a job still COMPLETING is not: see completing) */
	bool suspended;	  /* SUSPENDED */
	bool requeueable; /* batch job whose requeue flag is set */
	bool batch;	  /* a batch job (sbatch), not an interactive allocation */
	time_t start_time;
	time_t suspend_time; /* when it was suspended if SUSPENDED now, else 0 */
	bool completing;     /* ending (or being requeued): processes being killed, nothing to do */
	bool held;	     /* PENDING with priority 0 (held): never starts until released */
};

/* slurm_init(); call once before the others. [conf] NULL uses $SLURM_CONF or the default. */
int agent_slurm_init(const char *conf, char *err, size_t errlen);
void agent_slurm_fini(void);

/* Reads one node. */
int agent_slurm_node(const char *node, struct agent_node *out, char *err, size_t errlen);

/*
 * The node of this host: the one whose NodeHostname (else NodeName) is [host]. When several
 * nodes share the host (multiple-slurmd), it is ambiguous and fails: use -N.
 */
int agent_slurm_node_of_host(const char *host, char *node, size_t len, char *err, size_t errlen);

/* Sets DRAIN with [reason] (which must be non-empty). */
int agent_slurm_drain(const char *node, const char *reason, char *err, size_t errlen);

/* Clears DRAIN (RESUME). */
int agent_slurm_resume(const char *node, char *err, size_t errlen);

/* The jobs with part of their allocation on [node], in a malloc'd array the caller frees. */
int agent_slurm_jobs(const char *node, struct agent_job **jobs, size_t *njobs, char *err,
		     size_t errlen);

int agent_slurm_suspend(uint32_t job, char *err, size_t errlen);
int agent_slurm_resume_job(uint32_t job, char *err, size_t errlen);

/*
 * Sends a job back to the queue, not held, so it runs elsewhere. A suspended job is resumed
 * first (a suspended job that is requeued is held). Fails for a job that cannot be requeued.
 */
int agent_slurm_requeue(uint32_t job, char *err, size_t errlen);

/* Releases a held job. */
int agent_slurm_release(uint32_t job, char *err, size_t errlen);

/* Sends [sig] to every step of the job, the batch shell included. */
int agent_slurm_signal(uint32_t job, int sig, char *err, size_t errlen);

int agent_slurm_cancel(uint32_t job, char *err, size_t errlen);

/*
 * Removes [node] from the excluded nodes of [job] while it is PENDING, so that it may start
 * there again. Sets *[done] when it did; a job that is gone, no longer pending, or does not
 * exclude [node] is left alone (0, *[done] false).
 */
int agent_slurm_unexclude(uint32_t job, const char *node, bool *done, char *err, size_t errlen);

/* True if the last error was a lost connection to slurmctld or a munge failure (retry later),
 * not a refusal. */
bool agent_slurm_unreachable(void);

#endif /* AGENT_SLURM_H */
