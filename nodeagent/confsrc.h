/* SPDX-License-Identifier: MIT */
/* confsrc.h - where idleaccd's configuration comes from, and the notice that it changed. */
#ifndef AGENT_CONFSRC_H
#define AGENT_CONFSRC_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentconf.h"
#include "idle.h"

/* Where slurmd links its conf-cache in configless mode (Slurm 22.05, slurmd.c). */
#define AGENT_CONF_RUN_CACHE "/run/slurm/conf"
/* Files looked at, at most: idleacc.yaml, then plugstack.conf in two directories. */
#define AGENT_CONF_CANDIDATES 3
/* Files whose change counts as fresh configuration: the candidates and each slurm.conf. */
#define AGENT_CONF_WATCHED 5
/* slurmd renames its files into the cache one after the other (about 20 ms apart): a change
 * is acted on once nothing more changed for this long, so one reconfigure is one reload. */
#define AGENT_CONF_SETTLE_MS 300

/* One file's identity, to see a change that inotify did not report (NFS). */
struct agent_conf_sig {
	bool exists; /* stat() found it */
	dev_t dev;   /* its device and inode: a rename into place changes them */
	ino_t ino;
	off_t size;	  /* bytes */
	int64_t mtime_ns; /* last change of the content, ns since the epoch */
	int64_t ctime_ns; /* last change of the inode (chmod, chown, rename) */
};

/* What agent_conf_load() found; filled by it alone, so a reload thread may fill its own. */
struct agent_conf_found {
	char path[PATH_MAX];	   /* the file loaded; "" for the built-in defaults */
	bool plugstack;		   /* [path] is a plugstack.conf: its idleacc block was loaded */
	char looked[4 * PATH_MAX]; /* every file looked at, in order, ", " between: for people */
	size_t nwatch;		   /* files in [watch] */
	char watch[AGENT_CONF_WATCHED][PATH_MAX];      /* their paths */
	struct agent_conf_sig sig[AGENT_CONF_WATCHED]; /* each as it was before the load read */
};

/* Copies [src] into [dst], writing only the parts in use (a plain assignment would touch all
 * 41 KiB of both). */
void agent_conf_found_copy(struct agent_conf_found *dst, const struct agent_conf_found *src);

/*
 * Finds and loads idleaccd's configuration. With [given] (-c FILE) that file alone: a file
 * named plugstack.conf is read for its idleacc block (an error if it has none), any other as
 * idleacc.yaml. Without it, the first of:
 *   1. idleacc.yaml beside slurm.conf (the directory of $SLURM_CONF, else /etc/slurm);
 *   2. the idleacc block of plugstack.conf in that directory (a shared /etc/slurm);
 *   3. without $SLURM_CONF, the idleacc block of AGENT_CONF_RUN_CACHE/plugstack.conf
 *      (configless: what slurmctld sent this desktop's slurmd);
 * and else the built-in defaults ([f]->path ""). Returns the configuration, or NULL with
 * every error in [err]. Touches nothing but its arguments: safe on a thread of its own.
 */
struct idle_config *agent_conf_load(const char *given, struct agent_conf_found *f, char *err,
				    size_t errlen);

/*
 * The change notice. It watches the directories of every file agent_conf_load() looked at
 * (inotify: slurmd writes NAME.new and renames it into its conf-cache; an editor writes or
 * renames), and compares those files' identities at every agent_confwatch_tick(), which also
 * sees what inotify cannot (a change on another NFS client) and watches a directory that
 * appeared late (slurmd started after the agent). It never asks slurmctld.
 */
struct agent_confwatch {
	int fd;					/* inotify, -1 if it could not be had */
	int wd[AGENT_CONF_WATCHED];		/* the watch of each directory, -1 if none yet */
	size_t ndirs;				/* directories in [dir] */
	char dir[AGENT_CONF_WATCHED][PATH_MAX]; /* the directories of the watched files */
	struct agent_conf_found cur;		/* the files as of the last load */
	struct agent_conf_sig seen[AGENT_CONF_WATCHED]; /* each of cur's files at the last tick */
	int64_t due_ms;		 /* a change was seen: due then (monotonic); 0 */
	char why[PATH_MAX + 64]; /* what changed first, for the log */
};

/* Starts watching what [f] names. Returns 0, or -1 with [err] (then only ticks notice). */
int agent_confwatch_open(struct agent_confwatch *w, const struct agent_conf_found *f, char *err,
			 size_t errlen);
void agent_confwatch_close(struct agent_confwatch *w);
/* After every load (or rejected reload): the files as they were read now. */
void agent_confwatch_loaded(struct agent_confwatch *w, const struct agent_conf_found *f);
/* The descriptor to poll for input, or -1. */
int agent_confwatch_fd(const struct agent_confwatch *w);
/* Reads what inotify reported; a change to a watched file makes the notice due soon. */
void agent_confwatch_read(struct agent_confwatch *w, int64_t now_ms);
/* Compares the files' identities now and adds watches missing; call at every sample. */
void agent_confwatch_tick(struct agent_confwatch *w, int64_t now_ms);
/* When the notice is due (monotonic ms), 0 if not. */
int64_t agent_confwatch_deadline(const struct agent_confwatch *w);
/* True once a due change's time came: then [why] says what changed, and it is cleared. */
bool agent_confwatch_due(struct agent_confwatch *w, int64_t now_ms, char *why, size_t len);

#endif /* AGENT_CONFSRC_H */
