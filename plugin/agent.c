/* SPDX-License-Identifier: MIT */
/* agent.c - the plugin's side of idleaccd's control socket: one bounded request and answer. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "idleacc.h"
#include "proto.h"

/* Milliseconds left before [deadline], at least 1 so the helpers still try once. */
static int left_ms(int64_t deadline)
{
	int64_t l = deadline - clock_mono_ms();

	return l > 0 ? (int)l : 1;
}

int idleacc_agent_call(const struct idleacc_conf *c, const char *node, const char *req, char **resp,
		       char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = clock_mono_ms() + c->agent_timeout_ms;
	int fd, n;

	*resp = NULL;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", c->socket_dir, node);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "cannot connect to %s/%s.sock: path too long", c->socket_dir,
			 node);
		return -1;
	}
	/*
	 * Non-blocking: a Unix socket connect either succeeds at once or fails with EAGAIN when
	 * the daemon's backlog is full; a daemon that stopped accepting is not worth waiting for.
	 */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", sa.sun_path,
			 errno == EAGAIN ? "idleaccd is not accepting" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (agent_proto_send(fd, req, strlen(req), left_ms(deadline)) < 0 ||
	    agent_proto_recv(fd, resp, NULL, AGENT_RESP_MAX, left_ms(deadline)) < 0) {
		snprintf(err, errlen, "%s: %s", sa.sun_path,
			 errno == ETIMEDOUT ? "no answer from idleaccd" : strerror(errno));
		close(fd);
		*resp = NULL;
		return -1;
	}
	close(fd);
	return 0;
}
