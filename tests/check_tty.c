/* SPDX-License-Identifier: MIT */
/* check_tty.c - the tty source: tty atimes set with utimensat, utmp written by the test. */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmp.h>

#include "idle_int.h"
#include "testutil.h"

/* The source is opened at T0 and sampled at T0 + 60 s. */
#define T0  ((int64_t)1700000000000)
#define NOW (T0 + 60000)

static char root[64];
static struct idle_sources conf;
static void *st;

/* [rel] under the root. */
static const char *path(const char *rel)
{
	static char p[160];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return p;
}

static void mkdir_in(const char *rel)
{
	ck_assert_int_eq(mkdir(path(rel), 0755), 0);
}

static void setup(void)
{
	strcpy(root, "/tmp/check_tty.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	mkdir_in("dev");
	mkdir_in("run");
	memset(&conf, 0, sizeof(conf));
	conf.ntty_dirs = 1;
	strcpy(conf.tty_dirs[0], "/dev/pts");
	strcpy(conf.utmp_file, "/run/utmp");
	st = NULL;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown(void)
{
	if (st)
		idle_src_tty.close(st);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates the file [rel] under the root with its access time at [ms]. */
static void touch(const char *rel, int64_t ms)
{
	struct timespec ts[2];
	char p[160];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ts[0].tv_sec = ms / 1000;
	ts[0].tv_nsec = ms % 1000 * 1000000;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

/* Appends one utmp record. */
static void add_utmp(short type, int pid, const char *line, const char *host)
{
	struct utmp ut;
	char p[160];
	FILE *f;

	memset(&ut, 0, sizeof(ut));
	ut.ut_type = type;
	ut.ut_pid = pid;
	strncpy(ut.ut_line, line, sizeof(ut.ut_line));
	strncpy(ut.ut_user, "owner", sizeof(ut.ut_user));
	strncpy(ut.ut_host, host, sizeof(ut.ut_host));
	snprintf(p, sizeof(p), "%s/run/utmp", root);
	f = fopen(p, "ab");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(&ut, sizeof(ut), 1, f), 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void sample(struct idle_snapshot *snap)
{
	char err[IDLE_ERR_LEN] = "";

	if (!st) {
		ck_assert_int_eq(idle_src_tty.open(&st, &conf, root, T0, err, sizeof(err)), 0);
		ck_assert_str_eq(err, "");
	}
	memset(snap, 0, sizeof(*snap));
	idle_src_tty.sample(st, NOW, NULL, snap);
}

START_TEST(test_newest_wins)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	touch("dev/pts/0", T0 + 5000);
	touch("dev/pts/1", T0 + 9250);
	touch("dev/pts/2", T0 + 7000);
	/* The multiplexer and anything that is not a tty file are not terminals. */
	touch("dev/pts/ptmx", T0 + 50000);
	mkdir_in("dev/pts/sub");
	ck_assert_int_eq(symlinkat("ptmx", AT_FDCWD, path("dev/pts/9")), 0);
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_OK);
	ck_assert_str_eq(snap.error[IDLE_SRC_TTY], "");
	ck_assert_int_eq(snap.tty_last_ms, T0 + 9250);
	ck_assert_int_eq(snap.tty_remote_last_ms, 0);
	ck_assert_int_eq(snap.sessions_local, 0);
	ck_assert_int_eq(snap.sessions_remote, 0);

	/* Typing moves the atime; the next sample sees it. */
	touch("dev/pts/2", T0 + 30000);
	sample(&snap);
	ck_assert_int_eq(snap.tty_last_ms, T0 + 30000);
}
END_TEST

START_TEST(test_open_floor)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	touch("dev/pts/0", T0 - 3600 * 1000);
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_OK);
	ck_assert_int_eq(snap.tty_last_ms, T0);
}
END_TEST

START_TEST(test_empty_dir)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_OK);
	ck_assert_int_eq(snap.tty_last_ms, T0);
	ck_assert_int_eq(snap.tty_remote_last_ms, 0);
}
END_TEST

START_TEST(test_future_clamped)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	touch("dev/pts/0", NOW + 3600 * 1000);
	sample(&snap);
	ck_assert_int_eq(snap.tty_last_ms, NOW);
}
END_TEST

START_TEST(test_remote)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	touch("dev/pts/1", T0 + 30000);
	touch("dev/pts/2", T0 + 10000);
	touch("dev/pts/3", T0 + 20000);
	touch("dev/pts/4", T0 + 15000);
	add_utmp(LOGIN_PROCESS, 90, "tty1", "");
	add_utmp(USER_PROCESS, 101, "pts/1", "10.0.0.5");
	add_utmp(USER_PROCESS, 102, "pts/2", ":0");
	add_utmp(USER_PROCESS, 103, "pts/3", "");
	add_utmp(USER_PROCESS, 104, ":1", ":1.0");
	add_utmp(DEAD_PROCESS, 105, "pts/4", "10.0.0.6");
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_OK);
	/* pts/4 is in no live entry: unclassified ttys are local. */
	ck_assert_int_eq(snap.tty_last_ms, T0 + 20000);
	ck_assert_int_eq(snap.tty_remote_last_ms, T0 + 30000);
	ck_assert_int_eq(snap.sessions_local, 3);
	ck_assert_int_eq(snap.sessions_remote, 1);
}
END_TEST

START_TEST(test_remote_floor_and_forwarding)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	touch("dev/pts/1", T0 - 5000);
	touch("dev/pts/2", T0 + 4000);
	/* X forwarded over ssh names a display on another host: remote. Some writers put the
	 * full path in ut_line. */
	add_utmp(USER_PROCESS, 101, "/dev/pts/1", "localhost:10.0");
	add_utmp(USER_PROCESS, 102, "pts/2", "");
	sample(&snap);
	ck_assert_int_eq(snap.tty_remote_last_ms, T0);
	ck_assert_int_eq(snap.tty_last_ms, T0 + 4000);
	ck_assert_int_eq(snap.sessions_remote, 1);
	ck_assert_int_eq(snap.sessions_local, 1);
}
END_TEST

START_TEST(test_local_wins)
{
	struct idle_snapshot snap;

	/* A local login shares pts/1 with a remote one: the doubt goes to the owner. */
	mkdir_in("dev/pts");
	touch("dev/pts/1", T0 + 30000);
	add_utmp(USER_PROCESS, 101, "pts/1", "10.0.0.5");
	add_utmp(USER_PROCESS, 102, "pts/1", "");
	sample(&snap);
	ck_assert_int_eq(snap.tty_last_ms, T0 + 30000);
	ck_assert_int_eq(snap.tty_remote_last_ms, 0);
}
END_TEST

START_TEST(test_stale_entries)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	mkdir_in("proc");
	mkdir_in("proc/101");
	touch("dev/pts/1", T0 + 30000);
	touch("dev/pts/2", T0 + 40000);
	add_utmp(USER_PROCESS, 101, "pts/1", "10.0.0.5");
	/* Left behind by a crashed sshd: pid 102 is gone, pts/2 now belongs to the owner. */
	add_utmp(USER_PROCESS, 102, "pts/2", "10.0.0.7");
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_OK);
	ck_assert_int_eq(snap.sessions_remote, 1);
	ck_assert_int_eq(snap.sessions_local, 0);
	ck_assert_int_eq(snap.tty_remote_last_ms, T0 + 30000);
	ck_assert_int_eq(snap.tty_last_ms, T0 + 40000);
}
END_TEST

START_TEST(test_missing_dir)
{
	struct idle_snapshot snap;

	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_TTY], "");
}
END_TEST

START_TEST(test_some_dirs_missing)
{
	struct idle_snapshot snap;

	conf.ntty_dirs = 2;
	strcpy(conf.tty_dirs[0], "/dev/ttys");
	strcpy(conf.tty_dirs[1], "/dev/pts");
	mkdir_in("dev/pts");
	touch("dev/pts/7", T0 + 7000);
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_OK);
	ck_assert_int_eq(snap.tty_last_ms, T0 + 7000);
}
END_TEST

START_TEST(test_two_dirs)
{
	struct idle_snapshot snap;

	conf.ntty_dirs = 2;
	strcpy(conf.tty_dirs[1], "/dev/vc");
	mkdir_in("dev/pts");
	mkdir_in("dev/vc");
	touch("dev/pts/0", T0 + 7000);
	touch("dev/vc/1", T0 + 8000);
	touch("dev/vc/2", T0 + 9000);
	add_utmp(USER_PROCESS, 101, "vc/2", "192.0.2.1");
	sample(&snap);
	ck_assert_int_eq(snap.tty_last_ms, T0 + 8000);
	ck_assert_int_eq(snap.tty_remote_last_ms, T0 + 9000);
}
END_TEST

START_TEST(test_dir_unreadable)
{
	struct idle_snapshot snap;

	touch("dev/pts", T0);
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_TTY], "cannot read /dev/pts: Not a directory");
}
END_TEST

START_TEST(test_utmp_unreadable)
{
	struct idle_snapshot snap;

	mkdir_in("dev/pts");
	mkdir_in("run/utmp");
	sample(&snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_TTY], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_TTY], "cannot read /run/utmp: Is a directory");
}
END_TEST

/* A touched tty wakes a poll() on fds() at once, and input() reports it, then drains. */
START_TEST(test_inotify_wakes)
{
	struct idle_snapshot snap;
	struct pollfd pfd;
	int fd = -1;

	mkdir_in("dev/pts");
	touch("dev/pts/1", NOW - 60000);
	sample(&snap);
	ck_assert_int_eq(idle_src_tty.fds(st, &fd, 1), 1);
	ck_assert_int_eq(idle_src_tty.input(st), 0);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	touch("dev/pts/1", NOW - 1000);
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(idle_src_tty.input(st), 1);
	ck_assert_int_eq(idle_src_tty.input(st), 0);
	sample(&snap);
	ck_assert_int_eq(snap.tty_last_ms, NOW - 1000);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("tty");
	TCase *tc;

#define TC(name, ...)                                                                              \
	do {                                                                                       \
		tc = tcase_create(name);                                                           \
		tcase_add_checked_fixture(tc, setup, teardown);                                    \
		__VA_ARGS__;                                                                       \
		suite_add_tcase(s, tc);                                                            \
	} while (0)
	TC("atimes", tcase_add_test(tc, test_newest_wins); tcase_add_test(tc, test_open_floor);
	   tcase_add_test(tc, test_empty_dir); tcase_add_test(tc, test_future_clamped));
	TC("utmp", tcase_add_test(tc, test_remote);
	   tcase_add_test(tc, test_remote_floor_and_forwarding);
	   tcase_add_test(tc, test_local_wins); tcase_add_test(tc, test_stale_entries));
	TC("directories", tcase_add_test(tc, test_missing_dir);
	   tcase_add_test(tc, test_some_dirs_missing); tcase_add_test(tc, test_two_dirs));
	TC("inotify", tcase_add_test(tc, test_inotify_wakes));
	TC("failures", tcase_add_test(tc, test_dir_unreadable);
	   tcase_add_test(tc, test_utmp_unreadable));
#undef TC
	return s;
}

TEST_MAIN(make_suite)
