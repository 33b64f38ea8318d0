/* SPDX-License-Identifier: MIT */
/* src_load.c - the load source: CPUs kept busy by processes that are not Slurm jobs. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "idle_int.h"

/*
 * HTCondor judges the owner by LoadAvg - CondorLoadAvg: the load the machine would have
 * without its jobs. We measure the same from counters rather than from the run queue.
 *
 * On every sample we read the CPU time of the whole machine (the aggregate "cpu" line of
 * /proc/stat) and the CPU time of every job process (utime + stime from the process scan).
 * Between two samples:
 *
 *   nonjob = (delta busy - delta job ticks) / delta total * ncpus     (clamped >= 0)
 *
 * which is in CPUs: 1.0 is one core kept busy. Both readings are then smoothed with an
 * exponential moving average of time constant LOAD_TAU_S, like the kernel's 1-minute load
 * average, weighted by the wall-clock time between the samples, so an irregular interval
 * neither speeds up nor slows down the average.
 *
 * Job ticks: a process's counters are only visible while it lives. For each job process of
 * this scan we count ticks - ticks at the previous scan when the pid was there; a pid the
 * previous scan did not see started after it, so all its ticks fall inside the interval and
 * count in full; a pid whose ticks went down is a reused pid, counted in full too. A job
 * process that exits between two samples takes its last ticks with it: they stay in "busy"
 * and count as the owner's. That errs towards "owner present", the safe side.
 *
 * The first sample has no interval. It reports the kernel's 1-minute load average as the
 * non-job load (it includes the jobs, so it can only overstate the owner) and 0 job load;
 * the moving average starts from there.
 */

/* The time constant of the moving average, seconds: the kernel's 1-minute load average. */
#define LOAD_TAU_S 60.0

struct load_state {
	struct idle_rooted base; /* the root prefix (the process table is the sampler's) */
	struct idle_procs prev;	 /* a copy of the process table of the previous sample */
	bool have_prev;		 /* prev, busy, total and prev_ms hold a sample */
	uint64_t busy;		 /* busy clock ticks of all CPUs at the previous sample */
	uint64_t total;		 /* busy + idle clock ticks at the previous sample */
	int64_t prev_ms;	 /* wall clock of the previous sample */
	bool have_avg;		 /* nonjob_avg and job_avg hold a value */
	double nonjob_avg;	 /* smoothed non-job load, CPUs */
	double job_avg;		 /* smoothed job load, CPUs */
};

/* The aggregate counters of /proc/stat, clock ticks summed over the CPUs. */
struct cpu_times {
	uint64_t busy;	/* user + nice + system + irq + softirq + steal */
	uint64_t total; /* busy + idle + iowait */
	int ncpus;	/* "cpuN" lines */
};

/*
 * Reads the "cpu" line and counts the "cpuN" lines. Guest time is already inside user and
 * nice, so it is not added again. Returns 0, or -1 with [err] filled.
 */
static int read_cpu_times(const char *root, struct cpu_times *ct, char *err, size_t errlen)
{
	char path[PATH_MAX], line[512];
	bool seen = false;
	FILE *f;

	memset(ct, 0, sizeof(*ct));
	if (!idle_path(path, sizeof(path), root, "/proc/stat")) {
		idle_strlcpyf(err, errlen, "cannot read /proc/stat: path too long");
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		idle_strlcpyf(err, errlen, "cannot read /proc/stat: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = {0};

		if (strncmp(line, "cpu", 3) != 0) {
			if (seen)
				break; /* the cpu lines come first; the rest is not ours */
			continue;
		}
		if (line[3] >= '0' && line[3] <= '9') {
			ct->ncpus++;
			continue;
		}
		/* Kernels before 2.6.11 have no steal field: 4 values at least. */
		if (sscanf(line + 3, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) < 4)
			break;
		ct->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		ct->total = ct->busy + v[3] + v[4];
		seen = true;
	}
	fclose(f);
	if (!seen || ct->ncpus == 0) {
		idle_strlcpyf(err, errlen, "no cpu lines in /proc/stat");
		return -1;
	}
	return 0;
}

/* Ticks of job processes between the previous scan and this one (see the top comment). */
static uint64_t job_ticks_delta(const struct idle_procs *prev, const struct idle_procs *cur)
{
	uint64_t sum = 0;
	size_t i, j = 0;

	/* Both scans are sorted by pid: one merge walk pairs them. */
	for (i = 0; i < cur->n; i++) {
		const struct idle_proc *p = &cur->v[i];

		while (j < prev->n && prev->v[j].pid < p->pid)
			j++;
		if (!p->job)
			continue;
		if (j < prev->n && prev->v[j].pid == p->pid && prev->v[j].ticks <= p->ticks)
			sum += p->ticks - prev->v[j].ticks;
		else
			sum += p->ticks;
	}
	return sum;
}

static int load_open(void **state, const struct idle_sources *conf, const char *root,
		     int64_t now_ms, char *err, size_t errlen)
{
	(void)conf, (void)now_ms;
	return idle_rooted_open(state, sizeof(struct load_state), root, err, errlen);
}

/* The first sample: the kernel's load average stands in for the non-job load. */
static int first_average(struct load_state *st, char *err, size_t errlen)
{
	char buf[128];
	double la1;

	if (idle_read_file(st->base.root, "/proc/loadavg", buf, sizeof(buf)) < 0) {
		idle_strlcpyf(err, errlen, "cannot read /proc/loadavg: %s", strerror(errno));
		return -1;
	}
	if (sscanf(buf, "%lf", &la1) != 1 || la1 < 0) {
		idle_strlcpyf(err, errlen, "cannot parse /proc/loadavg");
		return -1;
	}
	st->nonjob_avg = la1;
	st->job_avg = 0;
	st->have_avg = true;
	return 0;
}

static void load_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
			struct idle_snapshot *snap)
{
	struct load_state *st = state;
	char err[IDLE_ERR_LEN];
	struct cpu_times ct;
	int rc = 0;

	if (!st) {
		idle_unknown(snap, IDLE_SRC_LOAD, "load source not open");
		return;
	}
	if (read_cpu_times(st->base.root, &ct, err, sizeof(err)) < 0) {
		idle_unknown(snap, IDLE_SRC_LOAD, "%s", err);
		return;
	}
	if (!sh->procs) {
		idle_unknown(snap, IDLE_SRC_LOAD, "%s", sh->procs_err);
		return;
	}
	if (!st->have_prev) {
		if (!st->have_avg) /* (a sample whose table could not be kept keeps the average) */
			rc = first_average(st, err, sizeof(err));
	} else if (ct.total > st->total && ct.busy >= st->busy) {
		double dtotal = (double)(ct.total - st->total);
		uint64_t dbusy = ct.busy - st->busy;
		uint64_t djob = job_ticks_delta(&st->prev, sh->procs);
		double nonjob, job, dt_s, a;

		if (djob > dbusy)
			djob = dbusy; /* the scan and /proc/stat are not read at one instant */
		nonjob = (double)(dbusy - djob) / dtotal * ct.ncpus;
		job = (double)djob / dtotal * ct.ncpus;
		dt_s = now_ms > st->prev_ms ? (double)(now_ms - st->prev_ms) / 1000.0 : 0.0;
		a = st->have_avg ? 1.0 - exp(-dt_s / LOAD_TAU_S) : 1.0;
		st->nonjob_avg += a * (nonjob - st->nonjob_avg);
		st->job_avg += a * (job - st->job_avg);
		st->have_avg = true;
	}
	/* No CPU time passed (or the counters went back): keep the average as it is. */

	/* out of memory for the copy: the next sample starts afresh, as the first one */
	st->have_prev = idle_procs_copy(&st->prev, sh->procs) == 0;
	st->busy = ct.busy;
	st->total = ct.total;
	st->prev_ms = now_ms;

	if (rc < 0 || !st->have_avg) {
		idle_unknown(snap, IDLE_SRC_LOAD, "%s", rc < 0 ? err : "no load measured yet");
		return;
	}
	snap->status[IDLE_SRC_LOAD] = IDLE_ST_OK;
	snap->load_nonjob = st->nonjob_avg;
	snap->load_job = st->job_avg;
	snap->ncpus = ct.ncpus;
}

static void load_close(void *state)
{
	struct load_state *st = state;

	if (!st)
		return;
	idle_procs_free(&st->prev);
	idle_rooted_close(st);
}

const struct idle_source_ops idle_src_load = {
    .id = IDLE_SRC_LOAD,
    .uses_procs = true,
    .open = load_open,
    .sample = load_sample,
    .close = load_close,
};
