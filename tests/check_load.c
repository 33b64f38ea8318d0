/* SPDX-License-Identifier: MIT */
/* check_load.c - the load source: non-job CPU from counters, smoothed over time. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idle.h"
#include "testutil.h"

/*
 * The tests build a /proc in a temporary directory and rewrite its counters between samples.
 * The machine has 4 CPUs and USER_HZ 100: one hour is 4 * 3600 * 100 = 1440000 ticks in all.
 * After an hour, the 60 s moving average has forgotten everything before (1 - e^-60 is 1.0 in
 * a double), so one sample an hour later shows the instantaneous reading.
 */
#define HOUR_MS	   (3600 * 1000)
#define HOUR_TICKS 1440000ULL

static char root[64];

static void write_file(const char *rel, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes ROOT/[rel], creating the directories on the way. */
static void write_file(const char *rel, const char *fmt, ...)
{
	char path[256], *slash;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
		*slash = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * /proc/stat with the aggregate line user nice system idle iowait irq softirq steal guest
 * guest_nice, and 4 per-CPU lines.
 */
static void write_cpu(unsigned long long user, unsigned long long nice, unsigned long long system,
		      unsigned long long idle, unsigned long long iowait, unsigned long long irq,
		      unsigned long long softirq, unsigned long long steal,
		      unsigned long long guest)
{
	write_file("proc/stat",
		   "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu 0\n"
		   "cpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\n"
		   "cpu2 1 0 1 1 0 0 0 0 0 0\ncpu3 1 0 1 1 0 0 0 0 0 0\n"
		   "intr 1234 0 0\nctxt 5678\nbtime 1700000000\n",
		   user, nice, system, idle, iowait, irq, softirq, steal, guest);
}

/* Busy ticks as user time, idle as idle: the plain case. */
static void write_cpu_simple(unsigned long long busy, unsigned long long idle)
{
	write_cpu(busy, 0, 0, idle, 0, 0, 0, 0, 0);
}

/* /proc/PID/stat with [ticks] as utime (stime 0). */
static void write_proc(int pid, const char *comm, int ppid, unsigned long long ticks)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	write_file(rel,
		   "%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 %llu 0 0 0 20 0 1 0 %d 10000000 "
		   "500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 "
		   "0 0\n",
		   pid, comm, ppid, pid, pid, ticks, 1000 + pid);
}

/* The process [pid] exits. */
static void remove_proc(int pid)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/proc/%d/stat", root, pid);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/proc/%d", root, pid);
	ck_assert_int_eq(rmdir(path), 0);
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb, (void)type, (void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/check_load.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A context with only the load source, over [r]. */
static struct idle_ctx *open_load(const char *r)
{
	struct idle_sources src;
	struct idle_ctx *ctx;
	char err[IDLE_ERR_LEN];

	memset(&src, 0, sizeof(src));
	src.enabled[IDLE_SRC_LOAD] = true;
	ctx = idle_open(&src, r, TEST_JOB_COMM, err, sizeof(err));
	ck_assert_ptr_nonnull(ctx);
	return ctx;
}

START_TEST(test_first_sample_loadavg)
{
	struct idle_ctx *ctx = open_load(test_data("proc-jobs"));
	struct idle_snapshot s;

	/* No interval yet: the kernel's 1-minute load average, jobs included. */
	idle_sample(ctx, 1000, &s);
	ck_assert_int_eq(s.status[IDLE_SRC_LOAD], IDLE_ST_OK);
	ck_assert_double_eq(s.load_nonjob, 1.5);
	ck_assert_double_eq(s.load_job, 0.0);
	ck_assert_int_eq(s.ncpus, 4);
	idle_close(ctx);
}
END_TEST

START_TEST(test_job_cpu_not_owner)
{
	struct idle_ctx *ctx;
	struct idle_snapshot s;

	write_file("proc/loadavg", "3.00 2.00 1.00 4/300 4242\n");
	write_proc(1, "systemd", 0, 100);
	write_proc(600, "slurmstepd", 1, 10);
	write_proc(601, "python3", 600, 1000);
	write_proc(602, "solver", 601, 2000);
	write_proc(700, "Xorg", 1, 500);
	write_cpu_simple(10000, 50000);
	ctx = open_load(root);
	idle_sample(ctx, 1000, &s);
	ck_assert_double_eq(s.load_nonjob, 3.0);

	/*
	 * An hour: the job's two processes keep 3 CPUs busy, nothing else runs. The busy
	 * machine is all the job's: the owner's load is 0.
	 */
	write_proc(601, "python3", 600, 1000 + HOUR_TICKS / 2);
	write_proc(602, "solver", 601, 2000 + HOUR_TICKS / 4);
	write_cpu_simple(10000 + HOUR_TICKS * 3 / 4, 50000 + HOUR_TICKS / 4);
	idle_sample(ctx, 1000 + HOUR_MS, &s);
	ck_assert_int_eq(s.status[IDLE_SRC_LOAD], IDLE_ST_OK);
	ck_assert_double_eq_tol(s.load_nonjob, 0.0, 1e-9);
	ck_assert_double_eq_tol(s.load_job, 3.0, 1e-9);

	/* The next hour the owner's Xorg takes one CPU beside the job's three. */
	write_proc(601, "python3", 600, 1000 + HOUR_TICKS);
	write_proc(602, "solver", 601, 2000 + HOUR_TICKS / 2);
	write_proc(700, "Xorg", 1, 500 + HOUR_TICKS / 4);
	write_cpu_simple(10000 + HOUR_TICKS * 7 / 4, 50000 + HOUR_TICKS / 4);
	idle_sample(ctx, 1000 + 2 * HOUR_MS, &s);
	ck_assert_double_eq_tol(s.load_nonjob, 1.0, 1e-9);
	ck_assert_double_eq_tol(s.load_job, 3.0, 1e-9);
	ck_assert_int_eq(s.ncpus, 4);
	idle_close(ctx);
}
END_TEST

START_TEST(test_moving_average)
{
	struct idle_ctx *ctx;
	struct idle_snapshot s;
	double a, nonjob, job;

	write_file("proc/loadavg", "1.50 1.00 0.50 2/300 4242\n");
	write_proc(600, "slurmstepd", 1, 0);
	write_proc(601, "make", 600, 1000);
	write_proc(700, "firefox", 1, 500);
	write_cpu(10000, 0, 2000, 50000, 100, 10, 10, 0, 777);
	ctx = open_load(root);
	idle_sample(ctx, 5000, &s);

	/*
	 * 60 s on 4 CPUs: 24000 ticks. Busy 18000 (user, nice, system, irq, softirq, steal;
	 * the guest ticks are inside user already), idle 6000 (idle, iowait). The job took
	 * 12000 (2 CPUs), so 6000 are the owner's: 1 CPU.
	 */
	write_proc(601, "make", 600, 1000 + 12000);
	write_proc(700, "firefox", 1, 500 + 6000);
	write_cpu(10000 + 12000, 1000, 2000 + 3000, 50000 + 5000, 100 + 1000, 10 + 500, 10 + 500,
		  1000, 777 + 4000);
	idle_sample(ctx, 65000, &s);
	a = 1.0 - exp(-1.0);
	nonjob = 1.5 + a * (1.0 - 1.5);
	job = a * 2.0;
	ck_assert_int_eq(s.status[IDLE_SRC_LOAD], IDLE_ST_OK);
	ck_assert_double_eq_tol(s.load_nonjob, nonjob, 1e-9);
	ck_assert_double_eq_tol(s.load_job, job, 1e-9);

	/* 30 s later (12000 ticks), all 4 CPUs with the owner: half a time constant's weight. */
	write_proc(700, "firefox", 1, 500 + 6000 + 12000);
	write_cpu(10000 + 12000 + 12000, 1000, 5000, 55000, 1100, 510, 510, 1000, 4777);
	idle_sample(ctx, 95000, &s);
	a = 1.0 - exp(-0.5);
	nonjob += a * (4.0 - nonjob);
	job += a * (0.0 - job);
	ck_assert_double_eq_tol(s.load_nonjob, nonjob, 1e-9);
	ck_assert_double_eq_tol(s.load_job, job, 1e-9);
	idle_close(ctx);
}
END_TEST

START_TEST(test_jobs_ended_and_started)
{
	struct idle_ctx *ctx;
	struct idle_snapshot s;

	write_file("proc/loadavg", "0.00 0.00 0.00 1/300 4242\n");
	write_proc(600, "slurmstepd", 1, 0);
	write_proc(601, "python3", 600, 1000);
	write_proc(602, "gcc", 601, 3000);
	write_proc(604, "cc1", 601, 50000);
	write_proc(700, "Xorg", 1, 500);
	write_cpu_simple(100000, 100000);
	ctx = open_load(root);
	idle_sample(ctx, 1000, &s);

	/*
	 * In the hour:
	 *   601 runs on, 1 CPU: counted by its delta          360000
	 *   602 exits after 0.4 CPU: its ticks are gone, and count as the owner's (144000)
	 *   603 starts: all its ticks are in the hour          180000
	 *   604 exits, and a new job process gets pid 604: its ticks went down, so all of
	 *       them (36000) are new                            36000
	 *   700, the owner's, 1 CPU                            (360000)
	 * Busy 1080000, of which 576000 are seen as the job's: job 1.6 CPUs, owner 1.4.
	 */
	write_proc(601, "python3", 600, 1000 + 360000);
	remove_proc(602);
	write_proc(603, "ld", 601, 180000);
	write_proc(604, "cc1", 601, 36000);
	write_proc(700, "Xorg", 1, 500 + 360000);
	write_cpu_simple(100000 + 1080000, 100000 + 360000);
	idle_sample(ctx, 1000 + HOUR_MS, &s);
	ck_assert_int_eq(s.status[IDLE_SRC_LOAD], IDLE_ST_OK);
	ck_assert_double_eq_tol(s.load_job, 1.6, 1e-9);
	ck_assert_double_eq_tol(s.load_nonjob, 1.4, 1e-9);
	idle_close(ctx);
}
END_TEST

START_TEST(test_no_loadavg_first)
{
	struct idle_ctx *ctx;
	struct idle_snapshot s;

	write_proc(700, "Xorg", 1, 0);
	write_cpu_simple(1000, 1000);
	ctx = open_load(root);
	idle_sample(ctx, 1000, &s);
	ck_assert_int_eq(s.status[IDLE_SRC_LOAD], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(s.error[IDLE_SRC_LOAD],
			 "cannot read /proc/loadavg: No such file or directory");

	/* The second sample measures, and the average starts from that measure. */
	write_proc(700, "Xorg", 1, 3000);
	write_cpu_simple(1000 + 3000, 1000 + 9000);
	idle_sample(ctx, 31000, &s);
	ck_assert_int_eq(s.status[IDLE_SRC_LOAD], IDLE_ST_OK);
	ck_assert_double_eq_tol(s.load_nonjob, 1.0, 1e-9);
	ck_assert_double_eq_tol(s.load_job, 0.0, 1e-9);
	idle_close(ctx);
}
END_TEST

START_TEST(test_no_proc_stat)
{
	struct idle_ctx *ctx = open_load(root);
	struct idle_snapshot s;

	idle_sample(ctx, 1000, &s);
	ck_assert_int_eq(s.status[IDLE_SRC_LOAD], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(s.error[IDLE_SRC_LOAD],
			 "cannot read /proc/stat: No such file or directory");
	idle_close(ctx);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("first sample");

	tcase_add_test(tc, test_first_sample_loadavg);
	suite_add_tcase(s, tc);
	tc = tcase_create("nonjob load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_job_cpu_not_owner);
	tcase_add_test(tc, test_jobs_ended_and_started);
	suite_add_tcase(s, tc);
	tc = tcase_create("moving average");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_moving_average);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_loadavg_first);
	tcase_add_test(tc, test_no_proc_stat);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
