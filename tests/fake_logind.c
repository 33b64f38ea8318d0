/* SPDX-License-Identifier: MIT */
/*
 * fake_logind.c - a stand-in org.freedesktop.login1 for the tests of the logind source and of
 * idleaccd's console rule: serves Manager.ListSessions, the Session objects' properties and
 * the Seat objects' ActiveSession from a text file; and, for idleaccd's shutdown handling,
 * Manager.Inhibit, the InhibitDelayMaxUSec property and PrepareForShutdown on demand.
 *
 * Usage: fake_logind [-a ADDRESS] FILE
 * Connects to ADDRESS (default $DBUS_SYSTEM_BUS_ADDRESS), takes the name
 * org.freedesktop.login1, prints "READY" on stdout and serves until the bus goes away.
 * FILE is read again on every call, so a test changes it between samples. One item a line:
 *
 *   # comment
 *   fail=NAME [MESSAGE]  ListSessions answers the D-Bus error NAME with MESSAGE
 *   hang=1               ListSessions never answers
 *   delay=MS             ListSessions answers after MS milliseconds (a slow logind)
 *   badlist=1            ListSessions answers with a reply of the wrong type
 *   ID key=value ...     a session; keys and defaults: uid=1000 user=user seat= remote=0
 *                        class=user type=tty idle=0 idle_since_us=0 locked=0 active=1
 *                        gone=0 (gone=1: listed, but its object is gone, as after a logout)
 *
 *
 * Manager.Inhibit(what, who, why, mode) answers the write end of a pipe, as logind does, and
 * prints "INHIBIT what who why mode"; when the caller closes it, "RELEASED who". SIGUSR1
 * emits PrepareForShutdown(true) and prints "PREPARE true"; SIGUSR2 emits (false).
 * InhibitDelayMaxUSec is $FAKE_INHIBIT_DELAY_MAX_USEC, else 5000000 (logind's default).
 *
 * As in real logind, seat0 always exists, and so does every seat a session names; a seat's
 * ActiveSession is its first session with active=1 (("", "/") when it has none), and a
 * session's User is (uid, /org/freedesktop/login1/user/_UID).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define FAKE_MAX_SESSIONS 512
#define SESSION_PREFIX	  "/org/freedesktop/login1/session"
#define SEAT_PREFIX	  "/org/freedesktop/login1/seat"

struct fake_session {
	char id[64];		/* session id */
	uint32_t uid;		/* owner's uid */
	char user[64];		/* owner's name */
	char seat[64];		/* seat id, "" for none */
	int remote;		/* Remote */
	char class[32];		/* Class */
	char type[32];		/* Type */
	int idle;		/* IdleHint */
	uint64_t idle_since_us; /* IdleSinceHint, CLOCK_REALTIME microseconds */
	int locked;		/* LockedHint */
	int active;		/* Active */
	int gone;		/* listed by ListSessions, but no object */
};

/* The file, as read by the latest call. */
struct fake_state {
	const char *file;	/* path of the sessions file */
	char fail_name[128];	/* ListSessions error name, "" = answer normally */
	char fail_message[256]; /* its message */
	int hang;		/* ListSessions never answers */
	int delay_ms;		/* ListSessions answers this late (milliseconds) */
	int badlist;		/* ListSessions answers a wrong type */
	int nsessions;
	struct fake_session sessions[FAKE_MAX_SESSIONS];
};

static struct fake_state fake;

/* Calls left unanswered on purpose (hang=1): kept so sd-bus does not answer them. */
static sd_bus_message *hung[64];
static int nhung;

/* Inhibitors taken: our read end of each pipe, to see the caller close its end. */
struct fake_inhibitor {
	int fd;	      /* read end; -1 when the slot is free */
	char who[64]; /* the caller's "who" */
};
static struct fake_inhibitor inhibitors[16];

static int set_key(struct fake_session *s, const char *key, const char *val)
{
	char *end;

	if (!strcmp(key, "uid"))
		s->uid = (uint32_t)strtoul(val, &end, 10);
	else if (!strcmp(key, "user"))
		snprintf(s->user, sizeof(s->user), "%s", val);
	else if (!strcmp(key, "seat"))
		snprintf(s->seat, sizeof(s->seat), "%s", val);
	else if (!strcmp(key, "remote"))
		s->remote = atoi(val);
	else if (!strcmp(key, "class"))
		snprintf(s->class, sizeof(s->class), "%s", val);
	else if (!strcmp(key, "type"))
		snprintf(s->type, sizeof(s->type), "%s", val);
	else if (!strcmp(key, "idle"))
		s->idle = atoi(val);
	else if (!strcmp(key, "idle_since_us"))
		s->idle_since_us = strtoull(val, &end, 10);
	else if (!strcmp(key, "locked"))
		s->locked = atoi(val);
	else if (!strcmp(key, "active"))
		s->active = atoi(val);
	else if (!strcmp(key, "gone"))
		s->gone = atoi(val);
	else
		return -1;
	return 0;
}

/* Reads the file into [fake]. Returns 0, or -1 with [why] filled. */
static int load(char *why, size_t len)
{
	char line[1024];
	int lineno = 0;
	FILE *f = fopen(fake.file, "re");

	fake.fail_name[0] = fake.fail_message[0] = '\0';
	fake.hang = fake.badlist = fake.nsessions = fake.delay_ms = 0;
	if (!f) {
		snprintf(why, len, "%s: %s", fake.file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok;
		struct fake_session *s;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " \t", &save);
		if (!tok || tok[0] == '#')
			continue;
		if (!strncmp(tok, "fail=", 5)) {
			snprintf(fake.fail_name, sizeof(fake.fail_name), "%s", tok + 5);
			tok = strtok_r(NULL, "", &save);
			snprintf(fake.fail_message, sizeof(fake.fail_message), "%s",
				 tok ? tok : "");
			continue;
		}
		if (!strcmp(tok, "hang=1")) {
			fake.hang = 1;
			continue;
		}
		if (!strncmp(tok, "delay=", 6)) {
			fake.delay_ms = atoi(tok + 6);
			continue;
		}
		if (!strcmp(tok, "badlist=1")) {
			fake.badlist = 1;
			continue;
		}
		if (fake.nsessions == FAKE_MAX_SESSIONS || strchr(tok, '=')) {
			snprintf(why, len, "%s:%d: bad line", fake.file, lineno);
			fclose(f);
			return -1;
		}
		s = &fake.sessions[fake.nsessions++];
		memset(s, 0, sizeof(*s));
		snprintf(s->id, sizeof(s->id), "%s", tok);
		s->uid = 1000;
		snprintf(s->user, sizeof(s->user), "user");
		snprintf(s->class, sizeof(s->class), "user");
		snprintf(s->type, sizeof(s->type), "tty");
		s->active = 1;
		while ((tok = strtok_r(NULL, " \t", &save))) {
			char *eq = strchr(tok, '=');

			if (eq)
				*eq = '\0';
			if (!eq || set_key(s, tok, eq + 1) < 0) {
				snprintf(why, len, "%s:%d: bad key %s", fake.file, lineno, tok);
				fclose(f);
				return -1;
			}
		}
	}
	fclose(f);
	return 0;
}

static int list_sessions(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	sd_bus_message *reply = NULL;
	char why[512];
	int i, r;

	(void)userdata;
	if (load(why, sizeof(why)) < 0)
		return sd_bus_error_set(error, "org.freedesktop.DBus.Error.InvalidArgs", why);
	if (fake.fail_name[0])
		return sd_bus_error_set(error, fake.fail_name,
					fake.fail_message[0] ? fake.fail_message : NULL);
	if (fake.hang) {
		/* No reply: the caller must give up by its own timeout. */
		if (nhung < (int)(sizeof(hung) / sizeof(hung[0])))
			hung[nhung++] = sd_bus_message_ref(m);
		return 1;
	}
	if (fake.badlist)
		return sd_bus_reply_method_return(m, "as", 1, "not-a-session");
	if (fake.delay_ms > 0)
		poll(NULL, 0, fake.delay_ms); /* nothing else to serve meanwhile: one caller */

	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(susso)");
	for (i = 0; r >= 0 && i < fake.nsessions; i++) {
		const struct fake_session *s = &fake.sessions[i];
		char *path = NULL;

		r = sd_bus_path_encode(SESSION_PREFIX, s->id, &path);
		if (r >= 0)
			r = sd_bus_message_append(reply, "(susso)", s->id, s->uid, s->user, s->seat,
						  path);
		free(path);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	return r;
}

/* Resolves a session object path to the session, as read from the file now. */
static int find_session(sd_bus *bus, const char *path, const char *interface, void *userdata,
			void **found, sd_bus_error *error)
{
	char why[512], *id = NULL;
	int i;

	(void)bus, (void)interface, (void)userdata, (void)error;
	if (sd_bus_path_decode(path, SESSION_PREFIX, &id) <= 0)
		return 0;
	if (load(why, sizeof(why)) < 0) {
		free(id);
		return 0;
	}
	for (i = 0; i < fake.nsessions; i++) {
		if (!strcmp(fake.sessions[i].id, id) && !fake.sessions[i].gone) {
			*found = &fake.sessions[i];
			free(id);
			return 1;
		}
	}
	free(id);
	return 0;
}

static int get_property(sd_bus *bus, const char *path, const char *interface, const char *property,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const struct fake_session *s = userdata;
	char seat_path[256], user_path[64];

	(void)bus, (void)path, (void)interface, (void)error;
	if (!strcmp(property, "Id"))
		return sd_bus_message_append(reply, "s", s->id);
	if (!strcmp(property, "Name"))
		return sd_bus_message_append(reply, "s", s->user);
	if (!strcmp(property, "IdleHint"))
		return sd_bus_message_append(reply, "b", s->idle);
	if (!strcmp(property, "IdleSinceHint"))
		return sd_bus_message_append(reply, "t", s->idle_since_us);
	if (!strcmp(property, "LockedHint"))
		return sd_bus_message_append(reply, "b", s->locked);
	if (!strcmp(property, "Remote"))
		return sd_bus_message_append(reply, "b", s->remote);
	if (!strcmp(property, "Class"))
		return sd_bus_message_append(reply, "s", s->class);
	if (!strcmp(property, "Type"))
		return sd_bus_message_append(reply, "s", s->type);
	if (!strcmp(property, "Active"))
		return sd_bus_message_append(reply, "b", s->active);
	if (!strcmp(property, "User")) {
		snprintf(user_path, sizeof(user_path), "/org/freedesktop/login1/user/_%u",
			 (unsigned)s->uid);
		return sd_bus_message_append(reply, "(uo)", s->uid, user_path);
	}
	if (!strcmp(property, "Seat")) {
		/* logind's own convention: no seat is ("", "/"). */
		snprintf(seat_path, sizeof(seat_path), "%s%s", s->seat[0] ? SEAT_PREFIX "/" : "/",
			 s->seat);
		return sd_bus_message_append(reply, "(so)", s->seat, seat_path);
	}
	return -ENOENT;
}

/* The seat being read: find_seat() sets it for the property calls that follow. */
static char seat_found[64];

/* Resolves a seat object path: seat0, or a seat some session names. */
static int find_seat(sd_bus *bus, const char *path, const char *interface, void *userdata,
		     void **found, sd_bus_error *error)
{
	char why[512], *id = NULL;
	int i, known;

	(void)bus, (void)interface, (void)userdata, (void)error;
	if (sd_bus_path_decode(path, SEAT_PREFIX, &id) <= 0)
		return 0;
	if (load(why, sizeof(why)) < 0) {
		free(id);
		return 0;
	}
	known = !strcmp(id, "seat0");
	for (i = 0; !known && i < fake.nsessions; i++)
		known = !strcmp(fake.sessions[i].seat, id);
	if (known) {
		snprintf(seat_found, sizeof(seat_found), "%s", id);
		*found = seat_found;
	}
	free(id);
	return known;
}

static int get_seat_property(sd_bus *bus, const char *path, const char *interface,
			     const char *property, sd_bus_message *reply, void *userdata,
			     sd_bus_error *error)
{
	const char *seat = userdata;
	char *session_path = NULL;
	int i, r;

	(void)bus, (void)path, (void)interface, (void)error;
	if (!strcmp(property, "Id"))
		return sd_bus_message_append(reply, "s", seat);
	if (strcmp(property, "ActiveSession"))
		return -ENOENT;
	for (i = 0; i < fake.nsessions; i++) {
		const struct fake_session *s = &fake.sessions[i];

		if (strcmp(s->seat, seat) || !s->active || s->gone)
			continue;
		r = sd_bus_path_encode(SESSION_PREFIX, s->id, &session_path);
		if (r < 0)
			return r;
		r = sd_bus_message_append(reply, "(so)", s->id, session_path);
		free(session_path);
		return r;
	}
	return sd_bus_message_append(reply, "(so)", "", "/");
}

/* Manager.Inhibit: the write end of a pipe for the caller, the read end watched. */
static int inhibit(sd_bus_message *m, sd_bus_error *error)
{
	const char *what, *who, *why, *mode;
	int p[2], r;
	size_t i;

	r = sd_bus_message_read(m, "ssss", &what, &who, &why, &mode);
	if (r < 0)
		return r;
	for (i = 0; i < sizeof(inhibitors) / sizeof(inhibitors[0]); i++)
		if (inhibitors[i].fd < 0)
			break;
	if (i == sizeof(inhibitors) / sizeof(inhibitors[0]))
		return sd_bus_error_set(error, "org.freedesktop.DBus.Error.LimitsExceeded",
					"too many inhibitors");
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	r = sd_bus_reply_method_return(m, "h", p[1]);
	close(p[1]); /* sent: the caller holds the only write end */
	if (r < 0) {
		close(p[0]);
		return r;
	}
	inhibitors[i].fd = p[0];
	snprintf(inhibitors[i].who, sizeof(inhibitors[i].who), "%s", who);
	printf("INHIBIT %s %s %s %s\n", what, who, why, mode);
	fflush(stdout);
	return 1;
}

/* Properties.Get of the Manager: InhibitDelayMaxUSec only. */
static int manager_get(sd_bus_message *m, sd_bus_error *error)
{
	const char *iface, *prop, *env = getenv("FAKE_INHIBIT_DELAY_MAX_USEC");
	uint64_t usec = env && *env ? strtoull(env, NULL, 10) : 5000000;
	int r;

	r = sd_bus_message_read(m, "ss", &iface, &prop);
	if (r < 0)
		return r;
	if (strcmp(prop, "InhibitDelayMaxUSec"))
		return sd_bus_error_set(error, "org.freedesktop.DBus.Error.UnknownProperty", prop);
	return sd_bus_reply_method_return(m, "v", "t", usec);
}

/* Manager calls. A plain object callback rather than a vtable: sd-bus would refuse to send a
 * reply of the wrong type (badlist=1) for a vtable method. */
static int manager_call(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	if (sd_bus_message_is_method_call(m, "org.freedesktop.login1.Manager", "Inhibit"))
		return inhibit(m, error);
	if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Get"))
		return manager_get(m, error);
	if (!sd_bus_message_is_method_call(m, "org.freedesktop.login1.Manager", "ListSessions"))
		return 0;
	return list_sessions(m, userdata, error);
}

/* An inhibitor's read end is readable (EOF): its holder closed the lock. */
static void released(struct fake_inhibitor *in)
{
	printf("RELEASED %s\n", in->who);
	fflush(stdout);
	close(in->fd);
	in->fd = -1;
}

static const sd_bus_vtable session_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", get_property, 0, 0),
    SD_BUS_PROPERTY("Name", "s", get_property, 0, 0),
    SD_BUS_PROPERTY("User", "(uo)", get_property, 0, 0),
    SD_BUS_PROPERTY("Seat", "(so)", get_property, 0, 0),
    SD_BUS_PROPERTY("Remote", "b", get_property, 0, 0),
    SD_BUS_PROPERTY("Class", "s", get_property, 0, 0),
    SD_BUS_PROPERTY("Type", "s", get_property, 0, 0),
    SD_BUS_PROPERTY("Active", "b", get_property, 0, 0),
    SD_BUS_PROPERTY("IdleHint", "b", get_property, 0, 0),
    SD_BUS_PROPERTY("IdleSinceHint", "t", get_property, 0, 0),
    SD_BUS_PROPERTY("LockedHint", "b", get_property, 0, 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable seat_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", get_seat_property, 0, 0),
    SD_BUS_PROPERTY("ActiveSession", "(so)", get_seat_property, 0, 0),
    SD_BUS_VTABLE_END,
};

static void usage(void)
{
	fprintf(stderr, "usage: fake_logind [-a ADDRESS] FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	sd_bus *bus = NULL;
	sigset_t sigs;
	size_t i;
	int r, sfd;

	if (argc == 4 && !strcmp(argv[1], "-a"))
		address = argv[2], fake.file = argv[3];
	else if (argc == 2 && argv[1][0] != '-')
		fake.file = argv[1];
	else
		usage();
	if (!address || !*address) {
		fprintf(stderr, "fake_logind: no bus address (-a or DBUS_SYSTEM_BUS_ADDRESS)\n");
		return 1;
	}

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_add_object(bus, NULL, "/org/freedesktop/login1", manager_call, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(bus, NULL, SESSION_PREFIX,
					       "org.freedesktop.login1.Session", session_vtable,
					       find_session, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(bus, NULL, SEAT_PREFIX,
					       "org.freedesktop.login1.Seat", seat_vtable,
					       find_seat, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.login1", 0);
	if (r < 0) {
		fprintf(stderr, "fake_logind: %s: %s\n", address, strerror(-r));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);

	for (i = 0; i < sizeof(inhibitors) / sizeof(inhibitors[0]); i++)
		inhibitors[i].fd = -1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("fake_logind: signalfd");
		return 1;
	}
	for (;;) {
		struct pollfd pfd[2 + sizeof(inhibitors) / sizeof(inhibitors[0])];
		struct signalfd_siginfo si;
		nfds_t n = 0;

		r = sd_bus_process(bus, NULL);
		if (r > 0)
			continue;
		if (r < 0)
			break;
		pfd[n++] = (struct pollfd){.fd = sd_bus_get_fd(bus), .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		for (i = 0; i < sizeof(inhibitors) / sizeof(inhibitors[0]); i++)
			pfd[n++] = (struct pollfd){.fd = inhibitors[i].fd, .events = POLLIN};
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & (POLLHUP | POLLERR))
			break; /* the bus went away */
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			int start = si.ssi_signo == SIGUSR1;

			r = sd_bus_emit_signal(bus, "/org/freedesktop/login1",
					       "org.freedesktop.login1.Manager",
					       "PrepareForShutdown", "b", start);
			printf("PREPARE %s%s\n", start ? "true" : "false",
			       r < 0 ? " (failed)" : "");
			fflush(stdout);
		}
		for (i = 0; i < sizeof(inhibitors) / sizeof(inhibitors[0]); i++)
			if (inhibitors[i].fd >= 0 && pfd[2 + i].revents)
				released(&inhibitors[i]);
	}
	/* The bus went away: that is how a test stops us. */
	while (nhung > 0)
		sd_bus_message_unref(hung[--nhung]);
	sd_bus_unref(bus);
	return 0;
}
