/* SPDX-License-Identifier: MIT */
/*
 * fake_idleaccd.c - a stand-in for idleaccd's control socket in the plugin's integration
 * tests: answers "admit" with a fixed verdict, "job-start"/"job-end" with "ok", and appends
 * every request it gets, one per line, to a log the test reads.
 *
 * Usage: fake_idleaccd SOCKET LOG VERDICT
 *   VERDICT is sent as is ("yes", "no: IDLEACC: ..."), except "@silent" (accept, never answer:
 *   the plugin's timeout), "@garbage" (a framed answer that is neither yes nor no) and
 *   "@no-notices" (admit "yes", but job-start and job-end answered with an error).
 * Serves one client at a time until SIGTERM; the socket is removed on exit.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *answer(const char *req, const char *verdict)
{
	bool notices = strcmp(verdict, "@no-notices");

	if (!strncmp(req, CTL_ADMIT " ", strlen(CTL_ADMIT " ")))
		return !strcmp(verdict, "@garbage") ? "maybe later" : notices ? verdict : CTL_YES;
	if (!strncmp(req, CTL_JOB_START " ", strlen(CTL_JOB_START " ")) ||
	    !strncmp(req, CTL_JOB_END " ", strlen(CTL_JOB_END " ")))
		return notices ? CTL_OK : CTL_ERROR ": too many jobs tracked on this node";
	return CTL_ERROR ": unknown request";
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction act = {.sa_handler = on_term};
	FILE *log;
	int lfd;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: fake_idleaccd SOCKET LOG VERDICT\n");
		return 2;
	}
	log = fopen(argv[2], "a");
	if (!log) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(log, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (!stop) {
		char *req = NULL;
		const char *resp;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			break;
		}
		if (ctl_recv(fd, &req, NULL, CTL_REQ_MAX,
			     clock_mono_ms() + CTL_SERVER_DEADLINE_MS) == 0) {
			fprintf(log, "%s\n", req);
			resp = answer(req, argv[3]);
			if (!strcmp(argv[3], "@silent") && !strncmp(req, CTL_ADMIT " ", 6))
				sleep(3); /* past the timeout of the plugin under test */
			else
				ctl_send(fd, resp, strlen(resp),
					 clock_mono_ms() + CTL_SERVER_DEADLINE_MS);
			free(req);
		}
		close(fd);
	}
	unlink(argv[1]);
	return 0;
}
