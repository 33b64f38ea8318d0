/* SPDX-License-Identifier: MIT */
/*
 * src_windows.c - the windows source: readings from the idleacc service on the Windows side
 * of a PC whose Slurm node runs in a Linux guest (WSL2 or a Hyper-V VM).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "clock.h"
#include "defaults.h"
#include "idle_int.h"
#include "winlink.h"

/*
 * Only Windows can see its owner, so the service there sends what it sees: per Windows
 * session the age of its last input, console or remote, locked or not, whether the session's
 * helper reports; and AC power, a busy program, GPU use (common/winlink.h has the protocol).
 * This source listens for it, on the guest's loopback for WSL2 or on AF_VSOCK for a VM, and
 * checks every connection's handshake and every message's MAC with the shared secret.
 *
 * The listening socket and every connection are descriptors the caller polls (fds()): a
 * reading the service sends the moment input resumes wakes the caller at once, and input()
 * says whether it carried new owner input. sample() reads whatever is pending too.
 *
 * Doubt is presence. The source is UNKNOWN while it has no secret or cannot listen, before the
 * first reading, as soon as the authenticated connection breaks, when the service is silent
 * for longer than three of its announced heartbeats (at most max_silence), and while a
 * session of a counted kind has no helper reporting for it.
 *
 * Refusals (a wrong secret, a bad MAC, a replayed message, garbage, a handshake left
 * unfinished) close the connection and are counted in the snapshot with the last one's
 * reason, for the daemon to log; the library itself says nothing. A newly authenticated
 * connection replaces the previous one (the service restarted), so at most one feeds
 * readings; unauthenticated peers are a few and short-lived.
 *
 * Input times: a session's input counts as new only when its input_seq changes (the service
 * moves it each time the last input moves), then at the receive time minus the reported
 * age. Readings that only repeat an old input never move it, whatever the jitter between the
 * two machines' clocks.
 */

#define WIN_MAX_PEERS	     4	  /* connections at once: the service, and a few strangers */
#define WIN_HANDSHAKE_MS     5000 /* an unauthenticated peer gets this long to prove itself */
#define WIN_MAX_TRACKED	     32	  /* sessions whose input_seq is remembered */
#define WIN_MIN_HEARTBEAT_MS 100  /* a shorter heartbeat is read as this */
#define WIN_LISTEN_BACKLOG   4
#define WIN_ADDR_LEN	     64

/* One connection. */
struct win_peer {
	int fd;			       /* -1 when the slot is free */
	struct winlink link;	       /* its handshake and counters */
	int64_t since_mono;	       /* when it was accepted (monotonic ms) */
	uint8_t in[WINLINK_FRAME_MAX]; /* bytes of the frame being read */
	size_t nin;		       /* bytes in [in] */
	char addr[WIN_ADDR_LEN];       /* its address, for messages */
};

/* What is remembered of one Windows session. */
struct win_session {
	uint32_t id;	 /* Windows session id */
	uint32_t seq;	 /* its input_seq last taken */
	bool used;	 /* the slot holds a session */
	int64_t last_ms; /* its newest input (wall ms) */
};

struct windows_state {
	char *root;				      /* the root prefix, NULL for the system */
	char secret_path[IDLE_PATH_LEN];	      /* the setting, without the root */
	uint8_t secret[WINLINK_SECRET_MAX];	      /* the secret, once read */
	size_t secret_len;			      /* 0 until read */
	char secret_err[IDLE_ERR_LEN];		      /* why it could not be read, or "" */
	char listen_spec[IDLE_PATH_LEN];	      /* the listen setting */
	int lfd;				      /* the listening socket, -1 if none */
	char listen_err[IDLE_ERR_LEN];		      /* why it is not listening, or "" */
	char listening[WIN_ADDR_LEN];		      /* the bound address */
	unsigned kinds;				      /* IDLE_WIN_* counted */
	int64_t max_silence_ms;			      /* cap on the silence bound */
	int64_t open_ms;			      /* when opened: no input is older */
	struct win_peer peers[WIN_MAX_PEERS];	      /* the connections */
	int active;				      /* index of the authenticated peer, -1 */
	bool have_reading;			      /* the active peer has sent a reading */
	struct winlink_reading reading;		      /* its last reading */
	int64_t reading_mono;			      /* when that arrived (monotonic ms) */
	struct win_session sessions[WIN_MAX_TRACKED]; /* input_seq per session */
	int64_t console_last_ms;		      /* newest counted console input, 0 none */
	int64_t remote_last_ms;			      /* newest counted remote input, 0 none */
	char broken[IDLE_ERR_LEN];		      /* why the last active connection ended */
	unsigned refused;			      /* peers refused since open */
	char refused_why[IDLE_ERR_LEN];		      /* the last refusal */
	unsigned holds;				      /* hold requests since open */
	struct winlink_hold hold;		      /* the last one */
};

/* ---------------------------------------------------------------- addresses */

/*
 * Parses [spec] into [ss]. "vsock:PORT" listens on every CID; "HOST:PORT" takes a numeric
 * IPv4 address, "[HOST]:PORT" a numeric IPv6 one. PORT 0 takes any free port.
 */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err,
			size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!strncmp(spec, "vsock:", 6)) {
		port_s = spec + 6;
		host[0] = '\0';
	} else if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		if (!colon || (size_t)(colon - spec - 1) >= sizeof(host)) {
			idle_strlcpyf(err, errlen, "\"%s\" is not [IPV6]:PORT", spec);
			return -1;
		}
		memcpy(host, spec + 1, (size_t)(colon - spec - 1));
		host[colon - spec - 1] = '\0';
		port_s = colon + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host)) {
			idle_strlcpyf(err, errlen,
				      "\"%s\" is not ADDRESS:PORT, [IPV6]:PORT or vsock:PORT",
				      spec);
			return -1;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port_s = colon + 1;
	}
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (!*port_s || *end || errno || port > 65535 || *port_s == '-' || *port_s == '+') {
		idle_strlcpyf(err, errlen, "bad port \"%s\" in \"%s\"", port_s, spec);
		return -1;
	}
	if (!strncmp(spec, "vsock:", 6)) {
		struct sockaddr_vm *vm = (struct sockaddr_vm *)ss;

		vm->svm_family = AF_VSOCK;
		vm->svm_cid = VMADDR_CID_ANY;
		vm->svm_port = (unsigned)port;
		*len = sizeof(*vm);
	} else if (spec[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
			idle_strlcpyf(err, errlen, "\"%s\" is not a numeric IPv6 address", host);
			return -1;
		}
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			idle_strlcpyf(err, errlen, "\"%s\" is not a numeric IPv4 address", host);
			return -1;
		}
	}
	return 0;
}

int idle_windows_check_listen(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_listen(spec, &ss, &len, err, errlen);
}

/* "127.0.0.1:9339", "[::1]:9339", "vsock:3:9339" (CID:PORT). */
static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		idle_strlcpyf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		idle_strlcpyf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else if (ss->ss_family == AF_VSOCK) {
		const struct sockaddr_vm *vm = (const struct sockaddr_vm *)ss;

		idle_strlcpyf(buf, len, "vsock:%u:%u", vm->svm_cid, vm->svm_port);
	} else {
		idle_strlcpyf(buf, len, "(family %d)", ss->ss_family);
	}
}

/* Opens the listening socket, or notes why not (retried at every sample). */
static void win_listen(struct windows_state *s)
{
	struct sockaddr_storage ss, bound;
	socklen_t len, blen = sizeof(bound);
	int fd, one = 1;

	s->listen_err[0] = '\0';
	if (parse_listen(s->listen_spec, &ss, &len, s->listen_err, sizeof(s->listen_err)) < 0)
		return;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		idle_strlcpyf(s->listen_err, sizeof(s->listen_err), "cannot listen on %s: %s",
			      s->listen_spec, strerror(errno));
		return;
	}
	/* A restarted idleaccd must get its port back while old connections linger. */
	if (ss.ss_family != AF_VSOCK)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, WIN_LISTEN_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
		idle_strlcpyf(s->listen_err, sizeof(s->listen_err), "cannot listen on %s: %s",
			      s->listen_spec, strerror(errno));
		close(fd);
		return;
	}
	format_addr(&bound, s->listening, sizeof(s->listening));
	s->lfd = fd;
}

/* ---------------------------------------------------------------- the secret */

/* Reads the secret file: only its owner (root) may read or change it. */
static void win_read_secret(struct windows_state *s)
{
	char path[PATH_MAX];
	uint8_t buf[WINLINK_SECRET_MAX + 2];
	struct winlink probe;
	struct stat st;
	ssize_t n;
	int fd;

	s->secret_err[0] = '\0';
	if (!idle_path(path, sizeof(path), s->root, s->secret_path)) {
		idle_strlcpyf(s->secret_err, sizeof(s->secret_err), "path too long: %s",
			      s->secret_path);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		idle_strlcpyf(s->secret_err, sizeof(s->secret_err), "cannot read the secret %s: %s",
			      s->secret_path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		idle_strlcpyf(s->secret_err, sizeof(s->secret_err),
			      "the secret %s is not a regular file", s->secret_path);
		close(fd);
		return;
	}
	if ((st.st_mode & 077) || (st.st_uid != 0 && st.st_uid != geteuid())) {
		idle_strlcpyf(
		    s->secret_err, sizeof(s->secret_err),
		    "the secret %s is open to others; refusing it (chown root, chmod 600)",
		    s->secret_path);
		close(fd);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		idle_strlcpyf(s->secret_err, sizeof(s->secret_err), "cannot read the secret %s: %s",
			      s->secret_path, strerror(errno));
		return;
	}
	/* Files written by editors and by PowerShell end with a newline: not part of it. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	if (winlink_init(&probe, buf, (size_t)n, s->secret_err, sizeof(s->secret_err)) < 0) {
		char why[IDLE_ERR_LEN];

		idle_strlcpyf(why, sizeof(why), "%s", s->secret_err);
		idle_strlcpyf(s->secret_err, sizeof(s->secret_err), "%s: %s", s->secret_path, why);
	} else {
		memcpy(s->secret, buf, (size_t)n);
		s->secret_len = (size_t)n;
	}
	winlink_wipe(&probe);
	memset(buf, 0, sizeof(buf));
}

/* ---------------------------------------------------------------- connections */

static void peer_close(struct windows_state *s, int i)
{
	struct win_peer *p = &s->peers[i];

	if (p->fd >= 0)
		close(p->fd);
	winlink_wipe(&p->link);
	p->fd = -1;
	p->nin = 0;
	if (s->active == i) {
		s->active = -1;
		s->have_reading = false;
	}
}

/* Counts a refusal of peer [i] with [why], and closes it. */
static void peer_refuse(struct windows_state *s, int i, const char *why)
{
	struct win_peer *p = &s->peers[i];

	s->refused++;
	idle_strlcpyf(s->refused_why, sizeof(s->refused_why), "%s: %s", p->addr, why);
	if (s->active == i)
		idle_strlcpyf(s->broken, sizeof(s->broken),
			      "the connection from %s was refused: %s", p->addr, why);
	peer_close(s, i);
}

/* Sends a whole small frame; 0, or -1 (the peer is gone). */
static int peer_send(struct win_peer *p, const uint8_t *buf, size_t len)
{
	ssize_t w;

	do
		w = send(p->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	/* A fresh connection's buffer takes a few dozen bytes whole, or the peer is broken. */
	return w == (ssize_t)len ? 0 : -1;
}

static void win_accept(struct windows_state *s)
{
	struct sockaddr_storage ss;
	uint8_t nonce[WINLINK_NONCE_LEN], hello[64];
	struct win_peer *p;
	int i, fd, victim;
	size_t n;

	for (;;) {
		socklen_t len = sizeof(ss);

		fd = accept4(s->lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a peer that left before we took it */
		victim = -1;
		for (i = 0; i < WIN_MAX_PEERS; i++) {
			if (s->peers[i].fd < 0)
				break;
			/* Full: the oldest stranger makes room; the service is never dropped. */
			if (i != s->active &&
			    (victim < 0 || s->peers[i].since_mono < s->peers[victim].since_mono))
				victim = i;
		}
		if (i == WIN_MAX_PEERS) {
			peer_refuse(s, victim, "too many connections at once");
			i = victim;
		}
		if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
			close(fd);
			continue;
		}
		p = &s->peers[i];
		memset(p, 0, sizeof(*p));
		p->fd = fd;
		p->since_mono = clock_mono_ms();
		format_addr(&ss, p->addr, sizeof(p->addr));
		winlink_init(&p->link, s->secret, s->secret_len, NULL, 0);
		n = winlink_hello(&p->link, nonce, hello, sizeof(hello));
		if (peer_send(p, hello, n) < 0)
			peer_close(s, i);
	}
}

/* The remembered session [id], made if new (the oldest-numbered slot is reused when full). */
static struct win_session *session_slot(struct windows_state *s, uint32_t id, bool *fresh)
{
	struct win_session *free_slot = NULL, *oldest = NULL;
	int i;

	for (i = 0; i < WIN_MAX_TRACKED; i++) {
		struct win_session *w = &s->sessions[i];

		if (w->used && w->id == id) {
			*fresh = false;
			return w;
		}
		if (!w->used && !free_slot)
			free_slot = w;
		if (w->used && (!oldest || w->last_ms < oldest->last_ms))
			oldest = w;
	}
	if (!free_slot)
		free_slot = oldest;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->id = id;
	*fresh = true;
	return free_slot;
}

/* Takes a reading received at [now_ms]; returns 1 if it carried new counted input. */
static int take_reading(struct windows_state *s, const struct winlink_reading *r, int64_t now_ms)
{
	int counted = 0;
	unsigned i;

	s->reading = *r;
	s->have_reading = true;
	s->reading_mono = clock_mono_ms();
	for (i = 0; i < r->nsessions; i++) {
		const struct winlink_session *ws = &r->sessions[i];
		unsigned kind = ws->remote ? IDLE_WIN_REMOTE : IDLE_WIN_CONSOLE;
		int64_t *last = ws->remote ? &s->remote_last_ms : &s->console_last_ms;
		struct win_session *w;
		bool fresh;
		int64_t t;

		if (!(s->kinds & kind) || !ws->reporting || ws->input_age_ms < 0)
			continue;
		w = session_slot(s, ws->id, &fresh);
		if (!fresh && w->seq == ws->input_seq)
			continue;
		w->seq = ws->input_seq;
		t = now_ms - ws->input_age_ms;
		if (t < s->open_ms)
			t = s->open_ms;
		if (t > w->last_ms)
			w->last_ms = t;
		if (t > *last) {
			*last = t;
			counted = 1;
		}
	}
	return counted;
}

/* Handles one complete frame from peer [i]; returns 1 if it carried new owner input. */
static int peer_frame(struct windows_state *s, int i, const uint8_t *frame, size_t len)
{
	struct win_peer *p = &s->peers[i];
	char err[WINLINK_ERR_LEN];
	uint8_t reply[256];
	struct winlink_msg m;
	size_t n;
	int j;

	if (p->link.state == WINLINK_ST_WAIT_AUTH) {
		if (winlink_check_auth(&p->link, frame, len, reply, sizeof(reply), &n, err,
				       sizeof(err)) < 0) {
			if (n)
				peer_send(p, reply, n);
			peer_refuse(s, i, err);
			return 0;
		}
		if (peer_send(p, reply, n) < 0) {
			peer_close(s, i);
			return 0;
		}
		/* The service restarted or reconnected: the new connection replaces the old. */
		for (j = 0; j < WIN_MAX_PEERS; j++)
			if (j != i && j == s->active)
				peer_close(s, j);
		s->active = i;
		s->have_reading = false;
		s->broken[0] = '\0';
		return 0;
	}
	if (winlink_open(&p->link, frame, len, &m, err, sizeof(err)) < 0) {
		peer_refuse(s, i, err);
		return 0;
	}
	if (m.type == WINLINK_HOLD) {
		s->holds++;
		s->hold = m.hold;
		return 0;
	}
	return take_reading(s, &m.reading, idle_now_ms());
}

/* Reads what peer [i] has; returns 1 if new owner input came. */
static int peer_read(struct windows_state *s, int i)
{
	struct win_peer *p = &s->peers[i];
	int counted = 0;

	while (p->fd >= 0) {
		ssize_t r = recv(p->fd, p->in + p->nin, sizeof(p->in) - p->nin, MSG_DONTWAIT);
		long size;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			if (s->active == i && r == 0)
				idle_strlcpyf(s->broken, sizeof(s->broken),
					      "the Windows service at %s closed the connection",
					      p->addr);
			else if (s->active == i)
				idle_strlcpyf(s->broken, sizeof(s->broken),
					      "the connection from %s broke: %s", p->addr,
					      strerror(errno));
			else if (p->link.state != WINLINK_ST_READY && p->nin)
				peer_refuse(s, i, "left in the middle of a frame");
			peer_close(s, i);
			break;
		}
		p->nin += (size_t)r;
		while (p->fd >= 0 && (size = winlink_frame_size(p->in, p->nin)) != 0) {
			if (size < 0) {
				peer_refuse(s, i, "not an idleacc Windows link (bad frame length)");
				break;
			}
			if (peer_frame(s, i, p->in, (size_t)size))
				counted = 1;
			if (p->fd < 0)
				break;
			memmove(p->in, p->in + size, p->nin - (size_t)size);
			p->nin -= (size_t)size;
		}
	}
	return counted;
}

/* Accepts, reads every peer, and drops handshakes that took too long. */
static int win_poll(struct windows_state *s)
{
	int64_t now = clock_mono_ms();
	int i, counted = 0;

	if (s->lfd >= 0)
		win_accept(s);
	for (i = 0; i < WIN_MAX_PEERS; i++) {
		if (s->peers[i].fd < 0)
			continue;
		if (peer_read(s, i))
			counted = 1;
		if (s->peers[i].fd >= 0 && s->peers[i].link.state != WINLINK_ST_READY &&
		    now - s->peers[i].since_mono > WIN_HANDSHAKE_MS)
			peer_refuse(s, i, "no handshake within 5s");
	}
	return counted;
}

/* ---------------------------------------------------------------- the source */

static int windows_open(void **state, const struct idle_sources *conf, const char *root,
			int64_t now_ms, char *err, size_t errlen)
{
	struct windows_state *s;
	char *root_copy;
	int i;

	s = idle_state_new(sizeof(*s), root, &root_copy, err, errlen);
	if (!s)
		return -1;
	s->root = root_copy;
	idle_strlcpyf(s->secret_path, sizeof(s->secret_path), "%s",
		      conf->windows_secret[0] ? conf->windows_secret : DEF_WINDOWS_SECRET);
	idle_strlcpyf(s->listen_spec, sizeof(s->listen_spec), "%s",
		      conf->windows_listen[0] ? conf->windows_listen : DEF_WINDOWS_LISTEN);
	s->kinds = conf->windows_sessions ? conf->windows_sessions : DEF_WINDOWS_SESSIONS;
	s->max_silence_ms =
	    (conf->windows_max_silence > 0 ? conf->windows_max_silence : DEF_WINDOWS_MAX_SILENCE) *
	    1000;
	s->open_ms = now_ms;
	s->lfd = -1;
	s->active = -1;
	for (i = 0; i < WIN_MAX_PEERS; i++)
		s->peers[i].fd = -1;
	win_read_secret(s);
	if (s->secret_len)
		win_listen(s);
	*state = s;
	return 0;
}

/* Why the last reading cannot be trusted as it stands, or NULL: silence, a silent helper. */
static const char *reading_doubt(const struct windows_state *s, char *buf, size_t len)
{
	const struct winlink_reading *r = &s->reading;
	int64_t hb =
	    r->heartbeat_ms < WIN_MIN_HEARTBEAT_MS ? WIN_MIN_HEARTBEAT_MS : r->heartbeat_ms;
	int64_t bound = 3 * hb < s->max_silence_ms ? 3 * hb : s->max_silence_ms;
	int64_t quiet = clock_mono_ms() - s->reading_mono;
	unsigned i;

	if (quiet > bound)
		return idle_strlcpyf(buf, len,
				     "no reading from the Windows service at %s for %.1fs "
				     "(limit %.1fs)",
				     s->peers[s->active].addr, (double)quiet / 1000,
				     (double)bound / 1000);
	for (i = 0; i < r->nsessions; i++) {
		const struct winlink_session *ws = &r->sessions[i];

		if (!(s->kinds & (ws->remote ? IDLE_WIN_REMOTE : IDLE_WIN_CONSOLE)))
			continue;
		if (!ws->reporting)
			return idle_strlcpyf(buf, len,
					     "Windows session %u (%s): its helper does not report",
					     ws->id, ws->remote ? "remote" : "console");
	}
	return NULL;
}

/* What the link itself shows, reading or not: refusals, holds, the addresses, the owner's
 * last input; the reading's fields unknown until snap_reading(). */
static void snap_link(const struct windows_state *s, int64_t now_ms, struct idle_snapshot *snap)
{
	snap->windows_refused = s->refused;
	idle_strlcpyf(snap->windows_refused_why, sizeof(snap->windows_refused_why), "%s",
		      s->refused_why);
	snap->windows_holds = s->holds;
	snap->windows_hold_secs = s->hold.secs;
	idle_strlcpyf(snap->windows_hold_user, sizeof(snap->windows_hold_user), "%s", s->hold.user);
	idle_strlcpyf(snap->windows_listen, sizeof(snap->windows_listen), "%s",
		      s->lfd >= 0 ? s->listening : "");
	idle_strlcpyf(snap->windows_peer, sizeof(snap->windows_peer), "%s",
		      s->active >= 0 ? s->peers[s->active].addr : "");
	snap->windows_last_ms = s->console_last_ms > s->open_ms ? s->console_last_ms : s->open_ms;
	if (snap->windows_last_ms > now_ms)
		snap->windows_last_ms = now_ms;
	snap->windows_remote_last_ms = s->remote_last_ms < now_ms ? s->remote_last_ms : now_ms;
	snap->windows_on_ac = -1;
	snap->windows_battery_pct = -1;
	snap->windows_gpu_util_pct = -1;
	snap->windows_locked = -1;
}

/* The fields of the service's reading [r], its sessions counted as the source's kinds allow. */
static void snap_reading(const struct windows_state *s, const struct winlink_reading *r,
			 struct idle_snapshot *snap)
{
	int nconsole = 0, nlocked = 0;
	unsigned i;

	snap->windows_on_ac = r->on_ac;
	snap->windows_battery_pct = r->battery_pct;
	snap->windows_gpu_util_pct = r->gpu_util_pct;
	snap->windows_gpu_count = r->gpu_count;
	idle_strlcpyf(snap->windows_busy_program, sizeof(snap->windows_busy_program), "%s",
		      r->busy_program);
	for (i = 0; i < r->nsessions; i++) {
		const struct winlink_session *ws = &r->sessions[i];

		if (!(s->kinds & (ws->remote ? IDLE_WIN_REMOTE : IDLE_WIN_CONSOLE)))
			continue;
		snap->windows_sessions++;
		if (!ws->remote) {
			nconsole++;
			nlocked += ws->locked == 1;
		}
	}
	snap->windows_locked = nconsole == 0 ? -1 : nlocked == nconsole ? 1 : 0;
}

static void windows_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
			   struct idle_snapshot *snap)
{
	struct windows_state *s = state;
	char doubt[IDLE_ERR_LEN];

	(void)sh;
	if (!s) {
		idle_unknown(snap, IDLE_SRC_WINDOWS, "out of memory");
		return;
	}
	if (!s->secret_len)
		win_read_secret(s);
	if (s->secret_len && s->lfd < 0)
		win_listen(s);
	win_poll(s);

	snap_link(s, now_ms, snap);

	if (s->secret_err[0]) {
		idle_unknown(snap, IDLE_SRC_WINDOWS, "%s", s->secret_err);
		return;
	}
	if (s->active < 0 && s->listen_err[0]) {
		idle_unknown(snap, IDLE_SRC_WINDOWS, "%s", s->listen_err);
		return;
	}
	if (s->active < 0 && s->broken[0]) {
		idle_unknown(snap, IDLE_SRC_WINDOWS, "%s", s->broken);
		return;
	}
	if (s->active < 0 || !s->have_reading) {
		idle_unknown(snap, IDLE_SRC_WINDOWS,
			     "no reading from the Windows service yet (listening on %s)",
			     s->listening);
		return;
	}

	snap_reading(s, &s->reading, snap);
	if (reading_doubt(s, doubt, sizeof(doubt)))
		idle_unknown(snap, IDLE_SRC_WINDOWS, "%s", doubt);
	else
		snap->status[IDLE_SRC_WINDOWS] = IDLE_ST_OK;
}

static int windows_fds(void *state, int *fds, int max)
{
	const struct windows_state *s = state;
	int i, n = 0;

	if (s->lfd >= 0 && n < max)
		fds[n++] = s->lfd;
	for (i = 0; i < WIN_MAX_PEERS && n < max; i++)
		if (s->peers[i].fd >= 0)
			fds[n++] = s->peers[i].fd;
	return n;
}

static int windows_input(void *state)
{
	return win_poll(state);
}

static void windows_close(void *state)
{
	struct windows_state *s = state;
	int i;

	if (!s)
		return;
	for (i = 0; i < WIN_MAX_PEERS; i++)
		peer_close(s, i);
	if (s->lfd >= 0)
		close(s->lfd);
	memset(s->secret, 0, sizeof(s->secret));
	free(s->root);
	free(s);
}

const struct idle_source_ops idle_src_windows = {
    .id = IDLE_SRC_WINDOWS,
    .open = windows_open,
    .sample = windows_sample,
    .fds = windows_fds,
    .input = windows_input,
    .close = windows_close,
};
