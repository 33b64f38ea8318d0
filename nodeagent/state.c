/* SPDX-License-Identifier: MIT */
/*
 * state.c - the state file: the jobs idleaccd suspended or warned and the console user's
 * hold, kept across restarts so a restarted agent adopts only what it did itself.
 *
 * A line-based text file an admin can read:
 *   version 1
 *   node d1
 *   hold UNTIL_MS UID USER REASON...
 *   job ID FATE FATE_MS SUSPENDED_MS
 *   signal ID SIGNO SECONDS     a running job's --desktop-signal (from the plugin's job-start)
 *   refused ID MS               a job refused here, whose exclusion of this node is lifted
 *                               once the desktop is offered again
 * The last two lines came later; version 1 files without them still load.
 *
 * Times in the file are on the wall clock (ms since the epoch), the agent's own on the
 * monotonic one, which starts again at every boot: a time is converted with the wall clock's
 * offset of the moment it is written or read. So the file means the same after a restart or
 * a reboot (a job suspended 5 min before the reboot counts 5 min plus the time the machine was
 * down), and a wall-clock step while idleaccd runs moves nothing in memory. At load no time of
 * the past is taken as later than now, nor a hold's end as later than max_hold from now: after
 * a step back of the wall clock (or an edited file) a deadline can only come sooner, never
 * last longer than its policy duration from now.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cycle.h"
#include "signame.h"
#include "state.h"

#define STATE_VERSION  1
#define STATE_LINE_MAX 1024	     /* the longest line read, newline included: ours are < 400 */
#define STATE_FILE_MAX (1024 * 1024) /* the largest file read: ours are < 30 KiB */

int agent_state_save(const struct agent_state *st, const char *path, char *err, size_t errlen)
{
	char tmp[4096], dir[4096];
	FILE *f;
	size_t i;
	int fd, dfd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	/*
	 * A new file, never one found there: not a link root would write through, nor a file
	 * someone else prepared. One left by a crash in the middle of a save is ours: removed
	 * (unlink removes a link, not its target) and made again.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "# idleaccd state: jobs it suspended or refused and the console hold; do not"
		   " edit\n");
	fprintf(f, "version %d\nnode %s\n", STATE_VERSION, st->name);
	if (st->hold_until_ms)
		fprintf(f, "hold %" PRId64 " %" PRIu32 " %s %s\n",
			agent_wall_ms(st, st->hold_until_ms), st->hold_uid, st->hold_user,
			st->hold_reason);
	for (i = 0; i < st->njobs; i++) {
		const struct agent_tjob *j = &st->jobs[i];

		if (j->fate == AGENT_JOB_SUSPENDED || j->fate == AGENT_JOB_KEPT ||
		    j->fate == AGENT_JOB_WARN_REQUEUE || j->fate == AGENT_JOB_WARN_CANCEL)
			fprintf(f, "job %" PRIu32 " %s %" PRId64 " %" PRId64 "\n", j->id,
				agent_fate_name(j->fate), agent_wall_ms(st, j->fate_ms),
				agent_wall_ms(st, j->suspended_ms));
		else if (j->suspend_asked_ms)
			/* A suspend in flight (agent_intend): ours if slurmctld did it. */
			fprintf(f, "job %" PRIu32 " %s %" PRId64 " %" PRId64 "\n", j->id,
				agent_fate_name(AGENT_JOB_SUSPENDED),
				agent_wall_ms(st, j->suspend_asked_ms),
				agent_wall_ms(st, j->suspend_asked_ms));
		if (j->warn_sig)
			fprintf(f, "signal %" PRIu32 " %d %" PRId64 "\n", j->id, j->warn_sig,
				j->warn_secs);
	}
	for (i = 0; i < st->nrefused; i++)
		fprintf(f, "refused %" PRIu32 " %" PRId64 "\n", st->refused[i].id,
			agent_wall_ms(st, st->refused[i].ms));
	if (fflush(f) || fsync(fd) || ferror(f)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The rename itself must reach the disk before we act on what the file says. */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int parse_fate(const char *s, enum agent_fate *f)
{
	static const enum agent_fate kept[] = {AGENT_JOB_SUSPENDED, AGENT_JOB_KEPT,
					       AGENT_JOB_WARN_REQUEUE, AGENT_JOB_WARN_CANCEL};
	size_t i;

	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (!strcmp(s, agent_fate_name(kept[i]))) {
			*f = kept[i];
			return 0;
		}
	return -1;
}

/*
 * [wall], a time from the file, as one of ours, but not later than [latest]. 0 (none) stays
 * 0; a time before the epoch counts as long past.
 */
static int64_t from_wall(const struct agent_state *st, int64_t wall, int64_t latest)
{
	int64_t mono;

	if (!wall)
		return 0;
	if (wall < 1)
		wall = 1;
	if (wall > latest + st->wall_off_ms)
		return latest;
	mono = wall - st->wall_off_ms;
	return mono ? mono : -1; /* 0 would read as none */
}

/*
 * One line of the file (NUL-terminated, no newline) into the records being read. Returns 0, 1
 * for a line of another node (the message in [err]), or -1 for a malformed line.
 */
struct parse {
	struct agent_tjob jobs[AGENT_MAX_JOBS];		 /* the job records read so far */
	struct agent_refused refused[AGENT_MAX_REFUSED]; /* the refused jobs read so far */
	size_t njobs, nrefused;				 /* how many of each */
	int64_t hold_until;				 /* the hold's end (wall ms), 0 if none */
	uint32_t hold_uid;				 /* who holds */
	char hold_user[AGENT_USER_LEN];			 /* their name */
	char hold_reason[AGENT_REASON_LEN];		 /* the hold's drain reason */
	int version;					 /* from the version line, 0 before it */
	bool node_ok;					 /* the node line names our node */
};

/* A decimal number that fits an int64_t, alone in [s]; sscanf's overflow is undefined. */
static int parse_i64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (end == s || *end || errno)
		return -1;
	*v = x;
	return 0;
}

/* The [n]th space-separated field of [line] (from 0) into [buf], or -1. */
static int field(const char *line, int n, char *buf, size_t len)
{
	const char *p = line;
	size_t k;

	for (; n > 0; n--) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	k = strcspn(p, " ");
	if (!k || k >= len)
		return -1;
	memcpy(buf, p, k);
	buf[k] = '\0';
	return 0;
}

static int i64_field(const char *line, int n, int64_t *v)
{
	char b[24];

	return field(line, n, b, sizeof(b)) < 0 ? -1 : parse_i64(b, v);
}

static int u32_field(const char *line, int n, uint32_t *v)
{
	int64_t x;

	if (i64_field(line, n, &x) < 0 || x < 0 || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int parse_line(struct parse *ps, const struct agent_state *st, const char *line,
		      int64_t now_ms, char *err, size_t errlen)
{
	char word[16], s1[AGENT_NODE_LEN], fate[24];
	int64_t a, b;
	uint32_t id;
	size_t k;
	int off = 0;

	if (field(line, 0, word, sizeof(word)) < 0)
		return -1;
	if (!strcmp(word, "version")) {
		if (i64_field(line, 1, &a) < 0 || a != STATE_VERSION || field(line, 2, s1, 2) == 0)
			return -1;
		ps->version = STATE_VERSION;
	} else if (!strcmp(word, "node")) {
		if (field(line, 1, s1, sizeof(s1)) < 0)
			return -1;
		if (strcmp(s1, st->name)) {
			snprintf(err, errlen, "written for node %s, not %s", s1, st->name);
			return 1;
		}
		ps->node_ok = true;
	} else if (!strcmp(word, "hold")) {
		if (i64_field(line, 1, &a) < 0 || u32_field(line, 2, &id) < 0 ||
		    field(line, 3, ps->hold_user, sizeof(ps->hold_user)) < 0 ||
		    sscanf(line, "hold %*s %*s %*s %n", &off) < 0 || !off || !line[off])
			return -1;
		ps->hold_until = a;
		ps->hold_uid = id;
		snprintf(ps->hold_reason, sizeof(ps->hold_reason), "%s", line + off);
	} else if (!strcmp(word, "job")) {
		struct agent_tjob *j = &ps->jobs[ps->njobs < AGENT_MAX_JOBS ? ps->njobs : 0];

		if (u32_field(line, 1, &id) < 0 || field(line, 2, fate, sizeof(fate)) < 0 ||
		    i64_field(line, 3, &a) < 0 || i64_field(line, 4, &b) < 0 ||
		    ps->njobs >= AGENT_MAX_JOBS)
			return -1;
		memset(j, 0, sizeof(*j));
		if (parse_fate(fate, &j->fate))
			return -1;
		j->id = id;
		j->fate_ms = from_wall(st, a, now_ms);
		j->suspended_ms = from_wall(st, b, now_ms);
		/* Until a listing says otherwise: a suspended job may be requeued. */
		j->can_requeue = true;
		j->suspended = j->fate == AGENT_JOB_SUSPENDED || j->fate == AGENT_JOB_KEPT;
		ps->njobs++;
	} else if (!strcmp(word, "signal")) {
		/* The bounds of SIG@SECONDS, as the plugin's job-start is held to. */
		if (u32_field(line, 1, &id) < 0 || i64_field(line, 2, &b) < 0 || b < 1 ||
		    b > SIGNAME_NUM_MAX || i64_field(line, 3, &a) < 0 || a < 0 ||
		    a > SIGNAME_MAX_GRACE)
			return -1;
		/* A job line, if any, comes first; else a job only seen running. */
		for (k = 0; k < ps->njobs && ps->jobs[k].id != id; k++)
			;
		if (k == ps->njobs) {
			if (ps->njobs >= AGENT_MAX_JOBS)
				return -1;
			memset(&ps->jobs[k], 0, sizeof(ps->jobs[k]));
			ps->jobs[k].id = id;
			ps->jobs[k].can_requeue = true;
			ps->njobs++;
		}
		ps->jobs[k].warn_sig = (int)b;
		ps->jobs[k].warn_secs = a;
	} else if (!strcmp(word, "refused")) {
		if (u32_field(line, 1, &id) < 0 || i64_field(line, 2, &a) < 0 ||
		    ps->nrefused >= AGENT_MAX_REFUSED)
			return -1;
		memset(&ps->refused[ps->nrefused], 0, sizeof(ps->refused[0]));
		ps->refused[ps->nrefused].id = id;
		ps->refused[ps->nrefused].ms = from_wall(st, a, now_ms);
		ps->nrefused++;
	} else {
		return -1;
	}
	return 0;
}

int agent_state_parse(struct agent_state *st, const char *name, const char *buf, size_t len,
		      int64_t now_ms, int64_t max_hold, char *err, size_t errlen)
{
	static struct parse ps; /* 40 KiB: off the stack; the agent's one thread loads */
	const char *p = buf, *end = buf + len;
	char line[STATE_LINE_MAX], why[2 * AGENT_NODE_LEN + 32];
	int lineno = 0, r;

	memset(&ps, 0, sizeof(ps));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (n >= sizeof(line) || memchr(p, '\0', n)) {
			/* No line of ours is that long: one bad line loses its record, not the
			 * others. */
			agent_note(st, now_ms, LOG_WARNING, false, "%s:%d: line skipped (%s)", name,
				   lineno, n >= sizeof(line) ? "longer than 1 KiB" : "a NUL byte");
			p += n + (nl ? 1 : 0);
			continue;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		if (!line[0] || line[0] == '#')
			continue;
		r = parse_line(&ps, st, line, now_ms, why, sizeof(why));
		if (r > 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
			return -1;
		}
		if (r < 0) {
			snprintf(err, errlen, "%s:%d: malformed line", name, lineno);
			return -1;
		}
	}
	if (ps.version != STATE_VERSION || !ps.node_ok) {
		snprintf(err, errlen, "%s: no \"version %d\" or \"node\" line", name,
			 STATE_VERSION);
		return -1;
	}
	memcpy(st->jobs, ps.jobs, ps.njobs * sizeof(ps.jobs[0]));
	st->njobs = ps.njobs;
	memcpy(st->refused, ps.refused, ps.nrefused * sizeof(ps.refused[0]));
	st->nrefused = ps.nrefused;
	/* With holds turned off (max_hold 0) none is kept; else it ends by max_hold from now. */
	st->hold_until_ms =
	    max_hold > 0 ? from_wall(st, ps.hold_until, now_ms + max_hold * 1000) : 0;
	if (st->hold_until_ms) {
		st->hold_uid = ps.hold_uid;
		snprintf(st->hold_user, sizeof(st->hold_user), "%s", ps.hold_user);
		snprintf(st->hold_reason, sizeof(st->hold_reason), "%s", ps.hold_reason);
	}
	return 0;
}

int agent_state_load(struct agent_state *st, const char *path, int64_t now_ms, int64_t max_hold,
		     char *err, size_t errlen)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, r;

	/*
	 * Not blocking (a FIFO put there would hold the open, and then the read, forever), not
	 * through a link, and only a regular file is read.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path,
			 errno == ELOOP ? "a symbolic link, not a file" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > STATE_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
			 !S_ISREG(sb.st_mode) ? "not a regular file" : "larger than 1 MiB");
		close(fd);
		return -1;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)sb.st_size &&
	       (n = read(fd, buf + got, (size_t)sb.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	r = agent_state_parse(st, path, buf, got, now_ms, max_hold, err, errlen);
	free(buf);
	return r;
}
