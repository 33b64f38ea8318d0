/* SPDX-License-Identifier: MIT */
/*
 * check_agent.c - idleaccd's decisions (nodeagent/plan.c) with plain structs, its state file,
 * the control socket server, the SPANK plugin's requests, and the status text.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "ctl.h"
#include "cycle.h"
#include "localstop.h"
#include "plan.h"
#include "plugreq.h"
#include "report.h"
#include "state.h"
#include "testutil.h"

#define T0 1700000000000LL /* a wall clock, ms */
#define S  1000LL	   /* one second in ms */

static struct agent_params params(enum idle_on_return mode)
{
	struct agent_params p;

	idle_policy_default(&p.pol);
	p.pol.on_owner_return = mode;
	p.pol.max_suspend = 600;
	p.pol.warn_grace = 120;
	p.pol.warn_signal = SIGTERM;
	p.reconcile = 100000; /* out of the way unless a test wants it */
	return p;
}

static struct idle_verdict present(const char *why)
{
	struct idle_verdict v;

	memset(&v, 0, sizeof(v));
	v.owner = IDLE_OWNER_PRESENT;
	v.nreasons = 1;
	snprintf(v.reasons[0], sizeof(v.reasons[0]), "%s", why);
	return v;
}

static struct idle_verdict absent(bool offer, bool run)
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

static struct agent_node node_view(const char *state, bool drain, const char *reason)
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

static struct agent_job job(uint32_t id, bool running, bool requeueable)
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
static void start(struct agent_state *st, const struct agent_params *p, struct agent_node n)
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
static int step(struct agent_state *st, const struct agent_params *p, int64_t now,
		struct agent_action *a)
{
	int k = agent_plan(st, p, now, a, 16), i;

	for (i = 0; i < k; i++)
		agent_issue(st, &a[i], now);
	return k;
}

/* The worker's answer: [rc] 0 done; for drain/resume the node as it then is. */
static void done(struct agent_state *st, const struct agent_params *p, const struct agent_action *a,
		 int rc, int64_t now)
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

static void jobs_listed(struct agent_state *st, const struct agent_params *p,
			const struct agent_action *a, struct agent_job *jobs, size_t n, int64_t now)
{
	struct agent_result r;

	memset(&r, 0, sizeof(r));
	r.act = *a;
	r.have_jobs = true;
	r.jobs = jobs;
	r.njobs = n;
	agent_apply(st, p, &r, now);
}

static const struct agent_action *find(const struct agent_action *a, int n, enum agent_act kind,
				       uint32_t job)
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
static void owner_back(const struct agent_params *p, struct agent_job *jobs, size_t n)
{
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	int k;

	start(&st, p, node_view("ALLOCATED", false, ""));
	agent_observe(&st, &v, T0 + S);
	k = step(&st, p, T0 + S, a);
	jobs_listed(&st, p, find(a, k, AGENT_ACT_JOBS, 0), jobs, n, T0 + S);
}

/* ------------------------------------------------------------- node transitions */

START_TEST(test_drain_once_per_transition)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 4s ago < 15m");
	int k, i;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0 + S);
	k = step(&st, &p, T0 + S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: console input 4s ago < 15m");
	/* In flight: no second drain, whatever the samples say. */
	v = present("console input 5s ago < 15m");
	agent_observe(&st, &v, T0 + 2 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 2 * S, a + 1), 0);
	done(&st, &p, &a[0], 0, T0 + 2 * S);
	/* Drained: a hundred samples later with new reason texts, still no call. */
	for (i = 0; i < 100; i++) {
		v = present(i % 2 ? "console input 1s ago < 15m" : "non-job load 0.9 > 0.3");
		agent_observe(&st, &v, T0 + (3 + i) * S);
		ck_assert_int_eq(step(&st, &p, T0 + (3 + i) * S, a), 0);
	}
	ck_assert_str_eq(st.node.reason, "IDLEACC: console input 4s ago < 15m");
}
END_TEST

START_TEST(test_resume_once_when_offered)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);

	start(&st, &p, node_view("IDLE", true, "IDLEACC: console input 4s ago < 15m"));
	agent_observe(&st, &v, T0 + S);
	ck_assert_int_eq(step(&st, &p, T0 + S, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RESUME);
	ck_assert_int_eq(step(&st, &p, T0 + S, a + 1), 0);
	done(&st, &p, &a[0], 0, T0 + 2 * S);
	agent_observe(&st, &v, T0 + 3 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 3 * S, a), 0);
	ck_assert(!st.node.drain);
	/* Absent but not yet offered (idle_after not reached): stays drained; the reason left
	 * by an earlier run no longer says what holds, so it is rewritten once, then no call. */
	start(&st, &p, node_view("IDLE", true, "IDLEACC: console input 4s ago < 15m"));
	v = absent(false, true);
	agent_observe(&st, &v, T0 + S);
	ck_assert_int_eq(step(&st, &p, T0 + S, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: no input for 20m >= 15m");
	done(&st, &p, &a[0], 0, T0 + S);
	agent_observe(&st, &v, T0 + 5 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 5 * S, a), 0);
}
END_TEST

/* A verdict with one reason [text] of code [code]. */
static struct idle_verdict coded(enum idle_owner owner, bool run, const char *text, int code)
{
	struct idle_verdict v;

	memset(&v, 0, sizeof(v));
	v.owner = owner;
	v.run = run;
	v.nreasons = 1;
	v.codes[0] = (unsigned char)code;
	snprintf(v.reasons[0], sizeof(v.reasons[0]), "%s", text);
	return v;
}

/*
 * The reason in Slurm is rewritten when what it says stops being true (here: the input age
 * reached idle_after while offer hours keep the desktop out), never because an age it quotes
 * only grew, and at most every AGENT_REASON_MIN_MS; the agent wakes for a rewrite held back.
 */
START_TEST(test_reason_refresh)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v;

	start(&st, &p, node_view("IDLE", false, ""));
	v = coded(IDLE_OWNER_PRESENT, false, "console input 0s ago < 3s", IDLE_RC_INPUT_LT);
	agent_observe(&st, &v, T0);
	ck_assert_int_eq(step(&st, &p, T0, a), 1);
	ck_assert_str_eq(a[0].reason, "IDLEACC: console input 0s ago < 3s");
	done(&st, &p, &a[0], 0, T0);

	/* The age grew, the comparison holds: nothing to write. */
	v = coded(IDLE_OWNER_PRESENT, false, "console input 2s ago < 3s", IDLE_RC_INPUT_LT);
	agent_observe(&st, &v, T0 + 2 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 2 * S, a), 0);

	/* Now it is 3 s >= 3 s, but outside offer hours: rewritten, not left saying "< 3s". */
	v = coded(IDLE_OWNER_ABSENT, true, "console input 3s ago >= 3s", IDLE_RC_INPUT_GE);
	agent_observe(&st, &v, T0 + 3 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 3 * S, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: console input 3s ago >= 3s");
	done(&st, &p, &a[0], 0, T0 + 3 * S);
	ck_assert_str_eq(st.node.reason, "IDLEACC: console input 3s ago >= 3s");

	/* The owner types again 200 ms later: the rewrite waits for AGENT_REASON_MIN_MS, and
	 * the agent wakes for it. */
	v = coded(IDLE_OWNER_PRESENT, false, "console input 0s ago < 3s", IDLE_RC_INPUT_LT);
	agent_observe(&st, &v, T0 + 3 * S + 200);
	ck_assert_int_eq(step(&st, &p, T0 + 3 * S + 200, a), 0);
	ck_assert_int_eq(agent_deadline(&st, &p, T0 + 3 * S + 200),
			 T0 + 3 * S + AGENT_REASON_MIN_MS);
	ck_assert_int_eq(step(&st, &p, T0 + 3 * S + AGENT_REASON_MIN_MS, a), 1);
	ck_assert_str_eq(a[0].reason, "IDLEACC: console input 0s ago < 3s");
}
END_TEST

START_TEST(test_unknown_drains)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v;

	memset(&v, 0, sizeof(v));
	v.owner = IDLE_OWNER_UNKNOWN;
	v.nreasons = 1;
	snprintf(v.reasons[0], sizeof(v.reasons[0]), "tty unknown: utmp unreadable");
	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0 + S);
	ck_assert_int_eq(step(&st, &p, T0 + S, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: tty unknown: utmp unreadable");
}
END_TEST

START_TEST(test_reason_fits)
{
	struct idle_verdict v = present("x");
	char buf[AGENT_REASON_LEN];
	int i;

	v.nreasons = IDLE_MAX_REASONS;
	for (i = 0; i < IDLE_MAX_REASONS; i++)
		memset(v.reasons[i], 'a' + i, IDLE_REASON_LEN - 1),
		    v.reasons[i][IDLE_REASON_LEN - 1] = 0;
	agent_drain_reason(&v, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), AGENT_REASON_LEN - 1);
	ck_assert(!strncmp(buf, "IDLEACC: aaaa", 13));
	ck_assert_str_eq(buf + strlen(buf) - 3, "...");
}
END_TEST

/* ------------------------------------------------------------- ownership */

START_TEST(test_foreign_drain_left_alone)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	struct agent_result r;
	int i;

	start(&st, &p, node_view("IDLE", true, "disk replacement"));
	agent_observe(&st, &v, T0 - 59 * S);
	ck_assert_int_eq(step(&st, &p, T0 - 59 * S, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_STAND_ASIDE);
	ck_assert(st.aside);
	/* Said once; never a resume, never a drain over the admin's reason. */
	for (i = 0; i < 20; i++) {
		v = i % 2 ? absent(true, true) : present("console input 1s ago < 15m");
		agent_observe(&st, &v, T0 + (2 + i) * S);
		ck_assert_ptr_null(
		    find(a, step(&st, &p, T0 + (2 + i) * S, a), AGENT_ACT_RESUME, 0));
		ck_assert_ptr_null(
		    find(a, agent_plan(&st, &p, T0 + (2 + i) * S, a, 16), AGENT_ACT_DRAIN, 0));
	}
	ck_assert_str_eq(st.node.reason, "disk replacement");
	/* Standing aside, the node is reread within a minute, not ten. */
	ck_assert_int_le(st.next_reconcile_ms, T0 - 60 * S + AGENT_ASIDE_RECONCILE_MS);
	/* The admin resumes it; the next reconcile sees that and we take over again. */
	memset(&r, 0, sizeof(r));
	r.act.kind = AGENT_ACT_RECONCILE;
	agent_issue(&st, &r.act, T0 + 70 * S);
	r.have_node = r.have_jobs = true;
	r.node = node_view("IDLE", false, "");
	agent_apply(&st, &p, &r, T0 + 70 * S);
	ck_assert(!st.aside);
	v = present("console input 1s ago < 15m");
	agent_observe(&st, &v, T0 + 71 * S);
	ck_assert_ptr_nonnull(find(a, step(&st, &p, T0 + 71 * S, a), AGENT_ACT_DRAIN, 0));
}
END_TEST

START_TEST(test_foreign_down_and_ours)
{
	struct agent_node n = node_view("DOWN", false, "Not responding");

	ck_assert(agent_node_foreign(&n));
	n = node_view("IDLE", true, "IDLEACC: held by alice until 14:00");
	ck_assert(!agent_node_foreign(&n));
	n = node_view("IDLE", true, "NHC: check_fs_mount: /scratch not mounted");
	ck_assert(agent_node_foreign(&n));
	n = node_view("ALLOCATED", false, "");
	ck_assert(!agent_node_foreign(&n));
}
END_TEST

START_TEST(test_drain_skipped_when_admin_drained_meanwhile)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 1s ago < 15m");
	struct agent_result r;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0 + S);
	ck_assert_int_eq(step(&st, &p, T0 + S, a), 1);
	/* The worker read the node first and found an admin's drain: it did not drain. */
	memset(&r, 0, sizeof(r));
	r.act = a[0];
	r.skipped = r.have_node = true;
	r.node = node_view("IDLE", true, "maintenance");
	agent_apply(&st, &p, &r, T0 + 2 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 2 * S, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_STAND_ASIDE);
	ck_assert_str_eq(st.node.reason, "maintenance");
}
END_TEST

/* ------------------------------------------------------------- jobs */

START_TEST(test_suspend_then_resume)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	struct agent_job jobs[2] = {job(41, true, true), job(42, true, false)};
	const struct agent_action *x;
	int k, i;

	start(&st, &p, node_view("ALLOCATED", false, ""));
	agent_observe(&st, &v, T0 + S);
	ck_assert_int_eq(step(&st, &p, T0 + S, a), 0);
	/* The owner comes back: drain and list the jobs, nothing else yet. */
	v = present("console input 0s ago < 15m");
	agent_observe(&st, &v, T0 + 10 * S);
	k = step(&st, &p, T0 + 10 * S, a);
	ck_assert_int_eq(k, 2);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_int_eq(a[1].kind, AGENT_ACT_JOBS);
	done(&st, &p, &a[0], 0, T0 + 10 * S);
	jobs_listed(&st, &p, &a[1], jobs, 2, T0 + 10 * S);
	k = step(&st, &p, T0 + 10 * S, a);
	ck_assert_int_eq(k, 2);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 41));
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 42));
	for (i = 0; i < k; i++)
		done(&st, &p, &a[i], 0, T0 + 11 * S);
	ck_assert_int_eq(agent_job_find(&st, 41)->fate, AGENT_JOB_SUSPENDED);
	ck_assert(st.dirty);
	/* Owner still there: nothing until max_suspend. */
	ck_assert_int_eq(step(&st, &p, T0 + 60 * S, a), 0);
	/* Away long enough to run (not yet to offer): resume what we suspended; node stays. */
	v = absent(false, true);
	agent_observe(&st, &v, T0 + 120 * S);
	k = step(&st, &p, T0 + 120 * S, a);
	ck_assert_int_eq(k, 2);
	x = find(a, k, AGENT_ACT_RESUME_JOB, 41);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_RESUME_JOB, 42));
	for (i = 0; i < k; i++)
		done(&st, &p, &a[i], 0, T0 + 121 * S);
	ck_assert_int_eq(agent_job_find(&st, 41)->fate, AGENT_JOB_SEEN);
	ck_assert_int_eq(agent_job_find(&st, 41)->resumed_ms, T0 + 121 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 122 * S, a), 0);
}
END_TEST

/* What a test's cycle handed to the "worker": every action, in order. */
static struct agent_action pushed[2 * AGENT_MAX_JOBS];
static int npushed;

static int push_record(void *arg, const struct agent_action *a)
{
	(void)arg;
	ck_assert_int_lt(npushed, 2 * AGENT_MAX_JOBS);
	pushed[npushed++] = *a;
	return 0;
}

static const struct agent_cycle_ops record_ops = {.push = push_record};

/* What the state file said each time the cycle asked for it to be written. */
static char saved_path[256];
static int nsaved;

static void save_record(void *arg)
{
	char err[256];

	(void)arg;
	nsaved++;
	ck_assert_int_eq(agent_state_save(&st, saved_path, err, sizeof(err)), 0);
	st.dirty = false;
}

/*
 * A suspend is in the state file before it is queued: an agent killed after slurmctld
 * suspended the job, before it saved the answer, adopts the suspended job when restarted
 * (found by fault_kill_suspend.test: it was left suspended as someone else's, forever).
 */
START_TEST(test_suspend_saved_before_the_call)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	const struct agent_cycle_ops ops = {.push = push_record, .save = save_record};
	struct agent_job jobs[1] = {job(41, true, true)};
	static struct agent_state b;
	char dir[] = "/tmp/check_agent.XXXXXX", err[256];
	struct agent_action a[16];
	int k;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(saved_path, sizeof(saved_path), "%s/d1.state", dir);
	owner_back(&p, jobs, 1);
	npushed = nsaved = 0;
	ck_assert_int_ge(agent_cycle(&st, &p, T0 + 2 * S, &ops), 1);
	ck_assert_ptr_nonnull(find(pushed, npushed, AGENT_ACT_SUSPEND, 41));
	ck_assert_int_eq(nsaved, 1);
	/* Killed now: the restarted agent reads the job as suspended by us since the call. */
	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_load(&b, saved_path, T0 + 3 * S, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.njobs, 1);
	ck_assert_int_eq(b.jobs[0].id, 41);
	ck_assert_int_eq(b.jobs[0].fate, AGENT_JOB_SUSPENDED);
	ck_assert_int_eq(b.jobs[0].suspended_ms, T0 + 2 * S);
	/* Not killed: the answer clears the mark; the job is suspended as usual. */
	done(&st, &p, find(pushed, npushed, AGENT_ACT_SUSPEND, 41), 0, T0 + 3 * S);
	ck_assert_int_eq(agent_job_find(&st, 41)->suspend_asked_ms, 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->fate, AGENT_JOB_SUSPENDED);
	ck_assert(st.dirty);
	/* A failed suspend leaves no record of ours. */
	owner_back(&p, jobs, 1);
	k = step(&st, &p, T0 + 2 * S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 41));
	ck_assert(agent_intend(&st, find(a, k, AGENT_ACT_SUSPEND, 41), T0 + 2 * S));
	done(&st, &p, find(a, k, AGENT_ACT_SUSPEND, 41), -1, T0 + 3 * S);
	ck_assert_int_eq(agent_job_find(&st, 41)->suspend_asked_ms, 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->fate, AGENT_JOB_SEEN);
	ck_assert_int_eq(agent_state_save(&st, saved_path, err, sizeof(err)), 0);
	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_load(&b, saved_path, T0 + 3 * S, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.njobs, 0);
	unlink(saved_path);
	rmdir(dir);
}
END_TEST

START_TEST(test_every_job_suspended)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	static struct agent_job jobs[AGENT_MAX_JOBS];
	static bool seen[AGENT_MAX_JOBS];
	int i, n;

	for (i = 0; i < AGENT_MAX_JOBS; i++)
		jobs[i] = job(1000 + (uint32_t)i, true, true);
	owner_back(&p, jobs, AGENT_MAX_JOBS);
	ck_assert_uint_eq(st.njobs, AGENT_MAX_JOBS);
	/* One cycle: every running job gets its suspend, none is left beside the owner. */
	npushed = 0;
	n = agent_cycle(&st, &p, T0 + S, &record_ops);
	ck_assert_int_eq(n, AGENT_MAX_JOBS);
	ck_assert_int_eq(npushed, AGENT_MAX_JOBS);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < npushed; i++) {
		ck_assert_int_eq(pushed[i].kind, AGENT_ACT_SUSPEND);
		ck_assert(!seen[pushed[i].job - 1000]);
		seen[pushed[i].job - 1000] = true;
	}
	/* All in flight: the next cycle has nothing left to do. */
	npushed = 0;
	ck_assert_int_eq(agent_cycle(&st, &p, T0 + 2 * S, &record_ops), 0);
	ck_assert_int_eq(npushed, 0);
}
END_TEST

START_TEST(test_too_many_jobs_listed_again)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	static struct agent_job jobs[AGENT_MAX_JOBS + 2];
	struct agent_action a[16];
	int i, k;

	for (i = 0; i < AGENT_MAX_JOBS + 2; i++)
		jobs[i] = job(1000 + (uint32_t)i, true, true);
	owner_back(&p, jobs, AGENT_MAX_JOBS + 2);
	ck_assert_uint_eq(st.njobs, AGENT_MAX_JOBS);
	ck_assert_str_eq(st.events[(st.nevents - 1) % AGENT_MAX_EVENTS].text,
			 "too many jobs on the node: 2 not tracked (job 1256 first), at most 256"
			 " are; listing the jobs again in 10s");
	/* Not dropped for good: listed again after the retry, when some may have ended. */
	k = agent_plan(&st, &p, T0 + S + AGENT_RETRY_MS - 1, a, 16);
	ck_assert_ptr_null(find(a, k, AGENT_ACT_JOBS, 0));
	k = agent_plan(&st, &p, T0 + S + AGENT_RETRY_MS, a, 16);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_JOBS, 0));
}
END_TEST

START_TEST(test_jobs_suspended_by_others_untouched)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	struct agent_job jobs[1] = {job(50, false, true)}; /* an admin suspended it */
	int k;

	owner_back(&p, jobs, 1);
	v = absent(true, true);
	agent_observe(&st, &v, T0 + 1000 * S);
	k = step(&st, &p, T0 + 1000 * S, a);
	ck_assert_ptr_null(find(a, k, AGENT_ACT_RESUME_JOB, 50));
	ck_assert_ptr_null(find(a, k, AGENT_ACT_REQUEUE, 50));
}
END_TEST

START_TEST(test_max_suspend_requeues)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	struct agent_job jobs[2] = {job(7, true, true), job(8, true, false)};
	int k, i;

	owner_back(&p, jobs, 2);
	k = step(&st, &p, T0 + S, a);
	for (i = 0; i < k; i++)
		done(&st, &p, &a[i], 0, T0 + 2 * S);
	/* One second short of max_suspend: nothing. */
	ck_assert_int_eq(agent_deadline(&st, &p, T0 + 3 * S), T0 + 602 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 601 * S, a), 0);
	k = step(&st, &p, T0 + 602 * S, a);
	ck_assert_int_eq(k, 2);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_REQUEUE, 7));
	/* 8 has --no-requeue: kept suspended, never cancelled. */
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_KEEP, 8));
	ck_assert_int_eq(agent_job_find(&st, 8)->fate, AGENT_JOB_KEPT);
	done(&st, &p, find(a, k, AGENT_ACT_REQUEUE, 7), 0, T0 + 603 * S);
	ck_assert_int_eq(agent_job_find(&st, 7)->fate, AGENT_JOB_REQUEUED);
	k = step(&st, &p, T0 + 3000 * S, a);
	ck_assert_ptr_null(find(a, k, AGENT_ACT_CANCEL, 8));
	ck_assert_ptr_null(find(a, k, AGENT_ACT_REQUEUE, 8));
	/* The owner leaves: the kept job runs again. */
	v = absent(false, true);
	agent_observe(&st, &v, T0 + 3001 * S);
	k = step(&st, &p, T0 + 3001 * S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_RESUME_JOB, 8));
	ck_assert_ptr_null(find(a, k, AGENT_ACT_RESUME_JOB, 7));
}
END_TEST

START_TEST(test_requeue_refused_keeps_job)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct agent_job jobs[1] = {job(9, true, true)};
	int k;

	owner_back(&p, jobs, 1);
	k = step(&st, &p, T0 + S, a);
	done(&st, &p, find(a, k, AGENT_ACT_SUSPEND, 9), 0, T0 + S);
	k = step(&st, &p, T0 + 700 * S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_REQUEUE);
	done(&st, &p, &a[0], -1, T0 + 700 * S); /* ESLURM_DISABLED */
	ck_assert_int_eq(agent_job_find(&st, 9)->fate, AGENT_JOB_KEPT);
	ck_assert_int_eq(step(&st, &p, T0 + 2000 * S, a), 0);
}
END_TEST

START_TEST(test_requeue_mode_warns_first)
{
	struct agent_params p = params(IDLE_RETURN_REQUEUE);
	struct agent_action a[16];
	struct agent_job jobs[2] = {job(3, true, true), job(4, true, false)};
	const struct agent_action *x;
	int k;

	owner_back(&p, jobs, 2);
	k = step(&st, &p, T0 + S, a);
	ck_assert_int_eq(k, 2);
	x = find(a, k, AGENT_ACT_SIGNAL, 3);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->sig, SIGTERM);
	done(&st, &p, x, 0, T0 + 2 * S);
	/* 4 cannot be requeued: suspended and kept instead of signalled. */
	x = find(a, k, AGENT_ACT_SUSPEND, 4);
	ck_assert_ptr_nonnull(x);
	ck_assert(x->keep);
	done(&st, &p, x, 0, T0 + 2 * S);
	ck_assert_int_eq(agent_job_find(&st, 4)->fate, AGENT_JOB_KEPT);
	/* The grace runs 120 s from the signal. */
	ck_assert_int_eq(step(&st, &p, T0 + 121 * S, a), 0);
	k = step(&st, &p, T0 + 122 * S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_REQUEUE);
	ck_assert_int_eq(a[0].job, 3);
}
END_TEST

START_TEST(test_cancel_mode)
{
	struct agent_params p = params(IDLE_RETURN_CANCEL);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	struct agent_job jobs[1] = {job(5, true, false)};
	int k;

	owner_back(&p, jobs, 1);
	k = step(&st, &p, T0 + S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_SIGNAL);
	done(&st, &p, &a[0], 0, T0 + S);
	ck_assert_int_eq(agent_job_find(&st, 5)->fate, AGENT_JOB_WARN_CANCEL);
	/* Even if the owner leaves during the grace, the warned job is cancelled. */
	v = absent(true, true);
	agent_observe(&st, &v, T0 + 60 * S);
	ck_assert_ptr_null(find(a, step(&st, &p, T0 + 60 * S, a), AGENT_ACT_CANCEL, 5));
	k = step(&st, &p, T0 + 121 * S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_CANCEL, 5));
}
END_TEST

START_TEST(test_drain_mode_leaves_jobs)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	int k;

	start(&st, &p, node_view("ALLOCATED", false, ""));
	agent_observe(&st, &v, T0 + S);
	k = step(&st, &p, T0 + S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN); /* and no job listing */
}
END_TEST

/* ------------------------------------------------------------- hold */

START_TEST(test_hold)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	char resp[256];
	int k;

	setenv("TZ", "UTC", 1);
	tzset();
	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	ck_assert_int_eq(agent_hold(&st, 1000, "bob", false, 600, 3600, T0, resp, sizeof(resp)),
			 -1);
	ck_assert_str_eq(resp, "refused: only root or the console user may hold this desktop");
	ck_assert_int_eq(agent_hold(&st, 1000, "alice", true, 7200, 3600, T0, resp, sizeof(resp)),
			 -1);
	ck_assert_str_eq(resp, "refused: a hold of 2h is longer than max_hold (1h)");
	ck_assert_int_eq(agent_hold(&st, 1000, "alice", true, 600, 3600, T0, resp, sizeof(resp)),
			 0);
	/* T0 is 2023-11-14 22:13:20 UTC */
	ck_assert_str_eq(resp, "ok: held by alice until 22:23");
	k = step(&st, &p, T0 + S, a);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: held by alice until 22:23");
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_JOBS, 0)); /* jobs stop for a hold too */
	done(&st, &p, &a[0], 0, T0 + S);
	/* Release while the owner is away: resume. */
	ck_assert_int_eq(agent_release(&st, 0, "root", false, T0 + 2 * S, resp, sizeof(resp)), 0);
	ck_assert_str_eq(resp, "ok: hold by alice released");
	agent_observe(&st, &v, T0 + 3 * S);
	ck_assert_ptr_nonnull(find(a, step(&st, &p, T0 + 3 * S, a), AGENT_ACT_RESUME, 0));
}
END_TEST

START_TEST(test_hold_ends_with_owner_present)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 2s ago < 15m");
	char resp[256];

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	agent_hold(&st, 0, "root", false, 60, 3600, T0, resp, sizeof(resp));
	step(&st, &p, T0, a);
	ck_assert(!strncmp(a[0].reason, AGENT_HOLD_PREFIX, strlen(AGENT_HOLD_PREFIX)));
	done(&st, &p, &a[0], 0, T0);
	/* The hold expires: the reason becomes the owner's, in one call. */
	agent_observe(&st, &v, T0 + 61 * S);
	ck_assert(!agent_hold_active(&st, T0 + 61 * S));
	ck_assert_int_eq(step(&st, &p, T0 + 61 * S, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: console input 2s ago < 15m");
}
END_TEST

/* ------------------------------------------------------------- clocks */

#define HOUR (3600 * S)

/* The daemon's clocks read at [mono], the wall clock [step] ms off where it was at start. */
static int64_t clocks(int64_t mono, int64_t step)
{
	return agent_clock(&st, mono, mono + step);
}

START_TEST(test_wall_step_suspend)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct agent_job jobs[1] = {job(7, true, true)};
	static char out[CTL_RESP_MAX];
	struct agent_buf b;
	int64_t now;

	setenv("TZ", "UTC", 1);
	tzset();
	owner_back(&p, jobs, 1);
	now = clocks(T0 + S, 0);
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_SUSPEND);
	done(&st, &p, &a[0], 0, now);
	/* NTP steps the wall clock an hour ahead: max_suspend (10 min) is still 599 s away. */
	now = clocks(T0 + 2 * S, HOUR);
	ck_assert_int_eq(step(&st, &p, now, a), 0);
	ck_assert_int_eq(agent_deadline(&st, &p, now), clocks(T0 + 601 * S, HOUR));
	/* People see the times on the clock as it now is. */
	agent_buf_init(&b, out, sizeof(out));
	agent_report_status(&b, &st, &p, NULL, "node d1: test", now);
	ck_assert_msg(strstr(out, "  7 SUSPENDED: suspended by idleaccd at 23:13:21; requeued at"
				  " 23:23:21 if still suspended\n"),
		      "%s", out);
	/* And back two hours (an hour behind where it started): the requeue is not late. */
	now = clocks(T0 + 601 * S - 1, -HOUR);
	ck_assert_int_eq(step(&st, &p, now, a), 0);
	now = clocks(T0 + 601 * S, -HOUR);
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_REQUEUE);
	done(&st, &p, &a[0], 0, now);
	/* The event is stamped with the wall clock of its moment. */
	ck_assert_str_eq(st.events[(st.nevents - 1) % AGENT_MAX_EVENTS].text,
			 "requeued job 7 (owner back)");
	ck_assert_int_eq(st.events[(st.nevents - 1) % AGENT_MAX_EVENTS].ms, T0 + 601 * S - HOUR);
}
END_TEST

START_TEST(test_wall_step_grace)
{
	struct agent_params p = params(IDLE_RETURN_CANCEL);
	struct agent_action a[16];
	struct agent_job jobs[1] = {job(5, true, false)};
	int64_t now;

	owner_back(&p, jobs, 1);
	now = clocks(T0 + S, 0);
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_SIGNAL);
	done(&st, &p, &a[0], 0, now);
	/* warn_grace is 120 s: an hour's step ahead does not end it early... */
	now = clocks(T0 + 60 * S, HOUR);
	ck_assert_int_eq(step(&st, &p, now, a), 0);
	ck_assert_int_eq(agent_deadline(&st, &p, now), clocks(T0 + 121 * S, HOUR));
	/* ...nor a step back an hour late. */
	now = clocks(T0 + 121 * S - 1, -HOUR);
	ck_assert_int_eq(step(&st, &p, now, a), 0);
	now = clocks(T0 + 121 * S, -HOUR);
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_CANCEL);
}
END_TEST

START_TEST(test_wall_step_hold)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	char resp[256];
	int64_t now;

	setenv("TZ", "UTC", 1);
	tzset();
	start(&st, &p, node_view("IDLE", false, ""));
	now = clocks(T0, HOUR);
	agent_observe(&st, &v, now);
	/* The hold's end is shown on the wall clock: 10 min after 23:13:20. */
	ck_assert_int_eq(agent_hold(&st, 0, "root", false, 600, 3600, now, resp, sizeof(resp)), 0);
	ck_assert_str_eq(resp, "ok: held by root until 23:23");
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	done(&st, &p, &a[0], 0, now);
	/* The wall clock is stepped back to the true time, then ahead of it: the hold lasts 10 min.
	 */
	now = clocks(T0 + 10 * S, 0);
	agent_observe(&st, &v, now);
	ck_assert(agent_hold_active(&st, now));
	now = clocks(T0 + 300 * S, 2 * HOUR);
	agent_observe(&st, &v, now);
	ck_assert(agent_hold_active(&st, now));
	ck_assert_int_eq(step(&st, &p, now, a), 0);
	now = clocks(T0 + 600 * S - 1, -HOUR);
	agent_observe(&st, &v, now);
	ck_assert(agent_hold_active(&st, now));
	now = clocks(T0 + 600 * S, -HOUR);
	agent_observe(&st, &v, now);
	ck_assert(!agent_hold_active(&st, now));
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RESUME);
}
END_TEST

/* ------------------------------------------------------------- faults */

START_TEST(test_unreachable_backoff)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	struct agent_result r;
	int64_t now = T0 + S, want = 1000;
	int i;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, now);
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	memset(&r, 0, sizeof(r));
	r.act = a[0];
	r.rc = -1;
	r.unreachable = true;
	snprintf(r.err, sizeof(r.err), "drain d1: Unable to contact slurm controller");
	agent_apply(&st, &p, &r, now);
	ck_assert(!st.online);
	/* Offline: only reconcile probes, 1 s, 2 s, 4 s ... capped at 60 s. */
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(agent_plan(&st, &p, now + want - 1, a, 16), 0);
		ck_assert_int_eq(agent_deadline(&st, &p, now), now + want);
		now += want;
		ck_assert_int_eq(step(&st, &p, now, a), 1);
		ck_assert_int_eq(a[0].kind, AGENT_ACT_RECONCILE);
		memset(&r, 0, sizeof(r));
		r.act = a[0];
		r.rc = -1;
		r.unreachable = true;
		agent_apply(&st, &p, &r, now);
		want = want * 2 > 60000 ? 60000 : want * 2;
	}
	ck_assert_int_eq(st.backoff_ms, 60000);
	/* Back: the reconcile shows the node still idle; we converge with one drain. */
	now += want;
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	memset(&r, 0, sizeof(r));
	r.act = a[0];
	r.have_node = r.have_jobs = true;
	r.node = node_view("IDLE", false, "");
	agent_apply(&st, &p, &r, now);
	ck_assert(st.online);
	ck_assert_int_eq(step(&st, &p, now, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
}
END_TEST

START_TEST(test_failed_drain_backs_off)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 0s ago < 15m");
	struct agent_result r;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	step(&st, &p, T0, a);
	memset(&r, 0, sizeof(r));
	r.act = a[0];
	r.rc = -1;
	snprintf(r.err, sizeof(r.err), "drain d1: Invalid node name specified");
	agent_apply(&st, &p, &r, T0);
	ck_assert(st.online);
	/* A reconcile at once, the drain not before the backoff. */
	ck_assert_int_eq(step(&st, &p, T0, a), 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RECONCILE);
	ck_assert_ptr_nonnull(find(a, agent_plan(&st, &p, T0 + S, a, 16), AGENT_ACT_DRAIN, 0));
}
END_TEST

/* ------------------------------------------------------------- state file */

START_TEST(test_state_file_roundtrip)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	static struct agent_state b;
	char dir[] = "/tmp/check_agent.XXXXXX", path[256], err[256];
	struct agent_job jobs[3] = {job(11, false, true), job(12, true, true), job(14, true, true)};
	struct agent_action a[16];
	int k;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d1.state", dir);
	agent_state_init(&st, "d1");
	st.hold_until_ms = T0 + 600 * S;
	st.hold_uid = 1000;
	snprintf(st.hold_user, sizeof(st.hold_user), "alice");
	snprintf(st.hold_reason, sizeof(st.hold_reason), "IDLEACC: held by alice until 22:23");
	st.njobs = 4;
	st.jobs[0] = (struct agent_tjob){
	    .id = 11, .fate = AGENT_JOB_SUSPENDED, .fate_ms = T0, .suspended_ms = T0};
	st.jobs[1] = (struct agent_tjob){
	    .id = 12, .fate = AGENT_JOB_SUSPENDED, .fate_ms = T0, .suspended_ms = T0};
	st.jobs[2] = (struct agent_tjob){
	    .id = 13, .fate = AGENT_JOB_KEPT, .fate_ms = T0, .suspended_ms = T0};
	st.jobs[3] = (struct agent_tjob){.id = 14, .fate = AGENT_JOB_SEEN}; /* not persisted */
	ck_assert_int_eq(agent_state_save(&st, path, err, sizeof(err)), 0);
	/* A job's own signal and the refused jobs are kept too. */
	{
		static struct agent_state c;

		agent_state_init(&c, "d1");
		ck_assert_int_eq(agent_job_started(&c, 15, SIGUSR1, 30, T0), 0);
		c.jobs[0].fate = AGENT_JOB_WARN_REQUEUE;
		c.jobs[0].fate_ms = T0;
		ck_assert_int_eq(agent_job_started(&c, 16, SIGUSR2, 5, T0), 0);
		c.nrefused = 1;
		c.refused[0] = (struct agent_refused){.id = 99, .ms = T0};
		ck_assert_int_eq(agent_state_save(&c, path, err, sizeof(err)), 0);
		agent_state_init(&b, "d1");
		ck_assert_int_eq(agent_state_load(&b, path, T0 + S, 3600, err, sizeof(err)), 0);
		ck_assert_int_eq(b.njobs, 2);
		ck_assert_int_eq(b.jobs[0].fate, AGENT_JOB_WARN_REQUEUE);
		ck_assert_int_eq(b.jobs[0].warn_sig, SIGUSR1);
		ck_assert_int_eq(b.jobs[0].warn_secs, 30);
		ck_assert_int_eq(b.jobs[1].id, 16);
		ck_assert_int_eq(b.jobs[1].fate, AGENT_JOB_SEEN);
		ck_assert_int_eq(b.jobs[1].warn_sig, SIGUSR2);
		ck_assert_int_eq(b.nrefused, 1);
		ck_assert_int_eq(b.refused[0].id, 99);
		ck_assert_int_eq(agent_state_save(&st, path, err, sizeof(err)), 0);
	}

	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_load(&b, path, T0 + S, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.njobs, 3);
	ck_assert_int_eq(b.jobs[2].fate, AGENT_JOB_KEPT);
	ck_assert_int_eq(b.jobs[0].suspended_ms, T0);
	ck_assert_int_eq(b.hold_until_ms, T0 + 600 * S);
	ck_assert_str_eq(b.hold_reason, "IDLEACC: held by alice until 22:23");

	/* No job action before slurmctld confirms the records. */
	k = agent_plan(&b, &p, T0 + S, a, 16);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RECONCILE);
	/* Confirmed: 11 still suspended (adopted), 12 resumed by someone, 13 gone; 14 new. */
	agent_issue(&b, &a[0], T0 + S);
	{
		struct agent_result r;

		memset(&r, 0, sizeof(r));
		r.act = a[0];
		r.have_node = r.have_jobs = true;
		r.node = node_view("ALLOCATED", true, "IDLEACC: held by alice until 22:23");
		r.jobs = jobs;
		r.njobs = 3;
		agent_apply(&b, &p, &r, T0 + S);
	}
	ck_assert_int_eq(b.njobs, 3);
	ck_assert_int_eq(agent_job_find(&b, 11)->fate, AGENT_JOB_SUSPENDED);
	ck_assert_int_eq(agent_job_find(&b, 11)->suspended_ms, T0); /* max_suspend from T0 */
	ck_assert_int_eq(agent_job_find(&b, 12)->fate, AGENT_JOB_SEEN);
	ck_assert_ptr_null(agent_job_find(&b, 13));

	/* Other node, or garbage: refused with the line. */
	agent_state_init(&b, "d2");
	ck_assert_int_eq(agent_state_load(&b, path, T0 + S, 3600, err, sizeof(err)), -1);
	ck_assert(strstr(err, "written for node d1, not d2"));
	{
		FILE *f = fopen(path, "w");

		fputs("version 1\nnode d1\njob x suspended 1 2\n", f);
		fclose(f);
	}
	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_load(&b, path, T0 + S, 3600, err, sizeof(err)), -1);
	ck_assert(strstr(err, "d1.state:3: malformed line"));
	ck_assert_int_eq(b.njobs, 0);
	unlink(path);
	/* Missing: nothing to adopt, not an error. */
	ck_assert_int_eq(agent_state_load(&b, path, T0 + S, 3600, err, sizeof(err)), 0);
	rmdir(dir);
}
END_TEST

/* The file's text, for the test's eyes. */
static char *slurp(const char *path)
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

START_TEST(test_state_file_clocks)
{
	static struct agent_state b;
	char dir[] = "/tmp/check_agent.XXXXXX", path[256], err[256];
	int64_t up = 1000 * S, now;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d1.state", dir);
	/* Up 1000 s at wall time T0: a job suspended 100 s ago, a hold to the end of 10 min. */
	agent_state_init(&st, "d1");
	now = agent_clock(&st, up, T0);
	st.hold_until_ms = now + 600 * S;
	st.hold_uid = 0;
	snprintf(st.hold_user, sizeof(st.hold_user), "root");
	snprintf(st.hold_reason, sizeof(st.hold_reason), "IDLEACC: held by root until 22:23");
	st.njobs = 1;
	st.jobs[0] = (struct agent_tjob){.id = 11,
					 .fate = AGENT_JOB_SUSPENDED,
					 .fate_ms = now - 100 * S,
					 .suspended_ms = now - 100 * S};
	st.nrefused = 1;
	st.refused[0] = (struct agent_refused){.id = 99, .ms = now - 5 * S};
	ck_assert_int_eq(agent_state_save(&st, path, err, sizeof(err)), 0);
	/* The file keeps wall-clock times: they mean the same after a reboot. */
	ck_assert_msg(strstr(slurp(path), "hold 1700000600000 0 root IDLEACC: held by root until"
					  " 22:23\njob 11 suspended 1699999900000 1699999900000\n"
					  "refused 99 1699999995000\n"),
		      "%s", slurp(path));

	/* Rebooted, up 30 s, 200 s later on the wall clock: the monotonic clock started again. */
	agent_state_init(&b, "d1");
	now = agent_clock(&b, 30 * S, T0 + 200 * S);
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.jobs[0].suspended_ms, now - 300 * S); /* 100 s before, 200 s since */
	ck_assert_int_eq(b.jobs[0].fate_ms, now - 300 * S);
	ck_assert_int_eq(b.hold_until_ms, now + 400 * S);
	ck_assert_int_eq(b.refused[0].ms, now - 205 * S);

	/* The wall clock went back an hour while idleaccd was stopped: times "of the past" lie
	 * ahead. None is later than now, so max_suspend counts from now at most. */
	agent_state_init(&b, "d1");
	now = agent_clock(&b, 30 * S, T0 - HOUR);
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.jobs[0].suspended_ms, now);
	ck_assert_int_eq(b.jobs[0].fate_ms, now);
	ck_assert_int_eq(b.refused[0].ms, now);
	/* The hold (10 min, read 1 h 10 min ahead) lasts at most max_hold from now. */
	ck_assert_int_eq(agent_state_load(&b, path, now, 1800, err, sizeof(err)), 0);
	ck_assert_int_eq(b.hold_until_ms, now + 1800 * S);

	/* Absurd times: long past (before the epoch), or far ahead. */
	f = fopen(path, "w");
	fputs("version 1\nnode d1\nhold 9000000000000000000 0 root IDLEACC: held by root\n"
	      "job 11 suspended -5 -5\njob 12 warn-requeue 9000000000000000000 0\n",
	      f);
	fclose(f);
	agent_state_init(&b, "d1");
	now = agent_clock(&b, 30 * S, T0);
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.hold_until_ms, now + 3600 * S);
	ck_assert_int_lt(b.jobs[0].suspended_ms, now - 3600 * S); /* long past: requeue due */
	ck_assert_int_ne(b.jobs[0].suspended_ms, 0);
	ck_assert_int_eq(b.jobs[1].fate_ms, now); /* the grace counts from now at most */
	ck_assert_int_eq(b.jobs[1].suspended_ms, 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Writes [text] as the file [path]. */
static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Whether a note of [st] contains [text]. */
static bool noted(const struct agent_state *s, const char *text)
{
	unsigned i;

	for (i = 0; i < s->nevents && i < AGENT_MAX_EVENTS; i++)
		if (strstr(s->events[i].text, text))
			return true;
	return false;
}

START_TEST(test_state_file_hostile)
{
	static struct agent_state b;
	char dir[] = "/tmp/check_agent.XXXXXX", path[256], tmp[300], victim[300], err[256];
	char *big;
	int64_t now;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d1.state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);

	/* A FIFO there is refused at once: the open neither blocks nor reads. */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	agent_state_init(&b, "d1");
	now = agent_clock(&b, 30 * S, T0);
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), -1);
	ck_assert(strstr(err, "d1.state: not a regular file"));
	unlink(path);

	/* A link is not followed, neither to read nor to write. */
	put_file(victim, "version 1\nnode d1\njob 11 suspended 1 1\n");
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), -1);
	ck_assert(strstr(err, "d1.state: a symbolic link, not a file"));
	unlink(path);
	ck_assert_int_eq(symlink(victim, tmp), 0);
	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_save(&b, path, err, sizeof(err)), 0);
	ck_assert_str_eq(slurp(victim), "version 1\nnode d1\njob 11 suspended 1 1\n");
	ck_assert_msg(strstr(slurp(path), "version 1\nnode d1\n"), "%s", slurp(path));

	/* A line over 1 KiB is skipped with a note; the records around it are kept. */
	big = malloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	memcpy(big, "job 12 suspended ", 17);
	{
		char text[6000];

		snprintf(text, sizeof(text),
			 "version 1\nnode d1\njob 11 suspended %" PRId64 " %" PRId64
			 "\n%s\nrefused 99 %" PRId64 "\n",
			 (int64_t)T0, (int64_t)T0, big, (int64_t)T0);
		put_file(path, text);
	}
	free(big);
	agent_state_init(&b, "d1");
	now = agent_clock(&b, 30 * S, T0);
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.njobs, 1);
	ck_assert_int_eq(b.jobs[0].id, 11);
	ck_assert_int_eq(b.nrefused, 1);
	ck_assert(noted(&b, "d1.state:4: line skipped (longer than 1 KiB)"));

	/* Numbers that do not fit their field are malformed, not saturated or wrapped. */
	put_file(path, "version 1\nnode d1\njob 11 suspended 99999999999999999999 0\n");
	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), -1);
	ck_assert(strstr(err, "d1.state:3: malformed line"));
	put_file(path, "version 1\nnode d1\njob 4294967296 suspended 1 1\n");
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), -1);
	ck_assert(strstr(err, "d1.state:3: malformed line"));
	/* A job's grace is bounded as SIG@SECONDS is: 9e18 s would overflow a deadline. */
	put_file(path, "version 1\nnode d1\nsignal 11 10 9223372036854775807\n");
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), -1);
	ck_assert(strstr(err, "d1.state:3: malformed line"));
	put_file(path, "version 1\nnode d1\nsignal 11 10 86400\n");
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.jobs[0].warn_secs, 86400);
	/* The extremes of int64 read as long past or as now at most. */
	put_file(path, "version 1\nnode d1\njob 11 suspended -9223372036854775808 "
		       "9223372036854775807\nrefused 5 9223372036854775807\n");
	agent_state_init(&b, "d1");
	now = agent_clock(&b, 30 * S, T0);
	ck_assert_int_eq(agent_state_load(&b, path, now, 3600, err, sizeof(err)), 0);
	ck_assert_int_lt(b.jobs[0].fate_ms, now - 3600 * S);
	ck_assert_int_eq(b.jobs[0].suspended_ms, now);
	ck_assert_int_eq(b.refused[0].ms, now);

	/* With holds turned off (max_hold 0), a hold in the file is not loaded at all. */
	put_file(path, "version 1\nnode d1\nhold 9223372036854775807 1000 alice IDLEACC: held\n");
	agent_state_init(&b, "d1");
	now = agent_clock(&b, 30 * S, T0);
	ck_assert_int_eq(agent_state_load(&b, path, now, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(b.hold_until_ms, 0);
	ck_assert_int_eq(agent_state_load(&b, path, now, 60, err, sizeof(err)), 0);
	ck_assert_int_eq(b.hold_until_ms, now + 60 * S);
	ck_assert_str_eq(b.hold_user, "alice");

	unlink(path);
	unlink(tmp);
	unlink(victim);
	rmdir(dir);
}
END_TEST

/* ------------------------------------------------------------- control socket server */

static char *echo_handler(void *arg, const char *req, uid_t uid)
{
	char *out = malloc(600);

	(void)arg;
	snprintf(out, 600, "ok: %s from %u", req, (unsigned)uid);
	return out;
}

/* Sends [raw] to the server and serves until the answer comes back. */
static char *exchange(struct agent_ctl *ctl, const char *path, const void *raw, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), i;
	char *resp = NULL;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(send(fd, raw, len, MSG_NOSIGNAL), (ssize_t)len);
	for (i = 0; i < 100; i++) {
		struct pollfd pfd[AGENT_CTL_CLIENTS + 2];
		int n = agent_ctl_pollfds(ctl, pfd, AGENT_CTL_CLIENTS + 1);

		pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
		ck_assert_int_ge(poll(pfd, (nfds_t)n + 1, 1000), 0);
		agent_ctl_serve(ctl, pfd, n);
		if (pfd[n].revents)
			break;
	}
	ck_assert_int_eq(ctl_recv(fd, &resp, NULL, CTL_RESP_MAX, clock_mono_ms() + 5000), 0);
	close(fd);
	return resp;
}

START_TEST(test_control_server)
{
	char dir[] = "/tmp/check_agent.XXXXXX", path[256], err[256], want[64], *resp;
	struct agent_ctl ctl;
	uint8_t big[4 + 600];
	struct stat sb;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d1.sock", dir);
	ck_assert_int_eq(agent_ctl_open(&ctl, path, echo_handler, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0666);

	memcpy(big, "\0\0\0\6status", 10);
	resp = exchange(&ctl, path, big, 10);
	snprintf(want, sizeof(want), "ok: status from %u", (unsigned)getuid());
	ck_assert_str_eq(resp, want);
	free(resp);

	ctl_put_len(big, 600);
	memset(big + 4, 'x', 600);
	resp = exchange(&ctl, path, big, sizeof(big));
	ck_assert_str_eq(resp, "error: request too long (600 bytes, at most 512)");
	free(resp);

	/* A length of 4 GiB - 1 is refused from the header alone. */
	resp = exchange(&ctl, path, "\xff\xff\xff\xffjunk", 8);
	ck_assert_str_eq(resp, "error: request too long (4294967295 bytes, at most 512)");
	free(resp);

	resp = exchange(&ctl, path, "\0\0\0\0", 4);
	ck_assert_str_eq(resp, "error: empty request");
	free(resp);

	resp = exchange(&ctl, path, "\0\0\0\3a\0b", 7);
	ck_assert_str_eq(resp, "error: request contains a NUL byte");
	free(resp);

	/* Still serving after all that. */
	resp = exchange(&ctl, path, "\0\0\0\7release", 11);
	snprintf(want, sizeof(want), "ok: release from %u", (unsigned)getuid());
	ck_assert_str_eq(resp, want);
	free(resp);
	agent_ctl_close(&ctl);
	ck_assert_int_eq(access(path, F_OK), -1);
	rmdir(dir);
}
END_TEST

/* ------------------------------------------------------------- the plugin's requests */

/* One request from uid [uid] ("admit 5"), answered into a static buffer. */
static const char *ask(uid_t uid, const char *req, int64_t now)
{
	static char resp[512];
	char verb[32], *args;

	snprintf(verb, sizeof(verb), "%s", req);
	args = strchr(verb, ' ');
	if (args)
		*args++ = '\0';
	ck_assert(agent_plugreq_is(verb));
	agent_plugreq(&st, uid, verb, args ? req + (args - verb) : NULL, now, resp, sizeof(resp));
	return resp;
}

START_TEST(test_admit_yes_and_no)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	int k;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	ck_assert_str_eq(ask(0, "admit 17", T0), "yes");
	ck_assert_uint_eq(st.nrefused, 0);
	ck_assert_int_eq(step(&st, &p, T0, a), 0);

	/* The owner is back; the node is drained (as last seen)... */
	v = present("tty input 0s ago < 3s");
	agent_observe(&st, &v, T0 + S);
	k = step(&st, &p, T0 + S, a);
	done(&st, &p, find(a, k, AGENT_ACT_DRAIN, 0), 0, T0 + S);
	ck_assert_int_eq(step(&st, &p, T0 + 2 * S, a), 0);
	/* ... yet slurmctld sends a job: someone resumed it. No, and the drain again. */
	ck_assert_str_eq(ask(0, "admit 18", T0 + 3 * S), "no: IDLEACC: tty input 0s ago < 3s");
	k = step(&st, &p, T0 + 3 * S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: tty input 0s ago < 3s");
	ck_assert_uint_eq(st.nrefused, 1);
	ck_assert_uint_eq(st.refused[0].id, 18);
	ck_assert(st.dirty);
	/* Offered, but not yet run-worthy either way: the answer follows the offer. */
	v = absent(false, true);
	agent_observe(&st, &v, T0 + 4 * S);
	ck_assert_str_eq(ask(0, "admit 19", T0 + 4 * S), "no: IDLEACC: no input for 20m >= 15m");
	/* No sample at all: unknown counts as present. */
	agent_state_init(&st, "d1");
	ck_assert_str_eq(ask(0, "admit 20", T0), "no: IDLEACC: owner unknown: not sampled yet");
}
END_TEST

START_TEST(test_admit_held)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct idle_verdict v = absent(true, true);
	char resp[256];

	setenv("TZ", "UTC", 1);
	tzset();
	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	agent_hold(&st, 1000, "alice", true, 600, 3600, T0, resp, sizeof(resp));
	ck_assert_str_eq(ask(0, "admit 21", T0 + S), "no: IDLEACC: held by alice until 22:23");
	agent_release(&st, 1000, "alice", true, T0 + 2 * S, resp, sizeof(resp));
	ck_assert_str_eq(ask(0, "admit 22", T0 + 3 * S), "yes");
}
END_TEST

START_TEST(test_admit_standing_aside)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	int k;

	start(&st, &p, node_view("IDLE", true, "maintenance"));
	agent_observe(&st, &v, T0 - 59 * S);
	ck_assert_int_eq(step(&st, &p, T0 - 59 * S, a), 1); /* stand aside */
	ck_assert_str_eq(ask(0, "admit 23", T0 - 58 * S),
			 "no: node d1 is drained by someone else: maintenance");
	/* Never a drain over the admin's reason; the node is reread at once instead. */
	k = step(&st, &p, T0 - 58 * S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RECONCILE);
}
END_TEST

START_TEST(test_job_start_acts_without_listing)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	struct agent_job listed[1] = {job(31, true, true)};
	unsigned i;
	int k;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	ck_assert_str_eq(ask(0, "job-start 30", T0 + S), "ok");
	ck_assert_int_eq(step(&st, &p, T0 + S, a), 0); /* owner away: nothing to do */
	/* The owner comes back: job 30 is suspended at once, with the drain and a listing. */
	v = present("tty input 0s ago < 3s");
	agent_observe(&st, &v, T0 + 10 * S);
	k = step(&st, &p, T0 + 10 * S, a);
	ck_assert_int_eq(k, 3);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_DRAIN, 0));
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 30));
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_JOBS, 0));
	for (i = 0; i < st.nevents; i++)
		if (strstr(st.events[i].text, "suspend job 30 at once: known from its job-start"))
			break;
	ck_assert_uint_lt(i, st.nevents);
	done(&st, &p, find(a, k, AGENT_ACT_SUSPEND, 30), 0, T0 + 10 * S);
	ck_assert_int_eq(agent_job_find(&st, 30)->fate, AGENT_JOB_SUSPENDED);
	/* The listing, asked before job 32 started, catches job 31 that was never announced. */
	ck_assert_str_eq(ask(0, "job-start 32", T0 + 11 * S), "ok");
	jobs_listed(&st, &p, find(a, k, AGENT_ACT_JOBS, 0), listed, 1, T0 + 12 * S);
	ck_assert_ptr_null(agent_job_find(&st, 30));	/* not listed: gone from the node */
	ck_assert_ptr_nonnull(agent_job_find(&st, 32)); /* too new for that listing: kept */
	k = step(&st, &p, T0 + 12 * S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 31));
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 32));
}
END_TEST

START_TEST(test_desktop_signal_warns)
{
	struct agent_params p = params(IDLE_RETURN_REQUEUE);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	const struct agent_action *x;
	int k;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	ck_assert_str_eq(ask(0, "job-start 40 USR1@2", T0), "ok");
	ck_assert_str_eq(ask(0, "job-start 41", T0), "ok");
	ck_assert_str_eq(ask(0, "job-start 42 SIGUSR2@600", T0), "ok"); /* more than warn_grace */
	ck_assert_int_eq(agent_job_find(&st, 40)->warn_sig, SIGUSR1);
	v = present("tty input 0s ago < 3s");
	agent_observe(&st, &v, T0 + S);
	k = step(&st, &p, T0 + S, a);
	x = find(a, k, AGENT_ACT_SIGNAL, 40);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->sig, SIGUSR1);
	ck_assert_int_eq(x->then, AGENT_ACT_REQUEUE);
	done(&st, &p, x, 0, T0 + S);
	x = find(a, k, AGENT_ACT_SIGNAL, 41);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->sig, SIGTERM); /* the policy's */
	done(&st, &p, x, 0, T0 + S);
	x = find(a, k, AGENT_ACT_SIGNAL, 42);
	ck_assert_int_eq(x->sig, SIGUSR2);
	done(&st, &p, x, 0, T0 + S);
	/* 40's own grace of 2 s; 41 and 42 wait the policy's 120 s (42 asked for more). */
	ck_assert_int_eq(agent_deadline(&st, &p, T0 + S), T0 + 3 * S);
	ck_assert_int_eq(step(&st, &p, T0 + 2 * S, a), 0);
	k = step(&st, &p, T0 + 3 * S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_REQUEUE, 40));
	ck_assert_int_eq(step(&st, &p, T0 + 120 * S, a), 0);
	k = step(&st, &p, T0 + 121 * S, a);
	ck_assert_int_eq(k, 2);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_REQUEUE, 41));
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_REQUEUE, 42));

	/* Cancel mode warns with the job's signal too, and with no policy signal at all. */
	p = params(IDLE_RETURN_CANCEL);
	p.pol.warn_signal = 0;
	start(&st, &p, node_view("IDLE", false, ""));
	v = absent(true, true);
	agent_observe(&st, &v, T0);
	ck_assert_str_eq(ask(0, "job-start 43 10@5", T0), "ok");
	ck_assert_str_eq(ask(0, "job-start 44", T0), "ok");
	v = present("tty input 0s ago < 3s");
	agent_observe(&st, &v, T0 + S);
	k = step(&st, &p, T0 + S, a);
	x = find(a, k, AGENT_ACT_SIGNAL, 43);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->sig, 10);
	ck_assert_int_eq(x->then, AGENT_ACT_CANCEL);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_CANCEL, 44));
}
END_TEST

START_TEST(test_job_end_forgets)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = absent(true, true);
	int k;

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	ck_assert_str_eq(ask(0, "job-start 50 USR1@30", T0), "ok");
	ck_assert_uint_eq(st.njobs, 1);
	st.dirty = false;
	ck_assert_str_eq(ask(0, "job-end 50", T0 + S), "ok");
	ck_assert_uint_eq(st.njobs, 0);
	ck_assert(st.dirty); /* its signal was in the state file */
	/* Unknown (a refused job ends too): fine, nothing changes. */
	ck_assert_str_eq(ask(0, "job-end 51", T0 + S), "ok");
	v = present("tty input 0s ago < 3s");
	agent_observe(&st, &v, T0 + 2 * S);
	k = step(&st, &p, T0 + 2 * S, a);
	ck_assert_ptr_null(find(a, k, AGENT_ACT_SUSPEND, 50));
}
END_TEST

START_TEST(test_plugin_bad_requests)
{
	agent_state_init(&st, "d1");
	ck_assert_str_eq(ask(0, "admit", T0), "error: usage: admit JOBID");
	ck_assert_str_eq(ask(0, "admit 5 6", T0), "error: usage: admit JOBID");
	ck_assert_str_eq(ask(0, "admit x", T0), "error: \"x\" is not a job id");
	ck_assert_str_eq(ask(0, "admit 0", T0), "error: \"0\" is not a job id");
	ck_assert_str_eq(ask(0, "admit -3", T0), "error: \"-3\" is not a job id");
	ck_assert_str_eq(ask(0, "admit 4294967296", T0), "error: \"4294967296\" is not a job id");
	ck_assert_str_eq(ask(0, "job-end", T0), "error: usage: job-end JOBID");
	ck_assert_str_eq(ask(0, "job-end 5 USR1@2", T0), "error: usage: job-end JOBID");
	ck_assert_str_eq(ask(0, "job-start", T0), "error: usage: job-start JOBID [SIG@SECONDS]");
	ck_assert_str_eq(ask(0, "job-start 5 USR1@2 x", T0),
			 "error: usage: job-start JOBID [SIG@SECONDS]");
	ck_assert_str_eq(ask(0, "job-start 5 FOO@2", T0),
			 "error: \"FOO@2\" is not SIG@SECONDS (a signal, then 0..86400 seconds:"
			 " USR1@120)");
	ck_assert_str_eq(ask(0, "job-start 5 USR1", T0),
			 "error: \"USR1\" is not SIG@SECONDS (a signal, then 0..86400 seconds:"
			 " USR1@120)");
	ck_assert(!strncmp(ask(0, "job-start 5 USR1@86401", T0), "error: ", 7));
	ck_assert(!strncmp(ask(0, "job-start 5 65@1", T0), "error: ", 7));
	ck_assert(!strncmp(ask(0, "job-start 5 @1", T0), "error: ", 7));
	ck_assert_uint_eq(st.njobs, 0);
	ck_assert_uint_eq(st.nrefused, 0);
	ck_assert(!agent_plugreq_is("status"));
}
END_TEST

START_TEST(test_plugin_root_only)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct idle_verdict v = absent(true, true);

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	ck_assert_str_eq(ask(1000, "admit 5", T0), "refused: only root (slurmd) may send admit");
	ck_assert_str_eq(ask(1000, "job-start 5", T0),
			 "refused: only root (slurmd) may send job-start");
	ck_assert_str_eq(ask(1000, "job-end x", T0),
			 "refused: only root (slurmd) may send job-end");
	ck_assert_uint_eq(st.njobs, 0);
}
END_TEST

START_TEST(test_refused_exclusion_lifted)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = present("tty input 0s ago < 3s");
	struct agent_result r;
	int k;

	start(&st, &p, node_view("IDLE", true, "IDLEACC: tty input 0s ago < 3s"));
	agent_observe(&st, &v, T0);
	ck_assert_str_eq(ask(0, "admit 60", T0), "no: IDLEACC: tty input 0s ago < 3s");
	ck_assert_str_eq(ask(0, "admit 61", T0), "no: IDLEACC: tty input 0s ago < 3s");
	k = step(&st, &p, T0, a);
	ck_assert_ptr_null(find(a, k, AGENT_ACT_UNEXCLUDE, 60));
	done(&st, &p, find(a, k, AGENT_ACT_DRAIN, 0), 0, T0);
	/* Offered again: first the resume, then the jobs may come back. */
	v = absent(true, true);
	agent_observe(&st, &v, T0 + 100 * S);
	k = step(&st, &p, T0 + 100 * S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RESUME);
	done(&st, &p, &a[0], 0, T0 + 100 * S);
	k = step(&st, &p, T0 + 100 * S, a);
	ck_assert_int_eq(k, 2);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_UNEXCLUDE, 60));
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_UNEXCLUDE, 61));
	ck_assert_int_eq(step(&st, &p, T0 + 100 * S, a), 0); /* in flight */
	memset(&r, 0, sizeof(r));
	r.act.kind = AGENT_ACT_UNEXCLUDE;
	r.act.job = 60;
	agent_apply(&st, &p, &r, T0 + 101 * S); /* lifted */
	r.act.job = 61;
	r.skipped = true; /* ran elsewhere meanwhile */
	agent_apply(&st, &p, &r, T0 + 101 * S);
	ck_assert_uint_eq(st.nrefused, 0);
	ck_assert_str_eq(st.events[(st.nevents - 1) % AGENT_MAX_EVENTS].text,
			 "job 60 refused here earlier may run on d1 again (removed from its"
			 " excluded nodes)");
	ck_assert_int_eq(step(&st, &p, T0 + 102 * S, a), 0);
}
END_TEST

/* ------------------------------------------------------------- status text */

START_TEST(test_status_text)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 4s ago < 15m");
	struct agent_job jobs[1] = {job(77, true, true)};
	static char out[CTL_RESP_MAX];
	struct agent_buf b;
	int k, i;

	setenv("TZ", "UTC", 1);
	tzset();
	start(&st, &p, node_view("ALLOCATED", false, ""));
	agent_observe(&st, &v, T0);
	k = step(&st, &p, T0, a);
	done(&st, &p, find(a, k, AGENT_ACT_DRAIN, 0), 0, T0);
	jobs_listed(&st, &p, find(a, k, AGENT_ACT_JOBS, 0), jobs, 1, T0);
	k = step(&st, &p, T0, a);
	for (i = 0; i < k; i++)
		done(&st, &p, &a[i], 0, T0);
	agent_buf_init(&b, out, sizeof(out));
	agent_report_status(&b, &st, &p, NULL, "node d1: test", T0 + S);
	ck_assert_msg(strstr(out, "owner: present: console input 4s ago < 15m\n"), "%s", out);
	ck_assert_msg(strstr(out, "slurm: node d1 IDLE+DRAIN, reason \"IDLEACC: console input 4s"
				  " ago < 15m\""),
		      "%s", out);
	ck_assert_msg(strstr(out, "  77 SUSPENDED: suspended by idleaccd at 22:13:20; requeued at"
				  " 22:23:20 if still suspended\n"),
		      "%s", out);
	ck_assert_msg(strstr(out, "stand aside: no\n"), "%s", out);
	ck_assert_msg(strstr(out, "hold: none\n"), "%s", out);
	ck_assert_msg(strstr(out, "  22:13:20 drained d1: IDLEACC: console input 4s ago < 15m\n"),
		      "%s", out);
	ck_assert_msg(strstr(out, "  22:13:20 suspended job 77 (owner back)"), "%s", out);
}
END_TEST

/* A jump of the wall clock against the monotonic one is counted as a step; drift is not. */
START_TEST(test_clock_step_seen)
{
	agent_state_init(&st, "d1");
	ck_assert_int_eq(agent_clock(&st, 1000, T0), 1000);
	ck_assert_int_eq(agent_clock(&st, 2000, T0 + 1000 + 1), 2000); /* 1 ms of slew */
	ck_assert_uint_eq(st.clock_steps, 0);
	ck_assert_int_eq(agent_clock(&st, 3000, T0 + 2000 + 3600 * S), 3000);
	ck_assert_uint_eq(st.clock_steps, 1);
	ck_assert_int_eq(st.clock_step_ms, 3600 * S - 1);
	agent_clock(&st, 4000, T0 + 3000);
	ck_assert_uint_eq(st.clock_steps, 2);
	ck_assert_int_lt(st.clock_step_ms, -3599 * S);
}
END_TEST

/* ------------------------------------------------------------- local stop */

/* The last event's text. */
static const char *last_event(const struct agent_state *s)
{
	return s->events[(s->nevents - 1) % AGENT_MAX_EVENTS].text;
}

/* A process of the fixture tables below. */
static struct idle_proc proc(int pid, int ppid, char state, bool job, bool stepd, uint32_t id)
{
	struct idle_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.ppid = ppid;
	p.state = state;
	p.job = job;
	p.stepd = stepd;
	p.jobid = id;
	return p;
}

/* Job 41's slurmstepd (600) with a running shell (601), a stopped child (602) and a zombie
 * (603); an owner's program (700); a job process whose slurmstepd was gone (800). */
static struct idle_proc table[6];
static struct idle_procs procs = {table, 6, 6};

static void table_init(char shell, char child)
{
	table[0] = proc(600, 1, 'S', true, true, 41);
	table[1] = proc(601, 600, shell, true, false, 41);
	table[2] = proc(602, 601, child, true, false, 41);
	table[3] = proc(603, 601, 'Z', true, false, 41);
	table[4] = proc(700, 1, 'R', false, false, 0);
	table[5] = proc(800, 1, 'R', true, false, 0);
}

START_TEST(test_local_stop_before_slurm)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_job jobs[1] = {job(41, true, true)};
	struct idle_verdict v = absent(false, true);
	struct agent_lsig sig[8];
	static char out[CTL_RESP_MAX];
	struct agent_buf b;

	setenv("TZ", "UTC", 1);
	tzset();
	/* The plugin said job 41 started here; Slurm is not asked (it does not answer): the job
	 * stops anyway. A job not known as this node's is left alone (another slurmd's). */
	owner_back(&p, jobs, 0);
	ck_assert_int_eq(agent_job_started(&st, 41, 0, 0, T0), 0);
	ck_assert(agent_local_stopping(&st, &p, T0 + S));
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + S), AGENT_LOCAL_STOP);
	ck_assert_int_eq(agent_local_want(&st, &p, 99, T0 + S), AGENT_LOCAL_LEAVE);
	ck_assert_int_eq(agent_local_stopped(&st, 99, 1, T0 + S), -1);
	/* Only the running processes of the job: not slurmstepd, not what is stopped or dead,
	 * not the owner's, not a process of no job. */
	table_init('R', 'T');
	ck_assert_uint_eq(agent_localstop_pick(&procs, &st, &p, T0 + S, sig, 8), 1);
	ck_assert_int_eq(sig[0].pid, 601);
	ck_assert_int_eq(sig[0].sig, SIGSTOP);
	ck_assert_uint_eq(sig[0].job, 41);
	ck_assert_int_eq(agent_local_stopped(&st, 41, 1, T0 + S), 0);
	ck_assert_str_eq(last_event(&st), "stopped job 41 on the desktop (1 processes, owner back);"
					  " Slurm not yet told: it still counts the job as"
					  " running");
	ck_assert(agent_job_find(&st, 41)->local_stop);
	agent_buf_init(&b, out, sizeof(out));
	agent_report_status(&b, &st, &p, NULL, "node d1: test", T0 + S);
	ck_assert_msg(strstr(out, "  41 RUNNING [stopped locally by idleaccd at 22:13:21;"
				  " Slurm not yet told, it counts the job as running]\n"),
		      "%s", out);
	/* Everything stopped: the next pass has nothing to do. */
	table_init('T', 'T');
	ck_assert_uint_eq(agent_localstop_pick(&procs, &st, &p, T0 + 2 * S, sig, 8), 0);
	/* The owner leaves before Slurm was told: the job goes on, all its stopped processes. */
	agent_observe(&st, &v, T0 + 5 * S);
	ck_assert(!agent_local_stopping(&st, &p, T0 + 5 * S));
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 5 * S), AGENT_LOCAL_CONT);
	ck_assert_int_eq(agent_local_want(&st, &p, 99, T0 + 5 * S), AGENT_LOCAL_LEAVE);
	ck_assert_uint_eq(agent_localstop_pick(&procs, &st, &p, T0 + 5 * S, sig, 8), 2);
	ck_assert_int_eq(sig[0].pid, 601);
	ck_assert_int_eq(sig[0].sig, SIGCONT);
	ck_assert_int_eq(sig[1].pid, 602);
	agent_local_continued(&st, 41, 2, T0 + 5 * S);
	ck_assert_str_eq(last_event(&st), "continued job 41 on the desktop (2 processes): the owner"
					  " left before Slurm suspended it");
	ck_assert(!agent_job_find(&st, 41)->local_stop);
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 6 * S), AGENT_LOCAL_LEAVE);
}
END_TEST

START_TEST(test_local_cont_after_slurm_resume)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_job jobs[1] = {job(41, true, true)};
	struct idle_verdict v = absent(false, true);
	struct agent_action a[16];
	struct agent_lsig sig[8];
	int k;

	owner_back(&p, jobs, 1);
	ck_assert_int_eq(agent_local_stopped(&st, 41, 2, T0 + S), 0);
	k = step(&st, &p, T0 + S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 41));
	/* The owner leaves while the suspend is in flight: it may still land, so wait. */
	agent_observe(&st, &v, T0 + 2 * S);
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 2 * S), AGENT_LOCAL_LEAVE);
	done(&st, &p, find(a, k, AGENT_ACT_SUSPEND, 41), 0, T0 + 3 * S);
	/* Suspended in Slurm: stays stopped until Slurm resumed it, then we continue it too. */
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 3 * S), AGENT_LOCAL_LEAVE);
	k = step(&st, &p, T0 + 3 * S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_RESUME_JOB, 41));
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 3 * S), AGENT_LOCAL_LEAVE);
	done(&st, &p, find(a, k, AGENT_ACT_RESUME_JOB, 41), 0, T0 + 4 * S);
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 4 * S), AGENT_LOCAL_CONT);
	agent_local_continued(&st, 41, 0, T0 + 4 * S);
	ck_assert_str_eq(last_event(&st),
			 "continued job 41 on the desktop (0 processes): resumed in Slurm");
	/* The owner is back: a job SUSPENDED in Slurm whose processes run (slurmd's SIGCONT of
	 * the resume after the SIGSTOP of the suspend) is stopped again, and the log says so. */
	v = present("console input 0s ago < 15m");
	agent_observe(&st, &v, T0 + 5 * S);
	k = step(&st, &p, T0 + 5 * S, a);
	jobs_listed(&st, &p, find(a, k, AGENT_ACT_JOBS, 0), jobs, 1, T0 + 5 * S);
	k = step(&st, &p, T0 + 5 * S, a);
	done(&st, &p, find(a, k, AGENT_ACT_SUSPEND, 41), 0, T0 + 5 * S);
	ck_assert_int_eq(agent_job_find(&st, 41)->fate, AGENT_JOB_SUSPENDED);
	table_init('R', 'R');
	ck_assert_uint_eq(agent_localstop_pick(&procs, &st, &p, T0 + 6 * S, sig, 8), 2);
	ck_assert_int_eq(agent_local_stopped(&st, 41, 2, T0 + 6 * S), 0);
	ck_assert_str_eq(last_event(&st), "job 41 is suspended in Slurm but 2 of its processes were"
					  " running (slurmd's SIGCONT of a resume after its"
					  " SIGSTOP?): stopped them on the desktop");
}
END_TEST

START_TEST(test_local_stop_policies)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_job jobs[1] = {job(41, true, true)};
	struct agent_action a[16];
	int k;
	struct idle_verdict v = present("console input 0s ago < 15m");

	/* "drain" lets jobs run on beside the owner: nothing stopped. */
	start(&st, &p, node_view("ALLOCATED", false, ""));
	agent_observe(&st, &v, T0 + S);
	ck_assert(!agent_local_stopping(&st, &p, T0 + S));
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + S), AGENT_LOCAL_LEAVE);
	/* "requeue" with a warning: stopped at once, continued once warned so it can act on
	 * the signal in its grace. */
	p = params(IDLE_RETURN_REQUEUE);
	owner_back(&p, jobs, 1);
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + S), AGENT_LOCAL_STOP);
	ck_assert_int_eq(agent_local_stopped(&st, 41, 1, T0 + S), 0);
	k = step(&st, &p, T0 + S, a);
	done(&st, &p, find(a, k, AGENT_ACT_SIGNAL, 41), 0, T0 + S);
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 2 * S), AGENT_LOCAL_CONT);
	agent_local_continued(&st, 41, 1, T0 + 2 * S);
	ck_assert_str_eq(last_event(&st), "continued job 41 on the desktop (1 processes): so it can"
					  " act on its warning signal");
	ck_assert_int_eq(agent_local_want(&st, &p, 41, T0 + 2 * S), AGENT_LOCAL_LEAVE);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc;

	tc = tcase_create("node transitions");
	tcase_add_test(tc, test_drain_once_per_transition);
	tcase_add_test(tc, test_resume_once_when_offered);
	tcase_add_test(tc, test_reason_refresh);
	tcase_add_test(tc, test_unknown_drains);
	tcase_add_test(tc, test_reason_fits);
	suite_add_tcase(s, tc);
	tc = tcase_create("ownership");
	tcase_add_test(tc, test_foreign_drain_left_alone);
	tcase_add_test(tc, test_foreign_down_and_ours);
	tcase_add_test(tc, test_drain_skipped_when_admin_drained_meanwhile);
	suite_add_tcase(s, tc);
	tc = tcase_create("jobs");
	tcase_add_test(tc, test_suspend_then_resume);
	tcase_add_test(tc, test_every_job_suspended);
	tcase_add_test(tc, test_suspend_saved_before_the_call);
	tcase_add_test(tc, test_too_many_jobs_listed_again);
	tcase_add_test(tc, test_jobs_suspended_by_others_untouched);
	tcase_add_test(tc, test_max_suspend_requeues);
	tcase_add_test(tc, test_requeue_refused_keeps_job);
	tcase_add_test(tc, test_requeue_mode_warns_first);
	tcase_add_test(tc, test_cancel_mode);
	tcase_add_test(tc, test_drain_mode_leaves_jobs);
	suite_add_tcase(s, tc);
	tc = tcase_create("local stop");
	tcase_add_test(tc, test_local_stop_before_slurm);
	tcase_add_test(tc, test_local_cont_after_slurm_resume);
	tcase_add_test(tc, test_local_stop_policies);
	suite_add_tcase(s, tc);
	tc = tcase_create("hold");
	tcase_add_test(tc, test_hold);
	tcase_add_test(tc, test_hold_ends_with_owner_present);
	suite_add_tcase(s, tc);
	tc = tcase_create("clocks");
	tcase_add_test(tc, test_clock_step_seen);
	tcase_add_test(tc, test_wall_step_suspend);
	tcase_add_test(tc, test_wall_step_grace);
	tcase_add_test(tc, test_wall_step_hold);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_add_test(tc, test_unreachable_backoff);
	tcase_add_test(tc, test_failed_drain_backs_off);
	suite_add_tcase(s, tc);
	tc = tcase_create("state file");
	tcase_add_test(tc, test_state_file_roundtrip);
	tcase_add_test(tc, test_state_file_clocks);
	tcase_add_test(tc, test_state_file_hostile);
	suite_add_tcase(s, tc);
	tc = tcase_create("control socket");
	tcase_add_test(tc, test_control_server);
	suite_add_tcase(s, tc);
	tc = tcase_create("plugin requests");
	tcase_add_test(tc, test_admit_yes_and_no);
	tcase_add_test(tc, test_admit_held);
	tcase_add_test(tc, test_admit_standing_aside);
	tcase_add_test(tc, test_job_start_acts_without_listing);
	tcase_add_test(tc, test_desktop_signal_warns);
	tcase_add_test(tc, test_job_end_forgets);
	tcase_add_test(tc, test_plugin_bad_requests);
	tcase_add_test(tc, test_plugin_root_only);
	tcase_add_test(tc, test_refused_exclusion_lifted);
	suite_add_tcase(s, tc);
	tc = tcase_create("status");
	tcase_add_test(tc, test_status_text);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
