/* SPDX-License-Identifier: MIT */
/*
 * worker.h - the Slurm worker thread: every call to slurmctld runs here, fed by a queue, so
 * the main thread (input, sampling, control socket) never waits on an RPC that may take
 * MessageTimeout seconds. Results come back through a queue and an eventfd the main loop
 * polls.
 */
#ifndef AGENT_WORKER_H
#define AGENT_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "predict.h"

struct agent_worker;

/* Starts the thread for [node]. Returns NULL with [err] filled on failure. */
struct agent_worker *agent_worker_start(const char *node, char *err, size_t errlen);

/* Readable while results wait; read it with agent_worker_pop until that returns 0. */
int agent_worker_fd(const struct agent_worker *w);

/* Queues a copy of [a]. Returns 0, or -1 when out of memory. */
int agent_worker_push(struct agent_worker *w, const struct agent_action *a);

/* Takes the next result into [r] (free r->jobs after use); returns 1, or 0 if none. */
int agent_worker_pop(struct agent_worker *w, struct agent_result *r);

/*
 * Emergency mode: each reconcile from now on also reads the switch, partition [partition]
 * (emergency.h), and reports the mode in the node's Extra field when it changed.
 */
void agent_worker_emergency(struct agent_worker *w, const char *partition);

/* What the last reconcile read of the switch: 1 on, 0 off, -1 nothing yet. */
int agent_worker_emergency_seen(struct agent_worker *w);

/*
 * Predicted idle windows (predict.h): from now on each reconcile, and each resume before
 * the node is offered, sets the node's Weight and idle_Nh Features to [pub] when they differ
 * from what slurmctld shows (one update, only when the bucket changed). [pub] NULL, or
 * with bucket -1, publishes nothing (what is on the node stays).
 */
void agent_worker_predict(struct agent_worker *w, const struct agent_predict_pub *pub);

/*
 * Stops the thread: waits up to [timeout_ms] for the call in progress. Returns true if the
 * thread ended (then libslurm may be finalized), false if it is stuck in a call.
 */
bool agent_worker_stop(struct agent_worker *w, int timeout_ms);

#endif /* AGENT_WORKER_H */
