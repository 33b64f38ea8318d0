/* SPDX-License-Identifier: MIT */
/*
 * check_state.c - idleaccd's state file (nodeagent/state.c): what it keeps and reads back,
 * its times across clocks and reboots, and what it makes of a hostile or damaged file.
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

#include "agentfix.h"
#include "cycle.h"
#include "plan.h"
#include "state.h"

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
	reconciled(&b, &p, &a[0],
		   node_view("ALLOCATED", true, "IDLEACC: held by alice until 22:23"), jobs, 3,
		   T0 + S);
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

static Suite *make_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = tcase_create("state file");
	tcase_add_test(tc, test_state_file_roundtrip);
	tcase_add_test(tc, test_state_file_clocks);
	tcase_add_test(tc, test_state_file_hostile);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
