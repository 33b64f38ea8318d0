/* SPDX-License-Identifier: MIT */
/*
 * check_agent.c - idleaccd's decisions with plain structs: the node's transitions and its
 * owner (plan.c), the jobs and what results do to them (apply.c), the local stop, the hold, the
 * clocks, slurmctld's faults, and the status text. The state file is check_state's, the
 * control socket check_control's, the requests check_dispatch's.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "cycle.h"
#include "emergency.h"
#include "localstop.h"
#include "plan.h"
#include "report.h"
#include "state.h"
#include "testutil.h"

#include "agentfix.h"

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
	int k;

	offered(&p);
	/* Who may hold, and for how long: check_dispatch. T0 is 2023-11-14 22:13:20 UTC */
	agent_hold_set(&st, 1000, "alice", 600 * S, T0);
	ck_assert_str_eq(st.hold_reason, "IDLEACC: held by alice until 22:23");
	k = step(&st, &p, T0 + S, a);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_DRAIN);
	ck_assert_str_eq(a[0].reason, "IDLEACC: held by alice until 22:23");
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_JOBS, 0)); /* jobs stop for a hold too */
	done(&st, &p, &a[0], 0, T0 + S);
	/* Release while the owner is away: resume. */
	agent_hold_end(&st, "root", T0 + 2 * S);
	ck_assert(!agent_hold_active(&st, T0 + 2 * S));
	agent_observe(&st, &v, T0 + 3 * S);
	ck_assert_ptr_nonnull(find(a, step(&st, &p, T0 + 3 * S, a), AGENT_ACT_RESUME, 0));
}
END_TEST

START_TEST(test_hold_ends_with_owner_present)
{
	struct agent_params p = params(IDLE_RETURN_DRAIN);
	struct agent_action a[16];
	struct idle_verdict v = present("console input 2s ago < 15m");

	start(&st, &p, node_view("IDLE", false, ""));
	agent_observe(&st, &v, T0);
	agent_hold_set(&st, 0, "root", 60 * S, T0);
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
	int64_t now;

	setenv("TZ", "UTC", 1);
	tzset();
	start(&st, &p, node_view("IDLE", false, ""));
	now = clocks(T0, HOUR);
	agent_observe(&st, &v, now);
	/* The hold's end is shown on the wall clock: 10 min after 23:13:20. */
	ck_assert_str_eq(ask(0, "hold 600", now), "ok: held by root until 23:23");
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

/* Slurm 22.05 ran the suspend after the resume that followed it: job 41 RUNNING in Slurm,
 * every process stopped. The agent asks Slurm first and continues it only on a RUNNING seen
 * after the stop; a job Slurm suspended, or one only partly stopped, is left alone. */
START_TEST(test_local_stray_stop)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_job running[1] = {job(41, true, true)}, susp[1] = {job(41, false, true)};
	struct idle_verdict v = absent(true, true);
	struct agent_action a[16];
	struct agent_lsig sig[8];
	int k;

	start(&st, &p, node_view("ALLOCATED", false, ""));
	agent_observe(&st, &v, T0);
	ck_assert_int_eq(agent_job_started(&st, 41, 0, 0, T0), 0);
	k = step(&st, &p, T0, a);
	(void)k;
	/* Running: nothing to do, nothing asked. */
	table_init('R', 'S');
	st.jobs_stale = false;
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + S, sig, 8), 0);
	ck_assert(!st.jobs_stale);
	ck_assert_int_eq(agent_job_find(&st, 41)->stray_ms, 0);
	/* Partly stopped (the job stopped a child of its own): nothing either. */
	table_init('R', 'T');
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + S, sig, 8), 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->stray_ms, 0);
	/* All stopped: marked, and Slurm asked; no signal before its answer. */
	table_init('T', 'T');
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 2 * S, sig, 8), 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->stray_ms, T0 + 2 * S);
	ck_assert(st.jobs_stale);
	k = step(&st, &p, T0 + 2 * S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_JOBS, 0));
	/* The listing is not back yet: still nothing. */
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 3 * S, sig, 8), 0);
	/* Slurm says SUSPENDED (its own preemption, an admin): its resume continues it. */
	jobs_listed(&st, &p, find(a, k, AGENT_ACT_JOBS, 0), susp, 1, T0 + 3 * S);
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 4 * S, sig, 8), 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->stray_ms, T0 + 2 * S);
	/* A later listing says RUNNING and the processes are still stopped: continued, every
	 * stopped one (the zombie and slurmstepd aside). */
	st.jobs_stale = true;
	k = step(&st, &p, T0 + 5 * S, a);
	jobs_listed(&st, &p, find(a, k, AGENT_ACT_JOBS, 0), running, 1, T0 + 5 * S);
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 6 * S, sig, 8), 2);
	ck_assert_int_eq(sig[0].pid, 601);
	ck_assert_int_eq(sig[0].sig, SIGCONT);
	ck_assert_int_eq(sig[1].pid, 602);
	/* A job continued AGENT_STRAY_MAX times already is left as it is. */
	agent_job_find(&st, 41)->stray_fixes = AGENT_STRAY_MAX;
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 6 * S, sig, 8), 0);
	agent_job_find(&st, 41)->stray_fixes = 0;
	/* The owner back: the local stop's business, not this. */
	v = present("console input 0s ago < 15m");
	agent_observe(&st, &v, T0 + 7 * S);
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 7 * S, sig, 8), 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->stray_ms, 0);
}
END_TEST

/* A job we suspended is ours to resume: its stopped processes are no stray. */
START_TEST(test_local_stray_ours)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_job jobs[1] = {job(41, true, true)};
	struct idle_verdict v = absent(true, true);
	struct agent_lsig sig[8];

	owner_back(&p, jobs, 1);
	agent_observe(&st, &v, T0 + 9 * S); /* jobs may run again; our resume is still to come */
	ck_assert(!agent_local_stopping(&st, &p, T0 + 9 * S));
	table_init('T', 'T');
	agent_job_find(&st, 41)->fate = AGENT_JOB_SUSPENDED;
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 9 * S, sig, 8), 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->stray_ms, 0);
	/* The same job, left to run by us: a stray candidate. */
	agent_job_find(&st, 41)->fate = AGENT_JOB_SEEN;
	ck_assert_uint_eq(agent_localstop_strays_pick(&procs, &st, &p, T0 + 9 * S, sig, 8), 0);
	ck_assert_int_eq(agent_job_find(&st, 41)->stray_ms, T0 + 9 * S);
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

/* A restarted agent knows the jobs whose processes it stopped on the desktop (the state file
 * says so) and converges: it continues them if the owner left meanwhile, or has Slurm suspend
 * them if the owner is still there; never leaves them stopped and forgotten. */
START_TEST(test_local_stop_survives_restart)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_job jobs[1] = {job(41, true, true)};
	struct idle_verdict gone = absent(false, true), here = present("tty input 0s ago < 3s");
	char dir[] = "/tmp/check_agent.XXXXXX", path[256], err[256], line[64];
	static struct agent_state b;
	struct agent_action a[16];
	struct agent_lsig sig[8];
	int k;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d1.state", dir);
	/* Slurm does not answer; the owner is back: job 41 is stopped on the desktop only. */
	owner_back(&p, jobs, 0);
	ck_assert_int_eq(agent_job_started(&st, 41, 0, 0, T0), 0);
	st.dirty = false;
	ck_assert_int_eq(agent_local_stopped(&st, 41, 1, T0 + S), 0);
	ck_assert(st.dirty);
	ck_assert_int_eq(agent_state_save(&st, path, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "\nstopped 41 %lld\n", T0 + S);
	ck_assert_msg(strstr(slurp(path), line), "%s", slurp(path));

	/* Restarted; the owner left meanwhile: the stopped processes are continued. */
	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_load(&b, path, T0 + 10 * S, 3600, err, sizeof(err)), 0);
	ck_assert_int_eq(b.njobs, 1);
	ck_assert(agent_job_find(&b, 41)->local_stop);
	ck_assert_int_eq(agent_job_find(&b, 41)->local_stop_ms, T0 + S);
	agent_observe(&b, &gone, T0 + 10 * S);
	ck_assert_int_eq(agent_local_want(&b, &p, 41, T0 + 10 * S), AGENT_LOCAL_CONT);
	table_init('T', 'T');
	ck_assert_uint_eq(agent_localstop_pick(&procs, &b, &p, T0 + 10 * S, sig, 8), 2);
	ck_assert_int_eq(sig[0].sig, SIGCONT);
	b.dirty = false;
	agent_local_continued(&b, 41, 2, T0 + 10 * S);
	ck_assert(b.dirty);
	ck_assert_int_eq(agent_state_save(&b, path, err, sizeof(err)), 0);
	ck_assert_ptr_null(strstr(slurp(path), "stopped 41"));

	/* Restarted with the owner still there: kept stopped, and Slurm is asked to suspend the
	 * job as soon as a listing shows it running. */
	ck_assert_int_eq(agent_state_save(&st, path, err, sizeof(err)), 0);
	agent_state_init(&b, "d1");
	ck_assert_int_eq(agent_state_load(&b, path, T0 + 10 * S, 3600, err, sizeof(err)), 0);
	agent_observe(&b, &here, T0 + 10 * S);
	ck_assert_int_eq(agent_local_want(&b, &p, 41, T0 + 10 * S), AGENT_LOCAL_STOP);
	k = step(&b, &p, T0 + 10 * S, a);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(a[0].kind, AGENT_ACT_RECONCILE);
	reconciled(&b, &p, &a[0], node_view("ALLOCATED", false, ""), jobs, 1, T0 + 11 * S);
	k = step(&b, &p, T0 + 11 * S, a);
	ck_assert_ptr_nonnull(find(a, k, AGENT_ACT_SUSPEND, 41));
	ck_assert(agent_job_find(&b, 41)->local_stop);
	unlink(path);
	rmdir(dir);
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

/* Emergency mode's verdict: requisition offers a desktop whose owner is present (or unknown)
 * and asks for the cap; without requisition, or with the owner gone, nothing is capped. */
START_TEST(test_emergency_verdict)
{
	struct idle_verdict v = {.owner = IDLE_OWNER_PRESENT, .nreasons = 1, .codes = {7}};

	snprintf(v.reasons[0], sizeof(v.reasons[0]), "tty input 1s ago < 15m");
	ck_assert(!agent_emergency_verdict(false, 50, &v));
	ck_assert(!v.offer && !v.run);
	ck_assert(agent_emergency_verdict(true, 30, &v));
	ck_assert(v.offer && v.run);
	ck_assert_int_eq(v.nreasons, 2);
	ck_assert_str_eq(v.reasons[0], "emergency requisition: jobs capped to 30% of the CPUs");
	ck_assert_str_eq(v.reasons[1], "tty input 1s ago < 15m");
	ck_assert_int_eq(v.codes[1], 7);

	v = (struct idle_verdict){.owner = IDLE_OWNER_UNKNOWN};
	ck_assert(agent_emergency_verdict(true, 30, &v)); /* doubt counts as presence */
	v = (struct idle_verdict){.owner = IDLE_OWNER_ABSENT};
	ck_assert(!agent_emergency_verdict(true, 30, &v));
	ck_assert(v.offer && v.run && v.nreasons == 0);
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
	tcase_add_test(tc, test_local_stray_stop);
	tcase_add_test(tc, test_local_stray_ours);
	tcase_add_test(tc, test_local_stop_policies);
	tcase_add_test(tc, test_local_stop_survives_restart);
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
	tc = tcase_create("status");
	tcase_add_test(tc, test_status_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("emergency");
	tcase_add_test(tc, test_emergency_verdict);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
