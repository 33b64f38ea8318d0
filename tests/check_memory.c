/* SPDX-License-Identifier: MIT */
/* check_memory.c - the memory source: memory used outside the jobs. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "idle.h"
#include "testutil.h"

/* One sample of the memory source alone, with [root] as the system. */
static void sample_memory(const char *root, struct idle_snapshot *snap)
{
	test_sample_one(IDLE_SRC_MEMORY, root, snap);
}

START_TEST(test_jobs_subtracted)
{
	struct idle_snapshot s;

	/*
	 * Used: 16000000 - 10896000 = 5104000 kB. Jobs (slurmstepd 600 and its descendants
	 * 601, 602, 603): (1000 + 250000 + 100 + 24900) pages of 4 KiB = 1104000 kB. The rest,
	 * 4000000 kB, is 25 % of MemTotal.
	 */
	sample_memory(test_data("proc-jobs"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_MEMORY], IDLE_ST_OK);
	ck_assert_uint_eq(s.mem_total_kb, 16000000);
	ck_assert_uint_eq(s.mem_job_kb, 1104000);
	ck_assert_double_eq(s.mem_used_pct, 25.0);
}
END_TEST

START_TEST(test_no_jobs_old_kernel)
{
	struct idle_snapshot s;

	/* No MemAvailable: available = MemFree + Buffers + Cached = 4000000 of 8000000 kB. */
	sample_memory(test_data("proc-nojobs"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_MEMORY], IDLE_ST_OK);
	ck_assert_uint_eq(s.mem_total_kb, 8000000);
	ck_assert_uint_eq(s.mem_job_kb, 0);
	ck_assert_double_eq(s.mem_used_pct, 50.0);
}
END_TEST

START_TEST(test_jobs_above_used)
{
	struct idle_snapshot s;

	/* Jobs' resident sets (204000 kB) exceed the used memory (100000 kB): clamped at 0. */
	sample_memory(test_data("proc-bigjob"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_MEMORY], IDLE_ST_OK);
	ck_assert_uint_eq(s.mem_job_kb, 204000);
	ck_assert_double_eq(s.mem_used_pct, 0.0);
}
END_TEST

START_TEST(test_unreadable)
{
	struct idle_snapshot s;
	char root[] = "/tmp/check_memory.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(root));
	sample_memory(root, &s);
	rmdir(root);
	ck_assert_int_eq(s.status[IDLE_SRC_MEMORY], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(s.error[IDLE_SRC_MEMORY],
			 "cannot read /proc/meminfo: No such file or directory");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("nonjob");

	tcase_add_test(tc, test_jobs_subtracted);
	tcase_add_test(tc, test_no_jobs_old_kernel);
	tcase_add_test(tc, test_jobs_above_used);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
