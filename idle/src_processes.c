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
	char *root;			 /* the root prefix, NULL for the real system */
	int nprograms;			 /* busy programs configured */
	char (*programs)[IDLE_NAME_LEN]; /* their names */
	struct idle_procs procs;	 /* the process scan, kept to reuse its memory */
};

static int processes_open(void **state, const struct idle_sources *conf, const char *root,
			  int64_t now_ms, char *err, size_t errlen)
{
	struct processes_state *st;
	int n = conf->nprograms;
	char *rc;

	(void)now_ms;
	if (n < 0)
		n = 0;
	if (n > IDLE_MAX_PROGRAMS)
		n = IDLE_MAX_PROGRAMS;
	st = idle_state_new(sizeof(*st), root, &rc, err, errlen);
	if (!st)
		return -1;
	st->root = rc;
	if (n) {
		st->programs = calloc((size_t)n, sizeof(st->programs[0]));
		if (!st->programs)
			goto oom;
		memcpy(st->programs, conf->programs, (size_t)n * sizeof(st->programs[0]));
	}
	st->nprograms = n;
	*state = st;
	return 0;
oom:
	free(st->root);
	free(st);
	idle_strlcpyf(err, errlen, "out of memory");
	return -1;
}

static void processes_sample(void *state, int64_t now_ms, struct idle_snapshot *snap)
{
	struct processes_state *st = state;
	char err[IDLE_ERR_LEN];
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
	if (idle_procs_scan(&st->procs, st->root, err, sizeof(err)) < 0) {
		idle_unknown(snap, IDLE_SRC_PROCESSES, "%s", err);
		return;
	}
	snap->status[IDLE_SRC_PROCESSES] = IDLE_ST_OK;
	snap->busy_program[0] = '\0';
	snap->busy_pid = 0;
	/* The scan is sorted by pid: the first match is the lowest pid. */
	for (i = 0; i < st->procs.n; i++) {
		const struct idle_proc *p = &st->procs.v[i];

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
	idle_procs_free(&st->procs);
	free(st->programs);
	free(st->root);
	free(st);
}

const struct idle_source_ops idle_src_processes = {
	.id = IDLE_SRC_PROCESSES,
	.open = processes_open,
	.sample = processes_sample,
	.close = processes_close,
};
