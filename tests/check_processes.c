/* SPDX-License-Identifier: MIT */
/* check_processes.c - the process scan (job marking) and the busy-programs source. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "idle_int.h"
#include "testutil.h"

/* The process [pid] of [ps], failing the test if it is missing. */
static const struct idle_proc *proc_of(const struct idle_procs *ps, int pid)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->v[i].pid == pid)
			return &ps->v[i];
	ck_abort_msg("pid %d not in the scan", pid);
	return NULL;
}

START_TEST(test_scan_comm)
{
	struct idle_procs ps = {0};
	const struct idle_proc *p;
	char err[IDLE_ERR_LEN] = "";

	ck_assert_int_eq(
	    idle_procs_scan(&ps, test_data("proc-jobs"), TEST_JOB_COMM, err, sizeof(err)), 0);
	/* "602 (my job) (x) S 601 ...": the comm runs to the last ')'. */
	p = proc_of(&ps, 602);
	ck_assert_str_eq(p->comm, "my job) (x");
	ck_assert_int_eq(p->ppid, 601);
	ck_assert_uint_eq(p->ticks, 400);
	ck_assert_uint_eq(p->rss_kb, 400);
	p = proc_of(&ps, 702);
	ck_assert_str_eq(p->comm, "Web Content");
	ck_assert_int_eq(p->ppid, 701);
	ck_assert_uint_eq(p->ticks, 1000);
	ck_assert_uint_eq(p->rss_kb, 160000);
	idle_procs_free(&ps);
}
END_TEST

START_TEST(test_scan_job_ids)
{
	static const int jobs[] = {600, 601, 602, 603};
	struct idle_procs ps = {0};
	char err[IDLE_ERR_LEN];
	size_t i;

	/* 600's title is "slurmstepd: [57.batch]": each of its descendants is job 57's. */
	ck_assert_int_eq(
	    idle_procs_scan(&ps, test_data("proc-jobs"), TEST_JOB_COMM, err, sizeof(err)), 0);
	ck_assert(proc_of(&ps, 600)->stepd);
	ck_assert(!proc_of(&ps, 601)->stepd);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		ck_assert_uint_eq(proc_of(&ps, jobs[i])->jobid, 57);
	ck_assert_uint_eq(proc_of(&ps, 700)->jobid, 0);
	ck_assert_int_eq(proc_of(&ps, 602)->state, 'S');
	idle_procs_free(&ps);
}
END_TEST

START_TEST(test_scan_sorted_vanished)
{
	static const int pids[] = {1,	2,   500, 600, 601, 602, 603,
				   700, 701, 702, 703, 710, 900, 901};
	struct idle_procs ps = {0};
	char err[IDLE_ERR_LEN] = "";
	size_t i;

	/* 999 has no stat file (it exited mid-scan); "sys" is not a pid. */
	ck_assert_int_eq(
	    idle_procs_scan(&ps, test_data("proc-jobs"), TEST_JOB_COMM, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(ps.n, sizeof(pids) / sizeof(pids[0]));
	for (i = 0; i < ps.n; i++)
		ck_assert_int_eq(ps.v[i].pid, pids[i]);
	idle_procs_free(&ps);
}
END_TEST

START_TEST(test_scan_descent)
{
	static const int jobs[] = {600, 601, 602, 603};
	static const int others[] = {1, 2, 500, 700, 701, 702, 703, 710, 900, 901};
	struct idle_procs ps = {0};
	char err[IDLE_ERR_LEN];
	size_t i;

	/* 602 is slurmstepd's grandchild; 900 and 901 are each other's parent. */
	ck_assert_int_eq(
	    idle_procs_scan(&ps, test_data("proc-jobs"), TEST_JOB_COMM, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		ck_assert_msg(proc_of(&ps, jobs[i])->job, "pid %d not a job's", jobs[i]);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		ck_assert_msg(!proc_of(&ps, others[i])->job, "pid %d a job's", others[i]);
	idle_procs_free(&ps);
}
END_TEST

/* Which process roots a job is the caller's to say (idleaccd: slurmstepd): another comm roots
 * other trees, and none marks no process at all. */
START_TEST(test_scan_job_comm)
{
	struct idle_procs ps = {0};
	char err[IDLE_ERR_LEN];
	size_t i;

	ck_assert_int_eq(idle_procs_scan(&ps, test_data("proc-jobs"), "python3", err, sizeof(err)),
			 0);
	ck_assert(!proc_of(&ps, 600)->job);
	ck_assert(proc_of(&ps, 601)->job && proc_of(&ps, 601)->stepd);
	ck_assert(proc_of(&ps, 603)->job && !proc_of(&ps, 603)->stepd);
	ck_assert_int_eq(proc_of(&ps, 603)->stepd_pid, 601);
	ck_assert_int_eq(idle_procs_scan(&ps, test_data("proc-jobs"), NULL, err, sizeof(err)), 0);
	ck_assert_uint_gt(ps.n, 0);
	for (i = 0; i < ps.n; i++)
		ck_assert(!ps.v[i].job && !ps.v[i].stepd);
	idle_procs_free(&ps);
}
END_TEST

START_TEST(test_scan_no_proc)
{
	struct idle_procs ps = {0};
	char err[IDLE_ERR_LEN] = "";

	ck_assert_int_eq(
	    idle_procs_scan(&ps, test_data("power-ac"), TEST_JOB_COMM, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot open /proc: No such file or directory");
	ck_assert_uint_eq(ps.n, 0);
	idle_procs_free(&ps);
}
END_TEST

START_TEST(test_scan_real_system)
{
	struct idle_procs ps = {0};
	char err[IDLE_ERR_LEN];
	const struct idle_proc *self;

	/* The test itself is in the real table, with its real parent. */
	ck_assert_int_eq(idle_procs_scan(&ps, NULL, TEST_JOB_COMM, err, sizeof(err)), 0);
	self = proc_of(&ps, (int)getpid());
	ck_assert_int_eq(self->ppid, (int)getppid());
	ck_assert_uint_gt(self->rss_kb, 0);
	idle_procs_free(&ps);
}
END_TEST

/* One sample of the processes source alone over proc-jobs, with the programs given. */
static void sample_programs(const char *root, struct idle_snapshot *snap, int n, ...)
{
	struct idle_sources src;
	va_list ap;
	int i;

	memset(&src, 0, sizeof(src));
	src.enabled[IDLE_SRC_PROCESSES] = true;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		snprintf(src.programs[i], sizeof(src.programs[i]), "%s", va_arg(ap, const char *));
	va_end(ap);
	src.nprograms = n;
	test_sample_sources(&src, root, 1000, snap);
}

START_TEST(test_busy_found_lowest_pid)
{
	struct idle_snapshot s;

	/* firefox runs as 701 and 710; blender only inside a job. */
	sample_programs(test_data("proc-jobs"), &s, 2, "blender", "firefox");
	ck_assert_int_eq(s.status[IDLE_SRC_PROCESSES], IDLE_ST_OK);
	ck_assert_str_eq(s.busy_program, "firefox");
	ck_assert_int_eq(s.busy_pid, 701);
}
END_TEST

START_TEST(test_busy_truncated_comm)
{
	struct idle_snapshot s;

	/* The kernel keeps "gnome-system-mo"; the configured name is matched on 15 chars. */
	sample_programs(test_data("proc-jobs"), &s, 1, "gnome-system-monitor");
	ck_assert_int_eq(s.status[IDLE_SRC_PROCESSES], IDLE_ST_OK);
	ck_assert_str_eq(s.busy_program, "gnome-system-monitor");
	ck_assert_int_eq(s.busy_pid, 703);

	sample_programs(test_data("proc-jobs"), &s, 1, "Web Content");
	ck_assert_str_eq(s.busy_program, "Web Content");
	ck_assert_int_eq(s.busy_pid, 702);
}
END_TEST

START_TEST(test_busy_not_found)
{
	struct idle_snapshot s;

	/* "fire" is a prefix of a comm, not a comm. */
	sample_programs(test_data("proc-jobs"), &s, 2, "steam", "fire");
	ck_assert_int_eq(s.status[IDLE_SRC_PROCESSES], IDLE_ST_OK);
	ck_assert_str_eq(s.busy_program, "");
	ck_assert_int_eq(s.busy_pid, 0);
}
END_TEST

START_TEST(test_busy_only_in_job)
{
	struct idle_snapshot s;

	/* blender (603) and python3 (601) run, but as processes of a job. */
	sample_programs(test_data("proc-jobs"), &s, 2, "blender", "python3");
	ck_assert_int_eq(s.status[IDLE_SRC_PROCESSES], IDLE_ST_OK);
	ck_assert_str_eq(s.busy_program, "");
	ck_assert_int_eq(s.busy_pid, 0);
}
END_TEST

/* The sampler hands its caller's job comm to the scan: without one, blender in job 57 is the
 * owner's busy program. */
START_TEST(test_busy_job_comm_of_sampler)
{
	struct idle_sources src;
	struct idle_snapshot s;
	struct idle_ctx *ctx;
	char err[IDLE_ERR_LEN];

	memset(&src, 0, sizeof(src));
	src.enabled[IDLE_SRC_PROCESSES] = true;
	src.nprograms = 1;
	snprintf(src.programs[0], sizeof(src.programs[0]), "blender");
	ctx = idle_open(&src, test_data("proc-jobs"), NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(ctx);
	idle_sample(ctx, 1000, &s);
	idle_close(ctx);
	ck_assert_str_eq(s.busy_program, "blender");
	ck_assert_int_eq(s.busy_pid, 603);
}
END_TEST

START_TEST(test_none_configured)
{
	struct idle_snapshot s;

	sample_programs(test_data("proc-jobs"), &s, 0);
	ck_assert_int_eq(s.status[IDLE_SRC_PROCESSES], IDLE_ST_NONE);
	ck_assert_int_eq(s.busy_pid, 0);
}
END_TEST

START_TEST(test_no_proc_unknown)
{
	struct idle_snapshot s;

	sample_programs(test_data("power-ac"), &s, 1, "firefox");
	ck_assert_int_eq(s.status[IDLE_SRC_PROCESSES], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(s.error[IDLE_SRC_PROCESSES],
			 "cannot open /proc: No such file or directory");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("processes");
	TCase *tc = tcase_create("scan");

	tcase_add_test(tc, test_scan_comm);
	tcase_add_test(tc, test_scan_sorted_vanished);
	tcase_add_test(tc, test_scan_job_ids);
	tcase_add_test(tc, test_scan_descent);
	tcase_add_test(tc, test_scan_job_comm);
	tcase_add_test(tc, test_scan_no_proc);
	tcase_add_test(tc, test_scan_real_system);
	suite_add_tcase(s, tc);
	tc = tcase_create("busy programs");
	tcase_add_test(tc, test_busy_found_lowest_pid);
	tcase_add_test(tc, test_busy_truncated_comm);
	tcase_add_test(tc, test_busy_not_found);
	tcase_add_test(tc, test_busy_only_in_job);
	tcase_add_test(tc, test_busy_job_comm_of_sampler);
	tcase_add_test(tc, test_none_configured);
	tcase_add_test(tc, test_no_proc_unknown);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
