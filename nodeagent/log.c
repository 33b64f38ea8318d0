/* SPDX-License-Identifier: MIT */
/* log.c - where idleaccd's messages go: stderr with a time stamp, the journal, or syslog. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

static bool to_stderr = true; /* until agent_log_open says otherwise */
static bool to_journal;	      /* stderr is systemd's journal stream: "<N>" prefixes */
static int max_prio = LOG_INFO;

/*
 * Whether stderr is the journal's stream: systemd sets $JOURNAL_STREAM to its "device:inode"
 * for a service whose stderr goes to the journal (systemd.exec(5)). A lone stderr redirected
 * elsewhere by a child keeps the variable but not the inode, so both are compared.
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &sb) < 0)
		return false;
	return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

void agent_log_open(bool foreground, int verbose)
{
	to_stderr = foreground;
	to_journal = foreground && stderr_is_journal();
	max_prio = verbose > 0 ? LOG_DEBUG : LOG_INFO;
	if (!foreground)
		openlog("idleaccd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	setlogmask(LOG_UPTO(max_prio));
}

void agent_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > max_prio)
		return;
	va_start(ap, fmt);
	if (to_journal) {
		char line[1024];

		/* The journal stamps the time and the unit; "<N>" gives it the priority
		 * (SyslogLevelPrefix=, on by default). */
		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "<%d>%s\n", prio & 7, line);
	} else if (to_stderr) {
		static const char *const names[] = {"emerg",   "alert",	 "crit", "error",
						    "warning", "notice", "info", "debug"};
		char ts[32], line[1024];
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		vsnprintf(line, sizeof(line), fmt, ap);
		/* One fprintf per line: the worker thread logs too. */
		fprintf(stderr, "%s.%03ld idleaccd: %s: %s\n", ts, now.tv_nsec / 1000000,
			names[prio & 7], line);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

void agent_log_close(void)
{
	if (!to_stderr)
		closelog();
}
