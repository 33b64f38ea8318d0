/* SPDX-License-Identifier: MIT */
/*
 * localstop.h - the owner's protection on the desktop itself: the processes of the jobs
 * stopped (SIGSTOP) the moment the owner comes back and continued (SIGCONT) when the planner
 * says so (agent_local_want() in plan.h), with no call to slurmctld or munged, so it works
 * during their outages and does not wait on their latency.
 *
 * A job's processes are the descendants of its slurmstepd, found in /proc (libidle's process
 * table, which gives each its job from the slurmstepd's title "slurmstepd: [JOB.STEP]").
 * Only the jobs the agent tracks as its node's are touched (several slurmd may share a host),
 * and only under a slurmstepd whose environment names the same SLURM_CONF as ours (none, on a
 * desktop; one per test cluster, whose job ids repeat).
 * Signals rather than a cgroup freezer: the same code works whatever Slurm's proctrack plugin
 * (proctrack/linuxproc puts a job in no cgroup of its own) and on cgroup v1 and v2 alike;
 * slurmstepd itself is never stopped, so slurmd can still talk to it. A process that left
 * its slurmstepd's tree (a daemon reparented to init) is not found, as by Slurm's
 * proctrack/linuxproc.
 */
#ifndef AGENT_LOCALSTOP_H
#define AGENT_LOCALSTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idle_int.h"
#include "plan.h"

/* The comm of Slurm's step daemon: every process of a job descends from one, and its title
 * names the job. libidle's process scan marks the jobs by it (idle_procs_scan, idle_open). */
#define AGENT_JOB_COMM "slurmstepd"

/* While jobs must stop and the node has jobs, passes repeat this often: a process that a late
 * SIGCONT (slurmd's own suspend/resume race) set running is stopped again. */
#define AGENT_LOCALSTOP_PERIOD_MS 1000
/* One pass rescans until a scan finds no new running process (forks), at most this often. */
#define AGENT_LOCALSTOP_MAX_SCANS 16

/* One signal a pass sends. */
struct agent_lsig {
	int pid;
	uint32_t job; /* the process's job */
	int sig;      /* SIGSTOP or SIGCONT */
	char state;   /* the process's state when read: a SIGSTOP to one in 'D' (uninterruptible
		       * sleep) stops it only when it wakes, and is sent again each pass */
};

/* The local protection's state, owned by the main thread. */
struct agent_localstop {
	const char *root;	 /* prefix of /proc (tests' fixture trees); NULL: the real one */
	const char *slurm_conf;	 /* our SLURM_CONF, NULL if unset: a slurmstepd whose slurmd
				  * read another slurm.conf is another cluster's */
	struct idle_procs procs; /* the process table, its memory reused between passes */
	int64_t last_ms;	 /* when the last pass ran (monotonic); 0 never */
	int64_t last_stop_since; /* the state's stop_since_ms at that pass: a new stop passes at
				  * once */
	bool failing;		 /* the last scan failed (logged once per failure run) */
};

void agent_localstop_init(struct agent_localstop *ls, const char *root);
void agent_localstop_free(struct agent_localstop *ls);

/*
 * Pure: the signals due for the process table [ps], at most [max] into [out]; returns how
 * many are due (possibly more than [max]). SIGSTOP goes to each running process of a job
 * whose processes must stop, SIGCONT to each stopped ('T') process of a job to continue;
 * slurmstepd, zombies, traced processes and processes of no known job get none.
 */
size_t agent_localstop_pick(const struct idle_procs *ps, const struct agent_state *st,
			    const struct agent_params *p, int64_t now_ms, struct agent_lsig *out,
			    size_t max);

/*
 * Runs a pass if one is due (a new stop, a job to continue, or the period while jobs must
 * stop): signals the processes and records in [st] what was stopped and continued (events
 * say so). Returns the number of processes signalled, or -1 with [err] filled when /proc
 * cannot be read (once per failure run; -2 while it keeps failing).
 */
int agent_localstop_cycle(struct agent_localstop *ls, struct agent_state *st,
			  const struct agent_params *p, int64_t now_ms, char *err, size_t errlen);

/*
 * Reads the process table into ls->procs, with the processes under another cluster's
 * slurmstepd counted as no job's (what a pass sees; the emergency cap uses it too). Returns
 * 0, or -1 with [err] filled.
 */
int agent_localstop_scan(struct agent_localstop *ls, char *err, size_t errlen);

/* A job continued this often is left as it is: it stops itself (or something else does). */
#define AGENT_STRAY_MAX 5

/*
 * The other half of slurmd's suspend/resume race (Slurm 22.05; tests/integration/
 * agent_stray_stop.test): when slurmd is busy (a pushed reconfigure), a resume that follows
 * a suspend at once can run before it, so the SIGSTOP lands last. Slurm then counts the job
 * RUNNING, sees nothing to resume, and the job stays stopped until its time limit.
 * Decides from the process table [ps] (no signal sent), at a sample while jobs may run. A job of
 * ours (fate "seen": neither suspended nor stopped by us, no call in flight) whose live processes
 * are all stopped ('T') is marked (its stray_ms) and a job listing asked for (jobs_stale);
 * once a listing asked for after the mark still shows it RUNNING and its processes are still
 * all stopped, SIGCONT is due to each of them (at most [max] into [out]; returns how many are
 * due). Slurm's own suspend of it shows in that listing (SUSPENDED): then nothing is done.
 * One race may take two continues (seen in the test: the job stopped again a second later).
 */
size_t agent_localstop_strays_pick(const struct idle_procs *ps, struct agent_state *st,
				   const struct agent_params *p, int64_t now_ms,
				   struct agent_lsig *out, size_t max);

/*
 * Scans the process table and continues what agent_localstop_strays_pick() says, with an
 * event for each job. Returns the number of processes continued, or -1 with [err] filled
 * when /proc cannot be read (once per failure run; -2 while it keeps failing).
 */
int agent_localstop_strays(struct agent_localstop *ls, struct agent_state *st,
			   const struct agent_params *p, int64_t now_ms, char *err, size_t errlen);

/* When the next periodic pass is due (monotonic), 0 if none. */
int64_t agent_localstop_deadline(const struct agent_localstop *ls, const struct agent_state *st,
				 const struct agent_params *p, int64_t now_ms);

#endif /* AGENT_LOCALSTOP_H */
