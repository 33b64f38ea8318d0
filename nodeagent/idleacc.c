/* SPDX-License-Identifier: MIT */
/*
 * idleacc.c - the command line tool: asks idleaccd over its control socket (status, hold,
 * release), or runs libidle locally without the daemon (probe) to show why a desktop is
 * judged in use. With --notify, the answer to hold or release also comes as a desktop
 * notification (the desktop entry "Keep this PC for me" has no terminal).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "notify.h"
#include "report.h"

#define DEFAULT_HOLD (60 * 60) /* "idleacc hold" without --for: an hour */

static void usage(FILE *f)
{
	fprintf(f, "usage: idleacc [-N NODE] [-s SOCKET] status\n"
		   "       idleacc [-N NODE] [-s SOCKET] hold [--for DURATION] [--notify]\n"
		   "       idleacc [-N NODE] [-s SOCKET] release [--notify]\n"
		   "       idleacc [-N NODE] probe [-c FILE] [--once]\n"
		   "       idleacc --help | --version\n"
		   "  -N NODE      the node whose idleaccd to ask (default: the only one running,"
		   " else this host)\n"
		   "  -s SOCKET    idleaccd's control socket (default RUN_DIR/NODE.sock)\n"
		   "  --for DURATION  how long to hold this desktop: 90m, 2h (default 1h)\n"
		   "  --notify     hold, release: also show the answer as a desktop notification\n"
		   "  -c FILE      probe: the configuration (default beside slurm.conf)\n"
		   "  --once       probe: one reading instead of one a second\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "idleacc: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

/* Loads [path] or, when none is given and the default file is missing, the defaults. */
static struct idle_config *load_config(const char *path, bool quiet_missing)
{
	char def[PATH_MAX], err[4096];
	struct idle_config *c;

	if (!path) {
		idle_config_default_path(def, sizeof(def));
		if (access(def, F_OK) < 0 && errno == ENOENT)
			return idle_config_load(NULL, err, sizeof(err));
		path = def;
	}
	c = idle_config_load(path, err, sizeof(err));
	if (!c && !quiet_missing)
		fprintf(stderr, "%s%s", err, err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
	return c;
}

static void short_hostname(char *buf, size_t len)
{
	if (gethostname(buf, len) < 0)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	buf[strcspn(buf, ".")] = '\0';
}

/* The socket: -s; else RUN_DIR/NODE.sock with NODE from -N, the only socket there, or the
 * host name (a desktop's node is normally named after it). */
static void socket_path(const char *node, char *out, size_t len)
{
	char run_dir[IDLE_PATH_LEN], host[256], only[256] = "";
	struct idle_config *c = load_config(NULL, true);
	int found = 0;
	DIR *dir;

	if (!c)
		c = idle_config_load(NULL, host, sizeof(host));
	snprintf(run_dir, sizeof(run_dir), "%s", c ? idle_config_agent(c)->run_dir : CTL_RUN_DIR);
	idle_config_free(c);
	if (node) {
		ctl_socket_path(run_dir, node, out, len);
		return;
	}
	dir = opendir(run_dir);
	if (dir) {
		struct dirent *e;

		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);

			if (n > 5 && !strcmp(e->d_name + n - 5, ".sock")) {
				snprintf(only, sizeof(only), "%s", e->d_name);
				found++;
			}
		}
		closedir(dir);
	}
	if (found == 1) {
		snprintf(out, len, "%s/%s", run_dir, only);
		return;
	}
	short_hostname(host, sizeof(host));
	ctl_socket_path(run_dir, host, out, len);
}

/*
 * Asks idleaccd [req] and prints its answer on stdout, or the error or refusal on stderr
 * after "idleacc: ". [msg] gets the first line printed, without that prefix. Returns the
 * exit code: 0, or 1 on an error or refusal.
 */
static int call(const char *sock, const char *req, char *msg, size_t msglen)
{
	char err[PATH_MAX + 128], *resp = NULL;
	int rc = 1;

	if (ctl_call(sock, req, CTL_CLI_TIMEOUT_MS, &resp, err, sizeof(err)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			snprintf(msg, msglen, "%s (is idleaccd running?)", err);
		else
			snprintf(msg, msglen, "%s", err);
		fprintf(stderr, "idleacc: %s\n", msg);
		return 1;
	}
	snprintf(msg, msglen, "%.*s", (int)strcspn(resp, "\n"), resp);
	if (ctl_answer(resp, CTL_ERROR) || ctl_answer(resp, CTL_REFUSED)) {
		fprintf(stderr, "idleacc: %s\n", resp);
	} else {
		fputs(resp, stdout);
		if (resp[0] && resp[strlen(resp) - 1] != '\n')
			fputc('\n', stdout);
		rc = 0;
	}
	free(resp);
	return rc;
}

/* Shows the outcome [msg] of hold or release ([cmd]) as a desktop notification too. A
 * failed notification is reported, and leaves the exit code [rc] as it is. */
static void notify(const char *cmd, int rc, const char *msg)
{
	const char *summary;
	char err[512];

	if (!strcmp(cmd, "hold"))
		summary = rc ? "This PC could not be kept for you" : "This PC is kept for you";
	else
		summary = rc ? "The hold on this PC could not be released"
			     : "The hold on this PC is released";
	if (agent_notify(summary, msg, rc != 0, err, sizeof(err)) < 0)
		fprintf(stderr, "idleacc: no desktop notification: %s\n", err);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int probe(const char *conf, const char *node, bool once)
{
	struct idle_config *c = load_config(conf, false);
	struct idle_policy pol;
	struct idle_memo memo = {0};
	struct idle_snapshot snap;
	struct idle_verdict v;
	struct idle_ctx *ctx;
	char host[256], err[IDLE_ERR_LEN], d1[32], out[16384];
	struct agent_buf b;
	int i;

	if (!c)
		return 1;
	if (!node) {
		short_hostname(host, sizeof(host));
		node = host;
	}
	idle_config_policy(c, node, &pol);
	ctx = idle_open(idle_config_sources(c), NULL, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "idleacc: %s\n", err);
		idle_config_free(c);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("node %s, config %s: offered after %s idle, on owner return: %s\n", node,
	       idle_config_path(c)[0] ? idle_config_path(c) : "(built-in defaults)",
	       idle_format_duration(pol.idle_after, d1, sizeof(d1)),
	       idle_on_return_name(pol.on_owner_return));
	for (;;) {
		int64_t now = idle_now_ms();
		bool unknown = false;

		idle_sample(ctx, now, &snap);
		for (i = 0; i < IDLE_SRC_COUNT; i++)
			unknown |= snap.status[i] == IDLE_ST_UNKNOWN;
		/* Rates (CPU load) need two readings: give a single probe its second one. */
		if (once && unknown) {
			sleep(1);
			now = idle_now_ms();
			idle_sample(ctx, now, &snap);
		}
		idle_decide(&snap, &pol, now, &memo, &v);
		agent_buf_init(&b, out, sizeof(out));
		agent_report_sample(&b, &snap, &v, now);
		fputs(out, stdout);
		fflush(stdout);
		if (once || stop)
			break;
		sleep(1);
		if (stop)
			break;
		putchar('\n');
	}
	idle_close(ctx);
	idle_config_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option top[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static const struct option sub[] = {
	    {"for", required_argument, NULL, 'f'},
	    {"once", no_argument, NULL, 'o'},
	    {"notify", no_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	const char *node = NULL, *sock = NULL, *conf = NULL, *cmd;
	char path[PATH_MAX], req[64], msg[CTL_RESP_MAX + 1];
	int64_t hold = DEFAULT_HOLD;
	bool once = false, notify_too = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+N:s:", top, NULL)) != -1) {
		switch (c) {
		case 'N':
			node = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("idleacc %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc)
		return bad_usage("%s", "a command is missing");
	cmd = argv[optind];
	if (strcmp(cmd, CTL_STATUS) && strcmp(cmd, CTL_HOLD) && strcmp(cmd, CTL_RELEASE) &&
	    strcmp(cmd, "probe"))
		return bad_usage("unknown command \"%s\"", cmd);
	argc -= optind;
	argv += optind;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:", sub, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(cmd, CTL_HOLD))
				return bad_usage("--for belongs to hold, not %s", cmd);
			if (idle_parse_duration(optarg, &hold) < 0 || hold <= 0)
				return bad_usage("bad duration \"%s\" (try 90m, 2h)", optarg);
			break;
		case 'o':
			if (strcmp(cmd, "probe"))
				return bad_usage("--once belongs to probe, not %s", cmd);
			once = true;
			break;
		case 'n':
			if (strcmp(cmd, "hold") && strcmp(cmd, "release"))
				return bad_usage("--notify belongs to hold and release, not %s",
						 cmd);
			notify_too = true;
			break;
		case 'c':
			if (strcmp(cmd, "probe"))
				return bad_usage("-c belongs to probe, not %s", cmd);
			conf = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument \"%s\"", argv[optind]);

	if (!strcmp(cmd, "probe"))
		return probe(conf, node, once);
	if (sock)
		snprintf(path, sizeof(path), "%s", sock);
	else
		socket_path(node, path, sizeof(path));
	if (!strcmp(cmd, CTL_HOLD))
		snprintf(req, sizeof(req), CTL_HOLD " %lld", (long long)hold);
	else
		snprintf(req, sizeof(req), "%s", cmd);
	rc = call(path, req, msg, sizeof(msg));
	if (notify_too)
		notify(cmd, rc, msg);
	return rc;
}
