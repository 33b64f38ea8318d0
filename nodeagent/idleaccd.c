/* SPDX-License-Identifier: MIT */
/*
 * idleaccd.c - the agent's main program: options, start-up, signals and the main loop that
 * samples libidle, decides (plan.c), hands Slurm calls to the worker thread (worker.c) and
 * serves the control socket (control.c), where the SPANK plugin asks before each job starts
 * and says when jobs start and end (plugreq.c).
 *
 * One thread watches input and time; it never waits on Slurm. Every event (owner input, a
 * sample tick, a worker result, a deadline, a request) runs the same cycle: decide, issue
 * the planned calls, log what happened, persist the state file if it changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "console.h"
#include "control.h"
#include "ctl.h"
#include "cycle.h"
#include "localstop.h"
#include "escape.h"
#include "log.h"
#include "plan.h"
#include "plugreq.h"
#include "report.h"
#include "shutdown.h"
#include "slurm.h"
#include "state.h"
#include "worker.h"
#ifdef HAVE_SYSTEMD
#include "logind.h"
#endif

#define MAX_IDLE_FDS 64	  /* input descriptors watched (evdev devices, inotify) */
#define STOP_WAIT_MS 3000 /* at exit, how long a Slurm call in progress may delay us */

struct daemon {
	bool foreground;	   /* -D */
	int verbose;		   /* -v count */
	char conf_path[PATH_MAX];  /* -c, else the default path */
	bool conf_given;	   /* -c was given: a missing file is an error */
	char node[AGENT_NODE_LEN]; /* -N, else found from the host name */
	char sock_path[PATH_MAX];  /* -s, else RUN_DIR/NODE.sock */
	char pid_path[PATH_MAX];   /* RUN_DIR/NODE.pid */
	char state_path[PATH_MAX]; /* STATE_DIR/NODE.state */

	struct idle_config *cfg;      /* the configuration in force */
	struct idle_agent_conf aconf; /* its agent: section */
	struct agent_params params;   /* the node's policy and the reconcile period */
	struct idle_ctx *ctx;	      /* the sampler */
	struct idle_memo memo;	      /* the decision's memory between samples */
	unsigned clock_steps;	      /* st.clock_steps when the memo last heard of them */
	struct idle_snapshot snap;    /* the last sample */
	bool have_snap;
	int64_t next_sample_ms; /* when the next sample is due (monotonic) */

	struct agent_state st;
	unsigned logged;	/* events of [st] already logged */
	int64_t cycle_retry_ms; /* a cycle could not issue everything: run one then (monotonic);
				 * 0 if not */
	int64_t save_retry_ms; /* a failed save is tried again then (monotonic); 0 if none failed */
	int64_t save_backoff_ms; /* the pause before that retry, doubled per failure; 0 if none */
	unsigned save_failures;	 /* saves failed in a row */
	struct agent_worker *w;
	struct agent_localstop ls; /* the jobs' processes stopped on the desktop itself */
	struct agent_ctl ctl;
	int sfd;     /* signalfd: SIGHUP, SIGTERM, SIGINT */
	int pidfd;   /* the pid file */
	bool locked; /* we hold its lock: it is ours to remove */

	/* The owner switching the desktop off (shutdown.c). */
	struct agent_shutdown *sd; /* logind's inhibitor and signal; NULL without logind */
	bool shutting_down;	   /* the desktop goes down: the planner no longer runs */

	/* A SIGHUP's reload, parsed on a thread of its own so that the owner's protection runs
	 * on meanwhile (the parse is bounded, but a 1 MiB file still takes a while). */
	struct {
		pthread_t thread;	 /* the loader, while [busy] */
		int pipe[2];		 /* it writes a byte to [1] when done; [0] is polled */
		bool busy;		 /* a reload is being parsed */
		bool again;		 /* another SIGHUP came meanwhile: reload once more */
		struct idle_config *cfg; /* its result, or NULL (then [err] says why) */
		bool defaults;		 /* no file: the built-in defaults */
		char err[4096];		 /* every error of the file, one per line */
	} rl;
};

static void usage(FILE *f)
{
	char def[PATH_MAX];

	idle_config_default_path(def, sizeof(def));
	fprintf(f,
		"usage: idleaccd [-D] [-n] [-v...] [-c FILE] [-N NODE] [-s SOCKET]\n"
		"       idleaccd --help | --version\n"
		"  -c FILE    configuration (default %s)\n"
		"  -D         stay in the foreground and log to stderr\n"
		"  -n         check the configuration, print \"configuration OK\" and exit\n"
		"  -N NODE    this desktop's Slurm node (default: the node of this host)\n"
		"  -s SOCKET  control socket (default RUN_DIR/NODE.sock)\n"
		"  -v         log more (repeat for more)\n",
		def);
}

/* Loads the configuration; the default path may be missing (built-in defaults apply). */
static struct idle_config *load_config(const struct daemon *d, bool *defaults, char *err,
				       size_t errlen)
{
	*defaults = false;
	if (!d->conf_given && access(d->conf_path, F_OK) < 0 && errno == ENOENT) {
		*defaults = true;
		return idle_config_load(NULL, err, errlen);
	}
	return idle_config_load(d->conf_path, err, errlen);
}

static void log_lines(int prio, const char *prefix, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		agent_log(prio, "%s%.*s", prefix, (int)n, p);
		p += n;
		if (*p)
			p++;
	}
}

static void log_events(struct daemon *d)
{
	unsigned i = d->logged;

	if (d->st.nevents - i > AGENT_MAX_EVENTS) {
		/* Logged after every action and result, so this takes a burst of notes in one. */
		agent_log(LOG_WARNING,
			  "%u events noted at once were not logged (only the last %d"
			  " are kept)",
			  d->st.nevents - i - AGENT_MAX_EVENTS, AGENT_MAX_EVENTS);
		i = d->st.nevents - AGENT_MAX_EVENTS;
	}
	for (; i < d->st.nevents; i++) {
		const struct agent_event *e = &d->st.events[i % AGENT_MAX_EVENTS];

		agent_log(e->prio, "%s", e->text);
	}
	d->logged = d->st.nevents;
}

/* The agent's time now (monotonic); the wall clock's reading goes with it into the state. */
static int64_t now_ms(struct daemon *d)
{
	return agent_clock(&d->st, clock_mono_ms(), clock_wall_ms());
}

static void sample(struct daemon *d)
{
	int64_t wall = idle_now_ms(), now = agent_clock(&d->st, clock_mono_ms(), wall);
	int64_t every = d->aconf.interval * 1000;
	struct idle_verdict v;

	/* libidle runs on the wall clock, the stamps of its sources' own (input event times). */
	if (d->st.clock_steps != d->clock_steps) {
		d->clock_steps = d->st.clock_steps;
		idle_memo_clock_stepped(&d->memo, wall);
		agent_log(LOG_WARNING,
			  "the wall clock was stepped by %+" PRId64 " s: the owner counts as seen "
			  "just now",
			  d->st.clock_step_ms / 1000);
	}
	idle_sample(d->ctx, wall, &d->snap);
	d->have_snap = true;
	idle_decide(&d->snap, &d->params.pol, wall, &d->memo, &v);
	agent_observe(&d->st, &v, now);
	d->next_sample_ms = now + every;
	/* Sample again the moment time alone changes the verdict (owner turns absent, the
	 * absence reaches idle_after): offers and resumes are on time whatever the interval. */
	if (v.next_change_ms > wall && v.next_change_ms - wall < every)
		d->next_sample_ms = now + (v.next_change_ms - wall);
}

static int push_action(void *arg, const struct agent_action *a)
{
	struct daemon *d = arg;

	if (agent_worker_push(d->w, a) < 0) {
		agent_log(LOG_ERR, "out of memory queueing %s: retrying in %ds",
			  agent_act_name(a->kind), AGENT_BACKOFF_MIN_MS / 1000);
		return -1;
	}
	return 0;
}

static void issued(void *arg, const struct agent_action *a)
{
	struct daemon *d = arg;

	log_events(d); /* a cycle may issue hundreds of actions: more notes than the ring keeps */
	if (a->kind == AGENT_ACT_STAND_ASIDE || a->kind == AGENT_ACT_KEEP)
		return;
	if (a->job)
		agent_log(LOG_DEBUG, "queued %s job %" PRIu32, agent_act_name(a->kind), a->job);
	else
		agent_log(LOG_DEBUG, "queued %s %s", agent_act_name(a->kind), d->node);
}

/*
 * Writes the state file if it changed. A failure (a full disk, a read-only file system) is
 * logged once, then the save is retried with a backoff from 1 s to 60 s, not at every cycle,
 * and logged again when it works: one line per outage, not one per event.
 */
static void persist(struct daemon *d, int64_t now)
{
	char err[AGENT_ERR_LEN];

	if (!d->st.dirty || (d->save_retry_ms && now < d->save_retry_ms))
		return;
	if (agent_state_save(&d->st, d->state_path, err, sizeof(err)) < 0) {
		if (!d->save_failures++)
			agent_log(LOG_ERR,
				  "cannot write the state file: %s; retrying, with a backoff up to"
				  " %ds",
				  err, AGENT_BACKOFF_MAX_MS / 1000);
		d->save_backoff_ms =
		    d->save_backoff_ms ? 2 * d->save_backoff_ms : AGENT_BACKOFF_MIN_MS;
		if (d->save_backoff_ms > AGENT_BACKOFF_MAX_MS)
			d->save_backoff_ms = AGENT_BACKOFF_MAX_MS;
		d->save_retry_ms = now + d->save_backoff_ms;
		return;
	}
	if (d->save_failures)
		agent_log(LOG_NOTICE, "state file written again, after %u failed attempts",
			  d->save_failures);
	d->st.dirty = false;
	d->save_failures = 0;
	d->save_retry_ms = d->save_backoff_ms = 0;
}

/* The save before a call is handed to the worker (struct agent_cycle_ops). */
static void save_state(void *arg)
{
	struct daemon *d = arg;

	persist(d, now_ms(d));
}

/*
 * The owner's protection on the desktop: the jobs' processes stopped (or continued) here and
 * now, before any Slurm call is queued and whatever slurmctld's state (localstop.c).
 */
static void local_protect(struct daemon *d, int64_t now)
{
	char err[AGENT_ERR_LEN];
	int rc = agent_localstop_cycle(&d->ls, &d->st, &d->params, now, err, sizeof(err));

	if (rc == -1)
		agent_log(LOG_ERR, "cannot stop the jobs on the desktop: %s", err);
}

/* Decide, hand the calls to the worker, log, persist. */
static void cycle(struct daemon *d)
{
	const struct agent_cycle_ops ops = {
	    .push = push_action, .issued = issued, .save = save_state, .arg = d};
	int64_t now = now_ms(d);

	local_protect(d, now);

	/* What a cycle could not issue is still due: retried soon, not at the next event. */
	d->cycle_retry_ms =
	    agent_cycle(&d->st, &d->params, now, &ops) < 0 ? now + AGENT_BACKOFF_MIN_MS : 0;
	log_events(d);
	persist(d, now);
}

static void apply_results(struct daemon *d)
{
	struct agent_result r;

	while (agent_worker_pop(d->w, &r)) {
		if (d->sd)
			agent_shutdown_result(d->sd, &r);
		agent_apply(&d->st, &d->params, &r, now_ms(d));
		free(r.jobs);
		log_events(d); /* hundreds of results may wait: more notes than the ring keeps */
	}
	/* libslurm's message buffers are freed by now: give their pages back (a few times an
	 * hour; the heap is small, so this costs microseconds). */
	malloc_trim(0);
}

static void set_params(struct daemon *d)
{
	d->aconf = *idle_config_agent(d->cfg);
	if (d->aconf.interval < 1)
		d->aconf.interval = 1;
	idle_config_policy(d->cfg, d->node, &d->params.pol);
	d->params.reconcile = d->aconf.reconcile > 0 ? d->aconf.reconcile : 1;
}

/* The reload thread: parses the file; touches nothing of [d] but d->rl and reads only what
 * never changes after start-up (the path). */
static void *reload_thread(void *arg)
{
	struct daemon *d = arg;
	char b = 1;

	d->rl.cfg = load_config(d, &d->rl.defaults, d->rl.err, sizeof(d->rl.err));
	while (write(d->rl.pipe[1], &b, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* SIGHUP: starts parsing the file on the reload thread (once more after it if one runs). */
static void reload_start(struct daemon *d)
{
	int r;

	if (d->rl.busy) {
		d->rl.again = true;
		return;
	}
	r = pthread_create(&d->rl.thread, NULL, reload_thread, d);
	if (r) {
		agent_log(LOG_ERR, "reload rejected: cannot start its thread: %s", strerror(r));
		return;
	}
	d->rl.busy = true;
}

/* The reload thread is done: the new configuration replaces the old one, or is rejected. */
static void reload_finish(struct daemon *d)
{
	char e2[IDLE_ERR_LEN], b;
	struct idle_config *c;
	struct idle_ctx *ctx;

	while (read(d->rl.pipe[0], &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(d->rl.thread, NULL);
	d->rl.busy = false;
	c = d->rl.cfg;
	d->rl.cfg = NULL;
	if (!c) {
		log_lines(LOG_ERR, "reload rejected: ", d->rl.err);
		agent_log(LOG_ERR, "reload rejected: keeping the configuration in force");
	} else if (!(ctx = idle_open(idle_config_sources(c), NULL, e2, sizeof(e2)))) {
		agent_log(LOG_ERR, "reload rejected: %s", e2);
		idle_config_free(c);
	} else {
		if (strcmp(idle_config_agent(c)->run_dir, d->aconf.run_dir) ||
		    strcmp(idle_config_agent(c)->state_dir, d->aconf.state_dir))
			agent_log(LOG_WARNING,
				  "run_dir and state_dir changes take effect at restart");
		idle_close(d->ctx);
		idle_config_free(d->cfg);
		d->ctx = ctx;
		d->cfg = c;
		set_params(d);
		agent_log(LOG_NOTICE, "configuration reloaded from %s",
			  d->rl.defaults ? "built-in defaults" : d->conf_path);
		sample(d);
	}
	if (d->rl.again) {
		d->rl.again = false;
		agent_log(LOG_NOTICE, "SIGHUP meanwhile: reloading %s again", d->conf_path);
		reload_start(d);
	}
}

/* ping: the health check (idleacc-healthcheck) asks whether this agent is alive; it drains the
 * node when nobody answers. Answered from memory, logged only at debug level: it comes every
 * HealthCheckInterval. */
static char *ping_answer(const struct daemon *d)
{
	char resp[AGENT_NODE_LEN + 64];

	snprintf(resp, sizeof(resp), CTL_OK ": node %s, pid %d", d->node, (int)getpid());
	agent_log(LOG_DEBUG, "request \"" CTL_PING "\": %s", resp);
	return strdup(resp);
}

/*
 * Logs one request and its answer. Everything in it but [user] (from the password database)
 * comes from the asker, or echoes it: each is escaped, so that a newline in an argument cannot
 * write a line of its own into the log. The request is cut at 80 characters, [why] (how the
 * console user was found) is left out when NULL.
 */
static void log_request(int prio, const char *verb, const char *arg1, const char *user,
			const char *resp, const char *why)
{
	char req[CTL_REQ_MAX + 1], e_req[81], e_resp[4 * 512 + 1], e_why[4 * 256 + 1];

	snprintf(req, sizeof(req), "%s%s%s", verb, arg1 ? " " : "", arg1 ? arg1 : "");
	escape_text(req, e_req, sizeof(e_req));
	escape_text(resp, e_resp, sizeof(e_resp));
	if (why)
		agent_log(prio, "request \"%s\" from %s: %s (console: %s)", e_req, user, e_resp,
			  escape_text(why, e_why, sizeof(e_why)));
	else
		agent_log(prio, "request \"%s\" from %s: %s", e_req, user, e_resp);
}

static char *handle_request(void *arg, const char *req, uid_t uid)
{
	struct daemon *d = arg;
	char line[CTL_REQ_MAX + 1], resp[512], user[AGENT_USER_LEN], pwbuf[1024];
	struct passwd pw, *pwr = NULL;
	int64_t now = now_ms(d);
	size_t n;
	char *arg1;
	int prio;

	snprintf(line, sizeof(line), "%s", req);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' ' || line[n - 1] == '\r'))
		line[--n] = '\0';
	arg1 = strchr(line, ' ');
	if (arg1)
		*arg1++ = '\0';
	if (!getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwr) && pwr)
		snprintf(user, sizeof(user), "%s", pw.pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)uid);

	if (!strcmp(line, CTL_STATUS) && !arg1) {
		struct agent_buf b;
		char header[PATH_MAX + 128];
		char *out = malloc(CTL_RESP_MAX);

		if (!out)
			return NULL;
		snprintf(header, sizeof(header), "node %s: idleaccd %s, pid %d, config %s", d->node,
			 PACKAGE_VERSION, (int)getpid(),
			 idle_config_path(d->cfg)[0] ? idle_config_path(d->cfg)
						     : "(built-in defaults)");
		agent_buf_init(&b, out, CTL_RESP_MAX);
		agent_report_status(&b, &d->st, &d->params, d->have_snap ? &d->snap : NULL, header,
				    now);
		return out;
	}
	if (!strcmp(line, CTL_PING) && !arg1)
		return ping_answer(d);
	if (agent_plugreq_is(line)) {
		/*
		 * Admit answers from the latest verdict, never from a sample of its own: a sample
		 * may block for CTL_SAMPLE_BLOCK_MS, and the plugin's budget has room for one in
		 * progress, not for another. Input events and the periodic sample keep the verdict
		 * at most one interval old.
		 */
		agent_plugreq(&d->st, uid, line, arg1, now, resp, sizeof(resp));
		/* An error for slurmd means the plugin and idleaccd disagree: this job goes
		 * unprotected (no job-start) or refused. */
		prio = LOG_DEBUG;
		if (ctl_answer(resp, CTL_ERROR))
			prio = uid == 0 ? LOG_ERR : LOG_INFO;
		else if (ctl_answer(resp, CTL_REFUSED))
			prio = LOG_INFO;
		log_request(prio, line, arg1, user, resp, NULL);
		return strdup(resp);
	}
	if (!strcmp(line, CTL_HOLD) || !strcmp(line, CTL_RELEASE)) {
		char why[256];
		bool console =
		    agent_console_user(idle_config_sources(d->cfg), NULL, uid, why, sizeof(why));
		int64_t secs;

		if (!strcmp(line, CTL_RELEASE)) {
			if (arg1)
				snprintf(resp, sizeof(resp),
					 CTL_ERROR ": release takes no argument");
			else
				agent_release(&d->st, (uint32_t)uid, user, console, now, resp,
					      sizeof(resp));
		} else if (!arg1 || idle_parse_duration(arg1, &secs) < 0) {
			snprintf(resp, sizeof(resp), CTL_ERROR ": usage: hold SECONDS");
		} else {
			agent_hold(&d->st, (uint32_t)uid, user, console, secs, d->aconf.max_hold,
				   now, resp, sizeof(resp));
		}
		log_request(LOG_INFO, line, arg1, user, resp, why);
		return strdup(resp);
	}
	/* Echoed only when short, escaped like everything from the asker. */
	for (n = 0; line[n]; n++)
		if ((unsigned char)line[n] < 0x20 || (unsigned char)line[n] >= 0x7f)
			break;
	if (line[n] || n > 40) {
		snprintf(resp, sizeof(resp),
			 CTL_ERROR ": unknown request (expected status, hold SECONDS or release)");
	} else {
		char e_arg[41] = "";

		if (arg1 && strlen(arg1) < 40)
			escape_text(arg1, e_arg, sizeof(e_arg));
		snprintf(resp, sizeof(resp),
			 CTL_ERROR ": unknown request \"%s%s%s\" (expected status, hold SECONDS or"
				   " release)",
			 line, arg1 ? " " : "", e_arg);
	}
	agent_log(LOG_INFO, "bad request from %s: %s", user, resp);
	return strdup(resp);
}

/* Watches logind for the owner switching the desktop off (shutdown.c); without logind the
 * daemon runs on, and a shutdown leaves the jobs to Slurm's timeouts. */
static void watch_shutdown(struct daemon *d)
{
	char address[PATH_MAX + 16], err[AGENT_ERR_LEN];

#ifdef HAVE_SYSTEMD
	idle_logind_address(address, sizeof(address), idle_config_sources(d->cfg)->logind_bus,
			    NULL);
#else
	address[0] = '\0';
#endif
	d->sd = agent_shutdown_open(address, d->node, err, sizeof(err));
	if (!d->sd)
		agent_log(LOG_INFO, "%s: a shutdown leaves the jobs to Slurm", err);
	else
		agent_log(LOG_INFO, "logind: shutdown inhibitor taken (delay)");
}

/* Runs the shutdown sequence's step; true while it holds the node (no planner cycle). */
static bool shutdown_step(struct daemon *d)
{
	if (d->sd)
		d->shutting_down = agent_shutdown_step(d->sd, &d->st, &d->params, push_action, d);
	return d->shutting_down;
}

static int mkdirs(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	char *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * Whether [path], idleaccd's [what] ("run_dir"), is fit for a root daemon to write its socket,
 * pid and state files in: a directory itself (not a link to one), owned by us, writable by no
 * one else; otherwise another user could swap a file there for a link and have us write
 * through it. A missing directory is fine when [missing_ok] (it is made, ours, by mkdirs).
 * Returns 0, or -1 with [err] filled.
 */
static int check_dir(const char *what, const char *path, bool missing_ok, char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(sb.st_mode))
		snprintf(err, errlen, "%s %s: a symbolic link, not a directory", what, path);
	else if (!S_ISDIR(sb.st_mode))
		snprintf(err, errlen, "%s %s: not a directory", what, path);
	else if (sb.st_uid != geteuid())
		snprintf(err, errlen, "%s %s: owned by uid %u, not by %s (uid %u)", what, path,
			 (unsigned)sb.st_uid, geteuid() ? "idleaccd's user" : "root",
			 (unsigned)geteuid());
	else if (sb.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(err, errlen, "%s %s: writable by %s (mode %04o)", what, path,
			 sb.st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned)(sb.st_mode & 07777));
	else
		return 0;
	return -1;
}

/* Both of the agent's directories through check_dir(). */
static int check_dirs(const struct idle_agent_conf *a, bool missing_ok, char *err, size_t errlen)
{
	if (check_dir("run_dir", a->run_dir, missing_ok, err, errlen) < 0 ||
	    check_dir("state_dir", a->state_dir, missing_ok, err, errlen) < 0)
		return -1;
	return 0;
}

static int lock_pidfile(struct daemon *d)
{
	/* Not through a link: the directory is ours alone (check_dir), this is for the rest. */
	d->pidfd = open(d->pid_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (d->pidfd < 0) {
		agent_log(LOG_ERR, "%s: %s", d->pid_path,
			  errno == ELOOP ? "a symbolic link, not a file" : strerror(errno));
		return -1;
	}
	if (flock(d->pidfd, LOCK_EX | LOCK_NB) < 0) {
		agent_log(LOG_ERR, "%s: another idleaccd runs for node %s", d->pid_path, d->node);
		return -1;
	}
	d->locked = true;
	return 0;
}

static void write_pid(struct daemon *d)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%d\n", (int)getpid());

	if (ftruncate(d->pidfd, 0) < 0 || pwrite(d->pidfd, b, (size_t)n, 0) != n)
		agent_log(LOG_WARNING, "%s: %s", d->pid_path, strerror(errno));
}

static int find_node(struct daemon *d)
{
	char host[256], err[AGENT_ERR_LEN];

	if (d->node[0])
		return 0;
	if (gethostname(host, sizeof(host)) < 0) {
		agent_log(LOG_ERR, "gethostname: %s", strerror(errno));
		return -1;
	}
	host[sizeof(host) - 1] = '\0';
	if (agent_slurm_node_of_host(host, d->node, sizeof(d->node), err, sizeof(err)) < 0) {
		agent_log(LOG_ERR, "cannot find the Slurm node of host %s: %s (use -N NODE)", host,
			  err);
		return -1;
	}
	return 0;
}

static int setup(struct daemon *d)
{
	char err[AGENT_ERR_LEN];
	sigset_t set;

	if (agent_slurm_init(NULL, err, sizeof(err)) < 0) {
		agent_log(LOG_ERR, "%s", err);
		return -1;
	}
	if (find_node(d) < 0)
		return -1;
	if (pipe2(d->rl.pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		agent_log(LOG_ERR, "pipe: %s", strerror(errno));
		return -1;
	}
	set_params(d);
	if (!d->sock_path[0] &&
	    ctl_socket_path(d->aconf.run_dir, d->node, d->sock_path, sizeof(d->sock_path)) < 0) {
		agent_log(LOG_ERR, "%s/%s.sock: socket path too long", d->aconf.run_dir, d->node);
		return -1;
	}
	snprintf(d->pid_path, sizeof(d->pid_path), "%s/%s.pid", d->aconf.run_dir, d->node);
	snprintf(d->state_path, sizeof(d->state_path), "%s/%s.state", d->aconf.state_dir, d->node);
	if (mkdirs(d->aconf.run_dir, 0755) < 0 || mkdirs(d->aconf.state_dir, 0700) < 0) {
		agent_log(LOG_ERR, "cannot create %s or %s: %s", d->aconf.run_dir,
			  d->aconf.state_dir, strerror(errno));
		return -1;
	}
	if (check_dirs(&d->aconf, false, err, sizeof(err)) < 0) {
		agent_log(LOG_ERR, "%s: refusing to start", err);
		return -1;
	}
	if (lock_pidfile(d) < 0)
		return -1;
	if (!d->foreground) {
		if (daemon(0, 0) < 0) {
			agent_log(LOG_ERR, "daemon: %s", strerror(errno));
			return -1;
		}
		agent_log_open(false, d->verbose);
	}
	write_pid(d);

	agent_state_init(&d->st, d->node);
	agent_localstop_init(&d->ls, NULL);
	if (agent_state_load(&d->st, d->state_path, now_ms(d), d->aconf.max_hold, err,
			     sizeof(err)) < 0)
		agent_log(LOG_ERR, "ignoring the state file: %s", err);
	else if (d->st.njobs || d->st.hold_until_ms)
		agent_log(LOG_NOTICE,
			  "state file: %zu job records%s; adopted once slurmctld"
			  " confirms them",
			  d->st.njobs, d->st.hold_until_ms ? ", a hold" : "");

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sfd < 0) {
		agent_log(LOG_ERR, "signalfd: %s", strerror(errno));
		return -1;
	}
	d->ctx = idle_open(idle_config_sources(d->cfg), NULL, err, sizeof(err));
	if (!d->ctx) {
		agent_log(LOG_ERR, "%s", err);
		return -1;
	}
	if (agent_ctl_open(&d->ctl, d->sock_path, handle_request, d, err, sizeof(err)) < 0) {
		agent_log(LOG_ERR, "control socket: %s", err);
		return -1;
	}
	d->w = agent_worker_start(d->node, err, sizeof(err));
	if (!d->w) {
		agent_log(LOG_ERR, "%s", err);
		return -1;
	}
	watch_shutdown(d);
	agent_log(LOG_NOTICE, "idleaccd %s started for node %s (socket %s, policy %s)",
		  PACKAGE_VERSION, d->node, d->sock_path,
		  idle_on_return_name(d->params.pol.on_owner_return));
	return 0;
}

static int timeout_ms(struct daemon *d)
{
	int64_t now = now_ms(d), t = d->next_sample_ms - now, dl;

	/* Every deadline is on the monotonic clock: a step of the wall clock moves none. */
	dl = agent_deadline(&d->st, &d->params, now);
	if (dl && dl - now < t)
		t = dl - now;
	if (d->cycle_retry_ms && d->cycle_retry_ms - now < t)
		t = d->cycle_retry_ms - now;
	dl = agent_localstop_deadline(&d->ls, &d->st, &d->params, now);
	if (dl && dl - now < t)
		t = dl - now;
	if (d->st.dirty && d->save_retry_ms && d->save_retry_ms - now < t)
		t = d->save_retry_ms - now;
	dl = agent_ctl_deadline(&d->ctl);
	if (dl && dl - now < t)
		t = dl - now;
	dl = d->sd ? agent_shutdown_deadline(d->sd) : 0;
	if (dl && dl - now < t)
		t = dl - now;
	if (t < 0)
		t = 0;
	return t > INT_MAX ? INT_MAX : (int)t + 1; /* +1: wake after, not just before */
}

static int run(struct daemon *d)
{
	struct pollfd pfd[6 + AGENT_CTL_CLIENTS + 1 + MAX_IDLE_FDS];
	int idle_fd[MAX_IDLE_FDS];

	sample(d);
	for (;;) {
		int n = 0, nidle, ctl0, nctl, idle0, i, r;
		bool input = false;

		if (!shutdown_step(d))
			cycle(d);
		pfd[n++] = (struct pollfd){.fd = d->sfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = agent_worker_fd(d->w), .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = d->rl.pipe[0], .events = POLLIN};
		if (d->sd)
			n += agent_shutdown_pollfd(d->sd, &pfd[n]); /* read by shutdown_step() */
		ctl0 = n;
		nctl = agent_ctl_pollfds(&d->ctl, pfd + n, AGENT_CTL_CLIENTS + 1);
		n += nctl;
		idle0 = n;
		nidle = idle_fds(d->ctx, idle_fd, MAX_IDLE_FDS);
		for (i = 0; i < nidle; i++)
			pfd[n++] = (struct pollfd){.fd = idle_fd[i], .events = POLLIN};

		r = poll(pfd, (nfds_t)n, timeout_ms(d));
		if (r < 0 && errno != EINTR) {
			agent_log(LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		if (r > 0 && pfd[0].revents) {
			struct signalfd_siginfo si;

			while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					agent_log(LOG_NOTICE, "SIGHUP: reloading %s", d->conf_path);
					reload_start(d);
				} else {
					agent_log(LOG_NOTICE,
						  "signal %u: exiting; node %s left as it"
						  " is",
						  si.ssi_signo, d->node);
					return 0;
				}
			}
		}
		if (r > 0 && pfd[1].revents)
			apply_results(d);
		if (r > 0 && pfd[2].revents)
			reload_finish(d);
		for (i = idle0; r > 0 && i < idle0 + nidle; i++)
			if (pfd[i].revents)
				input = true;
		if (input) {
			idle_input(d->ctx);
			/* The owner is back: decide now, not at the next tick. Input while already
			 * judged present changes nothing, so it costs no sample. */
			if (d->st.verdict.owner != IDLE_OWNER_PRESENT || d->st.verdict.run ||
			    d->st.verdict.offer)
				sample(d);
		}
		if (r > 0 && nctl)
			agent_ctl_serve(&d->ctl, pfd + ctl0, nctl);
		else
			agent_ctl_serve(&d->ctl, pfd, 0); /* only expires slow clients */
		if (clock_mono_ms() >= d->next_sample_ms)
			sample(d);
	}
}

static void cleanup(struct daemon *d)
{
	char err[AGENT_ERR_LEN];

	if (d->locked && d->st.name[0] &&
	    agent_state_save(&d->st, d->state_path, err, sizeof(err)) < 0)
		agent_log(LOG_ERR, "cannot write the state file: %s", err);
	if (d->rl.busy) { /* a reload being parsed at exit: wait for it, drop it */
		pthread_join(d->rl.thread, NULL);
		idle_config_free(d->rl.cfg);
	}
	if (d->rl.pipe[0] >= 0)
		close(d->rl.pipe[0]), close(d->rl.pipe[1]);
	agent_ctl_close(&d->ctl);
	agent_shutdown_close(d->sd);
	if (d->locked)
		unlink(d->pid_path);
	if (d->pidfd >= 0)
		close(d->pidfd);
	if (d->w && agent_worker_stop(d->w, STOP_WAIT_MS))
		agent_slurm_fini();
	agent_localstop_free(&d->ls);
	idle_close(d->ctx);
	idle_config_free(d->cfg);
	agent_log_close();
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static struct daemon d; /* large: keep it off the stack */
	char err[4096];
	bool check = false, defaults;
	int c, rc;

	/*
	 * A desktop runs this beside the owner's work for days: keep its private memory small.
	 * One malloc arena: the worker thread's libslurm buffers would otherwise get an arena of
	 * their own (100 KiB dirty for a few RPCs a day). Blocks from 32 KiB up (the status
	 * response, libslurm's message buffers) are mapped and given back when freed, and the
	 * heap's free top is returned beyond 64 KiB, instead of glibc's thresholds, which grow
	 * to 32 MiB after the first large free.
	 */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024);
	d.sfd = d.pidfd = -1;
	d.rl.pipe[0] = d.rl.pipe[1] = -1;
	d.ctl.lfd = -1;
	idle_config_default_path(d.conf_path, sizeof(d.conf_path));
	while ((c = getopt_long(argc, argv, "c:DnN:s:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			/* Absolute: the daemon works from / and rereads it on SIGHUP. */
			if (!realpath(optarg, d.conf_path))
				snprintf(d.conf_path, sizeof(d.conf_path), "%s", optarg);
			d.conf_given = true;
			break;
		case 'D':
			d.foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'N':
			if (strlen(optarg) >= sizeof(d.node) || !optarg[0]) {
				fprintf(stderr, "idleaccd: bad node name \"%s\"\n", optarg);
				return 2;
			}
			snprintf(d.node, sizeof(d.node), "%s", optarg);
			break;
		case 's':
			snprintf(d.sock_path, sizeof(d.sock_path), "%s", optarg);
			break;
		case 'v':
			d.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("idleaccd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "idleaccd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	d.cfg = load_config(&d, &defaults, err, sizeof(err));
	if (!d.cfg) {
		fprintf(stderr, "%s%s", err, err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
		return 1;
	}
	if (check) {
		/* What the start would refuse, as far as it can be seen now. */
		if (check_dirs(idle_config_agent(d.cfg), true, err, sizeof(err)) < 0) {
			fprintf(stderr, "idleaccd: %s\n", err);
			idle_config_free(d.cfg);
			return 1;
		}
		/* Say so when nothing was read: an admin checking a file that is not where
		 * idleaccd looks must not be told it is fine. */
		if (defaults)
			fprintf(stderr, "idleaccd: %s not found: the built-in defaults apply\n",
				d.conf_path);
		else if (idle_config_empty(d.cfg))
			fprintf(stderr, "idleaccd: %s sets nothing: the built-in defaults apply\n",
				d.conf_path);
		printf("configuration OK\n");
		idle_config_free(d.cfg);
		return 0;
	}
	agent_log_open(true, d.verbose); /* stderr until we detach */
	if (defaults)
		agent_log(LOG_WARNING, "%s not found: using built-in defaults", d.conf_path);
	else if (idle_config_empty(d.cfg))
		agent_log(LOG_WARNING, "%s sets nothing: using built-in defaults", d.conf_path);
	rc = setup(&d) < 0 ? 1 : run(&d);
	cleanup(&d);
	return rc;
}
