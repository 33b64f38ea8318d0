/* SPDX-License-Identifier: MIT */
/*
 * defaults.h - every default of libidle (policy and sources), each with the reason for its
 * value; idleaccd's own are in nodeagent/agentconf.h. conf/idleacc.yaml documents the same
 * values for admins; keep them in step.
 */
#ifndef IDLE_DEFAULTS_H
#define IDLE_DEFAULTS_H

#include <signal.h>

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
#define DEF_WARN_GRACE	120

/* HTCondor counts ssh ptys as keyboard activity: a person at work remotely is still at work. */
#define DEF_REMOTE_SESSIONS true

/* HTCondor's BackgroundLoad (0.3) and HighLoad (0.5), and its 2 min of high load. */
#define DEF_BACKGROUND_LOAD 0.3
#define DEF_HIGH_LOAD	    0.5
#define DEF_HIGH_LOAD_FOR   (2 * 60)

/* Jobs should not push the owner's open programs into swap; 90 % leaves room for a
 * sleeping browser and office suite. */
#define DEF_MAX_MEMORY_USED 90.0

/* BOINC's run_on_batteries is false: a laptop on battery belongs to its owner. */
#define DEF_RUN_ON_BATTERY false

/* Above 20 % a GPU is rendering or playing something the owner started. */
#define DEF_MAX_GPU_UTIL 20

/* Paths of the sources on a standard Linux desktop. */
#define DEF_EVDEV_DIR	"/dev/input"
#define DEF_TTY_DIR	"/dev/pts"
#define DEF_UTMP_FILE	"/run/utmp"
#define DEF_X11_DISPLAY ":0"
#define DEF_GPU_LIBRARY "libnvidia-ml.so.1"

/* The windows source. WSL2's mirrored networking (and its localhost forwarding) carries the
 * Windows side's connection to a listener on the guest's loopback, where nothing from the
 * network reaches; a Hyper-V VM uses "vsock:9339". The secret stays out of /etc/slurm,
 * which sites often share between machines. */
#define DEF_WINDOWS_LISTEN "127.0.0.1:9339"
#define DEF_WINDOWS_SECRET "/etc/idleacc/windows.secret"
/* Both kinds count: remote_sessions decides for RDP as it does for ssh. */
#define DEF_WINDOWS_SESSIONS (IDLE_WIN_CONSOLE | IDLE_WIN_REMOTE)
/* The service's heartbeat is 5 s and the source trusts three of them; whatever a heartbeat
 * claims, a minute of silence means the Windows side is gone. */
#define DEF_WINDOWS_MAX_SILENCE 60

/* The emergency partition of conf/slurm.conf.desktop: its State is the emergency switch. */
#define DEF_EMERGENCY_PARTITION "emergency"
/* With requisition: the jobs get half the desktop's CPUs while its owner is there, so the
 * owner's own work still runs at least at half speed however busy the jobs are. */
#define DEF_EMERGENCY_CPU_SHARE 50

#endif /* IDLE_DEFAULTS_H */
