/* SPDX-License-Identifier: MIT */
/*
 * check_logind.c - the logind source against fake_logind on a private dbus-daemon, both
 * started by each test in a mkdtemp() directory (testbus.h); the system bus is never used.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "idle_int.h"
#include "testbus.h"
#include "testutil.h"

/* Open time and sample time of the source; all hints are relative to them. */
#define T_OPEN 1700000000000LL
#define T_NOW  (T_OPEN + 3600 * 1000LL)
/* T_OPEN + ms as an IdleSinceHint, in microseconds. */
#define SINCE_US(ms) ((long long)(T_OPEN + (ms)) * 1000LL)

static void *src_open_at(const char *address, const char *root)
{
	struct idle_sources conf;
	char err[IDLE_ERR_LEN] = "";
	void *st = NULL;

	memset(&conf, 0, sizeof(conf));
	conf.enabled[IDLE_SRC_LOGIND] = true;
	snprintf(conf.logind_bus, sizeof(conf.logind_bus), "%s", address);
	ck_assert_int_eq(idle_src_logind.open(&st, &conf, root, T_OPEN, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(st);
	return st;
}

static void *src_open(void)
{
	return src_open_at(env.address, NULL);
}

/* One sample, prepared the way idle_sample() prepares it. */
static void sample(void *st, int64_t now_ms, struct idle_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->logind_locked = -1;
	idle_src_logind.sample(st, now_ms, NULL, snap);
}

/* Samples [sessions] once at T_NOW and requires the reading to be valid. */
static void sample_ok(void *st, const char *sessions, struct idle_snapshot *snap)
{
	write_file(env.sessions, sessions);
	sample(st, T_NOW, snap);
	ck_assert_msg(snap->status[IDLE_SRC_LOGIND] == IDLE_ST_OK, "status %s: %s",
		      idle_status_name(snap->status[IDLE_SRC_LOGIND]),
		      snap->error[IDLE_SRC_LOGIND]);
}

static void sample_unknown(void *st, const char *sessions, const char *message)
{
	struct idle_snapshot snap;

	write_file(env.sessions, sessions);
	sample(st, T_NOW, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_LOGIND], message);
}

/* ---------------------------------------------------------------- no logind */

START_TEST(test_no_bus)
{
	struct idle_snapshot snap;
	void *st;

	env_init();
	st = src_open();
	sample(st, T_NOW, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_LOGIND], "");
	idle_src_logind.close(st);
}
END_TEST

START_TEST(test_no_login1)
{
	struct idle_snapshot snap;
	void *st;

	env_init();
	bus_start();
	st = src_open();
	sample(st, T_NOW, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_NONE);
	/* logind starting later is found on the same bus. */
	fake_start();
	sample_ok(st, "c1 seat=seat0\n", &snap);
	ck_assert_int_eq(snap.logind_sessions, 1);
	idle_src_logind.close(st);
}
END_TEST

/* With a fixture root and no address, the bus socket is looked for under the root, never on
 * the real system bus. */
START_TEST(test_root_prefix)
{
	struct idle_snapshot snap;
	char dir[96];
	void *st;

	env_init();
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/run/dbus", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	st = src_open_at("", tmpdir);
	sample(st, T_NOW, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_NONE);

	snprintf(env.socket, sizeof(env.socket), "%s/system_bus_socket", dir);
	snprintf(env.address, sizeof(env.address), "unix:path=%s", env.socket);
	write_bus_conf();
	write_file(env.sessions, "c1 seat=seat0 idle=0\n");
	bus_start();
	fake_start();
	sample(st, T_NOW, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_OK);
	ck_assert_int_eq(snap.logind_sessions, 1);
	idle_src_logind.close(st);
}
END_TEST

/* ---------------------------------------------------------------- activity */

START_TEST(test_local_idle)
{
	struct idle_snapshot snap;
	char text[256];
	void *st;

	env_start("");
	st = src_open();
	snprintf(text, sizeof(text), "c1 seat=seat0 type=x11 idle=1 idle_since_us=%lld\n",
		 SINCE_US(600000));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 600000);
	ck_assert_int_eq(snap.logind_remote_last_ms, 0);
	ck_assert_int_eq(snap.logind_sessions, 1);

	/* The newest of two local sessions. */
	snprintf(text, sizeof(text),
		 "c1 seat=seat0 type=x11 idle=1 idle_since_us=%lld\n"
		 "c2 seat=seat1 type=wayland idle=1 idle_since_us=%lld\n",
		 SINCE_US(600000), SINCE_US(900000));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 900000);
	ck_assert_int_eq(snap.logind_sessions, 2);
	idle_src_logind.close(st);
}
END_TEST

START_TEST(test_local_busy)
{
	struct idle_snapshot snap;
	char text[256];
	void *st;

	env_start("");
	st = src_open();
	snprintf(text, sizeof(text),
		 "c1 seat=seat0 type=x11 idle=1 idle_since_us=%lld\n"
		 "c2 seat=seat0 type=tty idle=0\n",
		 SINCE_US(600000));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_NOW);
	ck_assert_int_eq(snap.logind_sessions, 2);
	idle_src_logind.close(st);
}
END_TEST

START_TEST(test_time_bounds)
{
	struct idle_snapshot snap;
	char text[256];
	void *st;

	env_start("");
	st = src_open();
	/* IdleSinceHint 0: idle since before we know, so since the source opened. */
	sample_ok(st, "c1 seat=seat0 idle=1 idle_since_us=0\n", &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN);
	/* Older than the source: no history before it. */
	snprintf(text, sizeof(text), "c1 seat=seat0 idle=1 idle_since_us=%lld\n",
		 SINCE_US(-86400000LL));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN);
	/* In the future (a clock step): now. */
	snprintf(text, sizeof(text), "c1 seat=seat0 idle=1 idle_since_us=%lld\n",
		 SINCE_US(7200000LL));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_NOW);
	idle_src_logind.close(st);
}
END_TEST

/* After the last local session ends, its last activity stays the last sign of the owner. */
START_TEST(test_logout)
{
	struct idle_snapshot snap;
	void *st;

	env_start("");
	st = src_open();
	sample_ok(st, "", &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN);
	ck_assert_int_eq(snap.logind_sessions, 0);
	ck_assert_int_eq(snap.logind_locked, -1);

	write_file(env.sessions, "c1 seat=seat0 idle=0\n");
	sample(st, T_OPEN + 60000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_OK);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 60000);

	sample_ok(st, "", &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 60000);
	ck_assert_int_eq(snap.logind_sessions, 0);
	idle_src_logind.close(st);
}
END_TEST

/* ---------------------------------------------------------------- remote and classes */

START_TEST(test_remote)
{
	struct idle_snapshot snap;
	char text[512];
	void *st;

	env_start("");
	st = src_open();
	snprintf(text, sizeof(text),
		 "c1 seat=seat0 type=x11 idle=1 idle_since_us=%lld\n"
		 "c2 remote=1 type=tty idle=0\n",
		 SINCE_US(600000));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 600000);
	ck_assert_int_eq(snap.logind_remote_last_ms, T_NOW);
	ck_assert_int_eq(snap.logind_sessions, 1);

	/* Remote and idle; a seatless local session (cron, su) counts nowhere. */
	snprintf(text, sizeof(text),
		 "c1 seat=seat0 type=x11 idle=1 idle_since_us=%lld\n"
		 "c2 remote=1 type=tty idle=1 idle_since_us=%lld\n"
		 "c3 type=unspecified idle=0\n",
		 SINCE_US(600000), SINCE_US(1200000));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 600000);
	ck_assert_int_eq(snap.logind_remote_last_ms, T_OPEN + 1200000);
	ck_assert_int_eq(snap.logind_sessions, 1);

	/* A remote session that has a seat is still remote. */
	snprintf(text, sizeof(text),
		 "c1 seat=seat0 type=x11 idle=1 idle_since_us=%lld\n"
		 "c2 remote=1 seat=seat0 type=x11 idle=0 locked=0\n",
		 SINCE_US(600000));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 600000);
	ck_assert_int_eq(snap.logind_remote_last_ms, T_NOW);
	ck_assert_int_eq(snap.logind_sessions, 1);
	idle_src_logind.close(st);
}
END_TEST

START_TEST(test_classes)
{
	struct idle_snapshot snap;
	char text[512];
	void *st;

	env_start("");
	st = src_open();
	snprintf(text, sizeof(text),
		 "c1 seat=seat0 type=x11 idle=1 idle_since_us=%lld\n"
		 "c2 seat=seat0 class=greeter type=x11 idle=0\n"
		 "c3 seat=seat0 class=lock-screen type=wayland idle=0\n"
		 "c4 seat=seat0 class=background idle=0\n"
		 "c5 class=manager idle=0\n",
		 SINCE_US(600000));
	sample_ok(st, text, &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN + 600000);
	ck_assert_int_eq(snap.logind_sessions, 1);

	/* Only a greeter: nobody logged in at the desk. */
	sample_ok(st, "c2 seat=seat0 class=greeter type=x11 idle=0\n", &snap);
	ck_assert_int_eq(snap.logind_sessions, 0);
	ck_assert_int_eq(snap.logind_locked, -1);
	idle_src_logind.close(st);
}
END_TEST

/* ---------------------------------------------------------------- locked */

START_TEST(test_locked)
{
	struct idle_snapshot snap;
	void *st;

	env_start("");
	st = src_open();
	sample_ok(st,
		  "c1 seat=seat0 type=x11 locked=1 idle=1\n"
		  "c2 seat=seat1 type=wayland locked=1 idle=1\n",
		  &snap);
	ck_assert_int_eq(snap.logind_locked, 1);

	sample_ok(st,
		  "c1 seat=seat0 type=x11 locked=1 idle=1\n"
		  "c2 seat=seat1 type=wayland locked=0 idle=1\n",
		  &snap);
	ck_assert_int_eq(snap.logind_locked, 0);

	/* Text consoles cannot lock: they neither lock nor unlock the seat. */
	sample_ok(st,
		  "c1 seat=seat0 type=mir locked=1 idle=1\n"
		  "c2 seat=seat0 type=tty locked=0 idle=1\n",
		  &snap);
	ck_assert_int_eq(snap.logind_locked, 1);

	sample_ok(st, "c2 seat=seat0 type=tty locked=0 idle=1\n", &snap);
	ck_assert_int_eq(snap.logind_locked, -1);

	/* Remote and greeter sessions are not the desk's. */
	sample_ok(st,
		  "c1 seat=seat0 type=x11 locked=1 idle=1\n"
		  "c2 remote=1 type=x11 locked=0 idle=1\n"
		  "c3 seat=seat0 class=greeter type=x11 locked=0 idle=1\n",
		  &snap);
	ck_assert_int_eq(snap.logind_locked, 1);
	idle_src_logind.close(st);
}
END_TEST

/* ---------------------------------------------------------------- errors */

START_TEST(test_logind_error)
{
	struct idle_snapshot snap;
	void *st;

	env_start("");
	st = src_open();
	sample_unknown(st, "fail=org.freedesktop.DBus.Error.AccessDenied Access denied by test\n",
		       "ListSessions: Access denied by test");
	sample_unknown(st, "fail=org.freedesktop.login1.Broken\n",
		       "ListSessions: org.freedesktop.login1.Broken");
	sample_unknown(st, "badlist=1\n",
		       "ListSessions: malformed reply (No such device or address)");
	/* The next good answer is read again. */
	sample_ok(st, "c1 seat=seat0 idle=0\n", &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_NOW);
	idle_src_logind.close(st);
}
END_TEST

/* A session that ended between ListSessions and reading it is skipped, not an error. */
START_TEST(test_session_gone)
{
	struct idle_snapshot snap;
	void *st;

	env_start("");
	st = src_open();
	sample_ok(st,
		  "c1 seat=seat0 idle=0 gone=1\n"
		  "c2 seat=seat0 idle=1 idle_since_us=0\n",
		  &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN);
	ck_assert_int_eq(snap.logind_sessions, 1);
	idle_src_logind.close(st);
}
END_TEST

START_TEST(test_too_many)
{
	static char text[300 * 24];
	size_t off = 0;
	void *st;
	int i;

	env_start("");
	st = src_open();
	for (i = 0; i < 257; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "c%d remote=1\n", i);
	sample_unknown(st, text, "ListSessions: more than 256 sessions");
	idle_src_logind.close(st);
}
END_TEST

/* A logind that never answers costs one call timeout, then the sample returns. */
START_TEST(test_hang)
{
	struct idle_snapshot snap;
	void *st;

	env_start("");
	st = src_open();
	sample_unknown(st, "hang=1\nc1 seat=seat0\n", "ListSessions: Connection timed out");
	sample_ok(st, "c1 seat=seat0 idle=0\n", &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_NOW);
	idle_src_logind.close(st);
}
END_TEST

/* ---------------------------------------------------------------- reconnect */

START_TEST(test_bus_restart)
{
	struct idle_snapshot snap;
	void *st;

	env_start("");
	st = src_open();
	sample_ok(st, "c1 seat=seat0 idle=0\n", &snap);

	/* The kept connection breaks; the same sample connects again. */
	stop(&env.fake_pid);
	stop(&env.bus_pid);
	bus_start();
	fake_start();
	sample_ok(st, "c1 seat=seat0 idle=1 idle_since_us=0\n", &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_OPEN);

	/* The bus is down: nothing to watch; back up: read again. */
	stop(&env.fake_pid);
	stop(&env.bus_pid);
	sample(st, T_NOW, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_NONE);
	bus_start();
	fake_start();
	sample_ok(st, "c1 seat=seat0 idle=0\n", &snap);
	ck_assert_int_eq(snap.logind_last_ms, T_NOW);
	idle_src_logind.close(st);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("logind");
	TCase *tc;

	tc = tcase_create("no_logind");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_no_bus);
	tcase_add_test(tc, test_no_login1);
	tcase_add_test(tc, test_root_prefix);
	suite_add_tcase(s, tc);
	tc = tcase_create("activity");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_local_idle);
	tcase_add_test(tc, test_local_busy);
	tcase_add_test(tc, test_time_bounds);
	tcase_add_test(tc, test_logout);
	suite_add_tcase(s, tc);
	tc = tcase_create("remote_and_classes");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_remote);
	tcase_add_test(tc, test_classes);
	suite_add_tcase(s, tc);
	tc = tcase_create("locked");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_locked);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_logind_error);
	tcase_add_test(tc, test_session_gone);
	tcase_add_test(tc, test_too_many);
	tcase_add_test(tc, test_hang);
	suite_add_tcase(s, tc);
	tc = tcase_create("reconnect");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_bus_restart);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
