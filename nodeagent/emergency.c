/* SPDX-License-Identifier: MIT */
/*
 * emergency.c - emergency mode on the desktop: the verdict of a requisition and the CPU cap
 * on the jobs while the owner is present (cgroup v2 cpu.max or v1 CFS quota). The switch's
 * libslurm side is emergency_slurm.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emergency.h"
#include "localstop.h"
#include "plan.h"

bool agent_emergency_verdict(bool requisition, int cpu_share, struct idle_verdict *v)
{
	bool present;

	if (!requisition)
		return false;
	/* Doubt counts as presence here too: an unknown owner gets the cap. */
	present = v->owner != IDLE_OWNER_ABSENT;
	v->offer = v->run = true;
	if (present && v->nreasons < IDLE_MAX_REASONS) {
		/* Kept for the status: why the jobs run capped. */
		memmove(&v->reasons[1], &v->reasons[0], sizeof(v->reasons[0]) * v->nreasons);
		memmove(&v->codes[1], &v->codes[0], sizeof(v->codes[0]) * v->nreasons);
		snprintf(v->reasons[0], sizeof(v->reasons[0]),
			 "emergency requisition: jobs capped to %d%% of the CPUs", cpu_share);
		v->codes[0] = IDLE_RC_NONE;
		v->nreasons++;
	}
	return present;
}

/* ---------------------------------------------------------------- the cap */

/* The cgroup file systems, at their usual places (systemd, Debian, RHEL). */
#define CG2_ROOT     "/sys/fs/cgroup"
#define CG1_CPU	     "/sys/fs/cgroup/cpu"
#define CG_PERIOD_US 100000 /* the CFS period: 100 ms, the kernel's default */

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int agent_cap_cgroup_of(int pid, char *dir, size_t len, int *version)
{
	char path[64], line[512], v1[512] = "", v2[512] = "";
	bool have_v1 = false, have_v2 = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *cg;

		if (!ctl || !(cg = strchr(ctl + 1, ':')))
			continue;
		*cg++ = '\0';
		cg[strcspn(cg, "\n")] = '\0';
		ctl++;
		if (!strcmp(line, "0") && !*ctl) {
			snprintf(v2, sizeof(v2), "%s", cg);
			have_v2 = true;
		} else {
			/* "cpu,cpuacct" or "cpu": the v1 cpu controller's line */
			char *t, *save = NULL;

			for (t = strtok_r(ctl, ",", &save); t; t = strtok_r(NULL, ",", &save))
				if (!strcmp(t, "cpu")) {
					snprintf(v1, sizeof(v1), "%s", cg);
					have_v1 = true;
				}
		}
	}
	fclose(f);
	/* A cpu controller bound to v1 (a hybrid system) wins: v2 has no cpu there. */
	if (have_v1 && access(CG1_CPU "/cpu.cfs_quota_us", F_OK) == 0) {
		*version = 1;
		snprintf(dir, len, "%s%s", CG1_CPU, v1);
		return 0;
	}
	if (have_v2) {
		*version = 2;
		snprintf(dir, len, "%s%s", CG2_ROOT, v2);
		return 0;
	}
	return -1;
}

/* Writes the cap of [share] percent of the desktop's CPUs (0: none) on cgroup [dir]. */
static int set_quota(const char *dir, int version, int share)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long quota = share ? (long)share * (cpus > 0 ? cpus : 1) * CG_PERIOD_US / 100 : -1;
	char text[64];

	if (share && quota < 1000)
		quota = 1000; /* the kernel's minimum: 1 ms per period */
	if (version == 2) {
		if (share)
			snprintf(text, sizeof(text), "%ld %d", quota, CG_PERIOD_US);
		else
			snprintf(text, sizeof(text), "max %d", CG_PERIOD_US);
		return write_file(dir, "cpu.max", text);
	}
	snprintf(text, sizeof(text), "%d", CG_PERIOD_US);
	if (share && write_file(dir, "cpu.cfs_period_us", text) < 0)
		return -1;
	snprintf(text, sizeof(text), "%ld", quota);
	return write_file(dir, "cpu.cfs_quota_us", text);
}

/* Makes idleaccd's own cgroup beside the root of the hierarchy of [version]. */
static int own_group(struct agent_cap *c, int version, char *err, size_t errlen)
{
	char dir[sizeof(c->own)];

	if (c->own[0] && c->version == version)
		return 0;
	snprintf(dir, sizeof(dir), "%s/idleacc-%s", version == 2 ? CG2_ROOT : CG1_CPU, c->node);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create cgroup %s: %s", dir, strerror(errno));
		return -1;
	}
	memcpy(c->own, dir, sizeof(c->own));
	if (version == 2)
		(void)write_file(CG2_ROOT, "cgroup.subtree_control", "+cpu");
	c->version = version;
	return 0;
}

/* The job cgroup ".../job_ID" in [dir], cut after it; false if [dir] is in none. */
static bool job_group(char *dir, uint32_t job)
{
	char comp[32], *p;
	size_t n;

	n = (size_t)snprintf(comp, sizeof(comp), "/job_%" PRIu32, job);
	for (p = strstr(dir, comp); p; p = strstr(p + 1, comp))
		if (p[n] == '/' || p[n] == '\0') {
			p[n] = '\0';
			return true;
		}
	return false;
}

int agent_cap_apply(struct agent_cap *c, struct agent_localstop *ls, const struct agent_state *st,
		    int share, int64_t now_ms, char *err, size_t errlen)
{
	char done[8][512];
	size_t ndone = 0, i;
	int placed = 0;

	/* Nothing changes and nothing new can have started within the period. */
	if (share == c->share && (!share || now_ms < c->last_ms + AGENT_CAP_PERIOD_MS))
		return 0;
	c->last_ms = now_ms;
	if (agent_localstop_scan(ls, err, errlen) < 0)
		return -1;
	for (i = 0; i < ls->procs.n; i++) {
		const struct idle_proc *pr = &ls->procs.v[i];
		char dir[512], pid[24];
		size_t k;
		int version;

		if (!pr->job || pr->stepd || !pr->jobid ||
		    !agent_job_find((struct agent_state *)st, pr->jobid))
			continue;
		if (agent_cap_cgroup_of(pr->pid, dir, sizeof(dir), &version) < 0)
			continue; /* gone */
		if (!job_group(dir, pr->jobid)) {
			/* In no cgroup of its own: into ours (lifting the cap leaves it there). */
			if (!share && !(c->own[0] && !strncmp(dir, c->own, strlen(c->own))))
				continue;
			if (own_group(c, version, err, errlen) < 0)
				return -1;
			snprintf(pid, sizeof(pid), "%d", pr->pid);
			if (share && strcmp(dir, c->own) &&
			    write_file(c->own, "cgroup.procs", pid) < 0 && errno != ESRCH) {
				snprintf(err, errlen,
					 "cannot move job %" PRIu32 "'s process %d into %s: %s",
					 pr->jobid, pr->pid, c->own, strerror(errno));
				return -1;
			}
			snprintf(dir, sizeof(dir), "%s", c->own);
		}
		placed++;
		for (k = 0; k < ndone && strcmp(done[k], dir); k++)
			;
		if (k < ndone)
			continue;
		if (set_quota(dir, version, share) < 0) {
			snprintf(err, errlen, "cannot set the CPU cap on %s: %s", dir,
				 strerror(errno));
			return -1;
		}
		if (ndone < sizeof(done) / sizeof(done[0]))
			snprintf(done[ndone++], sizeof(done[0]), "%s", dir);
	}
	c->share = share;
	return placed;
}

int agent_cap_prepare(struct agent_cap *c, const char *node, char *err, size_t errlen)
{
	char dir[512];
	int version;

	snprintf(c->node, sizeof(c->node), "%s", node);
	if (agent_cap_cgroup_of(getpid(), dir, sizeof(dir), &version) < 0) {
		snprintf(err, errlen, "no cgroup cpu controller for this process");
		return -1;
	}
	return own_group(c, version, err, errlen);
}

void agent_cap_close(struct agent_cap *c)
{
	if (c->own[0])
		(void)rmdir(c->own);
	c->own[0] = '\0';
}
