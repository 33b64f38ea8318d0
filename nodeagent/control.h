/* SPDX-License-Identifier: MIT */
/*
 * control.h - idleaccd's control socket: an AF_UNIX stream socket served from the main
 * loop without blocking it. Clients are read and written only when poll says so, each
 * within a short deadline, so a slow or hostile client never stalls the agent.
 */
#ifndef AGENT_CONTROL_H
#define AGENT_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl.h"

/*
 * Capacity, shared so that no local user can lock out root (slurmd running the plugin's admit,
 * an admin's idleacc) or another user: every pending connection is accepted at once, so the
 * backlog never stays full, and one that would exceed its share gets a one-line refusal and is
 * closed. Root may use every slot; other users share the slots that root's reserve leaves, at
 * most AGENT_CTL_PER_UID each. An exchange takes well under a millisecond, so these bound only
 * clients that connect and send nothing, until AGENT_CTL_DEADLINE_MS drops them.
 */
#define AGENT_CTL_CLIENTS    16 /* clients served at once */
#define AGENT_CTL_ROOT_SLOTS 4	/* of them, kept for uid 0: the plugin's admit always fits */
#define AGENT_CTL_PER_UID    2	/* the most one other uid may hold open: status and a hold */
/* A client must finish its exchange within this of being accepted (derived in ctl.h). */
#define AGENT_CTL_DEADLINE_MS CTL_SERVER_DEADLINE_MS

/*
 * Answers one request. [req] is NUL-terminated (at most CTL_REQ_MAX bytes); [uid] comes
 * from SO_PEERCRED. Returns a malloc'd response (at most CTL_RESP_MAX bytes), or NULL when
 * out of memory.
 */
typedef char *(*agent_ctl_handler)(void *arg, const char *req, uid_t uid);

struct agent_ctl_client {
	bool open; /* the slot holds a client: [fd] is its socket */
	int fd;
	uid_t uid;		   /* the peer, from SO_PEERCRED */
	int64_t deadline_ms;	   /* monotonic ms by which the exchange must end */
	uint8_t hdr[4];		   /* the length prefix as it arrives */
	size_t got;		   /* bytes of header + request read so far */
	uint32_t len;		   /* the request's announced length */
	char req[CTL_REQ_MAX + 1]; /* the request, NUL-terminated */
	char *out;		   /* framed response being written, NULL while reading */
	size_t outlen, outoff;	   /* its length and how much is written */
};

#define AGENT_CTL_BACKLOG 16 /* connections the kernel queues between two accepts */

struct agent_ctl {
	int lfd;	/* the listening socket, -1 if closed */
	char path[108]; /* its path, unlinked on close */
	agent_ctl_handler handler;
	void *arg; /* passed to [handler] */
	struct agent_ctl_client c[AGENT_CTL_CLIENTS];
};

/*
 * Binds [path] (mode 0666: any local user may ask for the status) with a backlog of
 * AGENT_CTL_BACKLOG. [ctl] is zeroed (static, or = {0}) or closed: its client slots are not
 * written until used, so that the unused ones stay untouched memory. Returns 0, or -1 with
 * [err] filled.
 */
int agent_ctl_open(struct agent_ctl *ctl, const char *path, agent_ctl_handler h, void *arg,
		   char *err, size_t errlen);
void agent_ctl_close(struct agent_ctl *ctl);

/* Fills poll entries for the socket and clients; returns how many (at most [max]). */
int agent_ctl_pollfds(struct agent_ctl *ctl, struct pollfd *pfd, int max);

/* Serves whatever the poll entries [pfd] (from agent_ctl_pollfds) say is ready. */
void agent_ctl_serve(struct agent_ctl *ctl, const struct pollfd *pfd, int n);

/* The earliest client deadline (monotonic ms), 0 if no client. */
int64_t agent_ctl_deadline(const struct agent_ctl *ctl);

#endif /* AGENT_CONTROL_H */
