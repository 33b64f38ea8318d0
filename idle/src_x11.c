/* SPDX-License-Identifier: MIT */
/*
 * src_x11.c - the X11 source: the X server's input idle time, from the SYNC extension's IDLETIME
 * counter with alarms that wake the caller on input, or polled through MIT-SCREEN-SAVER.
 */
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

#include "defaults.h"
#include "dl_x11.h"
#include "idle_int.h"

/*
 * Two ways to read the server's idle time (milliseconds since the last input of any device,
 * XTEST's included):
 *
 * - The SYNC extension's IDLETIME system counter, read with XSyncQueryCounter, and two alarms
 *   on it. The "back" alarm (NegativeTransition at PAUSE_MS) fires when the counter falls from
 *   above PAUSE_MS to below it: the first input after PAUSE_MS of quiet. The server then sends
 *   an AlarmNotify event, which makes the connection's descriptor readable; fds() hands it to
 *   the caller's poll and input() reads the events. Both alarms have delta 0, so a transition
 *   alarm stays active and fires again on the next such input: nothing needs re-arming between
 *   pauses. The "quiet" alarm (PositiveTransition just above PAUSE_MS, without events) makes the
 *   server re-read the counter once the owner has paused: older servers compute no wake-up for
 *   a negative transition approached from below, so without it their counter would keep the
 *   value it had at the last input and the back alarm would never fire again. As mutter's idle
 *   monitor does, a fired back alarm is also changed with no attributes, which makes such
 *   servers schedule it again. Input closer than PAUSE_MS to the previous one wakes nobody: the
 *   owner was just seen, and the caller's own timers and samples cover that span.
 * - MIT-SCREEN-SAVER's XScreenSaverQueryInfo, where the server has no IDLETIME counter (or a
 *   test asks for it): polled at every sample, no descriptor, no events.
 *
 * Xlib queues events that arrive while it waits for a reply, and a queued event does not make
 * the descriptor readable. So every call that talks to the server ends by reading all that is
 * queued or readable (x11_drain): between calls the queue is empty, and a new alarm wakes the
 * caller's poll. An alarm that a sample reads after its query (its serial is the query's or
 * later) is input the query did not see: that sample counts the input as happening now.
 *
 * The display stays open between samples. Any failure closes it and the next sample opens it
 * again, so a restarted X server (logout, display manager restart) is picked up by itself.
 *
 * Before opening, the source asks whether an X server listens on the display at all: a machine
 * without one (headless, or at the display manager's restart) has nothing to watch and reports
 * NONE; a server that listens but refuses us is UNKNOWN, since the owner may be at it.
 *
 * libX11, libXext and libXss are loaded when the source opens (dl_x11.h), not linked: a
 * desktop that configures no x11 source does not carry them. Without them the source does not
 * open, and the sampler reports it UNKNOWN ("cannot load libXss.so.1: ...") at every sample:
 * the owner may be at an X server we cannot read.
 *
 * Xlib is hostile to a library that must never exit nor print: its default handlers print and
 * exit() on a lost connection or a protocol error, and a write to a dead server raises
 * SIGPIPE. Handlers installed once per process keep our displays quiet (and chain to the
 * previous handlers for displays that are not ours), a per-display exit handler returns instead
 * of exiting (libX11 >= 1.7), SIGPIPE is blocked around every Xlib call, and what libxcb prints
 * while opening goes to /dev/null.
 *
 * A connection that breaks (the server exits or restarts) is closed where it is found, in a
 * sample or in input(), which then returns 1 so that the caller samples at once; that sample
 * reports UNKNOWN (the owner counts as present: a server restart is often a logout) unless it
 * can open the display again at once, and the samples after it NONE until a server listens.
 *
 * Not handled: a server that accepts connections but never answers (stopped) blocks the sample,
 * since Xlib has no timeouts. Changing XAUTHORITY and descriptor 2 for the open is not
 * thread-safe.
 */

struct x11_state {
	char display[IDLE_PATH_LEN];	/* display name given to XOpenDisplay, ":0" */
	char xauthority[IDLE_PATH_LEN]; /* XAUTHORITY for the open, "" = leave the environment */
	char socket[64];		/* "/tmp/.X11-unix/X<n>", "" if the display is not local */
	char abstract[64];		/* "@/tmp/.X11-unix/X<n>": the server's abstract socket */
	char socket_file[PATH_MAX];	/* the socket file under the root prefix */
	char root[PATH_MAX];		/* root prefix for /proc/net/unix, "" = the real system */
	bool bad_name;			/* the display name cannot be parsed */
	int64_t open_ms;		/* when the source was opened: the oldest last input */
	bool no_idletime;		/* test hook: use MIT-SCREEN-SAVER even with IDLETIME */
	Display *dpy;			/* open connection, NULL between failures */
	XSyncCounter idletime;		/* the server's IDLETIME counter; None: MIT-SCREEN-SAVER */
	int alarm_event;		/* event type of SYNC's AlarmNotify, with idletime */
	XSyncAlarm back_alarm;		/* fires on the first input after PAUSE_MS of quiet */
	XSyncAlarm quiet_alarm;		/* fires, without an event, once PAUSE_MS have passed */
	XScreenSaverInfo *info; /* reply buffer of XScreenSaverQueryInfo, without idletime */
	bool lost;		/* a connection broke since the last sample */
	bool io_error;		/* the connection broke during the current call */
	int x_error;		/* last X protocol error code on dpy, 0 if none */
	struct x11_state *next; /* list of open states, for the process-wide handlers */
};

/*
 * Quiet time after which input wakes the caller (ms). Every pause longer than this followed by
 * input costs one wake-up, so typing costs a few a second at most; it is far below any idle
 * threshold an admin would set (seconds at least), so the owner's return after an absence is
 * always one.
 */
#define PAUSE_MS 500

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
	sigset_t old;	  /* signal mask before the guard */
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

	if (!idle_path(path, sizeof(path), st->root, "/proc/net/unix") || !(f = fopen(path, "re")))
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

/* Closes the connection; the server frees the alarms with it. */
static void x11_disconnect(struct x11_state *st)
{
	if (st->info) {
		idle_x11.XFree(st->info);
		st->info = NULL;
	}
	if (st->dpy) {
		idle_x11.XCloseDisplay(st->dpy);
		st->dpy = NULL;
	}
	st->idletime = None;
	st->back_alarm = None;
	st->quiet_alarm = None;
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
	dpy = idle_x11.XOpenDisplay(display);
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

/* An alarm on [counter], absolute [value], delta 0; the server sends events if [events]. */
static XSyncAlarm set_alarm(Display *dpy, XSyncCounter counter, XSyncTestType test, int value,
			    Bool events)
{
	XSyncAlarmAttributes a;

	memset(&a, 0, sizeof(a));
	a.trigger.counter = counter;
	a.trigger.value_type = XSyncAbsolute;
	_XSyncIntToValue(&a.trigger.wait_value, value);
	a.trigger.test_type = test;
	_XSyncIntToValue(&a.delta, 0);
	a.events = events;
	return idle_x11.XSyncCreateAlarm(dpy,
					 XSyncCACounter | XSyncCAValueType | XSyncCAValue |
					     XSyncCATestType | XSyncCADelta | XSyncCAEvents,
					 &a);
}

/*
 * Finds the IDLETIME counter and sets the two alarms on it. Returns true if they are set
 * (errors, if any, arrive with the next reply); false if the server has no IDLETIME.
 */
static bool sync_setup(struct x11_state *st)
{
	int ev_base, err_base, major, minor, n = 0, i;
	XSyncCounter counter = None;
	XSyncSystemCounter *list;

	if (!idle_x11.XSyncQueryExtension(st->dpy, &ev_base, &err_base) || st->io_error ||
	    !idle_x11.XSyncInitialize(st->dpy, &major, &minor) || st->io_error)
		return false;
	list = idle_x11.XSyncListSystemCounters(st->dpy, &n);
	for (i = 0; list && i < n; i++)
		if (list[i].name && !strcmp(list[i].name, "IDLETIME"))
			counter = list[i].counter;
	if (list)
		idle_x11.XSyncFreeSystemCounterList(list);
	if (counter == None || st->io_error)
		return false;
	st->idletime = counter;
	st->alarm_event = ev_base + XSyncAlarmNotify;
	st->back_alarm = set_alarm(st->dpy, counter, XSyncNegativeTransition, PAUSE_MS, True);
	st->quiet_alarm = set_alarm(st->dpy, counter, XSyncPositiveTransition, PAUSE_MS + 1, False);
	return true;
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
	idle_x11.XSetIOErrorExitHandler(st->dpy, on_io_exit, st);
	if (!st->no_idletime && sync_setup(st))
		return 1;
	if (st->io_error || !idle_x11.XScreenSaverQueryExtension(st->dpy, &ev_base, &err_base) ||
	    st->io_error) {
		idle_unknown(snap, IDLE_SRC_X11,
			     "display %s has neither the SYNC IDLETIME counter nor the "
			     "MIT-SCREEN-SAVER extension",
			     st->display);
		x11_disconnect(st);
		return -1;
	}
	st->info = idle_x11.XScreenSaverAllocInfo();
	if (!st->info) {
		idle_unknown(snap, IDLE_SRC_X11, "out of memory");
		x11_disconnect(st);
		return -1;
	}
	return 1;
}

/*
 * Handles every event Xlib has queued or can read without blocking, so that the queue is
 * empty when the caller polls again. Returns 1 if a back alarm says the owner touched keyboard
 * or mouse in an event generated once the server had processed request [since] (0: any
 * request), 0 if none did, -1 if the connection broke or an X error arrived.
 */
static int x11_drain(struct x11_state *st, unsigned long since)
{
	XSyncAlarmAttributes none;
	int input = 0;
	XEvent ev;

	while (!st->io_error && idle_x11.XPending(st->dpy) > 0) {
		const XSyncAlarmNotifyEvent *an = (const XSyncAlarmNotifyEvent *)&ev;

		idle_x11.XNextEvent(st->dpy, &ev);
		if (st->io_error)
			break;
		if (!st->idletime || ev.type != st->alarm_event || an->alarm != st->back_alarm)
			continue;
		if (an->serial >= since)
			input = 1;
		/* Changing no attribute schedules the alarm again on servers that forget it. */
		memset(&none, 0, sizeof(none));
		idle_x11.XSyncChangeAlarm(st->dpy, st->back_alarm, 0, &none);
	}
	if (st->io_error || st->x_error)
		return -1;
	return input;
}

/*
 * Reads the idle time, then drains the events. Returns 1 with [*idle_ms] and [*after] set (an
 * alarm came after the reading: input it does not show), 0 if the connection broke, -1 on
 * error.
 */
static int x11_query(struct x11_state *st, int64_t *idle_ms, bool *after,
		     struct idle_snapshot *snap)
{
	unsigned long since = NextRequest(st->dpy);
	XSyncValue v;
	Status ok;
	int r;

	st->x_error = 0;
	if (st->idletime) {
		_XSyncIntToValue(&v, 0);
		ok = idle_x11.XSyncQueryCounter(st->dpy, st->idletime, &v);
		*idle_ms = (int64_t)_XSyncValueHigh32(v) * 4294967296LL + _XSyncValueLow32(v);
	} else {
		ok = idle_x11.XScreenSaverQueryInfo(st->dpy, DefaultRootWindow(st->dpy), st->info);
		*idle_ms = ok ? (int64_t)st->info->idle : 0;
	}
	r = st->io_error ? 0 : x11_drain(st, since);
	if (st->io_error) {
		x11_disconnect(st);
		st->lost = true;
		return 0;
	}
	if (!ok || r < 0) {
		idle_unknown(snap, IDLE_SRC_X11, "display %s: idle time query failed (X error %d)",
			     st->display, st->x_error);
		x11_disconnect(st);
		return -1;
	}
	*after = r > 0;
	return 1;
}

static void x11_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
		       struct idle_snapshot *snap)
{
	struct x11_state *st = state;
	struct pipe_guard guard;
	int64_t idle_ms = 0, last;
	bool after = false;
	int tries, r = 0;

	(void)sh;
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
		r = x11_query(st, &idle_ms, &after, snap);
		if (r != 0)
			break;
		r = -2;
	}
	guard_leave(&guard);

	/* A connection that broke since the last sample: the owner may be there, unseen. */
	if ((r == 0 && st->lost) || r == -2) {
		st->lost = false;
		idle_unknown(snap, IDLE_SRC_X11, "lost connection to display %s", st->display);
		return;
	}
	st->lost = false;
	if (r == 0) {
		snap->status[IDLE_SRC_X11] = IDLE_ST_NONE;
		return;
	}
	if (r < 0)
		return;
	if (after)
		idle_ms = 0;
	last = idle_ms > now_ms ? 0 : now_ms - idle_ms;
	if (last < st->open_ms)
		last = st->open_ms;
	if (last > now_ms)
		last = now_ms;
	snap->x11_last_ms = last;
	snap->status[IDLE_SRC_X11] = IDLE_ST_OK;
}

static int x11_open(void **state, const struct idle_sources *conf, const char *root, int64_t now_ms,
		    char *err, size_t errlen)
{
	struct x11_state *st;
	int n;

	/* The X libraries are loaded here, when an x11 source is configured: unknown without. */
	if (idle_x11_load(err, errlen) < 0)
		return -1;
	st = calloc(1, sizeof(*st));
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
		prev_io_handler = idle_x11.XSetIOErrorHandler(on_io_error);
		prev_error_handler = idle_x11.XSetErrorHandler(on_error);
		handlers_installed = true;
	}
	st->next = x11_states;
	x11_states = st;
	*state = st;
	return 0;
}

/* The connection's descriptor while alarms are set on it; none while polled or closed. */
static int x11_fds(void *state, int *fds, int max)
{
	const struct x11_state *st = state;

	if (!st || !st->dpy || !st->idletime || max < 1)
		return 0;
	fds[0] = ConnectionNumber(st->dpy);
	return 1;
}

/*
 * Reads the alarms. Returns 1 if one says the owner is back, or if the connection broke (it
 * is closed; the next sample tells), else 0.
 */
static int x11_input(void *state)
{
	struct x11_state *st = state;
	struct pipe_guard guard;
	int r;

	if (!st || !st->dpy || !st->idletime)
		return 0;
	guard_enter(&guard);
	r = x11_drain(st, 0);
	if (r < 0) {
		x11_disconnect(st);
		st->lost = true;
		r = 1;
	}
	guard_leave(&guard);
	return r;
}

void idle_x11_without_idletime(void *state)
{
	struct x11_state *st = state;

	st->no_idletime = true;
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
    .fds = x11_fds,
    .input = x11_input,
    .close = x11_close,
};
