/* SPDX-License-Identifier: MIT */
/* ctl.c - the control socket's framing and its one client call (see ctl.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"

void ctl_put_len(uint8_t hdr[4], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

uint32_t ctl_get_len(const uint8_t hdr[4])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

/* Milliseconds left before [deadline_ms], 0 once it has passed. */
static int left_ms(int64_t deadline_ms)
{
	int64_t l = deadline_ms - clock_mono_ms();

	if (l <= 0)
		return 0;
	return l > 1000000 ? 1000000 : (int)l;
}

/* Waits until [fd] is ready for [events] or the deadline passes (ETIMEDOUT). */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int left = left_ms(deadline_ms), r;

		if (!left) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r > 0)
			return 0;
	}
}

static int write_all(int fd, const void *buf, size_t len, int64_t deadline_ms)
{
	const char *p = buf;

	while (len) {
		ssize_t w;

		if (wait_fd(fd, POLLOUT, deadline_ms) < 0)
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

static int read_all(int fd, void *buf, size_t len, int64_t deadline_ms)
{
	char *p = buf;

	while (len) {
		ssize_t r;

		if (wait_fd(fd, POLLIN, deadline_ms) < 0)
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

int ctl_send(int fd, const char *buf, size_t len, int64_t deadline_ms)
{
	uint8_t hdr[4];

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	ctl_put_len(hdr, (uint32_t)len);
	if (write_all(fd, hdr, sizeof(hdr), deadline_ms) < 0)
		return -1;
	return write_all(fd, buf, len, deadline_ms);
}

int ctl_recv(int fd, char **buf, size_t *len, size_t max, int64_t deadline_ms)
{
	uint8_t hdr[4];
	uint32_t n;
	char *b;

	if (read_all(fd, hdr, sizeof(hdr), deadline_ms) < 0)
		return -1;
	n = ctl_get_len(hdr);
	if (n > max) {
		errno = EMSGSIZE;
		return -1;
	}
	b = malloc((size_t)n + 1);
	if (!b)
		return -1;
	if (read_all(fd, b, n, deadline_ms) < 0) {
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

int ctl_socket_path(const char *dir, const char *node, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.sock", dir, node);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Connects [fd] to [sa] by [deadline_ms]. A Unix socket's connect either completes at once or,
 * non-blocking, fails with EAGAIN while the listener's backlog is full; there is nothing to poll
 * for, so it is retried after a pause that doubles up to 32 ms (a daemon busy for a while is not
 * woken a thousand times, one that accepts again is reached soon).
 */
static int connect_by(int fd, const struct sockaddr_un *sa, int64_t deadline_ms)
{
	int pause = 1;

	for (;;) {
		int left;

		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		left = left_ms(deadline_ms);
		if (!left) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(NULL, 0, pause < left ? pause : left);
		if (pause < 32)
			pause *= 2;
	}
}

int ctl_call(const char *path, const char *req, int timeout_ms, char **resp, char *err,
	     size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int fd, e;

	*resp = NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect_by(fd, &sa, deadline) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s", path,
			 e == ETIMEDOUT ? "idleaccd is not accepting (its backlog is full)"
					: strerror(e));
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	if (ctl_send(fd, req, strlen(req), deadline) < 0 ||
	    ctl_recv(fd, resp, NULL, CTL_RESP_MAX, deadline) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path,
			 e == ETIMEDOUT ? "no answer from idleaccd" : strerror(e));
		close(fd);
		*resp = NULL;
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

const char *ctl_answer(const char *resp, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(resp, word, n))
		return NULL;
	if (!resp[n])
		return resp + n;
	if (resp[n] == ':' && resp[n + 1] == ' ')
		return resp + n + 2;
	return NULL;
}
