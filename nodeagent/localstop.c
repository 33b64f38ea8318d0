/* SPDX-License-Identifier: MIT */
/* localstop.c - stopping and continuing the jobs' processes on the desktop, without Slurm. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <syslog.h>

#include "localstop.h"
#include "privdrop.h"

void agent_localstop_init(struct agent_localstop *ls, const char *root)
{
	memset(ls, 0, sizeof(*ls));
	ls->root = root;
	ls->slurm_conf = getenv("SLURM_CONF");
}

void agent_localstop_free(struct agent_localstop *ls)
{
	idle_procs_free(&ls->procs);
}

size_t agent_localstop_pick(const struct idle_procs *ps, const struct agent_state *st,
			    const struct agent_params *p, int64_t now_ms, struct agent_lsig *out,
			    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < ps->n; i++) {
		const struct idle_proc *pr = &ps->v[i];
		enum agent_local want;
		int sig = 0;

		/* slurmstepd keeps talking to slurmd; a job process whose job is unknown is one
		 * whose slurmstepd exited mid-scan, and ends with it. */
		if (!pr->job || pr->stepd || !pr->jobid)
			continue;
		want = agent_local_want(st, p, pr->jobid, now_ms);
		if (want == AGENT_LOCAL_STOP && pr->state != 'T' && pr->state != 't' &&
		    pr->state != 'Z' && pr->state != 'X')
			sig = SIGSTOP;
		/* Every live process, not only those /proc shows stopped: a SIGSTOP sent a moment
		 * ago may not have landed yet, and a SIGCONT to a running process is harmless. */
		else if (want == AGENT_LOCAL_CONT && pr->state != 'Z' && pr->state != 'X')
			sig = SIGCONT;
		if (!sig)
			continue;
		if (n < max)
			out[n] = (struct agent_lsig){
			    .pid = pr->pid, .job = pr->jobid, .sig = sig, .state = pr->state};
		n++;
	}
	return n;
}

/* Bytes of a slurmstepd's environment read (slurmd's own, a few KiB). */
#define ENVIRON_LEN 65536

/* The slurmstepd [pid] was started by a slurmd of our slurm.conf. */
static bool stepd_ours(const struct agent_localstop *ls, int pid)
{
	static const char key[] = "SLURM_CONF=";
	const char *conf = NULL;
	char rel[64], *env;
	ssize_t n, i;
	int raised;
	bool ours;

	/* Mapped for the read and unmapped after it (the allocator maps blocks this large):
	 * a static buffer's pages would stay private dirty. Without memory, the processes
	 * count as ours: stopping another cluster's job beats leaving one beside the owner. */
	if (!(env = malloc(ENVIRON_LEN)))
		return true;
	snprintf(rel, sizeof(rel), "/proc/%d/environ", pid);
	/* slurmstepd holds every capability: reading its environment takes CAP_SYS_PTRACE, which
	 * idleaccd keeps permitted only, for this read (privdrop.h). */
	raised = agent_priv_raise(CAP_SYS_PTRACE);
	n = idle_read_file(ls->root, rel, env, ENVIRON_LEN);
	if (raised == 1)
		agent_priv_lower(CAP_SYS_PTRACE);
	for (i = 0; i < n; i += (ssize_t)strlen(env + i) + 1)
		if (!strncmp(env + i, key, sizeof(key) - 1))
			conf = env + i + sizeof(key) - 1;
	if (n <= 0)
		ours = false; /* gone */
	else if (!conf || !ls->slurm_conf)
		ours = !conf && !ls->slurm_conf;
	else
		ours = !strcmp(conf, ls->slurm_conf);
	free(env);
	return ours;
}

/* Processes under another cluster's slurmstepd count as no job's. */
static void drop_foreign(struct agent_localstop *ls)
{
	int ours[64], theirs[64];
	size_t no = 0, nt = 0, i, k;

	for (i = 0; i < ls->procs.n; i++) {
		struct idle_proc *p = &ls->procs.v[i];
		bool found = false, mine = false;

		if (!p->job || !p->stepd_pid)
			continue;
		for (k = 0; k < no && !found; k++)
			if (ours[k] == p->stepd_pid)
				found = mine = true;
		for (k = 0; k < nt && !found; k++)
			if (theirs[k] == p->stepd_pid)
				found = true;
		if (!found) {
			mine = stepd_ours(ls, p->stepd_pid);
			if (mine && no < 64)
				ours[no++] = p->stepd_pid;
			else if (!mine && nt < 64)
				theirs[nt++] = p->stepd_pid;
		}
		if (!mine)
			p->job = false;
	}
}

int agent_localstop_scan(struct agent_localstop *ls, char *err, size_t errlen)
{
	if (idle_procs_scan(&ls->procs, ls->root, AGENT_JOB_COMM, err, errlen) < 0)
		return -1;
	drop_foreign(ls);
	return 0;
}

/* Some job stopped by us may be continued now. */
static bool cont_due(const struct agent_state *st, const struct agent_params *p, int64_t now_ms)
{
	size_t i;

	for (i = 0; i < st->njobs; i++)
		if (st->jobs[i].local_stop &&
		    agent_local_want(st, p, st->jobs[i].id, now_ms) == AGENT_LOCAL_CONT)
			return true;
	return false;
}

int64_t agent_localstop_deadline(const struct agent_localstop *ls, const struct agent_state *st,
				 const struct agent_params *p, int64_t now_ms)
{
	if (!st->njobs || !agent_local_stopping(st, p, now_ms))
		return 0;
	return ls->last_ms + AGENT_LOCALSTOP_PERIOD_MS;
}

/* Per job: how many of its processes got a signal in this pass. */
struct tally {
	uint32_t job;
	int sig;
	int n;	/* processes signalled */
	int nd; /* of which in uninterruptible sleep ('D'): signalled again at every pass until
		 * they wake, which is no news */
};

static void tally_add(struct tally *t, size_t *nt, size_t max, const struct agent_lsig *s)
{
	size_t i;

	for (i = 0; i < *nt && (t[i].job != s->job || t[i].sig != s->sig); i++)
		;
	if (i == *nt) {
		if (*nt >= max)
			return;
		t[(*nt)++] = (struct tally){.job = s->job, .sig = s->sig};
	}
	t[i].n++;
	t[i].nd += s->state == 'D';
}

static bool seen_pid(const int *v, size_t n, int pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

int agent_localstop_cycle(struct agent_localstop *ls, struct agent_state *st,
			  const struct agent_params *p, int64_t now_ms, char *err, size_t errlen)
{
	struct agent_lsig sigs[AGENT_MAX_JOBS];
	struct tally tal[AGENT_MAX_JOBS];
	int signalled[AGENT_MAX_JOBS * 4];
	size_t nsignalled = 0, ntal = 0, i, n;
	bool stopping = agent_local_stopping(st, p, now_ms), cont = cont_due(st, p, now_ms);
	int scan, total = 0;

	/* Only the jobs tracked as this node's are touched: none, no pass. */
	if (!st->njobs || (!stopping && !cont)) {
		ls->last_stop_since = 0;
		return 0;
	}
	if (stopping && !cont && st->stop_since_ms == ls->last_stop_since && ls->last_ms &&
	    now_ms < ls->last_ms + AGENT_LOCALSTOP_PERIOD_MS)
		return 0;
	ls->last_ms = now_ms;
	ls->last_stop_since = stopping ? st->stop_since_ms : 0;
	/*
	 * A process may fork while we stop its parent, and the child runs: rescan until a scan
	 * finds no process that this pass has not signalled yet. A SIGCONT needs one scan.
	 */
	for (scan = 0; scan < AGENT_LOCALSTOP_MAX_SCANS; scan++) {
		bool fresh = false;

		if (idle_procs_scan(&ls->procs, ls->root, AGENT_JOB_COMM, err, errlen) < 0) {
			if (ls->failing)
				return -2;
			ls->failing = true;
			return -1;
		}
		ls->failing = false;
		drop_foreign(ls);
		n = agent_localstop_pick(&ls->procs, st, p, now_ms, sigs, AGENT_MAX_JOBS);
		if (n > AGENT_MAX_JOBS)
			n = AGENT_MAX_JOBS; /* the next scan takes the rest */
		for (i = 0; i < n; i++) {
			if (seen_pid(signalled, nsignalled, sigs[i].pid))
				continue; /* signalled already, not yet seen stopped */
			fresh = true;
			if (kill(sigs[i].pid, sigs[i].sig) < 0)
				continue; /* it exited since the scan */
			if (nsignalled < sizeof(signalled) / sizeof(signalled[0]))
				signalled[nsignalled++] = sigs[i].pid;
			tally_add(tal, &ntal, AGENT_MAX_JOBS, &sigs[i]);
			total++;
		}
		if (!fresh || !stopping)
			break;
	}
	for (i = 0; i < ntal; i++) {
		const struct agent_tjob *j = agent_job_find(st, tal[i].job);

		if (tal[i].sig == SIGSTOP && j && (!j->local_stop || tal[i].n > tal[i].nd))
			agent_local_stopped(st, tal[i].job, tal[i].n, now_ms);
	}
	/* The jobs to continue are continued even if none of their processes was still stopped
	 * (Slurm's resume continued them first). */
	for (i = 0; i < st->njobs; i++) {
		struct agent_tjob *j = &st->jobs[i];
		size_t k;
		int nc = 0;

		if (!j->local_stop || agent_local_want(st, p, j->id, now_ms) != AGENT_LOCAL_CONT)
			continue;
		for (k = 0; k < ntal; k++)
			if (tal[k].job == j->id && tal[k].sig == SIGCONT)
				nc = tal[k].n;
		agent_local_continued(st, j->id, nc, now_ms);
	}
	return total;
}

/* A job that only Slurm (or the job itself) may have stopped: ours to leave running. */
static bool stray_candidate(const struct agent_tjob *j)
{
	return j->fate == AGENT_JOB_SEEN && !j->local_stop && !j->busy &&
	       j->stray_fixes < AGENT_STRAY_MAX;
}

/* The live processes of [job] in [ps] (slurmstepd aside), and how many of them are stopped. */
static int job_procs(const struct idle_procs *ps, uint32_t job, int *stopped)
{
	size_t i;
	int live = 0;

	*stopped = 0;
	for (i = 0; i < ps->n; i++) {
		const struct idle_proc *pr = &ps->v[i];

		if (!pr->job || pr->stepd || pr->jobid != job || pr->state == 'Z' ||
		    pr->state == 'X')
			continue;
		live++;
		*stopped += pr->state == 'T';
	}
	return live;
}

size_t agent_localstop_strays_pick(const struct idle_procs *ps, struct agent_state *st,
				   const struct agent_params *p, int64_t now_ms,
				   struct agent_lsig *out, size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < st->njobs; i++) {
		struct agent_tjob *j = &st->jobs[i];
		int live, stopped;

		if (agent_local_stopping(st, p, now_ms) || !stray_candidate(j)) {
			j->stray_ms = 0;
			continue;
		}
		live = job_procs(ps, j->id, &stopped);
		if (!live || stopped < live) {
			j->stray_ms = 0;
			continue;
		}
		if (!j->stray_ms) {
			/* Slurm may have just suspended it: ask before touching anything. */
			j->stray_ms = now_ms;
			st->jobs_stale = true;
			continue;
		}
		if (st->jobs_listed_ms <= j->stray_ms) {
			st->jobs_stale = true; /* the listing is still to come */
			continue;
		}
		/* Slurm's own suspend (preemption, an admin): its resume continues it. */
		if (!j->running || j->suspended)
			continue;
		for (k = 0; k < ps->n; k++) {
			const struct idle_proc *pr = &ps->v[k];

			if (!pr->job || pr->stepd || pr->jobid != j->id || pr->state != 'T')
				continue;
			if (n < max)
				out[n] = (struct agent_lsig){.pid = pr->pid,
							     .job = j->id,
							     .sig = SIGCONT,
							     .state = pr->state};
			n++;
		}
	}
	return n;
}

int agent_localstop_strays(struct agent_localstop *ls, struct agent_state *st,
			   const struct agent_params *p, int64_t now_ms, char *err, size_t errlen)
{
	struct agent_lsig sigs[AGENT_MAX_JOBS];
	struct tally tal[AGENT_MAX_JOBS];
	size_t ntal = 0, i, n;
	int total = 0;

	for (i = 0; i < st->njobs && !stray_candidate(&st->jobs[i]); i++)
		;
	if (i == st->njobs || agent_local_stopping(st, p, now_ms))
		return 0; /* no scan: nothing of ours runs */
	if (agent_localstop_scan(ls, err, errlen) < 0) {
		if (ls->failing)
			return -2;
		ls->failing = true;
		return -1;
	}
	ls->failing = false;
	n = agent_localstop_strays_pick(&ls->procs, st, p, now_ms, sigs, AGENT_MAX_JOBS);
	if (n > AGENT_MAX_JOBS)
		n = AGENT_MAX_JOBS; /* the next sample takes the rest */
	for (i = 0; i < n; i++)
		if (kill(sigs[i].pid, SIGCONT) == 0) {
			tally_add(tal, &ntal, AGENT_MAX_JOBS, &sigs[i]);
			total++;
		}
	for (i = 0; i < ntal; i++) {
		struct agent_tjob *j = agent_job_find(st, tal[i].job);

		if (!j)
			continue;
		j->stray_fixes++;
		agent_note(
		    st, now_ms, LOG_WARNING, true,
		    "job %" PRIu32 " is RUNNING in Slurm but its %d processes were all"
		    " stopped for %" PRId64 "s (slurmd ran a suspend after the resume that"
		    " followed it): continued them on the desktop%s",
		    j->id, tal[i].n, (now_ms - j->stray_ms) / 1000,
		    j->stray_fixes < AGENT_STRAY_MAX
			? ""
			: "; that was the last time: it keeps stopping, and is left as it is");
		j->stray_ms = 0;
	}
	return total;
}
