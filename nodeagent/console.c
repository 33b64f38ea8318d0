/* SPDX-License-Identifier: MIT */
/*
 * console.c - who is the person at the console: seat0's active local session as logind tells
 * it, or, where logind is absent, a live local utmp entry.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "utmp_read.h"

#ifdef HAVE_SYSTEMD
#include "logind.h"
#endif

/*
 * Why logind first: it is what the desktop itself asks (polkit's "active local session",
 * GNOME's user switching). It knows Wayland sessions, which write no utmp entry, and an X
 * session at ":0", which utmp lists with a host field; it never keeps a session whose
 * processes are gone; and after a switch of users it knows which of two logged-in people
 * is in front of the screen. utmp stays as the fallback for machines without logind, and
 * only its live, local entries count: a crashed session's entry must not grant the right.
 */

/* How asking logind ended. */
enum console_answer {
	CONSOLE_REFUSED, /* logind answered, and [uid] is not at the console, or it failed */
	CONSOLE_ALLOWED, /* logind says [uid] is at the console */
	CONSOLE_ABSENT,	 /* no logind: ask utmp */
};

#ifdef HAVE_SYSTEMD
/* The properties the rule reads, with their names for a message about a missing one. */
static const struct {
	unsigned bit;
	const char *name;
} needed[] = {
    {IDLE_LOGIND_SEEN_USER, "User"},	 {IDLE_LOGIND_SEEN_CLASS, "Class"},
    {IDLE_LOGIND_SEEN_REMOTE, "Remote"}, {IDLE_LOGIND_SEEN_ACTIVE, "Active"},
    {IDLE_LOGIND_SEEN_SEAT, "Seat"},
};

/* Judges seat0's active session [id], whose properties are [s]. */
static enum console_answer judge(const char *id, const struct idle_logind_session *s, uid_t uid,
				 char *why, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!(s->seen & needed[i].bit)) {
			snprintf(why, len, "logind: session %s: no %s property", id,
				 needed[i].name);
			return CONSOLE_REFUSED;
		}
	}
	if (s->uid != (uint32_t)uid)
		snprintf(why, len, "logind: the active session on seat0 is %s, of uid %u", id,
			 (unsigned)s->uid);
	else if (!idle_logind_user_class(s->class))
		snprintf(why, len, "logind: the active session on seat0 is %s, of class %s", id,
			 s->class);
	else if (s->remote)
		snprintf(why, len, "logind: the active session on seat0 is %s, a remote one", id);
	else if (!s->active || strcmp(s->seat, "seat0"))
		snprintf(why, len, "logind: session %s is not active on seat0", id);
	else {
		snprintf(why, len, "logind: session %s (%s) is the active session on seat0", id,
			 s->type[0] ? s->type : "unspecified");
		return CONSOLE_ALLOWED;
	}
	return CONSOLE_REFUSED;
}

static enum console_answer ask_logind(const struct idle_sources *src, const char *root, uid_t uid,
				      char *why, size_t len)
{
	char address[PATH_MAX + 16], id[64], path[256];
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	enum console_answer res = CONSOLE_REFUSED;
	struct idle_logind_session s;
	sd_bus *bus = NULL;
	int r;

	if (idle_logind_no_system_bus(src->logind_bus, root))
		return CONSOLE_ABSENT;
	idle_logind_address(address, sizeof(address), src->logind_bus, root);
	/* No bus, or no libsystemd (then no systemd-logind either, which needs it): ask utmp. */
	if (idle_logind_bus_missing(address) || idle_sd_load(why, len) < 0)
		return CONSOLE_ABSENT;
	r = idle_logind_connect(address, &bus);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return CONSOLE_ABSENT; /* no bus at all */
	if (r < 0) {
		snprintf(why, len, "logind: connecting to %s: %s",
			 address[0] ? address : "the system bus", strerror(-r));
		return CONSOLE_REFUSED;
	}
	r = idle_logind_call(bus, IDLE_LOGIND_SEAT0_PATH, "org.freedesktop.DBus.Properties",
			     "GetAll", IDLE_LOGIND_SEAT, &error, &reply);
	if (r < 0 && idle_logind_absent(&error)) {
		res = CONSOLE_ABSENT;
		goto out;
	}
	if (r < 0) {
		snprintf(why, len, "logind: seat0: %s", idle_logind_error(&error, r));
		goto out;
	}
	r = idle_logind_parse_seat(reply, id, sizeof(id), path, sizeof(path));
	if (r <= 0) {
		snprintf(why, len, "logind: seat0: %s%s", r < 0 ? "malformed properties: " : "",
			 r < 0 ? strerror(-r) : "no ActiveSession property");
		goto out;
	}
	if (!id[0]) {
		snprintf(why, len, "logind: no session is active on seat0");
		goto out;
	}
	reply = idle_sd.sd_bus_message_unref(reply);
	r = idle_logind_call(bus, path, "org.freedesktop.DBus.Properties", "GetAll",
			     IDLE_LOGIND_SESSION, &error, &reply);
	if (r < 0) {
		snprintf(why, len, "logind: session %s: %s", id,
			 idle_logind_gone(&error) ? "gone" : idle_logind_error(&error, r));
		goto out;
	}
	r = idle_logind_parse_session(reply, &s);
	if (r < 0) {
		snprintf(why, len, "logind: session %s: malformed properties: %s", id,
			 strerror(-r));
		goto out;
	}
	res = judge(id, &s, uid, why, len);
out:
	idle_sd.sd_bus_error_free(&error);
	idle_sd.sd_bus_message_unref(reply);
	idle_logind_disconnect(&bus);
	return res;
}
#else
static enum console_answer ask_logind(const struct idle_sources *src, const char *root, uid_t uid,
				      char *why, size_t len)
{
	(void)src, (void)root, (void)uid, (void)why, (void)len;
	return CONSOLE_ABSENT; /* built without sd-bus: logind cannot be asked */
}
#endif

/* True if a live, local utmp entry is [uid]'s. */
static bool ask_utmp(const struct idle_sources *src, const char *root, uid_t uid, char *why,
		     size_t len)
{
	struct idle_utmp u = {0};
	char err[256];
	size_t i;

	if (idle_utmp_read(root, src->utmp_file, &u, err, sizeof(err)) < 0) {
		snprintf(why, len, "utmp (no logind): %s", err);
		idle_utmp_free(&u);
		return false;
	}
	for (i = 0; i < u.n; i++) {
		struct passwd pw, *res = NULL;
		char pwbuf[1024];

		if (u.v[i].remote)
			continue;
		if (getpwnam_r(u.v[i].user, &pw, pwbuf, sizeof(pwbuf), &res) || !res ||
		    pw.pw_uid != uid)
			continue;
		snprintf(why, len, "utmp (no logind): %s is logged in on %s (pid %d)", u.v[i].user,
			 u.v[i].line, u.v[i].pid);
		idle_utmp_free(&u);
		return true;
	}
	snprintf(why, len, "utmp (no logind): no live local login of uid %u", (unsigned)uid);
	idle_utmp_free(&u);
	return false;
}

bool agent_console_user(const struct idle_sources *src, const char *root, uid_t uid, char *why,
			size_t whylen)
{
	if (uid == 0) {
		snprintf(why, whylen, "root");
		return true;
	}
	switch (ask_logind(src, root, uid, why, whylen)) {
	case CONSOLE_ALLOWED:
		return true;
	case CONSOLE_REFUSED:
		return false;
	case CONSOLE_ABSENT:
		break;
	}
	return ask_utmp(src, root, uid, why, whylen);
}
