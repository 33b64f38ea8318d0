/* SPDX-License-Identifier: MIT */
/*
 * shutdown.h - what idleaccd does when the owner switches the desktop off or reboots it: a
 * logind "delay" inhibitor taken at start, and on PrepareForShutdown the node drained, its jobs
 * warned and requeued (or cancelled, per on_owner_return), then the inhibitor released, all
 * within logind's InhibitDelayMaxUSec, so that no job waits for Slurm to notice a dead node.
 *
 * Built with sd-bus (HAVE_SYSTEMD); without it, agent_shutdown_open() says so and the rest are
 * never called.
 */
#ifndef AGENT_SHUTDOWN_H
#define AGENT_SHUTDOWN_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* The drain reason while the desktop goes down; the agent replaces it after the reboot. */
#define AGENT_SHUTDOWN_REASON_REQUEUE AGENT_TAG " desktop shutting down (its jobs requeued)"
#define AGENT_SHUTDOWN_REASON_CANCEL  AGENT_TAG " desktop shutting down (its jobs cancelled)"
/* printf format, the number of jobs Slurm may not requeue (--no-requeue, not batch). */
#define AGENT_SHUTDOWN_REASON_NOREQUEUE                                                            \
	AGENT_TAG " desktop shutting down (its jobs requeued, but %u that may not be requeued"     \
		  " cancelled)"

/*
 * What is left of logind's delay for the Slurm calls after the warning: the drain, the listing
 * and one requeue a job take about 1 ms each with a healthy slurmctld; the rest is for a loaded
 * one. The jobs' warning grace is cut to fit the delay less this.
 */
#define AGENT_SHUTDOWN_MARGIN_MS 1000

struct agent_shutdown;

/* Pushes one action to the Slurm worker; returns 0, or -1 when out of memory. */
typedef int (*agent_shutdown_push_fn)(void *arg, const struct agent_action *a);

/*
 * Connects to logind at [address] ("" = the system bus), takes the delay inhibitor and watches
 * PrepareForShutdown, for [node]. Returns NULL with [err] filled when logind cannot be reached
 * or refuses (the daemon runs on without: shutdowns then wait for Slurm's timeouts).
 */
struct agent_shutdown *agent_shutdown_open(const char *address, const char *node, char *err,
					   size_t errlen);
void agent_shutdown_close(struct agent_shutdown *s);

/* Fills [pfd] with the bus connection to poll; returns 1, or 0 if there is none. */
int agent_shutdown_pollfd(struct agent_shutdown *s, struct pollfd *pfd);

/* The next time (monotonic ms) agent_shutdown_step() must run even without bus traffic; 0 if
 * none. */
int64_t agent_shutdown_deadline(const struct agent_shutdown *s);

/*
 * Reads the bus and runs the sequence: on PrepareForShutdown(true) pushes the drain and the
 * job listing; once the jobs are known, their warning signals; at the end of the warning their
 * requeues (cancels for on_owner_return: cancel); when every answer is in, or the delay is
 * spent, releases the inhibitor. On PrepareForShutdown(false) (a cancelled shutdown) takes a
 * new inhibitor and hands the node back to the planner. [st] gives the jobs' own warning
 * signals (--desktop-signal). Returns true while the sequence runs or has run: the planner must
 * not undo the drain.
 */
bool agent_shutdown_step(struct agent_shutdown *s, struct agent_state *st,
			 const struct agent_params *p, agent_shutdown_push_fn push, void *arg);

/* Hands a worker result to the sequence (it keeps what it waits for, ignores the rest). */
void agent_shutdown_result(struct agent_shutdown *s, const struct agent_result *r);

#endif /* AGENT_SHUTDOWN_H */
