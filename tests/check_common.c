/* SPDX-License-Identifier: MIT */
/*
 * check_common.c - libcommon: the signal grammar every program shares (common/signame.h), and
 * the control socket's framing, answers and one client call (common/ctl.h) against listeners
 * that answer, close, stay silent or never accept.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "escape.h"
#include "signame.h"
#include "testutil.h"

/* ------------------------------------------------------------- signal grammar */

static int parse(const char *s)
{
	return signame_parse(s, strlen(s));
}

START_TEST(test_signame_table_round_trips)
{
	char buf[64], lower[SIGNAME_LEN], spec[SIGNAME_SPEC_LEN];
	size_t i, k;
	int sig, got;
	long secs;

	ck_assert_uint_ge(signame_count(), 29);
	ck_assert_ptr_null(signame_at(signame_count(), &sig));
	for (i = 0; i < signame_count(); i++) {
		const char *name = signame_at(i, &sig);

		ck_assert_ptr_nonnull(name);
		ck_assert_uint_lt(strlen(name), SIGNAME_LEN);
		/* The name, with SIG, in small letters, mixed: the same signal. */
		ck_assert_msg(parse(name) == sig, "%s", name);
		snprintf(buf, sizeof(buf), "SIG%s", name);
		ck_assert_msg(parse(buf) == sig, "%s", buf);
		for (k = 0; name[k]; k++)
			lower[k] = (char)tolower((unsigned char)name[k]);
		lower[k] = '\0';
		ck_assert_msg(parse(lower) == sig, "%s", lower);
		snprintf(buf, sizeof(buf), "sIg%s", lower);
		ck_assert_msg(parse(buf) == sig, "%s", buf);
		/* Its number means it too, and both come back as the name. */
		snprintf(buf, sizeof(buf), "%d", sig);
		ck_assert_msg(parse(buf) == sig, "%s", buf);
		ck_assert_str_eq(signame_name(sig), name);
		ck_assert_str_eq(signame_format(sig, buf, sizeof(buf)), name);
		/* One name per number. */
		for (k = 0; k < i; k++) {
			signame_at(k, &got);
			ck_assert_int_ne(got, sig);
		}
		/* As SIG@SECONDS, in both directions. */
		snprintf(buf, sizeof(buf), "sig%s@%d", lower, SIGNAME_MAX_GRACE);
		ck_assert_int_eq(signame_spec_parse(buf, &got, &secs), 0);
		ck_assert_int_eq(got, sig);
		ck_assert_int_eq(secs, SIGNAME_MAX_GRACE);
		signame_spec_format(got, secs, spec, sizeof(spec));
		snprintf(buf, sizeof(buf), "%s@%d", name, SIGNAME_MAX_GRACE);
		ck_assert_str_eq(spec, buf);
	}
}
END_TEST

START_TEST(test_signame_known)
{
	/* The ones that one side knew and the other did not, before one grammar. */
	ck_assert_int_eq(parse("ABRT"), SIGABRT);
	ck_assert_int_eq(parse("CHLD"), SIGCHLD);
	ck_assert_int_eq(parse("TTIN"), SIGTTIN);
	ck_assert_int_eq(parse("SYS"), SIGSYS);
	ck_assert_int_eq(parse("USR1"), SIGUSR1);
	ck_assert_int_eq(parse("PWR"), SIGPWR);
	ck_assert_int_eq(parse("WINCH"), SIGWINCH);
	ck_assert_int_eq(parse("sigterm"), SIGTERM);
	ck_assert_int_eq(parse("Kill"), SIGKILL);
	/* Only the first [len] bytes count. */
	ck_assert_int_eq(signame_parse("USR1@5", 4), SIGUSR1);
	ck_assert_int_eq(signame_parse("12abc", 2), 12);
	ck_assert_int_eq(signame_parse("TERMINATE", 4), SIGTERM);
}
END_TEST

START_TEST(test_signame_unknown)
{
	static const char *const unknown[] = {
	    "SIG", "SIGSIG", "SIG10", "USR3", "FOO", "TERMINATE", " USR1", "USR1 ", "SIG USR1",
	    "-1",  "+5",     " 5",    "5 ",   "0x1", "1e1",	  "IOT",   "CLD",   "RTMIN",
	};
	size_t i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		ck_assert_msg(parse(unknown[i]) == SIGNAME_UNKNOWN, "\"%s\" gave %d", unknown[i],
			      parse(unknown[i]));
	ck_assert_int_eq(parse(""), SIGNAME_EMPTY);
	ck_assert_int_eq(signame_parse("USR1", 0), SIGNAME_EMPTY);
}
END_TEST

START_TEST(test_signame_numbers)
{
	char buf[16];

	ck_assert_int_eq(parse("1"), 1);
	ck_assert_int_eq(parse("64"), SIGNAME_NUM_MAX);
	ck_assert_int_eq(parse("010"), 10);
	ck_assert_int_eq(parse("0000000000000000000015"), 15);
	ck_assert_int_eq(parse("0"), SIGNAME_RANGE);
	ck_assert_int_eq(parse("00"), SIGNAME_RANGE);
	ck_assert_int_eq(parse("65"), SIGNAME_RANGE);
	ck_assert_int_eq(parse("4294967306"), SIGNAME_RANGE);
	ck_assert_int_eq(parse("99999999999999999999999999"), SIGNAME_RANGE);
	/* Real-time signals have no name: they stay numbers. */
	ck_assert_ptr_null(signame_name(SIGRTMIN));
	snprintf(buf, sizeof(buf), "%d", SIGRTMIN);
	ck_assert_int_eq(parse(buf), SIGRTMIN);
	ck_assert_str_eq(signame_format(SIGRTMIN, buf, sizeof(buf)), buf);
	ck_assert_str_eq(signame_format(64, buf, sizeof(buf)), "64");
	ck_assert_ptr_null(signame_name(0));
	/* A short buffer gets a cut, terminated name. */
	ck_assert_str_eq(signame_format(SIGVTALRM, buf, 4), "VTA");
}
END_TEST

START_TEST(test_signame_spec_good)
{
	static const struct {
		const char *s;
		int sig;
		long secs;
		const char *canonical;
	} good[] = {
	    {"USR1@120", SIGUSR1, 120, "USR1@120"},
	    {"SIGTERM@0", SIGTERM, 0, "TERM@0"},
	    {"term@86400", SIGTERM, 86400, "TERM@86400"},
	    {"10@007", 10, 7, "USR1@7"},
	    {"64@1", 64, 1, "64@1"},
	    {"sigabrt@5", SIGABRT, 5, "ABRT@5"},
	    {"VTALRM@86400", SIGVTALRM, 86400, "VTALRM@86400"},
	};
	char buf[SIGNAME_SPEC_LEN];
	size_t i;
	int sig;
	long secs;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(signame_spec_parse(good[i].s, &sig, &secs) == 0, "%s", good[i].s);
		ck_assert_int_eq(sig, good[i].sig);
		ck_assert_int_eq(secs, good[i].secs);
		signame_spec_format(sig, secs, buf, sizeof(buf));
		ck_assert_str_eq(buf, good[i].canonical);
	}
}
END_TEST

START_TEST(test_signame_spec_bad)
{
	static const struct {
		const char *s;
		int err;
	} bad[] = {
	    {"", SIGNAME_EMPTY},
	    {"@120", SIGNAME_EMPTY},
	    {"FOO@1", SIGNAME_UNKNOWN},
	    {"FOO", SIGNAME_UNKNOWN}, /* the signal is judged before the missing @ */
	    {"SIG10@1", SIGNAME_UNKNOWN},
	    {" USR1@1", SIGNAME_UNKNOWN},
	    {"0@1", SIGNAME_RANGE},
	    {"65@1", SIGNAME_RANGE},
	    {"USR1", SIGNAME_NO_GRACE},
	    {"SIGTERM", SIGNAME_NO_GRACE},
	    {"USR1@", SIGNAME_BAD_GRACE},
	    {"USR1@-1", SIGNAME_BAD_GRACE},
	    {"USR1@+1", SIGNAME_BAD_GRACE},
	    {"USR1@ 5", SIGNAME_BAD_GRACE},
	    {"USR1@5 ", SIGNAME_BAD_GRACE},
	    {"USR1@86401", SIGNAME_BAD_GRACE},
	    {"USR1@2m", SIGNAME_BAD_GRACE},
	    {"USR1@1@2", SIGNAME_BAD_GRACE},
	    {"USR1@99999999999999999999", SIGNAME_BAD_GRACE},
	};
	size_t i;
	int sig = -7;
	long secs = -7;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(signame_spec_parse(bad[i].s, &sig, &secs) == bad[i].err,
			      "\"%s\" gave %d", bad[i].s,
			      signame_spec_parse(bad[i].s, &sig, &secs));
		/* Nothing is written on error. */
		ck_assert_int_eq(sig, -7);
		ck_assert_int_eq(secs, -7);
	}
}
END_TEST

/* ------------------------------------------------------------- framing and answers */

START_TEST(test_framing)
{
	int sv[2];
	char *got = NULL;
	size_t n;
	uint8_t hdr[4];

	ctl_put_len(hdr, 0x01020304);
	ck_assert_int_eq(hdr[0], 1);
	ck_assert_int_eq(hdr[3], 4);
	ck_assert_uint_eq(ctl_get_len(hdr), 0x01020304);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(ctl_send(sv[0], "status", 6, clock_mono_ms() + 1000), 0);
	ck_assert_int_eq(ctl_recv(sv[1], &got, &n, 512, clock_mono_ms() + 1000), 0);
	ck_assert_str_eq(got, "status");
	ck_assert_uint_eq(n, 6);
	free(got);
	/* Too long for the reader's limit: refused before the body is read. */
	ck_assert_int_eq(ctl_send(sv[0], "hold 99999999", 13, clock_mono_ms() + 1000), 0);
	ck_assert_int_eq(ctl_recv(sv[1], &got, &n, 4, clock_mono_ms() + 1000), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_framing_deadline)
{
	int sv[2];
	char *got = NULL;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Nothing sent: the deadline ends the wait; a deadline already past fails at once. */
	ck_assert_int_eq(ctl_recv(sv[1], &got, NULL, 512, clock_mono_ms() + 50), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(ctl_recv(sv[1], &got, NULL, 512, clock_mono_ms() - 1), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_ptr_null(got);
	/* Half a header, then the writer goes away. */
	ck_assert_int_eq(send(sv[0], "\0\0", 2, 0), 2);
	close(sv[0]);
	ck_assert_int_eq(ctl_recv(sv[1], &got, NULL, 512, clock_mono_ms() + 1000), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(sv[1]);
}
END_TEST

START_TEST(test_answer)
{
	ck_assert_str_eq(ctl_answer("ok", CTL_OK), "");
	ck_assert_str_eq(ctl_answer("ok: held by alice until 12:00", CTL_OK),
			 "held by alice until 12:00");
	ck_assert_str_eq(ctl_answer("no: IDLEACC: tty input 2s ago < 3s", CTL_NO),
			 "IDLEACC: tty input 2s ago < 3s");
	ck_assert_str_eq(ctl_answer("no: ", CTL_NO), "");
	ck_assert_str_eq(ctl_answer("yes", CTL_YES), "");
	ck_assert_ptr_null(ctl_answer("yesterday", CTL_YES));
	ck_assert_ptr_null(ctl_answer("no:thing", CTL_NO));
	ck_assert_ptr_null(ctl_answer("nothing", CTL_NO));
	ck_assert_ptr_null(ctl_answer("", CTL_OK));
	ck_assert_ptr_null(ctl_answer("error", CTL_REFUSED));
	ck_assert_str_eq(ctl_answer("refused: only root", CTL_REFUSED), "only root");
	ck_assert_str_eq(ctl_answer("error: empty request", CTL_ERROR), "empty request");
}
END_TEST

START_TEST(test_socket_path)
{
	char buf[32];

	ck_assert_int_eq(ctl_socket_path("/run/idleaccd", "d1", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/idleaccd/d1.sock");
	ck_assert_int_eq(ctl_socket_path("/run/idleaccd", "lab-a007-long", buf, sizeof(buf)), -1);
	ck_assert_str_eq(CTL_RUN_DIR, "/run/idleaccd");
}
END_TEST

START_TEST(test_timeouts)
{
	/* Each bound leaves room for the one it waits on. */
	ck_assert_int_gt(CTL_SERVER_DEADLINE_MS, CTL_SAMPLE_BLOCK_MS);
	ck_assert_int_gt(CTL_PLUGIN_TIMEOUT_MS, CTL_SERVER_DEADLINE_MS);
	ck_assert_int_le(CTL_PLUGIN_TIMEOUT_MS, CTL_PLUGIN_TIMEOUT_MAX_MS);
	ck_assert_int_ge(CTL_CLI_TIMEOUT_MS, CTL_PLUGIN_TIMEOUT_MS);
}
END_TEST

/* ------------------------------------------------------------- the client call */

/* A listening socket DIR/d1.sock in a fresh directory, with [backlog]. */
struct listener {
	char dir[64];	 /* the directory, removed by listener_close */
	char path[100];	 /* the socket (fits sun_path) */
	int fd;		 /* listening, -1 when closed */
	pid_t child;	 /* the server process, 0 if none */
	int clients[64]; /* connections that wait in the backlog, -1 for none */
};

static void listener_open(struct listener *l, int backlog)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t i;

	memset(l, 0, sizeof(*l));
	snprintf(l->dir, sizeof(l->dir), "/tmp/check_common.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(l->dir));
	snprintf(l->path, sizeof(l->path), "%s/d1.sock", l->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
	l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(l->fd, 0);
	ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l->fd, backlog), 0);
	for (i = 0; i < sizeof(l->clients) / sizeof(l->clients[0]); i++)
		l->clients[i] = -1;
}

static void listener_close(struct listener *l)
{
	size_t i;
	int status;

	if (l->child) {
		ck_assert_int_eq(waitpid(l->child, &status, 0), l->child);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (i = 0; i < sizeof(l->clients) / sizeof(l->clients[0]); i++)
		if (l->clients[i] >= 0)
			close(l->clients[i]);
	if (l->fd >= 0)
		close(l->fd);
	unlink(l->path);
	rmdir(l->dir);
}

/* How the one-shot server answers. */
enum serve_how {
	SERVE_ECHO,	/* "ok: REQUEST" */
	SERVE_CLOSE,	/* reads the request, closes without an answer */
	SERVE_TOO_LONG, /* announces an answer of CTL_RESP_MAX + 1 bytes */
};

/* Forks a server that accepts one client and answers it [how]. */
static void serve_once(struct listener *l, enum serve_how how)
{
	l->child = fork();
	ck_assert_int_ge(l->child, 0);
	if (l->child == 0) {
		char *req = NULL, out[CTL_REQ_MAX + 8];
		uint8_t hdr[4];
		int fd = accept(l->fd, NULL, NULL);

		if (fd < 0 || ctl_recv(fd, &req, NULL, CTL_REQ_MAX, clock_mono_ms() + 10000) < 0)
			_exit(1);
		if (how == SERVE_ECHO) {
			snprintf(out, sizeof(out), CTL_OK ": %s", req);
			if (ctl_send(fd, out, strlen(out), clock_mono_ms() + 10000) < 0)
				_exit(1);
		} else if (how == SERVE_TOO_LONG) {
			ctl_put_len(hdr, CTL_RESP_MAX + 1);
			if (send(fd, hdr, 4, MSG_NOSIGNAL) != 4)
				_exit(1);
		}
		close(fd);
		_exit(0);
	}
}

START_TEST(test_call_answers)
{
	struct listener l;
	char err[256] = "", *resp = NULL;

	listener_open(&l, 4);
	serve_once(&l, SERVE_ECHO);
	ck_assert_int_eq(ctl_call(l.path, CTL_STATUS, 10000, &resp, err, sizeof(err)), 0);
	ck_assert_str_eq(resp, "ok: status");
	free(resp);
	listener_close(&l);
}
END_TEST

START_TEST(test_call_no_daemon)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256], want[256], path[100], *resp = (char *)"stale";
	struct listener l;
	int fd;

	/* No socket file. */
	listener_open(&l, 1);
	snprintf(path, sizeof(path), "%s/d2.sock", l.dir);
	ck_assert_int_eq(ctl_call(path, CTL_STATUS, 1000, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(resp);
	snprintf(want, sizeof(want), "cannot connect to %s: No such file or directory", path);
	ck_assert_str_eq(err, want);
	/* A socket file that nobody listens on (a daemon that died). */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(ctl_call(path, CTL_STATUS, 1000, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	snprintf(want, sizeof(want), "cannot connect to %s: Connection refused", path);
	ck_assert_str_eq(err, want);
	unlink(path);
	listener_close(&l);
}
END_TEST

START_TEST(test_call_backlog_full)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256], want[256], *resp = NULL;
	struct listener l;
	size_t i;

	/* A daemon that stopped accepting: its backlog fills, and a blocking connect would wait
	 * for as long as it does. */
	listener_open(&l, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l.path);
	for (i = 0; i < sizeof(l.clients) / sizeof(l.clients[0]); i++) {
		l.clients[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(l.clients[i], (struct sockaddr *)&sa, sizeof(sa)) < 0)
			break;
	}
	ck_assert_msg(i < sizeof(l.clients) / sizeof(l.clients[0]), "the backlog never filled");
	ck_assert_int_eq(errno, EAGAIN);
	/* The call gives up at its deadline, with the reason. */
	ck_assert_int_eq(ctl_call(l.path, CTL_ADMIT " 5", 200, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_ptr_null(resp);
	snprintf(want, sizeof(want),
		 "cannot connect to %s: idleaccd is not accepting (its backlog is full)", l.path);
	ck_assert_str_eq(err, want);
	listener_close(&l);
}
END_TEST

START_TEST(test_call_silent)
{
	char err[256], want[256], *resp = NULL;
	struct listener l;

	/* Connected (the backlog has room) but never accepted, so never answered. */
	listener_open(&l, 4);
	ck_assert_int_eq(ctl_call(l.path, CTL_ADMIT " 5", 200, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_ptr_null(resp);
	snprintf(want, sizeof(want), "%s: no answer from idleaccd", l.path);
	ck_assert_str_eq(err, want);
	listener_close(&l);
}
END_TEST

START_TEST(test_call_closed_or_too_long)
{
	char err[256], want[256], *resp = NULL;
	struct listener l;

	listener_open(&l, 4);
	serve_once(&l, SERVE_CLOSE);
	ck_assert_int_eq(ctl_call(l.path, CTL_STATUS, 10000, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	snprintf(want, sizeof(want), "%s: Connection reset by peer", l.path);
	ck_assert_str_eq(err, want);
	listener_close(&l);

	listener_open(&l, 4);
	serve_once(&l, SERVE_TOO_LONG);
	ck_assert_int_eq(ctl_call(l.path, CTL_STATUS, 10000, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_ptr_null(resp);
	snprintf(want, sizeof(want), "%s: Message too long", l.path);
	ck_assert_str_eq(err, want);
	listener_close(&l);
}
END_TEST

START_TEST(test_call_path_too_long)
{
	char path[200], err[512], want[512], *resp = NULL;

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(ctl_call(path, CTL_STATUS, 1000, &resp, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	snprintf(want, sizeof(want), "cannot connect to %s: File name too long", path);
	ck_assert_str_eq(err, want);
}
END_TEST

/* An outside text stays on one line and reads back unambiguously, cut only between escapes. */
START_TEST(test_escape)
{
	char out[64];

	ck_assert_str_eq(escape_text("hold 60\nidleaccd: error: x", out, sizeof(out)),
			 "hold 60\\nidleaccd: error: x");
	ck_assert_str_eq(escape_text("a\tb\rc\x1b[2Jd\x7f", out, sizeof(out)),
			 "a\\tb\\rc\\x1b[2Jd\\x7f");
	/* A backslash is doubled: a typed "\n" does not read as an escaped newline. */
	ck_assert_str_eq(escape_text("a\\nb", out, sizeof(out)), "a\\\\nb");
	ck_assert_str_eq(escape_text("abc\n", out, 5), "abc");
	ck_assert_str_eq(escape_text("\x01", out, 4), "");
	out[0] = 'x';
	escape_text("abc", out, 0);
	ck_assert_int_eq(out[0], 'x');
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("signame");

	tcase_add_test(tc, test_signame_table_round_trips);
	tcase_add_test(tc, test_signame_known);
	tcase_add_test(tc, test_signame_unknown);
	tcase_add_test(tc, test_signame_numbers);
	tcase_add_test(tc, test_signame_spec_good);
	tcase_add_test(tc, test_signame_spec_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_test(tc, test_escape);
	suite_add_tcase(s, tc);

	tc = tcase_create("framing");
	tcase_add_test(tc, test_framing);
	tcase_add_test(tc, test_framing_deadline);
	tcase_add_test(tc, test_answer);
	tcase_add_test(tc, test_socket_path);
	tcase_add_test(tc, test_timeouts);
	suite_add_tcase(s, tc);

	tc = tcase_create("call");
	tcase_add_test(tc, test_call_answers);
	tcase_add_test(tc, test_call_no_daemon);
	tcase_add_test(tc, test_call_backlog_full);
	tcase_add_test(tc, test_call_silent);
	tcase_add_test(tc, test_call_closed_or_too_long);
	tcase_add_test(tc, test_call_path_too_long);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
