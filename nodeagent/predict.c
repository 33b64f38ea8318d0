/* SPDX-License-Identifier: MIT */
/*
 * predict.c - the weekly profile of the owner's returns, the expected time until the next,
 * and what of it is published to Slurm (the model is described in predict.h). Pure.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict.h"

const int agent_predict_levels_h[AGENT_PREDICT_NLEVELS] = {1, 2, 4, 8};

/* 1970-01-01 was a Thursday: the Monday before it began 3 days earlier. */
#define MONDAY_SHIFT (3 * 24 * 3600)

/* Bounds of a bin's sums in a file: a century of open time, a return per second of it. */
#define MAX_EXPOSURE 3.2e9
#define MAX_RETURNS  3.2e9

int agent_predict_check_bin(int64_t bin_s, char *why, size_t whylen)
{
	if (bin_s < AGENT_PREDICT_MIN_BIN || bin_s > AGENT_PREDICT_MAX_BIN) {
		snprintf(why, whylen, "%lld s is not between %d s (15m) and %d s (1d)",
			 (long long)bin_s, AGENT_PREDICT_MIN_BIN, AGENT_PREDICT_MAX_BIN);
		return -1;
	}
	if (AGENT_PREDICT_WEEK_S % bin_s) {
		snprintf(why, whylen, "%lld s does not divide a week into whole bins",
			 (long long)bin_s);
		return -1;
	}
	return 0;
}

void agent_predict_init(struct agent_predict *p, int64_t bin_s)
{
	memset(p, 0, sizeof(*p));
	p->bin_s = bin_s;
	p->nbins = (int)(AGENT_PREDICT_WEEK_S / bin_s);
}

bool agent_predict_empty(const struct agent_predict *p)
{
	int i;

	for (i = 0; i < p->nbins; i++)
		if (p->bin[i].returns > 0 || p->bin[i].exposure > 0)
			return false;
	return true;
}

int64_t agent_predict_local(int64_t wall_s, long gmtoff)
{
	return wall_s + gmtoff;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* The week of local time [t], counted from the Monday before the epoch. */
static int32_t week_of(int64_t t)
{
	return (int32_t)floor_div(t + MONDAY_SHIFT, AGENT_PREDICT_WEEK_S);
}

/* Seconds of local time [t] since its Monday 00:00. */
static int64_t in_week(int64_t t)
{
	return t + MONDAY_SHIFT - (int64_t)week_of(t) * AGENT_PREDICT_WEEK_S;
}

/* The weight an observation of week [then] has in week [now]. */
static double decay(int32_t then, int32_t now)
{
	if (now <= then)
		return 1.0;
	if (now - then > 200) /* 0.8^200 is 4e-20: nothing is left */
		return 0.0;
	return pow(AGENT_PREDICT_DECAY, now - then);
}

/* Bin [b] brought to week [wk] before it learns more. */
static struct agent_predict_bin *touch(struct agent_predict *p, int b, int32_t wk)
{
	struct agent_predict_bin *x = &p->bin[b];
	double f = decay(x->week, wk);

	if (x->week < wk) {
		x->returns *= f;
		x->exposure *= f;
		x->week = wk;
	}
	return x;
}

/* Open time from local [from] to [to], split over the bins it spans. */
static void add_exposure(struct agent_predict *p, int64_t from, int64_t to)
{
	while (from < to) {
		int64_t pos = in_week(from), end = from - pos % p->bin_s + p->bin_s;
		int64_t seg_end = end < to ? end : to;

		touch(p, (int)(pos / p->bin_s), week_of(from))->exposure +=
		    (double)(seg_end - from);
		from = seg_end;
		p->dirty = true;
	}
}

bool agent_predict_observe(struct agent_predict *p, int64_t local_s, bool offer, bool run)
{
	bool near =
	    p->last_s && local_s >= p->last_s && local_s - p->last_s <= AGENT_PREDICT_MAX_GAP_S;
	bool closed = false;

	if (near && p->open)
		add_exposure(p, p->last_s, local_s);
	if (near && p->open && !run) {
		touch(p, (int)(in_week(local_s) / p->bin_s), week_of(local_s))->returns += 1.0;
		p->returns_seen++;
		p->dirty = true;
		closed = true;
	}
	/* A window opens with the offer and lasts as long as its jobs may run. */
	p->open = offer || (p->open && run && near);
	p->last_s = local_s;
	return closed;
}

/* The hazard of bin [b] in week [wk]: windows closing per second open. */
static double hazard(const struct agent_predict *p, int b, int32_t wk)
{
	const struct agent_predict_bin *x = &p->bin[b];
	double f = decay(x->week, wk);

	return (x->returns * f + AGENT_PREDICT_PRIOR_RETURNS) /
	       (x->exposure * f + AGENT_PREDICT_PRIOR_EXPOSURE);
}

double agent_predict_expect(const struct agent_predict *p, int64_t local_s)
{
	double surv = 1.0, expect = 0.0;
	int64_t t = local_s, left = AGENT_PREDICT_WEEK_S;

	if (agent_predict_empty(p))
		return -1;
	/* The integral of the survival over the week ahead, one constant-hazard piece per bin. */
	while (left > 0 && surv > 1e-9) {
		int64_t pos = in_week(t), seg = p->bin_s - pos % p->bin_s;
		double h, s;

		if (seg > left)
			seg = left;
		h = hazard(p, (int)(pos / p->bin_s), week_of(t));
		s = exp(-h * (double)seg);
		expect += surv * (1.0 - s) / h; /* h > 0: the prior keeps it so */
		surv *= s;
		t += seg;
		left -= seg;
	}
	return expect;
}

void agent_predict_publish(double secs, struct agent_predict_pub *out)
{
	size_t used = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (secs < 0) {
		out->bucket = -1;
		return;
	}
	for (i = 0; i < AGENT_PREDICT_NLEVELS && secs >= agent_predict_levels_h[i] * 3600.0; i++)
		used += (size_t)snprintf(out->features + used, sizeof(out->features) - used,
					 "%s" AGENT_PREDICT_FEATURE "%dh", i ? "," : "",
					 agent_predict_levels_h[i]);
	out->bucket = i;
	out->weight = (uint32_t)(AGENT_PREDICT_WEIGHT_BASE + AGENT_PREDICT_NLEVELS - i);
}

/* Is the [n] bytes at [s] one of ours, "idle_" digits "h"? */
static bool own_feature(const char *s, size_t n)
{
	size_t k = strlen(AGENT_PREDICT_FEATURE), i;

	if (n < k + 2 || strncmp(s, AGENT_PREDICT_FEATURE, k) || s[n - 1] != 'h')
		return false;
	for (i = k; i < n - 1; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int agent_predict_features(const char *have, const char *mine, char *out, size_t len)
{
	size_t used = 0;
	const char *p = have ? have : "";

	if (!len)
		return -1;
	out[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n && !own_feature(p, n)) {
			if (used + (used ? 1 : 0) + n >= len)
				return -1;
			used += (size_t)snprintf(out + used, len - used, "%s%.*s", used ? "," : "",
						 (int)n, p);
		}
		p += n;
		if (*p)
			p++;
	}
	if (mine && *mine) {
		if (used + (used ? 1 : 0) + strlen(mine) >= len)
			return -1;
		snprintf(out + used, len - used, "%s%s", used ? "," : "", mine);
	}
	return 0;
}

/* ---------------------------------------------------------------- the file */

#define HEADER "idleacc-profile 1"

int agent_predict_format(const struct agent_predict *p, const char *node, char *buf, size_t len)
{
	size_t used = 0;
	int i, n;

	n = snprintf(buf, len, HEADER " node %s bin %lld\n# bin returns exposure_seconds week\n",
		     node, (long long)p->bin_s);
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (i = 0; i < p->nbins; i++) {
		const struct agent_predict_bin *x = &p->bin[i];

		if (x->returns <= 0 && x->exposure <= 0)
			continue;
		n = snprintf(buf + used, len - used, "b %d %.6f %.3f %ld\n", i, x->returns,
			     x->exposure, (long)x->week);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

static int bad(struct agent_predict *p, char *err, size_t errlen, const char *name, int line,
	       const char *what)
{
	int64_t bin_s = p->bin_s;

	snprintf(err, errlen, "%s:%d: %s", name, line, what);
	agent_predict_init(p, bin_s);
	return -1;
}

/* One "b INDEX RETURNS EXPOSURE WEEK" line into [p]; [seen] marks the bins read. */
static const char *bin_line(struct agent_predict *p, const char *l, bool *seen)
{
	double r, e;
	long idx, wk;
	int end = -1;

	if (sscanf(l, "b %ld %lf %lf %ld%n", &idx, &r, &e, &wk, &end) != 4 || end < 0 ||
	    l[end] != '\0')
		return "expected \"b INDEX RETURNS EXPOSURE_SECONDS WEEK\"";
	if (idx < 0 || idx >= p->nbins)
		return "bin index out of range for the bin width";
	if (seen[idx])
		return "bin listed twice";
	if (!isfinite(r) || !isfinite(e) || r < 0 || e < 0 || r > MAX_RETURNS || e > MAX_EXPOSURE)
		return "returns or exposure out of range";
	if (wk < -100000 || wk > 100000)
		return "week out of range";
	seen[idx] = true;
	p->bin[idx] = (struct agent_predict_bin){r, e, (int32_t)wk};
	return NULL;
}

int agent_predict_parse(struct agent_predict *p, const char *node, const char *name,
			const char *buf, size_t len, char *err, size_t errlen)
{
	bool seen[AGENT_PREDICT_MAX_BINS] = {false};
	char l[256], fnode[128];
	size_t off = 0;
	int line = 0, end = -1;
	long long bin;

	agent_predict_init(p, p->bin_s);
	if (len > AGENT_PREDICT_FILE_MAX)
		return bad(p, err, errlen, name, 0, "larger than 64 KiB");
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		const char *why = NULL;

		line++;
		if (n >= sizeof(l))
			return bad(p, err, errlen, name, line, "line too long");
		memcpy(l, buf + off, n);
		l[n] = '\0';
		off += n + (nl ? 1 : 0);
		if (strlen(l) != n)
			return bad(p, err, errlen, name, line, "NUL byte");
		if (line == 1) {
			end = -1;
			if (sscanf(l, HEADER " node %127s bin %lld%n", fnode, &bin, &end) != 2 ||
			    end < 0 || l[end] != '\0')
				return bad(p, err, errlen, name, line,
					   "not a profile: expected \"" HEADER
					   " node NODE bin SECONDS\"");
			if (strcmp(fnode, node))
				return bad(p, err, errlen, name, line, "written for another node");
			if (bin != p->bin_s)
				return bad(p, err, errlen, name, line,
					   "written with another bin width (agent.predict_bin)");
			continue;
		}
		if (!l[0] || l[0] == '#')
			continue;
		if ((why = bin_line(p, l, seen)))
			return bad(p, err, errlen, name, line, why);
	}
	if (!line)
		return bad(p, err, errlen, name, 1, "empty file");
	p->dirty = false;
	return 0;
}
