/* SPDX-License-Identifier: MIT */
/* check_rootpath.c - paths under the root prefix (idle/rootpath.c). */
#include "config.h"

#include <string.h>

#include "idle_int.h"
#include "testutil.h"

START_TEST(test_path)
{
	char b[64];

	ck_assert_str_eq(idle_path(b, sizeof(b), NULL, "/proc/stat"), "/proc/stat");
	ck_assert_str_eq(idle_path(b, sizeof(b), "", "/proc/stat"), "/proc/stat");
	ck_assert_str_eq(idle_path(b, sizeof(b), "/tmp/fx", "/proc/stat"), "/tmp/fx/proc/stat");
	ck_assert_ptr_null(idle_path(b, 8, "/tmp/fx", "/proc/stat"));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("rootpath");
	TCase *tc = tcase_create("paths");

	tcase_add_test(tc, test_path);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
