/* SPDX-License-Identifier: MIT */
/*
 * idle_int.h - what libidle's modules share and the public header does not show: the source
 * interface every src_*.c implements, the helpers for files under the root prefix
 * (rootpath.c), bounded text (text.c), the process table (procscan.c), and the loader's entry
 * for a configuration embedded in another file (conf.c, conf_plugstack.c).
 */
#ifndef IDLE_INT_H
#define IDLE_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "idle.h"

struct idle_procs;

/* What the sampler reads once per sample and hands to every source (idle_source_ops). */
struct idle_shared {
	const struct idle_procs *procs; /* the process table of this sample, NULL if no source
					 * uses it or it could not be read */
	const char *procs_err;		/* why procs is NULL when a source uses it */
};

/*
 * One idle source. The sampler (sampler.c) calls open() once, sample() on every
 * idle_sample(), fds()/input() for event-driven sources, close() at the end.
 *
 * An event-driven source's fds() lists the descriptors that become readable when the owner
 * may be back (input devices, inotify, the X connection); the set may change with every
 * sample or input(), so callers ask again before every poll. input() reads what they have
 * and returns 1 if it counts as the owner's input; when it returns 1, the next sample shows
 * it.
 *
 * open() returns 0 and sets *state, or -1 with [err] filled only when out of memory or when a
 * library the source loads at run time is missing (dl.h; the sampler then reports the source
 * UNKNOWN with [err] at every sample); a source whose system interface is missing or broken
 * still opens and reports NONE or UNKNOWN from sample(). sample() sets snap->status[id], the
 * source's fields, and snap->error[id] when UNKNOWN. It may be called with state == NULL only if
 * open() failed; it then reports UNKNOWN. What several sources read from the system (the process
 * table) the sampler reads once per sample, for the sources that say they use it, and hands to each
 * in [sh].
 */
struct idle_source_ops {
	enum idle_source_id id;
	bool uses_procs; /* sample() reads sh->procs: the sampler scans /proc for it */
	int (*open)(void **state, const struct idle_sources *conf, const char *root, int64_t now_ms,
		    char *err, size_t errlen);
	void (*sample)(void *state, int64_t now_ms, const struct idle_shared *sh,
		       struct idle_snapshot *snap);
	int (*fds)(void *state, int *fds, int max); /* optional */
	int (*input)(void *state);		    /* optional: 1 if input was seen */
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
extern const struct idle_source_ops idle_src_windows;

/*
 * Checks a sources.windows.listen setting ("127.0.0.1:9339", "[::1]:9339", "vsock:9339").
 * Returns 0, or -1 with [err] saying what is wrong (src_windows.c).
 */
int idle_windows_check_listen(const char *spec, char *err, size_t errlen);

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

/* The start of the state of a source that reads files under the root prefix and nothing
 * else needs opening or closing (load, memory, power, processes). */
struct idle_rooted {
	char *root; /* the root prefix, NULL for the real system */
};

/*
 * The open() of such a source: [*state] becomes a zeroed state of [size] bytes, which begins
 * with a struct idle_rooted holding a copy of [root]. Returns 0, or -1 with "out of memory"
 * in [err].
 */
int idle_rooted_open(void **state, size_t size, const char *root, char *err, size_t errlen);

/* Frees a state made by idle_rooted_open() (NULL is fine); what else it owns is the
 * caller's to free first. */
void idle_rooted_close(void *state);

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
 * jobs marked: a process is a job's when it is a job's root process (a process whose comm the
 * caller names: slurmstepd for idleaccd) or descends from one. The sampler reads it once per
 * sample for the load, memory and processes sources; idleaccd's local stop reads it too
 * (procscan.c).
 */
struct idle_proc {
	int pid;
	int ppid;
	char comm[IDLE_NAME_LEN]; /* from /proc/PID/stat, without the parentheses */
	uint64_t ticks;		  /* utime + stime, clock ticks */
	uint64_t rss_kb;	  /* resident set */
	char state;		  /* the one-letter state of /proc/PID/stat ('R', 'S', 'T'...) */
	bool job;		  /* a job's root process or one of its descendants */
	bool stepd;		  /* a job's root process itself (or a child of it not yet
				   * exec'd): its comm is the scan's job_comm */
	uint32_t jobid;		  /* the job of the nearest root process (its title says
				   * "NAME: [JOB.STEP]"), 0 if not a job's or unreadable */
	int stepd_pid;		  /* the pid of that root process, 0 if not a job's */
};

struct idle_procs {
	struct idle_proc *v; /* the processes, sorted by pid */
	size_t n, cap;	     /* entries used, entries allocated */
};

/*
 * Reads /proc under [root] into [ps], reusing its memory. A process whose comm is [job_comm]
 * is a job's root process (NULL: no process is a job's). Returns 0, or -1 with [err] filled
 * and [ps] empty.
 */
int idle_procs_scan(struct idle_procs *ps, const char *root, const char *job_comm, char *err,
		    size_t errlen);
/* Makes [dst] a copy of [src], reusing [dst]'s memory. Returns 0, or -1 (out of memory) with
 * [dst] empty. */
int idle_procs_copy(struct idle_procs *dst, const struct idle_procs *src);
void idle_procs_free(struct idle_procs *ps);

/*
 * The loader for a configuration embedded in another file (conf_plugstack.c). [cut] gets the
 * file read whole, with every check of idle_config_load done; it rewrites [buf] in place into
 * the YAML text, sets *[len] to its length and calls conf_embed_at() with where it starts,
 * so that errors point into the real file. It returns 1 to load the text, 0 if the file holds
 * none (conf_load_cut then returns NULL with [err] empty), -1 after reporting its own errors
 * through conf_error_line(). A NULL [cut] loads the file itself: idle_config_load.
 */
struct loader;
typedef int (*conf_cut_fn)(struct loader *L, unsigned char *buf, size_t *len);
struct idle_config *conf_load_cut(const char *path, const struct idle_conf_section *own,
				  size_t nown, conf_cut_fn cut, char *err, size_t errlen);
/* The text starts after [line0] lines of the file, [col0] columns into each of its lines. */
void conf_embed_at(struct loader *L, unsigned long line0, unsigned long col0);
/* Reports an error at column 1 of [line] (1-based) of the file. */
void conf_error_line(struct loader *L, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* IDLE_INT_H */
