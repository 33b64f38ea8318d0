/* SPDX-License-Identifier: MIT */
/*
 * emergency.h - emergency mode: the fleet-wide switch, which is the State of the emergency
 * partition in slurmctld (UP: on); how each agent reads it at its reconcile and reports the
 * mode it applies in its node's Extra field; the record of who switched, when and why, kept
 * in the Comment of the partition's nodes; and the CPU cap on the jobs of a requisitioned
 * desktop while its owner is present.
 *
 * Why these Slurm fields: only an admin (root, SlurmUser, AdminLevel Operator or Admin) may
 * change a partition's State or a node's Comment, so Slurm's own authorisation decides who
 * may switch; slurmctld is where every agent looks anyway (its reconcile), so no new channel
 * or faster polling is needed; and Extra is a free-form string of 22.05 that nothing else
 * in Slurm reads, so an agent's report disturbs no scheduling. emergency.c holds the pure
 * parts and the cap (libagent), emergency_slurm.c the libslurm calls (libagentslurm).
 */
#ifndef AGENT_EMERGENCY_H
#define AGENT_EMERGENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "idle.h"

/* What an agent writes into its node's Extra field: the mode it runs with. */
#define AGENT_EMERG_EXTRA_ON  "idleacc:emergency"
#define AGENT_EMERG_EXTRA_OFF "idleacc:normal"
/* The record's prefix in the Comment of the partition's nodes; a Comment that is neither
 * empty nor ours (an admin's note) is never overwritten. */
#define AGENT_EMERG_RECORD "IDLEACC: emergency"
/* The longest reason an admin may give (it goes into a node's Comment). */
#define AGENT_EMERG_REASON_MAX 200

/* The Extra an agent in mode [on] writes. */
const char *agent_emergency_extra(bool on);

/*
 * The verdict during an emergency with [requisition] (emergency.requisition: true): a
 * desktop whose owner is present (or unknown) is offered and its jobs run, capped; returns
 * true when the cap must be on (the owner is not absent). Without requisition [v] is left
 * alone and false returned: the emergency policy's own keys (a short idle_after) decide.
 * Pure.
 */
bool agent_emergency_verdict(bool requisition, int cpu_share, struct idle_verdict *v);

/* The CPU cap's cgroup state, owned by the main thread. */
struct agent_cap {
	char node[64];	 /* our node, in our own cgroup's name */
	int share;	 /* the cap in force, percent of the desktop's CPUs; 0: off */
	bool failing;	 /* the last pass failed (logged once per failure run) */
	char own[256];	 /* our own cgroup's directory, "" until made */
	int version;	 /* 1 or 2: the cgroup hierarchy of [own]; 0 unknown */
	int64_t last_ms; /* the last pass (monotonic), 0 never */
};

struct agent_state;
struct agent_localstop;

/* Every pass of the cap repeats this often while it is on: a job's new processes join. */
#define AGENT_CAP_PERIOD_MS 1000

/*
 * Puts the processes of every job tracked on the node ([st]; found through [ls]'s process
 * table, so another cluster's jobs are never touched) under a CPU cap of [share] percent of
 * the desktop's CPUs (cgroup v2 cpu.max, v1 cpu.cfs_quota_us): a job in a cgroup of its own
 * (Slurm's task/cgroup, ".../job_ID") is capped there, in place; a job in none (proctrack/
 * linuxproc) is moved into idleaccd's own cgroup, "idleacc-NODE", which is capped. [share] 0
 * lifts the cap (the processes stay where they are, uncapped). Returns the processes
 * placed, or -1 with [err] filled (no cgroup cpu controller, a write refused).
 */
int agent_cap_apply(struct agent_cap *c, struct agent_localstop *ls, const struct agent_state *st,
		    int share, int64_t now_ms, char *err, size_t errlen);

/*
 * Makes idleaccd's own cgroup, "idleacc-[node]", in the hierarchy that holds this process's
 * cpu controller: at start-up, while the capabilities are whole, for a root of that hierarchy
 * that even root may write only with CAP_DAC_OVERRIDE (mode 0555, as some containers mount
 * it). Returns 0, or -1 with [err] filled; agent_cap_apply() tries again when it needs it.
 */
int agent_cap_prepare(struct agent_cap *c, const char *node, char *err, size_t errlen);

/* Removes idleaccd's own cgroup if it is empty (at exit; a job still in it keeps it). */
void agent_cap_close(struct agent_cap *c);

/* The cgroup directory of [pid]'s cpu controller and its version (1, 2), or -1. */
int agent_cap_cgroup_of(int pid, char *dir, size_t len, int *version);

/* ---------------------------------------------------------------- libslurm (emergency_slurm.c) */

/*
 * Reads the switch: whether partition [partition] is UP (*[on]) and whether it holds [node]
 * (*[member]; NULL [node]: not asked). Cheap to call at every reconcile: the partition table
 * is kept between calls and slurmctld answers "no change" when nothing changed. Returns 0,
 * or -1 with [err] filled; a missing partition is not an error (*[on] false, *[member]
 * false).
 */
int agent_emergency_read(const char *partition, const char *node, bool *on, bool *member, char *err,
			 size_t errlen);

/* Writes [extra] into [node]'s Extra field (the agent's report). */
int agent_emergency_report(const char *node, const char *extra, char *err, size_t errlen);

/*
 * The CLI's switch: sets [partition] UP ([on]) or DOWN, writes the record ("IDLEACC:
 * emergency on since 2026-12-01T22:50:03Z by root: REASON") into the Comment of its nodes
 * whose Comment is empty or a record, then asks slurmctld to push fresh configuration to
 * every slurmd (slurm_reconfigure), which wakes the agents at once where the configless
 * channel is hooked. Only an admin may do the first two: anyone else gets Slurm's own
 * refusal in [err] ("Invalid user id"). [info] gets what was done (one line). Returns 0, or
 * -1 with [err] filled.
 */
int agent_emergency_switch(const char *partition, bool on, const char *reason, const char *who,
			   char *info, size_t infolen, char *err, size_t errlen);

/*
 * The status for people: the switch, its record, how many of the partition's desktops
 * report the mode and which lag (each with what its Extra says). Written into [out] (at most
 * [len] bytes, NUL included). Returns 0 if every desktop is in the switch's mode, 1 if some
 * lag, -1 with [err] filled.
 */
int agent_emergency_status(const char *partition, char *out, size_t len, char *err, size_t errlen);

#endif /* AGENT_EMERGENCY_H */
