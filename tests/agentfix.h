/* SPDX-License-Identifier: MIT */
/*
 * agentfix.h - the fixture of idleaccd's unit tests (check_agent, check_dispatch): plain
 * verdicts, node and job views, an agent that has read its node, one planning step, a worker's
 * answer, and one control request answered by dispatch.c's table.
 */
#ifndef TESTS_AGENTFIX_H
#define TESTS_AGENTFIX_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dispatch.h"
#include "plan.h"
#include "testutil.h"

#define T0   1700000000000LL /* a wall clock, ms */
#define S    1000LL	     /* one second in ms */
#define HOUR (3600 * S)

static inline struct agent_params params(enum idle_on_return mode)
{
	struct agent_params p;
	struct idle_policy pol;

	idle_policy_default(&pol);
	pol.on_owner_return = mode;
	pol.max_suspend = 600;
	pol.warn_grace = 120;
	pol.warn_signal = SIGTERM;
	agent_params_set(&p, &pol, 100000); /* reconcile out of the way unless a test wants it */
	return p;
}

static inline struct idle_verdict present(const char *why)
{
	struct idle_verdict v;

	memset(&v, 0, sizeof(v));
	v.owner = IDLE_OWNER_PRESENT;
	v.nreasons = 1;
	snprintf(v.reasons[0], sizeof(v.reasons[0]), "%s", why);
	return v;
}

static inline struct idle_verdict absent(bool offer, bool run)
{
	struct idle_verdict v;

	memset(&v, 0, sizeof(v));
	v.owner = IDLE_OWNER_ABSENT;
	v.offer = offer;
	v.run = run;
	v.nreasons = 1;
	snprintf(v.reasons[0], sizeof(v.reasons[0]), "no input for 20m >= 15m");
	return v;
}

static inline struct agent_node node_view(const char *state, bool drain, const char *reason)
{
	struct agent_node n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "d1");
	snprintf(n.state, sizeof(n.state), "%s", state);
	n.drain = drain;
	n.down = !strcmp(state, "DOWN");
	snprintf(n.reason, sizeof(n.reason), "%s", reason);
	return n;
}

static inline struct agent_job job(uint32_t id, bool running, bool requeueable)
{
	struct agent_job j;

	memset(&j, 0, sizeof(j));
	j.id = id;
	j.running = running;
	j.suspended = !running;
	snprintf(j.state, sizeof(j.state), "%s", running ? "RUNNING" : "SUSPENDED");
	j.requeueable = requeueable;
	j.batch = true;
	return j;
}

/* A fresh agent that has read the node (and an empty job list) a minute before T0. */
static inline void start(struct agent_state *st, const struct agent_params *p, struct agent_node n)
{
	struct agent_action a[8];
	struct agent_result r;
	int k;

	agent_state_init(st, "d1");
	k = agent_plan(st, p, T0 - 60 * S, a, 8);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RECONCILE);
	agent_issue(st, &a[0], T0 - 60 * S);
	memset(&r, 0, sizeof(r));
	r.act = a[0];
	r.have_node = r.have_jobs = true;
	r.node = n;
	agent_apply(st, p, &r, T0 - 60 * S);
}

/* Plans at [now], issues every action, and returns how many there were. */
static inline int step(struct agent_state *st, const struct agent_params *p, int64_t now,
		       struct agent_action *a)
{
	int k = agent_plan(st, p, now, a, 16), i;

	for (i = 0; i < k; i++)
		agent_issue(st, &a[i], now);
	return k;
}

/* The worker's answer: [rc] 0 done; for drain/resume the node as it then is. */
static inline void done(struct agent_state *st, const struct agent_params *p,
			const struct agent_action *a, int rc, int64_t now)
{
	struct agent_result r;

	memset(&r, 0, sizeof(r));
	r.act = *a;
	r.rc = rc;
	if (rc)
		snprintf(r.err, sizeof(r.err), "requeue %u: Requeue of this job is disabled",
			 a->job);
	if (!rc && a->kind == AGENT_ACT_DRAIN) {
		r.have_node = true;
		r.node = node_view("IDLE", true, a->reason);
	} else if (!rc && a->kind == AGENT_ACT_RESUME) {
		r.have_node = true;
		r.node = node_view("IDLE", false, "");
	}
	agent_apply(st, p, &r, now);
}

static inline void jobs_listed(struct agent_state *st, const struct agent_params *p,
			       const struct agent_action *a, struct agent_job *jobs, size_t n,
			       int64_t now)
{
	struct agent_result r;

	memset(&r, 0, sizeof(r));
	r.act = *a;
	r.have_jobs = true;
	r.jobs = jobs;
	r.njobs = n;
	agent_apply(st, p, &r, now);
}

static inline const struct agent_action *find(const struct agent_action *a, int n,
					      enum agent_act kind, uint32_t job)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i].kind == kind && a[i].job == job)
			return &a[i];
	return NULL;
}

static struct agent_state st; /* large: static */

/* The owner comes back at T0 + S to an ALLOCATED node running [jobs]: the agent drains, asks
 * for the jobs and gets them. The caller's next step plans what happens to them. */
static inline void owner_back(const struct agent_params *p, struct agent_job *jobs, size_t n)
{
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	int k;

	start(&st, p, node_view("ALLOCATED", false, ""));
	agent_observe(&st, &v, T0 + S);
	k = step(&st, p, T0 + S, a);
	jobs_listed(&st, p, find(a, k, AGENT_ACT_JOBS, 0), jobs, n, T0 + S);
}

/* The reconcile [a] of [ag] answered at [now]: the node [n] and the [nj] jobs [jobs]. */
static inline void reconciled(struct agent_state *ag, const struct agent_params *p,
			      const struct agent_action *a, struct agent_node n,
			      struct agent_job *jobs, size_t nj, int64_t now)
{
	struct agent_result r;

	memset(&r, 0, sizeof(r));
	r.act = *a;
	r.have_node = r.have_jobs = true;
	r.node = n;
	r.jobs = jobs;
	r.njobs = nj;
	agent_apply(ag, p, &r, now);
}

/* The agent [st] on an IDLE node, offered at T0 (times shown in UTC). */
static inline void offered(const struct agent_params *p)
{
	struct idle_verdict v = absent(true, true);

	setenv("TZ", "UTC", 1);
	tzset();
	start(&st, p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
}

/* The file's text, for the test's eyes. */
static inline char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* What the console rule says of every asker but root in ask(); how it was found ("test"). */
static bool at_console;

static inline bool console_rule(void *arg, uid_t uid, char *why, size_t whylen)
{
	(void)arg, (void)uid;
	snprintf(why, whylen, "test: %s", at_console ? "at the console" : "not at the console");
	return at_console;
}

/* One request from uid [uid] ("admit 5", "hold 10m") to the agent [st] under the policy
 * [*p] (max_hold 1h), answered into a static buffer. */
static inline const char *ask_with(const struct agent_params *p, uid_t uid, const char *req,
				   int64_t now)
{
	static char resp[CTL_RESP_MAX];
	const struct agent_reqenv env = {
	    .st = &st,
	    .p = p,
	    .config = "/etc/idleacc/idleacc.yaml",
	    .pid = 4242,
	    .max_hold = 3600,
	    .console = console_rule,
	};
	char *out = agent_request(&env, req, uid, now);

	ck_assert_ptr_nonnull(out);
	ck_assert_uint_lt(strlen(out), sizeof(resp));
	snprintf(resp, sizeof(resp), "%s", out);
	free(out);
	return resp;
}

/* The same under the suspend policy. */
static inline const char *ask(uid_t uid, const char *req, int64_t now)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);

	return ask_with(&p, uid, req, now);
}

#endif /* TESTS_AGENTFIX_H */
