/* SPDX-License-Identifier: MIT */
/*
 * confsrc.c - where idleaccd's configuration comes from (idleacc.yaml, or the idleacc block of
 * plugstack.conf in a shared /etc/slurm or in slurmd's configless conf-cache) and the notice
 * that it changed: inotify on the directories, and a comparison of the files' identities at
 * every sample for what inotify cannot see.
 *
 * Why these places: the admin keeps the thresholds on the controller beside slurm.conf. With
 * a shared /etc/slurm every desktop reads them there; configless, slurmctld sends a desktop's
 * slurmd only its own files (slurm.conf, plugstack.conf, ...), so the thresholds ride in
 * plugstack.conf (idle/conf_plugstack.c) and arrive in SlurmdSpoolDir/conf-cache, which
 * slurmd links at /run/slurm/conf and rewrites (NAME.new, renamed into place) at every
 * `scontrol reconfigure`. Nothing here talks to slurmctld.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confsrc.h"

/* Events that may mean a watched file changed: written, renamed into or out of place,
 * created, removed, its mode changed; or the directory itself went away. */
#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |        \
	 IN_DELETE_SELF | IN_MOVE_SELF)

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		copy(dir, len, ".");
	else if (slash == path)
		copy(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* [dir]/[name] into [out]; a path too long is cut (and then found nowhere). */
static void join(char *out, size_t len, const char *dir, const char *name)
{
	if (snprintf(out, len, "%s/%s", dir, name) >= (int)len)
		out[len - 1] = '\0';
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void sig_take(const char *path, struct agent_conf_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) < 0)
		return;
	s->exists = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime_ns = ts_ns(&st.st_mtim);
	s->ctime_ns = ts_ns(&st.st_ctim);
}

static bool sig_same(const struct agent_conf_sig *a, const struct agent_conf_sig *b)
{
	if (a->exists != b->exists)
		return false;
	return !a->exists || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
			      a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns);
}

/*
 * A found record is 33 KiB of which a few hundred bytes are used: clearing or copying it whole
 * would make every page of it resident (and private dirty) in idleaccd, which keeps three.
 * Only the used parts are written: the header, and [names] up to [used].
 */
static void found_clear(struct agent_conf_found *f)
{
	f->plugstack = false;
	f->path_at = f->looked_at = 0;
	f->looked = 0;
	f->nwatch = 0;
	f->names[0] = '\0';
	f->used = 1;
}

/* Appends [s] to f->names; returns its offset. A path is at most PATH_MAX - 1 bytes, and
 * AGENT_CONF_NAMES holds every path a load can add: the cut is a bound, never reached. */
static size_t names_add(struct agent_conf_found *f, const char *s)
{
	size_t at = f->used, room = sizeof(f->names) - at, n = strlen(s);

	if (room <= 1)
		return 0;
	if (n >= room)
		n = room - 1;
	memcpy(f->names + at, s, n);
	f->names[at + n] = '\0';
	f->used += n + 1;
	return at;
}

const char *agent_conf_found_path(const struct agent_conf_found *f)
{
	return f->names + f->path_at;
}

const char *agent_conf_found_looked(const struct agent_conf_found *f)
{
	return f->names + f->looked_at;
}

const char *agent_conf_found_watched(const struct agent_conf_found *f, size_t i)
{
	return f->names + f->at[i];
}

void agent_conf_found_copy(struct agent_conf_found *dst, const struct agent_conf_found *src)
{
	if (dst == src)
		return;
	memcpy(dst, src, offsetof(struct agent_conf_found, names));
	memcpy(dst->names, src->names, src->used);
}

/* Adds [path] to the files whose change is noticed (once), with its identity now; returns
 * its index, or -1 if AGENT_CONF_WATCHED are watched already. */
static int watch_add(struct agent_conf_found *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->nwatch; i++)
		if (!strcmp(agent_conf_found_watched(f, i), path))
			return (int)i;
	if (f->nwatch == AGENT_CONF_WATCHED)
		return -1;
	f->at[f->nwatch] = names_add(f, path);
	sig_take(path, &f->sig[f->nwatch]);
	return (int)f->nwatch++;
}

static void looked_add(struct agent_conf_found *f, const char *path)
{
	int i = watch_add(f, path);

	if (i >= 0)
		f->looked |= 1u << i;
}

/* Once the load is over: the list of the files looked at, for people, after the paths. */
static void looked_list(struct agent_conf_found *f)
{
	size_t i, at = f->used;

	if (at >= sizeof(f->names))
		return; /* a bound, never reached: the list stays "" */
	f->names[at] = '\0';
	for (i = 0; i < f->nwatch; i++) {
		size_t len = strlen(f->names + at);

		if (f->looked & (1u << i))
			snprintf(f->names + at + len, sizeof(f->names) - at - len, "%s%s",
				 len ? ", " : "", agent_conf_found_watched(f, i));
	}
	f->looked_at = at;
	f->used = at + strlen(f->names + at) + 1;
}

static bool is_plugstack(const char *path)
{
	return !strcmp(base_of(path), "plugstack.conf");
}

/* Loads [path] as what its name says; sets f->path_at on success. */
static struct idle_config *load_one(const char *path, struct agent_conf_found *f, char *err,
				    size_t errlen)
{
	struct idle_config *c;

	f->plugstack = is_plugstack(path);
	c = f->plugstack ? idle_config_load_plugstack(path, agent_conf_section(), 1, err, errlen)
			 : idle_config_load(path, agent_conf_section(), 1, err, errlen);
	if (c) {
		int i = watch_add(f, path); /* watched already: looked at first */

		f->path_at = i >= 0 ? f->at[i] : names_add(f, path);
	}
	return c;
}

static struct idle_config *load(const char *given, struct agent_conf_found *f, char *err,
				size_t errlen)
{
	char cand[AGENT_CONF_CANDIDATES][PATH_MAX], dir[PATH_MAX], p[PATH_MAX];
	const char *sc = agent_slurm_conf(); /* not getenv(): libslurm may have set it since */
	struct idle_config *c = NULL;
	size_t n = 0, i;

	found_clear(f);
	if (errlen)
		err[0] = '\0';
	if (given) {
		looked_add(f, given);
		c = load_one(given, f, err, errlen);
		if (!c && !err[0])
			snprintf(err, errlen,
				 "%s: no idleacc.yaml block (\"# BEGIN idleacc.yaml\" ... \"# END"
				 " idleacc.yaml\")",
				 given);
		return c;
	}
	agent_conf_path(cand[n++], sizeof(cand[0]));
	dir_of(cand[0], dir, sizeof(dir));
	join(cand[n++], sizeof(cand[0]), dir, "plugstack.conf");
	if (!sc || !*sc)
		join(cand[n++], sizeof(cand[0]), AGENT_CONF_RUN_CACHE, "plugstack.conf");
	for (i = 0; i < n && !c && !err[0]; i++) {
		looked_add(f, cand[i]);
		if (access(cand[i], F_OK) < 0 && errno == ENOENT)
			continue;
		c = load_one(cand[i], f, err, errlen); /* NULL, err empty: no block, go on */
	}
	/* The candidates not reached still matter: one that appears is noticed (and ignored
	 * while an earlier one is there). So does slurm.conf beside each plugstack.conf:
	 * configless, slurmd rewrites it at every reconfigure, which is how the agent learns
	 * "slurmd got fresh configuration" even when the thresholds stayed the same. */
	for (i = 1; i < n; i++) {
		watch_add(f, cand[i]);
		dir_of(cand[i], dir, sizeof(dir));
		join(p, sizeof(p), dir, "slurm.conf");
		watch_add(f, p);
	}
	if (c || err[0])
		return c;
	return idle_config_load(NULL, agent_conf_section(), 1, err,
				errlen); /* nothing found: the defaults */
}

struct idle_config *agent_conf_load(const char *given, struct agent_conf_found *f, char *err,
				    size_t errlen)
{
	struct idle_config *c = load(given, f, err, errlen);

	looked_list(f);
	return c;
}

/* ---------------------------------------------------------------- the change notice */

static const char *dir_name(const struct agent_confwatch *w, size_t i)
{
	return w->dirnames + w->dir_at[i];
}

static void add_watches(struct agent_confwatch *w)
{
	size_t i;

	for (i = 0; w->fd >= 0 && i < w->ndirs; i++)
		if (w->wd[i] < 0)
			w->wd[i] = inotify_add_watch(w->fd, dir_name(w, i), WATCH_MASK);
}

/* The directories of [f]'s files, each once; their watches are kept when they stay. */
static void set_dirs(struct agent_confwatch *w, const struct agent_conf_found *f)
{
	char dirs[AGENT_CONF_WATCHED][PATH_MAX];
	int wd[AGENT_CONF_WATCHED];
	size_t n = 0, i, j, used;

	for (i = 0; i < f->nwatch; i++) {
		char d[PATH_MAX];

		dir_of(agent_conf_found_watched(f, i), d, sizeof(d));
		for (j = 0; j < n && strcmp(dirs[j], d); j++)
			;
		if (j == n) {
			copy(dirs[n], sizeof(dirs[0]), d);
			wd[n++] = -1;
		}
	}
	for (i = 0; i < w->ndirs; i++) {
		for (j = 0; j < n && strcmp(dirs[j], dir_name(w, i)); j++)
			;
		if (j < n)
			wd[j] = w->wd[i];
		else if (w->wd[i] >= 0)
			inotify_rm_watch(w->fd, w->wd[i]);
	}
	for (i = 0, used = 0; i < n; i++) {
		size_t len = strlen(dirs[i]) + 1; /* below PATH_MAX: [dirnames] holds them all */

		memcpy(w->dirnames + used, dirs[i], len);
		w->dir_at[i] = used;
		used += len;
		w->wd[i] = wd[i];
	}
	w->ndirs = n;
	add_watches(w);
}

int agent_confwatch_open(struct agent_confwatch *w, const struct agent_conf_found *f, char *err,
			 size_t errlen)
{
	/* Field by field, not memset: [dirnames], [cur] and [why] are 57 KiB, used a few bytes
	 * each. [why] is written by the first change, before anything reads it. */
	w->ndirs = 0;
	found_clear(&w->cur);
	w->due_ms = 0;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	agent_confwatch_loaded(w, f);
	if (w->fd < 0) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void agent_confwatch_close(struct agent_confwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

void agent_confwatch_loaded(struct agent_confwatch *w, const struct agent_conf_found *f)
{
	size_t i;

	agent_conf_found_copy(&w->cur, f);
	for (i = 0; i < f->nwatch; i++)
		w->seen[i] = f->sig[i];
	set_dirs(w, f);
}

int agent_confwatch_fd(const struct agent_confwatch *w)
{
	return w->fd;
}

/* A change to [what]: the notice is due once AGENT_CONF_SETTLE_MS pass without another. */
static void changed(struct agent_confwatch *w, const char *what, int64_t now_ms)
{
	if (!w->due_ms)
		copy(w->why, sizeof(w->why), what);
	w->due_ms = now_ms + AGENT_CONF_SETTLE_MS;
}

void agent_confwatch_read(struct agent_confwatch *w, int64_t now_ms)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		const char *p = buf;

		while (p < buf + n) {
			const struct inotify_event *e = (const void *)p;
			size_t i, d;

			p += sizeof(*e) + e->len;
			for (d = 0; d < w->ndirs && w->wd[d] != e->wd; d++)
				;
			if (d == w->ndirs)
				continue;
			if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
				/* The directory went (slurmd made its cache anew): watched again
				 * at the next tick, and what is in it now counts as changed. */
				inotify_rm_watch(w->fd, w->wd[d]);
				w->wd[d] = -1;
				changed(w, dir_name(w, d), now_ms);
				continue;
			}
			if (!e->len)
				continue;
			for (i = 0; i < w->cur.nwatch; i++) {
				char dir[PATH_MAX];

				dir_of(agent_conf_found_watched(&w->cur, i), dir, sizeof(dir));
				if (!strcmp(dir, dir_name(w, d)) &&
				    !strcmp(base_of(agent_conf_found_watched(&w->cur, i)),
					    e->name)) {
					changed(w, agent_conf_found_watched(&w->cur, i), now_ms);
					break;
				}
			}
		}
	}
}

/*
 * What inotify cannot see (a file shared over NFS, a watch not yet had) shows in the files'
 * identities, compared at each tick. A file seen to change is taken only once it stays the same
 * from one tick to the next: a writer still appending (an admin's 1 MiB of node groups, a copy
 * over the network) would otherwise be read half written and the reload rejected.
 */
void agent_confwatch_tick(struct agent_confwatch *w, int64_t now_ms)
{
	struct agent_conf_sig s;
	size_t i;

	add_watches(w);
	for (i = 0; i < w->cur.nwatch; i++) {
		sig_take(agent_conf_found_watched(&w->cur, i), &s);
		if (!sig_same(&s, &w->seen[i])) {
			w->seen[i] = s; /* still changing: again at the next tick */
			continue;
		}
		if (!w->due_ms && !sig_same(&s, &w->cur.sig[i])) {
			changed(w, agent_conf_found_watched(&w->cur, i), now_ms);
			w->due_ms = now_ms; /* settled for a tick already */
		}
	}
}

int64_t agent_confwatch_deadline(const struct agent_confwatch *w)
{
	return w->due_ms;
}

bool agent_confwatch_due(struct agent_confwatch *w, int64_t now_ms, char *why, size_t len)
{
	if (!w->due_ms || now_ms < w->due_ms)
		return false;
	w->due_ms = 0;
	copy(why, len, w->why);
	return true;
}
