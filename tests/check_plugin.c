/* SPDX-License-Identifier: MIT */
/*
 * check_plugin.c - the SPANK plugin's pure parts: plugstack.conf arguments, --desktop-signal
 * (read exactly as idleaccd reads the job-start that carries it), and the exclusion list of a
 * refused job.
 */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>

#include "ctl.h"
#include "defaults.h"
#include "dispatch.h"
#include "idleacc.h"
#include "signame.h"
#include "testutil.h"

/* Parses [ac] arguments; the error buffer is big enough that nothing is truncated. */
static int parse(struct idleacc_conf *c, int ac, const char *const *av, char *err, size_t errlen)
{
	return idleacc_conf_parse(c, ac, (char **)av, err, errlen);
}

/* Every field of [c] equals idleacc_conf_default's. */
static void assert_default(const struct idleacc_conf *c)
{
	ck_assert(c->set_nice);
	ck_assert_int_eq(c->nice, 19);
	ck_assert_int_eq(c->sched, IDLEACC_SCHED_IDLE);
	ck_assert_int_eq(c->ionice, IDLEACC_IONICE_IDLE);
	ck_assert_int_eq(c->ionice_level, 7);
	ck_assert(c->set_autogroup);
	ck_assert_int_eq(c->autogroup, 19);
	ck_assert(c->set_oom);
	ck_assert_int_eq(c->oom_score_adj, 1000);
	ck_assert_str_eq(c->socket_dir, "/run/idleaccd");
	/* Derived in ctl.h: more than idleaccd's deadline, which covers a sample in progress. */
	ck_assert_int_eq(c->agent_timeout_ms, CTL_PLUGIN_TIMEOUT_MS);
	ck_assert_int_eq(c->agent_timeout_ms, 3000);
	ck_assert(c->guard);
}

START_TEST(test_conf_default)
{
	struct idleacc_conf c;

	memset(&c, 0xa5, sizeof(c));
	idleacc_conf_default(&c);
	assert_default(&c);
	/* The plugin and idleaccd must agree on where the socket is. */
	ck_assert_str_eq(c.socket_dir, CTL_RUN_DIR);
}
END_TEST

START_TEST(test_conf_none)
{
	struct idleacc_conf c;
	char err[256] = "stale";

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(idleacc_conf_parse(&c, 0, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	assert_default(&c);
}
END_TEST

START_TEST(test_conf_nice)
{
	struct idleacc_conf c;
	char err[256];
	const char *av[1];

	av[0] = "nice=-20";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(c.set_nice);
	ck_assert_int_eq(c.nice, -20);
	av[0] = "nice=0";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.nice, 0);
	av[0] = "nice=10";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.nice, 10);
	ck_assert_str_eq(err, "");
	av[0] = "nice=none";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(!c.set_nice);
	/* Only nice changed. */
	c.set_nice = true;
	c.nice = 19;
	assert_default(&c);
}
END_TEST

START_TEST(test_conf_sched)
{
	static const struct {
		const char *arg;
		enum idleacc_sched want;
	} good[] = {
	    {"sched=idle", IDLEACC_SCHED_IDLE},
	    {"sched=batch", IDLEACC_SCHED_BATCH},
	    {"sched=other", IDLEACC_SCHED_OTHER},
	    {"sched=none", IDLEACC_SCHED_KEEP},
	};
	struct idleacc_conf c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(parse(&c, 1, &good[i].arg, err, sizeof(err)), 0);
		ck_assert_msg(c.sched == good[i].want, "%s gave %d", good[i].arg, (int)c.sched);
		ck_assert_str_eq(err, "");
	}
}
END_TEST

START_TEST(test_conf_ionice)
{
	struct idleacc_conf c;
	char err[256];
	const char *av[1];

	av[0] = "ionice=none";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.ionice, IDLEACC_IONICE_NONE);
	av[0] = "ionice=idle";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.ionice, IDLEACC_IONICE_IDLE);
	av[0] = "ionice=best-effort:0";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.ionice, IDLEACC_IONICE_BEST_EFFORT);
	ck_assert_int_eq(c.ionice_level, 0);
	av[0] = "ionice=best-effort:7";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.ionice, IDLEACC_IONICE_BEST_EFFORT);
	ck_assert_int_eq(c.ionice_level, 7);
	av[0] = "ionice=best-effort:4";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.ionice_level, 4);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_conf_autogroup)
{
	struct idleacc_conf c;
	char err[256];
	const char *av[1];

	av[0] = "autogroup=-20";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(c.set_autogroup);
	ck_assert_int_eq(c.autogroup, -20);
	av[0] = "autogroup=5";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.autogroup, 5);
	av[0] = "autogroup=none";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(!c.set_autogroup);
	/* autogroup is not nice: each has its own field. */
	ck_assert(c.set_nice);
	ck_assert_int_eq(c.nice, 19);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_conf_oom)
{
	struct idleacc_conf c;
	char err[256];
	const char *av[1];

	av[0] = "oom_score_adj=-1000";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(c.set_oom);
	ck_assert_int_eq(c.oom_score_adj, -1000);
	av[0] = "oom_score_adj=500";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.oom_score_adj, 500);
	av[0] = "oom_score_adj=none";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(!c.set_oom);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_conf_socket_dir)
{
	struct idleacc_conf c;
	char err[512];
	char arg[300], dir[256];
	const char *av[1] = {arg};

	snprintf(arg, sizeof(arg), "socket_dir=/var/run/idle acc");
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_str_eq(c.socket_dir, "/var/run/idle acc");
	/* Only the first '=' separates key and value. */
	snprintf(arg, sizeof(arg), "socket_dir=/run/a=b");
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_str_eq(c.socket_dir, "/run/a=b");
	/* The longest that fits: 255 characters. */
	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	snprintf(arg, sizeof(arg), "socket_dir=%s", dir);
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_str_eq(c.socket_dir, dir);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_conf_agent_timeout)
{
	struct idleacc_conf c;
	char err[256];
	const char *av[1];

	av[0] = "agent_timeout=1";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.agent_timeout_ms, 1);
	av[0] = "agent_timeout=250";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.agent_timeout_ms, 250);
	av[0] = "agent_timeout=10000";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert_int_eq(c.agent_timeout_ms, 10000);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_conf_guard)
{
	struct idleacc_conf c;
	char err[256];
	const char *av[1];

	av[0] = "guard=off";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(!c.guard);
	av[0] = "guard=on";
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 0);
	ck_assert(c.guard);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_conf_all)
{
	static const char *const av[] = {
	    "nice=5",
	    "sched=batch",
	    "ionice=best-effort:2",
	    "autogroup=-3",
	    "oom_score_adj=-17",
	    "socket_dir=/tmp/ia",
	    "agent_timeout=300",
	    "guard=off",
	};
	struct idleacc_conf c;
	char err[256] = "stale";

	ck_assert_int_eq(parse(&c, 8, av, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert(c.set_nice);
	ck_assert_int_eq(c.nice, 5);
	ck_assert_int_eq(c.sched, IDLEACC_SCHED_BATCH);
	ck_assert_int_eq(c.ionice, IDLEACC_IONICE_BEST_EFFORT);
	ck_assert_int_eq(c.ionice_level, 2);
	ck_assert(c.set_autogroup);
	ck_assert_int_eq(c.autogroup, -3);
	ck_assert(c.set_oom);
	ck_assert_int_eq(c.oom_score_adj, -17);
	ck_assert_str_eq(c.socket_dir, "/tmp/ia");
	ck_assert_int_eq(c.agent_timeout_ms, 300);
	ck_assert(!c.guard);
}
END_TEST

/* One bad argument: refused with [msg], counted once, and everything left at its default. */
static const struct {
	const char *arg;
	const char *msg;
} bad_args[] = {
    {"nice=20", "argument \"nice=20\": expected -20..19 or none"},
    {"nice=-21", "argument \"nice=-21\": expected -20..19 or none"},
    {"nice=", "argument \"nice=\": expected -20..19 or none"},
    {"nice=abc", "argument \"nice=abc\": expected -20..19 or none"},
    {"nice= 5", "argument \"nice= 5\": expected -20..19 or none"},
    {"nice=5 ", "argument \"nice=5 \": expected -20..19 or none"},
    {"nice=1.5", "argument \"nice=1.5\": expected -20..19 or none"},
    {"nice=None", "argument \"nice=None\": expected -20..19 or none"},
    {"nice=99999999999999999999",
     "argument \"nice=99999999999999999999\": expected -20..19 or none"},
    {"sched=fifo", "argument \"sched=fifo\": expected idle, batch, other or none"},
    {"sched=", "argument \"sched=\": expected idle, batch, other or none"},
    {"sched=IDLE", "argument \"sched=IDLE\": expected idle, batch, other or none"},
    {"ionice=rt", "argument \"ionice=rt\": expected idle, best-effort:0..7 or none"},
    {"ionice=best-effort",
     "argument \"ionice=best-effort\": expected idle, best-effort:0..7 or none"},
    {"ionice=best-effort:",
     "argument \"ionice=best-effort:\": expected idle, best-effort:0..7 or none"},
    {"ionice=best-effort:8",
     "argument \"ionice=best-effort:8\": expected idle, best-effort:0..7 or none"},
    {"ionice=best-effort:-1",
     "argument \"ionice=best-effort:-1\": expected idle, best-effort:0..7 or none"},
    {"ionice=best-effort:none",
     "argument \"ionice=best-effort:none\": expected idle, best-effort:0..7 or none"},
    {"autogroup=20", "argument \"autogroup=20\": expected -20..19 or none"},
    {"autogroup=-21", "argument \"autogroup=-21\": expected -20..19 or none"},
    {"autogroup=x", "argument \"autogroup=x\": expected -20..19 or none"},
    {"oom_score_adj=1001", "argument \"oom_score_adj=1001\": expected -1000..1000 or none"},
    {"oom_score_adj=-1001", "argument \"oom_score_adj=-1001\": expected -1000..1000 or none"},
    {"oom_score_adj=", "argument \"oom_score_adj=\": expected -1000..1000 or none"},
    {"socket_dir=run/idleaccd", "argument \"socket_dir=run/idleaccd\": expected an absolute path"},
    {"socket_dir=", "argument \"socket_dir=\": expected an absolute path"},
    {"agent_timeout=0", "argument \"agent_timeout=0\": expected milliseconds, 1..10000"},
    {"agent_timeout=10001", "argument \"agent_timeout=10001\": expected milliseconds, 1..10000"},
    {"agent_timeout=-5", "argument \"agent_timeout=-5\": expected milliseconds, 1..10000"},
    {"agent_timeout=1s", "argument \"agent_timeout=1s\": expected milliseconds, 1..10000"},
    {"agent_timeout=", "argument \"agent_timeout=\": expected milliseconds, 1..10000"},
    {"guard=yes", "argument \"guard=yes\": expected on or off"},
    {"guard=ON", "argument \"guard=ON\": expected on or off"},
    {"guard=", "argument \"guard=\": expected on or off"},
    {"foo=1", "argument \"foo=1\": unknown setting \"foo\""},
    {"Nice=5", "argument \"Nice=5\": unknown setting \"Nice\""},
    {"timeout=100", "argument \"timeout=100\": unknown setting \"timeout\""},
    {"guard", "argument \"guard\": expected KEY=VALUE"},
    {"nice", "argument \"nice\": expected KEY=VALUE"},
    {"", "argument \"\": expected KEY=VALUE"},
    {"=5", "argument \"=5\": expected KEY=VALUE"},
};

START_TEST(test_conf_bad)
{
	const char *av[1] = {bad_args[_i].arg};
	struct idleacc_conf c;
	char err[256];

	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 1);
	ck_assert_str_eq(err, bad_args[_i].msg);
	assert_default(&c);
}
END_TEST

START_TEST(test_conf_socket_dir_too_long)
{
	struct idleacc_conf c;
	char err[600], want[600];
	char arg[300], dir[257];
	const char *av[1] = {arg};

	/* 256 characters leave no room for the NUL in socket_dir[256]. */
	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	snprintf(arg, sizeof(arg), "socket_dir=%s", dir);
	snprintf(want, sizeof(want), "argument \"%s\": expected an absolute path", arg);
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 1);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(c.socket_dir, CTL_RUN_DIR);
}
END_TEST

START_TEST(test_conf_long_key)
{
	static const char *const av[] = {"a_setting_name_much_longer_than_any=1"};
	struct idleacc_conf c;
	char err[256];

	/* A key longer than any known one is refused and counted, whatever it is called. */
	ck_assert_int_eq(parse(&c, 1, av, err, sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "argument \"a_setting_name_much_longer_than_any=1\": "));
	ck_assert_ptr_null(strchr(err, '\n'));
	assert_default(&c);
}
END_TEST

START_TEST(test_conf_several_bad)
{
	static const char *const av[] = {"nice=5",  "sched=fifo",	 "guard",
					 "foo=bar", "agent_timeout=300", "oom_score_adj=2000"};
	struct idleacc_conf c;
	char err[512];

	ck_assert_int_eq(parse(&c, 6, av, err, sizeof(err)), 4);
	ck_assert_str_eq(err, "argument \"sched=fifo\": expected idle, batch, other or none\n"
			      "argument \"guard\": expected KEY=VALUE\n"
			      "argument \"foo=bar\": unknown setting \"foo\"\n"
			      "argument \"oom_score_adj=2000\": expected -1000..1000 or none");
	/* The good arguments still apply, the bad ones keep their defaults. */
	ck_assert_int_eq(c.nice, 5);
	ck_assert_int_eq(c.agent_timeout_ms, 300);
	ck_assert_int_eq(c.sched, IDLEACC_SCHED_IDLE);
	ck_assert(c.set_oom);
	ck_assert_int_eq(c.oom_score_adj, 1000);
	ck_assert(c.guard);
}
END_TEST

START_TEST(test_conf_bad_truncated)
{
	static const char *const av[] = {"nice=x", "sched=y", "guard=z"};
	struct idleacc_conf c;
	char err[48];
	const char *first = "argument \"nice=x\": expected -20..19 or none";

	/* The buffer holds the first message only, partly the second: all three are counted. */
	ck_assert_int_eq(parse(&c, 3, av, err, sizeof(err)), 3);
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
	ck_assert_int_eq(strncmp(err, first, strlen(first)), 0);
	ck_assert_int_eq(err[strlen(first)], '\n');
	assert_default(&c);
}
END_TEST

START_TEST(test_err_add)
{
	char err[64] = "";
	int n = 0;

	idleacc_err_add(err, sizeof(err), &n, "one %d", 1);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(err, "one 1");
	idleacc_err_add(err, sizeof(err), &n, "two \"%s\"", "x");
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(err, "one 1\ntwo \"x\"");
}
END_TEST

START_TEST(test_err_add_truncated)
{
	char err[12] = "";
	int n = 0;

	idleacc_err_add(err, sizeof(err), &n, "%s", "0123456789abcdef");
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(err, "0123456789a");
	/* Full: nothing more is written, but every message is still counted. */
	idleacc_err_add(err, sizeof(err), &n, "%s", "more");
	idleacc_err_add(err, sizeof(err), &n, "%s", "and more");
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(err, "0123456789a");
}
END_TEST

START_TEST(test_err_add_partial)
{
	char err[12] = "";
	int n = 5;

	idleacc_err_add(err, sizeof(err), &n, "%s", "abcd");
	idleacc_err_add(err, sizeof(err), &n, "%s", "efghijkl");
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(err, "abcd\nefghij");
}
END_TEST

START_TEST(test_err_add_empty_buffer)
{
	char err[1] = "";
	int n = 0;

	idleacc_err_add(err, 0, &n, "%s", "lost");
	idleacc_err_add(err, sizeof(err), &n, "%s", "lost");
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(err, "");
}
END_TEST

/* Parses [s], which must be good, and returns it in canonical form. */
static const char *sig_ok(const char *s, struct idleacc_signal *sig)
{
	static char buf[64];
	char err[256] = "";

	ck_assert_msg(idleacc_signal_parse(s, sig, err, sizeof(err)) == 0, "refused \"%s\": %s", s,
		      err);
	idleacc_signal_format(sig, buf, sizeof(buf));
	return buf;
}

START_TEST(test_signal_names)
{
	struct idleacc_signal sig;

	ck_assert_str_eq(sig_ok("USR1@120", &sig), "USR1@120");
	ck_assert_int_eq(sig.signo, SIGUSR1);
	ck_assert_int_eq(sig.secs, 120);
	ck_assert_str_eq(sig_ok("SIGTERM@60", &sig), "TERM@60");
	ck_assert_int_eq(sig.signo, SIGTERM);
	ck_assert_int_eq(sig.secs, 60);
	ck_assert_str_eq(sig_ok("usr2@5", &sig), "USR2@5");
	ck_assert_int_eq(sig.signo, SIGUSR2);
	ck_assert_str_eq(sig_ok("SigInt@1", &sig), "INT@1");
	ck_assert_int_eq(sig.signo, SIGINT);
	ck_assert_str_eq(sig_ok("HUP@10", &sig), "HUP@10");
	ck_assert_str_eq(sig_ok("WINCH@10", &sig), "WINCH@10");
	ck_assert_str_eq(sig_ok("XCPU@10", &sig), "XCPU@10");
	ck_assert_str_eq(sig_ok("KILL@10", &sig), "KILL@10");
	ck_assert_int_eq(sig.signo, SIGKILL);
	/* Known to idleaccd all along, refused by the plugin before one grammar. */
	ck_assert_str_eq(sig_ok("ABRT@10", &sig), "ABRT@10");
	ck_assert_int_eq(sig.signo, SIGABRT);
	ck_assert_str_eq(sig_ok("SIGCHLD@10", &sig), "CHLD@10");
	ck_assert_int_eq(sig.signo, SIGCHLD);
	ck_assert_str_eq(sig_ok("ttin@10", &sig), "TTIN@10");
	ck_assert_int_eq(sig.signo, SIGTTIN);
	ck_assert_str_eq(sig_ok("Sys@10", &sig), "SYS@10");
	ck_assert_int_eq(sig.signo, SIGSYS);
}
END_TEST

/*
 * What idleaccd makes of "job-start 7 SPEC" from root: 1 and the job's signal and grace when it
 * takes it, 0 when it answers an error.
 */
static int daemon_takes(const char *spec, int *sig, long *secs)
{
	static struct agent_state st;
	const struct agent_reqenv env = {.st = &st};
	char req[128], *resp;
	int ok;

	agent_state_init(&st, "d1");
	snprintf(req, sizeof(req), CTL_JOB_START " 7 %s", spec);
	resp = agent_request(&env, req, 0, 1000);
	ck_assert_ptr_nonnull(resp);
	ok = !strcmp(resp, CTL_OK);
	free(resp);
	if (!ok)
		return 0;
	*sig = agent_job_find(&st, 7)->warn_sig;
	*secs = (long)agent_job_find(&st, 7)->warn_secs;
	return 1;
}

/* The plugin's and idleaccd's reading of [spec] are the same: both refuse it, or both take it
 * as the same signal and grace; and what the plugin sends on is taken as that too. */
static void assert_same(const char *spec)
{
	struct idleacc_signal p;
	char err[256], canon[64];
	int dsig = 0;
	long dsecs = 0;
	int plugin = idleacc_signal_parse(spec, &p, err, sizeof(err)) == 0;
	int daemon = daemon_takes(spec, &dsig, &dsecs);

	ck_assert_msg(plugin == daemon, "\"%s\": plugin %s, idleaccd %s", spec,
		      plugin ? "takes it" : "refuses it", daemon ? "takes it" : "refuses it");
	if (!plugin)
		return;
	ck_assert_msg(p.signo == dsig && p.secs == dsecs, "\"%s\": plugin %d@%ld, idleaccd %d@%ld",
		      spec, p.signo, p.secs, dsig, dsecs);
	idleacc_signal_format(&p, canon, sizeof(canon));
	ck_assert_int_eq(daemon_takes(canon, &dsig, &dsecs), 1);
	ck_assert_int_eq(dsig, p.signo);
}

START_TEST(test_signal_same_as_daemon)
{
	static const char *const specs[] = {
	    "ABRT@5",  "CHLD@5",     "TTIN@5",	 "SYS@5",   "sigabrt@5", "USR1@120", "SIGTERM@0",
	    "usr2@5",  "PWR@1",	     "10@5",	 "64@5",    "34@5",	 "TERM@007", "TERM@86400",
	    "0@5",     "65@5",	     "FOO@5",	 "SIG10@5", "IOT@5",	 "USR1",     "USR1@",
	    "USR1@-1", "USR1@86401", "USR1@1@2", "@5",	    "USR1@+5",	 "+10@5",    "010@5",
	};
	char spec[64], lower[16];
	size_t i, k;
	int sig;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		assert_same(specs[i]);
	/* Every name of the table, as it is, with SIG, in small letters. */
	for (i = 0; i < signame_count(); i++) {
		const char *name = signame_at(i, &sig);

		for (k = 0; name[k] && k < sizeof(lower) - 1; k++)
			lower[k] = (char)tolower((unsigned char)name[k]);
		lower[k] = '\0';
		snprintf(spec, sizeof(spec), "%s@30", name);
		assert_same(spec);
		snprintf(spec, sizeof(spec), "SIG%s@30", name);
		assert_same(spec);
		snprintf(spec, sizeof(spec), "%s@30", lower);
		assert_same(spec);
		snprintf(spec, sizeof(spec), "%d@30", sig);
		assert_same(spec);
	}
}
END_TEST

START_TEST(test_signal_seconds)
{
	struct idleacc_signal sig;

	ck_assert_str_eq(sig_ok("USR1@0", &sig), "USR1@0");
	ck_assert_int_eq(sig.secs, 0);
	ck_assert_str_eq(sig_ok("TERM@86400", &sig), "TERM@86400");
	ck_assert_int_eq(sig.secs, 86400);
	ck_assert_str_eq(sig_ok("TERM@007", &sig), "TERM@7");
	ck_assert_int_eq(sig.secs, 7);
}
END_TEST

START_TEST(test_signal_numbers)
{
	struct idleacc_signal sig;
	char s[32], want[32];

	/* A number that names a known signal comes back as its name. */
	snprintf(s, sizeof(s), "%d@120", SIGUSR1);
	ck_assert_str_eq(sig_ok(s, &sig), "USR1@120");
	ck_assert_int_eq(sig.signo, SIGUSR1);
	ck_assert_int_eq(sig.secs, 120);
	snprintf(s, sizeof(s), "%d@5", SIGTERM);
	ck_assert_str_eq(sig_ok(s, &sig), "TERM@5");
	/* Real-time signals have no name here and stay numbers. */
	snprintf(s, sizeof(s), "%d@30", SIGRTMIN);
	snprintf(want, sizeof(want), "%d@30", SIGRTMIN);
	ck_assert_str_eq(sig_ok(s, &sig), want);
	ck_assert_int_eq(sig.signo, SIGRTMIN);
	snprintf(s, sizeof(s), "%d@30", SIGRTMAX);
	snprintf(want, sizeof(want), "%d@30", SIGRTMAX);
	ck_assert_str_eq(sig_ok(s, &sig), want);
	ck_assert_int_eq(sig.signo, SIGRTMAX);
	ck_assert_str_eq(sig_ok("1@2", &sig), "HUP@2");
}
END_TEST

START_TEST(test_signal_format)
{
	struct idleacc_signal sig = {.signo = SIGPWR, .secs = 0};
	char buf[32], want[32];

	idleacc_signal_format(&sig, buf, sizeof(buf));
	ck_assert_str_eq(buf, "PWR@0");
	sig.signo = SIGRTMIN + 2;
	sig.secs = 86400;
	idleacc_signal_format(&sig, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%d@86400", SIGRTMIN + 2);
	ck_assert_str_eq(buf, want);
	/* A short buffer gets a truncated, terminated string. */
	sig.signo = SIGUSR1;
	sig.secs = 120;
	idleacc_signal_format(&sig, buf, 5);
	ck_assert_str_eq(buf, "USR1");
}
END_TEST

/* One bad --desktop-signal value and its exact message. */
static const struct {
	const char *s;
	const char *msg;
} bad_signals[] = {
    {"FOO@120", "--desktop-signal: unknown signal \"FOO\" (use e.g. USR1@120)"},
    {"SIGFOO@1", "--desktop-signal: unknown signal \"SIGFOO\" (use e.g. USR1@120)"},
    {"SIG@1", "--desktop-signal: unknown signal \"SIG\" (use e.g. USR1@120)"},
    {"SIG10@1", "--desktop-signal: unknown signal \"SIG10\" (use e.g. USR1@120)"},
    {"USR3@1", "--desktop-signal: unknown signal \"USR3\" (use e.g. USR1@120)"},
    {" USR1@1", "--desktop-signal: unknown signal \" USR1\" (use e.g. USR1@120)"},
    {"0@10", "--desktop-signal: unknown signal \"0\" (use e.g. USR1@120)"},
    {"-1@10", "--desktop-signal: unknown signal \"-1\" (use e.g. USR1@120)"},
    {"4294967306@10", "--desktop-signal: unknown signal \"4294967306\" (use e.g. USR1@120)"},
    {"99999999999999999999@10",
     "--desktop-signal: unknown signal \"99999999999999999999\" (use e.g. USR1@120)"},
    {"FOO", "--desktop-signal: unknown signal \"FOO\" (use e.g. USR1@120)"},
    {"", "--desktop-signal: no signal given (use e.g. USR1@120)"},
    {"@120", "--desktop-signal: no signal given (use e.g. USR1@120)"},
    {"USR1", "--desktop-signal: \"USR1\" has no @SECONDS (use e.g. USR1@120)"},
    {"SIGTERM", "--desktop-signal: \"SIGTERM\" has no @SECONDS (use e.g. USR1@120)"},
    {"USR1@", "--desktop-signal: \"\" is not a number of seconds 0..86400 (use e.g. USR1@120)"},
    {"USR1@-1", "--desktop-signal: \"-1\" is not a number of seconds 0..86400 (use e.g. USR1@120)"},
    {"USR1@86401",
     "--desktop-signal: \"86401\" is not a number of seconds 0..86400 (use e.g. USR1@120)"},
    {"USR1@2m", "--desktop-signal: \"2m\" is not a number of seconds 0..86400 (use e.g. USR1@120)"},
    {"USR1@ 5", "--desktop-signal: \" 5\" is not a number of seconds 0..86400 (use e.g. USR1@120)"},
    {"USR1@1@2",
     "--desktop-signal: \"1@2\" is not a number of seconds 0..86400 (use e.g. USR1@120)"},
    {"USR1@99999999999999999999", "--desktop-signal: \"99999999999999999999\" is not a number of "
				  "seconds 0..86400 (use e.g. USR1@120)"},
};

START_TEST(test_signal_bad)
{
	struct idleacc_signal sig;
	char err[256] = "";

	ck_assert_msg(idleacc_signal_parse(bad_signals[_i].s, &sig, err, sizeof(err)) == -1,
		      "accepted \"%s\"", bad_signals[_i].s);
	ck_assert_str_eq(err, bad_signals[_i].msg);
}
END_TEST

START_TEST(test_signal_bad_range)
{
	struct idleacc_signal sig;
	char s[32], msg[128], err[256];

	/* One past the last real-time signal. */
	snprintf(s, sizeof(s), "%d@10", SIGRTMAX + 1);
	snprintf(msg, sizeof(msg), "--desktop-signal: unknown signal \"%d\" (use e.g. USR1@120)",
		 SIGRTMAX + 1);
	ck_assert_int_eq(idleacc_signal_parse(s, &sig, err, sizeof(err)), -1);
	ck_assert_str_eq(err, msg);
}
END_TEST

START_TEST(test_signal_long_name)
{
	struct idleacc_signal sig;
	char err[256];

	/* Longer than any signal name: the whole name is shown, not a cut one. */
	ck_assert_int_eq(idleacc_signal_parse("SIGVERYLONGNAME12@5", &sig, err, sizeof(err)), -1);
	ck_assert_str_eq(
	    err, "--desktop-signal: unknown signal \"SIGVERYLONGNAME12\" (use e.g. USR1@120)");
	ck_assert_int_eq(idleacc_signal_parse("SIGVERYLONGNAME12", &sig, err, sizeof(err)), -1);
	ck_assert_str_eq(
	    err, "--desktop-signal: unknown signal \"SIGVERYLONGNAME12\" (use e.g. USR1@120)");
}
END_TEST

START_TEST(test_signal_err_truncated)
{
	struct idleacc_signal sig;
	char err[20];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(idleacc_signal_parse("FOO@1", &sig, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--desktop-signal: u");
}
END_TEST

/* ------------------------------------------------------------- the exclusion list */

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of hostlist [list], one per line (what scontrol show hostnames prints). */
static char *names_of(const char *list)
{
	__typeof__(slurm_hostlist_create(NULL)) hl = slurm_hostlist_create(list);
	size_t cap = 16, n = 0, i, len = 0;
	char **v = malloc(cap * sizeof(*v)), *h, *out;

	ck_assert_ptr_nonnull(hl);
	while ((h = slurm_hostlist_shift(hl))) {
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = h;
		len += strlen(h) + 1;
	}
	slurm_hostlist_destroy(hl);
	qsort(v, n, sizeof(*v), strcmp_ptr);
	out = calloc(1, len + 1);
	for (i = 0; i < n; i++) {
		strcat(out, v[i]);
		strcat(out, "\n");
		free(v[i]);
	}
	free(v);
	return out;
}

START_TEST(test_exclude_add)
{
	char err[256] = "", *got, *names;

	got = idleacc_exclude_add(NULL, "d1", err, sizeof(err));
	ck_assert_str_eq(got, "d1");
	free(got);
	got = idleacc_exclude_add("", "d1", err, sizeof(err));
	ck_assert_str_eq(got, "d1");
	free(got);
	got = idleacc_exclude_add("d[2-3]", "d1", err, sizeof(err));
	ck_assert_str_eq(got, "d[1-3]");
	free(got);
	got = idleacc_exclude_add("lab-b2,d3", "lab-a7", err, sizeof(err));
	names = names_of(got);
	ck_assert_str_eq(names, "d3\nlab-a7\nlab-b2\n");
	free(names);
	free(got);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_exclude_add_long)
{
	char err[256] = "", *got, *before, *after, *want, *list;
	size_t i, len = 0;

	/* 600 names that share no numeric range: 3 kB, longer than any fixed buffer. */
	list = malloc(600 * 6 + 1);
	list[0] = '\0';
	for (i = 0; i < 600; i++)
		len += (size_t)sprintf(list + len, "%sx%c%c%c", i ? "," : "", (char)('a' + i / 100),
				       (char)('a' + i / 10 % 10), (char)('a' + i % 10));
	ck_assert_uint_gt(strlen(list), 2048);
	got = idleacc_exclude_add(list, "d1", err, sizeof(err));
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_gt(strlen(got), strlen(list));
	before = names_of(list);
	after = names_of(got);
	want = malloc(strlen(before) + 4);
	sprintf(want, "d1\n%s", before); /* "d1" sorts before every "x..." */
	ck_assert_str_eq(after, want);
	free(want);
	free(after);
	free(before);
	free(got);
	free(list);
}
END_TEST

START_TEST(test_exclude_add_bad)
{
	char err[256] = "";

	/* libslurm also says why on stderr. */
	ck_assert_ptr_null(idleacc_exclude_add("d[3-1]", "d5", err, sizeof(err)));
	ck_assert_str_eq(err, "excluded nodes \"d[3-1]\" are not a hostlist");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc = tcase_create("conf_good");

	tcase_add_test(tc, test_conf_default);
	tcase_add_test(tc, test_conf_none);
	tcase_add_test(tc, test_conf_nice);
	tcase_add_test(tc, test_conf_sched);
	tcase_add_test(tc, test_conf_ionice);
	tcase_add_test(tc, test_conf_autogroup);
	tcase_add_test(tc, test_conf_oom);
	tcase_add_test(tc, test_conf_socket_dir);
	tcase_add_test(tc, test_conf_agent_timeout);
	tcase_add_test(tc, test_conf_guard);
	tcase_add_test(tc, test_conf_all);
	suite_add_tcase(s, tc);

	tc = tcase_create("conf_bad");
	tcase_add_loop_test(tc, test_conf_bad, 0, (int)(sizeof(bad_args) / sizeof(bad_args[0])));
	tcase_add_test(tc, test_conf_socket_dir_too_long);
	tcase_add_test(tc, test_conf_long_key);
	tcase_add_test(tc, test_conf_several_bad);
	tcase_add_test(tc, test_conf_bad_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("err_add");
	tcase_add_test(tc, test_err_add);
	tcase_add_test(tc, test_err_add_truncated);
	tcase_add_test(tc, test_err_add_partial);
	tcase_add_test(tc, test_err_add_empty_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("signal_good");
	tcase_add_test(tc, test_signal_names);
	tcase_add_test(tc, test_signal_seconds);
	tcase_add_test(tc, test_signal_numbers);
	tcase_add_test(tc, test_signal_format);
	tcase_add_test(tc, test_signal_same_as_daemon);
	suite_add_tcase(s, tc);

	tc = tcase_create("signal_bad");
	tcase_add_loop_test(tc, test_signal_bad, 0,
			    (int)(sizeof(bad_signals) / sizeof(bad_signals[0])));
	tcase_add_test(tc, test_signal_bad_range);
	tcase_add_test(tc, test_signal_long_name);
	tcase_add_test(tc, test_signal_err_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("exclude");
	tcase_add_test(tc, test_exclude_add);
	tcase_add_test(tc, test_exclude_add_long);
	tcase_add_test(tc, test_exclude_add_bad);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
