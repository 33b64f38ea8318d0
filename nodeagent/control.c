/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket server: accepts clients without blocking, reads one framed
 * request each, answers through the daemon's handler, and drops clients that are slow,
 * oversized or malformed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"

int agent_ctl_open(struct agent_ctl *ctl, const char *path, agent_ctl_handler h, void *arg,
		   char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	/* The slots are free already (zeroed, or dropped by agent_ctl_close()): writing them
	 * would make idleaccd's 9 KiB of them resident for the weeks it runs, in use or not. */
	memset(ctl, 0, offsetof(struct agent_ctl, c));
	ctl->lfd = -1;
	ctl->handler = h;
	ctl->arg = arg;
	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(ctl->path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->lfd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* The caller holds the pid file lock: a socket left here is a dead instance's. */
	unlink(path);
	if (bind(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(ctl->lfd, AGENT_CTL_BACKLOG) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(ctl->lfd);
		ctl->lfd = -1;
		return -1;
	}
	strcpy(ctl->path, path);
	return 0;
}

static void drop(struct agent_ctl_client *c)
{
	if (c->open)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

void agent_ctl_close(struct agent_ctl *ctl)
{
	int i;

	for (i = 0; i < AGENT_CTL_CLIENTS; i++)
		if (ctl->c[i].open)
			drop(&ctl->c[i]);
	if (ctl->lfd >= 0) {
		close(ctl->lfd);
		unlink(ctl->path);
	}
	ctl->lfd = -1;
}

static int free_slot(const struct agent_ctl *ctl)
{
	int i;

	for (i = 0; i < AGENT_CTL_CLIENTS; i++)
		if (!ctl->c[i].open)
			return i;
	return -1;
}

/*
 * Whether a client of [uid] may take a slot now: root may take any free one; another user one
 * that leaves root's reserve free, and only below AGENT_CTL_PER_UID of its own. Writes the
 * refusal into [why] otherwise.
 */
static bool slot_allowed(const struct agent_ctl *ctl, uid_t uid, char *why, size_t len)
{
	int i, used = 0, mine = 0;

	for (i = 0; i < AGENT_CTL_CLIENTS; i++) {
		if (!ctl->c[i].open)
			continue;
		used++;
		if (ctl->c[i].uid == uid)
			mine++;
	}
	if (used >= AGENT_CTL_CLIENTS) {
		snprintf(why, len, CTL_REFUSED ": idleaccd is busy (%d connections open)", used);
		return false;
	}
	if (uid == 0)
		return true;
	if (mine >= AGENT_CTL_PER_UID) {
		snprintf(why, len,
			 CTL_REFUSED ": uid %u has %d connections open (at most %d at once)",
			 (unsigned)uid, mine, AGENT_CTL_PER_UID);
		return false;
	}
	if (used >= AGENT_CTL_CLIENTS - AGENT_CTL_ROOT_SLOTS) {
		snprintf(why, len,
			 CTL_REFUSED ": idleaccd is busy (%d connections open, the rest kept for"
				     " root)",
			 used);
		return false;
	}
	return true;
}

/*
 * Answers [fd] with [msg] as far as its socket buffer takes it at once, and closes it: a fresh
 * Unix socket takes a short message whole, and a client that does not read loses nothing of
 * ours.
 */
static void turn_away(int fd, const char *msg)
{
	uint8_t buf[4 + 160];
	size_t n = strlen(msg);

	if (n > sizeof(buf) - 4)
		n = sizeof(buf) - 4;
	ctl_put_len(buf, (uint32_t)n);
	memcpy(buf + 4, msg, n);
	if (send(fd, buf, n + 4, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* Nothing more to do for a client that cannot take 100 bytes. */
	}
	close(fd);
}

int agent_ctl_pollfds(struct agent_ctl *ctl, struct pollfd *pfd, int max)
{
	int i, n = 0;

	/* Always: a client beyond its share is turned away at once, not left in the backlog
	 * where it would keep root out. */
	if (ctl->lfd >= 0 && n < max)
		pfd[n++] = (struct pollfd){.fd = ctl->lfd, .events = POLLIN};
	for (i = 0; i < AGENT_CTL_CLIENTS && n < max; i++)
		if (ctl->c[i].open)
			pfd[n++] = (struct pollfd){.fd = ctl->c[i].fd,
						   .events = ctl->c[i].out ? POLLOUT : POLLIN};
	return n;
}

int64_t agent_ctl_deadline(const struct agent_ctl *ctl)
{
	int64_t best = 0;
	int i;

	for (i = 0; i < AGENT_CTL_CLIENTS; i++)
		if (ctl->c[i].open && (!best || ctl->c[i].deadline_ms < best))
			best = ctl->c[i].deadline_ms;
	return best;
}

/* Frames [text] (taking ownership) as the client's response. */
static void respond(struct agent_ctl_client *c, char *text)
{
	size_t n;

	if (!text) {
		drop(c);
		return;
	}
	n = strlen(text);
	if (n > CTL_RESP_MAX)
		n = CTL_RESP_MAX;
	c->out = malloc(n + 4);
	if (!c->out) {
		free(text);
		drop(c);
		return;
	}
	ctl_put_len((uint8_t *)c->out, (uint32_t)n);
	memcpy(c->out + 4, text, n);
	free(text);
	c->outlen = n + 4;
	c->outoff = 0;
	/* Whatever else the client sends is not read: shut reading so it cannot pile up. */
	shutdown(c->fd, SHUT_RD);
}

static void respond_str(struct agent_ctl_client *c, const char *msg)
{
	respond(c, strdup(msg));
}

/*
 * Accepts every pending connection, up to twice the backlog per call (a flood of connects must
 * not keep the loop from the owner's input): each takes a slot or is turned away.
 */
static void accept_clients(struct agent_ctl *ctl)
{
	int k;

	for (k = 0; k < 2 * AGENT_CTL_BACKLOG; k++) {
		struct agent_ctl_client *c;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		char why[160];
		int fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or a client that left: nothing to do */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(fd);
			continue;
		}
		if (!slot_allowed(ctl, cred.uid, why, sizeof(why))) {
			turn_away(fd, why);
			continue;
		}
		c = &ctl->c[free_slot(ctl)];
		memset(c, 0, sizeof(*c));
		c->open = true;
		c->fd = fd;
		c->uid = cred.uid;
		c->deadline_ms = clock_mono_ms() + AGENT_CTL_DEADLINE_MS;
	}
}

static void read_client(struct agent_ctl *ctl, struct agent_ctl_client *c)
{
	for (;;) {
		ssize_t r;
		char msg[96];

		if (c->got < 4)
			r = recv(c->fd, c->hdr + c->got, 4 - c->got, 0);
		else
			r = recv(c->fd, c->req + (c->got - 4), c->len - (c->got - 4), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			drop(c); /* closed early or broken: nobody to answer */
			return;
		}
		c->got += (size_t)r;
		if (c->got == 4) {
			c->len = ctl_get_len(c->hdr);
			/* Checked before a byte of the body is read or stored. */
			if (c->len > CTL_REQ_MAX) {
				snprintf(msg, sizeof(msg),
					 CTL_ERROR ": request too long (%u bytes, at most %d)",
					 c->len, CTL_REQ_MAX);
				respond_str(c, msg);
				return;
			}
			if (c->len == 0) {
				respond_str(c, CTL_ERROR ": empty request");
				return;
			}
		}
		if (c->got > 4 && c->got == 4 + (size_t)c->len) {
			c->req[c->len] = '\0';
			if (strlen(c->req) != c->len) {
				respond_str(c, CTL_ERROR ": request contains a NUL byte");
				return;
			}
			respond(c, ctl->handler(ctl->arg, c->req, c->uid));
			return;
		}
	}
}

static void write_client(struct agent_ctl_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w < 0) {
			drop(c);
			return;
		}
		c->outoff += (size_t)w;
	}
	drop(c);
}

void agent_ctl_serve(struct agent_ctl *ctl, const struct pollfd *pfd, int n)
{
	int64_t now = clock_mono_ms();
	int i, k;

	for (k = 0; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		if (pfd[k].fd == ctl->lfd) {
			accept_clients(ctl);
			continue;
		}
		for (i = 0; i < AGENT_CTL_CLIENTS; i++) {
			struct agent_ctl_client *c = &ctl->c[i];

			if (!c->open || c->fd != pfd[k].fd)
				continue;
			if (c->out)
				write_client(c);
			else
				read_client(ctl, c);
			break;
		}
	}
	for (i = 0; i < AGENT_CTL_CLIENTS; i++)
		if (ctl->c[i].open && now >= ctl->c[i].deadline_ms)
			drop(&ctl->c[i]);
}
