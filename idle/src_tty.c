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

#include "defaults.h"
#include "idle_int.h"
#include "utmp_read.h"

/*
 * The kernel updates a tty's access time when someone types into it (at most every 8 s), so
 * the newest atime over /dev/pts is the last keystroke of any terminal, including ssh ones.
 * utmp says which terminal belongs to whom: a tty whose live USER_PROCESS entry names a
 * remote host is a remote session; every other tty is local. That keeps the doubt on the
 * owner's side: a terminal utmp does not know (gnome-terminal writes no entry) counts as
 * the owner at the console. Only live entries count (utmp_read.c): entries a crashed session left
 * behind classify nothing (the pty number is reused) and count as no session. A missing utmp
 * file classifies nothing and is not an error.
 *
 * An inotify descriptor watches the tty directories (attribute changes, new terminals), and
 * fds() hands it to the caller, so a file whose times are set (touch, a login, a new pty) wakes
 * the agent at once. The kernel's own atime updates on typing bypass inotify, so keystrokes in
 * a terminal are still seen at the next sample: the poll interval bounds them.
 */

struct tty_state {
	char *root;				 /* the root prefix, "" for the real system */
	int ndirs;				 /* used entries of dirs */
	char dirs[IDLE_MAX_DIRS][IDLE_PATH_LEN]; /* directories of ttys, without the root */
	char utmp[IDLE_PATH_LEN];		 /* the utmp file, without the root */
	int64_t open_ms; /* when the source was opened: the floor of every time */
	int ifd;	 /* inotify on the tty directories, -1 if unavailable */
};

/* "/dev/pts/1" and "pts/1" name the same terminal. */
static const char *dev_relative(const char *path)
{
	return strncmp(path, "/dev/", 5) ? path : path + 5;
}

/* A tty is remote when every live session on it is: one local session makes it local. */
static int tty_remote(const struct idle_utmp *ss, const char *line)
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
static int tty_scan_dir(const struct tty_state *s, const char *dir, const struct idle_utmp *ss,
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

static int tty_open(void **state, const struct idle_sources *conf, const char *root, int64_t now_ms,
		    char *err, size_t errlen)
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

static void tty_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
		       struct idle_snapshot *snap)
{
	struct tty_state *s = state;
	struct idle_utmp ss = {0};
	char err[IDLE_ERR_LEN];
	int64_t local = 0, remote = 0;
	int i, found = 0;
	size_t j;

	(void)sh;
	if (!s) {
		idle_unknown(snap, IDLE_SRC_TTY, "out of memory");
		return;
	}
	if (idle_utmp_read(s->root, s->utmp, &ss, err, sizeof(err)) < 0) {
		idle_unknown(snap, IDLE_SRC_TTY, "%s", err);
		idle_utmp_free(&ss);
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
			idle_utmp_free(&ss);
			return;
		}
		found |= r;
	}
	idle_utmp_free(&ss);
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
