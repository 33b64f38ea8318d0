/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - idleaccd's Prometheus metrics: what is counted, the text exposition format, and
 * the atomic write of the file node_exporter's textfile collector reads (see metrics.h for why
 * a file and not an endpoint).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "file.h"
#include "metrics.h"

/* Reaction times: from a keypress to the drain or the stopped job, a few ms on a quiet desktop
 * (tests/integration/x11_reaction.sh), seconds under load or with a polled source (interval). */
static const double react_bounds[AGENT_METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
							   0.5,	  1,	2.5,   5,    10,  30};
/* Slurm calls: about 1 ms each when slurmctld answers, up to MessageTimeout when it does not. */
static const double call_bounds[AGENT_METRICS_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
							  0.05,	  0.1,	 0.25,	 1,	2.5,  10};

/* The "call" label of each action that reaches the worker (agent_act_name() is for people). */
static const char *const call_names[AGENT_ACT_COUNT] = {
    [AGENT_ACT_RECONCILE] = "reconcile", [AGENT_ACT_JOBS] = "list_jobs",
    [AGENT_ACT_DRAIN] = "drain",	 [AGENT_ACT_RESUME] = "resume_node",
    [AGENT_ACT_SUSPEND] = "suspend",	 [AGENT_ACT_RESUME_JOB] = "resume_job",
    [AGENT_ACT_SIGNAL] = "signal",	 [AGENT_ACT_REQUEUE] = "requeue",
    [AGENT_ACT_CANCEL] = "cancel",	 [AGENT_ACT_UNEXCLUDE] = "unexclude",
};

void agent_metrics_init(struct agent_metrics *m, int64_t wall_ms)
{
	memset(m, 0, sizeof(*m));
	m->start_wall_ms = wall_ms;
	m->changed = true;
}

static void hist_add(struct agent_hist *h, const double *bounds, double v)
{
	int i;

	if (v < 0)
		v = 0;
	for (i = 0; i < AGENT_METRICS_BUCKETS; i++)
		if (v <= bounds[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += v;
}

/* Ends the measurement [what] of the current return at [wall_ms], if one runs. */
static void react(struct agent_metrics *m, enum agent_reaction what, int64_t wall_ms)
{
	if (!m->return_mono_ms || !m->input_wall_ms || m->reacted[what])
		return;
	m->reacted[what] = true;
	hist_add(&m->reaction[what], react_bounds, (double)(wall_ms - m->input_wall_ms) / 1000.0);
	m->changed = true;
}

/* A job of ours that is gone from the node (requeued or cancelled) is neither running nor
 * suspended here. */
static bool job_here(const struct agent_tjob *j)
{
	return j->fate != AGENT_JOB_REQUEUED && j->fate != AGENT_JOB_CANCELLED;
}

static bool job_stopped(const struct agent_tjob *j)
{
	return job_here(j) && (j->suspended || j->local_stop || j->fate == AGENT_JOB_SUSPENDED ||
			       j->fate == AGENT_JOB_KEPT);
}

static bool node_offered(const struct agent_state *st)
{
	return st->node_known && !st->node.drain && !st->node.down && !st->aside;
}

static bool node_drained_by_us(const struct agent_state *st)
{
	return st->node_known && st->node.drain &&
	       !strncmp(st->node.reason, AGENT_TAG, strlen(AGENT_TAG));
}

void agent_metrics_observe(struct agent_metrics *m, const struct agent_state *st,
			   int64_t input_wall_ms, int64_t now_ms, int64_t wall_ms)
{
	bool present = st->have_verdict && st->verdict.owner != IDLE_OWNER_ABSENT;
	bool offered = node_offered(st), drained = node_drained_by_us(st);
	size_t i;

	if (m->last_ms && now_ms > m->last_ms) {
		/* The state seen at the last look held until now: cycles run at every event. */
		if (m->was_offered)
			m->offered_ms += now_ms - m->last_ms;
		if (m->was_drained)
			m->drained_ms += now_ms - m->last_ms;
	}
	if (offered != m->was_offered || drained != m->was_drained || present != m->was_present)
		m->changed = true;
	if (st->have_verdict && present && !m->was_present) {
		/* The owner is back. Measured only if input brought them back (newer than the
		 * last look that saw them absent): a busy program has no moment of arrival. */
		m->return_mono_ms = now_ms;
		m->input_wall_ms =
		    m->absent_wall_ms && input_wall_ms > m->absent_wall_ms ? input_wall_ms : 0;
		memset(m->reacted, 0, sizeof(m->reacted));
	} else if (!present) {
		m->return_mono_ms = m->input_wall_ms = 0;
		if (st->have_verdict)
			m->absent_wall_ms = wall_ms;
	}
	if (m->return_mono_ms && !m->reacted[AGENT_REACT_STOP])
		for (i = 0; i < st->njobs; i++) {
			const struct agent_tjob *j = &st->jobs[i];

			if ((j->local_stop && j->local_stop_ms >= m->return_mono_ms) ||
			    (job_stopped(j) && j->suspended_ms >= m->return_mono_ms)) {
				react(m, AGENT_REACT_STOP, wall_ms);
				break;
			}
		}
	m->was_offered = offered;
	m->was_drained = drained;
	m->was_present = present;
	m->last_ms = now_ms;
}

void agent_metrics_issued(struct agent_metrics *m, const struct agent_action *a, int64_t wall_ms)
{
	if (a->kind == AGENT_ACT_DRAIN)
		react(m, AGENT_REACT_DRAIN, wall_ms);
}

void agent_metrics_result(struct agent_metrics *m, const struct agent_result *r)
{
	enum agent_act k = r->act.kind;

	if ((unsigned)k >= AGENT_ACT_COUNT || !call_names[k])
		return;
	m->changed = true;
	if (r->call_us >= 0) {
		m->calls[k]++;
		hist_add(&m->call, call_bounds, (double)r->call_us / 1e6);
	}
	if (r->rc) {
		m->failed[k]++;
		return;
	}
	if (r->skipped)
		return;
	if (k == AGENT_ACT_SUSPEND)
		m->suspended++;
	else if (k == AGENT_ACT_RESUME_JOB)
		m->resumed++;
	else if (k == AGENT_ACT_REQUEUE)
		m->requeued++;
	else if (k == AGENT_ACT_CANCEL)
		m->cancelled++;
}

void agent_metrics_refused(struct agent_metrics *m)
{
	m->refused++;
	m->changed = true;
}

/* A label value as the exposition format quotes it: backslash, quote and newline escaped. */
static const char *label(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[n++] = '\\';
			buf[n++] = *s == '\n' ? 'n' : *s;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void head(struct agent_buf *b, const char *name, const char *type, const char *help)
{
	agent_buf_add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample line: NAME{node="NODE"} VALUE, with ,LNAME="LVAL" after the node if [lname]. */
static void sample(struct agent_buf *b, const char *name, const char *node, const char *lname,
		   const char *lval, uint64_t v)
{
	if (lname)
		agent_buf_add(b, "%s{node=\"%s\",%s=\"%s\"} %" PRIu64 "\n", name, node, lname, lval,
			      v);
	else
		agent_buf_add(b, "%s{node=\"%s\"} %" PRIu64 "\n", name, node, v);
}

/* A metric of one sample, a count or a flag (0 or 1): its HELP and TYPE, then the line. */
static void metric(struct agent_buf *b, const char *name, const char *type, const char *help,
		   const char *node, uint64_t v)
{
	head(b, name, type, help);
	sample(b, name, node, NULL, NULL, v);
}

/* A metric of one sample in seconds, from [ms] milliseconds. */
static void metric_seconds(struct agent_buf *b, const char *name, const char *type,
			   const char *help, const char *node, int64_t ms)
{
	head(b, name, type, help);
	agent_buf_add(b, "%s{node=\"%s\"} %.3f\n", name, node, (double)ms / 1000.0);
}

static void hist(struct agent_buf *b, const char *name, const char *node, const char *lname,
		 const char *lval, const struct agent_hist *h, const double *bounds)
{
	char extra[64] = "";
	uint64_t cum = 0;
	int i;

	if (lname)
		snprintf(extra, sizeof(extra), ",%s=\"%s\"", lname, lval);
	for (i = 0; i < AGENT_METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		agent_buf_add(b, "%s_bucket{node=\"%s\"%s,le=\"%g\"} %" PRIu64 "\n", name, node,
			      extra, bounds[i], cum);
	}
	agent_buf_add(b, "%s_bucket{node=\"%s\"%s,le=\"+Inf\"} %" PRIu64 "\n", name, node, extra,
		      h->count);
	agent_buf_add(b, "%s_sum{node=\"%s\"%s} %.6f\n", name, node, extra, h->sum);
	agent_buf_add(b, "%s_count{node=\"%s\"%s} %" PRIu64 "\n", name, node, extra, h->count);
}

/* The node's state now: the owner, the offer, the hold, its jobs. */
static void format_state(struct agent_buf *b, const struct agent_metrics *m,
			 const struct agent_state *st, const char *node)
{
	static const enum idle_owner owners[] = {IDLE_OWNER_PRESENT, IDLE_OWNER_ABSENT,
						 IDLE_OWNER_UNKNOWN};
	unsigned running = 0, stopped = 0;
	size_t i;
	int k;

	for (i = 0; i < st->njobs; i++) {
		if (job_stopped(&st->jobs[i]))
			stopped++;
		else if (job_here(&st->jobs[i]) && st->jobs[i].running)
			running++;
	}
	head(b, "idleacc_owner_state", "gauge",
	     "The owner as the agent judges them: 1 for the current state, present, absent or "
	     "unknown (a source failed: treated as present).");
	for (k = 0; k < 3; k++)
		sample(b, "idleacc_owner_state", node, "state", idle_owner_name(owners[k]),
		       st->have_verdict && st->verdict.owner == owners[k]);
	metric(b, "idleacc_offered", "gauge",
	       "1 while the node is offered to Slurm (not drained, not down, not someone else's).",
	       node, node_offered(st));
	metric(b, "idleacc_hold", "gauge", "1 while a console user's hold (idleacc hold) is on.",
	       node, st->hold_until_ms != 0);
	metric_seconds(b, "idleacc_offered_seconds_total", "counter",
		       "Seconds the node was offered to Slurm since the agent started.", node,
		       m->offered_ms);
	metric_seconds(b, "idleacc_drained_seconds_total", "counter",
		       "Seconds the node was drained by the agent for its owner (or a hold) since "
		       "it started.",
		       node, m->drained_ms);
	metric(b, "idleacc_jobs_running", "gauge", "Jobs running on the node, as last listed.",
	       node, running);
	metric(b, "idleacc_jobs_stopped", "gauge",
	       "Jobs on the node suspended by Slurm or stopped on the desktop by the agent.", node,
	       stopped);
}

/* What the agent did: jobs stopped and refused, Slurm calls and reaction times. */
static void format_actions(struct agent_buf *b, const struct agent_metrics *m,
			   const struct agent_state *st, const char *node)
{
	static const char *const react_names[AGENT_REACT_COUNT] = {
	    [AGENT_REACT_DRAIN] = "drain", [AGENT_REACT_STOP] = "stop"};
	int k;

	metric(b, "idleacc_jobs_suspended_total", "counter", "Jobs the agent had Slurm suspend.",
	       node, m->suspended);
	metric(b, "idleacc_jobs_resumed_total", "counter",
	       "Jobs suspended by the agent and resumed.", node, m->resumed);
	metric(b, "idleacc_jobs_requeued_total", "counter", "Jobs the agent requeued.", node,
	       m->requeued);
	metric(b, "idleacc_jobs_cancelled_total", "counter", "Jobs the agent cancelled.", node,
	       m->cancelled);
	metric(b, "idleacc_launches_refused_total", "counter",
	       "Job launches the SPANK plugin asked about and the agent refused.", node,
	       m->refused);

	head(b, "idleacc_slurm_calls_total", "counter",
	     "Actions the agent's Slurm worker carried out through libslurm, by call.");
	for (k = 0; k < AGENT_ACT_COUNT; k++)
		if (call_names[k])
			sample(b, "idleacc_slurm_calls_total", node, "call", call_names[k],
			       m->calls[k]);
	head(b, "idleacc_slurm_call_failures_total", "counter",
	     "Of those, the ones that failed (refused, or slurmctld unreachable), by call.");
	for (k = 0; k < AGENT_ACT_COUNT; k++)
		if (call_names[k])
			sample(b, "idleacc_slurm_call_failures_total", node, "call", call_names[k],
			       m->failed[k]);
	metric(b, "idleacc_slurm_reachable", "gauge", "1 if the last call reached slurmctld.", node,
	       st->online);
	head(b, "idleacc_slurm_call_duration_seconds", "histogram",
	     "Seconds one action's calls to slurmctld took.");
	hist(b, "idleacc_slurm_call_duration_seconds", node, NULL, NULL, &m->call, call_bounds);
	head(b, "idleacc_reaction_seconds", "histogram",
	     "Seconds from the owner's input to the drain handed to Slurm (what=\"drain\") and to "
	     "a job stopped (what=\"stop\").");
	for (k = 0; k < AGENT_REACT_COUNT; k++)
		hist(b, "idleacc_reaction_seconds", node, "what", react_names[k], &m->reaction[k],
		     react_bounds);
}

void agent_metrics_format(struct agent_buf *b, const struct agent_metrics *m,
			  const struct agent_state *st, int64_t wall_ms)
{
	char node[2 * AGENT_NODE_LEN];

	label(st->name, node, sizeof(node));
	format_state(b, m, st, node);
	format_actions(b, m, st, node);
	metric_seconds(b, "idleacc_start_time_seconds", "gauge",
		       "When the agent started, Unix time.", node, m->start_wall_ms);
	metric_seconds(
	    b, "idleacc_last_update_seconds", "gauge",
	    "When the agent wrote these metrics, Unix time: an old value means the agent "
	    "is gone.",
	    node, wall_ms);
}

int agent_metrics_path(const char *dir, const char *node, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/idleaccd-%s.prom", dir, node);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int agent_metrics_write(const char *path, const char *text, char *err, size_t errlen)
{
	/* node_exporter reads only *.prom: the new file is invisible until renamed; 0644, as
	 * node_exporter runs as another user; not durable: rewritten at every sample anyway. */
	return agent_file_replace(path, ".new", text, strlen(text), 0644, false, err, errlen);
}
