/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proc.c - libFuzzer harness of the /proc readers: the process scan (idle/procscan.c)
 * and the load and memory sources (idle/src_load.c, idle/src_memory.c), over a fixture root
 * the harness writes from the input. The input is files separated by NUL bytes: /proc/stat,
 * /proc/meminfo, /proc/loadavg, then any number of /proc/PID/stat, each in the directory of
 * the number it starts with (as the kernel writes them: "600 (slurmstepd) S 1 ...") or of a
 * made-up pid when it starts with none. Each source is sampled twice, as the load source
 * needs two readings.
 */
#include "config.h"

#include "fuzz.h"
#include "idle_int.h"

#define MAX_PROCS 64

/* Writes [len] bytes at [p] as ROOT/REL. */
static void put(const char *root, const char *rel, const uint8_t *p, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	fuzz_write(path, p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {"/proc/stat", "/proc/meminfo", "/proc/loadavg"};
	char root[256], rel[64], err[IDLE_ERR_LEN];
	const uint8_t *p = data, *end = data + size;
	struct idle_sources conf;
	struct idle_snapshot snap;
	struct idle_procs ps = {0};
	struct idle_shared sh = {0};
	void *load = NULL, *mem = NULL;
	int i;

	snprintf(root, sizeof(root), "%s/root", fuzz_dir());
	fuzz_rm_tree(root);
	fuzz_mkdir(root);
	snprintf(rel, sizeof(rel), "%s/proc", root);
	fuzz_mkdir(rel);
	for (i = 0; p < end && i < 3 + MAX_PROCS; i++) {
		const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		char dir[512];

		if (i < 3) {
			put(root, files[i], p, len);
		} else {
			long pid = 0;
			size_t k;

			for (k = 0; k < len && k < 7 && p[k] >= '0' && p[k] <= '9'; k++)
				pid = pid * 10 + (p[k] - '0');
			if (!k || !pid)
				pid = 100000 + i;
			snprintf(dir, sizeof(dir), "%s/proc/%ld", root, pid);
			fuzz_mkdir(dir);
			snprintf(rel, sizeof(rel), "/proc/%ld/stat", pid);
			put(root, rel, p, len);
		}
		p += len + (nul ? 1 : 0);
	}

	if (idle_procs_scan(&ps, root, "slurmstepd", err, sizeof(err)) == 0) {
		for (size_t k = 1; k < ps.n; k++)
			if (ps.v[k - 1].pid >= ps.v[k].pid)
				abort(); /* the contract: sorted by pid */
		sh.procs = &ps;
	}
	sh.procs_err = err;

	/* the sources read the table as the sampler hands it to them */
	idle_sources_default(&conf);
	memset(&snap, 0, sizeof(snap));
	if (idle_src_load.open(&load, &conf, root, 1000, err, sizeof(err)) == 0) {
		idle_src_load.sample(load, 2000, &sh, &snap);
		idle_src_load.sample(load, 62000, &sh, &snap);
		idle_src_load.close(load);
	}
	if (idle_src_memory.open(&mem, &conf, root, 1000, err, sizeof(err)) == 0) {
		idle_src_memory.sample(mem, 2000, &sh, &snap);
		idle_src_memory.close(mem);
	}
	idle_procs_free(&ps);
	return 0;
}
