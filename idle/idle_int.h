/* SPDX-License-Identifier: MIT */
/*
 * idle_int.h - what libidle's modules share and the public header does not show: the source
 * interface every src_*.c implements, and the root-prefixed path helpers.
 */
#ifndef IDLE_INT_H
#define IDLE_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "idle.h"

/*
 * One idle source. The sampler (ctx.c) calls open() once, sample() on every idle_sample(),
 * fds()/input() for event-driven sources, close() at the end.
 *
 * An event-driven source's fds() lists the descriptors that become readable when the owner
 * may be back (input devices, inotify, the X connection); the set may change with every
 * sample or input(), so callers ask again before every poll. input() reads what they have
 * and returns 1 if it counts as the owner's input; when it returns 1, the next sample shows
 * it.
 *
 * open() returns 0 and sets *state, or -1 with [err] filled only when out of memory; a source
 * whose system interface is missing or broken still opens and reports NONE or UNKNOWN from
 * sample(). sample() sets snap->status[id], the source's fields, and snap->error[id] when
 * UNKNOWN. It may be called with state == NULL only if open() failed; it then reports
 * UNKNOWN.
 */
struct idle_source_ops {
	enum idle_source_id id;
	int (*open)(void **state, const struct idle_sources *conf, const char *root,
		    int64_t now_ms, char *err, size_t errlen);
	void (*sample)(void *state, int64_t now_ms, struct idle_snapshot *snap);
	int (*fds)(void *state, int *fds, int max); /* optional */
	int (*input)(void *state);                  /* optional: 1 if input was seen */
	void (*close)(void *state);
};

extern const struct idle_source_ops idle_src_evdev;
extern const struct idle_source_ops idle_src_tty;
extern const struct idle_source_ops idle_src_logind;
extern const struct idle_source_ops idle_src_x11;
extern const struct idle_source_ops idle_src_load;
extern const struct idle_source_ops idle_src_memory;
extern const struct idle_source_ops idle_src_power;
extern const struct idle_source_ops idle_src_processes;
extern const struct idle_source_ops idle_src_gpu;

/*
 * Test hook of the X11 source (src_x11.c): from its next connection on, the source [state]
 * (made by idle_src_x11.open) reads MIT-SCREEN-SAVER at every sample, as on a server without
 * the SYNC IDLETIME counter, and hands the caller no descriptor.
 */
void idle_x11_without_idletime(void *state);

/*
 * Joins [root] and the absolute system [path] into [buf]: ("/tmp/fx", "/proc/stat") ->
 * "/tmp/fx/proc/stat". A NULL or empty root gives [path]. Returns [buf], or NULL if it does
 * not fit.
 */
char *idle_path(char *buf, size_t len, const char *root, const char *path);

/*
 * Allocates a zeroed source state of [size] bytes and a copy of [root] (NULL for the real
 * system) into [*root_copy]. Returns the state, or NULL with "out of memory" in [err].
 */
void *idle_state_new(size_t size, const char *root, char **root_copy, char *err, size_t errlen);

/* snprintf that never overflows and always terminates; returns [buf]. */
char *idle_strlcpyf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Marks [id] UNKNOWN in [snap] with a printf-style message. */
void idle_unknown(struct idle_snapshot *snap, enum idle_source_id id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Reads a whole small file under [root] into [buf] (NUL-terminated, truncated to len-1).
 * Returns the bytes read, or -1 with errno set.
 */
ssize_t idle_read_file(const char *root, const char *path, char *buf, size_t len);

/*
 * The processes of the machine, read from /proc under a root, with the set that belongs to
 * Slurm jobs marked: a process is a job's when it is slurmstepd or descends from one. Shared
 * by the load, memory and processes sources (procscan.c).
 */
struct idle_proc {
	int pid;
	int ppid;
	char comm[IDLE_NAME_LEN];  /* from /proc/PID/stat, without the parentheses */
	uint64_t ticks;            /* utime + stime, clock ticks */
	uint64_t rss_kb;           /* resident set */
	char state;                /* the one-letter state of /proc/PID/stat ('R', 'S', 'T'...) */
	bool job;                  /* slurmstepd or one of its descendants */
	bool stepd;                /* slurmstepd itself (or a child of it not yet exec'd) */
	uint32_t jobid;            /* the Slurm job of the nearest slurmstepd (its title says
				    * "slurmstepd: [JOB.STEP]"), 0 if not a job's or unreadable */
	int stepd_pid;             /* the pid of that slurmstepd, 0 if not a job's */
};

struct idle_procs {
	struct idle_proc *v; /* the processes, sorted by pid */
	size_t n, cap;       /* entries used, entries allocated */
};

/* Reads /proc under [root]. Returns 0, or -1 with [err] filled. */
int idle_procs_scan(struct idle_procs *ps, const char *root, char *err, size_t errlen);
void idle_procs_free(struct idle_procs *ps);

#endif /* IDLE_INT_H */
