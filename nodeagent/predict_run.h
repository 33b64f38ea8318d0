/* SPDX-License-Identifier: MIT */
/*
 * predict_run.h - predicted idle windows in idleaccd: the profile (predict.h) fed from each
 * sample's verdict, kept in STATE_DIR/NODE.profile, its prediction handed to the Slurm
 * worker to publish, and its line in "idleacc status". Main thread only.
 */
#ifndef AGENT_PREDICT_RUN_H
#define AGENT_PREDICT_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "agentconf.h"
#include "idle.h"
#include "predict.h"
#include "slurm.h"
#include "worker.h"

struct agent_pred_run {
	bool on;     /* agent.predict in force */
	bool loaded; /* the profile was loaded (or refused) for this run */
	/* STATE_DIR/NODE.profile: sized to what it holds, beside the small fields (a page). */
	char path[IDLE_PATH_LEN + AGENT_NODE_LEN + 16];
	char node[AGENT_NODE_LEN];    /* the node, in the file's header */
	struct agent_predict_pub pub; /* what was last handed to the worker; bucket -1: none */
	double expect_s;	      /* the last prediction, seconds; -1: none */
	int64_t saved_ms;	      /* when the profile was last written (monotonic); 0 never */
	bool save_failing;	      /* the last write failed (logged once per outage) */
	struct agent_predict p;	      /* the profile: 16 KiB, touched only with agent.predict */
};

/*
 * Takes the "agent:" settings [a] for node [node] (at start-up and at each reload): turning
 * prediction on loads STATE_DIR/NODE.profile once (a bad file is logged and refused: the
 * profile starts empty, the agent runs on); turning it off stops publishing (the Weight and
 * Features on the node stay as they are). A change of predict_bin takes effect at restart.
 */
void agent_pred_config(struct agent_pred_run *r, const struct agent_conf *a, const char *node,
		       struct agent_worker *w);

/*
 * One sample's verdict [v] at [wall_ms] (monotonic [now_ms] for the saves): learnt from, the
 * prediction refreshed, handed to [w] when its bucket changed, the profile saved when a
 * return was learnt or every AGENT_PRED_SAVE_MS while it changes.
 */
void agent_pred_sample(struct agent_pred_run *r, const struct idle_verdict *v, int64_t wall_ms,
		       int64_t now_ms, struct agent_worker *w);

/* "predict: ..." lines for "idleacc status" into [buf]; [n] the node as last read or NULL. */
void agent_pred_status(const struct agent_pred_run *r, const struct agent_node *n, char *buf,
		       size_t len);

/* At exit: the profile written if it changed. */
void agent_pred_stop(struct agent_pred_run *r);

/* The profile's open time is saved at least this often (a crash loses at most this much). */
#define AGENT_PRED_SAVE_MS (15 * 60 * 1000)

#endif /* AGENT_PREDICT_RUN_H */
