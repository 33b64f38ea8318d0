/* SPDX-License-Identifier: MIT */
/* check_duration.c - durations as idleacc.yaml writes them (idle/duration.c). */
#include "config.h"

#include <string.h>

#include "idle_int.h"
#include "testutil.h"

START_TEST(test_parse_duration)
{
	int64_t s = -1;

	ck_assert_int_eq(idle_parse_duration("90s", &s), 0);
	ck_assert_int_eq(s, 90);
	ck_assert_int_eq(idle_parse_duration("15m", &s), 0);
	ck_assert_int_eq(s, 900);
	ck_assert_int_eq(idle_parse_duration("2h", &s), 0);
	ck_assert_int_eq(s, 7200);
	ck_assert_int_eq(idle_parse_duration("1d", &s), 0);
	ck_assert_int_eq(s, 86400);
	ck_assert_int_eq(idle_parse_duration("1h30m", &s), 0);
	ck_assert_int_eq(s, 5400);
	ck_assert_int_eq(idle_parse_duration("300", &s), 0);
	ck_assert_int_eq(s, 300);
	ck_assert_int_eq(idle_parse_duration("0", &s), 0);
	ck_assert_int_eq(s, 0);
}
END_TEST

START_TEST(test_parse_duration_bad)
{
	static const char *const bad[] = {"",	  "m",	   "15x",  "-5",   "1.5m",
					  "15 m", "30m1h", "1h1h", "1h30", "99999999999999999999",
					  "15M"};
	int64_t s = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(idle_parse_duration(bad[i], &s) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(s, 42);
	}
	ck_assert_int_eq(idle_parse_duration(NULL, &s), -1);
}
END_TEST

START_TEST(test_format_duration)
{
	char b[32];

	ck_assert_str_eq(idle_format_duration(0, b, sizeof(b)), "0s");
	ck_assert_str_eq(idle_format_duration(12, b, sizeof(b)), "12s");
	ck_assert_str_eq(idle_format_duration(900, b, sizeof(b)), "15m");
	ck_assert_str_eq(idle_format_duration(5400, b, sizeof(b)), "1h30m");
	ck_assert_str_eq(idle_format_duration(90061, b, sizeof(b)), "1d1h1m1s");
	ck_assert_str_eq(idle_format_duration(-3, b, sizeof(b)), "0s");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("durations");

	tcase_add_test(tc, test_parse_duration);
	tcase_add_test(tc, test_parse_duration_bad);
	tcase_add_test(tc, test_format_duration);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
