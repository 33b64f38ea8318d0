/* SPDX-License-Identifier: MIT */
/*
 * idleacc.c - the command line tool: asks idleaccd over its control socket (status, hold,
 * release), or runs libidle locally without the daemon (probe) to show why a desktop is
 * judged in use, or shows every desktop of the cluster from slurmctld (fleet). With
 * --notify, the answer to hold or release also comes as a desktop notification (the desktop
 * entry "Keep this PC for me" has no terminal).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confsrc.h"
#include "ctl.h"
#include "localstop.h"
#include "fleet.h"
#include "emergency.h"
#include "notify.h"
#include "report.h"
#include "slurm.h"

#define DEFAULT_HOLD (60 * 60) /* "idleacc hold" without --for: an hour */

static void usage(FILE *f)
{
	fprintf(f, "usage: idleacc [-N NODE] [-s SOCKET] status\n"
		   "       idleacc [-N NODE] [-s SOCKET] hold [--for DURATION] [--notify]\n"
		   "       idleacc [-N NODE] [-s SOCKET] release [--notify]\n"
		   "       idleacc [-N NODE] [-s SOCKET] reconcile\n"
		   "       idleacc [-N NODE] probe [-c FILE] [--once]\n"
		   "       idleacc fleet [--json] [--feature NAME | --all]\n"
		   "       idleacc emergency on [--reason TEXT] [-c FILE] | off [-c FILE] |"
		   " status [-c FILE]\n"
		   "       idleacc --help | --version\n"
		   "  -N NODE      the node whose idleaccd to ask (default: the only one running,"
		   " else this host)\n"
		   "  -s SOCKET    idleaccd's control socket (default RUN_DIR/NODE.sock)\n"
		   "  --for DURATION  how long to hold this desktop: 90m, 2h (default 1h)\n"
		   "  --notify     hold, release: also show the answer as a desktop notification\n"
		   "  -c FILE      probe: the configuration (default beside slurm.conf)\n"
		   "  --once       probe: one reading instead of one a second\n"
		   "  --json       fleet: JSON for scripts instead of the table\n"
		   "  --feature NAME  fleet: the feature of desktop nodes (default desktop)\n"
		   "  --all        fleet: every node of the cluster\n"

		   "  --reason TEXT  emergency on: why, recorded for emergency status\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "idleacc: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

/* Loads [path] or, when none is given, what idleaccd would (confsrc.c), else the defaults. */
static struct idle_config *load_config(const char *path, bool quiet_missing)
{
	static struct agent_conf_found f; /* large: off the stack */
	char err[4096];
	struct idle_config *c;

	c = agent_conf_load(path, &f, err, sizeof(err));
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

	/* a broken file: the defaults' run_dir, where a default idleaccd listens */
	snprintf(run_dir, sizeof(run_dir), "%s", agent_conf(c)->run_dir);
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
	ctx = idle_open(idle_config_sources(c), NULL, AGENT_JOB_COMM, err, sizeof(err));
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

/*
 * fleet: every desktop of the cluster in one table, from slurmctld alone (two RPCs whatever
 * the fleet's size: agent_slurm_fleet()); runs on any host with Slurm's client configuration.
 */
static int fleet(bool json, const char *feature, bool all)
{
	struct agent_fleet_node *nodes;
	char err[AGENT_ERR_LEN];
	struct agent_buf b;
	size_t n, cap;
	char *out;

	if (agent_slurm_init(NULL, err, sizeof(err)) < 0 ||
	    agent_slurm_fleet(&nodes, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "idleacc: %s\n", err);
		agent_slurm_fini();
		return 1;
	}
	/* A line is at most the reason, the other cells and JSON's escapes of them. */
	cap = 1024 + n * (8 * AGENT_REASON_LEN);
	out = malloc(cap);
	if (!out) {
		fprintf(stderr, "idleacc: out of memory for %zu nodes\n", n);
		free(nodes);
		agent_slurm_fini();
		return 1;
	}
	agent_buf_init(&b, out, cap);
	if (json)
		agent_fleet_json(&b, nodes, n, feature, all);
	else
		agent_fleet_table(&b, nodes, n, feature, all, time(NULL));
	fputs(out, stdout);
	free(out);
	free(nodes);
	agent_slurm_fini();
	return 0;
}

/*
 * idleacc emergency on|off|status: the fleet-wide switch, run by a Slurm admin on any host
 * with Slurm client access (emergency_slurm.c). Slurm itself refuses anyone else. The
 * partition is emergency.partition of idleacc.yaml (-c, else beside slurm.conf).
 */
static int emergency(const char *verb, const char *reason, const char *conf)
{
	char out[8192], info[256], err[AGENT_ERR_LEN + 64], who[64], pwbuf[1024];
	struct passwd pw, *pwr = NULL;
	struct idle_config *c = load_config(conf, false);
	char part[IDLE_NAME_LEN];
	int rc;

	if (!c)
		return 1;
	snprintf(part, sizeof(part), "%s", idle_config_emergency(c)->partition);
	idle_config_free(c);
	if (reason && strlen(reason) > AGENT_EMERG_REASON_MAX) {
		fprintf(stderr, "idleacc: --reason: longer than %d characters\n",
			AGENT_EMERG_REASON_MAX);
		return 2;
	}
	if (agent_slurm_init(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "idleacc: %s\n", err);
		return 1;
	}
	if (!strcmp(verb, "status")) {
		rc = agent_emergency_status(part, out, sizeof(out), err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "idleacc: emergency status: %s\n", err);
		else
			fputs(out, stdout);
		agent_slurm_fini();
		return rc < 0 ? 1 : 0;
	}
	if (!getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &pwr) && pwr)
		snprintf(who, sizeof(who), "%s", pw.pw_name);
	else
		snprintf(who, sizeof(who), "uid %u", (unsigned)getuid());
	rc = agent_emergency_switch(part, !strcmp(verb, "on"), reason, who, info, sizeof(info), err,
				    sizeof(err));
	agent_slurm_fini();
	if (rc < 0) {
		fprintf(stderr, "idleacc: emergency %s: %s\n", verb, err);
		return 1;
	}
	printf("emergency %s: %s\n", verb, info);
	return 0;
}

/* What the command line asks for. */
struct cli {
	const char *node;    /* -N: the node whose agent is asked, NULL for this host */
	const char *sock;    /* -s: the agent's socket, NULL for the node's default */
	const char *conf;    /* -c of probe and emergency: the configuration, NULL to search */
	const char *cmd;     /* the command: status, hold, release, probe, fleet, ... */
	const char *verb;    /* emergency's on, off or status; NULL for other commands */
	const char *feature; /* fleet --feature, NULL for the default */
	const char *reason;  /* emergency on --reason, NULL for none */
	int64_t hold;	     /* hold --for, seconds */
	bool once;	     /* probe --once */
	bool notify_too;     /* hold/release --notify */
	bool json;	     /* fleet --json */
	bool all;	     /* fleet --all */
};

/* read_*() return this to go on; any other value is the exit status. */
#define CLI_GO_ON (-1)

/* The options before the command, and the command itself (with emergency's verb). */
static int read_command(struct cli *o, int *argcp, char ***argvp)
{
	static const struct option top[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int argc = *argcp, c;
	char **argv = *argvp;

	while ((c = getopt_long(argc, argv, "+N:s:", top, NULL)) != -1) {
		switch (c) {
		case 'N':
			o->node = optarg;
			break;
		case 's':
			o->sock = optarg;
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
	o->cmd = argv[optind];
	if (strcmp(o->cmd, CTL_STATUS) && strcmp(o->cmd, CTL_HOLD) && strcmp(o->cmd, CTL_RELEASE) &&
	    strcmp(o->cmd, "probe") && strcmp(o->cmd, "fleet") && strcmp(o->cmd, "emergency") &&
	    strcmp(o->cmd, CTL_RECONCILE))
		return bad_usage("unknown command \"%s\"", o->cmd);
	if (!strcmp(o->cmd, "fleet") && (o->node || o->sock))
		return bad_usage("%s",
				 "fleet asks slurmctld about every node: -N and -s do not apply");
	argc -= optind;
	argv += optind;
	optind = 1;
	if (!strcmp(o->cmd, "emergency")) {
		if (argc < 2)
			return bad_usage("%s", "emergency: on, off or status is missing");
		o->verb = argv[1];
		if (strcmp(o->verb, "on") && strcmp(o->verb, "off") && strcmp(o->verb, "status"))
			return bad_usage("emergency: unknown \"%s\" (on, off or status)", o->verb);
		argc--;
		argv++;
	}
	*argcp = argc;
	*argvp = argv;
	return CLI_GO_ON;
}

/* The options after the command: each belongs to some commands only. */
static int read_command_options(struct cli *o, int argc, char **argv)
{
	static const struct option sub[] = {
	    {"for", required_argument, NULL, 'f'},     {"once", no_argument, NULL, 'o'},
	    {"notify", no_argument, NULL, 'n'},	       {"json", no_argument, NULL, 'j'},
	    {"feature", required_argument, NULL, 'F'}, {"all", no_argument, NULL, 'a'},
	    {"reason", required_argument, NULL, 'r'},  {NULL, 0, NULL, 0},
	};
	const char *cmd = o->cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+c:", sub, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(cmd, CTL_HOLD))
				return bad_usage("--for belongs to hold, not %s", cmd);
			if (idle_parse_duration(optarg, &o->hold) < 0 || o->hold <= 0)
				return bad_usage("bad duration \"%s\" (try 90m, 2h)", optarg);
			break;
		case 'o':
			if (strcmp(cmd, "probe"))
				return bad_usage("--once belongs to probe, not %s", cmd);
			o->once = true;
			break;
		case 'n':
			if (strcmp(cmd, "hold") && strcmp(cmd, "release"))
				return bad_usage("--notify belongs to hold and release, not %s",
						 cmd);
			o->notify_too = true;
			break;
		case 'j':
			if (strcmp(cmd, "fleet"))
				return bad_usage("--json belongs to fleet, not %s", cmd);
			o->json = true;
			break;
		case 'F':
			if (strcmp(cmd, "fleet"))
				return bad_usage("--feature belongs to fleet, not %s", cmd);
			if (!optarg[0] || strchr(optarg, ','))
				return bad_usage("bad feature \"%s\" (one name)", optarg);
			o->feature = optarg;
			break;
		case 'a':
			if (strcmp(cmd, "fleet"))
				return bad_usage("--all belongs to fleet, not %s", cmd);
			o->all = true;
			break;
		case 'r':
			if (!o->verb || strcmp(o->verb, "on"))
				return bad_usage("--reason belongs to emergency on, not %s",
						 o->verb ? o->verb : cmd);
			o->reason = optarg;
			break;
		case 'c':
			if (strcmp(cmd, "probe") && strcmp(cmd, "emergency"))
				return bad_usage("-c belongs to probe and emergency, not %s", cmd);
			o->conf = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument \"%s\"", argv[optind]);
	return CLI_GO_ON;
}

/* A request to the agent's control socket: status, hold, release or reconcile. */
static int ask_agent(const struct cli *o)
{
	char path[PATH_MAX], req[64], msg[CTL_RESP_MAX + 1];
	int rc;

	if (o->sock)
		snprintf(path, sizeof(path), "%s", o->sock);
	else
		socket_path(o->node, path, sizeof(path));
	if (!strcmp(o->cmd, CTL_HOLD))
		snprintf(req, sizeof(req), CTL_HOLD " %lld", (long long)o->hold);
	else
		snprintf(req, sizeof(req), "%s", o->cmd);
	rc = call(path, req, msg, sizeof(msg));
	if (o->notify_too)
		notify(o->cmd, rc, msg);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli o = {.hold = DEFAULT_HOLD};
	int rc;

	agent_slurm_conf_take(); /* before libslurm may change it */

	if ((rc = read_command(&o, &argc, &argv)) != CLI_GO_ON ||
	    (rc = read_command_options(&o, argc, argv)) != CLI_GO_ON)
		return rc;
	if (!strcmp(o.cmd, "probe"))
		return probe(o.conf, o.node, o.once);
	if (!strcmp(o.cmd, "fleet")) {
		if (o.feature && o.all)
			return bad_usage("%s", "--feature and --all exclude each other");
		return fleet(o.json, o.feature ? o.feature : AGENT_FLEET_FEATURE, o.all);
	}
	if (o.verb)
		return emergency(o.verb, o.reason, o.conf);
	return ask_agent(&o);
}
