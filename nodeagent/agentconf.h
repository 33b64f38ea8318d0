/* SPDX-License-Identifier: MIT */
/*
 * agentconf.h - idleaccd's own settings (the "agent:" section of idleacc.yaml), their
 * defaults, and the default file beside slurm.conf (confsrc.c decides which file the agent's
 * programs read). libidle reads the rest of the file; it reads this section only as the table
 * here says.
 */
#ifndef AGENT_CONF_H
#define AGENT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "idle.h"
#include "predict.h"

/* HTCondor polls every 5 s; input devices wake the agent at once, so this only bounds how
 * stale the polled sources (ttys, load, logind) can be. */
#define DEF_AGENT_INTERVAL 5

/* A reconcile is one node read and one job list: 6 an hour per desktop keeps 10,000 desktops
 * under 20 RPC/s on the controller, and notices an admin's resume within 10 min. */
#define DEF_AGENT_RECONCILE (10 * 60)

/* A console user may keep the PC out for a working day at a time. */
#define DEF_AGENT_MAX_HOLD (12 * 3600)

/* Where the plugin finds the socket too: the control socket's contract (common/ctl.h). */
#define DEF_AGENT_RUN_DIR   CTL_RUN_DIR
#define DEF_AGENT_STATE_DIR "/var/lib/idleaccd"
/* No metrics unless asked for: node_exporter's textfile directory differs between
 * distributions (Debian: /var/lib/prometheus/node-exporter), and a guess would litter. */
#define DEF_AGENT_METRICS_DIR ""

/* Predicted idle windows (predict.h) are asked for: the agent then owns its node's Weight
 * and idle_Nh Features, which an admin may have set otherwise. */
#define DEF_AGENT_PREDICT false

/* Where idleacc.yaml lives when neither -c nor $SLURM_CONF says: beside slurm.conf. */
#define DEF_CONF_DIR  "/etc/slurm"
#define DEF_CONF_NAME "idleacc.yaml"

/* The "agent:" section. Durations are seconds. */
struct agent_conf {
	int64_t interval;	       /* seconds between samples of the polled sources */
	int64_t reconcile;	       /* seconds between reconciles with slurmctld when nothing
					* changes */
	int64_t max_hold;	       /* longest "idleacc hold --for" a console user may ask, s */
	char run_dir[IDLE_PATH_LEN];   /* control sockets and pid files: RUN_DIR/NODE.sock */
	char state_dir[IDLE_PATH_LEN]; /* what must survive a restart: STATE_DIR/NODE.state */
	char metrics_dir[IDLE_PATH_LEN]; /* node_exporter's textfile directory, where the agent
					  * writes idleaccd-NODE.prom; "" writes no metrics */
	bool predict;	     /* learn the weekly profile (STATE_DIR/NODE.profile) and publish
			      * the predicted idle window as the node's Weight and Features */
	int64_t predict_bin; /* seconds per bin of the weekly profile (predict.h) */
};

/* Takes $SLURM_CONF as the program was started with it: each program's main() calls it first,
 * before slurm_init() (libslurm may set SLURM_CONF later: see agentconf.c). */
void agent_slurm_conf_take(void);
/* What agent_slurm_conf_take() took, or NULL if SLURM_CONF was unset (or never taken). */
const char *agent_slurm_conf(void);

/* The default file: idleacc.yaml in the directory of agent_slurm_conf(), else in
 * DEF_CONF_DIR. */
void agent_conf_path(char *buf, size_t len);

/* The table libidle reads the "agent:" section by, for idle_config_load() (and the tests). */
const struct idle_conf_section *agent_conf_section(void);

/* The "agent:" section of [c] (loaded by agent_conf_load(), confsrc.h), or the defaults if [c]
 * is NULL. */
const struct agent_conf *agent_conf(const struct idle_config *c);

#endif /* AGENT_CONF_H */
