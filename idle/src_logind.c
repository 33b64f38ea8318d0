/* SPDX-License-Identifier: MIT */
/* src_logind.c - the logind source: idle, lock and remote state of systemd-logind's sessions. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "ctl.h"
#include "idle_int.h"

#define LOGIND_NAME    "org.freedesktop.login1"
#define LOGIND_PATH    "/org/freedesktop/login1"
#define LOGIND_MANAGER LOGIND_NAME ".Manager"
#define LOGIND_SESSION LOGIND_NAME ".Session"

/* A healthy logind answers in milliseconds; a hung one must not stall the agent's loop, which
 * also watches the keyboard and answers the plugin: the control socket's timeouts are derived
 * from this bound (common/ctl.h). Passed to every call rather than set on the connection because
 * sd_bus_set_method_call_timeout() needs libsystemd 240 and configure accepts 221. */
#define LOGIND_CALL_TIMEOUT_USEC (CTL_SAMPLE_BLOCK_MS * 1000ULL)

/* A desktop has a handful of sessions; more than this is not a desktop, and reading them all
 * at one call each would make a sample slow. */
#define LOGIND_MAX_SESSIONS 256

/* The system bus socket, placed under the root prefix when there is one. */
#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"

struct logind_state {
	sd_bus *bus;		     /* the connection, NULL until the next sample (re)connects */
	char address[PATH_MAX + 16]; /* D-Bus address to connect to; "" = sd_bus_open_system() */
	int64_t open_ms;	     /* when the source was opened: no activity is older (ms) */
	/* logind_last_ms of the last sample that saw a local session, 0 before any (ms): after a
	 * logout the owner was last seen then, not at start-up */
	int64_t last_local_ms;
};

/* What GetAll told about one session. */
struct logind_session {
	int idle;		/* IdleHint */
	uint64_t idle_since_us; /* IdleSinceHint: CLOCK_REALTIME microseconds, 0 = unknown */
	int locked;		/* LockedHint; false when logind is too old to have it */
	int remote;		/* Remote: opened from another host (ssh, remote X) */
	char seat[64];		/* Seat id, "" when the session has no seat */
	char class[32];		/* Class: "user", "greeter", "lock-screen", "background" ... */
	char type[32];		/* Type: "x11", "wayland", "mir", "tty", "unspecified" */
	unsigned seen;		/* SEEN_* bits of the properties found */
};

#define SEEN_IDLE	0x01u
#define SEEN_IDLE_SINCE 0x02u
#define SEEN_REMOTE	0x04u
#define SEEN_SEAT	0x08u
#define SEEN_CLASS	0x10u
#define SEEN_TYPE	0x20u

/* How reading logind ended. */
enum logind_result {
	LOGIND_OK,     /* the snapshot is filled */
	LOGIND_ABSENT, /* nobody owns org.freedesktop.login1 */
	LOGIND_FAILED, /* logind answered badly: the snapshot's error says how */
	LOGIND_LOST,   /* the connection broke: a new one may succeed */
};

/*
 * Writes "unix:path=ROOT/run/dbus/system_bus_socket" with the D-Bus escaping of values: bytes
 * outside [-0-9A-Za-z_/.\*] become %XX. Returns 0, or -1 if it does not fit.
 */
static int system_bus_address(char *buf, size_t len, const char *root)
{
	static const char hex[] = "0123456789abcdef";
	char path[PATH_MAX];
	size_t off;
	const char *p;

	if (!idle_path(path, sizeof(path), root, SYSTEM_BUS_SOCKET))
		return -1;
	off = (size_t)snprintf(buf, len, "unix:path=");
	for (p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z') || strchr("-_/.\\*", c);

		if (off + (plain ? 1 : 3) >= len)
			return -1;
		if (plain) {
			buf[off++] = (char)c;
		} else {
			buf[off++] = '%';
			buf[off++] = hex[c >> 4];
			buf[off++] = hex[c & 15];
		}
	}
	buf[off] = '\0';
	return 0;
}

static int logind_open(void **state, const struct idle_sources *conf, const char *root,
		       int64_t now_ms, char *err, size_t errlen)
{
	struct logind_state *st = calloc(1, sizeof(*st));

	if (!st) {
		idle_strlcpyf(err, errlen, "out of memory");
		return -1;
	}
	st->open_ms = now_ms;
	/* A fixture root must never reach the real system bus: it gets the socket under it. */
	if (conf->logind_bus[0])
		idle_strlcpyf(st->address, sizeof(st->address), "%s", conf->logind_bus);
	else if (root && *root && system_bus_address(st->address, sizeof(st->address), root) < 0)
		idle_strlcpyf(st->address, sizeof(st->address), "unix:path=/nonexistent");
	*state = st;
	return 0;
}

static void logind_disconnect(struct logind_state *st)
{
	if (st->bus) {
		sd_bus_close(st->bus);
		sd_bus_unref(st->bus);
		st->bus = NULL;
	}
}

/* Connects to the bus. Returns 0, or a negative errno. */
static int logind_connect(struct logind_state *st)
{
	sd_bus *bus = NULL;
	int r;

	if (!st->address[0]) {
		r = sd_bus_open_system(&bus);
		if (r < 0)
			return r;
		st->bus = bus;
		return 0;
	}
	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(bus, st->address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		sd_bus_unref(bus);
		return r;
	}
	st->bus = bus;
	return 0;
}

/* Errors that say the connection itself is gone, not that logind refused. */
static bool is_lost(int r)
{
	return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ESHUTDOWN;
}

/* sd-bus's words for a failed call: the error's message, else its name, else errno's. */
static const char *call_error(const sd_bus_error *e, int r)
{
	if (e->message && *e->message)
		return e->message;
	if (e->name && *e->name)
		return e->name;
	return strerror(-r);
}

/* Calls [method] of [iface] on logind's [path] with at most one string argument. */
static int logind_call(sd_bus *bus, const char *path, const char *iface, const char *method,
		       const char *arg, sd_bus_error *error, sd_bus_message **reply)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, LOGIND_NAME, path, iface, method);
	if (r >= 0 && arg)
		r = sd_bus_message_append(m, "s", arg);
	if (r >= 0)
		r = sd_bus_call(bus, m, LOGIND_CALL_TIMEOUT_USEC, error, reply);
	sd_bus_message_unref(m);
	return r;
}

/* Reads one property value (the "v" of an "{sv}") we care about into [s]. */
static int read_property(sd_bus_message *reply, const char *name, struct logind_session *s)
{
	const char *str, *opath;
	int r;

	if (!strcmp(name, "IdleHint")) {
		r = sd_bus_message_read(reply, "v", "b", &s->idle);
		s->seen |= SEEN_IDLE;
	} else if (!strcmp(name, "IdleSinceHint")) {
		r = sd_bus_message_read(reply, "v", "t", &s->idle_since_us);
		s->seen |= SEEN_IDLE_SINCE;
	} else if (!strcmp(name, "LockedHint")) {
		r = sd_bus_message_read(reply, "v", "b", &s->locked);
	} else if (!strcmp(name, "Remote")) {
		r = sd_bus_message_read(reply, "v", "b", &s->remote);
		s->seen |= SEEN_REMOTE;
	} else if (!strcmp(name, "Seat")) {
		r = sd_bus_message_read(reply, "v", "(so)", &str, &opath);
		if (r >= 0)
			idle_strlcpyf(s->seat, sizeof(s->seat), "%s", str);
		s->seen |= SEEN_SEAT;
	} else if (!strcmp(name, "Class") || !strcmp(name, "Type")) {
		bool class = name[0] == 'C';

		r = sd_bus_message_read(reply, "v", "s", &str);
		if (r >= 0 && class)
			idle_strlcpyf(s->class, sizeof(s->class), "%s", str);
		else if (r >= 0)
			idle_strlcpyf(s->type, sizeof(s->type), "%s", str);
		s->seen |= class ? SEEN_CLASS : SEEN_TYPE;
	} else {
		r = sd_bus_message_skip(reply, "v");
	}
	return r;
}

/* Parses a GetAll reply (a{sv}). Returns 0, or a negative errno if malformed. */
static int parse_session(sd_bus_message *reply, struct logind_session *s)
{
	const char *name;
	int r;

	memset(s, 0, sizeof(*s));
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = sd_bus_message_read(reply, "s", &name);
		if (r >= 0)
			r = read_property(reply, name, s);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

/* The name of the first required property GetAll left out, or NULL. */
static const char *missing_property(unsigned seen)
{
	static const struct {
		unsigned bit;
		const char *name;
	} req[] = {{SEEN_IDLE, "IdleHint"}, {SEEN_IDLE_SINCE, "IdleSinceHint"},
		   {SEEN_REMOTE, "Remote"}, {SEEN_SEAT, "Seat"},
		   {SEEN_CLASS, "Class"},   {SEEN_TYPE, "Type"}};
	size_t i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!(seen & req[i].bit))
			return req[i].name;
	return NULL;
}

/*
 * A session's last activity: now while logind says it is not idle, else when it went idle.
 * No older than the source (we have no history before it) and no newer than now.
 */
static int64_t session_last_ms(const struct logind_session *s, int64_t open_ms, int64_t now_ms)
{
	int64_t t;

	if (!s->idle)
		t = now_ms;
	else if (s->idle_since_us / 1000 >= (uint64_t)now_ms)
		t = now_ms;
	else
		t = (int64_t)(s->idle_since_us / 1000);
	if (t < open_ms)
		t = open_ms;
	if (t > now_ms)
		t = now_ms;
	return t;
}

/* Owner sessions; greeters, lock screens, background and manager sessions are the system's.
 * Newer logind splits "user" into "user-early", "user-incomplete", "user-light": all owners. */
static bool is_user_class(const char *class)
{
	return !strcmp(class, "user") || !strncmp(class, "user-", 5);
}

static bool is_graphical(const char *type)
{
	return !strcmp(type, "x11") || !strcmp(type, "wayland") || !strcmp(type, "mir");
}

/* One listed session: pointers into the ListSessions reply, valid while it is referenced. */
struct logind_listed {
	const char *id;	  /* session id, e.g. "c1" or "3" */
	const char *path; /* its object path */
};

/*
 * Reads ListSessions and every session's properties into [snap]. On LOGIND_FAILED the
 * snapshot's error is set; on LOGIND_LOST [lost] says which call broke and how.
 */
static enum logind_result logind_read(struct logind_state *st, int64_t now_ms,
				      struct idle_snapshot *snap, char *lost, size_t lostlen)
{
	struct logind_listed listed[LOGIND_MAX_SESSIONS];
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *list = NULL, *props = NULL;
	enum logind_result res = LOGIND_FAILED;
	int64_t local_ms = 0, remote_ms = 0;
	int nlisted = 0, nlocal = 0, ngraphical = 0, nlocked = 0;
	const char *id, *seat, *user, *path;
	uint32_t uid;
	int i, r;

	r = logind_call(st->bus, LOGIND_PATH, LOGIND_MANAGER, "ListSessions", NULL, &error, &list);
	if (r < 0) {
		if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
		    sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
			res = LOGIND_ABSENT;
		} else if (is_lost(r)) {
			idle_strlcpyf(lost, lostlen, "ListSessions: %s", call_error(&error, r));
			res = LOGIND_LOST;
		} else {
			idle_unknown(snap, IDLE_SRC_LOGIND, "ListSessions: %s",
				     call_error(&error, r));
		}
		goto out;
	}
	r = sd_bus_message_enter_container(list, 'a', "(susso)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(list, "(susso)", &id, &uid, &user, &seat, &path)) > 0) {
		if (nlisted == LOGIND_MAX_SESSIONS) {
			idle_unknown(snap, IDLE_SRC_LOGIND, "ListSessions: more than %d sessions",
				     LOGIND_MAX_SESSIONS);
			goto out;
		}
		listed[nlisted].id = id;
		listed[nlisted++].path = path;
	}
	if (r < 0) {
		idle_unknown(snap, IDLE_SRC_LOGIND, "ListSessions: malformed reply (%s)",
			     strerror(-r));
		goto out;
	}

	for (i = 0; i < nlisted; i++) {
		struct logind_session s;
		const char *missing;
		int64_t t;

		sd_bus_error_free(&error);
		props = sd_bus_message_unref(props);
		r = logind_call(st->bus, listed[i].path, "org.freedesktop.DBus.Properties",
				"GetAll", LOGIND_SESSION, &error, &props);
		/* A session that ended since ListSessions is not an error. */
		if (r < 0 && (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
			      sd_bus_error_has_name(&error, LOGIND_NAME ".NoSuchSession")))
			continue;
		if (r < 0 && is_lost(r)) {
			idle_strlcpyf(lost, lostlen, "session %s: %s", listed[i].id,
				      call_error(&error, r));
			res = LOGIND_LOST;
			goto out;
		}
		if (r < 0) {
			idle_unknown(snap, IDLE_SRC_LOGIND, "session %s: %s", listed[i].id,
				     call_error(&error, r));
			goto out;
		}
		r = parse_session(props, &s);
		if (r < 0) {
			idle_unknown(snap, IDLE_SRC_LOGIND, "session %s: malformed properties (%s)",
				     listed[i].id, strerror(-r));
			goto out;
		}
		missing = missing_property(s.seen);
		if (missing) {
			idle_unknown(snap, IDLE_SRC_LOGIND, "session %s: no %s property",
				     listed[i].id, missing);
			goto out;
		}
		if (!is_user_class(s.class))
			continue;
		t = session_last_ms(&s, st->open_ms, now_ms);
		if (s.remote) {
			if (t > remote_ms)
				remote_ms = t;
			continue;
		}
		/* Neither remote nor on a seat: cron, su, machinectl shell; nobody at the desk. */
		if (!s.seat[0])
			continue;
		nlocal++;
		if (t > local_ms)
			local_ms = t;
		if (is_graphical(s.type)) {
			ngraphical++;
			nlocked += s.locked != 0;
		}
	}

	if (nlocal)
		st->last_local_ms = local_ms;
	snap->status[IDLE_SRC_LOGIND] = IDLE_ST_OK;
	snap->logind_last_ms = st->last_local_ms ? st->last_local_ms : st->open_ms;
	snap->logind_remote_last_ms = remote_ms;
	snap->logind_sessions = nlocal;
	snap->logind_locked = ngraphical == 0 ? -1 : nlocked == ngraphical ? 1 : 0;
	res = LOGIND_OK;
out:
	sd_bus_error_free(&error);
	sd_bus_message_unref(props);
	sd_bus_message_unref(list);
	return res;
}

/*
 * One connection is kept across samples. Any failure drops it, so the next sample starts
 * afresh (logind or the bus may have restarted, and a late reply must not linger). A kept
 * connection found broken is replaced at once, within the same sample.
 */
static void logind_sample(void *state, int64_t now_ms, struct idle_snapshot *snap)
{
	struct logind_state *st = state;
	char lost[IDLE_ERR_LEN] = "";
	enum logind_result res;
	bool fresh;
	int r;

	if (!st) {
		idle_unknown(snap, IDLE_SRC_LOGIND, "logind source not opened");
		return;
	}
	for (;;) {
		fresh = !st->bus;
		if (fresh) {
			r = logind_connect(st);
			/* No bus at all: a minimal machine with nothing to watch. */
			if (r == -ENOENT || r == -ECONNREFUSED) {
				snap->status[IDLE_SRC_LOGIND] = IDLE_ST_NONE;
				return;
			}
			if (r < 0) {
				idle_unknown(snap, IDLE_SRC_LOGIND, "connecting to %s: %s",
					     st->address[0] ? st->address : "the system bus",
					     strerror(-r));
				return;
			}
		}
		res = logind_read(st, now_ms, snap, lost, sizeof(lost));
		if (res == LOGIND_OK)
			return;
		if (res == LOGIND_ABSENT) {
			/* The bus is fine; logind may start later on the same connection. */
			snap->status[IDLE_SRC_LOGIND] = IDLE_ST_NONE;
			return;
		}
		logind_disconnect(st);
		if (res == LOGIND_LOST && !fresh)
			continue;
		if (res == LOGIND_LOST)
			idle_unknown(snap, IDLE_SRC_LOGIND, "%s", lost);
		return;
	}
}

static void logind_close(void *state)
{
	struct logind_state *st = state;

	if (!st)
		return;
	logind_disconnect(st);
	free(st);
}

const struct idle_source_ops idle_src_logind = {
    .id = IDLE_SRC_LOGIND,
    .open = logind_open,
    .sample = logind_sample,
    .close = logind_close,
};
