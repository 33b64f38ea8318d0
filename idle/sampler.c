/* SPDX-License-Identifier: MIT */
/* sampler.c - the sampler: opens the configured sources and reads them into one snapshot. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "idle_int.h"

/* Every source, indexed by its id. A source not built here (no sd-bus, no X11) is NULL. */
static const struct idle_source_ops *const all_sources[IDLE_SRC_COUNT] = {
    [IDLE_SRC_EVDEV] = &idle_src_evdev,	  [IDLE_SRC_TTY] = &idle_src_tty,
#ifdef HAVE_SYSTEMD
    [IDLE_SRC_LOGIND] = &idle_src_logind,
#endif
#ifdef HAVE_X11
    [IDLE_SRC_X11] = &idle_src_x11,
#endif
    [IDLE_SRC_LOAD] = &idle_src_load,	  [IDLE_SRC_MEMORY] = &idle_src_memory,
    [IDLE_SRC_POWER] = &idle_src_power,	  [IDLE_SRC_PROCESSES] = &idle_src_processes,
    [IDLE_SRC_GPU] = &idle_src_gpu,	  [IDLE_SRC_WINDOWS] = &idle_src_windows,
};

struct idle_ctx {
	bool enabled[IDLE_SRC_COUNT];		     /* the configuration's choice */
	void *state[IDLE_SRC_COUNT];		     /* each open source's state, else NULL */
	bool open_failed[IDLE_SRC_COUNT];	     /* open() failed: the source is UNKNOWN */
	char open_err[IDLE_SRC_COUNT][IDLE_ERR_LEN]; /* why */
	char *root;				     /* the root prefix, NULL for the system */
	char *job_comm;				     /* comm of a job's root process, or NULL */
	bool uses_procs;			     /* an open source reads the process table */
	struct idle_procs procs;		     /* the process table of the last sample */
};

/*
 * The one process scan of a sample, for every source that reads the process table (load,
 * memory, processes): one walk over /proc rather than one per source. Fills [sh].
 */
static void scan_procs(struct idle_ctx *ctx, struct idle_shared *sh, char *err, size_t errlen)
{
	sh->procs = NULL;
	sh->procs_err = err;
	if (!ctx->uses_procs)
		return;
	if (idle_procs_scan(&ctx->procs, ctx->root, ctx->job_comm, err, errlen) == 0)
		sh->procs = &ctx->procs;
}

struct idle_ctx *idle_open(const struct idle_sources *src, const char *root, const char *job_comm,
			   char *err, size_t errlen)
{
	struct idle_ctx *ctx = calloc(1, sizeof(*ctx));
	int64_t now = idle_now_ms();
	int i;

	if (!ctx || (root && *root && !(ctx->root = strdup(root))) ||
	    (job_comm && !(ctx->job_comm = strdup(job_comm)))) {
		idle_close(ctx);
		idle_strlcpyf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < IDLE_SRC_COUNT; i++) {
		const struct idle_source_ops *ops = all_sources[i];

		ctx->enabled[i] = src->enabled[i];
		if (!ctx->enabled[i] || !ops)
			continue;
		if (ops->open(&ctx->state[i], src, root, now, ctx->open_err[i],
			      sizeof(ctx->open_err[i])) < 0) {
			ctx->state[i] = NULL;
			ctx->open_failed[i] = true;
		} else if (ops->uses_procs) {
			ctx->uses_procs = true;
		}
	}
	return ctx;
}

void idle_sample(struct idle_ctx *ctx, int64_t now_ms, struct idle_snapshot *snap)
{
	char scan_err[IDLE_ERR_LEN] = "";
	struct idle_shared sh;
	int i;

	memset(snap, 0, sizeof(*snap));
	snap->now_ms = now_ms;
	snap->logind_locked = -1;
	snap->battery_pct = -1;
	snap->on_ac = true;
	scan_procs(ctx, &sh, scan_err, sizeof(scan_err));
	for (i = 0; i < IDLE_SRC_COUNT; i++) {
		const struct idle_source_ops *ops = all_sources[i];

		if (!ctx->enabled[i])
			continue;
		if (!ops)
			idle_unknown(snap, (enum idle_source_id)i,
				     "%s source not built into this binary", idle_source_name(i));
		else if (ctx->open_failed[i])
			idle_unknown(snap, (enum idle_source_id)i, "%s", ctx->open_err[i]);
		else
			ops->sample(ctx->state[i], now_ms, &sh, snap);
	}
}

int idle_fds(struct idle_ctx *ctx, int *fds, int max)
{
	int i, n = 0;

	for (i = 0; i < IDLE_SRC_COUNT && n < max; i++) {
		const struct idle_source_ops *ops = all_sources[i];

		if (ctx->state[i] && ops && ops->fds)
			n += ops->fds(ctx->state[i], fds + n, max - n);
	}
	return n;
}

int idle_input(struct idle_ctx *ctx)
{
	int i, seen = 0;

	for (i = 0; i < IDLE_SRC_COUNT; i++) {
		const struct idle_source_ops *ops = all_sources[i];

		if (ctx->state[i] && ops && ops->input && ops->input(ctx->state[i]) > 0)
			seen = 1;
	}
	return seen;
}

void idle_close(struct idle_ctx *ctx)
{
	int i;

	if (!ctx)
		return;
	for (i = 0; i < IDLE_SRC_COUNT; i++)
		if (ctx->state[i] && all_sources[i])
			all_sources[i]->close(ctx->state[i]);
	idle_procs_free(&ctx->procs);
	free(ctx->root);
	free(ctx->job_comm);
	free(ctx);
}
