/* SPDX-License-Identifier: MIT */
/*
 * plugreq.h - the SPANK plugin's requests on the control socket, from slurmd (root) only
 * (verbs and answers are common/ctl.h's):
 *   admit JOBID                    -> "yes" | "no: REASON"
 *   job-start JOBID [SIG@SECONDS]  -> "ok"   (SIG@SECONDS: the job's --desktop-signal, in
 *                                             common/signame.h's grammar, as the plugin wrote it)
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

/* True if [verb] is one of the plugin's requests. */
bool agent_plugreq_is(const char *verb);

/*
 * Answers the plugin's request [verb] with arguments [args] (NULL or "" if none) from [uid]
 * into [resp]. "admit" answers from the verdict [st] holds, never from a sample of its own: a
 * sample may block for up to CTL_SAMPLE_BLOCK_MS, more than the plugin can wait, while the
 * verdict is kept fresh by input events and the periodic sample.
 */
void agent_plugreq(struct agent_state *st, uid_t uid, const char *verb, const char *args,
		   int64_t now_ms, char *resp, size_t len);

#endif /* AGENT_PLUGREQ_H */
