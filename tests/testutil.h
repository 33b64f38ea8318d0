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

/* Runs one suite; the exit code is what automake's harness reads. */
#define TEST_MAIN(make_suite)                                                                    \
	int main(void)                                                                           \
	{                                                                                        \
		SRunner *sr = srunner_create(make_suite());                                      \
		int failed;                                                                      \
		srunner_run_all(sr, CK_NORMAL);                                                  \
		failed = srunner_ntests_failed(sr);                                              \
		srunner_free(sr);                                                                \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                     \
	}

#endif /* TESTUTIL_H */
