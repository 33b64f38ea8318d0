/* SPDX-License-Identifier: MIT */
/* check_evdev.c - the evdev source, fed struct input_event records through FIFOs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idle_int.h"
#include "testutil.h"

/*
 * Every test opens the source at T0, an hour before the real clock, so input() (which clamps
 * event times to the real clock) and sample() (which clamps to the now it is given) both leave
 * the event times the tests write untouched.
 */
static int64_t t0;
static char root[64];
static char dir[128];
static struct idle_sources conf;
static void *st;

static void setup(void)
{
	t0 = (idle_now_ms() - 3600 * 1000) / 1000 * 1000;
	strcpy(root, "/tmp/check_evdev.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/dev/input", root);
	memset(&conf, 0, sizeof(conf));
	strcpy(conf.evdev_dir, "/dev/input");
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
		idle_src_evdev.close(st);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_dir(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/dev", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
}

/* Creates the FIFO [name] in the input directory and returns its write end. */
static int make_fifo(const char *name)
{
	char p[160];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	/* O_RDWR never blocks on a FIFO and keeps it from reading as end of file. */
	fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Sets the input directory's mtime to [ms], so tests choose what a rescan sees. */
static void set_dir_mtime(int64_t ms)
{
	struct timespec ts[2];

	ts[0].tv_sec = ms / 1000;
	ts[0].tv_nsec = ms % 1000 * 1000000;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, dir, ts, 0), 0);
}

static void open_source(void)
{
	char err[IDLE_ERR_LEN] = "";

	ck_assert_int_eq(idle_src_evdev.open(&st, &conf, root, t0, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
}

static void sample(int64_t now, struct idle_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	idle_src_evdev.sample(st, now, NULL, snap);
}

/* Writes one event at [ms] after the epoch. */
static void send(int fd, int64_t ms, unsigned short type, unsigned short code, int value)
{
	struct input_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.input_event_sec = ms / 1000;
	ev.input_event_usec = ms % 1000 * 1000;
	ev.type = type;
	ev.code = code;
	ev.value = value;
	ck_assert_int_eq(write(fd, &ev, sizeof(ev)), sizeof(ev));
}

/* A key press as the kernel reports it: the key, then the end of the packet. */
static void send_key(int fd, int64_t ms)
{
	send(fd, ms, EV_KEY, KEY_A, 1);
	send(fd, ms, EV_SYN, SYN_REPORT, 0);
}

START_TEST(test_no_directory)
{
	struct idle_snapshot snap;

	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_NONE);
	ck_assert_int_eq(snap.evdev_devices, 0);
	ck_assert_str_eq(snap.error[IDLE_SRC_EVDEV], "");
}
END_TEST

START_TEST(test_no_event_devices)
{
	struct idle_snapshot snap;
	char p[160];
	int fd;

	make_dir();
	/* Legacy mouse nodes and udev's link directories are not event devices. */
	fd = make_fifo("mice");
	snprintf(p, sizeof(p), "%s/by-id", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_NONE);
	ck_assert_int_eq(snap.evdev_devices, 0);
	close(fd);
}
END_TEST

START_TEST(test_key_time)
{
	struct idle_snapshot snap;
	int fd;

	make_dir();
	fd = make_fifo("event0");
	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_devices, 1);
	/* No input yet: counted from the open, never from the epoch. */
	ck_assert_int_eq(snap.evdev_last_ms, t0);

	send_key(fd, t0 + 5250);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 5250);

	/* Motion and touch count like keys; the newest wins, an older one does not go back. */
	send(fd, t0 + 7125, EV_REL, REL_X, 40);
	send(fd, t0 + 6000, EV_ABS, ABS_X, 300);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 7125);
	send(fd, t0 + 8500, EV_ABS, ABS_X, 310);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 8500);
	close(fd);
}
END_TEST

START_TEST(test_not_input)
{
	struct idle_snapshot snap;
	int fd;

	make_dir();
	fd = make_fifo("event0");
	open_source();
	send(fd, t0 + 5000, EV_MSC, MSC_SCAN, 30);
	send(fd, t0 + 5000, EV_SYN, SYN_REPORT, 0);
	send(fd, t0 + 6000, EV_LED, LED_CAPSL, 1);
	send(fd, t0 + 6000, EV_REP, REP_DELAY, 250);
	send(fd, t0 + 6000, EV_SW, SW_LID, 1);
	ck_assert_int_eq(idle_src_evdev.input(st), 0);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_last_ms, t0);
	close(fd);
}
END_TEST

START_TEST(test_future_clamped)
{
	struct idle_snapshot snap;
	int64_t before, after;
	int fd;

	make_dir();
	fd = make_fifo("event0");
	open_source();
	send_key(fd, t0 + 7200 * 1000);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 10000);

	/* input() has no now: it clamps to the real clock when it reads. */
	send_key(fd, t0 + 7200 * 1000);
	before = idle_now_ms();
	ck_assert_int_eq(idle_src_evdev.input(st), 1);
	after = idle_now_ms();
	sample(t0 + 9000 * 1000, &snap);
	ck_assert_int_ge(snap.evdev_last_ms, before);
	ck_assert_int_le(snap.evdev_last_ms, after);
	close(fd);
}
END_TEST

/* Writes a key press whose time is [sec] seconds after the epoch, any number a device may put. */
static void send_key_at_sec(int fd, int64_t sec)
{
	struct input_event ev[2];

	memset(ev, 0, sizeof(ev));
	ev[0].input_event_sec = sec;
	ev[0].type = EV_KEY;
	ev[0].code = KEY_A;
	ev[0].value = 1;
	ev[1].input_event_sec = sec;
	ev[1].type = EV_SYN;
	ev[1].code = SYN_REPORT;
	ck_assert_int_eq(write(fd, ev, sizeof(ev)), sizeof(ev));
}

/* Found by tests/fuzz/fuzz_evdev: seconds * 1000 overflowed (UBSan), and wrapped. */
START_TEST(test_time_overflow)
{
	struct idle_snapshot snap;
	int fd;

	make_dir();
	fd = make_fifo("event0");
	open_source();
	/* Far in the future: wrapped to a time before the epoch, the key was not counted. */
	send_key_at_sec(fd, INT64_MAX / 1000 + 1);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 10000);
	/* Far before the epoch: wrapped to the far future, it counted as input now. */
	send_key_at_sec(fd, INT64_MIN / 1000 - 1);
	sample(t0 + 20000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 10000);
	close(fd);
}
END_TEST

START_TEST(test_partial_record)
{
	struct idle_snapshot snap;
	struct input_event ev;
	size_t half = sizeof(ev) / 2;
	int fd;

	make_dir();
	fd = make_fifo("event0");
	open_source();
	memset(&ev, 0, sizeof(ev));
	ev.input_event_sec = (t0 + 4000) / 1000;
	ev.input_event_usec = 375000;
	ev.type = EV_KEY;
	ev.code = KEY_B;
	ev.value = 1;
	ck_assert_int_eq(write(fd, &ev, half), half);
	ck_assert_int_eq(idle_src_evdev.input(st), 0);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0);
	ck_assert_int_eq(write(fd, (char *)&ev + half, sizeof(ev) - half), sizeof(ev) - half);
	ck_assert_int_eq(idle_src_evdev.input(st), 1);
	sample(t0 + 10000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 4375);
	close(fd);
}
END_TEST

START_TEST(test_poll)
{
	struct pollfd pfd;
	int fd, fds[4];

	make_dir();
	fd = make_fifo("event0");
	open_source();
	ck_assert_int_eq(idle_src_evdev.fds(st, fds, 4), 1);
	ck_assert_int_eq(idle_src_evdev.fds(st, fds, 0), 0);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	send_key(fd, t0 + 3000);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	ck_assert(pfd.revents & POLLIN);
	ck_assert_int_eq(idle_src_evdev.input(st), 1);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	ck_assert_int_eq(idle_src_evdev.input(st), 0);
	close(fd);
}
END_TEST

/* The same through the public sampler: the wiring of sampler.c. */
START_TEST(test_public_api)
{
	struct idle_snapshot snap;
	struct idle_sources src;
	struct idle_ctx *ctx;
	char err[IDLE_ERR_LEN] = "";
	int64_t t;
	int fd, fds[4];

	make_dir();
	fd = make_fifo("event0");
	memset(&src, 0, sizeof(src));
	src.enabled[IDLE_SRC_EVDEV] = true;
	strcpy(src.evdev_dir, "/dev/input");
	ctx = idle_open(&src, root, TEST_JOB_COMM, err, sizeof(err));
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(idle_fds(ctx, fds, 4), 1);
	t = idle_now_ms();
	send_key(fd, t);
	ck_assert_int_eq(idle_input(ctx), 1);
	idle_sample(ctx, idle_now_ms(), &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_devices, 1);
	ck_assert_int_eq(snap.evdev_last_ms, t);
	idle_close(ctx);
	close(fd);
}
END_TEST

START_TEST(test_unplug)
{
	struct idle_snapshot snap;
	int fd0, fd1;

	make_dir();
	fd0 = make_fifo("event0");
	fd1 = make_fifo("event1");
	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.evdev_devices, 2);

	/* Events written before the writer left still count. */
	send_key(fd1, t0 + 2000);
	close(fd1);
	sample(t0 + 3000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_devices, 1);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 2000);

	close(fd0);
	ck_assert_int_eq(idle_src_evdev.input(st), 0);
	{
		int fds[4];

		ck_assert_int_eq(idle_src_evdev.fds(st, fds, 4), 0);
	}
	sample(t0 + 4000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_NONE);
	ck_assert_int_eq(snap.evdev_devices, 0);
}
END_TEST

START_TEST(test_hotplug)
{
	struct idle_snapshot snap;
	int fd0, fd1, fds[4];

	make_dir();
	fd0 = make_fifo("event0");
	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.evdev_devices, 1);

	fd1 = make_fifo("event1");
	sample(t0 + 2000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_devices, 2);
	ck_assert_int_eq(idle_src_evdev.fds(st, fds, 4), 2);
	send_key(fd1, t0 + 2500);
	ck_assert_int_eq(idle_src_evdev.input(st), 1);
	sample(t0 + 3000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 2500);
	close(fd0);
	close(fd1);
}
END_TEST

START_TEST(test_hotplug_coarse_mtime)
{
	struct idle_snapshot snap;
	int64_t future = idle_now_ms() + 3600 * 1000;
	int fd0, fd1;

	/*
	 * A directory changed just before a scan may change again within one tick of a coarse
	 * timestamp, leaving the mtime as it was: a recent (here: future) mtime is read again.
	 */
	make_dir();
	fd0 = make_fifo("event0");
	set_dir_mtime(future);
	open_source();
	fd1 = make_fifo("event1");
	set_dir_mtime(future);
	sample(t0 + 2000, &snap);
	ck_assert_int_eq(snap.evdev_devices, 2);
	close(fd0);
	close(fd1);
}
END_TEST

START_TEST(test_dir_entry_not_device)
{
	struct idle_snapshot snap;
	char p[160];
	int fd;

	make_dir();
	fd = make_fifo("event0");
	snprintf(p, sizeof(p), "%s/event1", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	/* An old, unchanged mtime: only the failure makes the source look again. */
	set_dir_mtime(t0 - 86400 * 1000);
	open_source();
	send_key(fd, t0 + 2000);
	sample(t0 + 3000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_EVDEV], "/dev/input/event1 is not an input device");
	/* The good device is still read, and the bad entry is retried: fixing it recovers. */
	ck_assert_int_eq(snap.evdev_devices, 1);
	ck_assert_int_eq(rmdir(p), 0);
	set_dir_mtime(t0 - 86400 * 1000);
	sample(t0 + 4000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_OK);
	ck_assert_int_eq(snap.evdev_last_ms, t0 + 2000);
	ck_assert_str_eq(snap.error[IDLE_SRC_EVDEV], "");
	close(fd);
}
END_TEST

START_TEST(test_open_fails)
{
	struct idle_snapshot snap;
	char p[160];

	make_dir();
	snprintf(p, sizeof(p), "%s/event2", dir);
	ck_assert_int_eq(symlink("event2", p), 0);
	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_EVDEV],
			 "cannot open /dev/input/event2: Too many levels of symbolic links");
	ck_assert_int_eq(snap.evdev_devices, 0);
}
END_TEST

START_TEST(test_vanished_node_ignored)
{
	struct idle_snapshot snap;
	char p[160];

	/* A dangling link is a device unplugged between readdir() and open(): not an error. */
	make_dir();
	snprintf(p, sizeof(p), "%s/event3", dir);
	ck_assert_int_eq(symlink("../nowhere", p), 0);
	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_NONE);
}
END_TEST

START_TEST(test_dir_unreadable)
{
	struct idle_snapshot snap;
	char p[160];

	/* The input "directory" is a file: it exists and cannot be listed. */
	snprintf(p, sizeof(p), "%s/dev", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(mkfifo(dir, 0600), 0);
	open_source();
	sample(t0 + 1000, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_EVDEV], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_EVDEV], "cannot read /dev/input: Not a directory");
}
END_TEST

START_TEST(test_jitter)
{
	struct idle_snapshot snap;
	int64_t t = t0 + 120 * 1000;
	int fd;

	make_dir();
	fd = make_fifo("event0");
	open_source();

	/* Two minutes after the last input, 3 + 4 + 5 px is a bump, not a hand. */
	send(fd, t, EV_REL, REL_X, 3);
	send(fd, t, EV_SYN, SYN_REPORT, 0);
	send(fd, t + 10, EV_REL, REL_Y, -4);
	send(fd, t + 20, EV_REL, REL_X, 5);
	ck_assert_int_eq(idle_src_evdev.input(st), 0);
	sample(t + 1000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t0);

	/* After a pause, the burst starts again from zero: 10 more px are still too few. */
	send(fd, t + 2000, EV_REL, REL_X, 10);
	ck_assert_int_eq(idle_src_evdev.input(st), 0);

	/* The same burst reaching 16 px counts, at the event that reached it. */
	send(fd, t + 2100, EV_REL, REL_Y, 6);
	ck_assert_int_eq(idle_src_evdev.input(st), 1);
	sample(t + 3000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t + 2100);

	/* Soon after input, any motion counts; a wheel turn or a click counts at once. */
	send(fd, t + 2200, EV_REL, REL_X, 1);
	ck_assert_int_eq(idle_src_evdev.input(st), 1);
	send(fd, t + 300 * 1000, EV_REL, REL_WHEEL, 1);
	ck_assert_int_eq(idle_src_evdev.input(st), 1);
	sample(t + 400 * 1000, &snap);
	ck_assert_int_eq(snap.evdev_last_ms, t + 300 * 1000);
	close(fd);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("evdev");
	TCase *tc;

#define TC(name, ...)                                                                              \
	do {                                                                                       \
		tc = tcase_create(name);                                                           \
		tcase_add_checked_fixture(tc, setup, teardown);                                    \
		__VA_ARGS__;                                                                       \
		suite_add_tcase(s, tc);                                                            \
	} while (0)
	TC("no devices", tcase_add_test(tc, test_no_directory);
	   tcase_add_test(tc, test_no_event_devices));
	TC("event times", tcase_add_test(tc, test_key_time); tcase_add_test(tc, test_not_input);
	   tcase_add_test(tc, test_future_clamped); tcase_add_test(tc, test_time_overflow));
	TC("partial records", tcase_add_test(tc, test_partial_record));
	TC("poll", tcase_add_test(tc, test_poll); tcase_add_test(tc, test_public_api));
	TC("hot-plug", tcase_add_test(tc, test_unplug); tcase_add_test(tc, test_hotplug);
	   tcase_add_test(tc, test_hotplug_coarse_mtime));
	TC("failures", tcase_add_test(tc, test_dir_entry_not_device);
	   tcase_add_test(tc, test_open_fails); tcase_add_test(tc, test_vanished_node_ignored);
	   tcase_add_test(tc, test_dir_unreadable));
	TC("jitter", tcase_add_test(tc, test_jitter));
#undef TC
	return s;
}

TEST_MAIN(make_suite)
