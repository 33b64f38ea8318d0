/* SPDX-License-Identifier: MIT */
/*
 * gentle.c - makes a job's task yield to the desktop's owner: CPU nice and policy, I/O class,
 * and first in line for the OOM killer. Runs in the task process, as root, before it execs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "idleacc.h"

/* From linux/ioprio.h, which glibc does not wrap. */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_BE	   2
#define IOPRIO_CLASS_IDLE  3
#define IOPRIO_WHO_PROCESS 1

/* Writes [val] into the /proc file [path]. Returns 0, or -1 with errno set. */
static int write_proc(const char *path, int val)
{
	char buf[16];
	int fd, n, ok;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d\n", val);
	ok = write(fd, buf, (size_t)n) == n;
	if (close(fd) < 0)
		ok = 0;
	return ok ? 0 : -1;
}

int idleacc_gentle(const struct idleacc_conf *c, char *err, size_t errlen)
{
	struct sched_param sp = {.sched_priority = 0};
	int nfail = 0, policy = -1;

	if (errlen)
		err[0] = '\0';
	/*
	 * The policy first: sched_setscheduler() keeps the nice value, and a task that is
	 * already SCHED_IDLE never competes with the owner for the CPU while the rest is set.
	 */
	switch (c->sched) {
	case IDLEACC_SCHED_IDLE:
		policy = SCHED_IDLE;
		break;
	case IDLEACC_SCHED_BATCH:
		policy = SCHED_BATCH;
		break;
	case IDLEACC_SCHED_OTHER:
		policy = SCHED_OTHER;
		break;
	case IDLEACC_SCHED_KEEP:
		break;
	}
	if (policy >= 0 && sched_setscheduler(0, policy, &sp) < 0)
		idleacc_err_add(err, errlen, &nfail, "sched_setscheduler: %s", strerror(errno));
	if (c->set_nice && setpriority(PRIO_PROCESS, 0, c->nice) < 0)
		idleacc_err_add(err, errlen, &nfail, "setpriority(%d): %s", c->nice,
				strerror(errno));
	if (c->ionice != IDLEACC_IONICE_NONE) {
		int prio = c->ionice == IDLEACC_IONICE_IDLE
			       ? IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT
			       : IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT | c->ionice_level;

		if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0)
			idleacc_err_add(err, errlen, &nfail, "ioprio_set: %s", strerror(errno));
	}
	/* A kernel without autogroups (or a task in a cpu cgroup) has nothing to set here. */
	if (c->set_autogroup && write_proc("/proc/self/autogroup", c->autogroup) < 0 &&
	    errno != ENOENT)
		idleacc_err_add(err, errlen, &nfail, "autogroup nice %d: %s", c->autogroup,
				strerror(errno));
	if (c->set_oom && write_proc("/proc/self/oom_score_adj", c->oom_score_adj) < 0)
		idleacc_err_add(err, errlen, &nfail, "oom_score_adj %d: %s", c->oom_score_adj,
				strerror(errno));
	return nfail;
}
