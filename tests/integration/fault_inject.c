/* SPDX-License-Identifier: MIT */
/*
 * fault_inject.c - an LD_PRELOAD library for the fault tests: it kills idleaccd with SIGKILL
 * at one chosen step of its calls to libslurm, so a test can crash the agent exactly before
 * or after the RPC that suspends, resumes, signals or requeues a job (and so before the agent
 * could save what the call did in its state file).
 *
 * IDLEACC_FAULT="FUNCTION:before" or "FUNCTION:after", FUNCTION one of slurm_suspend,
 * slurm_resume, slurm_requeue, slurm_kill_job: the first call of FUNCTION kills the process,
 * before it reaches slurmctld or right after slurmctld answered. If IDLEACC_FAULT_MARK names
 * a file, "FUNCTION:WHEN JOBID" is written into it first, so the test knows where it died.
 * Without IDLEACC_FAULT the calls pass through unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>

/* Dies here if IDLEACC_FAULT names [fn] at [when] ("before" or "after"). */
static void maybe_die(const char *fn, const char *when, uint32_t job)
{
	const char *f = getenv("IDLEACC_FAULT"), *mark = getenv("IDLEACC_FAULT_MARK");
	size_t n = strlen(fn);
	char line[128];
	int fd, len;

	if (!f || strncmp(f, fn, n) || f[n] != ':' || strcmp(f + n + 1, when))
		return;
	if (mark && (fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) >= 0) {
		len = snprintf(line, sizeof(line), "%s:%s %u\n", fn, when, (unsigned)job);
		if (len > 0 && write(fd, line, (size_t)len) < 0)
			_exit(99); /* the test then sees no mark and fails */
		fsync(fd);
		close(fd);
	}
	kill(getpid(), SIGKILL);
	pause();
}

/* The real libslurm function [name], found after this library. */
static void *next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "fault_inject: %s not found\n", name);
		abort();
	}
	return p;
}

int slurm_suspend(uint32_t job_id)
{
	int (*real)(uint32_t) = (int (*)(uint32_t))next("slurm_suspend");
	int rc;

	maybe_die("slurm_suspend", "before", job_id);
	rc = real(job_id);
	maybe_die("slurm_suspend", "after", job_id);
	return rc;
}

int slurm_resume(uint32_t job_id)
{
	int (*real)(uint32_t) = (int (*)(uint32_t))next("slurm_resume");
	int rc;

	maybe_die("slurm_resume", "before", job_id);
	rc = real(job_id);
	maybe_die("slurm_resume", "after", job_id);
	return rc;
}

int slurm_requeue(uint32_t job_id, uint32_t flags)
{
	int (*real)(uint32_t, uint32_t) = (int (*)(uint32_t, uint32_t))next("slurm_requeue");
	int rc;

	maybe_die("slurm_requeue", "before", job_id);
	rc = real(job_id, flags);
	maybe_die("slurm_requeue", "after", job_id);
	return rc;
}

int slurm_kill_job(uint32_t job_id, uint16_t signal, uint16_t flags)
{
	int (*real)(uint32_t, uint16_t, uint16_t) =
	    (int (*)(uint32_t, uint16_t, uint16_t))next("slurm_kill_job");
	int rc;

	maybe_die("slurm_kill_job", "before", job_id);
	rc = real(job_id, signal, flags);
	maybe_die("slurm_kill_job", "after", job_id);
	return rc;
}
