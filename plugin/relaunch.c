/* SPDX-License-Identifier: MIT */
/*
 * relaunch.c - the plugin's only calls to slurmctld: sends a job that a desktop refused back to
 * the queue, not held, with that desktop excluded, so that it starts elsewhere at once.
 *
 * Why this and not a failing callback (measured on Slurm 22.05): a failing job_prolog holds
 * the job and drains the node; a failing init loses the job; a requeue alone sends the job
 * straight back to the same node. Requeue + exclusion + an immediate BeginTime is the one path
 * that leaves the node IDLE and the job PENDING, not held, Restarts=1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "idleacc.h"

/* The job's current excluded nodes, requeue flag and admin comment. */
struct job_now {
	char exc[1024];	   /* ExcNodeList as slurmctld prints it ("d[2-3]"), "" if none */
	bool requeue;	   /* false for a --no-requeue job (or JobRequeue=0 without --requeue) */
	char comment[256]; /* AdminComment, "" if none */
};

static int load(uint32_t jobid, struct job_now *j, char *err, size_t errlen)
{
	job_info_msg_t *msg = NULL;
	slurm_job_info_t *ji;

	if (slurm_load_job(&msg, jobid, SHOW_ALL | SHOW_DETAIL) != SLURM_SUCCESS || !msg ||
	    msg->record_count < 1) {
		snprintf(err, errlen, "cannot load job %u: %s", jobid,
			 slurm_strerror(slurm_get_errno()));
		if (msg)
			slurm_free_job_info_msg(msg);
		return -1;
	}
	ji = &msg->job_array[0];
	snprintf(j->exc, sizeof(j->exc), "%s", ji->exc_nodes ? ji->exc_nodes : "");
	snprintf(j->comment, sizeof(j->comment), "%s", ji->admin_comment ? ji->admin_comment : "");
	j->requeue = ji->requeue != 0;
	slurm_free_job_info_msg(msg);
	return 0;
}

static int set_requeue(uint32_t jobid, bool on)
{
	job_desc_msg_t d;

	slurm_init_job_desc_msg(&d);
	d.job_id = jobid;
	d.requeue = on ? 1 : 0;
	return slurm_update_job(&d);
}

int idleacc_relaunch(uint32_t jobid, const char *node, const char *why, char *err, size_t errlen)
{
	struct job_now j;
	job_desc_msg_t d;
	char exc[sizeof(j.exc) + 64], comment[512];
	int n, rc, try;

	if (load(jobid, &j, err, errlen) < 0)
		return -1;
	/*
	 * --no-requeue means "never run my script twice". Its script has not started here, so a
	 * relaunch repeats nothing: lift the flag for this one requeue, restore it below. The
	 * alternatives lose the job (cancel) or the owner's machine (let it run).
	 */
	if (!j.requeue && set_requeue(jobid, true) != SLURM_SUCCESS) {
		snprintf(err, errlen, "cannot allow requeue of --no-requeue job %u: %s", jobid,
			 slurm_strerror(slurm_get_errno()));
		return -1;
	}
	if (slurm_requeue(jobid, 0) != SLURM_SUCCESS) {
		snprintf(err, errlen, "cannot requeue job %u: %s", jobid,
			 slurm_strerror(slurm_get_errno()));
		if (!j.requeue)
			set_requeue(jobid, false);
		return -1;
	}

	/* The job cannot have [node] in its list already: slurmctld would not have sent it. */
	n = snprintf(exc, sizeof(exc), "%s%s%s", j.exc, j.exc[0] ? "," : "", node);
	if (n < 0 || (size_t)n >= sizeof(exc)) {
		snprintf(err, errlen,
			 "job %u requeued, but its excluded nodes are too long to add %s", jobid,
			 node);
		return -1;
	}
	/* An admin's own comment is kept; ours is replaced by the newest refusal. */
	if (j.comment[0] && strncmp(j.comment, IDLEACC_TAG, strlen(IDLEACC_TAG)))
		comment[0] = '\0';
	else
		snprintf(comment, sizeof(comment), IDLEACC_TAG "%s refused the job: %s", node, why);

	/*
	 * Two tries: slurmctld is answering (the requeue just worked), so a failure is a race with
	 * its own requeue processing. Without the exclusion the job would come back here.
	 */
	for (try = 0; try < 2; try++) {
		slurm_init_job_desc_msg(&d);
		d.job_id = jobid;
		d.exc_nodes = exc;
		/*
		 * slurmctld delays a requeued job until its launch credential has expired, so that
		 * it cannot start again on the node that still holds it. That node is excluded
		 * now: let the job start elsewhere at once.
		 */
		d.begin_time = time(NULL);
		if (!j.requeue)
			d.requeue = 0;
		if (comment[0])
			d.admin_comment = comment;
		rc = slurm_update_job(&d);
		if (rc == SLURM_SUCCESS)
			return 0;
		snprintf(err, errlen, "job %u requeued, but excluding %s failed: %s", jobid, node,
			 slurm_strerror(slurm_get_errno()));
		nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
	}
	if (!j.requeue)
		set_requeue(jobid, false);
	return 1;
}
