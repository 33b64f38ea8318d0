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
#include "logind.h"

/* A desktop has a handful of sessions; more than this is not a desktop, and reading them all
 * at one call each would make a sample slow. */
#define LOGIND_MAX_SESSIONS 256

struct logind_state {
	sd_bus *bus;		     /* the connection, NULL until the next sample (re)connects */
	char address[PATH_MAX + 16]; /* D-Bus address to connect to; "" = sd_bus_open_system() */
	int64_t open_ms;	     /* when the source was opened: no activity is older (ms) */
	/* logind_last_ms of the last sample that saw a local session, 0 before any (ms): after a
	 * logout the owner was last seen then, not at start-up */
	int64_t last_local_ms;
};

/* How reading logind ended. */
enum logind_result {
	LOGIND_OK,     /* the snapshot is filled */
	LOGIND_ABSENT, /* nobody owns org.freedesktop.login1 */
	LOGIND_FAILED, /* logind answered badly: the snapshot's error says how */
	LOGIND_LOST,   /* the connection broke: a new one may succeed */
};

static int logind_open(void **state, const struct idle_sources *conf, const char *root,
		       int64_t now_ms, char *err, size_t errlen)
{
	struct logind_state *st = calloc(1, sizeof(*st));

	if (!st) {
		idle_strlcpyf(err, errlen, "out of memory");
		return -1;
	}
	st->open_ms = now_ms;
	idle_logind_address(st->address, sizeof(st->address), conf->logind_bus, root);
	*state = st;
	return 0;
}

/* The name of the first required property GetAll left out, or NULL. */
static const char *missing_property(unsigned seen)
{
	static const struct {
		unsigned bit;
		const char *name;
	} req[] = {
	    {IDLE_LOGIND_SEEN_IDLE, "IdleHint"}, {IDLE_LOGIND_SEEN_IDLE_SINCE, "IdleSinceHint"},
	    {IDLE_LOGIND_SEEN_REMOTE, "Remote"}, {IDLE_LOGIND_SEEN_SEAT, "Seat"},
	    {IDLE_LOGIND_SEEN_CLASS, "Class"},	 {IDLE_LOGIND_SEEN_TYPE, "Type"}};
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
static int64_t session_last_ms(const struct idle_logind_session *s, int64_t open_ms, int64_t now_ms)
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

	r = idle_logind_call(st->bus, IDLE_LOGIND_PATH, IDLE_LOGIND_MANAGER, "ListSessions", NULL,
			     &error, &list);
	if (r < 0) {
		if (idle_logind_absent(&error)) {
			res = LOGIND_ABSENT;
		} else if (idle_logind_lost(r)) {
			idle_strlcpyf(lost, lostlen, "ListSessions: %s",
				      idle_logind_error(&error, r));
			res = LOGIND_LOST;
		} else {
			idle_unknown(snap, IDLE_SRC_LOGIND, "ListSessions: %s",
				     idle_logind_error(&error, r));
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
		struct idle_logind_session s;
		const char *missing;
		int64_t t;

		sd_bus_error_free(&error);
		props = sd_bus_message_unref(props);
		r = idle_logind_call(st->bus, listed[i].path, "org.freedesktop.DBus.Properties",
				     "GetAll", IDLE_LOGIND_SESSION, &error, &props);
		/* A session that ended since ListSessions is not an error. */
		if (r < 0 && idle_logind_gone(&error))
			continue;
		if (r < 0 && idle_logind_lost(r)) {
			idle_strlcpyf(lost, lostlen, "session %s: %s", listed[i].id,
				      idle_logind_error(&error, r));
			res = LOGIND_LOST;
			goto out;
		}
		if (r < 0) {
			idle_unknown(snap, IDLE_SRC_LOGIND, "session %s: %s", listed[i].id,
				     idle_logind_error(&error, r));
			goto out;
		}
		r = idle_logind_parse_session(props, &s);
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
		if (!idle_logind_user_class(s.class))
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
			r = idle_logind_connect(st->address, &st->bus);
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
		idle_logind_disconnect(&st->bus);
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
	idle_logind_disconnect(&st->bus);
	free(st);
}

const struct idle_source_ops idle_src_logind = {
    .id = IDLE_SRC_LOGIND,
    .open = logind_open,
    .sample = logind_sample,
    .close = logind_close,
};
