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

#include "model.h"

/*
 * What agent_slurm_set_attrs() changes on a node, in one update: the fields the agent
 * publishes besides its drains (the emergency mode, the predicted idle window).
 */
struct agent_node_attrs {
	const char *extra;    /* the new Extra, or NULL to leave it */
	uint32_t weight;      /* the new Weight, or 0 to leave it */
	const char *features; /* the new available Features ("" clears them), or NULL */
};

/*
 * Every node of the cluster, in slurmctld's order, each with its running and suspended jobs,
 * in a malloc'd array the caller frees. Two RPCs whatever the cluster's size:
 * slurm_load_node() and slurm_load_jobs() once each. Returns 0, or -1 with [err] filled.
 */
int agent_slurm_fleet(struct agent_fleet_node **nodes, size_t *nnodes, char *err, size_t errlen);

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

/* Sets what [a] says on [node], the rest untouched. */
int agent_slurm_set_attrs(const char *node, const struct agent_node_attrs *a, char *err,
			  size_t errlen);

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
