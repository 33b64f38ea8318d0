/* SPDX-License-Identifier: MIT */
/*
 * log.h - idleaccd's logging: stderr in the foreground (-D), syslog (LOG_DAEMON, ident
 * "idleaccd") otherwise. Under systemd (stderr is the journal's stream, $JOURNAL_STREAM)
 * each line carries its priority as a "<N>" prefix instead of a time stamp, so the journal
 * files it at its real priority. Safe to call from the worker thread.
 */
#ifndef AGENT_LOG_H
#define AGENT_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* [verbose] counts -v: 0 logs up to LOG_INFO, 1 or more adds LOG_DEBUG. */
void agent_log_open(bool foreground, int verbose);
void agent_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void agent_log_close(void);

#endif /* AGENT_LOG_H */
