/* SPDX-License-Identifier: MIT */
/* src_x11.c - the X11 source: the X server's input idle time, read through MIT-SCREEN-SAVER. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/extensions/scrnsaver.h>

#include "idle_int.h"
#include "defaults.h"

/*
 * The display stays open between samples. Any failure closes it and the next sample opens it
 * again, so a restarted X server (logout, display manager restart) is picked up by itself.
 *
 * Before opening, the source asks whether an X server listens on the display at all: a machine
 * without one (headless, or at the display manager's restart) has nothing to watch and reports
 * NONE; a server that listens but refuses us is UNKNOWN, since the owner may be at it.
 *
 * Xlib is hostile to a library that must never exit nor print: its default handlers print and
 * exit() on a lost connection or a protocol error, and a write to a dead server raises
 * SIGPIPE. Handlers installed once per process keep our displays quiet (and chain to the
 * previous handlers for displays that are not ours), a per-display exit handler returns instead
 * of exiting (libX11 >= 1.7), SIGPIPE is blocked around every Xlib call, and what libxcb prints
 * while opening goes to /dev/null.
 *
 * Not handled: a server that accepts connections but never answers (stopped) blocks the sample,
 * since Xlib has no timeouts. Changing XAUTHORITY and descriptor 2 for the open is not
 * thread-safe.
 */

struct x11_state {
	char display[IDLE_PATH_LEN];    /* display name given to XOpenDisplay, ":0" */
	char xauthority[IDLE_PATH_LEN]; /* XAUTHORITY for the open, "" = leave the environment */
	char socket[64];                /* "/tmp/.X11-unix/X<n>", "" if the display is not local */
	char abstract[64];              /* "@/tmp/.X11-unix/X<n>": the server's abstract socket */
	char socket_file[PATH_MAX];     /* the socket file under the root prefix */
	char root[PATH_MAX];            /* root prefix for /proc/net/unix, "" = the real system */
	bool bad_name;                  /* the display name cannot be parsed */
	int64_t open_ms;                /* when the source was opened: the oldest last input */
	Display *dpy;                   /* open connection, NULL between failures */
	XScreenSaverInfo *info;         /* reply buffer of XScreenSaverQueryInfo, with dpy */
	bool io_error;                  /* the connection broke during the current call */
	int x_error;                    /* last X protocol error code on dpy, 0 if none */
	struct x11_state *next;         /* list of open states, for the process-wide handlers */
};

/* Every open state, so the process-wide Xlib handlers can tell our displays from others. */
static struct x11_state *x11_states;
static XIOErrorHandler prev_io_handler;
static XErrorHandler prev_error_handler;
static bool handlers_installed;

static struct x11_state *state_of(Display *dpy)
{
	struct x11_state *st;

	for (st = x11_states; st; st = st->next)
		if (st->dpy && st->dpy == dpy)
			return st;
	return NULL;
}

static int on_io_error(Display *dpy)
{
	struct x11_state *st = state_of(dpy);

	if (st) {
		st->io_error = true;
		return 0;
	}
	return prev_io_handler ? prev_io_handler(dpy) : 0;
}

static int on_error(Display *dpy, XErrorEvent *ev)
{
	struct x11_state *st = state_of(dpy);

	if (st) {
		st->x_error = ev->error_code ? ev->error_code : -1;
		return 0;
	}
	return prev_error_handler ? prev_error_handler(dpy, ev) : 0;
}

/* Replaces Xlib's exit(1): the display is unusable from now on and is closed by the caller. */
static void on_io_exit(Display *dpy, void *data)
{
	struct x11_state *st = data;

	(void)dpy;
	st->io_error = true;
}

/* SIGPIPE raised by Xlib's writes to a dead server, blocked and discarded. */
struct pipe_guard {
	sigset_t old;     /* signal mask before the guard */
	bool was_pending; /* a SIGPIPE was pending before: not ours to discard */
};

static void guard_enter(struct pipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	sigemptyset(&pending);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

static void guard_leave(struct pipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&pending);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = {0, 0};

		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/*
 * Splits "[host]:N[.S]". A local display (no host, or "unix") is watched through its socket;
 * returns the display number, -1 for a remote (TCP) display, -2 if malformed.
 */
static int display_number(const char *name)
{
	const char *colon = strrchr(name, ':');
	size_t hostlen;
	char *end;
	long n;

	if (!colon || !colon[1])
		return -2;
	errno = 0;
	n = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || n < 0 || n > 65535 || (*end && *end != '.'))
		return -2;
	hostlen = (size_t)(colon - name);
	if (hostlen == 0 || (hostlen == 4 && !strncmp(name, "unix", 4)))
		return (int)n;
	return -1;
}

/* Whether [line] of /proc/net/unix ends in the socket path [name]. */
static bool ends_with_path(const char *line, size_t n, const char *name)
{
	size_t len = strlen(name);

	return n > len && line[n - len - 1] == ' ' && !strcmp(line + n - len, name);
}

/*
 * Whether an X server listens on a local display, from the kernel's table of unix sockets: a
 * live server has its socket file or its abstract socket bound. A socket file left by a crashed
 * server is in no table, and the abstract socket is seen even when the server's /tmp is not
 * ours (systemd PrivateTmp). Only without the table does the socket file alone decide. Asking
 * the kernel, not connecting, leaves the server alone: an X server with no clients resets when
 * a connection closes.
 */
static bool server_listens(const struct x11_state *st)
{
	char path[PATH_MAX], *line = NULL;
	bool found = false;
	struct stat sb;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (!idle_path(path, sizeof(path), st->root, "/proc/net/unix") ||
	    !(f = fopen(path, "re")))
		return stat(st->socket_file, &sb) == 0 && S_ISSOCK(sb.st_mode);
	while (!found && (n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
			line[--n] = '\0';
		found = ends_with_path(line, (size_t)n, st->socket) ||
			ends_with_path(line, (size_t)n, st->abstract);
	}
	free(line);
	fclose(f);
	return found;
}

static void x11_disconnect(struct x11_state *st)
{
	if (st->info) {
		XFree(st->info);
		st->info = NULL;
	}
	if (st->dpy) {
		XCloseDisplay(st->dpy);
		st->dpy = NULL;
	}
	st->io_error = false;
	st->x_error = 0;
}

/*
 * XOpenDisplay, quiet: libxcb writes a refusing server's reason ("Authorization required, but no
 * authorization protocol specified") straight to descriptor 2, on every attempt. Descriptor 2
 * points at /dev/null for the call and is put back as it was, closed or not.
 */
static Display *open_quiet(const char *display)
{
	int flags = fcntl(STDERR_FILENO, F_GETFD);
	int saved = flags >= 0 ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3) : -1;
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	bool quiet = null >= 0 && (flags < 0 || saved >= 0);
	Display *dpy;

	if (quiet) {
		fflush(stderr);
		if (null != STDERR_FILENO)
			dup2(null, STDERR_FILENO);
	}
	dpy = XOpenDisplay(display);
	if (quiet) {
		fflush(stderr);
		if (saved >= 0) {
			dup2(saved, STDERR_FILENO);
			fcntl(STDERR_FILENO, F_SETFD, flags);
		} else {
			close(STDERR_FILENO); /* it was closed; this may close [null] itself */
		}
	}
	if (saved >= 0)
		close(saved);
	if (null >= 0 && null != STDERR_FILENO)
		close(null);
	return dpy;
}

/* XOpenDisplay with the configured XAUTHORITY; the caller's environment is restored after. */
static Display *open_display(const struct x11_state *st)
{
	const char *cur = getenv("XAUTHORITY");
	char *saved = NULL;
	Display *dpy;

	if (!st->xauthority[0])
		return open_quiet(st->display);
	if (cur && !(saved = strdup(cur)))
		return NULL;
	if (setenv("XAUTHORITY", st->xauthority, 1) < 0) {
		free(saved);
		return NULL;
	}
	dpy = open_quiet(st->display);
	if (saved)
		setenv("XAUTHORITY", saved, 1);
	else
		unsetenv("XAUTHORITY");
	free(saved);
	return dpy;
}

/*
 * Opens the display if it is not open. Returns 1 when open, 0 when no server listens (NONE),
 * -1 with snap->error filled (UNKNOWN).
 */
static int x11_connect(struct x11_state *st, struct idle_snapshot *snap)
{
	int ev_base, err_base;

	if (st->dpy)
		return 1;
	if (st->socket[0] && !server_listens(st))
		return 0;
	st->dpy = open_display(st);
	if (!st->dpy) {
		idle_unknown(snap, IDLE_SRC_X11, "cannot open display %s (authorization?)",
			     st->display);
		return -1;
	}
	XSetIOErrorExitHandler(st->dpy, on_io_exit, st);
	if (!XScreenSaverQueryExtension(st->dpy, &ev_base, &err_base) || st->io_error) {
		idle_unknown(snap, IDLE_SRC_X11, "display %s has no MIT-SCREEN-SAVER extension",
			     st->display);
		x11_disconnect(st);
		return -1;
	}
	st->info = XScreenSaverAllocInfo();
	if (!st->info) {
		idle_unknown(snap, IDLE_SRC_X11, "out of memory");
		x11_disconnect(st);
		return -1;
	}
	return 1;
}

/* Reads the idle time. Returns 1 with [*idle_ms], 0 if the connection broke, -1 on error. */
static int x11_query(struct x11_state *st, unsigned long *idle_ms, struct idle_snapshot *snap)
{
	Status ok;

	st->x_error = 0;
	ok = XScreenSaverQueryInfo(st->dpy, DefaultRootWindow(st->dpy), st->info);
	if (st->io_error) {
		x11_disconnect(st);
		return 0;
	}
	if (!ok || st->x_error) {
		idle_unknown(snap, IDLE_SRC_X11,
			     "display %s: screen saver query failed (X error %d)", st->display,
			     st->x_error);
		x11_disconnect(st);
		return -1;
	}
	*idle_ms = st->info->idle;
	return 1;
}

static void x11_sample(void *state, int64_t now_ms, struct idle_snapshot *snap)
{
	struct x11_state *st = state;
	struct pipe_guard guard;
	unsigned long idle_ms = 0;
	int tries, r = 0;
	int64_t last;

	if (!st) {
		idle_unknown(snap, IDLE_SRC_X11, "x11 source not open");
		return;
	}
	if (st->bad_name) {
		idle_unknown(snap, IDLE_SRC_X11, "invalid display name \"%s\"", st->display);
		return;
	}
	/*
	 * r: 1 read, 0 no server (NONE), -1 failed with the message set, -2 broken twice. A
	 * connection found broken is opened again at once: the server may have restarted.
	 */
	guard_enter(&guard);
	for (tries = 0; tries < 2; tries++) {
		r = x11_connect(st, snap);
		if (r <= 0)
			break;
		r = x11_query(st, &idle_ms, snap);
		if (r != 0)
			break;
		r = -2;
	}
	guard_leave(&guard);

	if (r == 0) {
		snap->status[IDLE_SRC_X11] = IDLE_ST_NONE;
		return;
	}
	if (r == -2) {
		idle_unknown(snap, IDLE_SRC_X11, "lost connection to display %s", st->display);
		return;
	}
	if (r < 0)
		return;
	last = (int64_t)idle_ms > now_ms ? 0 : now_ms - (int64_t)idle_ms;
	if (last < st->open_ms)
		last = st->open_ms;
	if (last > now_ms)
		last = now_ms;
	snap->x11_last_ms = last;
	snap->status[IDLE_SRC_X11] = IDLE_ST_OK;
}

static int x11_open(void **state, const struct idle_sources *conf, const char *root,
		    int64_t now_ms, char *err, size_t errlen)
{
	struct x11_state *st = calloc(1, sizeof(*st));
	int n;

	if (!st) {
		idle_strlcpyf(err, errlen, "out of memory");
		return -1;
	}
	idle_strlcpyf(st->display, sizeof(st->display), "%s",
		      conf->x11_display[0] ? conf->x11_display : DEF_X11_DISPLAY);
	idle_strlcpyf(st->xauthority, sizeof(st->xauthority), "%s", conf->x11_xauthority);
	idle_strlcpyf(st->root, sizeof(st->root), "%s", root ? root : "");
	st->open_ms = now_ms;
	n = display_number(st->display);
	st->bad_name = n == -2;
	if (n >= 0) {
		idle_strlcpyf(st->socket, sizeof(st->socket), "/tmp/.X11-unix/X%d", n);
		idle_strlcpyf(st->abstract, sizeof(st->abstract), "@%s", st->socket);
		if (!idle_path(st->socket_file, sizeof(st->socket_file), root, st->socket))
			st->bad_name = true;
	}
	if (!handlers_installed) {
		prev_io_handler = XSetIOErrorHandler(on_io_error);
		prev_error_handler = XSetErrorHandler(on_error);
		handlers_installed = true;
	}
	st->next = x11_states;
	x11_states = st;
	*state = st;
	return 0;
}

static void x11_close(void *state)
{
	struct x11_state *st = state, **p;
	struct pipe_guard guard;

	if (!st)
		return;
	guard_enter(&guard);
	x11_disconnect(st);
	guard_leave(&guard);
	for (p = &x11_states; *p; p = &(*p)->next) {
		if (*p == st) {
			*p = st->next;
			break;
		}
	}
	free(st);
}

const struct idle_source_ops idle_src_x11 = {
	.id = IDLE_SRC_X11,
	.open = x11_open,
	.sample = x11_sample,
	.close = x11_close,
};
