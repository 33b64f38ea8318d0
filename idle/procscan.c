/* SPDX-License-Identifier: MIT */
/* procscan.c - the process table read from /proc, with the processes of jobs marked. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idle_int.h"

/*
 * A parent chain longer than this is a loop (only fixtures or a pid reused mid-scan can make
 * one; real trees are a few dozen deep), and the walk stops there.
 */
#define PROC_MAX_DEPTH 1024

/* Bytes of one /proc/PID/stat: 52 numbers and a 15-char comm fit well inside. */
#define PROC_STAT_LEN 1024

/*
 * Parses one /proc/PID/stat line into [p]. The comm sits between the first '(' and the LAST
 * ')', since a program may name itself "a) b"; the numbers after it are counted from field 3
 * (state), as in proc(5). Returns 0, or -1 if the line is not a stat line.
 */
static int parse_stat(const char *line, uint64_t page_kb, struct idle_proc *p)
{
	const char *open = strchr(line, '(');
	const char *close = strrchr(line, ')');
	const char *s;
	char *end;
	size_t clen;
	int field;

	if (!open || !close || close < open)
		return -1;
	clen = (size_t)(close - open - 1);
	if (clen >= sizeof(p->comm))
		clen = sizeof(p->comm) - 1;
	memcpy(p->comm, open + 1, clen);
	p->comm[clen] = '\0';
	p->ticks = 0;
	p->rss_kb = 0;
	p->ppid = -1;
	/* Field 3 is the one-letter state; numbers start at field 4. */
	s = close + 1;
	while (*s == ' ')
		s++;
	if (!*s || !isalpha((unsigned char)*s))
		return -1;
	p->state = *s++;
	for (field = 4; field <= 24; field++) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (end == s || errno)
			return -1;
		s = end;
		switch (field) {
		case 4: /* ppid */
			p->ppid = (int)v;
			break;
		case 14: /* utime */
		case 15: /* stime */
			p->ticks += v > 0 ? (uint64_t)v : 0;
			break;
		case 24: /* rss, pages */
			p->rss_kb = v > 0 ? (uint64_t)v * page_kb : 0;
			break;
		}
	}
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct idle_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The index of [pid] in the table sorted by pid, or -1. */
static long find_pid(const struct idle_procs *ps, int pid)
{
	size_t lo = 0, hi = ps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->v[mid].pid == pid)
			return (long)mid;
		if (ps->v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * A process is a job's when it or an ancestor is a job's root process, and its job is that of
 * the nearest one. The walk goes up through ppid; a parent missing from the table (pid 0, or a
 * parent that exited mid-scan) ends it.
 */
static void mark_jobs(struct idle_procs *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		long j = (long)i;
		int depth;

		ps->v[i].job = false;
		for (depth = 0; j >= 0 && depth < PROC_MAX_DEPTH; depth++) {
			if (ps->v[j].stepd) {
				ps->v[i].job = true;
				ps->v[i].jobid = ps->v[j].jobid;
				ps->v[i].stepd_pid = ps->v[j].pid;
				break;
			}
			if (ps->v[j].ppid <= 0 || ps->v[j].ppid == ps->v[j].pid)
				break;
			j = find_pid(ps, ps->v[j].ppid);
		}
	}
}

/*
 * The job of a job's root process from its title, "NAME: [JOB.STEP]" or "NAME: [JOB]" (Slurm's
 * slurmstepd rewrites its argv so): JOB, or 0 if the title is not of that form.
 */
static uint32_t stepd_job(const char *root, int pid)
{
	char rel[64], line[128];
	const char *s;
	uint64_t v = 0;

	snprintf(rel, sizeof(rel), "/proc/%d/cmdline", pid);
	if (idle_read_file(root, rel, line, sizeof(line)) <= 0)
		return 0;
	s = strchr(line, '[');
	if (!s || !isdigit((unsigned char)s[1]))
		return 0;
	for (s++; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return *s == '.' || *s == ']' ? (uint32_t)v : 0;
}

/* Parses a /proc entry name: a pid, or -1 for anything else ("self", "sys", ...). */
static int entry_pid(const char *name)
{
	long v = 0;

	if (!*name)
		return -1;
	for (; *name; name++) {
		if (!isdigit((unsigned char)*name))
			return -1;
		v = v * 10 + (*name - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}

int idle_procs_scan(struct idle_procs *ps, const char *root, const char *job_comm, char *err,
		    size_t errlen)
{
	char dir[PATH_MAX], rel[64], line[PROC_STAT_LEN];
	uint64_t page_kb = 4;
	struct dirent *de;
	DIR *d;

	ps->n = 0;
	/* A fixture tree was written with 4 KiB pages whatever the machine running the tests. */
	if (!root || !*root) {
		long pg = sysconf(_SC_PAGESIZE);

		if (pg >= 1024)
			page_kb = (uint64_t)pg / 1024;
	}
	if (!idle_path(dir, sizeof(dir), root, "/proc")) {
		idle_strlcpyf(err, errlen, "cannot open /proc: path too long");
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		idle_strlcpyf(err, errlen, "cannot open /proc: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		struct idle_proc p = {0};
		int pid = entry_pid(de->d_name);

		if (pid <= 0)
			continue;
		/* A process that exits between readdir and read is simply not there any more. */
		snprintf(rel, sizeof(rel), "/proc/%d/stat", pid);
		if (idle_read_file(root, rel, line, sizeof(line)) <= 0)
			continue;
		if (parse_stat(line, page_kb, &p) < 0)
			continue;
		p.pid = pid;
		p.stepd = job_comm && !strcmp(p.comm, job_comm);
		if (p.stepd)
			p.jobid = stepd_job(root, pid);
		if (ps->n == ps->cap) {
			size_t cap = ps->cap ? ps->cap * 2 : 256;
			struct idle_proc *v = realloc(ps->v, cap * sizeof(*v));

			if (!v) {
				closedir(d);
				ps->n = 0;
				idle_strlcpyf(err, errlen, "out of memory");
				return -1;
			}
			ps->v = v;
			ps->cap = cap;
		}
		ps->v[ps->n++] = p;
	}
	closedir(d);
	if (ps->n > 1)
		qsort(ps->v, ps->n, sizeof(ps->v[0]), cmp_pid);
	mark_jobs(ps);
	return 0;
}

int idle_procs_copy(struct idle_procs *dst, const struct idle_procs *src)
{
	if (src->n > dst->cap) {
		struct idle_proc *v = realloc(dst->v, src->n * sizeof(*v));

		if (!v) {
			dst->n = 0;
			return -1;
		}
		dst->v = v;
		dst->cap = src->n;
	}
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = src->n;
	return 0;
}

void idle_procs_free(struct idle_procs *ps)
{
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}
