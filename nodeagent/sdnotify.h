/* SPDX-License-Identifier: MIT */
/*
 * sdnotify.h - idleaccd's word to systemd (Type=notify): READY=1 once it serves, a STATUS=
 * line saying what it does now, WATCHDOG=1 from the main loop so that systemd restarts an
 * agent whose loop hangs, STOPPING=1 at exit. Datagrams to $NOTIFY_SOCKET, as sd_notify()
 * sends them, without libsystemd; everything is a no-op when systemd did not start us
 * ($NOTIFY_SOCKET unset).
 */
#ifndef AGENT_SDNOTIFY_H
#define AGENT_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* Room for one STATUS= line: systemctl status shows one line. */
#define AGENT_SD_STATUS_LEN 256

struct agent_sd {
	bool on;	     /* $NOTIFY_SOCKET named a socket at start-up */
	int64_t wd_every_ms; /* WATCHDOG=1 this often (half of $WATCHDOG_USEC, systemd's
			      * advice); 0 if systemd set no watchdog */
	int64_t wd_next_ms;  /* the next WATCHDOG=1 is due then (monotonic); 0 if none */
	char status[AGENT_SD_STATUS_LEN]; /* the STATUS= line last sent, "" before the first */
};

/* Reads the environment systemd gave us. Call once, in the process that keeps running (after
 * daemon()), before the other calls. */
void agent_sd_init(struct agent_sd *sd);

/* READY=1 with the first STATUS= line: the agent serves its socket and protects the owner. */
void agent_sd_ready(struct agent_sd *sd, const char *status);

/* Sends STATUS=[status] if it differs from the last one sent. */
void agent_sd_status(struct agent_sd *sd, const char *status);

/* Sends WATCHDOG=1 if it is due at [now_ms] (monotonic). Returns when the next one is due, for
 * the main loop's poll timeout, or 0 if there is no watchdog. */
int64_t agent_sd_watchdog(struct agent_sd *sd, int64_t now_ms);

/* STOPPING=1 with a last STATUS= line [why]. */
void agent_sd_stopping(struct agent_sd *sd, const char *why);

/*
 * One line for people on what the agent does now, from [st] alone (pure): the owner, the
 * node, the jobs, slurmctld; e.g. "owner present: node drained, 3 jobs suspended" or
 * "owner away: node offered, 1 job running". Fills [buf] and returns it.
 */
char *agent_sd_status_line(const struct agent_state *st, int64_t now_ms, char *buf, size_t len);

#endif /* AGENT_SDNOTIFY_H */
