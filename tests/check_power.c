/* SPDX-License-Identifier: MIT */
/* check_power.c - the power source: mains, batteries and desktops without either. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idle.h"
#include "testutil.h"

/* One sample of the power source alone, with [root] as the system. */
static void sample_power(const char *root, struct idle_snapshot *snap)
{
	test_sample_one(IDLE_SRC_POWER, root, snap);
}

START_TEST(test_laptop_on_ac)
{
	struct idle_snapshot s;

	sample_power(test_data("power-ac"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_POWER], IDLE_ST_OK);
	ck_assert(s.on_ac);
	ck_assert_int_eq(s.battery_pct, 80);
}
END_TEST

START_TEST(test_laptop_on_battery)
{
	struct idle_snapshot s;

	/* Two batteries at 55 % and 44 %: the average, rounded. */
	sample_power(test_data("power-battery"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_POWER], IDLE_ST_OK);
	ck_assert(!s.on_ac);
	ck_assert_int_eq(s.battery_pct, 50);
}
END_TEST

START_TEST(test_battery_without_mains)
{
	struct idle_snapshot s;

	sample_power(test_data("power-nomains"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_POWER], IDLE_ST_OK);
	ck_assert(!s.on_ac);
	ck_assert_int_eq(s.battery_pct, 30);
}
END_TEST

START_TEST(test_usbc_charger)
{
	struct idle_snapshot s;

	/* The Mains adapter is offline, but the battery does not discharge: a USB-C charger. */
	sample_power(test_data("power-usbc"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_POWER], IDLE_ST_OK);
	ck_assert(s.on_ac);
	ck_assert_int_eq(s.battery_pct, 97);
}
END_TEST

START_TEST(test_desktop_mouse_and_ups)
{
	struct idle_snapshot s;

	/* A wireless mouse's battery and a UPS on battery say nothing about the owner. */
	sample_power(test_data("power-desktop"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_POWER], IDLE_ST_NONE);
	ck_assert(s.on_ac);
	ck_assert_int_eq(s.battery_pct, -1);
}
END_TEST

START_TEST(test_desktop_no_power_supply_dir)
{
	struct idle_snapshot s;
	char root[] = "/tmp/check_power.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(root));
	sample_power(root, &s);
	rmdir(root);
	ck_assert_int_eq(s.status[IDLE_SRC_POWER], IDLE_ST_NONE);
	ck_assert(s.on_ac);
	ck_assert_int_eq(s.battery_pct, -1);
}
END_TEST

START_TEST(test_battery_status_unreadable)
{
	struct idle_snapshot s;

	sample_power(test_data("power-nostatus"), &s);
	ck_assert_int_eq(s.status[IDLE_SRC_POWER], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(s.error[IDLE_SRC_POWER],
			 "cannot read /sys/class/power_supply/BAT0/status: "
			 "No such file or directory");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("power");
	TCase *tc = tcase_create("laptop");

	tcase_add_test(tc, test_laptop_on_ac);
	tcase_add_test(tc, test_laptop_on_battery);
	tcase_add_test(tc, test_battery_without_mains);
	tcase_add_test(tc, test_usbc_charger);
	suite_add_tcase(s, tc);
	tc = tcase_create("desktop");
	tcase_add_test(tc, test_desktop_mouse_and_ups);
	tcase_add_test(tc, test_desktop_no_power_supply_dir);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_battery_status_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
