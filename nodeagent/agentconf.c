/* SPDX-License-Identifier: MIT */
/* agentconf.c - the "agent:" section of idleacc.yaml and the rule for which file is read. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentconf.h"

/* The control socket is RUN_DIR/NODE.sock, and a socket path has at most 107 bytes
 * (sockaddr_un): run_dir must leave room for "/", a node name of RUN_NODE_MAX and ".sock". */
#define RUN_NODE_MAX 32
#define RUN_DIR_MAX  (107 - 1 - RUN_NODE_MAX - 5)

/* What idleaccd runs with when the "agent:" section leaves a key out. */
static const struct agent_conf agent_defaults = {
    DEF_AGENT_INTERVAL,	 DEF_AGENT_RECONCILE,	DEF_AGENT_MAX_HOLD, DEF_AGENT_RUN_DIR,
    DEF_AGENT_STATE_DIR, DEF_AGENT_METRICS_DIR, DEF_AGENT_PREDICT,  AGENT_PREDICT_DEF_BIN};

/* A run_dir too long for a socket path is refused at -n, not found in a restart loop. */
static int check_run_dir(const void *field, char *why, size_t whylen)
{
	size_t n = strlen(field);

	if (n <= RUN_DIR_MAX)
		return 0;
	snprintf(why, whylen,
		 "%zu characters leave no room for NODE.sock in a socket path (at most %d, for "
		 "node names of up to %d)",
		 n, RUN_DIR_MAX, RUN_NODE_MAX);
	return -1;
}

static int check_predict_bin(const void *field, char *why, size_t whylen)
{
	return agent_predict_check_bin(*(const int64_t *)field, why, whylen);
}

#define DURATION(key, min)                                                                         \
	{                                                                                          \
#key, IDLE_CONF_DURATION, offsetof(struct agent_conf, key), 0, min, NULL           \
	}
#define PATH(key, check)                                                                           \
	{                                                                                          \
#key, IDLE_CONF_PATH, offsetof(struct agent_conf, key),                            \
		    sizeof(((struct agent_conf *)0)->key), 0, check                                \
	}

static const struct idle_conf_key agent_keys[] = {
    DURATION(interval, 1),  /* a zero interval would spin */
    DURATION(reconcile, 1), /* a zero reconcile would hammer slurmctld */
    DURATION(max_hold, 0),  /* 0 turns holds off */
    PATH(run_dir, check_run_dir),
    PATH(state_dir, NULL),
    {"metrics_dir", IDLE_CONF_PATH_OR_EMPTY, offsetof(struct agent_conf, metrics_dir),
     sizeof(((struct agent_conf *)0)->metrics_dir), 0, NULL},
    {"predict", IDLE_CONF_BOOL, offsetof(struct agent_conf, predict), 0, 0, NULL},
    {"predict_bin", IDLE_CONF_DURATION, offsetof(struct agent_conf, predict_bin), 0, 0,
     check_predict_bin},
};

static const struct idle_conf_section agent_section = {"agent", agent_keys,
						       sizeof(agent_keys) / sizeof(agent_keys[0]),
						       &agent_defaults, sizeof(agent_defaults)};

const struct idle_conf_section *agent_conf_section(void)
{
	return &agent_section;
}

/*
 * $SLURM_CONF as the program was started with it (unset: NULL), taken by its main() before
 * anything else: the which-file rule must not move under a running agent. libslurm 22.05 sets
 * SLURM_CONF itself when it finds a configless client's /run/slurm/conf/slurm.conf, so a
 * getenv() after slurm_init() sent the first reload of a configless desktop to
 * /run/slurm/conf/idleacc.yaml instead of /etc/slurm/idleacc.yaml, found nothing there, and
 * took the built-in defaults.
 */
static char slurm_conf_env[PATH_MAX];
static bool slurm_conf_set;

void agent_slurm_conf_take(void)
{
	const char *sc = getenv("SLURM_CONF");

	slurm_conf_set = sc && strlen(sc) < sizeof(slurm_conf_env);
	if (slurm_conf_set)
		memcpy(slurm_conf_env, sc, strlen(sc) + 1);
}

const char *agent_slurm_conf(void)
{
	return slurm_conf_set ? slurm_conf_env : NULL;
}

void agent_conf_path(char *buf, size_t len)
{
	const char *sc = agent_slurm_conf();
	const char *slash = sc ? strrchr(sc, '/') : NULL;

	if (!sc || !*sc)
		snprintf(buf, len, "%s/%s", DEF_CONF_DIR, DEF_CONF_NAME);
	else if (!slash)
		snprintf(buf, len, "%s", DEF_CONF_NAME);
	else
		snprintf(buf, len, "%.*s/%s", (int)(slash - sc), sc, DEF_CONF_NAME);
}

const struct agent_conf *agent_conf(const struct idle_config *c)
{
	/* the agent may ask before any config exists: give it the defaults */
	return c ? idle_config_section(c, 0) : &agent_defaults;
}
