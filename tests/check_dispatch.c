/* SPDX-License-Identifier: MIT */
/*
 * check_dispatch.c - idleaccd's control requests (nodeagent/dispatch.c): every verb of the
 * table answered, every refusal (a wrong asker, bad arguments, an unknown verb) with its exact
 * text, and what the plugin's admit, job-start and job-end do to the agent.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentfix.h"
#include "dispatch.h"
#include "plan.h"

#define NOBODY 65534 /* a uid other than root's, named "nobody" in the password database */

/* ------------------------------------------------------------- the table */

START_TEST(test_verbs_and_askers)
{
	ck_assert_int_eq(agent_request_asker(CTL_STATUS), AGENT_ASK_ANYONE);
	ck_assert_int_eq(agent_request_asker(CTL_PING), AGENT_ASK_ANYONE);
	ck_assert_int_eq(agent_request_asker(CTL_HOLD), AGENT_ASK_CONSOLE);
	ck_assert_int_eq(agent_request_asker(CTL_RELEASE), AGENT_ASK_CONSOLE);
	ck_assert_int_eq(agent_request_asker(CTL_ADMIT), AGENT_ASK_ROOT);
	ck_assert_int_eq(agent_request_asker(CTL_JOB_START), AGENT_ASK_ROOT);
	ck_assert_int_eq(agent_request_asker(CTL_JOB_END), AGENT_ASK_ROOT);
	ck_assert_int_eq(agent_request_asker("frob"), -1);
}
END_TEST

START_TEST(test_status_and_ping_from_anyone)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	const char *r;

	start(&st, &p, node_view("IDLE", false, ""));
	at_console = false;
	r = ask(NOBODY, "status", T0);
	ck_assert_msg(!strncmp(r,
			       "node d1: idleaccd " PACKAGE_VERSION
			       ", pid 4242, config /etc/idleacc/idleacc.yaml\n",
			       strlen("node d1: idleaccd " PACKAGE_VERSION
				      ", pid 4242, config /etc/idleacc/idleacc.yaml\n")),
		      "%s", r);
	ck_assert(strstr(r, "on owner return: suspend\n"));
	ck_assert_str_eq(ask(NOBODY, "ping", T0), "ok: node d1, pid 4242");
	ck_assert_str_eq(ask(0, "ping\n", T0), "ok: node d1, pid 4242");
	/* Neither takes an argument. */
	ck_assert_str_eq(ask(NOBODY, "status all", T0), "error: status takes no argument");
	ck_assert_str_eq(ask(0, "ping x", T0), "error: ping takes no argument");
}
END_TEST

START_TEST(test_unknown_verbs)
{
	agent_state_init(&st, "d1");
	ck_assert_str_eq(ask(NOBODY, "frob!", T0),
			 "error: unknown request \"frob!\" (expected status, hold SECONDS or"
			 " release)");
	ck_assert_str_eq(ask(0, "frob x\nrest", T0),
			 "error: unknown request \"frob x\\nrest\" (expected status, hold SECONDS"
			 " or release)");
	ck_assert_str_eq(ask(0, "", T0),
			 "error: unknown request \"\" (expected status, hold SECONDS or release)");
	ck_assert_str_eq(ask(0, "\x01\x02", T0),
			 "error: unknown request (expected status, hold SECONDS or release)");
	ck_assert_str_eq(ask(0, "a-very-long-verb-that-nobody-would-ever-send-here", T0),
			 "error: unknown request (expected status, hold SECONDS or release)");
	ck_assert_str_eq(ask(0, "STATUS", T0),
			 "error: unknown request \"STATUS\" (expected status, hold SECONDS or"
			 " release)");
}
END_TEST

/* ------------------------------------------------------------- hold and release */

START_TEST(test_hold_requests)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);

	offered(&p);
	/* Not at the console: refused, whatever is asked. */
	at_console = false;
	ck_assert_str_eq(ask(NOBODY, "hold 600", T0),
			 "refused: only root or the console user may hold this desktop");
	ck_assert_str_eq(ask(NOBODY, "release", T0),
			 "refused: only root or the console user may hold this desktop");
	ck_assert(!agent_hold_active(&st, T0));
	/* Arguments are checked before the console is asked. */
	ck_assert_str_eq(ask(NOBODY, "hold", T0), "error: usage: hold SECONDS");
	ck_assert_str_eq(ask(NOBODY, "hold soon", T0), "error: usage: hold SECONDS");
	ck_assert_str_eq(ask(0, "hold 0", T0), "error: a hold needs a duration above 0");
	ck_assert_str_eq(ask(0, "release now", T0), "error: release takes no argument");
	/* The console user, within max_hold (1h). */
	at_console = true;
	ck_assert_str_eq(ask(NOBODY, "hold 2h", T0),
			 "refused: a hold of 2h is longer than max_hold (1h)");
	ck_assert(!agent_hold_active(&st, T0));
	/* T0 is 2023-11-14 22:13:20 UTC */
	ck_assert_str_eq(ask(NOBODY, "hold 10m", T0), "ok: held by nobody until 22:23");
	ck_assert(agent_hold_active(&st, T0 + 599 * S));
	ck_assert(!agent_hold_active(&st, T0 + 600 * S));
	ck_assert_str_eq(st.hold_reason, "IDLEACC: held by nobody until 22:23");
	ck_assert_int_eq(st.hold_uid, NOBODY);
	/* Root may release anyone's hold, at the console or not. */
	at_console = false;
	ck_assert_str_eq(ask(0, "release", T0 + S), "ok: hold by nobody released");
	ck_assert(!agent_hold_active(&st, T0 + S));
	ck_assert_str_eq(ask(0, "release", T0 + S), "ok: no hold");
	ck_assert_str_eq(ask(0, "hold 60", T0 + S), "ok: held by root until 22:14");
}
END_TEST

START_TEST(test_holds_turned_off)
{
	const struct agent_reqenv env = {.st = &st, .max_hold = 0, .console = console_rule};
	char *r;

	agent_state_init(&st, "d1");
	r = agent_request(&env, "hold 60", 0, T0);
	ck_assert_str_eq(r, "refused: holds are turned off here (max_hold 0)");
	free(r);
	ck_assert(!agent_hold_active(&st, T0));
}
END_TEST

/* ------------------------------------------------------------- the plugin's requests */

START_TEST(test_admit_yes_and_no)
{
	struct agent_params p = params(IDLE_RETURN_SUSPEND);
	struct agent_action a[16];
	struct idle_verdict v;
	int k;

	offered(&p);
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
	/* The node as last read is still what the status shows; the drain is asked again. */
	ck_assert(st.node.drain);
	ck_assert(st.redrain);
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

	offered(&p);
	at_console = true;
	ck_assert_str_eq(ask(NOBODY, "hold 600", T0), "ok: held by nobody until 22:23");
	ck_assert_str_eq(ask(0, "admit 21", T0 + S), "no: IDLEACC: held by nobody until 22:23");
	ck_assert_str_eq(ask(NOBODY, "release", T0 + 2 * S), "ok: hold by nobody released");
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
	struct idle_verdict v;
	int k;

	offered(&p);
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

static Suite *make_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_verbs_and_askers);
	tcase_add_test(tc, test_status_and_ping_from_anyone);
	tcase_add_test(tc, test_unknown_verbs);
	suite_add_tcase(s, tc);
	tc = tcase_create("hold");
	tcase_add_test(tc, test_hold_requests);
	tcase_add_test(tc, test_holds_turned_off);
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
	return s;
}

TEST_MAIN(make_suite)
