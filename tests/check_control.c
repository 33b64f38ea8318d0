/* SPDX-License-Identifier: MIT */
/*
 * check_control.c - idleaccd's control socket server (nodeagent/control.c) over a real
 * AF_UNIX socket: the framing's limits, malformed requests, and serving on after them.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "ctl.h"
#include "testutil.h"

/* ------------------------------------------------------------- control socket server */

static char *echo_handler(void *arg, const char *req, uid_t uid)
{
	char *out = malloc(600);

	(void)arg;
	snprintf(out, 600, "ok: %s from %u", req, (unsigned)uid);
	return out;
}

/* Sends [raw] to the server and serves until the answer comes back. */
static char *exchange(struct agent_ctl *ctl, const char *path, const void *raw, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), i;
	char *resp = NULL;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(send(fd, raw, len, MSG_NOSIGNAL), (ssize_t)len);
	for (i = 0; i < 100; i++) {
		struct pollfd pfd[AGENT_CTL_CLIENTS + 2];
		int n = agent_ctl_pollfds(ctl, pfd, AGENT_CTL_CLIENTS + 1);

		pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
		ck_assert_int_ge(poll(pfd, (nfds_t)n + 1, 1000), 0);
		agent_ctl_serve(ctl, pfd, n);
		if (pfd[n].revents)
			break;
	}
	ck_assert_int_eq(ctl_recv(fd, &resp, NULL, CTL_RESP_MAX, clock_mono_ms() + 5000), 0);
	close(fd);
	return resp;
}

START_TEST(test_control_server)
{
	char dir[] = "/tmp/check_agent.XXXXXX", path[256], err[256], want[64], *resp;
	struct agent_ctl ctl = {0};
	uint8_t big[4 + 600];
	struct stat sb;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d1.sock", dir);
	ck_assert_int_eq(agent_ctl_open(&ctl, path, echo_handler, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0666);

	memcpy(big, "\0\0\0\6status", 10);
	resp = exchange(&ctl, path, big, 10);
	snprintf(want, sizeof(want), "ok: status from %u", (unsigned)getuid());
	ck_assert_str_eq(resp, want);
	free(resp);

	ctl_put_len(big, 600);
	memset(big + 4, 'x', 600);
	resp = exchange(&ctl, path, big, sizeof(big));
	ck_assert_str_eq(resp, "error: request too long (600 bytes, at most 512)");
	free(resp);

	/* A length of 4 GiB - 1 is refused from the header alone. */
	resp = exchange(&ctl, path, "\xff\xff\xff\xffjunk", 8);
	ck_assert_str_eq(resp, "error: request too long (4294967295 bytes, at most 512)");
	free(resp);

	resp = exchange(&ctl, path, "\0\0\0\0", 4);
	ck_assert_str_eq(resp, "error: empty request");
	free(resp);

	resp = exchange(&ctl, path, "\0\0\0\3a\0b", 7);
	ck_assert_str_eq(resp, "error: request contains a NUL byte");
	free(resp);

	/* Still serving after all that. */
	resp = exchange(&ctl, path, "\0\0\0\7release", 11);
	snprintf(want, sizeof(want), "ok: release from %u", (unsigned)getuid());
	ck_assert_str_eq(resp, want);
	free(resp);
	agent_ctl_close(&ctl);
	ck_assert_int_eq(access(path, F_OK), -1);
	rmdir(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc;

	tc = tcase_create("control socket");
	tcase_add_test(tc, test_control_server);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
