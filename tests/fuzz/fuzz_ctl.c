/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl.c - libFuzzer harness of the control socket's request side: the input is the raw
 * byte stream a local client sends to idleaccd's socket (length prefix, request, anything
 * after), read by nodeagent/control.c's server over a real AF_UNIX socket. A complete request
 * goes to idleaccd's own request table (nodeagent/dispatch.c: every verb's rights, arguments
 * and handler, the signal grammar common/signame.c) from root, so every parser is reached; the
 * client reads the answer, which must be framed by common/ctl.c's rules.
 *
 * Not reached: the daemon around the table (config, Slurm worker, logind); the console rule
 * is a stand-in that says yes.
 */
#include "config.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "clock.h"
#include "control.h"
#include "cycle.h"
#include "fuzz.h"
#include "dispatch.h"
#include "plan.h"

#define MONO_MS 3600000LL
#define WALL_MS 1796083200000LL

static struct agent_state st;
static struct agent_params params;

static bool console_yes(void *arg, uid_t uid, char *why, size_t whylen)
{
	(void)arg, (void)uid;
	snprintf(why, whylen, "fuzz");
	return true;
}

static char *handler(void *arg, const char *req, uid_t uid)
{
	const struct agent_reqenv env = {
	    .st = &st,
	    .p = &params,
	    .config = "",
	    .pid = 1,
	    .max_hold = 86400,
	    .console = console_yes,
	};

	(void)arg, (void)uid;
	if (strlen(req) > CTL_REQ_MAX)
		abort(); /* control.c's promise to every handler */
	return agent_request(&env, req, 0, MONO_MS);
}

static struct agent_ctl ctl;
static struct sockaddr_un sa = {.sun_family = AF_UNIX};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc, (void)argv;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/d1.sock", fuzz_dir());
	if (agent_ctl_open(&ctl, sa.sun_path, handler, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_ctl: %s\n", err);
		abort();
	}
	{
		struct idle_policy pol;

		idle_policy_default(&pol);
		agent_params_set(&params, &pol, 300);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pollfd pfd[AGENT_CTL_CLIENTS + 2];
	/* Longer than the server's deadline: a client it keeps is a bug, not a slow machine. */
	int64_t give_up = clock_mono_ms() + 4 * AGENT_CTL_DEADLINE_MS;
	size_t sent = 0, got = 0;
	uint8_t *ans = malloc(CTL_RESP_MAX + 4);
	bool wr_open = true;
	int fd;

	if (!ans)
		return 0;
	agent_state_init(&st, "d1");
	agent_clock(&st, MONO_MS, WALL_MS);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fuzz_die("connect");
	/* Send, serve and read at once: the server's answer may come before the input ends. */
	for (;;) {
		int n = agent_ctl_pollfds(&ctl, pfd, AGENT_CTL_CLIENTS + 1);
		ssize_t r;

		pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN | (wr_open ? POLLOUT : 0)};
		if (poll(pfd, (nfds_t)n + 1, 100) < 0 && errno != EINTR)
			fuzz_die("poll");
		agent_ctl_serve(&ctl, pfd, n);
		if (wr_open && sent < size) {
			r = send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r > 0)
				sent += (size_t)r;
			else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				wr_open = false; /* the server shut its reading: it answers */
		}
		if (wr_open && sent == size) {
			shutdown(fd, SHUT_WR);
			wr_open = false;
		}
		r = recv(fd, ans + got, CTL_RESP_MAX + 4 - got, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			break; /* the server closed: the exchange is over */
		if (r > 0)
			got += (size_t)r;
		if (got == CTL_RESP_MAX + 4)
			break;
		if (clock_mono_ms() > give_up) {
			fprintf(stderr, "fuzz_ctl: the server kept a client past its deadline\n");
			abort();
		}
	}
	close(fd);
	/* No slot may stay taken once its client is gone. */
	while (agent_ctl_deadline(&ctl)) {
		int n = agent_ctl_pollfds(&ctl, pfd, AGENT_CTL_CLIENTS + 1);

		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			fuzz_die("poll");
		agent_ctl_serve(&ctl, pfd, n);
		if (clock_mono_ms() > give_up) {
			fprintf(stderr, "fuzz_ctl: a slot stays taken after its client left\n");
			abort();
		}
	}
	/* An answer, if any, is one frame: the prefix and exactly that many bytes. */
	if (got && (got < 4 || ctl_get_len(ans) != got - 4 || ctl_get_len(ans) > CTL_RESP_MAX)) {
		fprintf(stderr, "fuzz_ctl: a badly framed answer (%zu bytes)\n", got);
		abort();
	}
	free(ans);
	return 0;
}
