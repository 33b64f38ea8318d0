/* SPDX-License-Identifier: MIT */
/* src_tty.c - the tty source: access times of ttys and ptys, split local/remote through utmp. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmp.h>

#include "defaults.h"
#include "idle_int.h"

/*
 * The kernel updates a tty's access time when someone types into it (at most every 8 s), so
 * the newest atime over /dev/pts is the last keystroke of any terminal, including ssh ones.
 * utmp says which terminal belongs to whom: a tty whose live USER_PROCESS entry names a
 * remote host is a remote session; every other tty is local. That keeps the doubt on the
 * owner's side: a terminal utmp does not know (gnome-terminal writes no entry) counts as
 * the owner at the console. A utmp entry is live while its process exists; entries a
 * crashed session left behind classify nothing (the pty number is reused) and count as no
 * session. When /proc is absent under the root, liveness cannot be told and every entry
 * counts.
 *
 * utmp is read record by record from the file, not through getutent(), so that the root
 * prefix applies. A missing utmp file classifies nothing and is not an error.
 *
 * An inotify descriptor watches the tty directories (attribute changes, new terminals), and
 * fds() hands it to the caller, so a file whose times are set (touch, a login, a new pty) wakes
 * the agent at once. The kernel's own atime updates on typing bypass inotify, so keystrokes in
 * a terminal are still seen at the next sample: the poll interval bounds them.
 */

/* One live login session from utmp. */
struct tty_session {
	char line[UT_LINESIZE + 1]; /* its terminal relative to /dev ("pts/1"), NUL-terminated */
	int remote;                 /* 1: logged in from another host (ssh) */
};

struct tty_sessions {
	struct tty_session *v; /* the live USER_PROCESS entries */
	size_t n;              /* used entries of v */
	size_t cap;            /* allocated entries of v */
};

struct tty_state {
	char *root;                    /* the root prefix, "" for the real system */
	int ndirs;                     /* used entries of dirs */
	char dirs[IDLE_MAX_DIRS][IDLE_PATH_LEN]; /* directories of ttys, without the root */
	char utmp[IDLE_PATH_LEN];      /* the utmp file, without the root */
	int64_t open_ms;               /* when the source was opened: the floor of every time */
	int ifd;                       /* inotify on the tty directories, -1 if unavailable */
};

/* ":0" or ":1.0", the X server of this machine; "localhost:10.0" is ssh X forwarding. */
static int local_display(const char *host)
{
	const char *p = host;

	if (*p++ != ':' || *p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* "/dev/pts/1" and "pts/1" name the same terminal. */
static const char *dev_relative(const char *path)
{
	return strncmp(path, "/dev/", 5) ? path : path + 5;
}

/* True unless /proc under the root shows that [pid] is gone. */
static int pid_alive(const struct tty_state *s, int pid)
{
	char p[PATH_MAX], rel[32];
	struct stat st;

	if (pid <= 0 || !idle_path(p, sizeof(p), s->root, "/proc") || stat(p, &st) < 0)
		return 1;
	idle_strlcpyf(rel, sizeof(rel), "/proc/%d", pid);
	if (!idle_path(p, sizeof(p), s->root, rel))
		return 1;
	return stat(p, &st) == 0 || errno != ENOENT;
}

/* Reads the live sessions of utmp. Returns 0, or -1 with [err] filled. */
static int tty_read_utmp(const struct tty_state *s, struct tty_sessions *ss, char *err,
			 size_t errlen)
{
	char p[PATH_MAX], host[UT_HOSTSIZE + 1];
	struct utmp ut;
	FILE *f;

	if (!idle_path(p, sizeof(p), s->root, s->utmp)) {
		idle_strlcpyf(err, errlen, "path too long: %s", s->utmp);
		return -1;
	}
	f = fopen(p, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		idle_strlcpyf(err, errlen, "cannot read %s: %s", s->utmp, strerror(errno));
		return -1;
	}
	/* A record cut short at the end is one being written: skip it. */
	while (fread(&ut, sizeof(ut), 1, f) == 1) {
		struct tty_session *t;

		if (ut.ut_type != USER_PROCESS || !pid_alive(s, ut.ut_pid))
			continue;
		if (ss->n == ss->cap) {
			size_t cap = ss->cap ? ss->cap * 2 : 16;
			struct tty_session *v = realloc(ss->v, cap * sizeof(*v));

			if (!v) {
				fclose(f);
				idle_strlcpyf(err, errlen, "out of memory");
				return -1;
			}
			ss->v = v;
			ss->cap = cap;
		}
		t = &ss->v[ss->n++];
		/* utmp strings fill their field without a NUL when they are long enough. */
		memcpy(t->line, ut.ut_line, UT_LINESIZE);
		t->line[UT_LINESIZE] = '\0';
		memmove(t->line, dev_relative(t->line), strlen(dev_relative(t->line)) + 1);
		memcpy(host, ut.ut_host, UT_HOSTSIZE);
		host[UT_HOSTSIZE] = '\0';
		t->remote = host[0] && !local_display(host);
	}
	if (ferror(f)) {
		idle_strlcpyf(err, errlen, "cannot read %s: %s", s->utmp, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* A tty is remote when every live session on it is: one local session makes it local. */
static int tty_remote(const struct tty_sessions *ss, const char *line)
{
	int remote = 0;
	size_t i;

	for (i = 0; i < ss->n; i++) {
		if (strcmp(ss->v[i].line, line))
			continue;
		if (!ss->v[i].remote)
			return 0;
		remote = 1;
	}
	return remote;
}

/*
 * Folds the atimes of the ttys in [dir] into [*local] and [*remote]. Returns 1 if read, 0 if
 * the directory does not exist, -1 with [err] filled on failure.
 */
static int tty_scan_dir(const struct tty_state *s, const char *dir, const struct tty_sessions *ss,
			int64_t *local, int64_t *remote, char *err, size_t errlen)
{
	char p[PATH_MAX], line[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (!idle_path(p, sizeof(p), s->root, dir)) {
		idle_strlcpyf(err, errlen, "path too long: %s", dir);
		return -1;
	}
	d = opendir(p);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		idle_strlcpyf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		struct stat st;
		int64_t t;

		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		/* ptmx is the multiplexer every new terminal opens, not a terminal. */
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "ptmx"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) /* the session closed meanwhile */
				continue;
			idle_strlcpyf(err, errlen, "cannot stat %s/%s: %s", dir, de->d_name,
				      strerror(errno));
			closedir(d);
			return -1;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISREG(st.st_mode))
			continue;
		t = (int64_t)st.st_atim.tv_sec * 1000 + st.st_atim.tv_nsec / 1000000;
		idle_strlcpyf(line, sizeof(line), "%s/%s", dir, de->d_name);
		if (tty_remote(ss, dev_relative(line))) {
			if (t > *remote)
				*remote = t;
		} else if (t > *local) {
			*local = t;
		}
	}
	if (errno) {
		idle_strlcpyf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	return 1;
}

static int tty_open(void **state, const struct idle_sources *conf, const char *root,
		    int64_t now_ms, char *err, size_t errlen)
{
	struct tty_state *s = calloc(1, sizeof(*s));
	int i;

	if (!s) {
		idle_strlcpyf(err, errlen, "out of memory");
		return -1;
	}
	s->root = strdup(root ? root : "");
	if (!s->root) {
		free(s);
		idle_strlcpyf(err, errlen, "out of memory");
		return -1;
	}
	s->ndirs = conf->ntty_dirs < IDLE_MAX_DIRS ? conf->ntty_dirs : IDLE_MAX_DIRS;
	for (i = 0; i < s->ndirs; i++)
		idle_strlcpyf(s->dirs[i], sizeof(s->dirs[i]), "%s", conf->tty_dirs[i]);
	idle_strlcpyf(s->utmp, sizeof(s->utmp), "%s",
		      conf->utmp_file[0] ? conf->utmp_file : DEF_UTMP_FILE);
	s->open_ms = now_ms;
	/* Best effort: without inotify (limits reached) the source still works, by polling. */
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (i = 0; s->ifd >= 0 && i < s->ndirs; i++) {
		char p[PATH_MAX];

		if (idle_path(p, sizeof(p), s->root, s->dirs[i]))
			(void)inotify_add_watch(s->ifd, p, IN_ATTRIB | IN_CREATE | IN_MODIFY);
	}
	*state = s;
	return 0;
}

static int tty_fds(void *state, int *fds, int max)
{
	struct tty_state *s = state;

	if (!s || s->ifd < 0 || max < 1)
		return 0;
	fds[0] = s->ifd;
	return 1;
}

/* Drains the inotify queue; any event on a tty directory counts as possible input. */
static int tty_input(void *state)
{
	struct tty_state *s = state;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int seen = 0;

	if (!s || s->ifd < 0)
		return 0;
	for (;;) {
		ssize_t r = read(s->ifd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		seen = 1;
	}
	return seen;
}

/* [t] held between the open time and now. */
static int64_t tty_clamp(const struct tty_state *s, int64_t t, int64_t now_ms)
{
	if (t < s->open_ms)
		t = s->open_ms;
	return t < now_ms ? t : now_ms;
}

static void tty_sample(void *state, int64_t now_ms, struct idle_snapshot *snap)
{
	struct tty_state *s = state;
	struct tty_sessions ss = {0};
	char err[IDLE_ERR_LEN];
	int64_t local = 0, remote = 0;
	int i, found = 0;
	size_t j;

	if (!s) {
		idle_unknown(snap, IDLE_SRC_TTY, "out of memory");
		return;
	}
	if (tty_read_utmp(s, &ss, err, sizeof(err)) < 0) {
		idle_unknown(snap, IDLE_SRC_TTY, "%s", err);
		free(ss.v);
		return;
	}
	for (j = 0; j < ss.n; j++) {
		if (ss.v[j].remote)
			snap->sessions_remote++;
		else
			snap->sessions_local++;
	}
	for (i = 0; i < s->ndirs; i++) {
		int r = tty_scan_dir(s, s->dirs[i], &ss, &local, &remote, err, sizeof(err));

		if (r < 0) {
			idle_unknown(snap, IDLE_SRC_TTY, "%s", err);
			free(ss.v);
			return;
		}
		found |= r;
	}
	free(ss.v);
	snap->tty_last_ms = tty_clamp(s, local, now_ms);
	snap->tty_remote_last_ms = remote ? tty_clamp(s, remote, now_ms) : 0;
	snap->status[IDLE_SRC_TTY] = found ? IDLE_ST_OK : IDLE_ST_NONE;
}

static void tty_close(void *state)
{
	struct tty_state *s = state;

	if (!s)
		return;
	if (s->ifd >= 0)
		close(s->ifd);
	free(s->root);
	free(s);
}

const struct idle_source_ops idle_src_tty = {
	.id = IDLE_SRC_TTY,
	.open = tty_open,
	.sample = tty_sample,
	.fds = tty_fds,
	.input = tty_input,
	.close = tty_close,
};
