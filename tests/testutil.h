/* SPDX-License-Identifier: MIT */
/* testutil.h - what the unit tests share: fixture paths and a main() for one suite. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* The fixture tree tests/data/[sub] of the source tree. */
static inline const char *test_data(const char *sub)
{
	static char buf[4096];
	const char *d = getenv("IDLEACC_TEST_DATA");

	snprintf(buf, sizeof(buf), "%s/%s", d ? d : "data", sub);
	return buf;
}

#ifdef IDLE_H
#include <string.h>

/* The comm of a job's root process in the fixture trees, as idleaccd names it. */
#define TEST_JOB_COMM "slurmstepd"

/* One sample at [now_ms] of the sources enabled in [src] (the others off), with [root] as the
 * system. */
static inline void test_sample_sources(struct idle_sources *src, const char *root, int64_t now_ms,
				       struct idle_snapshot *snap)
{
	struct idle_ctx *ctx;
	char err[IDLE_ERR_LEN];

	ctx = idle_open(src, root, TEST_JOB_COMM, err, sizeof(err));
	ck_assert_ptr_nonnull(ctx);
	idle_sample(ctx, now_ms, snap);
	idle_close(ctx);
}

/* One sample of source [id] alone, with its default settings off, over [root]. */
static inline void test_sample_one(enum idle_source_id id, const char *root,
				   struct idle_snapshot *snap)
{
	struct idle_sources src;

	memset(&src, 0, sizeof(src));
	src.enabled[id] = true;
	test_sample_sources(&src, root, 1000, snap);
}
#endif

/* Runs one suite; the exit code is what automake's harness reads. */
#define TEST_MAIN(make_suite)                                                                      \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr = srunner_create(make_suite());                                        \
		int failed;                                                                        \
		srunner_run_all(sr, CK_NORMAL);                                                    \
		failed = srunner_ntests_failed(sr);                                                \
		srunner_free(sr);                                                                  \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                       \
	}

#endif /* TESTUTIL_H */
