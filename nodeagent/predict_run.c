/* SPDX-License-Identifier: MIT */
/* predict_run.c - idleaccd's predicted idle windows: learn, save, publish (predict_run.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "predict_run.h"

static void save(struct agent_pred_run *r, int64_t now_ms)
{
	char err[512];

	if (agent_predict_save(&r->p, r->node, r->path, err, sizeof(err)) < 0) {
		if (!r->save_failing)
			agent_log(LOG_ERR, "predict: cannot write the profile: %s", err);
		r->save_failing = true;
	} else if (r->save_failing) {
		agent_log(LOG_NOTICE, "predict: profile written again to %s", r->path);
		r->save_failing = false;
	}
	r->saved_ms = now_ms;
}

void agent_pred_config(struct agent_pred_run *r, const struct agent_conf *a, const char *node,
		       struct agent_worker *w)
{
	char err[512];

	if (!a->predict) {
		if (r->on)
			agent_log(LOG_NOTICE, "predict: off; the node's Weight and Features stay "
					      "as they are");
		r->on = false;
		r->pub.bucket = -1;
		if (w)
			agent_worker_predict(w, NULL);
		return;
	}
	if (r->loaded) {
		if (a->predict_bin != r->p.bin_s)
			agent_log(LOG_WARNING, "predict_bin changes take effect at restart");
		r->on = true;
		return;
	}
	r->on = r->loaded = true;
	r->pub.bucket = -1;
	r->expect_s = -1;
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->path, sizeof(r->path), "%s/%s.profile", a->state_dir, node);
	r->p.bin_s = a->predict_bin;
	if (agent_predict_load(&r->p, node, r->path, err, sizeof(err)) < 0)
		agent_log(LOG_ERR, "predict: ignoring the profile: %s; starting with an empty one",
			  err);
	else if (agent_predict_empty(&r->p))
		agent_log(LOG_NOTICE, "predict: on; empty profile %s: learning", r->path);
	else
		agent_log(LOG_NOTICE, "predict: on; profile loaded from %s", r->path);
}

/*
 * The profile's clock: local time, since people keep timetables. The benchmark replays a
 * week compressed (tests/bench/run.sh); it sets IDLEACC_PREDICT_CLOCK="REAL0 LOCAL0 SPEED"
 * (epoch seconds, local seconds then, simulated seconds per second) so that the profile runs
 * on the replay's week. Read once; anything malformed there is ignored (the local clock).
 */
static int64_t profile_clock(int64_t wall_ms)
{
	static int have = -1;
	static double real0, local0, speed;
	time_t t = (time_t)(wall_ms / 1000);
	const char *e;
	struct tm tm;

	if (have < 0) {
		e = getenv("IDLEACC_PREDICT_CLOCK");
		have = e && sscanf(e, "%lf %lf %lf", &real0, &local0, &speed) == 3 && speed > 0 &&
		       speed <= 10000;
		if (have)
			agent_log(LOG_NOTICE, "predict: the profile's clock is the benchmark's: %s",
				  e);
	}
	if (have)
		return (int64_t)(local0 + ((double)wall_ms / 1000.0 - real0) * speed);
	localtime_r(&t, &tm);
	return agent_predict_local(wall_ms / 1000, tm.tm_gmtoff);
}

void agent_pred_sample(struct agent_pred_run *r, const struct idle_verdict *v, int64_t wall_ms,
		       int64_t now_ms, struct agent_worker *w)
{
	struct agent_predict_pub pub;
	int64_t local;

	if (!r->on)
		return;
	local = profile_clock(wall_ms);
	if (agent_predict_observe(&r->p, local, v->offer, v->run)) {
		agent_log(LOG_INFO, "predict: window closed, learnt (%u since start)",
			  r->p.returns_seen);
		save(r, now_ms);
	} else if (r->p.dirty && now_ms - r->saved_ms >= AGENT_PRED_SAVE_MS)
		save(r, now_ms);
	/* The window a job placed now would get, whether or not the node is offered yet: what
	 * the node shows when it is offered is then already right. */
	r->expect_s = agent_predict_expect(&r->p, local);
	agent_predict_publish(r->expect_s, &pub);
	if (pub.bucket == r->pub.bucket)
		return;
	r->pub = pub;
	if (w)
		agent_worker_predict(w, &pub);
}

void agent_pred_status(const struct agent_pred_run *r, const struct agent_node *n, char *buf,
		       size_t len)
{
	char d[32];
	int k;

	if (!r->on) {
		snprintf(buf, len, "predict: off\n");
		return;
	}
	idle_format_duration(r->p.bin_s, d, sizeof(d));
	k = snprintf(buf, len, "predict: on (bins of %s, profile %s): ", d, r->path);
	if (k < 0 || (size_t)k >= len)
		return;
	if (r->pub.bucket < 0) {
		snprintf(buf + k, len - (size_t)k, "nothing learnt yet, nothing published\n");
		return;
	}
	idle_format_duration((int64_t)r->expect_s, d, sizeof(d));
	k += snprintf(buf + k, len - (size_t)k,
		      "a window now would last %s (expected), %u closed since start; publishes "
		      "Weight %u, Features \"%s\"",
		      d, r->p.returns_seen, (unsigned)r->pub.weight, r->pub.features);
	if (k >= 0 && (size_t)k < len && n)
		snprintf(buf + k, len - (size_t)k, "; node shows Weight %u, Features \"%s\"\n",
			 (unsigned)n->weight, n->features_avail);
	else if (k >= 0 && (size_t)k < len)
		snprintf(buf + k, len - (size_t)k, "\n");
}

void agent_pred_stop(struct agent_pred_run *r)
{
	if (r->on && r->p.dirty)
		save(r, 0);
}
