/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - idleaccd's answers to control requests: one table from verb to who may ask and
 * the handler (verbs and answers are common/ctl.h's):
 *   status                         anyone          -> the report (report.c)
 *   ping                           anyone          -> "ok: node NODE, pid PID" (the health check)
 *   hold SECONDS                   console user    -> "ok: held by USER until HH:MM" | refused
 *   release                        console user    -> "ok: ..." | refused
 *   admit JOBID                    root (slurmd)   -> "yes" | "no: REASON"
 *   job-start JOBID [SIG@SECONDS]  root (slurmd)   -> "ok"   (SIG@SECONDS: the job's
 *                                                    --desktop-signal, common/signame.h)
 *   job-end JOBID                  root (slurmd)   -> "ok"
 * "Console user" means root or the person with a local session (console.c). Anyone else gets
 * "refused: ..." (for the plugin's verbs before its arguments are looked at), bad arguments or
 * an unknown verb "error: ...". Every request but status and ping is logged with its answer,
 * escaped. The decisions are plan.c's; this file parses, checks rights and words the answers.
 */
#ifndef AGENT_DISPATCH_H
#define AGENT_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

/* Who may send a verb. */
enum agent_asker {
	AGENT_ASK_ANYONE = 0, /* any local user: status, ping */
	AGENT_ASK_CONSOLE,    /* root or the console user: hold, release */
	AGENT_ASK_ROOT,	      /* root only (slurmd running the plugin): admit, job-start, job-end */
};

/*
 * True if [uid] has a local session at the console; [why] gets one line for the log saying
 * what decided. The daemon asks console.c (agent_console_user); tests answer as they like.
 */
typedef bool (*agent_console_fn)(void *arg, uid_t uid, char *why, size_t whylen);

/* What requests are answered from: the daemon's state, lent for one request. */
struct agent_reqenv {
	struct agent_state *st;		  /* changed by hold, release, admit, job-start, job-end */
	const struct agent_params *p;	  /* the node's policy, for the status */
	const struct idle_snapshot *snap; /* the last sample, NULL if none yet (status) */
	const char *config;		  /* the configuration file in force, "" for the built-in
					   * defaults (status) */
	int pid;			  /* the daemon's pid (status, ping) */
	int64_t max_hold;		  /* the longest hold, seconds; 0: holds turned off */
	agent_console_fn console;	  /* the console rule (hold, release) */
	void *console_arg;		  /* passed to [console] */
	void (*reconcile)(void *arg);	  /* reconcile with slurmctld now (reconcile); NULL:
					   * refused as unknown */
	void *reconcile_arg;		  /* passed to [reconcile] */
	const char *predict;		  /* the predicted idle window's lines (predict_run.h)
					   * for the status; NULL: none */
};

/* The verbs' rights, for the tests and the documentation: AGENT_ASK_* of [verb], or -1 if
 * [verb] is not one. */
int agent_request_asker(const char *verb);

/*
 * Answers the request [req] (NUL-terminated, at most CTL_REQ_MAX bytes, trailing blanks and
 * newlines ignored) from [uid] at [now_ms]. Returns a malloc'd answer (at most CTL_RESP_MAX
 * bytes), or NULL when out of memory. "admit" answers from the verdict [env->st] holds, never
 * from a sample of its own: a sample may block for up to CTL_SAMPLE_BLOCK_MS, more than the
 * plugin can wait, while input events and the periodic sample keep the verdict fresh.
 */
char *agent_request(const struct agent_reqenv *env, const char *req, uid_t uid, int64_t now_ms);

/*
 * A hold of [secs] (0: a release) by [uid]/[user] whom another way showed to be the console
 * user (the Windows button, through libidle's windows source), held to the same rules and
 * answered with the same words as the hold and release requests, into [resp].
 */
void agent_request_hold(struct agent_state *st, int64_t max_hold, uid_t uid, const char *user,
			int64_t secs, int64_t now_ms, char *resp, size_t len);

#endif /* AGENT_DISPATCH_H */
