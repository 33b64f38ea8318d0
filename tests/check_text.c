/* SPDX-License-Identifier: MIT */
/* check_text.c - the names of libidle's enums (idle/text.c). */
#include "config.h"

#include <string.h>

#include "idle_int.h"
#include "testutil.h"

START_TEST(test_names)
{
	ck_assert_str_eq(idle_source_name(IDLE_SRC_EVDEV), "evdev");
	ck_assert_str_eq(idle_source_name(IDLE_SRC_GPU), "gpu");
	ck_assert_str_eq(idle_status_name(IDLE_ST_UNKNOWN), "unknown");
	ck_assert_str_eq(idle_owner_name(IDLE_OWNER_ABSENT), "absent");
	ck_assert_str_eq(idle_on_return_name(IDLE_RETURN_REQUEUE), "requeue");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
