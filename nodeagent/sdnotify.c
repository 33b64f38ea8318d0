/* SPDX-License-Identifier: MIT */
/* sdnotify.c - idleaccd's notifications to systemd: readiness, status, watchdog, stopping. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/*
 * The protocol, done here rather than through libsystemd's sd_notify() (which would load
 * libsystemd and its dependencies into every agent for a dozen lines): one datagram of
 * newline-separated assignments to the AF_UNIX socket named by $NOTIFY_SOCKET, a path or, with
 * a leading '@', an abstract name; systemd learns the sender from the socket's credentials.
 * The watchdog's period is $WATCHDOG_USEC, meant for us if $WATCHDOG_PID is unset or our pid.
 * A socket of another family (systemd 253's "vsock:") is not spoken: the agent then runs
 * without notifications, as outside systemd.
 */

/* Fills [sa] from $NOTIFY_SOCKET. Returns the address length, or 0 if unset or unusable. */
static socklen_t notify_address(struct sockaddr_un *sa)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n = e ? strlen(e) : 0;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n < 2 || n >= sizeof(sa->sun_path) || (e[0] != '/' && e[0] != '@'))
		return 0;
	memcpy(sa->sun_path, e, n);
	if (e[0] == '@') {
		sa->sun_path[0] = '\0'; /* abstract: the name is the bytes after the NUL */
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* Sends one message; failures are not worth a log line (systemd restarts a silent agent). */
static void send_msg(struct agent_sd *sd, const char *msg)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int fd;

	if (!sd->on || !(salen = notify_address(&sa)))
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	while (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0 &&
	       errno == EINTR)
		;
	close(fd);
}

/* $WATCHDOG_USEC if the watchdog is meant for this process, else 0. */
static uint64_t watchdog_usec(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (pid && *pid) {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno || *end || v != (unsigned long long)getpid())
			return 0;
	}
	if (!us || !*us)
		return 0;
	errno = 0;
	v = strtoull(us, &end, 10);
	if (errno || *end || us[0] == '-')
		return 0;
	return (uint64_t)v;
}

void agent_sd_init(struct agent_sd *sd)
{
	struct sockaddr_un sa;
	uint64_t usec;

	memset(sd, 0, sizeof(*sd));
	sd->on = notify_address(&sa) != 0;
	usec = sd->on ? watchdog_usec() : 0;
	if (usec >= 2000)
		sd->wd_every_ms = (int64_t)(usec / 2000);
}

static void send_status(struct agent_sd *sd, const char *head, const char *status)
{
	char msg[AGENT_SD_STATUS_LEN + 32];

	snprintf(sd->status, sizeof(sd->status), "%s", status);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", head, sd->status);
	send_msg(sd, msg);
}

void agent_sd_ready(struct agent_sd *sd, const char *status)
{
	send_status(sd, "READY=1\n", status);
}

void agent_sd_status(struct agent_sd *sd, const char *status)
{
	if (strncmp(sd->status, status, sizeof(sd->status) - 1))
		send_status(sd, "", status);
}

int64_t agent_sd_watchdog(struct agent_sd *sd, int64_t now_ms)
{
	if (!sd->on || !sd->wd_every_ms)
		return 0;
	if (now_ms >= sd->wd_next_ms) {
		send_msg(sd, "WATCHDOG=1");
		sd->wd_next_ms = now_ms + sd->wd_every_ms;
	}
	return sd->wd_next_ms;
}

void agent_sd_stopping(struct agent_sd *sd, const char *why)
{
	send_status(sd, "STOPPING=1\n", why);
}

char *agent_sd_status_line(const struct agent_state *st, int64_t now_ms, char *buf, size_t len)
{
	const struct agent_node *n = &st->node;
	unsigned running = 0, suspended = 0;
	const char *owner, *node;
	char jobs[64] = "";
	size_t k;

	for (k = 0; k < st->njobs; k++) {
		const struct agent_tjob *j = &st->jobs[k];

		if (j->fate == AGENT_JOB_REQUEUED || j->fate == AGENT_JOB_CANCELLED)
			continue;
		if (j->suspended || j->local_stop || j->fate == AGENT_JOB_SUSPENDED ||
		    j->fate == AGENT_JOB_KEPT)
			suspended++;
		else if (j->running)
			running++;
	}
	if (agent_hold_active(st, now_ms))
		owner = "held for the console user";
	else if (!st->have_verdict)
		owner = "owner not sampled yet";
	else if (st->verdict.owner == IDLE_OWNER_ABSENT)
		owner = st->verdict.offer ? "owner away" : "owner away, not yet for idle_after";
	else if (st->verdict.owner == IDLE_OWNER_PRESENT)
		owner = "owner present";
	else
		owner = "owner unknown (counts as present)";

	if (!st->node_known)
		node = "node not read yet";
	else if (agent_node_foreign(n))
		node = "node drained by someone else (standing aside)";
	else if (n->down)
		node = "node down";
	else if (n->drain)
		node = "node drained";
	else
		node = "node offered";

	if (running && suspended)
		snprintf(jobs, sizeof(jobs), ", %u job%s running, %u suspended", running,
			 running == 1 ? "" : "s", suspended);
	else if (running)
		snprintf(jobs, sizeof(jobs), ", %u job%s running", running,
			 running == 1 ? "" : "s");
	else if (suspended)
		snprintf(jobs, sizeof(jobs), ", %u job%s suspended", suspended,
			 suspended == 1 ? "" : "s");
	snprintf(buf, len, "%s: %s%s%s", owner, node, jobs,
		 st->online ? "" : "; slurmctld unreachable");
	return buf;
}
