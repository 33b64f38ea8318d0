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
	struct logind_state *st;

	/* libsystemd is loaded here, when a logind source is configured: unknown without it. */
	if (idle_sd_load(err, errlen) < 0)
		return -1;
	st = calloc(1, sizeof(*st));
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

/* What logind_read() gathers over the sessions. */
struct logind_tally {
	int64_t local_ms;  /* the latest activity of a local session, ms; 0 if none */
	int64_t remote_ms; /* the latest activity of a remote session, ms; 0 if none */
	int nlocal;	   /* local sessions (on a seat) of user class */
	int ngraphical;	   /* of them, graphical ones */
	int nlocked;	   /* of those, locked ones */
};

/*
 * Reads ListSessions into [listed] (at most LOGIND_MAX_SESSIONS, pointing into [*list],
 * which the caller unrefs) and their count into [*nlisted]. Returns LOGIND_OK, or what
 * logind_read() returns when it fails.
 */
static enum logind_result list_sessions(struct logind_state *st, struct idle_snapshot *snap,
					char *lost, size_t lostlen, sd_bus_message **list,
					struct logind_listed *listed, int *nlisted)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	enum logind_result res = LOGIND_FAILED;
	const char *id, *seat, *user, *path;
	uint32_t uid;
	int r;

	r = idle_logind_call(st->bus, IDLE_LOGIND_PATH, IDLE_LOGIND_MANAGER, "ListSessions", NULL,
			     &error, list);
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
	r = idle_sd.sd_bus_message_enter_container(*list, 'a', "(susso)");
	while (r >= 0 && (r = idle_sd.sd_bus_message_read(*list, "(susso)", &id, &uid, &user, &seat,
							  &path)) > 0) {
		if (*nlisted == LOGIND_MAX_SESSIONS) {
			idle_unknown(snap, IDLE_SRC_LOGIND, "ListSessions: more than %d sessions",
				     LOGIND_MAX_SESSIONS);
			goto out;
		}
		listed[*nlisted].id = id;
		listed[(*nlisted)++].path = path;
	}
	if (r < 0) {
		idle_unknown(snap, IDLE_SRC_LOGIND, "ListSessions: malformed reply (%s)",
			     strerror(-r));
		goto out;
	}
	res = LOGIND_OK;
out:
	idle_sd.sd_bus_error_free(&error);
	return res;
}

/*
 * Reads the properties of the listed session [ls] into [s]. Returns LOGIND_OK, LOGIND_ABSENT
 * if the session ended since ListSessions (not an error: it is left out), or what
 * logind_read() returns when it fails.
 */
static enum logind_result read_session(struct logind_state *st, const struct logind_listed *ls,
				       struct idle_logind_session *s, struct idle_snapshot *snap,
				       char *lost, size_t lostlen)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *props = NULL;
	enum logind_result res = LOGIND_FAILED;
	const char *missing;
	int r;

	r = idle_logind_call(st->bus, ls->path, "org.freedesktop.DBus.Properties", "GetAll",
			     IDLE_LOGIND_SESSION, &error, &props);
	if (r < 0 && idle_logind_gone(&error)) {
		res = LOGIND_ABSENT;
		goto out;
	}
	if (r < 0 && idle_logind_lost(r)) {
		idle_strlcpyf(lost, lostlen, "session %s: %s", ls->id,
			      idle_logind_error(&error, r));
		res = LOGIND_LOST;
		goto out;
	}
	if (r < 0) {
		idle_unknown(snap, IDLE_SRC_LOGIND, "session %s: %s", ls->id,
			     idle_logind_error(&error, r));
		goto out;
	}
	r = idle_logind_parse_session(props, s);
	if (r < 0) {
		idle_unknown(snap, IDLE_SRC_LOGIND, "session %s: malformed properties (%s)", ls->id,
			     strerror(-r));
		goto out;
	}
	missing = missing_property(s->seen);
	if (missing) {
		idle_unknown(snap, IDLE_SRC_LOGIND, "session %s: no %s property", ls->id, missing);
		goto out;
	}
	res = LOGIND_OK;
out:
	idle_sd.sd_bus_error_free(&error);
	idle_sd.sd_bus_message_unref(props);
	return res;
}

/* Counts the session [s] into [t]: the user's sessions, remote or at a seat. */
static void tally_session(struct logind_tally *t, const struct idle_logind_session *s,
			  const struct logind_state *st, int64_t now_ms)
{
	int64_t last;

	if (!idle_logind_user_class(s->class))
		return;
	last = session_last_ms(s, st->open_ms, now_ms);
	if (s->remote) {
		if (last > t->remote_ms)
			t->remote_ms = last;
		return;
	}
	/* Neither remote nor on a seat: cron, su, machinectl shell; nobody at the desk. */
	if (!s->seat[0])
		return;
	t->nlocal++;
	if (last > t->local_ms)
		t->local_ms = last;
	if (is_graphical(s->type)) {
		t->ngraphical++;
		t->nlocked += s->locked != 0;
	}
}

/*
 * Reads ListSessions and every session's properties into [snap]. On LOGIND_FAILED the
 * snapshot's error is set; on LOGIND_LOST [lost] says which call broke and how.
 */
static enum logind_result logind_read(struct logind_state *st, int64_t now_ms,
				      struct idle_snapshot *snap, char *lost, size_t lostlen)
{
	struct logind_listed listed[LOGIND_MAX_SESSIONS];
	struct logind_tally t = {0};
	sd_bus_message *list = NULL;
	enum logind_result res;
	int nlisted = 0, i;

	res = list_sessions(st, snap, lost, lostlen, &list, listed, &nlisted);
	for (i = 0; res == LOGIND_OK && i < nlisted; i++) {
		struct idle_logind_session s;

		res = read_session(st, &listed[i], &s, snap, lost, lostlen);
		if (res == LOGIND_OK)
			tally_session(&t, &s, st, now_ms);
		else if (res == LOGIND_ABSENT) /* ended since ListSessions */
			res = LOGIND_OK;
	}
	if (res == LOGIND_OK) {
		if (t.nlocal)
			st->last_local_ms = t.local_ms;
		snap->status[IDLE_SRC_LOGIND] = IDLE_ST_OK;
		snap->logind_last_ms = st->last_local_ms ? st->last_local_ms : st->open_ms;
		snap->logind_remote_last_ms = t.remote_ms;
		snap->logind_sessions = t.nlocal;
		snap->logind_locked = t.ngraphical == 0 ? -1 : t.nlocked == t.ngraphical ? 1 : 0;
	}
	idle_sd.sd_bus_message_unref(list);
	return res;
}

/*
 * One connection is kept across samples. Any failure drops it, so the next sample starts
 * afresh (logind or the bus may have restarted, and a late reply must not linger). A kept
 * connection found broken is replaced at once, within the same sample.
 */
static void logind_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
			  struct idle_snapshot *snap)
{
	struct logind_state *st = state;
	char lost[IDLE_ERR_LEN] = "";
	enum logind_result res;
	bool fresh;
	int r;

	(void)sh;
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
