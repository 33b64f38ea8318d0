/* SPDX-License-Identifier: MIT */
/*
 * plugreq.h - the SPANK plugin's requests on the control socket, from slurmd (root) only:
 *   admit JOBID                    -> "yes" | "no: REASON"
 *   job-start JOBID [SIG@SECONDS]  -> "ok"   (SIG@SECONDS: the job's --desktop-signal)
 *   job-end JOBID                  -> "ok"
 * Anyone else gets "refused: ...", bad arguments "error: ...". Parsing and answers only: the
 * decisions are plan.c's (agent_admit, agent_job_started, agent_job_ended).
 */
#ifndef AGENT_PLUGREQ_H
#define AGENT_PLUGREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

#define AGENT_SIGNAL_MAX_SECS 86400 /* the longest grace a job may ask (as the plugin checks) */

/* True if [verb] is one of the plugin's requests. */
bool agent_plugreq_is(const char *verb);

/*
 * Answers the plugin's request [verb] with arguments [args] (NULL or "" if none) from [uid]
 * into [resp]. For "admit", the caller has just sampled and observed a fresh verdict.
 */
void agent_plugreq(struct agent_state *st, uid_t uid, const char *verb, const char *args,
		   int64_t now_ms, char *resp, size_t len);

/*
 * Parses "SIG@SECONDS" (SIG a name with or without SIG, or a number 1-64; SECONDS
 * 0..AGENT_SIGNAL_MAX_SECS). Returns 0, or -1.
 */
int agent_desktop_signal_parse(const char *s, int *sig, int64_t *secs);

#endif /* AGENT_PLUGREQ_H */
