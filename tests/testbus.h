/* SPDX-License-Identifier: MIT */
/*
 * testbus.h - a private dbus-daemon with fake_logind on it, for the unit tests that ask
 * logind (check_logind, check_console): each test starts its own in a mkdtemp() directory,
 * so the system bus is never used.
 */
#ifndef TESTBUS_H
#define TESTBUS_H

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FAKE_LOGIND
#define FAKE_LOGIND "./fake_logind"
#endif

/* The private bus of one test. Check forks each test, so each has its own. */
struct test_bus {
	char address[160];  /* unix:path=DIR/bus */
	char socket[128];   /* DIR/bus */
	char conf[128];	    /* DIR/bus.conf: dbus-daemon's configuration */
	char sessions[128]; /* DIR/sessions: what fake_logind serves */
	pid_t bus_pid;	    /* dbus-daemon, 0 when not running */
	pid_t fake_pid;	    /* fake_logind, 0 when not running */
};

static struct test_bus env;

/* The mkdtemp() directory of the running TCase. It is made and removed by an unchecked
 * fixture, in the runner process, so a failed test (which ends its process at once) cannot
 * leave it behind; the children die with the test through PR_SET_PDEATHSIG. */
static char tmpdir[64];

static inline void tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", program_invocation_short_name);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static inline int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static inline void tmp_teardown(void)
{
	nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static inline void stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

/* Stops the children when a test ends well. */
static inline void env_stop(void)
{
	stop(&env.fake_pid);
	stop(&env.bus_pid);
}

static inline void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* dbus-daemon's configuration: listen on env.address, let anyone own and call anything. */
static inline void write_bus_conf(void)
{
	char conf[1024];

	snprintf(conf, sizeof(conf),
		 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
		 "1.0//EN\"\n"
		 " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		 "<busconfig>\n"
		 "  <listen>%s</listen>\n"
		 "  <auth>EXTERNAL</auth>\n"
		 "  <policy context=\"default\">\n"
		 "    <allow user=\"*\"/>\n"
		 "    <allow own=\"*\"/>\n"
		 "    <allow send_destination=\"*\"/>\n"
		 "    <allow receive_sender=\"*\"/>\n"
		 "  </policy>\n"
		 "</busconfig>\n",
		 env.address);
	write_file(env.conf, conf);
}

static inline void env_init(void)
{
	static bool registered;

	env_stop();
	if (!registered)
		atexit(env_stop);
	registered = true;
	snprintf(env.socket, sizeof(env.socket), "%s/bus", tmpdir);
	snprintf(env.address, sizeof(env.address), "unix:path=%s", env.socket);
	snprintf(env.conf, sizeof(env.conf), "%s/bus.conf", tmpdir);
	snprintf(env.sessions, sizeof(env.sessions), "%s/sessions", tmpdir);
	write_bus_conf();
	write_file(env.sessions, "");
}

/*
 * Starts [argv] with its stdout on a pipe and waits for its first line, which both children
 * print once they serve: that is the readiness signal, so no test waits on a clock.
 */
static inline pid_t start_child(char *const argv[], char *line, size_t len)
{
	pid_t parent = getpid(), pid;
	size_t n = 0;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Dies with the test, however the test ends. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (n + 1 < len && read(fds[0], line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	close(fds[0]);
	return pid;
}

static inline void bus_start(void)
{
	char conf_arg[160], line[256];
	char *argv[] = {"/usr/bin/dbus-daemon", conf_arg, "--nofork", "--print-address", NULL};

	snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s", env.conf);
	unlink(env.socket);
	env.bus_pid = start_child(argv, line, sizeof(line));
	ck_assert_msg(!strncmp(line, env.address, strlen(env.address)), "dbus-daemon said \"%s\"",
		      line);
}

static inline void fake_start(void)
{
	char line[256];
	char *argv[] = {FAKE_LOGIND, "-a", env.address, env.sessions, NULL};

	env.fake_pid = start_child(argv, line, sizeof(line));
	ck_assert_str_eq(line, "READY");
}

/* A private bus with fake_logind serving [sessions]. */
static inline void env_start(const char *sessions)
{
	env_init();
	write_file(env.sessions, sessions);
	bus_start();
	fake_start();
}

#endif /* TESTBUS_H */
