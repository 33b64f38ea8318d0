/* SPDX-License-Identifier: MIT */
/*
 * utmp_read.h - the live login sessions of utmp, read through the root prefix: shared by the tty
 * source (which terminal is whose) and idleaccd's console rule (who sits at the desk when
 * there is no logind).
 */
#ifndef IDLE_UTMP_READ_H
#define IDLE_UTMP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <utmp.h>

/* One live USER_PROCESS entry of utmp. Strings are NUL-terminated copies of utmp's fields. */
struct idle_utmp_session {
	char user[UT_NAMESIZE + 1]; /* login name */
	char line[UT_LINESIZE + 1]; /* terminal relative to /dev ("pts/1", "tty2", ":0") */
	char host[UT_HOSTSIZE + 1]; /* remote host, X display (":0"), or "" */
	int pid;		    /* the session's process */
	bool remote;		    /* logged in from another host: ssh, X forwarding */
};

/* The sessions of one reading. */
struct idle_utmp {
	struct idle_utmp_session *v; /* malloc'd, [n] entries; free with idle_utmp_free() */
	size_t n;		     /* used entries of v */
	size_t cap;		     /* allocated entries of v */
};

/*
 * Reads the live login sessions of the utmp file [path] ("" for /run/utmp) under [root]
 * (NULL or "" for the real system) into [u], which must be zeroed. An entry is live while
 * its process exists under ROOT/proc; entries a crashed session left behind are skipped. When
 * ROOT/proc itself is absent, liveness cannot be told and every entry counts. A host that is
 * a display of this machine (":0", ":1.0") is local; any other host, "localhost:10.0" (ssh X
 * forwarding) included, is remote. A missing file gives no session and is not an error.
 * Returns 0, or -1 with [err] filled; [u] then holds what was read and must still be freed.
 */
int idle_utmp_read(const char *root, const char *path, struct idle_utmp *u, char *err,
		   size_t errlen);

void idle_utmp_free(struct idle_utmp *u);

/* True for ":0" or ":1.0", an X display of this machine. */
bool idle_utmp_local_display(const char *host);

#endif /* IDLE_UTMP_READ_H */
