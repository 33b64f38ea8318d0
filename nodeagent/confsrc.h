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

/* Bytes of a found record's names: every watched path, and the list of those looked at. */
#define AGENT_CONF_NAMES ((AGENT_CONF_WATCHED + AGENT_CONF_CANDIDATES) * (PATH_MAX + 2))

/*
 * What agent_conf_load() found; filled by it alone, so a reload thread may fill its own. The
 * paths are packed one after the other in [names] (read them with the functions below): a few
 * hundred bytes, one page, where a buffer per path would make a page of each resident in
 * idleaccd, which keeps three records for the weeks it runs.
 */
struct agent_conf_found {
	bool plugstack;		       /* the file loaded is a plugstack.conf: its idleacc block */
	size_t path_at;		       /* [names] offset of the file loaded; 0 ("") for defaults */
	size_t looked_at;	       /* [names] offset of the files looked at, ", " between */
	unsigned looked;	       /* bit i: watched file i was looked at (while loading) */
	size_t nwatch;		       /* files watched */
	size_t at[AGENT_CONF_WATCHED]; /* [names] offset of each watched file's path */
	struct agent_conf_sig sig[AGENT_CONF_WATCHED]; /* each as it was before the load read */
	size_t used;		      /* bytes of [names] written; names[0] is always "" */
	char names[AGENT_CONF_NAMES]; /* the paths, each NUL-terminated */
};

/* The file loaded; "" for the built-in defaults. */
const char *agent_conf_found_path(const struct agent_conf_found *f);
/* Every file looked at, in order, ", " between: for people. */
const char *agent_conf_found_looked(const struct agent_conf_found *f);
/* Watched file [i] (below f->nwatch). */
const char *agent_conf_found_watched(const struct agent_conf_found *f, size_t i);
/* Copies [src] into [dst], writing only the parts in use. */
void agent_conf_found_copy(struct agent_conf_found *dst, const struct agent_conf_found *src);

/*
 * Finds and loads idleaccd's configuration. With [given] (-c FILE) that file alone: a file
 * named plugstack.conf is read for its idleacc block (an error if it has none), any other as
 * idleacc.yaml. Without it, the first of:
 *   1. idleacc.yaml beside slurm.conf (the directory of $SLURM_CONF, else /etc/slurm);
 *   2. the idleacc block of plugstack.conf in that directory (a shared /etc/slurm);
 *   3. without $SLURM_CONF, the idleacc block of AGENT_CONF_RUN_CACHE/plugstack.conf
 *      (configless: what slurmctld sent this desktop's slurmd);
 * and else the built-in defaults (agent_conf_found_path() ""). Returns the configuration,
 * or NULL with every error in [err]. Touches nothing but its arguments: safe on a thread of its
 * own.
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
/* The small fields first, then the packed names, [why] last (written at a change only): two
 * pages of its 58 KiB are touched. */
struct agent_confwatch {
	int fd;				   /* inotify, -1 if it could not be had */
	int wd[AGENT_CONF_WATCHED];	   /* the watch of each directory, -1 if none yet */
	size_t ndirs;			   /* directories watched */
	size_t dir_at[AGENT_CONF_WATCHED]; /* [dirnames] offset of each directory */
	struct agent_conf_sig seen[AGENT_CONF_WATCHED]; /* each of cur's files at the last tick */
	int64_t due_ms;		     /* a change was seen: due then (monotonic); 0 */
	struct agent_conf_found cur; /* the files as of the last load */
	char dirnames[AGENT_CONF_WATCHED * PATH_MAX]; /* the watched files' directories, packed */
	char why[PATH_MAX + 64];		      /* what changed first, for the log */
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
