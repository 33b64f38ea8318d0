/* SPDX-License-Identifier: MIT */
/*
 * idleacc.h - the SPANK plugin's internal interface: its settings from plugstack.conf, the
 * --desktop-signal value, the idleaccd client, the task's priorities and the relaunch of a
 * refused job elsewhere. The protocol itself (framing, verbs, signal grammar, timeouts) is
 * common/'s, shared with idleaccd. Nothing here is public: only slurmd, slurmstepd, sbatch
 * and srun load the plugin.
 */
#ifndef IDLEACC_PLUGIN_H
#define IDLEACC_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDLEACC_TAG "idleacc: "

/* The name of the job control variable: Slurm prefixes it with SPANK_ in the prolog's env. */
#define IDLEACC_SIGNAL_VAR "IDLEACC_SIGNAL"
#define IDLEACC_SIGNAL_ENV "SPANK_" IDLEACC_SIGNAL_VAR

enum idleacc_sched {
	IDLEACC_SCHED_KEEP,  /* leave the policy slurmstepd gave the task */
	IDLEACC_SCHED_OTHER, /* SCHED_OTHER (only nice applies) */
	IDLEACC_SCHED_BATCH, /* SCHED_BATCH: no wake-up preemption of the owner's tasks */
	IDLEACC_SCHED_IDLE,  /* SCHED_IDLE: runs only on CPU time nobody else wants */
};

enum idleacc_ionice {
	IDLEACC_IONICE_NONE,	    /* leave the task's I/O class alone */
	IDLEACC_IONICE_IDLE,	    /* IOPRIO_CLASS_IDLE: disk time nobody else wants */
	IDLEACC_IONICE_BEST_EFFORT, /* IOPRIO_CLASS_BE with [ionice_level] */
};

/* The plugstack.conf arguments, each with its default (idleacc_conf_default). */
struct idleacc_conf {
	bool set_nice;		    /* false with nice=none */
	int nice;		    /* the tasks' nice value, -20..19 */
	enum idleacc_sched sched;   /* the tasks' scheduling policy */
	enum idleacc_ionice ionice; /* the tasks' I/O class */
	int ionice_level;	    /* 0..7, for IDLEACC_IONICE_BEST_EFFORT */
	bool set_autogroup;	    /* false with autogroup=none */
	int autogroup;	      /* nice of the job's autogroup (/proc/self/autogroup), -20..19 */
	bool set_oom;	      /* false with oom_score_adj=none */
	int oom_score_adj;    /* the tasks' /proc/PID/oom_score_adj, -1000..1000 */
	char socket_dir[256]; /* idleaccd's run_dir: the socket is SOCKET_DIR/NODE.sock */
	int agent_timeout_ms; /* a whole exchange with idleaccd, connect included, milliseconds */
	bool guard;	      /* ask idleaccd "admit" before a job starts here */
};

void idleacc_conf_default(struct idleacc_conf *c);

/* Appends one line (printf-style) to the newline-separated messages in [err] and counts it
 * in [*count]; a full [err] still counts. */
void idleacc_err_add(char *err, size_t errlen, int *count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Parses the plugstack.conf arguments [av] into [c] (defaults first). Every bad argument is
 * described in [err] (one "argument ...: why" per line, truncated to [errlen]) and left at
 * its default; the others still apply. Returns the number of bad arguments.
 */
int idleacc_conf_parse(struct idleacc_conf *c, int ac, char **av, char *err, size_t errlen);

/* The warning a job asks for before a requeue (--desktop-signal=SIG@SECONDS). */
struct idleacc_signal {
	int signo; /* the signal number */
	long secs; /* seconds of grace between the signal and the requeue */
};

/*
 * Parses "SIG@SECONDS" ("USR1@120", "SIGTERM@60", "10@5") in common/signame.h's grammar, the
 * one idleaccd reads job-start with. Returns 0, or -1 with [err] set to a message that names
 * the option and shows a good value.
 */
int idleacc_signal_parse(const char *s, struct idleacc_signal *out, char *err, size_t errlen);

/* Writes the canonical form ("USR1@120") of [sig] into [buf]. */
void idleacc_signal_format(const struct idleacc_signal *sig, char *buf, size_t len);

/*
 * One exchange with idleaccd at SOCKET_DIR/NODE.sock (ctl_call): sends [req], puts the malloc'd
 * answer into [*resp]. Bounded by [c]'s agent_timeout in all, connect included (a backlog that
 * stays full counts as no answer). Returns 0, or -1 with [err] saying why ("cannot connect to
 * PATH: ...").
 */
int idleacc_agent_call(const struct idleacc_conf *c, const char *node, const char *req, char **resp,
		       char *err, size_t errlen);

/*
 * The task's priorities: called in the task process (as root) before it becomes the user's
 * program. Every setting is tried; each failure is described in [err] (one per line).
 * Returns the number of settings that failed.
 */
int idleacc_gentle(const struct idleacc_conf *c, char *err, size_t errlen);

/* What idleacc_relaunch did: whether the job was requeued is never in doubt. */
enum idleacc_relaunch_rc {
	IDLEACC_RELAUNCH_FAILED = -1,	     /* not requeued: the job runs here */
	IDLEACC_RELAUNCHED = 0,		     /* requeued, not held, with the node excluded */
	IDLEACC_RELAUNCHED_NOT_EXCLUDED = 1, /* requeued, but it may come back to the node */
};

/*
 * Sends job [jobid], just launched on [node], back to the queue, not held, with [node] added
 * to its excluded nodes (however many it has), so that it runs elsewhere soon. [why] goes into
 * the job's AdminComment. A --no-requeue job is relaunched too (its script has not run: nothing
 * can be repeated), and its no-requeue flag is restored on every path. Returns
 * IDLEACC_RELAUNCHED, IDLEACC_RELAUNCHED_NOT_EXCLUDED as soon as slurm_requeue has succeeded
 * and anything after it failed, or IDLEACC_RELAUNCH_FAILED when the job was not requeued. [err]
 * says why unless IDLEACC_RELAUNCHED, and also when the no-requeue flag could not be restored.
 */
enum idleacc_relaunch_rc idleacc_relaunch(uint32_t jobid, const char *node, const char *why,
					  char *err, size_t errlen);

/*
 * The hostlist [exc] (a job's ExcNodeList, "" or NULL for none) with [node] added, as Slurm's
 * ranged string ("d[1-3],lab-a7"): malloc'd, no length limit. Returns NULL with [err] set when
 * [exc] is not a hostlist or memory ran out.
 */
char *idleacc_exclude_add(const char *exc, const char *node, char *err, size_t errlen);

#endif /* IDLEACC_PLUGIN_H */
