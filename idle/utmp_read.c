/* SPDX-License-Identifier: MIT */
/* utmp_read.c - the live login sessions of utmp, read record by record through the root prefix. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "defaults.h"
#include "idle_int.h"
#include "utmp_read.h"

/*
 * utmp is read from the file, not through getutent(), so that the root prefix applies and a
 * reader never takes utmp's lock. A record cut short at the end is one being written: it is
 * skipped, and the next reading sees it whole.
 */

bool idle_utmp_local_display(const char *host)
{
	const char *p = host;

	if (*p++ != ':' || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* True unless ROOT/proc shows that [pid] is gone. */
static bool pid_alive(const char *root, int pid)
{
	char p[PATH_MAX], rel[32];
	struct stat st;

	if (pid <= 0 || !idle_path(p, sizeof(p), root, "/proc") || stat(p, &st) < 0)
		return true;
	idle_strlcpyf(rel, sizeof(rel), "/proc/%d", pid);
	if (!idle_path(p, sizeof(p), root, rel))
		return true;
	return stat(p, &st) == 0 || errno != ENOENT;
}

/* Copies a utmp field, which fills its array without a NUL when the text is long enough. */
static void field(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int idle_utmp_read(const char *root, const char *path, struct idle_utmp *u, char *err,
		   size_t errlen)
{
	char p[PATH_MAX];
	struct utmp ut;
	FILE *f;

	if (!path || !*path)
		path = DEF_UTMP_FILE;
	if (!idle_path(p, sizeof(p), root, path)) {
		idle_strlcpyf(err, errlen, "path too long: %s", path);
		return -1;
	}
	f = fopen(p, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		idle_strlcpyf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (fread(&ut, sizeof(ut), 1, f) == 1) {
		struct idle_utmp_session *s;

		if (ut.ut_type != USER_PROCESS || !pid_alive(root, ut.ut_pid))
			continue;
		if (u->n == u->cap) {
			size_t cap = u->cap ? u->cap * 2 : 16;
			struct idle_utmp_session *v = realloc(u->v, cap * sizeof(*v));

			if (!v) {
				fclose(f);
				idle_strlcpyf(err, errlen, "out of memory");
				return -1;
			}
			u->v = v;
			u->cap = cap;
		}
		s = &u->v[u->n++];
		field(s->user, ut.ut_user, UT_NAMESIZE);
		field(s->line, ut.ut_line, UT_LINESIZE);
		/* "/dev/pts/1" and "pts/1" name the same terminal. */
		if (!strncmp(s->line, "/dev/", 5))
			memmove(s->line, s->line + 5, strlen(s->line + 5) + 1);
		field(s->host, ut.ut_host, UT_HOSTSIZE);
		s->pid = ut.ut_pid;
		s->remote = s->host[0] && !idle_utmp_local_display(s->host);
	}
	if (ferror(f)) {
		idle_strlcpyf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

void idle_utmp_free(struct idle_utmp *u)
{
	free(u->v);
	memset(u, 0, sizeof(*u));
}
