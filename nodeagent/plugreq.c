/* SPDX-License-Identifier: MIT */
/* plugreq.c - the SPANK plugin's requests (admit, job-start, job-end): who may ask, and parsing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "plugreq.h"
#include "signame.h"

bool agent_plugreq_is(const char *verb)
{
	return !strcmp(verb, CTL_ADMIT) || !strcmp(verb, CTL_JOB_START) ||
	       !strcmp(verb, CTL_JOB_END);
}

/* A whole decimal number in [lo, hi], digits only. */
static int parse_num(const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return -1;
	*out = strtoull(s, &end, 10);
	return *out < lo || *out > hi ? -1 : 0;
}

void agent_plugreq(struct agent_state *st, uid_t uid, const char *verb, const char *args,
		   int64_t now_ms, char *resp, size_t len)
{
	bool start = !strcmp(verb, CTL_JOB_START);
	char id[65], extra[65] = "", more[2], reason[AGENT_REASON_LEN];
	unsigned long long job;
	long secs = 0;
	int sig = 0, nf;

	/* slurmd runs the prolog and epilog as root; nobody else may steer the guard. */
	if (uid != 0) {
		snprintf(resp, len, CTL_REFUSED ": only root (slurmd) may send %s", verb);
		return;
	}
	/* Arguments longer than any good ones are refused before they are split. */
	nf = args && strlen(args) < sizeof(id) ? sscanf(args, "%64s %64s %1s", id, extra, more) : 0;
	if (nf < 1 || nf > 2 || (nf == 2 && !start)) {
		snprintf(resp, len, CTL_ERROR ": usage: %s",
			 start			    ? CTL_JOB_START " JOBID [SIG@SECONDS]"
			 : !strcmp(verb, CTL_ADMIT) ? CTL_ADMIT " JOBID"
						    : CTL_JOB_END " JOBID");
		return;
	}
	if (parse_num(id, 1, UINT32_MAX, &job) < 0) {
		snprintf(resp, len, CTL_ERROR ": \"%s\" is not a job id", id);
		return;
	}
	/* The plugin's own grammar (common/signame.h): whatever it sends is known here. */
	if (nf == 2 && signame_spec_parse(extra, &sig, &secs) < 0) {
		snprintf(resp, len,
			 CTL_ERROR ": \"%s\" is not SIG@SECONDS (a signal, then 0..%d seconds: "
				   "USR1@120)",
			 extra, SIGNAME_MAX_GRACE);
		return;
	}
	if (!strcmp(verb, CTL_ADMIT)) {
		if (agent_admit(st, (uint32_t)job, now_ms, reason, sizeof(reason)))
			snprintf(resp, len, CTL_YES);
		else
			snprintf(resp, len, CTL_NO ": %s", reason);
	} else if (start) {
		if (agent_job_started(st, (uint32_t)job, sig, secs, now_ms) < 0)
			snprintf(resp, len, CTL_ERROR ": too many jobs tracked on this node");
		else
			snprintf(resp, len, CTL_OK);
	} else {
		agent_job_ended(st, (uint32_t)job, now_ms);
		snprintf(resp, len, CTL_OK);
	}
}
