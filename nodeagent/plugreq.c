/* SPDX-License-Identifier: MIT */
/* plugreq.c - the SPANK plugin's requests (admit, job-start, job-end): who may ask, and parsing. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugreq.h"

bool agent_plugreq_is(const char *verb)
{
	return !strcmp(verb, "admit") || !strcmp(verb, "job-start") || !strcmp(verb, "job-end");
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

int agent_desktop_signal_parse(const char *s, int *sig, int64_t *secs)
{
	const char *at = strchr(s, '@');
	unsigned long long v;
	char name[16], buf[16];
	const char *n;
	int i;

	if (!at || at == s || (size_t)(at - s) >= sizeof(name))
		return -1;
	memcpy(name, s, (size_t)(at - s));
	name[at - s] = '\0';
	*sig = 0;
	if (parse_num(name, 1, 64, &v) == 0) {
		*sig = (int)v;
	} else {
		n = strncasecmp(name, "SIG", 3) ? name : name + 3;
		/* The C library's names, so that every signal the plugin names is known here. */
		for (i = 1; i < NSIG && !*sig; i++)
			if (!strcasecmp(n, agent_signal_name(i, buf, sizeof(buf))))
				*sig = i;
	}
	if (!*sig || parse_num(at + 1, 0, AGENT_SIGNAL_MAX_SECS, &v) < 0)
		return -1;
	*secs = (int64_t)v;
	return 0;
}

void agent_plugreq(struct agent_state *st, uid_t uid, const char *verb, const char *args,
		   int64_t now_ms, char *resp, size_t len)
{
	bool start = !strcmp(verb, "job-start");
	char id[65], extra[65] = "", more[2], reason[AGENT_REASON_LEN];
	unsigned long long job;
	int64_t secs = 0;
	int sig = 0, nf;

	/* slurmd runs the prolog and epilog as root; nobody else may steer the guard. */
	if (uid != 0) {
		snprintf(resp, len, "refused: only root (slurmd) may send %s", verb);
		return;
	}
	/* Arguments longer than any good ones are refused before they are split. */
	nf = args && strlen(args) < sizeof(id) ? sscanf(args, "%64s %64s %1s", id, extra, more) : 0;
	if (nf < 1 || nf > 2 || (nf == 2 && !start)) {
		snprintf(resp, len, "error: usage: %s",
			 start			  ? "job-start JOBID [SIG@SECONDS]"
			 : !strcmp(verb, "admit") ? "admit JOBID"
						  : "job-end JOBID");
		return;
	}
	if (parse_num(id, 1, UINT32_MAX, &job) < 0) {
		snprintf(resp, len, "error: \"%s\" is not a job id", id);
		return;
	}
	if (nf == 2 && agent_desktop_signal_parse(extra, &sig, &secs) < 0) {
		snprintf(
		    resp, len,
		    "error: \"%s\" is not SIG@SECONDS (a signal, then 0..%d seconds: USR1@120)",
		    extra, AGENT_SIGNAL_MAX_SECS);
		return;
	}
	if (!strcmp(verb, "admit")) {
		if (agent_admit(st, (uint32_t)job, now_ms, reason, sizeof(reason)))
			snprintf(resp, len, "yes");
		else
			snprintf(resp, len, "no: %s", reason);
	} else if (start) {
		if (agent_job_started(st, (uint32_t)job, sig, secs, now_ms) < 0)
			snprintf(resp, len, "error: too many jobs tracked on this node");
		else
			snprintf(resp, len, "ok");
	} else {
		agent_job_ended(st, (uint32_t)job, now_ms);
		snprintf(resp, len, "ok");
	}
}
