/* SPDX-License-Identifier: MIT */
/*
 * healthcheck.c - idleacc-healthcheck, slurmd's HealthCheckProgram on a desktop: takes the node
 * out of Slurm when its idleaccd does not answer, so that a desktop whose agent died stops
 * attracting jobs (the SPANK plugin would refuse each of them, and each refusal costs the job a
 * requeue).
 *
 * slurmd runs it as root every HealthCheckInterval (and once when slurmd starts), with no
 * arguments and an environment of SLURMD_NODENAME alone (seen on 22.05: not even PATH or
 * SLURM_CONF). It pings the node's idleaccd over the control socket; any answer means the agent
 * is alive and nothing is done (the agent owns the node's state). No answer drains the node with
 * a reason that says so; as NHC does, it never touches a node drained or down for a reason that
 * is not ours ("IDLEACC:"), and it never resumes: the agent lifts the reason when it is back and
 * its verdict allows.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "confsrc.h"
#include "ctl.h"
#include "plan.h"
#include "slurm.h"

/* How long the agent may take to answer: as long as idleacc waits. A live agent answers in
 * microseconds; this covers a sample in progress on a loaded desktop, so only a dead or stuck
 * agent drains its node. slurmd kills the program after 60 s. */
#define HC_TIMEOUT_MS CTL_CLI_TIMEOUT_MS

static void usage(FILE *f)
{
	fprintf(f, "usage: idleacc-healthcheck [-c FILE] [-N NODE] [-s SOCKET]\n"
		   "       idleacc-healthcheck --help | --version\n"
		   "  -c FILE    idleaccd's configuration, for its run_dir (default beside"
		   " slurm.conf)\n"
		   "  -N NODE    the node (default $SLURMD_NODENAME, as slurmd sets it)\n"
		   "  -s SOCKET  idleaccd's control socket (default RUN_DIR/NODE.sock)\n");
}

/* Prints [msg] and logs it to syslog: slurmd keeps no output of a health check that ran. */
static void say(int prio, const char *msg)
{
	fprintf(prio <= LOG_ERR ? stderr : stdout, "idleacc-healthcheck: %s\n", msg);
	syslog(prio, "%s", msg);
}

/* Fills [sock] with RUN_DIR/NODE.sock from the configuration. Returns 0, or -1 after saying why. */
static int find_socket(const char *conf, const char *node, char *sock, size_t len)
{
	static struct agent_conf_found f; /* large: off the stack */
	char err[4096];
	struct idle_config *c;

	/* Where idleaccd looks (confsrc.c): beside SLURM_CONF, which slurmd sets for us. */
	c = agent_conf_load(conf, &f, err, sizeof(err));
	if (!c) {
		err[strcspn(err, "\n")] = '\0';
		say(LOG_ERR, err);
		return -1;
	}
	if (ctl_socket_path(agent_conf(c)->run_dir, node, sock, len) < 0) {
		say(LOG_ERR, "the control socket's path is too long");
		idle_config_free(c);
		return -1;
	}
	idle_config_free(c);
	return 0;
}

/*
 * Asks the agent. Returns 1 when it answered (whatever the answer: an agent too old to know
 * "ping" is alive too), or 0 with [reason] filled with the drain reason.
 */
static int agent_alive(const char *sock, char *reason, size_t len)
{
	char err[PATH_MAX + 128], *resp = NULL;
	int n;

	if (ctl_call(sock, CTL_PING, HC_TIMEOUT_MS, &resp, err, sizeof(err)) == 0) {
		free(resp);
		return 1;
	}
	if (errno == ETIMEDOUT)
		n = snprintf(reason, len,
			     AGENT_TAG " idleaccd not answering (no answer on %s in %d s)", sock,
			     HC_TIMEOUT_MS / 1000);
	else
		n = snprintf(reason, len, AGENT_TAG " idleaccd not running (no answer on %s: %s)",
			     sock, strerror(errno));
	if (n >= (int)len) /* a socket path that long: cut, the start still says what */
		reason[len - 2] = ')';
	return 0;
}

/* Drains [node] with [reason] unless it is someone else's. Returns the exit status. */
static int take_out(const char *node, const char *reason)
{
	char err[AGENT_ERR_LEN], msg[AGENT_REASON_LEN + 256];
	struct agent_node n;

	if (agent_slurm_init(NULL, err, sizeof(err)) < 0 ||
	    agent_slurm_node(node, &n, err, sizeof(err)) < 0) {
		say(LOG_ERR, err);
		return 1;
	}
	if (agent_node_foreign(&n)) {
		snprintf(msg, sizeof(msg),
			 "%s: idleaccd not answering; node %s by someone else"
			 " (\"%s\"): left alone",
			 node, n.down ? "down" : "drained", n.reason);
		say(LOG_NOTICE, msg);
		return 0;
	}
	if (n.drain && !strcmp(n.reason, reason))
		return 0; /* said already */
	if (agent_slurm_drain(node, reason, err, sizeof(err)) < 0) {
		say(LOG_ERR, err);
		return 1;
	}
	snprintf(msg, sizeof(msg), "drained %s: %s", node, reason);
	say(LOG_WARNING, msg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *node = getenv("SLURMD_NODENAME"), *sock_arg = NULL;
	char sock[PATH_MAX], reason[AGENT_REASON_LEN];
	int c, rc;

	agent_slurm_conf_take(); /* before libslurm may change it */

	while ((c = getopt_long(argc, argv, "c:N:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'N':
			node = optarg;
			break;
		case 's':
			sock_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("idleacc-healthcheck %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "idleacc-healthcheck: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!node || !node[0] || strlen(node) >= AGENT_NODE_LEN) {
		fprintf(stderr,
			"idleacc-healthcheck: %s (slurmd sets SLURMD_NODENAME; else use"
			" -N NODE)\n",
			node && node[0] ? "node name too long" : "no node name");
		return 2;
	}
	openlog("idleacc-healthcheck", LOG_PID, LOG_DAEMON);
	if (sock_arg)
		snprintf(sock, sizeof(sock), "%s", sock_arg);
	else if (find_socket(conf, node, sock, sizeof(sock)) < 0)
		return 1;
	if (agent_alive(sock, reason, sizeof(reason)))
		return 0;
	rc = take_out(node, reason);
	agent_slurm_fini();
	closelog();
	return rc;
}
