/* SPDX-License-Identifier: MIT */
/* check_hostlist.c - Slurm hostlist matching: items, ranges, padding, malformed expressions. */
#include "config.h"

#include <string.h>

#include "idle.h"
#include "testutil.h"

/* Asserts idle_hostlist_match(expr, name) == want, with an empty error for valid expressions. */
static void expect(const char *expr, const char *name, int want)
{
	char err[IDLE_ERR_LEN] = "junk";
	int r = idle_hostlist_match(expr, name, err, sizeof(err));

	ck_assert_msg(r == want, "\"%s\" ~ \"%s\": got %d, want %d (%s)", expr, name, r, want, err);
	ck_assert_str_eq(err, "");
}

/* Asserts [expr] is malformed for the [reason], whatever the name. */
static void expect_bad(const char *expr, const char *reason)
{
	static const char *const names[] = {"", "lab1", "lab-a007", "x"};
	char err[IDLE_ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(idle_hostlist_match(expr, names[i], err, sizeof(err)) == -1,
			      "\"%s\" accepted", expr);
		ck_assert_str_eq(err, reason);
	}
}

START_TEST(test_plain)
{
	expect("pc7", "pc7", 1);
	expect("pc7", "pc70", 0);
	expect("pc7", "pc", 0);
	expect("pc7", "PC7", 0);
	expect("pc1,pc2,lab-b05", "lab-b05", 1);
	expect("pc1,pc2,lab-b05", "pc2", 1);
	expect("pc1,pc2,lab-b05", "pc3", 0);
	expect("pc1, pc2", "pc2", 1);
}
END_TEST

START_TEST(test_ranges)
{
	expect("lab-a[1-40]", "lab-a1", 1);
	expect("lab-a[1-40]", "lab-a40", 1);
	expect("lab-a[1-40]", "lab-a17", 1);
	expect("lab-a[1-40]", "lab-a0", 0);
	expect("lab-a[1-40]", "lab-a41", 0);
	expect("lab-a[1-40]", "lab-a", 0);
	expect("lab-a[1-40]", "lab-ax", 0);
	expect("pc[1-3,7]", "pc2", 1);
	expect("pc[1-3,7]", "pc7", 1);
	expect("pc[1-3,7]", "pc5", 0);
	expect("pc[1-3,7],lab-b05", "lab-b05", 1);
	expect("pc[1-3,7],lab-b05", "pc3", 1);
	expect("pc[5]", "pc5", 1);
	expect("[1-3]", "2", 1);
	expect("[1-3]", "4", 0);
	/* the range's width is that of lo: wider numbers are written unpadded */
	expect("n[8-12]", "n9", 1);
	expect("n[8-12]", "n10", 1);
	expect("n[8-12]", "n010", 0);
	expect("n[8-12]", "n09", 0);
}
END_TEST

START_TEST(test_padding)
{
	expect("lab[001-040]", "lab007", 1);
	expect("lab[001-040]", "lab040", 1);
	expect("lab[001-040]", "lab7", 0);
	expect("lab[001-040]", "lab07", 0);
	expect("lab[001-040]", "lab0007", 0);
	expect("lab[001-040]", "lab041", 0);
	expect("lab[001-040]", "lab000", 0);
	expect("n[098-100]", "n099", 1);
	expect("n[098-100]", "n100", 1);
	expect("n[098-100]", "n99", 0);
	expect("n[1-3]", "n01", 0);
	expect("n[00-10]", "n00", 1);
	expect("n[00-10]", "n0", 0);
}
END_TEST

START_TEST(test_groups_and_suffixes)
{
	expect("r[1-2]n[01-10]", "r1n01", 1);
	expect("r[1-2]n[01-10]", "r2n10", 1);
	expect("r[1-2]n[01-10]", "r3n01", 0);
	expect("r[1-2]n[01-10]", "r1n1", 0);
	expect("r[1-2]n[01-10]", "r1n11", 0);
	expect("lab[1-4]-gpu", "lab3-gpu", 1);
	expect("lab[1-4]-gpu", "lab3", 0);
	expect("lab[1-4]-gpu", "lab3-gpux", 0);
	/* a digit right after the group: every length of the digit run is tried */
	expect("n[1-2]0", "n10", 1);
	expect("n[1-2]0", "n20", 1);
	expect("n[1-2]0", "n1", 0);
	expect("n[1-12]5", "n125", 1);
	expect("n[1-12]5", "n55", 1);
	expect("n[1-12]5", "n135", 0);
	expect("c[1-2][3-4]", "c14", 1);
	expect("c[1-2][3-4]", "c15", 0);
}
END_TEST

START_TEST(test_malformed)
{
	expect_bad("", "empty hostlist");
	expect_bad("   ", "empty hostlist");
	expect_bad("lab[1-", "missing \"]\"");
	expect_bad("lab1]", "\"]\" without \"[\"");
	expect_bad("lab[1-[2]]", "\"[\" inside brackets");
	expect_bad("lab[]", "empty brackets");
	expect_bad("lab[5-3]", "bad range \"5-3\": 5 is greater than 3");
	expect_bad("lab[1-3,9-07]", "bad range \"9-07\": 9 is greater than 07");
	expect_bad("lab[a-3]", "bad range \"a-3\": not a number");
	expect_bad("lab[1-]", "bad range \"1-\": not a number");
	expect_bad("lab[-1]", "bad range \"-1\": not a number");
	expect_bad("lab[1-2-3]", "bad range \"1-2-3\": not a number");
	expect_bad("lab[1,,3]", "empty range in brackets");
	expect_bad("lab[1-3,]", "empty range in brackets");
	expect_bad("lab[0-1234567890123456789]",
		   "bad range \"0-1234567890123456789\": number too long");
	expect_bad("pc1,,pc2", "empty host name");
	expect_bad("pc1,", "empty host name");
	expect_bad(",pc1", "empty host name");
	expect_bad("pc 1", "space inside a host name");
	/* an error in a later item fails the whole expression, even when an earlier one matches */
	expect_bad("lab1,lab[2-", "missing \"]\"");
}
END_TEST

START_TEST(test_no_err_buffer)
{
	ck_assert_int_eq(idle_hostlist_match("lab[1-", "lab1", NULL, 0), -1);
	ck_assert_int_eq(idle_hostlist_match("lab[1-2]", "lab1", NULL, 0), 1);
}
END_TEST

/*
 * Names of long digit runs against many groups: every length of run at every group is a
 * choice, which plain backtracking tries one by one (18^30 here: it never ends); the answer
 * must still come, and be right.
 */
START_TEST(test_digit_runs)
{
	char expr[30 * 24 + 8], name[128];
	size_t i, off = 0;

	for (i = 0; i < 30; i++)
		off += (size_t)snprintf(expr + off, sizeof(expr) - off, "[0-999999999999999999]");
	snprintf(expr + off, sizeof(expr) - off, "x");
	memset(name, '1', 100);
	name[100] = '\0';
	expect(expr, name, 0); /* no "x" at the end */
	name[100] = 'x';
	name[101] = '\0';
	expect(expr, name, 1);
	expect("n[1-2]0", "n10", 1);
	expect("n[1-2]0", "n20", 1);
	expect("n[1-2]0", "n30", 0);
	expect("a[1-9][0-9]b", "a19b", 1);
	expect("a[1-9][0-9]b", "a1b", 0);
	memset(name, 'a', 127);
	name[127] = '\0';
	expect("a[1-2]", name, 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("hostlist");
	TCase *tc;

	tc = tcase_create("plain");
	tcase_add_test(tc, test_plain);
	suite_add_tcase(s, tc);
	tc = tcase_create("ranges");
	tcase_add_test(tc, test_ranges);
	suite_add_tcase(s, tc);
	tc = tcase_create("padding");
	tcase_add_test(tc, test_padding);
	suite_add_tcase(s, tc);
	tc = tcase_create("groups");
	tcase_add_test(tc, test_groups_and_suffixes);
	tcase_add_test(tc, test_digit_runs);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_no_err_buffer);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
