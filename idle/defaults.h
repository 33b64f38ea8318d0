/* SPDX-License-Identifier: MIT */
/*
 * defaults.h - every default of idle-accelerator, each with the reason for its value.
 * conf/idleacc.yaml documents the same values for admins; keep the two in step.
 */
#ifndef IDLE_DEFAULTS_H
#define IDLE_DEFAULTS_H

#include <signal.h>

#include "ctl.h"

/* HTCondor's desktop policy starts jobs after 15 min of keyboard idle (StartIdleTime). */
#define DEF_IDLE_AFTER (15 * 60)

/* A locked screen says the owner stepped away on purpose; 5 min still covers a short break. */
#define DEF_LOCKED_IDLE_AFTER (5 * 60)

/* HTCondor continues suspended jobs after 5 min of idle (ContinueIdleTime). */
#define DEF_RESUME_AFTER (5 * 60)

/* Suspension keeps the job's work and costs the owner nothing but memory. */
#define DEF_ON_OWNER_RETURN IDLE_RETURN_SUSPEND

/* HTCondor vacates after 10 min suspended (MaxSuspendTime). */
#define DEF_MAX_SUSPEND (10 * 60)

/* Campus scavenger partitions warn with SIGTERM 120 s before preemption. */
#define DEF_WARN_SIGNAL SIGTERM
#define DEF_WARN_GRACE 120

/* HTCondor counts ssh ptys as keyboard activity: a person at work remotely is still at work. */
#define DEF_REMOTE_SESSIONS true

/* HTCondor's BackgroundLoad (0.3) and HighLoad (0.5), and its 2 min of high load. */
#define DEF_BACKGROUND_LOAD 0.3
#define DEF_HIGH_LOAD 0.5
#define DEF_HIGH_LOAD_FOR (2 * 60)

/* Jobs should not push the owner's open programs into swap; 90 % leaves room for a
 * sleeping browser and office suite. */
#define DEF_MAX_MEMORY_USED 90.0

/* BOINC's run_on_batteries is false: a laptop on battery belongs to its owner. */
#define DEF_RUN_ON_BATTERY false

/* Above 20 % a GPU is rendering or playing something the owner started. */
#define DEF_MAX_GPU_UTIL 20

/* Paths of the sources on a standard Linux desktop. */
#define DEF_EVDEV_DIR "/dev/input"
#define DEF_TTY_DIR "/dev/pts"
#define DEF_UTMP_FILE "/run/utmp"
#define DEF_X11_DISPLAY ":0"
#define DEF_GPU_LIBRARY "libnvidia-ml.so.1"

/* HTCondor polls every 5 s; input devices wake the agent at once, so this only bounds how
 * stale the polled sources (ttys, load, logind) can be. */
#define DEF_AGENT_INTERVAL 5

/* A reconcile is one node read and one job list: 6 an hour per desktop keeps 10,000 desktops
 * under 20 RPC/s on the controller, and notices an admin's resume within 10 min. */
#define DEF_AGENT_RECONCILE (10 * 60)

/* A console user may keep the PC out for a working day at a time. */
#define DEF_AGENT_MAX_HOLD (12 * 3600)

/* Where the plugin finds the socket too: the control socket's contract (common/ctl.h). */
#define DEF_AGENT_RUN_DIR CTL_RUN_DIR
#define DEF_AGENT_STATE_DIR "/var/lib/idleaccd"

/* Where idleacc.yaml lives when neither -c nor $SLURM_CONF says: beside slurm.conf. */
#define DEF_CONF_DIR "/etc/slurm"
#define DEF_CONF_NAME "idleacc.yaml"

#endif /* IDLE_DEFAULTS_H */
