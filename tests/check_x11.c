/* SPDX-License-Identifier: MIT */
/*
 * check_x11.c - the X11 source: socket probing on fixture trees, and idle times, input alarms
 * that wake a poll, the MIT-SCREEN-SAVER fallback, authorization and dying servers against real
 * Xvfb servers. x11.sh starts one Xvfb and names it in IDLEACC_TEST_DISPLAY; the tests that
 * need servers of their own start them here. Without IDLEACC_TEST_DISPLAY the tests that need
 * a server fail, saying so: run alone, this program never passes on half its cases.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idle.h"
#include "idle_int.h"
#include "testutil.h"

/* More quiet than the source's PAUSE_MS (500 ms), after which input wakes the caller. */
#define QUIET_MS 1500
/* Upper bound for what must happen (a wake-up, a server start): a hung case, not a timing. */
#define WAIT_MS 30000

static char root[64]; /* mkdtemp() fixture tree of the current test, "" if none */

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/check_x11.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_root(void)
{
	if (root[0])
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

/* Creates [rel] (and its parent directories) under the fixture root; returns its full path. */
static const char *root_file(const char *rel, const char *content)
{
	static char path[256];
	char *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	if (content) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(content, f);
		fclose(f);
	}
	return path;
}

/* A socket file nobody listens on, as a crashed X server leaves it. */
static void stale_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

/* Writes the fixture's /proc/net/unix with one listening socket bound at [path]. */
static void unix_table(const char *path)
{
	char table[512];

	snprintf(table, sizeof(table),
		 "Num       RefCount Protocol Flags    Type St Inode Path\n"
		 "0000000000000000: 00000002 00000000 00010000 0001 01 81230 "
		 "/run/dbus/system_bus_socket\n"
		 "0000000000000000: 00000002 00000000 00010000 0001 01 81234 %s\n"
		 "0000000000000000: 00000003 00000000 00000000 0001 03 81240\n",
		 path);
	root_file("/proc/net/unix", table);
}

/* True if the real system has an X server, or its traces, on display [n]. */
static int display_used(int n)
{
	char path[64], line[512], name[64];
	int used = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/.X11-unix/X%d", n);
	if (access(path, F_OK) == 0)
		return 1;
	snprintf(path, sizeof(path), "/tmp/.X%d-lock", n);
	if (access(path, F_OK) == 0)
		return 1;
	snprintf(name, sizeof(name), " @/tmp/.X11-unix/X%d\n", n);
	f = fopen("/proc/net/unix", "r");
	while (f && !used && fgets(line, sizeof(line), f))
		used = strstr(line, name) != NULL;
	if (f)
		fclose(f);
	return used;
}

static int free_display(int from)
{
	while (display_used(from))
		from++;
	return from;
}

/* Asserts the X11 status of a snapshot, showing the source's message when it differs. */
#define assert_x11(snap, want)                                                                     \
	ck_assert_msg((snap).status[IDLE_SRC_X11] == (want), "x11 is %s, not %s: %s",              \
		      idle_status_name((snap).status[IDLE_SRC_X11]), idle_status_name(want),       \
		      (snap).error[IDLE_SRC_X11])

static struct idle_ctx *open_x11(const char *display, const char *xauth, const char *prefix)
{
	struct idle_sources src;
	struct idle_ctx *ctx;
	char err[IDLE_ERR_LEN] = "";

	memset(&src, 0, sizeof(src));
	src.enabled[IDLE_SRC_X11] = true;
	snprintf(src.x11_display, sizeof(src.x11_display), "%s", display);
	snprintf(src.x11_xauthority, sizeof(src.x11_xauthority), "%s", xauth ? xauth : "");
	ctx = idle_open(&src, prefix, TEST_JOB_COMM, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "idle_open: %s", err);
	return ctx;
}

static void sample(struct idle_ctx *ctx, struct idle_snapshot *snap)
{
	idle_sample(ctx, idle_now_ms(), snap);
}

/* Samples [display] once under the fixture root. */
static void sample_once(const char *display, struct idle_snapshot *snap)
{
	struct idle_ctx *ctx = open_x11(display, NULL, root);

	sample(ctx, snap);
	idle_close(ctx);
}

/* ------------------------------------------------------------ probing (fixture trees) */

START_TEST(test_no_server)
{
	struct idle_snapshot snap;
	char display[32];

	/* Nothing under the root: a headless machine. */
	sample_once(":0", &snap);
	assert_x11(snap, IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "");

	/* The real system, on a display nobody uses. */
	remove_root();
	snprintf(display, sizeof(display), ":%d", free_display(600));
	sample_once(display, &snap);
	assert_x11(snap, IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "");
}
END_TEST

START_TEST(test_stale_socket)
{
	struct idle_snapshot snap;

	/* The socket file is there, but no live socket is bound to it. */
	stale_socket(root_file("/tmp/.X11-unix/X0", NULL));
	unix_table("@/tmp/.X11-unix/X1");
	sample_once(":0", &snap);
	assert_x11(snap, IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "");
}
END_TEST

/*
 * The root's kernel table says a server listens on display n; the real display n has none, so
 * opening it fails as an authorization refusal would.
 */
START_TEST(test_cannot_open)
{
	static const char *const listed[] = {"@/tmp/.X11-unix/X%d", "/tmp/.X11-unix/X%d"};
	struct idle_snapshot snap;
	int n = free_display(600);
	char path[64], display[32], msg[80];
	size_t i;

	snprintf(display, sizeof(display), ":%d", n);
	snprintf(msg, sizeof(msg), "cannot open display :%d (authorization?)", n);
	/* The abstract socket alone (the server's /tmp is not ours), or the socket file. */
	for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		snprintf(path, sizeof(path), listed[i], n);
		unix_table(path);
		sample_once(display, &snap);
		assert_x11(snap, IDLE_ST_UNKNOWN);
		ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);
	}

	/* "unix:N.S" is the same local display. */
	snprintf(display, sizeof(display), "unix:%d.0", n);
	snprintf(msg, sizeof(msg), "cannot open display unix:%d.0 (authorization?)", n);
	sample_once(display, &snap);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);

	/* Another display's socket is not this one's. */
	snprintf(display, sizeof(display), ":%d", n);
	snprintf(path, sizeof(path), "@/tmp/.X11-unix/X%d1", n);
	unix_table(path);
	sample_once(display, &snap);
	assert_x11(snap, IDLE_ST_NONE);
}
END_TEST

/* Without the kernel's table, the socket file decides. */
START_TEST(test_no_table)
{
	struct idle_snapshot snap;
	int n = free_display(600);
	char rel[64], display[32], msg[80];

	snprintf(rel, sizeof(rel), "/tmp/.X11-unix/X%d", n);
	snprintf(display, sizeof(display), ":%d", n);
	snprintf(msg, sizeof(msg), "cannot open display :%d (authorization?)", n);
	stale_socket(root_file(rel, NULL));
	sample_once(display, &snap);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);
}
END_TEST

START_TEST(test_bad_name)
{
	struct idle_snapshot snap;

	sample_once("nonsense", &snap);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "invalid display name \"nonsense\"");
	sample_once(":x", &snap);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "invalid display name \":x\"");
}
END_TEST

/* ------------------------------------------------------------ against Xvfb */

/* The display x11.sh started. */
static const char *xvfb_display(void)
{
	const char *d = getenv("IDLEACC_TEST_DISPLAY");

	if (!d)
		ck_abort_msg("IDLEACC_TEST_DISPLAY is not set: this case needs an X server; run "
			     "check_x11 through x11.sh, which starts Xvfb");
	return d;
}

/* Starts a private Xvfb on display [n] (with [auth] as its -auth file if non-NULL, and the
 * extension [disable] turned off if non-NULL); returns its pid once it accepts connections, or
 * -1 if it would not start there (display taken). The server dies with the test process. */
static pid_t start_xvfb_on(int n, const char *auth, const char *disable)
{
	char num[16], fdarg[16], buf[16] = "";
	const char *argv[16];
	int fds[2], got = 0, argc = 0;
	ssize_t r;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* -noreset as in x11.sh. Out of Check's process group, which it SIGKILLs after a
		 * test: a server that gets SIGTERM when the test ends removes its socket file. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(null, 1);
		dup2(null, 2);
		close(fds[0]);
		snprintf(num, sizeof(num), ":%d", n);
		snprintf(fdarg, sizeof(fdarg), "%d", fds[1]);
		argv[argc++] = "Xvfb";
		argv[argc++] = num;
		argv[argc++] = "-nolisten";
		argv[argc++] = "tcp";
		argv[argc++] = "-noreset";
		argv[argc++] = "-displayfd";
		argv[argc++] = fdarg;
		if (auth) {
			argv[argc++] = "-auth";
			argv[argc++] = auth;
		}
		if (disable) {
			argv[argc++] = "-extension";
			argv[argc++] = disable;
		}
		argv[argc] = NULL;
		execvp("Xvfb", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	/* Xvfb writes its display number once it accepts connections. */
	while ((r = read(fds[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0 ||
	       (r < 0 && errno == EINTR))
		if (r > 0)
			got += (int)r;
	close(fds[0]);
	if (got > 0 && atoi(buf) == n)
		return pid;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Starts a private Xvfb on a free display above x11.sh's (see start_xvfb_on); returns its
 * pid, sets [*display]. */
static pid_t start_xvfb_without(const char *auth, const char *disable, int *display)
{
	int n = free_display(atoi(xvfb_display() + 1) + 1), tries;

	for (tries = 0; tries < 20; tries++, n = free_display(n + 1)) {
		pid_t pid = start_xvfb_on(n, auth, disable);

		if (pid > 0) {
			*display = n;
			return pid;
		}
	}
	ck_abort_msg("could not start a private Xvfb");
	return -1;
}

static pid_t start_xvfb(const char *auth, int *display)
{
	return start_xvfb_without(auth, NULL, display);
}

static void stop_xvfb(pid_t pid, int sig)
{
	ck_assert_int_eq(kill(pid, sig), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

/* Runs "xdotool ARG..." (NULL-terminated) with DISPLAY=[display]; returns its exit status. */
static int xdotool_run(const char *display, ...)
{
	const char *argv[8];
	int status = -1, argc = 0;
	va_list ap;
	pid_t pid;

	argv[argc++] = "xdotool";
	va_start(ap, display);
	while (argc < 7 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("DISPLAY", display, 1);
		execvp("xdotool", (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Moves the pointer on [display] to (x, y); returns xdotool's exit status. */
static int xdotool(const char *display, const char *x, const char *y)
{
	return xdotool_run(display, "mousemove", x, y, (const char *)NULL);
}

/* The owner moves the mouse: two positions, since the pointer may already be at one. */
static void mouse_moves(const char *display)
{
	ck_assert_int_eq(xdotool(display, "10", "10"), 0);
	ck_assert_int_eq(xdotool(display, "20", "20"), 0);
}

/* The owner presses and releases a key. */
static void key_pressed(const char *display)
{
	ck_assert_int_eq(xdotool_run(display, "key", "shift", (const char *)NULL), 0);
}

/* Writes an Xauthority file with one MIT-MAGIC-COOKIE-1 for any host and display. */
static const char *write_xauth(const char *rel, const unsigned char cookie[16])
{
	static const char name[] = "MIT-MAGIC-COOKIE-1";
	const char *path = root_file(rel, NULL);
	unsigned char rec[128], *p = rec;
	FILE *f;

	*p++ = 0xff; /* FamilyWild */
	*p++ = 0xff;
	*p++ = 0, *p++ = 0; /* no address */
	*p++ = 0, *p++ = 0; /* no display number: every display */
	*p++ = 0, *p++ = (unsigned char)strlen(name);
	memcpy(p, name, strlen(name));
	p += strlen(name);
	*p++ = 0, *p++ = 16;
	memcpy(p, cookie, 16);
	p += 16;
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(rec, 1, (size_t)(p - rec), f), (size_t)(p - rec));
	fclose(f);
	return path;
}

/* Sends the test's stderr to a file, so a test can assert that libidle printed nothing. */
static int stderr_saved = -1;

static void capture_stderr(void)
{
	int fd = open(root_file("/stderr", ""), O_WRONLY | O_TRUNC);

	ck_assert_int_ge(fd, 0);
	stderr_saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void assert_nothing_printed(void)
{
	char buf[256] = "";
	FILE *f;

	dup2(stderr_saved, 2);
	close(stderr_saved);
	f = fopen(root_file("/stderr", NULL), "r");
	ck_assert_ptr_nonnull(f);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, "");
}

static int64_t idle_of(const struct idle_snapshot *s)
{
	return s->now_ms - s->x11_last_ms;
}

/* Samples [ctx] until its X server has been idle for QUIET_MS; the last sample in [snap]. */
static void wait_quiet(struct idle_ctx *ctx, struct idle_snapshot *snap)
{
	int64_t end = idle_now_ms() + WAIT_MS;

	for (;;) {
		sample(ctx, snap);
		assert_x11(*snap, IDLE_ST_OK);
		if (idle_of(snap) >= QUIET_MS)
			return;
		ck_assert_msg(idle_now_ms() < end, "the server never idle for %d ms", QUIET_MS);
		usleep(100 * 1000);
	}
}

/* The one descriptor the X11 source of [ctx] hands out. */
static int x11_fd(struct idle_ctx *ctx)
{
	int fds[4];

	ck_assert_int_eq(idle_fds(ctx, fds, 4), 1);
	ck_assert_int_ge(fds[0], 0);
	return fds[0];
}

/* poll() on [fd] for up to [ms]: 1 if readable (or hung up), 0 if not. */
static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	ck_assert_int_ge(r, 0);
	return r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

START_TEST(test_idle_grows)
{
	struct idle_snapshot a, b;
	int64_t opened = idle_now_ms();
	struct idle_ctx *ctx = open_x11(xvfb_display(), NULL, NULL);

	sample(ctx, &a);
	assert_x11(a, IDLE_ST_OK);
	ck_assert_str_eq(a.error[IDLE_SRC_X11], "");
	usleep(1200 * 1000);
	sample(ctx, &b);
	assert_x11(b, IDLE_ST_OK);
	ck_assert_int_ge(idle_of(&b), idle_of(&a));
	/* Nothing touched the server while we slept, and no last input predates the opening. */
	ck_assert_int_ge(idle_of(&b), 1000);
	ck_assert_int_ge(b.x11_last_ms, opened);
	ck_assert_int_le(b.x11_last_ms, b.now_ms);
	idle_close(ctx);
}
END_TEST

START_TEST(test_input_resets)
{
	struct idle_snapshot a, b;
	struct idle_ctx *ctx = open_x11(xvfb_display(), NULL, NULL);

	sample(ctx, &a);
	assert_x11(a, IDLE_ST_OK);
	usleep(300 * 1000);
	/* Two positions: the pointer may already be at one of them. */
	ck_assert_int_eq(xdotool(xvfb_display(), "10", "10"), 0);
	ck_assert_int_eq(xdotool(xvfb_display(), "20", "20"), 0);
	sample(ctx, &b);
	assert_x11(b, IDLE_ST_OK);
	ck_assert_int_gt(b.x11_last_ms, a.now_ms);
	ck_assert_int_gt(b.x11_last_ms, a.x11_last_ms);
	idle_close(ctx);
}
END_TEST

START_TEST(test_xauthority)
{
	static const unsigned char cookie[16] = {0x1d, 0x1e, 0xac, 0xc0, 0x11, 0x7e, 0x57, 0xaa,
						 0x55, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
	static const unsigned char wrong[16] = {0xde, 0xad, 0xbe, 0xef};
	struct idle_snapshot snap;
	struct idle_ctx *ctx;
	char server[256], good[256], other[256], garbage[256], display[32], msg[80];
	int n;
	pid_t pid;

	snprintf(server, sizeof(server), "%s", write_xauth("/server.auth", cookie));
	snprintf(good, sizeof(good), "%s", write_xauth("/good.auth", cookie));
	snprintf(other, sizeof(other), "%s", write_xauth("/other.auth", wrong));
	snprintf(garbage, sizeof(garbage), "%s",
		 root_file("/garbage.auth", "this is not an Xauthority file\n"));
	pid = start_xvfb(server, &n);
	snprintf(display, sizeof(display), ":%d", n);
	snprintf(msg, sizeof(msg), "cannot open display :%d (authorization?)", n);
	capture_stderr();

	/* The configured file is used for the open only; the caller's XAUTHORITY is kept. */
	setenv("XAUTHORITY", "/caller/xauthority", 1);
	ctx = open_x11(display, garbage, NULL);
	sample(ctx, &snap);
	idle_close(ctx);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);
	ck_assert_str_eq(getenv("XAUTHORITY"), "/caller/xauthority");

	ctx = open_x11(display, other, NULL);
	sample(ctx, &snap);
	idle_close(ctx);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);

	ctx = open_x11(display, good, NULL);
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_OK);
	ck_assert_str_eq(getenv("XAUTHORITY"), "/caller/xauthority");
	/* The open display keeps working after the environment is back. */
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_OK);
	idle_close(ctx);

	unsetenv("XAUTHORITY");
	ctx = open_x11(display, good, NULL);
	sample(ctx, &snap);
	idle_close(ctx);
	assert_x11(snap, IDLE_ST_OK);
	ck_assert_ptr_null(getenv("XAUTHORITY"));

	/* None configured: $XAUTHORITY as the caller has it. */
	setenv("XAUTHORITY", garbage, 1);
	ctx = open_x11(display, NULL, NULL);
	sample(ctx, &snap);
	idle_close(ctx);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	setenv("XAUTHORITY", good, 1);
	ctx = open_x11(display, NULL, NULL);
	sample(ctx, &snap);
	idle_close(ctx);
	assert_x11(snap, IDLE_ST_OK);

	assert_nothing_printed();
	stop_xvfb(pid, SIGTERM);
}
END_TEST

/* The server stops between samples ([sig]): the caller survives, the source says so. */
static void server_dies(int sig)
{
	struct idle_snapshot snap;
	struct idle_ctx *ctx;
	char display[32], path[64], msg[80];
	int n;
	pid_t pid = start_xvfb(NULL, &n);

	snprintf(display, sizeof(display), ":%d", n);
	ctx = open_x11(display, NULL, NULL);
	capture_stderr();
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_OK);
	stop_xvfb(pid, sig);

	/* The owner may have been at it: unknown once, ... */
	snprintf(msg, sizeof(msg), "lost connection to display %s", display);
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);
	/* ... then gone for good (a SIGKILLed server leaves a socket file nobody answers). */
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "");
	idle_close(ctx);
	assert_nothing_printed();

	snprintf(path, sizeof(path), "/tmp/.X11-unix/X%d", n);
	unlink(path);
	snprintf(path, sizeof(path), "/tmp/.X%d-lock", n);
	unlink(path);
}

START_TEST(test_server_stopped)
{
	server_dies(SIGTERM);
}
END_TEST

START_TEST(test_server_killed)
{
	server_dies(SIGKILL);
}
END_TEST

/*
 * The server dies while the caller polls: the descriptor wakes it, idle_input() says "sample
 * now" and hands no descriptor any more, and that sample says the owner may be there.
 */
START_TEST(test_server_dies_polled)
{
	struct idle_snapshot snap;
	struct idle_ctx *ctx;
	char display[32], msg[80];
	int n, fds[4], fd;
	pid_t pid = start_xvfb(NULL, &n);

	snprintf(display, sizeof(display), ":%d", n);
	ctx = open_x11(display, NULL, NULL);
	capture_stderr();
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_OK);
	fd = x11_fd(ctx);
	ck_assert_int_eq(readable(fd, 0), 0);
	stop_xvfb(pid, SIGKILL);

	ck_assert_msg(readable(fd, WAIT_MS), "no wake-up when the server died");
	ck_assert_int_eq(idle_input(ctx), 1);
	ck_assert_int_eq(idle_fds(ctx, fds, 4), 0);
	snprintf(msg, sizeof(msg), "lost connection to display %s", display);
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_NONE);
	idle_close(ctx);
	assert_nothing_printed();
}
END_TEST

/* A new server on the same display is found without reopening the source, with its alarms. */
START_TEST(test_server_restarted)
{
	struct idle_snapshot snap;
	struct idle_ctx *ctx;
	char display[32];
	int n, fd;
	pid_t pid = start_xvfb(NULL, &n);

	snprintf(display, sizeof(display), ":%d", n);
	ctx = open_x11(display, NULL, NULL);
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_OK);
	stop_xvfb(pid, SIGTERM);
	sample(ctx, &snap);
	ck_assert_msg(snap.status[IDLE_SRC_X11] != IDLE_ST_OK, "x11 still ok");
	pid = start_xvfb_on(n, NULL, NULL);
	ck_assert_int_gt(pid, 0);
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_OK);

	/* The new connection has alarms of its own. */
	wait_quiet(ctx, &snap);
	fd = x11_fd(ctx);
	mouse_moves(display);
	ck_assert_msg(readable(fd, WAIT_MS), "no wake-up on input to the new server");
	ck_assert_int_eq(idle_input(ctx), 1);
	idle_close(ctx);
	stop_xvfb(pid, SIGTERM);
}
END_TEST

/*
 * Input after a pause wakes a poll on idle_fds() at once, with no sample in between; after
 * idle_input() the reading shows it. The next input after the next pause wakes it too.
 */
START_TEST(test_input_wakes)
{
	struct idle_snapshot quiet, after;
	struct idle_ctx *ctx = open_x11(xvfb_display(), NULL, NULL);
	int fd;

	sample(ctx, &quiet);
	assert_x11(quiet, IDLE_ST_OK);
	fd = x11_fd(ctx);

	wait_quiet(ctx, &quiet);
	ck_assert_int_eq(readable(fd, 0), 0);
	mouse_moves(xvfb_display());
	ck_assert_msg(readable(fd, WAIT_MS), "no wake-up on mouse motion");
	ck_assert_int_eq(idle_input(ctx), 1);
	/* Read to the end: nothing left to wake the next poll. */
	ck_assert_int_eq(readable(fd, 0), 0);
	ck_assert_int_eq(idle_input(ctx), 0);
	sample(ctx, &after);
	assert_x11(after, IDLE_ST_OK);
	ck_assert_int_ge(after.x11_last_ms, quiet.x11_last_ms + QUIET_MS);

	/* Again after a pause, by the keyboard: the alarm fires every time. */
	wait_quiet(ctx, &quiet);
	ck_assert_int_eq(x11_fd(ctx), fd);
	ck_assert_int_eq(readable(fd, 0), 0);
	key_pressed(xvfb_display());
	ck_assert_msg(readable(fd, WAIT_MS), "no wake-up on a key after a pause");
	ck_assert_int_eq(idle_input(ctx), 1);
	sample(ctx, &after);
	assert_x11(after, IDLE_ST_OK);
	ck_assert_int_ge(after.x11_last_ms, quiet.x11_last_ms + QUIET_MS);
	idle_close(ctx);
}
END_TEST

/* An input that arrives while the caller is not polling is seen by the next sample. */
START_TEST(test_input_while_busy)
{
	struct idle_snapshot quiet, after;
	struct idle_ctx *ctx = open_x11(xvfb_display(), NULL, NULL);
	int fd;

	wait_quiet(ctx, &quiet);
	fd = x11_fd(ctx);
	mouse_moves(xvfb_display());
	ck_assert_msg(readable(fd, WAIT_MS), "no wake-up on mouse motion");
	/* No idle_input(): the sample reads the alarm with the idle time. */
	sample(ctx, &after);
	assert_x11(after, IDLE_ST_OK);
	ck_assert_int_ge(after.x11_last_ms, quiet.x11_last_ms + QUIET_MS);
	ck_assert_int_eq(readable(fd, 0), 0);
	idle_close(ctx);
}
END_TEST

/* The X11 source alone through its operations, as the test hook needs its state. */
static void *open_ops(const char *display)
{
	struct idle_sources src;
	char err[IDLE_ERR_LEN] = "";
	void *st = NULL;

	memset(&src, 0, sizeof(src));
	src.enabled[IDLE_SRC_X11] = true;
	snprintf(src.x11_display, sizeof(src.x11_display), "%s", display);
	ck_assert_int_eq(idle_src_x11.open(&st, &src, NULL, idle_now_ms(), err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	return st;
}

static void sample_ops(void *st, struct idle_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->now_ms = idle_now_ms();
	idle_src_x11.sample(st, snap->now_ms, NULL, snap);
}

/* Without IDLETIME, MIT-SCREEN-SAVER is read at every sample: idle grows, input resets it. */
START_TEST(test_fallback)
{
	struct idle_snapshot a, b;
	int64_t end = idle_now_ms() + WAIT_MS;
	void *st = open_ops(xvfb_display());
	int fds[4];

	idle_x11_without_idletime(st);
	sample_ops(st, &a);
	assert_x11(a, IDLE_ST_OK);
	ck_assert_str_eq(a.error[IDLE_SRC_X11], "");
	/* Polled: no descriptor, nothing to read. */
	ck_assert_int_eq(idle_src_x11.fds(st, fds, 4), 0);
	ck_assert_int_eq(idle_src_x11.input(st), 0);
	while (idle_of(&a) < QUIET_MS) {
		ck_assert_msg(idle_now_ms() < end, "the server never idle for %d ms", QUIET_MS);
		usleep(100 * 1000);
		sample_ops(st, &a);
		assert_x11(a, IDLE_ST_OK);
	}
	mouse_moves(xvfb_display());
	sample_ops(st, &b);
	assert_x11(b, IDLE_ST_OK);
	ck_assert_int_ge(b.x11_last_ms, a.x11_last_ms + QUIET_MS);
	idle_src_x11.close(st);
}
END_TEST

/*
 * A server without MIT-SCREEN-SAVER is read through IDLETIME; a server with neither (the hook
 * stands in for a missing IDLETIME, which Xvfb cannot turn off) is UNKNOWN.
 */
START_TEST(test_no_screensaver)
{
	struct idle_snapshot snap;
	struct idle_ctx *ctx;
	char display[32], msg[128];
	int n;
	pid_t pid = start_xvfb_without(NULL, "MIT-SCREEN-SAVER", &n);
	void *st;

	snprintf(display, sizeof(display), ":%d", n);
	ctx = open_x11(display, NULL, NULL);
	sample(ctx, &snap);
	assert_x11(snap, IDLE_ST_OK);
	x11_fd(ctx);
	idle_close(ctx);

	st = open_ops(display);
	idle_x11_without_idletime(st);
	sample_ops(st, &snap);
	assert_x11(snap, IDLE_ST_UNKNOWN);
	snprintf(msg, sizeof(msg),
		 "display %s has neither the SYNC IDLETIME counter nor the MIT-SCREEN-SAVER "
		 "extension",
		 display);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], msg);
	idle_src_x11.close(st);
	stop_xvfb(pid, SIGTERM);
}
END_TEST

static Suite *make_suite(void)
{
	const struct {
		const char *name;
		const TTest *test;
		int xvfb; /* needs x11.sh's Xvfb: fails without IDLEACC_TEST_DISPLAY */
	} cases[] = {
	    {"no_server", test_no_server, 0},
	    {"stale_socket", test_stale_socket, 0},
	    {"cannot_open", test_cannot_open, 0},
	    {"no_table", test_no_table, 0},
	    {"bad_name", test_bad_name, 0},
	    {"idle_grows", test_idle_grows, 1},
	    {"input_resets", test_input_resets, 1},
	    {"xauthority", test_xauthority, 1},
	    {"server_stopped", test_server_stopped, 1},
	    {"server_killed", test_server_killed, 1},
	    {"server_dies_polled", test_server_dies_polled, 1},
	    {"server_restarted", test_server_restarted, 1},
	    {"input_wakes", test_input_wakes, 1},
	    {"input_while_busy", test_input_while_busy, 1},
	    {"fallback", test_fallback, 1},
	    {"no_screensaver", test_no_screensaver, 1},
	};
	Suite *s = suite_create("x11");
	size_t i, need = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		need += (size_t)cases[i].xvfb;
	/* Every case runs: those that need a server fail without one (xvfb_display()). */
	if (!getenv("IDLEACC_TEST_DISPLAY"))
		fprintf(stderr,
			"check_x11: IDLEACC_TEST_DISPLAY is not set: the %zu cases that need an X "
			"server will fail; run x11.sh, which starts Xvfb\n",
			need);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc;

		tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, make_root, remove_root);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

TEST_MAIN(make_suite)
