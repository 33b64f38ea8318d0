/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - the control socket's contract, the one that idleaccd, idleacc, the SPANK plugin and
 * the tests' stand-in daemon all speak: where the socket is, its verbs and answers, the size
 * limits, the timeouts (derived from one another below), the framing, and the one client call.
 *
 * One request per connection. Each message is a 4-byte big-endian length followed by that many
 * bytes of text (no NUL). A request is a verb and its arguments separated by single spaces; an
 * answer is a word, alone or followed by ": " and a detail ("ok", "no: IDLEACC: ...").
 */
#ifndef COMMON_CTL_H
#define COMMON_CTL_H

#include <stddef.h>
#include <stdint.h>

/* idleaccd's run_dir, where the plugin looks for the socket: systemd's RuntimeDirectory. */
#define CTL_RUN_DIR "/run/idleaccd"

/* Verbs. From anyone: */
#define CTL_STATUS  "status"  /* status                          -> the report */
#define CTL_HOLD    "hold"    /* hold SECONDS (console user)     -> ok: ... | refused: ... */
#define CTL_RELEASE "release" /* release (console user)          -> ok: ... | refused: ... */
#define CTL_PING    "ping"    /* ping (the health check)         -> ok: node NODE, pid PID */
/* From root (slurmd running the plugin's prolog and epilog) only: */
#define CTL_ADMIT     "admit"	  /* admit JOBID                     -> yes | no: REASON */
#define CTL_JOB_START "job-start" /* job-start JOBID [SIG@SECONDS]   -> ok */
#define CTL_JOB_END   "job-end"	  /* job-end JOBID                   -> ok */
#define CTL_RECONCILE "reconcile" /* reconcile (read slurmctld now)  -> ok: ... */

/* The first word of every answer. */
#define CTL_OK	    "ok"      /* done (hold, release, job-start, job-end) */
#define CTL_YES	    "yes"     /* admit: the job may start */
#define CTL_NO	    "no"      /* admit: the job may not start here; the detail says why */
#define CTL_REFUSED "refused" /* the asker may not do this; the detail says who may */
#define CTL_ERROR   "error"   /* a malformed request; the detail says what was expected */

/* Sizes a reader checks before it stores a byte of the body. */
#define CTL_REQ_MAX  512 /* a request: "job-start 4294967295 VTALRM@86400" fits many times */
#define CTL_RESP_MAX (64 * 1024) /* an answer: a status listing many jobs */

/*
 * Timeouts, in milliseconds, each derived from the ones before it.
 *
 * idleaccd serves its socket from the loop that also samples the owner's state, so a client may
 * wait for the sample in progress: the longest a sample blocks is the base of everything else.
 * It never samples for a request (admit answers from the latest verdict), so a healthy daemon
 * answers in well under a millisecond and these bounds matter only when a source hangs.
 */

/* The longest one call of a sample may block: a D-Bus call to logind that gets no answer
 * (idle/src_logind.c gives up after this). A healthy logind answers in milliseconds; a loaded
 * one within a second. */
#define CTL_SAMPLE_BLOCK_MS 2000

/* One exchange once idleaccd's loop is free: answered from memory in microseconds; the rest is
 * for the scheduler of a desktop whose owner is compiling. */
#define CTL_EXCHANGE_MS 500

/* idleaccd drops a client that has not finished its exchange this long after accepting it: the
 * sample it may have to wait for, then the exchange. A client in time is never dropped. */
#define CTL_SERVER_DEADLINE_MS (CTL_SAMPLE_BLOCK_MS + CTL_EXCHANGE_MS)

/* The plugin's default agent_timeout (the prolog's whole connect, send and receive): the
 * server's deadline and one more exchange for the connect, which waits in a full backlog at most
 * as long as the loop is busy. Past it idleaccd is stuck, not busy, and the job is refused. */
#define CTL_PLUGIN_TIMEOUT_MS (CTL_SERVER_DEADLINE_MS + CTL_EXCHANGE_MS)

/* The largest agent_timeout an admin may set: slurmd waits that long in every job's prolog. */
#define CTL_PLUGIN_TIMEOUT_MAX_MS 10000

/* idleacc's whole exchange: a person waits, so give a loaded desktop twice the plugin's. */
#define CTL_CLI_TIMEOUT_MS (2 * CTL_PLUGIN_TIMEOUT_MS)

/* The framing's length prefix, big-endian. */
void ctl_put_len(uint8_t hdr[4], uint32_t len);
uint32_t ctl_get_len(const uint8_t hdr[4]);

/*
 * Writes one framed message to [fd] (blocking or not) by [deadline_ms] (clock_mono_ms()).
 * Returns 0, or -1 with errno set: ETIMEDOUT when the deadline passed, EPIPE when the peer
 * closed, EMSGSIZE when [len] does not fit the prefix.
 */
int ctl_send(int fd, const char *buf, size_t len, int64_t deadline_ms);

/*
 * Reads one framed message from [fd] by [deadline_ms] into a malloc'd, NUL-terminated [*buf]
 * (its length in [*len] unless NULL). A length above [max] fails with EMSGSIZE before a byte of
 * the body is read. Returns 0, or -1 with errno set (ETIMEDOUT, ECONNRESET when closed early,
 * ENOMEM) and [*buf] untouched.
 */
int ctl_recv(int fd, char **buf, size_t *len, size_t max, int64_t deadline_ms);

/*
 * Writes DIR/NODE.sock, the socket of [node]'s idleaccd in [dir], into [buf]. Returns 0, or -1
 * when it does not fit [len].
 */
int ctl_socket_path(const char *dir, const char *node, char *buf, size_t len);

/*
 * The one client call: connects to the socket at [path], sends [req] and puts the malloc'd
 * answer (at most CTL_RESP_MAX bytes) into [*resp], all within [timeout_ms]: connect, send and
 * receive share one deadline. The connect does not block: while the daemon's backlog is full it
 * is retried until the deadline, so a daemon that stopped accepting costs [timeout_ms], never
 * more. Returns 0, or -1 with [*resp] NULL, errno set (ENOENT or ECONNREFUSED: no daemon;
 * ETIMEDOUT: no answer in time; ENAMETOOLONG; EMSGSIZE) and [err] filled: "cannot connect to
 * PATH: ..." when the connect failed, else "PATH: ..." ("PATH: no answer from idleaccd").
 */
int ctl_call(const char *path, const char *req, int timeout_ms, char **resp, char *err,
	     size_t errlen);

/*
 * If [resp] is the answer [word] ("ok") or [word] followed by ": DETAIL", returns the detail
 * ("" when there is none); else NULL. ctl_answer("no: held", CTL_NO) is "held";
 * ctl_answer("nothing", CTL_NO) is NULL.
 */
const char *ctl_answer(const char *resp, const char *word);

#endif /* COMMON_CTL_H */
