/* SPDX-License-Identifier: MIT */
/*
 * idleaccd.c - the agent's main program: options, start-up, signals and the main loop that
 * samples libidle, decides (plan.c), hands Slurm calls to the worker thread (worker.c) and
 * serves the control socket (control.c, its requests answered by dispatch.c), where the
 * SPANK plugin asks before each job starts and says when jobs start and end.
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

#include "agentconf.h"
#include "clock.h"
#include "confsrc.h"
#include "console.h"
#include "control.h"
#include "ctl.h"
#include "cycle.h"
#include "dispatch.h"
#include "emergency.h"
#include "localstop.h"
#include "escape.h"
#include "log.h"
#include "memtrim.h"
#include "metrics.h"
#include "plan.h"
#include "predict_run.h"
#include "privdrop.h"
#include "report.h"
#include "sdnotify.h"
#include "shutdown.h"
#include "slurm.h"
#include "state.h"
#include "worker.h"
#ifdef HAVE_SYSTEMD
#include "logind.h"
#endif

#define MAX_IDLE_FDS 64	  /* input descriptors watched (evdev devices, inotify) */
#define STOP_WAIT_MS 3000 /* at exit, how long a Slurm call in progress may delay us */

/* A file of the node's in one of its directories (agent:), DIR/idleaccd-NODE.suffix. */
#define NODE_FILE_LEN (IDLE_PATH_LEN + AGENT_NODE_LEN + 24)

/* What a reload reads, on its thread, and hands to the main loop. */
struct reload {
	struct idle_config *cfg;       /* the result, or NULL (then [err] says why) */
	struct agent_conf_found found; /* where it looked and what it read */
	char err[4096];		       /* every error of the file, one per line */
};

/*
 * The daemon's one instance, static. Laid out for its resident pages, not by topic: the small
 * fields, written at every sample, come first and share a few pages; the large buffers, of
 * which a few hundred bytes are used, come last, each costing the page its start lies on.
 */
struct daemon {
	bool foreground;	   /* -D */
	int verbose;		   /* -v count */
	bool conf_given;	   /* -c was given: that file alone, a missing file is an error */
	char node[AGENT_NODE_LEN]; /* -N, else found from the host name */
	/* Sized to what they can hold, not PATH_MAX: each would make a page resident. */
	char sock_path[sizeof(((struct agent_ctl *)0)->path)]; /* -s, else RUN_DIR/NODE.sock */
	char pid_path[NODE_FILE_LEN];			       /* RUN_DIR/NODE.pid */
	char state_path[NODE_FILE_LEN];			       /* STATE_DIR/NODE.state */
	char metrics_path[NODE_FILE_LEN]; /* METRICS_DIR/idleaccd-NODE.prom; "" if metrics off */

	struct idle_config *cfg;    /* the configuration in force */
	struct agent_conf aconf;    /* its agent: section */
	struct agent_params params; /* the node's policy and the reconcile period */
	struct idle_ctx *ctx;	    /* the sampler */
	struct idle_memo memo;	    /* the decision's memory between samples */
	unsigned clock_steps;	    /* st.clock_steps when the memo last heard of them */
	bool have_snap;
	int64_t next_sample_ms; /* when the next sample is due (monotonic) */

	unsigned logged;	/* events of [st] already logged */
	int64_t cycle_retry_ms; /* a cycle could not issue everything: run one then (monotonic);
				 * 0 if not */
	int64_t save_retry_ms; /* a failed save is tried again then (monotonic); 0 if none failed */
	int64_t save_backoff_ms; /* the pause before that retry, doubled per failure; 0 if none */
	unsigned save_failures;	 /* saves failed in a row */
	struct agent_worker *w;
	struct agent_localstop ls; /* the jobs' processes stopped on the desktop itself */
	int sfd;		   /* signalfd: SIGHUP, SIGTERM, SIGINT */
	int pidfd;		   /* the pid file */
	bool locked;		   /* we hold its lock: it is ours to remove */

	/* The owner switching the desktop off (shutdown.c). */
	struct agent_shutdown *sd; /* logind's inhibitor and signal; NULL without logind */
	bool shutting_down;	   /* the desktop goes down: the planner no longer runs */

	struct agent_sd sdn; /* systemd's READY/STATUS/WATCHDOG (sdnotify.c) */
	/* Emergency mode (emergency.h): read from slurmctld at each reconcile. */
	bool emergency;	      /* the emergency policy is in force */
	int cap_want;	      /* the jobs' CPU cap due now, percent of the CPUs; 0: none */
	struct agent_cap cap; /* the cap in force */
	bool reconcile_soon;  /* reconcile_now() was called: reconcile once the one in flight
			       * (which may have read the switch too early) is done */
	unsigned win_refused; /* peers the windows source refused, as far as logged */
	unsigned win_holds;   /* hold requests from Windows, as far as applied */

	/* Prometheus metrics (metrics.c), written for node_exporter's textfile collector. */
	struct agent_metrics m;
	int64_t metrics_ms;  /* when the file was last written (monotonic); 0 never */
	bool metrics_failed; /* the last write failed (logged once per outage) */

	/* A SIGHUP's reload, parsed on a thread of its own so that the owner's protection runs
	 * on meanwhile (the parse is bounded, but a 1 MiB file still takes a while). */
	struct {
		pthread_t thread; /* the loader, while [busy] */
		int pipe[2];	  /* it writes a byte to [1] when done; [0] is polled */
		bool busy;	  /* a reload is being parsed */
		bool again;	  /* another SIGHUP came meanwhile: reload once more */
		bool fresh;	  /* started by config_fresh(): reconcile once it is done */
		struct reload *r; /* its work, while [busy]: allocated for it (37 KiB) */
	} rl;

	struct idle_snapshot snap; /* the last sample */
	struct agent_state st;
	struct agent_ctl ctl;
	struct agent_pred_run pred; /* predicted idle windows (predict_run.h) */

	char *conf_path;	       /* -c FILE (absolute), if given; malloc'd */
	struct agent_conf_found found; /* where the configuration in force came from */
	struct agent_confwatch cw;     /* the notice that it changed (confsrc.c) */
};

static void usage(FILE *f)
{
	char def[PATH_MAX];

	agent_conf_path(def, sizeof(def));
	fprintf(f,
		"usage: idleaccd [-D] [-n] [-v...] [-c FILE] [-N NODE] [-s SOCKET]\n"
		"       idleaccd --help | --version\n"
		"  -c FILE    configuration: idleacc.yaml, or a plugstack.conf with an idleacc\n"
		"             block (default %s, else the block of plugstack.conf\n"
		"             there or in " AGENT_CONF_RUN_CACHE ")\n"
		"  -D         stay in the foreground and log to stderr\n"
		"  -n         check the configuration, print \"configuration OK\" and exit\n"
		"  -N NODE    this desktop's Slurm node (default: the node of this host)\n"
		"  -s SOCKET  control socket (default RUN_DIR/NODE.sock)\n"
		"  -v         log more (repeat for more)\n",
		def);
}

/* Loads the configuration: -c FILE, else the first found (confsrc.c), else the defaults. */
static struct idle_config *load_config(const struct daemon *d, struct agent_conf_found *f,
				       char *err, size_t errlen)
{
	return agent_conf_load(d->conf_given ? d->conf_path : NULL, f, err, errlen);
}

/* What a log line calls the configuration [f] found. */
static const char *conf_name(const struct agent_conf_found *f)
{
	return agent_conf_found_path(f)[0] ? agent_conf_found_path(f) : "built-in defaults";
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

/* A Windows user has no uid here; holds from the Windows button are recorded as nobody's. */
#define WINDOWS_HOLD_UID 65534

/*
 * What the windows source counted for the daemon: each peer it refused (a wrong secret is
 * someone's mistake or an attack: logged, never silent), and the owner's "Keep this PC for
 * me" button, applied as the console user's hold (0 seconds gives the PC back).
 */
static void windows_events(struct daemon *d, int64_t now)
{
	const struct idle_snapshot *s = &d->snap;
	char user[AGENT_USER_LEN], resp[256];

	if (s->windows_refused > d->win_refused) {
		unsigned n = s->windows_refused - d->win_refused;

		if (n == 1)
			agent_log(LOG_WARNING, "windows: refused %s", s->windows_refused_why);
		else
			agent_log(LOG_WARNING, "windows: refused %u peers, the last %s", n,
				  s->windows_refused_why);
		d->win_refused = s->windows_refused;
	}
	if (s->windows_holds > d->win_holds) {
		/* AGENT_USER_LEN holds 21 characters of the name and the suffix. */
		snprintf(user, sizeof(user), "%.21s (Windows)", s->windows_hold_user);
		agent_request_hold(&d->st, d->aconf.max_hold, WINDOWS_HOLD_UID, user,
				   s->windows_hold_secs, now, resp, sizeof(resp));
		agent_log(LOG_INFO, "windows: %s request from %s: %s",
			  s->windows_hold_secs ? "hold" : "release", user, resp);
		d->win_holds = s->windows_holds;
	}
}

static void sample(struct daemon *d)
{
	int64_t wall = idle_now_ms(), now = agent_clock(&d->st, clock_mono_ms(), wall);
	int64_t every = d->aconf.interval * 1000;
	char err[AGENT_ERR_LEN];
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
	agent_confwatch_tick(&d->cw, now); /* a change inotify cannot see (NFS): a few stat()s */
	windows_events(d, now);
	idle_decide(&d->snap, &d->params.pol, wall, &d->memo, &v);
	d->cap_want = 0;
	if (d->emergency) {
		const struct idle_emergency_conf *e = idle_config_emergency(d->cfg);

		if (agent_emergency_verdict(e->requisition, e->cpu_share, &v))
			d->cap_want = e->cpu_share;
	}
	agent_observe(&d->st, &v, now);
	if (agent_localstop_strays(&d->ls, &d->st, &d->params, now, err, sizeof(err)) == -1)
		agent_log(LOG_ERR, "cannot check the jobs' processes on the desktop: %s", err);
	agent_pred_sample(&d->pred, &v, wall, now, d->w);
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
	agent_metrics_issued(&d->m, a, clock_wall_ms());
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

/* The metrics text's room: 256 jobs' lines fit. */
#define METRICS_TEXT_LEN (32 * 1024)

/*
 * Rewrites the metrics file: at once (at most once a second) when something counted changed,
 * else once per sample interval, so that idleacc_last_update_seconds stays fresh. A failure
 * is logged once until a write works again.
 */
static void write_metrics(struct daemon *d, int64_t now)
{
	char err[AGENT_ERR_LEN], *text;
	struct agent_buf b;
	int64_t since = now - d->metrics_ms;
	int r;

	if (!d->metrics_path[0] || (d->metrics_ms && since < 1000) ||
	    (d->metrics_ms && !d->m.changed && since < d->aconf.interval * 1000))
		return;
	/* About 6 KiB are written. Mapped for the write and unmapped after it (the allocator
	 * maps blocks this large, main()): kept, its pages would stay private dirty. */
	if (!(text = malloc(METRICS_TEXT_LEN))) {
		snprintf(err, sizeof(err), "%s", strerror(errno));
		r = -1;
	} else {
		agent_buf_init(&b, text, METRICS_TEXT_LEN);
		agent_metrics_format(&b, &d->m, &d->st, clock_wall_ms());
		r = agent_metrics_write(d->metrics_path, text, err, sizeof(err));
		free(text);
	}
	d->metrics_ms = now;
	if (r < 0) {
		if (!d->metrics_failed)
			agent_log(LOG_ERR,
				  "cannot write the metrics: %s; retrying every %" PRId64 "s", err,
				  d->aconf.interval);
		d->metrics_failed = true;
		return;
	}
	if (d->metrics_failed)
		agent_log(LOG_NOTICE, "metrics written again to %s", d->metrics_path);
	d->metrics_failed = false;
	d->m.changed = false;
}

/*
 * Reconcile with slurmctld now, not at the next period: what the configless channel calls
 * when slurmd got fresh configuration (idleacc emergency on/off pushes it to every slurmd),
 * and what SIGHUP and "idleacc reconcile" do. A reconcile in flight may have read the switch
 * just before it changed: then one more follows it.
 */
static void reconcile_now(void *arg)
{
	struct daemon *d = arg;

	d->reconcile_soon = true;
}

/* The CPU cap of a requisition, on while the owner is present (emergency.c). */
static void emergency_cap(struct daemon *d, int64_t now)
{
	char err[AGENT_ERR_LEN];
	int n;

	if (!d->cap_want && !d->cap.share)
		return;
	n = agent_cap_apply(&d->cap, &d->ls, &d->st, d->cap_want, now, err, sizeof(err));
	if (n < 0 && !d->cap.failing)
		agent_log(LOG_ERR, "emergency: jobs run uncapped beside their owner: %s", err);
	d->cap.failing = n < 0;
}

/* Decide, hand the calls to the worker, log, persist. */
static void cycle(struct daemon *d)
{
	const struct agent_cycle_ops ops = {
	    .push = push_action, .issued = issued, .save = save_state, .arg = d};
	int64_t now = now_ms(d);

	if (d->reconcile_soon && !d->st.reconcile_busy) {
		/* reconcile_now(): the next plan asks slurmctld now (a probe, if it was away) */
		d->reconcile_soon = false;
		d->st.next_reconcile_ms = now;
		d->st.retry_ms = now;
	}
	local_protect(d, now);
	agent_metrics_observe(&d->m, &d->st, d->memo.input_seen_ms, now, clock_wall_ms());
	emergency_cap(d, now);

	/* What a cycle could not issue is still due: retried soon, not at the next event. */
	d->cycle_retry_ms =
	    agent_cycle(&d->st, &d->params, now, &ops) < 0 ? now + AGENT_BACKOFF_MIN_MS : 0;
	log_events(d);
	persist(d, now);
	write_metrics(d, now);
}

static void set_params(struct daemon *d);

/* The switch as the last reconcile read it: the emergency policy comes into force, or goes. */
static void emergency_follow(struct daemon *d)
{
	const struct idle_emergency_conf *e = idle_config_emergency(d->cfg);
	int seen = agent_worker_emergency_seen(d->w);

	if (seen < 0 || (bool)seen == d->emergency)
		return;
	d->emergency = seen;
	set_params(d);
	if (d->emergency)
		agent_log(LOG_NOTICE,
			  "emergency on (partition %s is UP): emergency policy in force, idle_after"
			  " %" PRId64 "s, requisition %s",
			  e->partition, d->params.pol.idle_after,
			  e->requisition ? "on (jobs capped while the owner is present)" : "off");
	else
		agent_log(LOG_NOTICE,
			  "emergency off (partition %s is not UP): normal policy in force",
			  e->partition);
	sample(d);
}

static void apply_results(struct daemon *d)
{
	struct agent_result r;

	while (agent_worker_pop(d->w, &r)) {
		if (d->sd)
			agent_shutdown_result(d->sd, &r);
		agent_apply(&d->st, &d->params, &r, now_ms(d));
		agent_metrics_result(&d->m, &r);
		free(r.jobs);
		log_events(d); /* hundreds of results may wait: more notes than the ring keeps */
	}
	emergency_follow(d);
	/* libslurm's message buffers are freed by now: give their pages back, and the stack's
	 * (a few times an hour; the heap is small, so this costs microseconds). */
	agent_mem_trim();
}

/* The metrics file of agent.metrics_dir; one left by the previous directory is removed. */
static void metrics_path(struct daemon *d)
{
	char path[NODE_FILE_LEN] = "";

	if (d->aconf.metrics_dir[0] &&
	    agent_metrics_path(d->aconf.metrics_dir, d->node, path, sizeof(path)) < 0) {
		agent_log(LOG_ERR, "agent.metrics_dir %s: path too long: no metrics",
			  d->aconf.metrics_dir);
		path[0] = '\0';
	}
	if (!strcmp(path, d->metrics_path))
		return;
	if (d->metrics_path[0])
		unlink(d->metrics_path);
	snprintf(d->metrics_path, sizeof(d->metrics_path), "%s", path);
	d->metrics_ms = 0; /* written at the next cycle */
	d->metrics_failed = false;
	if (path[0])
		agent_log(LOG_INFO, "metrics: %s (node_exporter's textfile collector)", path);
}

static void set_params(struct daemon *d)
{
	struct idle_policy pol;

	d->aconf = *agent_conf(d->cfg);
	if (d->aconf.interval < 1)
		d->aconf.interval = 1;
	if (d->emergency)
		idle_config_emergency_policy(d->cfg, d->node, &pol);
	else
		idle_config_policy(d->cfg, d->node, &pol);
	if (d->w)
		agent_worker_emergency(d->w, idle_config_emergency(d->cfg)->partition);
	agent_params_set(&d->params, &pol, d->aconf.reconcile);
	metrics_path(d);
	if (d->w) /* at start-up, once the worker runs (setup()) */
		agent_pred_config(&d->pred, &d->aconf, d->node, d->w);
}

/* The reload thread: parses the file; touches nothing of [d] but d->rl.r and reads only what
 * never changes after start-up (the path). */
static void *reload_thread(void *arg)
{
	struct daemon *d = arg;
	struct reload *r = d->rl.r;
	char b = 1;

	r->cfg = load_config(d, &r->found, r->err, sizeof(r->err));
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
	/* Allocated for the reload and freed after it (the allocator maps blocks this large):
	 * kept, its pages would stay private dirty between reloads. */
	if (!(d->rl.r = calloc(1, sizeof(*d->rl.r)))) {
		agent_log(LOG_ERR, "reload rejected: %s", strerror(errno));
		return;
	}
	r = pthread_create(&d->rl.thread, NULL, reload_thread, d);
	if (r) {
		agent_log(LOG_ERR, "reload rejected: cannot start its thread: %s", strerror(r));
		free(d->rl.r);
		d->rl.r = NULL;
		return;
	}
	d->rl.busy = true;
}

/* The reload thread is done: the new configuration replaces the old one, or is rejected. */
static void reload_finish(struct daemon *d)
{
	char e2[IDLE_ERR_LEN], b;
	struct idle_config *c;
	struct idle_ctx *ctx = NULL;
	struct reload *r;
	bool same;

	while (read(d->rl.pipe[0], &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(d->rl.thread, NULL);
	d->rl.busy = false;
	r = d->rl.r;
	d->rl.r = NULL;
	c = r->cfg;
	/* What was read is what the next change is measured against, rejected or not: a bad
	 * file is reported once, not at every sample. */
	agent_confwatch_loaded(&d->cw, &r->found);
	/*
	 * Unchanged sources keep their context: a source opened anew knows no input before
	 * that moment and counts it as the last input (the floor of every time, as at start),
	 * so reopening them for every fresh configuration (each `scontrol reconfigure` pushed
	 * to a configless fleet, "idleacc emergency on" and "off" among them) drained every
	 * desktop for idle_after and suspended its jobs as if the owner were back. The loader
	 * zeroes the struct before it fills it: the same text gives the same bytes.
	 */
	same = c && !memcmp(idle_config_sources(c), idle_config_sources(d->cfg),
			    sizeof(struct idle_sources));
	if (!c) {
		log_lines(LOG_ERR, "reload rejected: ", r->err);
		agent_log(LOG_ERR, "reload rejected: keeping the configuration in force");
	} else if (!same && !(ctx = idle_open(idle_config_sources(c), NULL, AGENT_JOB_COMM, e2,
					      sizeof(e2)))) {
		agent_log(LOG_ERR, "reload rejected: %s", e2);
		idle_config_free(c);
	} else {
		if (strcmp(agent_conf(c)->run_dir, d->aconf.run_dir) ||
		    strcmp(agent_conf(c)->state_dir, d->aconf.state_dir))
			agent_log(LOG_WARNING,
				  "run_dir and state_dir changes take effect at restart");
		if (!same) {
			idle_close(d->ctx);
			d->ctx = ctx;
			d->win_refused = d->win_holds = 0; /* the new sources count from 0 */
		}
		idle_config_free(d->cfg);
		d->cfg = c;
		agent_conf_found_copy(&d->found, &r->found);
		set_params(d);
		agent_log(LOG_NOTICE, "configuration reloaded from %s", conf_name(&d->found));
		if (!agent_conf_found_path(&d->found)[0])
			agent_log(LOG_WARNING, "no configuration found (looked at %s)",
				  agent_conf_found_looked(&d->found));
		sample(d);
	}
	free(r);
	if (d->rl.again) {
		d->rl.again = false;
		agent_log(LOG_NOTICE, "reload asked for meanwhile: reloading again");
		reload_start(d);
	} else if (d->rl.fresh) {
		d->rl.fresh = false;
		reconcile_now(d); /* with the new thresholds, or the old if rejected */
	}
}

/*
 * The configuration changed under the agent: slurmd put fresh files into its conf-cache
 * (configless: `scontrol reconfigure`, or slurmd started anew), or an admin changed the file
 * in force, plugstack.conf or slurm.conf beside it ([why] names the file). The one reaction
 * to fresh configuration, and the place to hook more of it (emergency mode, issue #13):
 * reload the thresholds on the reload thread, as SIGHUP does, and once that is done (taken or
 * rejected) reconcile with slurmctld at once instead of at the next reconcile period, since
 * whoever reconfigured Slurm may have changed this node too. See idleaccd(8), "Fresh
 * configuration".
 */
static void config_fresh(struct daemon *d, const char *why)
{
	agent_log(LOG_NOTICE, "%s changed: reloading the configuration, then reconciling", why);
	d->rl.fresh = true;
	reload_start(d);
}

/* The console rule for dispatch.c's hold and release (console.c). */
static bool console_user(void *arg, uid_t uid, char *why, size_t whylen)
{
	const struct daemon *d = arg;

	return agent_console_user(idle_config_sources(d->cfg), NULL, uid, why, whylen);
}

/* A control request (control.c), answered by dispatch.c's table from the daemon's state. */
static char *handle_request(void *arg, const char *req, uid_t uid)
{
	struct daemon *d = arg;
	char pred[1024]; /* the status' predict line, filled below */
	const struct agent_reqenv env = {
	    .st = &d->st,
	    .p = &d->params,
	    .snap = d->have_snap ? &d->snap : NULL,
	    .config = idle_config_path(d->cfg),
	    .pid = (int)getpid(),
	    .max_hold = d->aconf.max_hold,
	    .console = console_user,
	    .console_arg = d,
	    .reconcile = reconcile_now,
	    .reconcile_arg = d,
	    .predict = pred,
	};
	char *resp;

	agent_pred_status(&d->pred, d->st.node_known ? &d->st.node : NULL, pred, sizeof(pred));
	resp = agent_request(&env, req, uid, now_ms(d));

	/* A launch refused: the owner is back (the metrics count it). */
	if (resp && !strncmp(req, CTL_ADMIT " ", sizeof(CTL_ADMIT)) && ctl_answer(resp, CTL_NO))
		agent_metrics_refused(&d->m);
	return resp;
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
static int check_dirs(const struct agent_conf *a, bool missing_ok, char *err, size_t errlen)
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

/* The node, the paths of its socket, pid and state files and their directories, the pid
 * file locked, and the process detached unless -D. */
static int setup_files(struct daemon *d)
{
	char err[AGENT_ERR_LEN];

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
	return 0;
}

/* What the last run left: the state file's jobs and hold, adopted once slurmctld confirms. */
static void setup_state(struct daemon *d)
{
	char err[AGENT_ERR_LEN];

	agent_state_init(&d->st, d->node);
	agent_metrics_init(&d->m, clock_wall_ms());
	agent_localstop_init(&d->ls, NULL);
	if (agent_state_load(&d->st, d->state_path, now_ms(d), d->aconf.max_hold, err,
			     sizeof(err)) < 0)
		agent_log(LOG_ERR, "ignoring the state file: %s", err);
	else if (d->st.njobs || d->st.hold_until_ms)
		agent_log(LOG_NOTICE,
			  "state file: %zu job records%s; adopted once slurmctld"
			  " confirms them",
			  d->st.njobs, d->st.hold_until_ms ? ", a hold" : "");
}

/* SIGHUP, SIGTERM and SIGINT read from a signalfd by the main loop; SIGPIPE ignored. */
static int setup_signals(struct daemon *d)
{
	sigset_t set;

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
	return 0;
}

static int setup(struct daemon *d)
{
	char err[AGENT_ERR_LEN], kept[256];

	if (agent_slurm_init(NULL, err, sizeof(err)) < 0) {
		agent_log(LOG_ERR, "%s", err);
		return -1;
	}
	if (setup_files(d) < 0)
		return -1;
	agent_sd_init(&d->sdn);
	setup_state(d);
	if (setup_signals(d) < 0)
		return -1;
	d->ctx = idle_open(idle_config_sources(d->cfg), NULL, AGENT_JOB_COMM, err, sizeof(err));
	if (!d->ctx) {
		agent_log(LOG_ERR, "%s", err);
		return -1;
	}
	if (agent_ctl_open(&d->ctl, d->sock_path, handle_request, d, err, sizeof(err)) < 0) {
		agent_log(LOG_ERR, "control socket: %s", err);
		return -1;
	}
	/* The CPU cap's own cgroup, which an emergency requisition may need later. */
	if (agent_cap_prepare(&d->cap, d->node, err, sizeof(err)) < 0)
		agent_log(LOG_INFO, "emergency requisition: %s; made when first needed", err);
	/* Start-up's files are made: keep only the capabilities the work needs, while this is
	 * the only thread (the worker and reload threads inherit the result). */
	if (agent_privdrop(kept, sizeof(kept), err, sizeof(err)) < 0) {
		agent_log(LOG_ERR, "dropping privileges: %s", err);
		return -1;
	}
	agent_log(LOG_INFO, "capabilities: %s", kept);
	d->w = agent_worker_start(d->node, err, sizeof(err));
	if (!d->w) {
		agent_log(LOG_ERR, "%s", err);
		return -1;
	}
	agent_worker_emergency(d->w, idle_config_emergency(d->cfg)->partition);
	agent_pred_config(&d->pred, &d->aconf, d->node, d->w);
	watch_shutdown(d);
	if (agent_confwatch_open(&d->cw, &d->found, err, sizeof(err)) < 0)
		agent_log(LOG_WARNING, "%s: configuration changes are seen at each sample only",
			  err);
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
	if (d->cap.share && d->cap.last_ms + AGENT_CAP_PERIOD_MS - now < t)
		t = d->cap.last_ms + AGENT_CAP_PERIOD_MS - now;
	dl = d->sd ? agent_shutdown_deadline(d->sd) : 0;
	if (dl && dl - now < t)
		t = dl - now;
	dl = agent_confwatch_deadline(&d->cw);
	if (dl && dl - now < t)
		t = dl - now;
	dl = agent_sd_watchdog(&d->sdn, now); /* the ping due now is sent here */
	if (dl && dl - now < t)
		t = dl - now;
	if (t < 0)
		t = 0;
	return t > INT_MAX ? INT_MAX : (int)t + 1; /* +1: wake after, not just before */
}

/* What the main loop waits for, and where each part of it is in pfd. */
struct waitset {
	struct pollfd pfd[7 + AGENT_CTL_CLIENTS + 1 + MAX_IDLE_FDS]; /* [0] signalfd, [1] the
								      * worker, [2] the reload */
	int n;							     /* entries of pfd used */
	int cw;		/* the config watch's entry, -1 if none */
	int ctl0, nctl; /* the control socket's entries */
	int idle0;	/* the idle sources' entries ... */
	int nidle;	/* ... and their count */
};

/* Fills [ws] with every descriptor the loop waits on; asked again before every poll, since
 * the sources and the control socket's clients change. */
static void wait_on(struct daemon *d, struct waitset *ws)
{
	struct pollfd *pfd = ws->pfd;
	int idle_fd[MAX_IDLE_FDS], n = 0, i;

	ws->cw = -1;
	pfd[n++] = (struct pollfd){.fd = d->sfd, .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = agent_worker_fd(d->w), .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = d->rl.pipe[0], .events = POLLIN};
	if (d->sd)
		n += agent_shutdown_pollfd(d->sd, &pfd[n]); /* read by shutdown_step() */
	if (agent_confwatch_fd(&d->cw) >= 0) {
		ws->cw = n;
		pfd[n++] = (struct pollfd){.fd = agent_confwatch_fd(&d->cw), .events = POLLIN};
	}
	ws->ctl0 = n;
	ws->nctl = agent_ctl_pollfds(&d->ctl, pfd + n, AGENT_CTL_CLIENTS + 1);
	n += ws->nctl;
	ws->idle0 = n;
	ws->nidle = idle_fds(d->ctx, idle_fd, MAX_IDLE_FDS);
	for (i = 0; i < ws->nidle; i++)
		pfd[n++] = (struct pollfd){.fd = idle_fd[i], .events = POLLIN};
	ws->n = n;
}

/* The signals read from the signalfd: SIGHUP reloads and reconciles; SIGTERM and SIGINT end
 * the loop. Returns 1 to exit, else 0. */
static int read_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			agent_log(LOG_NOTICE, "SIGHUP: reloading the configuration, then"
					      " reconciling with slurmctld");
			reload_start(d);
			reconcile_now(d);
		} else {
			agent_log(LOG_NOTICE,
				  "signal %u: exiting; node %s left as it"
				  " is",
				  si.ssi_signo, d->node);
			agent_sd_stopping(&d->sdn, "exiting on a signal");
			return 1;
		}
	}
	return 0;
}

/* The owner's input on one of the sources' descriptors. */
static void owner_input(struct daemon *d)
{
	idle_input(d->ctx);
	/* The owner is back: decide now, not at the next tick. Input while already judged
	 * present changes nothing, so it costs no sample. */
	if (d->st.verdict.owner != IDLE_OWNER_PRESENT || d->st.verdict.run || d->st.verdict.offer)
		sample(d);
}

static int run(struct daemon *d)
{
	struct waitset ws;
	char why[sizeof(d->cw.why)];
	char status[AGENT_SD_STATUS_LEN];

	sample(d);
	agent_mem_trim(); /* what setting up wrote below this frame */
	agent_sd_ready(&d->sdn, agent_sd_status_line(&d->st, now_ms(d), status, sizeof(status)));
	for (;;) {
		struct pollfd *pfd = ws.pfd;
		bool input = false;
		int i, r;

		if (!shutdown_step(d))
			cycle(d);
		agent_sd_status(
		    &d->sdn, d->shutting_down
				 ? "desktop shutting down: requeueing its jobs"
				 : agent_sd_status_line(&d->st, now_ms(d), status, sizeof(status)));
		wait_on(d, &ws);
		r = poll(pfd, (nfds_t)ws.n, timeout_ms(d));
		if (r < 0 && errno != EINTR) {
			agent_log(LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		if (r > 0 && pfd[0].revents && read_signals(d))
			return 0;
		if (r > 0 && pfd[1].revents)
			apply_results(d);
		if (r > 0 && pfd[2].revents)
			reload_finish(d);
		if (r > 0 && ws.cw >= 0 && pfd[ws.cw].revents)
			agent_confwatch_read(&d->cw, now_ms(d));
		if (agent_confwatch_due(&d->cw, now_ms(d), why, sizeof(why)))
			config_fresh(d, why);
		for (i = ws.idle0; r > 0 && i < ws.idle0 + ws.nidle; i++)
			if (pfd[i].revents)
				input = true;
		if (input)
			owner_input(d);
		if (r > 0 && ws.nctl)
			agent_ctl_serve(&d->ctl, pfd + ws.ctl0, ws.nctl);
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
	agent_pred_stop(&d->pred);
	if (d->rl.busy) { /* a reload being parsed at exit: wait for it, drop it */
		pthread_join(d->rl.thread, NULL);
		idle_config_free(d->rl.r->cfg);
		free(d->rl.r);
		d->rl.r = NULL;
	}
	if (d->rl.pipe[0] >= 0)
		close(d->rl.pipe[0]), close(d->rl.pipe[1]);
	agent_ctl_close(&d->ctl);
	agent_confwatch_close(&d->cw);
	agent_shutdown_close(d->sd);
	if (d->locked)
		unlink(d->pid_path);
	/* Gone with the agent: node_exporter would go on serving the last figures as current. */
	if (d->locked && d->metrics_path[0])
		unlink(d->metrics_path);
	if (d->pidfd >= 0)
		close(d->pidfd);
	if (d->w && agent_worker_stop(d->w, STOP_WAIT_MS))
		agent_slurm_fini();
	agent_localstop_free(&d->ls);
	agent_cap_close(&d->cap);
	idle_close(d->ctx);
	idle_config_free(d->cfg);
	free(d->conf_path);
	d->conf_path = NULL;
	agent_log_close();
}

/* read_options() returns this to go on; any other value is the exit status. */
#define OPTIONS_GO_ON (-1)

/* The command line into [d] and [*check] (-n). */
static int read_options(struct daemon *d, int argc, char **argv, bool *check)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:DnN:s:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			/* Absolute: the daemon works from / and rereads it on SIGHUP. */
			free(d->conf_path);
			if (!(d->conf_path = realpath(optarg, NULL)) &&
			    !(d->conf_path = strdup(optarg))) {
				perror("idleaccd");
				return 1;
			}
			d->conf_given = true;
			break;
		case 'D':
			d->foreground = true;
			break;
		case 'n':
			*check = true;
			break;
		case 'N':
			if (strlen(optarg) >= sizeof(d->node) || !optarg[0]) {
				fprintf(stderr, "idleaccd: bad node name \"%s\"\n", optarg);
				return 2;
			}
			snprintf(d->node, sizeof(d->node), "%s", optarg);
			break;
		case 's':
			if (strlen(optarg) >= sizeof(d->sock_path)) {
				fprintf(stderr,
					"idleaccd: -s %s: a socket's path is at most %zu bytes\n",
					optarg, sizeof(d->sock_path) - 1);
				return 2;
			}
			snprintf(d->sock_path, sizeof(d->sock_path), "%s", optarg);
			break;
		case 'v':
			d->verbose++;
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
	return OPTIONS_GO_ON;
}

/* -n: what the start would refuse, as far as it can be seen now. Returns the exit status. */
static int check_only(struct daemon *d)
{
	char err[4096];

	if (check_dirs(agent_conf(d->cfg), true, err, sizeof(err)) < 0) {
		fprintf(stderr, "idleaccd: %s\n", err);
		return 1;
	}
	/* Say so when nothing was read: an admin checking a file that is not where idleaccd
	 * looks must not be told it is fine. */
	if (!agent_conf_found_path(&d->found)[0])
		fprintf(stderr,
			"idleaccd: no configuration found (looked at %s): the built-in"
			" defaults apply\n",
			agent_conf_found_looked(&d->found));
	else if (idle_config_empty(d->cfg))
		fprintf(stderr, "idleaccd: %s sets nothing: the built-in defaults apply\n",
			agent_conf_found_path(&d->found));
	printf("configuration OK\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d; /* large: keep it off the stack */
	char err[4096];
	bool check = false;
	int rc;

	agent_slurm_conf_take(); /* before libslurm may change it */

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
	d.cw.fd = -1;
	if ((rc = read_options(&d, argc, argv, &check)) != OPTIONS_GO_ON)
		return rc;
	d.cfg = load_config(&d, &d.found, err, sizeof(err));
	if (!d.cfg) {
		fprintf(stderr, "%s%s", err, err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
		return 1;
	}
	if (check) {
		rc = check_only(&d);
		idle_config_free(d.cfg);
		return rc;
	}
	agent_log_open(true, d.verbose); /* stderr until we detach */
	if (!agent_conf_found_path(&d.found)[0])
		agent_log(LOG_WARNING,
			  "no configuration found (looked at %s): using built-in defaults",
			  agent_conf_found_looked(&d.found));
	else if (idle_config_empty(d.cfg))
		agent_log(LOG_WARNING, "%s sets nothing: using built-in defaults",
			  agent_conf_found_path(&d.found));
	else
		agent_log(LOG_INFO, "configuration from %s", agent_conf_found_path(&d.found));
	rc = setup(&d) < 0 ? 1 : run(&d);
	cleanup(&d);
	return rc;
}
