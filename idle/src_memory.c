/* SPDX-License-Identifier: MIT */
/* src_memory.c - the memory source: memory held by processes that are not Slurm jobs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idle_int.h"

/*
 * Used memory is MemTotal - MemAvailable: what the kernel could not hand out without
 * swapping. The jobs' share is the resident set of their processes, and the rest belongs to
 * the owner (and the system). Resident sets count shared and file-backed pages, some of which
 * MemAvailable already treats as free, so the job share can be overstated; the result is
 * clamped at 0.
 */

/* /proc/meminfo is about 1.5 KiB; the fields we read are in its first lines. */
#define MEMINFO_LEN 8192

/* The memory source's state: only where to read from (the process table is the sampler's). */
struct memory_state {
	struct idle_rooted base; /* the root prefix */
};

/* The value in kB of the meminfo line "[key]:  N kB", or -1 if there is none. */
static long long meminfo_kb(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *s = buf;

	while (s && *s) {
		if (!strncmp(s, key, klen) && s[klen] == ':') {
			char *end;
			long long v = strtoll(s + klen + 1, &end, 10);

			return end == s + klen + 1 || v < 0 ? -1 : v;
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return -1;
}

static int memory_open(void **state, const struct idle_sources *conf, const char *root,
		       int64_t now_ms, char *err, size_t errlen)
{
	(void)conf, (void)now_ms;
	return idle_rooted_open(state, sizeof(struct memory_state), root, err, errlen);
}

static void memory_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
			  struct idle_snapshot *snap)
{
	struct memory_state *st = state;
	long long total, avail, nonjob;
	char buf[MEMINFO_LEN];
	uint64_t job = 0;
	size_t i;

	(void)now_ms;
	if (!st) {
		idle_unknown(snap, IDLE_SRC_MEMORY, "memory source not open");
		return;
	}
	if (idle_read_file(st->base.root, "/proc/meminfo", buf, sizeof(buf)) < 0) {
		idle_unknown(snap, IDLE_SRC_MEMORY, "cannot read /proc/meminfo: %s",
			     strerror(errno));
		return;
	}
	total = meminfo_kb(buf, "MemTotal");
	avail = meminfo_kb(buf, "MemAvailable");
	if (avail < 0) {
		/* Kernels before 3.14: free memory plus the caches it could drop. */
		long long f = meminfo_kb(buf, "MemFree"), b = meminfo_kb(buf, "Buffers"),
			  c = meminfo_kb(buf, "Cached");

		if (f >= 0 && b >= 0 && c >= 0)
			avail = f + b + c;
	}
	if (total <= 0 || avail < 0) {
		idle_unknown(snap, IDLE_SRC_MEMORY, "no MemTotal or MemAvailable in /proc/meminfo");
		return;
	}
	if (!sh->procs) {
		idle_unknown(snap, IDLE_SRC_MEMORY, "%s", sh->procs_err);
		return;
	}
	for (i = 0; i < sh->procs->n; i++)
		if (sh->procs->v[i].job)
			job += sh->procs->v[i].rss_kb;
	nonjob = total - (avail < total ? avail : total);
	nonjob = (uint64_t)nonjob > job ? nonjob - (long long)job : 0;
	snap->status[IDLE_SRC_MEMORY] = IDLE_ST_OK;
	snap->mem_used_pct = (double)nonjob * 100.0 / (double)total;
	snap->mem_total_kb = (uint64_t)total;
	snap->mem_job_kb = job;
}

const struct idle_source_ops idle_src_memory = {
    .id = IDLE_SRC_MEMORY,
    .uses_procs = true,
    .open = memory_open,
    .sample = memory_sample,
    .close = idle_rooted_close,
};
