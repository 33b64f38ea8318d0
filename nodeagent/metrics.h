/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - idleaccd's Prometheus metrics: the counters and histograms the daemon keeps, the
 * text exposition format they are written in, and the file node_exporter's textfile collector
 * reads (agent.metrics_dir, idleaccd(8) "METRICS").
 *
 * Why a file and not an HTTP endpoint: idleaccd runs as root on every desktop, and a root
 * daemon with no listening TCP socket offers nothing to the network; node_exporter already
 * runs there, unprivileged, and already is what Prometheus scrapes. Freshness is the price:
 * the file is rewritten at once (at most once a second) when something counted changes, and
 * every sample interval otherwise; idleacc_last_update_seconds says when, so a dashboard or an
 * alert sees a file left by an agent that died.
 *
 * The daemon feeds it from few places: agent_metrics_observe() once per cycle (owner state,
 * offered time, the owner's return), agent_metrics_issued() when an action goes to the worker
 * (a drain's reaction time), agent_metrics_result() when a worker result is applied (the
 * job counters, Slurm calls and their latency) and agent_metrics_refused() when the plugin's
 * launch is refused. Everything but agent_metrics_write() is pure.
 */
#ifndef AGENT_METRICS_H
#define AGENT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "report.h"

/* Upper bounds of the histograms' buckets, seconds (the +Inf bucket comes on top). */
#define AGENT_METRICS_BUCKETS 12

/* One Prometheus histogram. */
struct agent_hist {
	uint64_t bucket[AGENT_METRICS_BUCKETS]; /* observations <= bound i and > bound i-1 (made
						 * cumulative when written) */
	uint64_t count;				/* every observation, +Inf's included */
	double sum;				/* their sum, seconds */
};

/* What a reaction to the owner's return is measured up to. */
enum agent_reaction {
	AGENT_REACT_DRAIN = 0, /* the drain handed to the Slurm worker */
	AGENT_REACT_STOP,      /* a job on the desktop stopped (SIGSTOP here, or Slurm's suspend) */
	AGENT_REACT_COUNT
};

/* Everything counted since the daemon started (counters restart at 0, as Prometheus expects). */
struct agent_metrics {
	int64_t start_wall_ms;		  /* when the daemon started, wall clock ms */
	uint64_t calls[AGENT_ACT_COUNT];  /* Slurm calls made, per kind of action */
	uint64_t failed[AGENT_ACT_COUNT]; /* of those, failed (refused or unreachable) */
	struct agent_hist call;		  /* seconds one action's calls took in libslurm */
	uint64_t suspended;		  /* jobs suspended by us (Slurm said yes) */
	uint64_t resumed;		  /* jobs we had suspended and resumed */
	uint64_t requeued;		  /* jobs requeued by us */
	uint64_t cancelled;		  /* jobs cancelled by us */
	uint64_t refused;		  /* launches the plugin asked about and we refused */
	int64_t offered_ms;		  /* time the node was offered to Slurm (not drained) */
	int64_t drained_ms;		  /* time it was drained by us for its owner (or a hold) */
	struct agent_hist reaction[AGENT_REACT_COUNT]; /* owner's input to drain / job stopped */

	/* The observer's memory between cycles. */
	int64_t last_ms;  /* the last agent_metrics_observe(), monotonic; 0 before the first */
	bool was_offered; /* the node was offered then */
	bool was_drained; /* it was drained by us then */
	bool was_present; /* the owner counted as present (or unknown) then */
	int64_t absent_wall_ms; /* the last observe that saw the owner absent, wall clock; 0 none */
	int64_t return_mono_ms; /* the owner's present return began then (monotonic); 0 if none */
	int64_t input_wall_ms;	/* the input that began it, wall clock; 0: the return was not
				 * caused by input (a busy program, load): no reaction measured */
	bool reacted[AGENT_REACT_COUNT]; /* this return's reaction was measured */
	bool changed; /* something counted changed since the file was last written */
};

/* Starts counting at [wall_ms]. */
void agent_metrics_init(struct agent_metrics *m, int64_t wall_ms);

/*
 * One cycle's look at [st], at [now_ms] (monotonic) and [wall_ms]: adds the time since the last
 * look to offered or drained time, and notices the owner's return. [input_wall_ms] is the
 * newest owner input libidle counted (struct idle_memo input_seen_ms, wall clock; 0 if none).
 * A return whose input is newer than the last look that saw the owner absent starts a
 * reaction measurement, ended by a job of the node found stopped after it (AGENT_REACT_STOP).
 */
void agent_metrics_observe(struct agent_metrics *m, const struct agent_state *st,
			   int64_t input_wall_ms, int64_t now_ms, int64_t wall_ms);

/* Action [a] was handed to the worker at [wall_ms]: the first drain after a return ends its
 * AGENT_REACT_DRAIN measurement. */
void agent_metrics_issued(struct agent_metrics *m, const struct agent_action *a, int64_t wall_ms);

/*
 * The worker's result [r] is applied: counts the call, its failure and its duration
 * (r->call_us; a result without a call counts only as a failure), and, if it succeeded, the
 * job counters.
 */
void agent_metrics_result(struct agent_metrics *m, const struct agent_result *r);

/* The plugin's launch request was refused. */
void agent_metrics_refused(struct agent_metrics *m);

/*
 * Writes every metric of [m] and [st] in Prometheus' text exposition format (version 0.0.4)
 * into [b], each series labelled node="NAME", at [wall_ms].
 */
void agent_metrics_format(struct agent_buf *b, const struct agent_metrics *m,
			  const struct agent_state *st, int64_t wall_ms);

/*
 * The file of node [node] in [dir]: "DIR/idleaccd-NODE.prom" (node_exporter reads *.prom).
 * Returns 0, or -1 if the path does not fit [len].
 */
int agent_metrics_path(const char *dir, const char *node, char *out, size_t len);

/*
 * Replaces [path] with [text] atomically: written to a new file beside it (never through a
 * link: O_EXCL|O_NOFOLLOW, mode 0644) and renamed over it; node_exporter never reads half
 * a file. Returns 0, or -1 with [err] filled (the old file is left as it was).
 */
int agent_metrics_write(const char *path, const char *text, char *err, size_t errlen);

#endif /* AGENT_METRICS_H */
