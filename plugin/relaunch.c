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

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "idleacc.h"

/* The job as slurmctld has it before the relaunch. */
struct job_now {
	char *exc;    /* ExcNodeList as slurmctld prints it ("d[2-3]"), malloc'd, NULL if none */
	bool requeue; /* false for a --no-requeue job (or JobRequeue=0 without --requeue) */
	char comment[256]; /* AdminComment, cut to fit: only its first words are looked at */
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
	j->exc = ji->exc_nodes && ji->exc_nodes[0] ? strdup(ji->exc_nodes) : NULL;
	if (ji->exc_nodes && ji->exc_nodes[0] && !j->exc) {
		snprintf(err, errlen, "cannot load job %u: out of memory", jobid);
		slurm_free_job_info_msg(msg);
		return -1;
	}
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

/* Appends "; " and printf-style text to the message in [err] (as much as fits). */
static void err_append(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_append(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used = strlen(err);
	va_list ap;

	if (used + 3 >= errlen)
		return;
	if (used) {
		memcpy(err + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

/* Gives a --no-requeue job its flag back after a failure; says so in [err] if that failed. */
static void restore_no_requeue(uint32_t jobid, const struct job_now *j, char *err, size_t errlen)
{
	if (j->requeue || set_requeue(jobid, false) == SLURM_SUCCESS)
		return;
	err_append(err, errlen, "its --no-requeue flag could not be restored: %s",
		   slurm_strerror(slurm_get_errno()));
}

char *idleacc_exclude_add(const char *exc, const char *node, char *err, size_t errlen)
{
	/* 22.05 hands out a pointer type; later releases a struct behind a pointer. */
	__typeof__(slurm_hostlist_create(NULL)) hl = slurm_hostlist_create(exc ? exc : "");
	char *s = NULL;

	if (!hl) {
		snprintf(err, errlen, "excluded nodes \"%.64s%s\" are not a hostlist",
			 exc ? exc : "", exc && strlen(exc) > 64 ? "..." : "");
		return NULL;
	}
	if (slurm_hostlist_push_host(hl, node) > 0) {
		slurm_hostlist_uniq(hl);
		s = slurm_hostlist_ranged_string_malloc(hl);
	}
	slurm_hostlist_destroy(hl);
	if (!s)
		snprintf(err, errlen, "cannot add %s to the excluded nodes: out of memory", node);
	return s;
}

enum idleacc_relaunch_rc idleacc_relaunch(uint32_t jobid, const char *node, const char *why,
					  char *err, size_t errlen)
{
	struct job_now j = {0};
	job_desc_msg_t d;
	char comment[512], *exc;
	int try;

	if (errlen)
		err[0] = '\0';
	if (load(jobid, &j, err, errlen) < 0)
		return IDLEACC_RELAUNCH_FAILED;
	/*
	 * --no-requeue means "never run my script twice". Its script has not started here, so a
	 * relaunch repeats nothing: lift the flag for this one requeue, restore it below. The
	 * alternatives lose the job (cancel) or the owner's machine (let it run).
	 */
	if (!j.requeue && set_requeue(jobid, true) != SLURM_SUCCESS) {
		snprintf(err, errlen, "cannot allow requeue of --no-requeue job %u: %s", jobid,
			 slurm_strerror(slurm_get_errno()));
		free(j.exc);
		return IDLEACC_RELAUNCH_FAILED;
	}
	if (slurm_requeue(jobid, 0) != SLURM_SUCCESS) {
		snprintf(err, errlen, "cannot requeue job %u: %s", jobid,
			 slurm_strerror(slurm_get_errno()));
		restore_no_requeue(jobid, &j, err, errlen);
		free(j.exc);
		return IDLEACC_RELAUNCH_FAILED;
	}

	/*
	 * From here on the job is requeued, whatever fails: the answer is never "runs here". The
	 * job cannot have [node] in its list already (slurmctld would not have sent it), and the
	 * list may be as long as the user made it: a hostlist, not a buffer.
	 */
	exc = idleacc_exclude_add(j.exc, node, err, errlen);
	free(j.exc);
	if (!exc) {
		restore_no_requeue(jobid, &j, err, errlen);
		return IDLEACC_RELAUNCHED_NOT_EXCLUDED;
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
		if (slurm_update_job(&d) == SLURM_SUCCESS) {
			free(exc);
			return IDLEACC_RELAUNCHED;
		}
		snprintf(err, errlen, "excluding %s failed: %s", node,
			 slurm_strerror(slurm_get_errno()));
		nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
	}
	free(exc);
	restore_no_requeue(jobid, &j, err, errlen);
	return IDLEACC_RELAUNCHED_NOT_EXCLUDED;
}
