/* SPDX-License-Identifier: MIT */
/*
 * idle.h - public interface of libidle: is the owner of this desktop using it?
 *
 * Three layers, each usable alone:
 *   1. the configuration (idle_config_load): policy thresholds and which sources to use,
 *      read from idleacc.yaml, with per-node overrides in Slurm hostlist syntax;
 *   2. the sampler (idle_open / idle_sample): reads every configured source into a
 *      plain snapshot; every reading may be "unknown";
 *   3. the decision (idle_decide): a pure function (snapshot, policy, now, memo) -> verdict
 *      with human-readable reasons. It does no I/O.
 *
 * The library never logs and never exits: functions return -1 and fill an error buffer.
 * Times are wall-clock milliseconds since the epoch (int64_t, "_ms"); durations in the
 * policy are seconds.
 */
#ifndef IDLE_H
#define IDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- sources */

/* Every signal libidle reads. The names are those used under "sources:" in idleacc.yaml. */
enum idle_source_id {
	IDLE_SRC_EVDEV = 0, /* /dev/input/event*: console keyboards, mice, touchpads */
	IDLE_SRC_TTY,	    /* tty/pty access times, classified local/remote through utmp */
	IDLE_SRC_LOGIND,    /* systemd-logind sessions: IdleHint, IdleSinceHint, LockedHint */
	IDLE_SRC_X11,	    /* X server idle time: SYNC IDLETIME alarms, or MIT-SCREEN-SAVER */
	IDLE_SRC_LOAD,	    /* CPU used by processes that are not Slurm jobs */
	IDLE_SRC_MEMORY,    /* memory used by processes that are not Slurm jobs */
	IDLE_SRC_POWER,	    /* AC power or battery */
	IDLE_SRC_PROCESSES, /* busy programs (games, editors, renderers) running */
	IDLE_SRC_GPU,	    /* GPU utilisation through NVML, loaded with dlopen */
	IDLE_SRC_WINDOWS,   /* readings from the Windows host or VM host (the idleacc service) */
	IDLE_SRC_COUNT
};

/* How one source fared in one sample. */
enum idle_status {
	IDLE_ST_OFF = 0, /* not configured: not used at all */
	IDLE_ST_NONE,	 /* configured, but nothing to watch here (no devices, no logind, no
			  * X server): contributes nothing, so a headless machine is still judged */
	IDLE_ST_OK,	 /* the reading below is valid */
	IDLE_ST_UNKNOWN, /* configured and failing: the owner counts as present */
};

#define IDLE_ERR_LEN	 160 /* one error or detail message, NUL included */
#define IDLE_NAME_LEN	 64  /* a program name */
#define IDLE_REASON_LEN	 128 /* one reason of a verdict */
#define IDLE_MAX_REASONS 8

/*
 * One sample of every source. Fields belonging to a source are valid only when
 * status[that source] == IDLE_ST_OK. "last input" times are never older than the moment the
 * source was opened: without history we count from start-up, never from the epoch.
 */
struct idle_snapshot {
	int64_t now_ms;				  /* when the sample was taken */
	enum idle_status status[IDLE_SRC_COUNT];  /* per source */
	char error[IDLE_SRC_COUNT][IDLE_ERR_LEN]; /* why a source is UNKNOWN, else "" */

	int64_t evdev_last_ms; /* newest console input event */
	int evdev_devices;     /* input devices open */

	int64_t tty_last_ms;	    /* newest access time of a local (or unclassified) tty */
	int64_t tty_remote_last_ms; /* newest access time of a tty of a remote session, 0 if none */
	int sessions_local;	    /* utmp USER_PROCESS entries without a remote host */
	int sessions_remote;	    /* utmp USER_PROCESS entries with a remote host (ssh) */

	int64_t logind_last_ms;	       /* newest activity of a local session: now if one is not
					* idle, else the newest IdleSinceHint */
	int64_t logind_remote_last_ms; /* the same over remote sessions, 0 if none */
	int logind_sessions;	       /* local sessions seen */
	int logind_locked;	       /* 1: every local graphical session is locked; 0 not;
					* -1: no local graphical session */

	int64_t x11_last_ms; /* now minus the X server's idle time */

	double load_nonjob; /* CPUs busy with non-job work, smoothed (1.0 = one core) */
	double load_job;    /* CPUs busy with Slurm jobs, smoothed; for display */
	int ncpus;	    /* online CPUs */

	double mem_used_pct;   /* memory used by non-job processes, % of MemTotal */
	uint64_t mem_total_kb; /* MemTotal */
	uint64_t mem_job_kb;   /* resident memory of job processes */

	bool on_ac;	 /* true on mains power (or no battery at all) */
	int battery_pct; /* charge of the batteries, -1 if none */

	char busy_program[IDLE_NAME_LEN]; /* a configured busy program that runs, "" if none */
	int busy_pid;			  /* its pid, 0 if none */

	int gpu_count;	  /* GPUs seen */
	int gpu_util_pct; /* highest utilisation over the GPUs, % */

	/* The windows source: what the idleacc service on the Windows side last reported. */
	int64_t windows_last_ms;	/* newest input of a Windows console session */
	int64_t windows_remote_last_ms; /* newest input of a remote (RDP) session, 0 if none */
	int windows_sessions;		/* sessions of the counted kinds in the last reading */
	int windows_locked;		/* 1: every counted console session is locked; 0 not (or
					 * unknown); -1: no console session */
	int windows_on_ac;		/* 1 on mains, 0 on battery, -1 unknown */
	int windows_battery_pct;	/* charge, -1 if no battery */
	char windows_busy_program[IDLE_NAME_LEN]; /* a busy program running on Windows, "" */
	int windows_gpu_count;			  /* GPUs Windows sees */
	int windows_gpu_util_pct; /* busiest GPU engine on Windows, %; -1 not measured */
	char windows_peer[64];	  /* the authenticated service's address, "" if none */
	char windows_listen[64];  /* the address listened on, "" while not listening */
	/* Set whatever the status, for the daemon to log and act on: */
	unsigned windows_refused;		/* peers refused since the source was opened */
	char windows_refused_why[IDLE_ERR_LEN]; /* the last refusal: peer and reason */
	unsigned windows_holds;	   /* hold requests received since the source was opened */
	int64_t windows_hold_secs; /* the last one: seconds asked; 0 gives the PC back */
	char windows_hold_user[IDLE_NAME_LEN]; /* the last one: the Windows user who asked */
};

/* Name of a source as written in idleacc.yaml ("evdev", "tty", ...). */
const char *idle_source_name(enum idle_source_id id);
/* Name of a status ("off", "none", "ok", "unknown"). */
const char *idle_status_name(enum idle_status st);

/* ---------------------------------------------------------------- policy */

/* What idleaccd does with running jobs when the owner comes back. */
enum idle_on_return {
	IDLE_RETURN_DRAIN = 0, /* jobs go on; no new ones start */
	IDLE_RETURN_SUSPEND, /* suspend; resume when the owner leaves; requeue after max_suspend */
	IDLE_RETURN_REQUEUE, /* warn (signal, grace), then requeue */
	IDLE_RETURN_CANCEL,  /* warn (signal, grace), then cancel */
};

#define IDLE_MAX_WINDOWS 16

/* A weekly window in which the desktop may be offered: days and [start, end) in minutes. */
struct idle_window {
	uint8_t days;  /* bit 0 = Monday ... bit 6 = Sunday */
	int start_min; /* minutes after midnight, 0..1439 */
	int end_min;   /* minutes after midnight, 1..1440; end < start wraps past midnight */
};

/* The thresholds for one node. Durations are seconds. */
struct idle_policy {
	int64_t idle_after;	   /* owner absent this long before the desktop is offered */
	int64_t locked_idle_after; /* the same while every local session is locked */
	int64_t resume_after;	   /* owner absent this long before suspended jobs resume */
	enum idle_on_return on_owner_return;
	int64_t max_suspend;	/* a job suspended longer than this is requeued */
	int warn_signal;	/* signal sent before a requeue or cancel (e.g. SIGTERM) */
	int64_t warn_grace;	/* seconds between the warning signal and the requeue */
	bool remote_sessions;	/* true: input in remote (ssh) sessions counts as the owner */
	double background_load; /* offer only while non-job load <= this (CPUs) */
	double high_load;	/* owner counts present when non-job load >= this ... */
	int64_t high_load_for;	/* ... for this long */
	double max_memory_used; /* offer only while non-job memory used <= this (%) */
	bool run_on_battery;	/* false: never offer, and stop jobs, on battery */
	int max_gpu_util;	/* owner counts present when a GPU is busier than this (%) */
	int nwindows;		/* 0: any time of the week */
	struct idle_window windows[IDLE_MAX_WINDOWS];
};

/* The defaults (HTCondor's desktop policy where it has one; see conf/idleacc.yaml). */
void idle_policy_default(struct idle_policy *p);

/*
 * Makes [p] mean what its keys say when some were left at their defaults: a locked screen
 * never keeps the desktop out longer than an unlocked one (locked_idle_after <= idle_after),
 * suspended jobs never wait longer than new ones (resume_after <= idle_after), no duration of
 * absence is below 1 s (at 0 the owner's input would stop nothing), and high_load is never
 * below background_load. Each repair keeps the owner at least as well protected. The config
 * loader refuses files that set such values explicitly; this settles the defaults and the
 * crossing of two node groups. idle_decide() applies it to its own copy.
 */
void idle_policy_settle(struct idle_policy *p);

const char *idle_on_return_name(enum idle_on_return r);

/* ---------------------------------------------------------------- configuration */

#define IDLE_MAX_DIRS	  8
#define IDLE_MAX_PROGRAMS 64
#define IDLE_PATH_LEN	  256

/* Settings of the sources. A source is used when enabled[] is set. */
struct idle_sources {
	bool enabled[IDLE_SRC_COUNT];
	char evdev_dir[IDLE_PATH_LEN]; /* "/dev/input" */
	int ntty_dirs;
	char tty_dirs[IDLE_MAX_DIRS][IDLE_PATH_LEN]; /* files whose atime counts as input */
	char utmp_file[IDLE_PATH_LEN];		     /* "/run/utmp" */
	char logind_bus[IDLE_PATH_LEN];		     /* D-Bus address, "" = the system bus */
	char x11_display[IDLE_PATH_LEN];	     /* ":0" */
	char x11_xauthority[IDLE_PATH_LEN];	     /* "" = $XAUTHORITY or none */
	int nprograms;
	char programs[IDLE_MAX_PROGRAMS][IDLE_NAME_LEN]; /* busy programs, matched on comm */
	char gpu_library[IDLE_PATH_LEN];		 /* "libnvidia-ml.so.1" */
	char windows_listen[IDLE_PATH_LEN]; /* "127.0.0.1:9339", "[::1]:9339" or "vsock:9339" */
	char windows_secret[IDLE_PATH_LEN]; /* the file holding the secret shared with Windows */
	unsigned windows_sessions;	    /* IDLE_WIN_* bits: kinds of Windows sessions read */
	int64_t windows_max_silence;	    /* seconds of silence trusted whatever the service's
					     * heartbeat says */
};

/* Kinds of Windows sessions (sources.windows.sessions). */
#define IDLE_WIN_CONSOLE 1u /* the session at the PC's own screen and keyboard */
#define IDLE_WIN_REMOTE	 2u /* remote desktop (RDP) sessions; also subject to remote_sessions */

/* The sources used when idleacc.yaml has no "sources:" section. */
void idle_sources_default(struct idle_sources *s);

/*
 * A section of idleacc.yaml that the caller owns and libidle only reads for it (idleaccd's
 * "agent:"): its keys are read into the caller's struct with the same checks, the same
 * "file:line:col: message" errors and the same limits as libidle's own sections.
 */
enum idle_conf_kind {
	IDLE_CONF_DURATION,	 /* int64_t seconds ("90s", "15m", "1h30m" or seconds), >= min */
	IDLE_CONF_PATH,		 /* char[size]: an absolute path, shorter than size */
	IDLE_CONF_PATH_OR_EMPTY, /* as IDLE_CONF_PATH, or "" (the caller's "none") */
	IDLE_CONF_BOOL,		 /* bool: true/false, yes/no, on/off */
};

struct idle_conf_key {
	const char *name;	  /* as written in idleacc.yaml */
	enum idle_conf_kind kind; /* how the value is read */
	size_t off;		  /* where it goes in the section's struct */
	size_t size;		  /* IDLE_CONF_PATH: the bytes of the field there */
	int64_t min;		  /* IDLE_CONF_DURATION: the least value, seconds */
	/* Optional: a further check of the value once read ([field] points to it). Returns 0,
	 * or -1 with [why] saying what is wrong; the error is then "SECTION.KEY: WHY". */
	int (*check)(const void *field, char *why, size_t whylen);
};

struct idle_conf_section {
	const char *name;		  /* the section's key at the top of the file */
	const struct idle_conf_key *keys; /* its keys; any other is refused */
	size_t nkeys;			  /* entries in keys */
	const void *defaults;		  /* the section's struct with every key's default */
	size_t size;			  /* the bytes of that struct */
};

/*
 * The "emergency:" section's own keys (its policy keys are applied by
 * idle_config_emergency_policy()). An emergency is on while the Slurm partition [partition]
 * is UP (idleacc emergency on); idleaccd then runs with the emergency policy.
 */
struct idle_emergency_conf {
	char partition[IDLE_NAME_LEN]; /* the emergency partition, whose State is the switch */
	bool requisition; /* true: desktops whose owner is present are offered too, their jobs
			   * capped to cpu_share while the owner is there */
	int cpu_share;	  /* with requisition: the jobs' CPU cap while the owner is present,
			   * percent of the desktop's CPUs (1-100) */
};

struct idle_config; /* opaque */

/*
 * Loads [path]. On success returns a config and leaves [err] empty. On failure returns NULL
 * and writes every error found, one per line, as "file:line:col: message", into [err]
 * (truncated to [errlen]); nothing is half-loaded. A NULL [path] loads the defaults.
 * [own] lists [nown] sections the caller owns (NULL and 0 for none); they must outlive the
 * config, and any other section is refused.
 */
struct idle_config *idle_config_load(const char *path, const struct idle_conf_section *own,
				     size_t nown, char *err, size_t errlen);
void idle_config_free(struct idle_config *c);

/*
 * Loads the configuration from the idleacc block of the plugstack.conf at [path]: the YAML
 * between the lines "# BEGIN idleacc.yaml" and "# END idleacc.yaml", each line commented out
 * with "# " (idleacc.yaml(5), "Configless"), with every check of idle_config_load (and the caller's
 * sections [own]); errors say "PATH:LINE:COL: message" of plugstack.conf itself. Returns NULL with
 * [err] empty if the file holds no such block, NULL with [err] filled on errors (a missing file is
 * one).
 */
struct idle_config *idle_config_load_plugstack(const char *path,
					       const struct idle_conf_section *own, size_t nown,
					       char *err, size_t errlen);

/* The policy for [node]: defaults, then policy:, then every matching nodes: group in order. */
void idle_config_policy(const struct idle_config *c, const char *node, struct idle_policy *out);
/* The policy for [node] during an emergency: idle_config_policy(), then the policy keys of
 * "emergency:"; idle_after, unless written there, is resume_after (no idle_after wait). */
void idle_config_emergency_policy(const struct idle_config *c, const char *node,
				  struct idle_policy *out);
/* The "emergency:" section's own keys (defaults with a NULL [c]). */
const struct idle_emergency_conf *idle_config_emergency(const struct idle_config *c);
const struct idle_sources *idle_config_sources(const struct idle_config *c);
/* The values of own[i] of idle_config_load(): its defaults, then what the file sets; a
 * struct of own[i].size bytes, owned by the config. */
const void *idle_config_section(const struct idle_config *c, size_t i);
const char *idle_config_path(const struct idle_config *c);
/* True if the file loaded sets nothing (empty, or only comments): the defaults apply, and a
 * caller should say so, as a truncated copy looks the same. */
bool idle_config_empty(const struct idle_config *c);

/*
 * Slurm hostlist matching ("lab-a[001-040],pc7"). Returns 1 if [name] is in [expr], 0 if
 * not, -1 if [expr] is malformed (then [err] says why).
 */
int idle_hostlist_match(const char *expr, const char *name, char *err, size_t errlen);

/* ---------------------------------------------------------------- sampler */

struct idle_ctx; /* opaque */

/*
 * Opens every enabled source of [src]. [root] prefixes every system path read
 * (/proc, /sys, /dev, /run): NULL or "" for the real system, a fixture tree in tests.
 * A process whose comm is [job_comm] runs a job, and so do its descendants: the load,
 * memory and busy-program sources leave them out (idleaccd names "slurmstepd"; NULL: no
 * process is a job's). A source that cannot be set up is not an error here: it reports
 * UNKNOWN in samples. Returns NULL only when out of memory (then [err] says so).
 */
struct idle_ctx *idle_open(const struct idle_sources *src, const char *root, const char *job_comm,
			   char *err, size_t errlen);

/* Reads every source into [snap] at [now_ms]. Never fails: failures are per-source UNKNOWN. */
void idle_sample(struct idle_ctx *ctx, int64_t now_ms, struct idle_snapshot *snap);

/*
 * Descriptors that become readable when input happens (evdev devices, the tty directories'
 * inotify, the X connection with its idle alarms), so the caller can poll and react at once. Fills
 * up to [max] and returns how many. After poll says one is readable, call idle_input(), which
 * drains them.
 */
int idle_fds(struct idle_ctx *ctx, int *fds, int max);

/*
 * Drains pending input events; returns 1 if any counted as owner input, or if a source's
 * connection broke (the next idle_sample() says what became of it), else 0.
 */
int idle_input(struct idle_ctx *ctx);

void idle_close(struct idle_ctx *ctx);

/* Wall-clock milliseconds since the epoch. */
int64_t idle_now_ms(void);

/* ---------------------------------------------------------------- decision */

enum idle_owner {
	IDLE_OWNER_UNKNOWN = 0, /* a source failed: treat as present */
	IDLE_OWNER_PRESENT,
	IDLE_OWNER_ABSENT,
};

const char *idle_owner_name(enum idle_owner o);

/* What the decision remembers between samples (hysteresis). Zero it before the first call. */
struct idle_memo {
	int64_t load_high_since_ms; /* when non-job load first reached high_load; 0 if below */
	bool load_busy;		    /* latched: load went high, not yet back to background_load */
	int64_t last_sign_ms;	    /* last non-input sign of the owner (busy program, load, GPU) */
	bool decided;		    /* a decision was made with this memo */
	int64_t input_seen_ms;	    /* the newest counted input of the previous decisions; 0 if
				     * none */
	int64_t late_input_ms;	    /* when an input was first seen already older than
				     * resume_after (a polled source, between two samples): it
				     * counts from then; 0 if none */
};

/*
 * What one reason of a verdict says, without its numbers: the agent rewrites a reason in
 * Slurm when the codes change (a comparison turned round, the limit changed with the screen
 * lock, a reason came or went), not when only a quoted age grew. The age codes add the kind
 * of input (0 console, 1 tty, 2 remote session) and 3 while the screen is locked.
 */
enum idle_reason_code {
	IDLE_RC_NONE = 0,
	IDLE_RC_UNKNOWN, /* + the source id: a source is UNKNOWN */
	IDLE_RC_INPUT_LT = IDLE_RC_UNKNOWN + IDLE_SRC_COUNT, /* + kind + lock: age < limit */
	IDLE_RC_INPUT_GE = IDLE_RC_INPUT_LT + 6,	     /* + kind + lock: age >= limit */
	IDLE_RC_SIGN_LT = IDLE_RC_INPUT_GE + 6,		     /* + lock: other sign's age < limit */
	IDLE_RC_SIGN_GE = IDLE_RC_SIGN_LT + 2,		     /* + lock: other sign's age >= limit */
	IDLE_RC_NO_INPUT = IDLE_RC_SIGN_GE + 2,		     /* no owner input ever seen */
	IDLE_RC_BUSY_PROGRAM,				     /* a busy program runs */
	IDLE_RC_GPU,					     /* GPU busier than max_gpu_util */
	IDLE_RC_LOAD_HIGH,				     /* non-job load latched high */
	IDLE_RC_LOAD,	 /* non-job load above background_load */
	IDLE_RC_MEMORY,	 /* non-job memory above max_memory_used */
	IDLE_RC_BATTERY, /* on battery */
	IDLE_RC_HOURS,	 /* outside offer hours */
};

/*
 * The wall clock was stepped (NTP at boot, date -s): the ages of the stamps taken before are
 * off by the step, and a step ahead would make a present owner look long gone. Counts the
 * owner's last input and signs as seen at [now_ms], so the owner stays present for
 * resume_after and the desktop is offered only idle_after later: doubt counts as presence.
 */
void idle_memo_clock_stepped(struct idle_memo *memo, int64_t now_ms);

struct idle_verdict {
	enum idle_owner owner;
	int64_t absent_since_ms; /* with ABSENT: the last sign of the owner */
	bool offer;		 /* new jobs may start: absent >= idle_after (locked_idle_after
				  * while locked) and all conditions met; implies run */
	bool run;		 /* running jobs may run: absent >= resume_after, and nothing
				  * forbids running (battery) */
	int64_t next_change_ms;	 /* when the passing of time alone changes this verdict (the
				  * owner turns absent, the absence becomes long enough); 0 if
				  * only new readings can change it */
	int nreasons;
	char reasons[IDLE_MAX_REASONS][IDLE_REASON_LEN]; /* measured value against limit, most
							  * important first */
	unsigned char codes[IDLE_MAX_REASONS];		 /* enum idle_reason_code of each */
};

/*
 * The decision. Pure: reads [snap], [pol] and [memo], updates [memo], fills [out].
 * [now_ms] is the wall clock (it drives time windows and ages).
 */
void idle_decide(const struct idle_snapshot *snap, const struct idle_policy *pol, int64_t now_ms,
		 struct idle_memo *memo, struct idle_verdict *out);

/* Joins the reasons with "; " into [buf]; returns [buf]. */
char *idle_verdict_reasons(const struct idle_verdict *v, char *buf, size_t len);

/* ---------------------------------------------------------------- helpers */

/*
 * Parses a duration: "90s", "15m", "2h", "1d", "1h30m", or integer seconds. Returns 0 and
 * sets [*secs], or -1 if malformed or negative.
 */
int idle_parse_duration(const char *s, int64_t *secs);

/* Formats [secs] the way the config writes it ("15m", "1h30m", "45s"); returns [buf]. */
char *idle_format_duration(int64_t secs, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* IDLE_H */
