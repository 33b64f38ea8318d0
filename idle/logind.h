/* SPDX-License-Identifier: MIT */
/*
 * logind.h - libidle's client of systemd-logind over sd-bus, shared by the logind idle source
 * (src_logind.c) and idleaccd's console rule (nodeagent/console.c): where the bus is, calls
 * that cannot hang, and what a session's and a seat's properties say. Built only where
 * configure found libsystemd's headers (HAVE_SYSTEMD); libsystemd itself is loaded at run time
 * (dl_systemd.h): every function here but idle_logind_address(), idle_logind_bus_missing(),
 * idle_logind_no_system_bus(), idle_logind_lost() and idle_logind_user_class() needs
 * idle_sd_load() to have succeeded.
 */
#ifndef IDLE_LOGIND_H
#define IDLE_LOGIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "ctl.h"
#include "dl_systemd.h"

#define IDLE_LOGIND_NAME    "org.freedesktop.login1"
#define IDLE_LOGIND_PATH    "/org/freedesktop/login1"
#define IDLE_LOGIND_MANAGER IDLE_LOGIND_NAME ".Manager"
#define IDLE_LOGIND_SESSION IDLE_LOGIND_NAME ".Session"
#define IDLE_LOGIND_SEAT    IDLE_LOGIND_NAME ".Seat"
/* The seat of the machine's own screen and keyboard; logind always has it. */
#define IDLE_LOGIND_SEAT0_PATH IDLE_LOGIND_PATH "/seat/seat0"

/* A healthy logind answers in milliseconds; a hung one must not stall the agent's loop, which
 * also watches the keyboard and answers the plugin: the control socket's timeouts are derived
 * from this bound (common/ctl.h). Passed to every call rather than set on the connection because
 * sd_bus_set_method_call_timeout() needs libsystemd 240 and configure accepts 221. */
#define IDLE_LOGIND_CALL_TIMEOUT_USEC (CTL_SAMPLE_BLOCK_MS * 1000ULL)

/* What GetAll told about one session. */
struct idle_logind_session {
	int idle;		/* IdleHint */
	uint64_t idle_since_us; /* IdleSinceHint: CLOCK_REALTIME microseconds, 0 = unknown */
	int locked;		/* LockedHint; false when logind is too old to have it */
	int remote;		/* Remote: opened from another host (ssh, remote X) */
	int active;		/* Active: the session in the foreground of its seat */
	uint32_t uid;		/* User: the uid the session belongs to */
	char seat[64];		/* Seat id, "" when the session has no seat */
	char class[32];		/* Class: "user", "greeter", "lock-screen", "background" ... */
	char type[32];		/* Type: "x11", "wayland", "mir", "tty", "unspecified" */
	unsigned seen;		/* IDLE_LOGIND_SEEN_* bits of the properties found */
};

#define IDLE_LOGIND_SEEN_IDLE	    0x01u
#define IDLE_LOGIND_SEEN_IDLE_SINCE 0x02u
#define IDLE_LOGIND_SEEN_REMOTE	    0x04u
#define IDLE_LOGIND_SEEN_SEAT	    0x08u
#define IDLE_LOGIND_SEEN_CLASS	    0x10u
#define IDLE_LOGIND_SEEN_TYPE	    0x20u
#define IDLE_LOGIND_SEEN_ACTIVE	    0x40u
#define IDLE_LOGIND_SEEN_USER	    0x80u

/*
 * The D-Bus address to reach logind at: [configured] (sources.logind bus) when set; else,
 * with a fixture [root], the system bus socket under it, so that a test never reaches the
 * real system bus; else "", which idle_logind_connect() takes as the system bus.
 */
void idle_logind_address(char *buf, size_t len, const char *configured, const char *root);

/*
 * True if [bus] is "" (the system bus), [root] is a fixture tree and its
 * run/dbus/system_bus_socket does not exist: there is no system bus there, whatever a connect
 * would say (a socket path too long for sockaddr_un fails with E2BIG, not ENOENT).
 */
bool idle_logind_no_system_bus(const char *bus, const char *root);

/*
 * True if nothing can listen at [address] (as idle_logind_address() gives it): for "" (the
 * system bus) $DBUS_SYSTEM_BUS_ADDRESS is unset and /run/dbus/system_bus_socket does not exist;
 * for a plain "unix:path=P", P does not exist. A connect would then fail with -ENOENT: callers
 * that only need logind if it is there ask this first and spare the process libsystemd.
 */
bool idle_logind_bus_missing(const char *address);

/* Connects to [address] ("" = the system bus). Returns 0 and sets [*bus], or a negative
 * errno: -ENOENT or -ECONNREFUSED when no bus listens there. */
int idle_logind_connect(const char *address, sd_bus **bus);

/* Closes and frees [*bus] if open, and sets it to NULL. */
void idle_logind_disconnect(sd_bus **bus);

/*
 * Calls [method] of [iface] on logind's object [path], with at most one string argument
 * [arg] (NULL for none), waiting at most IDLE_LOGIND_CALL_TIMEOUT_USEC. Returns what
 * sd_bus_call() returns; [error] and [reply] as there.
 */
int idle_logind_call(sd_bus *bus, const char *path, const char *iface, const char *method,
		     const char *arg, sd_bus_error *error, sd_bus_message **reply);

/* The failed call's error says that nobody owns org.freedesktop.login1: no logind runs. */
bool idle_logind_absent(const sd_bus_error *error);

/* The failed call's error says the object is gone (a session that ended meanwhile). */
bool idle_logind_gone(const sd_bus_error *error);

/* The failed call's result [r] says the connection itself broke, not that logind refused. */
bool idle_logind_lost(int r);

/* sd-bus's words for a failed call: the error's message, else its name, else errno's. */
const char *idle_logind_error(const sd_bus_error *error, int r);

/* Parses a session's GetAll reply (a{sv}) into [s]. Returns 0, or a negative errno if
 * malformed. [s->seen] says which properties were there. */
int idle_logind_parse_session(sd_bus_message *reply, struct idle_logind_session *s);

/*
 * Parses a seat's GetAll reply (a{sv}): the id of its ActiveSession into [id] ("" when
 * nobody is active on the seat) and its object path into [path]. Returns 1, 0 if the reply
 * has no ActiveSession, or a negative errno if malformed.
 */
int idle_logind_parse_seat(sd_bus_message *reply, char *id, size_t idlen, char *path,
			   size_t pathlen);

/* A person's session class. Greeters, lock screens, background and manager sessions are the
 * system's; newer logind splits "user" into "user-early", "user-incomplete", "user-light". */
bool idle_logind_user_class(const char *class);

#endif /* IDLE_LOGIND_H */
