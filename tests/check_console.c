/* SPDX-License-Identifier: MIT */
/*
 * check_console.c - who is the person at the console (nodeagent/console.c): seat0's active
 * session from fake_logind on a private dbus-daemon (testbus.h), and, where no logind runs,
 * the live local entries of the utmp fixtures under tests/data/console-* / run/utmp.
 *
 * The fixtures were written with `utmpdump -r`; `utmpdump tests/data/console-x11/run/utmp`
 * shows them. Their users are the system accounts every Debian has (daemon, bin, sys), and
 * each tree's proc/ holds the processes that are alive in it.
 */
#include "config.h"

#include <pwd.h>
#include <string.h>

#include "console.h"
#include "testbus.h"
#include "testutil.h"

static uid_t uid_of(const char *name)
{
	struct passwd *pw = getpwnam(name);

	ck_assert_msg(pw != NULL, "no user %s on this machine", name);
	return pw->pw_uid;
}

/* Asks the rule with logind at [bus] ("" = the system bus under [tree]) and utmp in the
 * fixture [tree]; requires the answer [want] and the reason [why]. */
static void expect(bool want, const char *bus, const char *tree, uid_t uid, const char *why)
{
	struct idle_sources src;
	char got[256] = "";
	bool res;

	memset(&src, 0, sizeof(src));
	snprintf(src.logind_bus, sizeof(src.logind_bus), "%s", bus);
	snprintf(src.utmp_file, sizeof(src.utmp_file), "/run/utmp");
	res = agent_console_user(&src, test_data(tree), uid, got, sizeof(got));
	ck_assert_msg(res == want, "uid %u %s (%s)", (unsigned)uid, res ? "allowed" : "refused",
		      got);
	ck_assert_str_eq(got, why);
}

#define allowed(bus, tree, uid, why) expect(true, bus, tree, uid, why)
#define refused(bus, tree, uid, why) expect(false, bus, tree, uid, why)

/* No bus under the fixture root: logind is absent, utmp decides. */
#define NO_LOGIND ""

/* ---------------------------------------------------------------- a local X user (":0") */

START_TEST(test_x11_logind)
{
	char s[256];

	snprintf(s, sizeof(s), "c1 uid=%u user=daemon seat=seat0 type=x11\n", uid_of("daemon"));
	env_start(s);
	allowed(env.address, "console-nologin", uid_of("daemon"),
		"logind: session c1 (x11) is the active session on seat0");
	refused(env.address, "console-nologin", uid_of("bin"),
		"logind: the active session on seat0 is c1, of uid 1");
}
END_TEST

/* utmp lists an X login with the display as its host: that host is this machine. */
START_TEST(test_x11_utmp)
{
	allowed(NO_LOGIND, "console-x11", uid_of("daemon"),
		"utmp (no logind): daemon is logged in on :0 (pid 4001)");
	allowed(NO_LOGIND, "console-x11", uid_of("sys"),
		"utmp (no logind): sys is logged in on tty2 (pid 4005)");
	refused(NO_LOGIND, "console-x11", uid_of("bin"),
		"utmp (no logind): no live local login of uid 2");
}
END_TEST

/* ---------------------------------------------------------------- a Wayland session */

/* Wayland sessions write no utmp entry: only logind knows them. */
START_TEST(test_wayland_logind)
{
	char s[256];

	snprintf(s, sizeof(s), "3 uid=%u user=daemon seat=seat0 type=wayland\n", uid_of("daemon"));
	env_start(s);
	allowed(env.address, "console-nologin", uid_of("daemon"),
		"logind: session 3 (wayland) is the active session on seat0");
}
END_TEST

/* ---------------------------------------------------------------- an ssh user */

START_TEST(test_ssh_logind)
{
	char s[256];

	/* Someone else at the desk. */
	snprintf(s, sizeof(s),
		 "c1 uid=%u user=daemon seat=seat0 type=wayland\n"
		 "5 uid=%u user=bin remote=1 type=tty\n",
		 uid_of("daemon"), uid_of("bin"));
	env_start(s);
	refused(env.address, "console-ssh", uid_of("bin"),
		"logind: the active session on seat0 is c1, of uid 1");
	env_stop();

	/* Nobody at the desk: an ssh session has no seat, so it is never seat0's. */
	snprintf(s, sizeof(s), "5 uid=%u user=bin remote=1 type=tty\n", uid_of("bin"));
	env_start(s);
	refused(env.address, "console-ssh", uid_of("bin"), "logind: no session is active on seat0");
}
END_TEST

/* A remote session that logind put on seat0 (XDMCP, a remote desktop) is still remote. */
START_TEST(test_remote_on_seat0)
{
	char s[256];

	snprintf(s, sizeof(s), "c7 uid=%u user=bin seat=seat0 remote=1 type=x11\n", uid_of("bin"));
	env_start(s);
	refused(env.address, "console-nologin", uid_of("bin"),
		"logind: the active session on seat0 is c7, a remote one");
}
END_TEST

/* ssh and X forwarding ("localhost:10.0") entries are remote. */
START_TEST(test_ssh_utmp)
{
	refused(NO_LOGIND, "console-ssh", uid_of("bin"),
		"utmp (no logind): no live local login of uid 2");
}
END_TEST

/* ---------------------------------------------------------------- a stale entry */

/* A crashed session's entry: its process is gone, so it grants nothing. */
START_TEST(test_stale_utmp)
{
	refused(NO_LOGIND, "console-stale", uid_of("daemon"),
		"utmp (no logind): no live local login of uid 1");
}
END_TEST

/* Where logind runs, utmp is not asked: a live local entry grants nothing by itself. */
START_TEST(test_logind_over_utmp)
{
	char s[256];

	snprintf(s, sizeof(s), "c2 uid=%u user=bin seat=seat0 type=x11\n", uid_of("bin"));
	env_start(s);
	refused(env.address, "console-x11", uid_of("daemon"),
		"logind: the active session on seat0 is c2, of uid 2");
}
END_TEST

/* ---------------------------------------------------------------- root */

START_TEST(test_root)
{
	char s[256];

	refused(NO_LOGIND, "console-nologin", uid_of("daemon"),
		"utmp (no logind): no live local login of uid 1");
	allowed(NO_LOGIND, "console-nologin", 0, "root");
	snprintf(s, sizeof(s), "c1 uid=%u user=daemon seat=seat0 type=x11\n", uid_of("daemon"));
	env_start(s);
	allowed(env.address, "console-nologin", 0, "root");
}
END_TEST

/* ---------------------------------------------------------------- seat0's other states */

/* After a switch of users both are logged in on seat0; only the one on screen counts. */
START_TEST(test_user_switch)
{
	char s[256];

	snprintf(s, sizeof(s),
		 "c1 uid=%u user=daemon seat=seat0 type=x11 active=0\n"
		 "c2 uid=%u user=bin seat=seat0 type=wayland active=1\n",
		 uid_of("daemon"), uid_of("bin"));
	env_start(s);
	refused(env.address, "console-nologin", uid_of("daemon"),
		"logind: the active session on seat0 is c2, of uid 2");
	allowed(env.address, "console-nologin", uid_of("bin"),
		"logind: session c2 (wayland) is the active session on seat0");
}
END_TEST

/* The login screen is a session of the display manager's user, not of a person. */
START_TEST(test_greeter)
{
	char s[256];

	snprintf(s, sizeof(s), "c1 uid=%u user=daemon seat=seat0 class=greeter type=wayland\n",
		 uid_of("daemon"));
	env_start(s);
	refused(env.address, "console-nologin", uid_of("daemon"),
		"logind: the active session on seat0 is c1, of class greeter");
}
END_TEST

/* A bus without logind on it is no logind: utmp decides. */
START_TEST(test_bus_without_logind)
{
	env_init();
	bus_start();
	allowed(env.address, "console-x11", uid_of("daemon"),
		"utmp (no logind): daemon is logged in on :0 (pid 4001)");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc;

#define TC(name, tests)                                                                            \
	tc = tcase_create(name);                                                                   \
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);                                  \
	tests;                                                                                     \
	suite_add_tcase(s, tc)

	TC("x11_local", tcase_add_test(tc, test_x11_logind); tcase_add_test(tc, test_x11_utmp));
	TC("wayland", tcase_add_test(tc, test_wayland_logind));
	TC("ssh", tcase_add_test(tc, test_ssh_logind); tcase_add_test(tc, test_remote_on_seat0);
	   tcase_add_test(tc, test_ssh_utmp));
	TC("stale", tcase_add_test(tc, test_stale_utmp); tcase_add_test(tc, test_logind_over_utmp));
	TC("root", tcase_add_test(tc, test_root));
	TC("seat0", tcase_add_test(tc, test_user_switch); tcase_add_test(tc, test_greeter);
	   tcase_add_test(tc, test_bus_without_logind));
	return s;
}

TEST_MAIN(make_suite)
