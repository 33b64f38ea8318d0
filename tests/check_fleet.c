/* SPDX-License-Identifier: MIT */
/*
 * check_fleet.c - "idleacc fleet" without Slurm (nodeagent/fleet.c): which nodes are desktops,
 * the owner read from a node's state and reason, the exact table and the JSON.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "plan.h"
#include "report.h"
#include "testutil.h"

static struct agent_fleet_node fnode(const char *name, const char *state, bool drain,
				     const char *reason, const char *features, unsigned run,
				     unsigned susp)
{
	struct agent_fleet_node f;

	memset(&f, 0, sizeof(f));
	snprintf(f.node.name, sizeof(f.node.name), "%s", name);
	snprintf(f.node.state, sizeof(f.node.state), "%s", state);
	f.node.drain = drain;
	f.node.down = !strcmp(state, "DOWN");
	snprintf(f.node.reason, sizeof(f.node.reason), "%s", reason);
	snprintf(f.features, sizeof(f.features), "%s", features);
	f.running = run;
	f.suspended = susp;
	return f;
}

START_TEST(owner_from_reason)
{
	struct agent_fleet_node f;

	f = fnode("d1", "IDLE", false, "", "desktop", 0, 0);
	ck_assert_str_eq(agent_fleet_owner(&f.node), "absent");
	f = fnode("d1", "IDLE", true, "IDLEACC: tty input 0s ago < 3s", "", 0, 0);
	ck_assert_str_eq(agent_fleet_owner(&f.node), "present");
	f = fnode("d1", "IDLE", true, "IDLEACC: held by alice until 14:30", "", 0, 0);
	ck_assert_str_eq(agent_fleet_owner(&f.node), "held");
	f = fnode("d1", "IDLE", true, "IDLEACC: idleaccd not running (no answer on x: y)", "", 0,
		  0);
	ck_assert_str_eq(agent_fleet_owner(&f.node), "unknown");
	f = fnode("d1", "IDLE", true, "maintenance", "", 0, 0);
	ck_assert_str_eq(agent_fleet_owner(&f.node), "-");
	f = fnode("d1", "DOWN", false, "Not responding", "", 0, 0);
	ck_assert_str_eq(agent_fleet_owner(&f.node), "-");
}
END_TEST

START_TEST(desktop_by_feature)
{
	struct agent_fleet_node f;

	f = fnode("d1", "IDLE", false, "", "gpu,desktop", 0, 0);
	ck_assert(agent_fleet_desktop(&f, "desktop"));
	f = fnode("d1", "IDLE", false, "", "desktops,nodesktop", 0, 0);
	ck_assert(!agent_fleet_desktop(&f, "desktop"));
	f = fnode("d1", "IDLE", true, "IDLEACC: held by bob until 9:00", "", 0, 0);
	ck_assert(agent_fleet_desktop(&f, "desktop")); /* ours, whatever its features */
}
END_TEST

START_TEST(table_and_json)
{
	static char mem[8192];
	struct agent_fleet_node n[3];
	struct agent_buf b;
	struct tm t;
	time_t now;

	setenv("TZ", "UTC", 1); /* SINCE is local time: make it one known */
	tzset();
	memset(&t, 0, sizeof(t));
	t.tm_year = 126, t.tm_mon = 11, t.tm_mday = 1, t.tm_hour = 14, t.tm_min = 2;
	t.tm_isdst = -1;
	now = mktime(&t);
	n[0] = fnode("d1", "ALLOCATED", false, "", "desktop", 1, 0);
	n[1] = fnode("d2", "IDLE", true, "IDLEACC: tty input 0s ago < 3s", "desktop", 0, 1);
	n[1].node.reason_time = now;
	n[2] = fnode("srv", "IDLE", false, "", "", 0, 0);
	agent_buf_init(&b, mem, sizeof(mem));
	agent_fleet_table(&b, n, 3, "desktop", false, now + 60);
	ck_assert_str_eq(
	    mem, "NODE  STATE       OWNER    SINCE  RUNNING  SUSPENDED  REASON\n"
		 "d1    ALLOCATED   absent   -      1        0\n"
		 "d2    IDLE+DRAIN  present  14:02  0        1          IDLEACC: tty input 0s "
		 "ago < 3s\n"
		 "2 desktops: 1 owner present, 0 held, 1 absent (offered), 0 unknown, 0 not "
		 "ours; 1 jobs running, 1 suspended\n");
	/* A day later the date stands for the time. */
	agent_buf_init(&b, mem, sizeof(mem));
	agent_fleet_table(&b, n, 3, "desktop", false, now + 86400);
	ck_assert_ptr_nonnull(strstr(mem, "  2026-12-01  "));
	agent_buf_init(&b, mem, sizeof(mem));
	snprintf(n[1].node.reason, sizeof(n[1].node.reason), "IDLEACC: \"q\"\\");
	agent_fleet_json(&b, n + 1, 1, "desktop", false);
	ck_assert_str_eq(mem, "[\n  {\"node\": \"d2\", \"state\": \"IDLE+DRAIN\", \"drain\": true, "
			      "\"owner\": \"present\", \"reason\": \"IDLEACC: \\\"q\\\"\\\\\", "
			      "\"since\": 1796133720, \"running\": 0, \"suspended\": 1, "
			      "\"features\": \"desktop\"}\n]\n");
	agent_buf_init(&b, mem, sizeof(mem));
	agent_fleet_json(&b, n + 2, 1, "desktop", false);
	ck_assert_str_eq(mem, "[]\n");
}
END_TEST

static Suite *fleet_suite(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("fleet");

	tcase_add_test(tc, owner_from_reason);
	tcase_add_test(tc, desktop_by_feature);
	tcase_add_test(tc, table_and_json);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(fleet_suite)
