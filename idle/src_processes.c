/* SPDX-License-Identifier: MIT */
/* src_processes.c - the processes source: a configured busy program running outside the jobs. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "idle_int.h"

/*
 * A program is matched on its comm, the name the kernel keeps for it, which is cut to 15
 * characters: "gnome-system-monitor" runs as "gnome-system-mo". So a configured name matches
 * when its first 15 characters equal the comm. A busy program started by a job is the job's
 * business, not a sign of the owner: only non-job processes count.
 */

/* TASK_COMM_LEN - 1: the longest comm the kernel keeps. */
#define COMM_MAX 15

struct processes_state {
	struct idle_rooted base;	 /* the root prefix (the process table is the sampler's) */
	int nprograms;			 /* busy programs configured */
	char (*programs)[IDLE_NAME_LEN]; /* their names */
};

static int processes_open(void **state, const struct idle_sources *conf, const char *root,
			  int64_t now_ms, char *err, size_t errlen)
{
	struct processes_state *st;
	int n = conf->nprograms;

	(void)now_ms;
	if (n < 0)
		n = 0;
	if (n > IDLE_MAX_PROGRAMS)
		n = IDLE_MAX_PROGRAMS;
	if (idle_rooted_open(state, sizeof(*st), root, err, errlen) < 0)
		return -1;
	st = *state;
	if (n) {
		st->programs = calloc((size_t)n, sizeof(st->programs[0]));
		if (!st->programs) {
			idle_rooted_close(st);
			*state = NULL;
			idle_strlcpyf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(st->programs, conf->programs, (size_t)n * sizeof(st->programs[0]));
	}
	st->nprograms = n;
	return 0;
}

static void processes_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
			     struct idle_snapshot *snap)
{
	struct processes_state *st = state;
	size_t i;
	int k;

	(void)now_ms;
	if (!st) {
		idle_unknown(snap, IDLE_SRC_PROCESSES, "processes source not open");
		return;
	}
	if (st->nprograms == 0) {
		snap->status[IDLE_SRC_PROCESSES] = IDLE_ST_NONE;
		return;
	}
	if (!sh->procs) {
		idle_unknown(snap, IDLE_SRC_PROCESSES, "%s", sh->procs_err);
		return;
	}
	snap->status[IDLE_SRC_PROCESSES] = IDLE_ST_OK;
	snap->busy_program[0] = '\0';
	snap->busy_pid = 0;
	/* The scan is sorted by pid: the first match is the lowest pid. */
	for (i = 0; i < sh->procs->n; i++) {
		const struct idle_proc *p = &sh->procs->v[i];

		if (p->job)
			continue;
		for (k = 0; k < st->nprograms; k++) {
			if (strncmp(p->comm, st->programs[k], COMM_MAX) != 0)
				continue;
			idle_strlcpyf(snap->busy_program, sizeof(snap->busy_program), "%s",
				      st->programs[k]);
			snap->busy_pid = p->pid;
			return;
		}
	}
}

static void processes_close(void *state)
{
	struct processes_state *st = state;

	if (!st)
		return;
	free(st->programs);
	idle_rooted_close(st);
}

const struct idle_source_ops idle_src_processes = {
    .id = IDLE_SRC_PROCESSES,
    .uses_procs = true,
    .open = processes_open,
    .sample = processes_sample,
    .close = processes_close,
};
