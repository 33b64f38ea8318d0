/* SPDX-License-Identifier: MIT */
/* check_conf.c - STUB: to be written. */
#include "config.h"

#include "idle.h"
#include "testutil.h"

START_TEST(test_stub)
{
	ck_assert_int_eq(1, 1);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("stub");

	tcase_add_test(tc, test_stub);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
