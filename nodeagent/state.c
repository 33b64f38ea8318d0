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
#include <unistd.h>

#include "cycle.h"
#include "state.h"

#define STATE_VERSION 1

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
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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

int agent_state_load(struct agent_state *st, const char *path, int64_t now_ms, int64_t max_hold,
		     char *err, size_t errlen)
{
	char line[1024];
	struct agent_tjob jobs[AGENT_MAX_JOBS];
	struct agent_refused refused[AGENT_MAX_REFUSED];
	size_t njobs = 0, nrefused = 0, k;
	int64_t hold_until = 0;
	uint32_t hold_uid = 0;
	char hold_user[AGENT_USER_LEN] = "", hold_reason[AGENT_REASON_LEN] = "";
	int lineno = 0, version = 0;
	bool node_ok = false;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char word[16], s1[AGENT_NODE_LEN], fate[24];
		int64_t a, b;
		uint32_t id;
		int off = 0;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "%15s", word) != 1)
			goto bad;
		if (!strcmp(word, "version")) {
			if (sscanf(line, "version %d", &version) != 1 || version != STATE_VERSION)
				goto bad;
		} else if (!strcmp(word, "node")) {
			if (sscanf(line, "node %63s", s1) != 1)
				goto bad;
			if (strcmp(s1, st->name)) {
				snprintf(err, errlen, "%s:%d: written for node %s, not %s", path,
					 lineno, s1, st->name);
				fclose(f);
				return -1;
			}
			node_ok = true;
		} else if (!strcmp(word, "hold")) {
			if (sscanf(line, "hold %" SCNd64 " %" SCNu32 " %31s %n", &hold_until,
				   &hold_uid, hold_user, &off) != 3 ||
			    !off)
				goto bad;
			snprintf(hold_reason, sizeof(hold_reason), "%s", line + off);
		} else if (!strcmp(word, "job")) {
			if (sscanf(line, "job %" SCNu32 " %23s %" SCNd64 " %" SCNd64, &id, fate, &a,
				   &b) != 4 ||
			    njobs >= AGENT_MAX_JOBS)
				goto bad;
			memset(&jobs[njobs], 0, sizeof(jobs[njobs]));
			if (parse_fate(fate, &jobs[njobs].fate))
				goto bad;
			jobs[njobs].id = id;
			jobs[njobs].fate_ms = from_wall(st, a, now_ms);
			jobs[njobs].suspended_ms = from_wall(st, b, now_ms);
			/* Until a listing says otherwise: a suspended job may be requeued. */
			jobs[njobs].can_requeue = true;
			jobs[njobs].suspended = jobs[njobs].fate == AGENT_JOB_SUSPENDED ||
						jobs[njobs].fate == AGENT_JOB_KEPT;
			njobs++;
		} else if (!strcmp(word, "signal")) {
			int sig;

			if (sscanf(line, "signal %" SCNu32 " %d %" SCNd64, &id, &sig, &a) != 3 ||
			    sig < 1 || sig > 64 || a < 0)
				goto bad;
			/* A job line, if any, comes first; else a job only seen running. */
			for (k = 0; k < njobs && jobs[k].id != id; k++)
				;
			if (k == njobs) {
				if (njobs >= AGENT_MAX_JOBS)
					goto bad;
				memset(&jobs[njobs], 0, sizeof(jobs[njobs]));
				jobs[njobs].id = id;
				jobs[njobs].can_requeue = true;
				njobs++;
			}
			jobs[k].warn_sig = sig;
			jobs[k].warn_secs = a;
		} else if (!strcmp(word, "refused")) {
			if (sscanf(line, "refused %" SCNu32 " %" SCNd64, &id, &a) != 2 ||
			    nrefused >= AGENT_MAX_REFUSED)
				goto bad;
			memset(&refused[nrefused], 0, sizeof(refused[nrefused]));
			refused[nrefused].id = id;
			refused[nrefused].ms = from_wall(st, a, now_ms);
			nrefused++;
		} else {
			goto bad;
		}
	}
	fclose(f);
	if (version != STATE_VERSION || !node_ok) {
		snprintf(err, errlen, "%s: no \"version %d\" or \"node\" line", path,
			 STATE_VERSION);
		return -1;
	}
	memcpy(st->jobs, jobs, njobs * sizeof(jobs[0]));
	st->njobs = njobs;
	memcpy(st->refused, refused, nrefused * sizeof(refused[0]));
	st->nrefused = nrefused;
	st->hold_until_ms =
	    from_wall(st, hold_until, now_ms + (max_hold > 0 ? max_hold : 0) * 1000);
	st->hold_uid = hold_uid;
	snprintf(st->hold_user, sizeof(st->hold_user), "%s", hold_user);
	snprintf(st->hold_reason, sizeof(st->hold_reason), "%s", hold_reason);
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: malformed line", path, lineno);
	fclose(f);
	return -1;
}
