/* SPDX-License-Identifier: MIT */
/* proto.c - framing of control-socket messages: a 4-byte big-endian length, then text. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "proto.h"

void agent_proto_put_len(uint8_t hdr[4], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

uint32_t agent_proto_get_len(const uint8_t hdr[4])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

/* Waits until [fd] is ready for [events] or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - clock_mono_ms();
		int r;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r > 0)
			return 0;
	}
}

static int write_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const char *p = buf;

	while (len) {
		ssize_t w;

		if (wait_fd(fd, POLLOUT, deadline) < 0)
			return -1;
		w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;

	while (len) {
		ssize_t r;

		if (wait_fd(fd, POLLIN, deadline) < 0)
			return -1;
		r = recv(fd, p, len, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int agent_proto_send(int fd, const char *buf, size_t len, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	uint8_t hdr[4];

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	agent_proto_put_len(hdr, (uint32_t)len);
	if (write_all(fd, hdr, sizeof(hdr), deadline) < 0)
		return -1;
	return write_all(fd, buf, len, deadline);
}

int agent_proto_recv(int fd, char **buf, size_t *len, size_t max, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	uint8_t hdr[4];
	uint32_t n;
	char *b;

	if (read_all(fd, hdr, sizeof(hdr), deadline) < 0)
		return -1;
	n = agent_proto_get_len(hdr);
	if (n > max) {
		errno = EMSGSIZE;
		return -1;
	}
	b = malloc((size_t)n + 1);
	if (!b)
		return -1;
	if (read_all(fd, b, n, deadline) < 0) {
		int e = errno;

		free(b);
		errno = e;
		return -1;
	}
	b[n] = '\0';
	*buf = b;
	if (len)
		*len = n;
	return 0;
}

int agent_proto_call(const char *path, const char *req, char **resp, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	if (agent_proto_send(fd, req, strlen(req), AGENT_PROTO_TIMEOUT_MS) < 0 ||
	    agent_proto_recv(fd, resp, NULL, AGENT_RESP_MAX, AGENT_PROTO_TIMEOUT_MS) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path,
			 e == ETIMEDOUT ? "no answer from idleaccd" : strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}
