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
 *   stopped ID MS               the job's processes stopped on the desktop by idleaccd
 *                               (localstop.c) at MS, which only idleaccd continues
 *   refused ID MS               a job refused here, whose exclusion of this node is lifted
 *                               once the desktop is offered again
 * The last three lines came later; version 1 files without them still load. Which records
 * are written, and which fates are read back, is job.c's rule (agent_job_saved).
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cycle.h"
#include "file.h"
#include "signame.h"
#include "state.h"

#define STATE_VERSION  1
#define STATE_LINE_MAX 1024	     /* the longest line read, newline included: ours are < 400 */
#define STATE_FILE_MAX (1024 * 1024) /* the largest file read: ours are < 30 KiB */

int agent_state_save(const struct agent_state *st, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	/* Written in full in memory, then replaces the file at once (file.h). */
	if (!(f = open_memstream(&text, &len))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
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

		if (agent_fate_saved(j->fate))
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
		if (j->local_stop)
			fprintf(f, "stopped %" PRIu32 " %" PRId64 "\n", j->id,
				agent_wall_ms(st, j->local_stop_ms));
	}
	for (i = 0; i < st->nrefused; i++)
		fprintf(f, "refused %" PRIu32 " %" PRId64 "\n", st->refused[i].id,
			agent_wall_ms(st, st->refused[i].ms));
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(text);
		return -1;
	}
	/* 0600: which jobs were stopped, and who holds the console, are root's. */
	rc = agent_file_replace(path, ".tmp", text, len, 0600, true, err, errlen);
	free(text);
	return rc;
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

/*
 * The record of job [id] among those read, made (as a job only seen running) if no line named
 * it yet: a job line, if any, comes first. NULL if the table is full.
 */
static struct agent_tjob *parse_job(struct parse *ps, uint32_t id)
{
	size_t k;

	for (k = 0; k < ps->njobs; k++)
		if (ps->jobs[k].id == id)
			return &ps->jobs[k];
	if (ps->njobs >= AGENT_MAX_JOBS)
		return NULL;
	agent_job_init(&ps->jobs[ps->njobs], id, AGENT_JOB_SEEN, 0);
	return &ps->jobs[ps->njobs++];
}

/*
 * One parser per kind of line: [line] (NUL-terminated, its first word already matched) into
 * [ps]. Each returns 0, 1 for a line of another node (the message in [err]), or -1 for a
 * malformed line.
 */
typedef int (*line_fn)(struct parse *ps, const struct agent_state *st, const char *line,
		       int64_t now_ms, char *err, size_t errlen);

static int line_version(struct parse *ps, const struct agent_state *st, const char *line,
			int64_t now_ms, char *err, size_t errlen)
{
	char rest[2];
	int64_t v;

	(void)st, (void)now_ms, (void)err, (void)errlen;
	if (i64_field(line, 1, &v) < 0 || v != STATE_VERSION || field(line, 2, rest, 2) == 0)
		return -1;
	ps->version = STATE_VERSION;
	return 0;
}

static int line_node(struct parse *ps, const struct agent_state *st, const char *line,
		     int64_t now_ms, char *err, size_t errlen)
{
	char name[AGENT_NODE_LEN];

	(void)now_ms;
	if (field(line, 1, name, sizeof(name)) < 0)
		return -1;
	if (strcmp(name, st->name)) {
		snprintf(err, errlen, "written for node %s, not %s", name, st->name);
		return 1;
	}
	ps->node_ok = true;
	return 0;
}

static int line_hold(struct parse *ps, const struct agent_state *st, const char *line,
		     int64_t now_ms, char *err, size_t errlen)
{
	int64_t until;
	uint32_t uid;
	int off = 0;

	(void)st, (void)now_ms, (void)err, (void)errlen;
	if (i64_field(line, 1, &until) < 0 || u32_field(line, 2, &uid) < 0 ||
	    field(line, 3, ps->hold_user, sizeof(ps->hold_user)) < 0 ||
	    sscanf(line, "hold %*s %*s %*s %n", &off) < 0 || !off || !line[off])
		return -1;
	ps->hold_until = until;
	ps->hold_uid = uid;
	snprintf(ps->hold_reason, sizeof(ps->hold_reason), "%s", line + off);
	return 0;
}

static int line_job(struct parse *ps, const struct agent_state *st, const char *line,
		    int64_t now_ms, char *err, size_t errlen)
{
	char fate[24];
	enum agent_fate f;
	int64_t fate_ms, susp_ms;
	uint32_t id;

	(void)err, (void)errlen;
	if (u32_field(line, 1, &id) < 0 || field(line, 2, fate, sizeof(fate)) < 0 ||
	    i64_field(line, 3, &fate_ms) < 0 || i64_field(line, 4, &susp_ms) < 0 ||
	    ps->njobs >= AGENT_MAX_JOBS || agent_fate_parse(fate, &f) < 0 || !agent_fate_saved(f))
		return -1;
	agent_job_init(&ps->jobs[ps->njobs], id, f, from_wall(st, fate_ms, now_ms));
	ps->jobs[ps->njobs++].suspended_ms = from_wall(st, susp_ms, now_ms);
	return 0;
}

static int line_signal(struct parse *ps, const struct agent_state *st, const char *line,
		       int64_t now_ms, char *err, size_t errlen)
{
	struct agent_tjob *j;
	int64_t sig, secs;
	uint32_t id;

	(void)st, (void)now_ms, (void)err, (void)errlen;
	/* The bounds of SIG@SECONDS, as the plugin's job-start is held to. */
	if (u32_field(line, 1, &id) < 0 || i64_field(line, 2, &sig) < 0 || sig < 1 ||
	    sig > SIGNAME_NUM_MAX || i64_field(line, 3, &secs) < 0 || secs < 0 ||
	    secs > SIGNAME_MAX_GRACE || !(j = parse_job(ps, id)))
		return -1;
	j->warn_sig = (int)sig;
	j->warn_secs = secs;
	return 0;
}

static int line_stopped(struct parse *ps, const struct agent_state *st, const char *line,
			int64_t now_ms, char *err, size_t errlen)
{
	struct agent_tjob *j;
	int64_t ms;
	uint32_t id;

	(void)err, (void)errlen;
	if (u32_field(line, 1, &id) < 0 || i64_field(line, 2, &ms) < 0 || !(j = parse_job(ps, id)))
		return -1;
	j->local_stop = true;
	j->local_stop_ms = from_wall(st, ms, now_ms);
	return 0;
}

static int line_refused(struct parse *ps, const struct agent_state *st, const char *line,
			int64_t now_ms, char *err, size_t errlen)
{
	struct agent_refused *r = &ps->refused[ps->nrefused];
	int64_t ms;
	uint32_t id;

	(void)err, (void)errlen;
	if (ps->nrefused >= AGENT_MAX_REFUSED || u32_field(line, 1, &id) < 0 ||
	    i64_field(line, 2, &ms) < 0)
		return -1;
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->ms = from_wall(st, ms, now_ms);
	ps->nrefused++;
	return 0;
}

/* One line of the file, by its first word; an unknown word is a malformed line. */
static int parse_line(struct parse *ps, const struct agent_state *st, const char *line,
		      int64_t now_ms, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		line_fn fn;
	} kinds[] = {
	    {"version", line_version}, {"node", line_node},	{"hold", line_hold},
	    {"job", line_job},	       {"signal", line_signal}, {"stopped", line_stopped},
	    {"refused", line_refused},
	};
	char word[16];
	size_t i;

	if (field(line, 0, word, sizeof(word)) < 0)
		return -1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(word, kinds[i].word))
			return kinds[i].fn(ps, st, line, now_ms, err, errlen);
	return -1;
}

static int parse_all(struct parse *ps, struct agent_state *st, const char *name, const char *buf,
		     size_t len, int64_t now_ms, int64_t max_hold, char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	char line[STATE_LINE_MAX], why[2 * AGENT_NODE_LEN + 32];
	int lineno = 0, r;

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
		r = parse_line(ps, st, line, now_ms, why, sizeof(why));
		if (r > 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
			return -1;
		}
		if (r < 0) {
			snprintf(err, errlen, "%s:%d: malformed line", name, lineno);
			return -1;
		}
	}
	if (ps->version != STATE_VERSION || !ps->node_ok) {
		snprintf(err, errlen, "%s: no \"version %d\" or \"node\" line", name,
			 STATE_VERSION);
		return -1;
	}
	memcpy(st->jobs, ps->jobs, ps->njobs * sizeof(ps->jobs[0]));
	st->njobs = ps->njobs;
	memcpy(st->refused, ps->refused, ps->nrefused * sizeof(ps->refused[0]));
	st->nrefused = ps->nrefused;
	/* With holds turned off (max_hold 0) none is kept; else it ends by max_hold from now. */
	st->hold_until_ms =
	    max_hold > 0 ? from_wall(st, ps->hold_until, now_ms + agent_secs_ms(max_hold)) : 0;
	if (st->hold_until_ms) {
		st->hold_uid = ps->hold_uid;
		snprintf(st->hold_user, sizeof(st->hold_user), "%s", ps->hold_user);
		snprintf(st->hold_reason, sizeof(st->hold_reason), "%s", ps->hold_reason);
	}
	return 0;
}

/* The parse's 40 KiB are mapped for it and unmapped after it (the allocator maps blocks this
 * large): kept, they would stay private dirty in the agent for the weeks it runs. */
int agent_state_parse(struct agent_state *st, const char *name, const char *buf, size_t len,
		      int64_t now_ms, int64_t max_hold, char *err, size_t errlen)
{
	struct parse *ps = calloc(1, sizeof(*ps));
	int r;

	if (!ps) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	r = parse_all(ps, st, name, buf, len, now_ms, max_hold, err, errlen);
	free(ps);
	return r;
}

int agent_state_load(struct agent_state *st, const char *path, int64_t now_ms, int64_t max_hold,
		     char *err, size_t errlen)
{
	size_t got;
	char *buf;
	int r;

	if ((r = agent_file_read(path, STATE_FILE_MAX, &buf, &got, err, errlen)) <= 0)
		return r;
	r = agent_state_parse(st, path, buf, got, now_ms, max_hold, err, errlen);
	free(buf);
	return r;
}
