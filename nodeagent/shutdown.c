/* SPDX-License-Identifier: MIT */
/*
 * shutdown.c - idleaccd's answer to the owner switching the desktop off: a logind "delay"
 * inhibitor, and on PrepareForShutdown(true) the node drained, its jobs warned and requeued (or
 * cancelled), then the inhibitor released so the shutdown goes on.
 *
 * logind holds a shutdown at most InhibitDelayMaxUSec (5 s by default) for delay inhibitors,
 * then proceeds whatever they do; the sequence is cut to fit: the warning lasts the jobs'
 * grace, at most the delay less AGENT_SHUTDOWN_MARGIN_MS, and the inhibitor is released as soon
 * as every call has answered, or when the delay is spent. The Slurm calls go through the
 * worker like every other; while the sequence runs the planner is not run, so nothing resumes
 * the node before the power goes. After the reboot the agent starts as usual and replaces the
 * reason (it is ours, "IDLEACC:").
 *
 * A job Slurm may not requeue (--no-requeue, or an interactive allocation) would end with the
 * power anyway, and Slurm would then count it as running on a dead node until SlurmdTimeout and
 * fail it (NODE_FAIL). It gets its warning like the others, then is cancelled, said so in the
 * log and in the node's reason: its end is decided here, at once and visibly, never silently.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "shutdown.h"

#ifdef HAVE_SYSTEMD
#include "logind.h"

/* Where the sequence is. */
enum sd_phase {
	SD_IDLE,     /* waiting for PrepareForShutdown */
	SD_LISTING,  /* drain and job listing pushed; waiting for the listing */
	SD_LISTED,   /* the jobs are known; their warning is due */
	SD_WARNING,  /* warning signals sent; requeues due at warn_until_ms */
	SD_STOPPING, /* requeues or cancels pushed; waiting for their answers */
	SD_DONE,     /* inhibitor released: the power may go */
};

/* A job on the node when the shutdown began. */
struct sd_job {
	uint32_t id;
	bool running;	  /* RUNNING (gets the warning); else SUSPENDED */
	bool requeueable; /* Slurm may requeue it (batch, requeue flag set); else it is
			   * cancelled */
};

struct agent_shutdown {
	sd_bus *bus;	      /* to logind */
	int inhibit_fd;	      /* the delay lock logind gave us; -1 if none */
	int64_t delay_max_ms; /* InhibitDelayMaxUSec, in ms */
	char node[AGENT_NODE_LEN];
	bool prepare; /* PrepareForShutdown(true) came and the sequence has not begun */
	bool cancel;  /* PrepareForShutdown(false) came: the shutdown was called off */

	enum sd_phase phase;
	int64_t begun_ms;      /* when the sequence began (monotonic) */
	int64_t warn_until_ms; /* SD_WARNING: when the requeues are due */
	int64_t release_ms;    /* the inhibitor is released by then whatever is pending */
	bool cancel_jobs;      /* on_owner_return: cancel; else requeue */
	int pending;	       /* stopping calls pushed, not answered */
	unsigned requeued;     /* jobs requeued */
	unsigned cancelled;    /* jobs cancelled (cancel_jobs, or not requeueable) */
	unsigned norequeue;    /* of the jobs found, those Slurm may not requeue */
	unsigned failed;       /* jobs whose requeue or cancel failed */
	struct sd_job *jobs;   /* the jobs found on the node */
	size_t njobs;
};

static int on_prepare(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct agent_shutdown *s = userdata;
	int start = 0;

	(void)error;
	if (idle_sd.sd_bus_message_read(m, "b", &start) < 0)
		return 0;
	if (start)
		s->prepare = true;
	else
		s->cancel = true;
	return 0;
}

/* Takes the delay inhibitor. Returns 0, or a negative errno with [err] filled. */
static int take_inhibitor(struct agent_shutdown *s, char *err, size_t errlen)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	int r, fd = -1;

	r = idle_sd.sd_bus_message_new_method_call(s->bus, &m, IDLE_LOGIND_NAME, IDLE_LOGIND_PATH,
						   IDLE_LOGIND_MANAGER, "Inhibit");
	if (r >= 0)
		r = idle_sd.sd_bus_message_append(m, "ssss", "shutdown", "idleaccd",
						  "requeue this desktop's Slurm jobs", "delay");
	if (r >= 0)
		r = idle_sd.sd_bus_call(s->bus, m, IDLE_LOGIND_CALL_TIMEOUT_USEC, &error, &reply);
	if (r >= 0)
		r = idle_sd.sd_bus_message_read(reply, "h", &fd);
	/* The reply owns [fd]: keep a copy of our own. */
	if (r >= 0 && (s->inhibit_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		r = -errno;
	if (r < 0)
		snprintf(err, errlen, "logind: Inhibit: %s", idle_logind_error(&error, r));
	idle_sd.sd_bus_error_free(&error);
	idle_sd.sd_bus_message_unref(reply);
	idle_sd.sd_bus_message_unref(m);
	return r < 0 ? r : 0;
}

/* logind's InhibitDelayMaxUSec; its default (5 s) when it cannot be read. */
static int64_t read_delay_max(struct agent_shutdown *s)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	uint64_t usec = 0;
	int r;

	r = idle_sd.sd_bus_get_property_trivial(s->bus, IDLE_LOGIND_NAME, IDLE_LOGIND_PATH,
						IDLE_LOGIND_MANAGER, "InhibitDelayMaxUSec", &error,
						't', &usec);
	if (r < 0 || usec == 0) {
		agent_log(LOG_WARNING, "logind: InhibitDelayMaxUSec: %s: assuming 5 s",
			  r < 0 ? idle_logind_error(&error, r) : "0");
		usec = 5000000;
	}
	idle_sd.sd_bus_error_free(&error);
	return (int64_t)(usec / 1000);
}

struct agent_shutdown *agent_shutdown_open(const char *address, const char *node, char *err,
					   size_t errlen)
{
	struct agent_shutdown *s = calloc(1, sizeof(*s));
	char why[AGENT_ERR_LEN];
	int r;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->inhibit_fd = -1;
	snprintf(s->node, sizeof(s->node), "%s", node);
	/* Without a bus there is no logind to ask: libsystemd is not even loaded. */
	if (idle_logind_bus_missing(address)) {
		r = -ENOENT;
	} else if (idle_sd_load(why, sizeof(why)) < 0) {
		snprintf(err, errlen, "logind: %s", why);
		free(s);
		return NULL;
	} else {
		r = idle_logind_connect(address, &s->bus);
	}
	if (r < 0) {
		snprintf(err, errlen, "logind: connecting to %s: %s",
			 address[0] ? address : "the system bus", strerror(-r));
		free(s);
		return NULL;
	}
	r = idle_sd.sd_bus_add_match(s->bus, NULL,
				     "type='signal',sender='" IDLE_LOGIND_NAME
				     "',interface='" IDLE_LOGIND_MANAGER
				     "',member='PrepareForShutdown',path='" IDLE_LOGIND_PATH "'",
				     on_prepare, s);
	if (r < 0) {
		snprintf(err, errlen, "logind: watching PrepareForShutdown: %s", strerror(-r));
		agent_shutdown_close(s);
		return NULL;
	}
	if (take_inhibitor(s, err, errlen) < 0) {
		agent_shutdown_close(s);
		return NULL;
	}
	s->delay_max_ms = read_delay_max(s);
	return s;
}

void agent_shutdown_close(struct agent_shutdown *s)
{
	if (!s)
		return;
	if (s->inhibit_fd >= 0)
		close(s->inhibit_fd);
	idle_logind_disconnect(&s->bus);
	free(s->jobs);
	free(s);
}

int agent_shutdown_pollfd(struct agent_shutdown *s, struct pollfd *pfd)
{
	int ev;

	if (!s->bus || (ev = idle_sd.sd_bus_get_events(s->bus)) < 0)
		return 0;
	*pfd = (struct pollfd){.fd = idle_sd.sd_bus_get_fd(s->bus), .events = (short)ev};
	return pfd->fd >= 0;
}

int64_t agent_shutdown_deadline(const struct agent_shutdown *s)
{
	if (s->prepare || s->cancel || s->phase == SD_LISTED)
		return clock_mono_ms();
	switch (s->phase) {
	case SD_WARNING:
		return s->warn_until_ms < s->release_ms ? s->warn_until_ms : s->release_ms;
	case SD_LISTING:
	case SD_STOPPING:
		return s->release_ms;
	default:
		return 0;
	}
}

static void release(struct agent_shutdown *s, int64_t now)
{
	char extra[96] = "";

	if (s->inhibit_fd >= 0)
		close(s->inhibit_fd);
	s->inhibit_fd = -1;
	s->phase = SD_DONE;
	if (!s->cancel_jobs && s->norequeue)
		snprintf(extra, sizeof(extra), ", %u of %u that may not be requeued cancelled",
			 s->cancelled, s->norequeue);
	agent_log(LOG_NOTICE,
		  "shutdown: node %s drained, %u of %zu jobs %s%s%s in %" PRId64
		  " ms: letting the shutdown go on",
		  s->node, s->cancel_jobs ? s->cancelled : s->requeued,
		  s->cancel_jobs ? s->njobs : s->njobs - s->norequeue,
		  s->cancel_jobs ? "cancelled" : "requeued", extra,
		  s->pending ? " (calls still pending: the delay is spent)" : "",
		  now - s->begun_ms);
}

static int push_one(agent_shutdown_push_fn push, void *arg, enum agent_act kind, uint32_t job,
		    int sig, const char *reason)
{
	struct agent_action a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.job = job;
	a.sig = sig;
	a.rkey.n = -1;
	if (reason)
		snprintf(a.reason, sizeof(a.reason), "%s", reason);
	return push(arg, &a);
}

/* PrepareForShutdown(true): drain the node and list its jobs. */
static void begin(struct agent_shutdown *s, const struct agent_params *p,
		  agent_shutdown_push_fn push, void *arg, int64_t now)
{
	s->prepare = false;
	s->phase = SD_LISTING;
	s->begun_ms = now;
	/* Released a little before logind would go on anyway: the log then says what was
	 * still pending, rather than nothing. */
	s->release_ms = now + s->delay_max_ms - AGENT_SHUTDOWN_MARGIN_MS / 4;
	s->cancel_jobs = p->pol.on_owner_return == IDLE_RETURN_CANCEL;
	s->pending = 0;
	s->requeued = s->cancelled = s->failed = s->norequeue = 0;
	free(s->jobs);
	s->jobs = NULL;
	s->njobs = 0;
	agent_log(LOG_NOTICE, "logind: the desktop is shutting down: draining %s, %s its jobs",
		  s->node, s->cancel_jobs ? "cancelling" : "requeueing");
	if (push_one(push, arg, AGENT_ACT_DRAIN, 0, 0,
		     s->cancel_jobs ? AGENT_SHUTDOWN_REASON_CANCEL
				    : AGENT_SHUTDOWN_REASON_REQUEUE) < 0 ||
	    push_one(push, arg, AGENT_ACT_JOBS, 0, 0, NULL) < 0) {
		agent_log(LOG_ERR, "shutdown: out of memory: the jobs are left to Slurm");
		release(s, now);
	}
}

/*
 * The jobs are known: say in the reason if some may not be requeued, and warn the running
 * ones (suspended ones cannot catch a signal; they are resumed just before their requeue, so
 * they are not held). Every job is requeued when the
 * longest grace is over, cut to what the delay allows: one deadline, not one per job.
 */
static void warn(struct agent_shutdown *s, struct agent_state *st, const struct agent_params *p,
		 agent_shutdown_push_fn push, void *arg, int64_t now)
{
	int64_t budget = s->delay_max_ms - AGENT_SHUTDOWN_MARGIN_MS - (now - s->begun_ms);
	int64_t longest = 0;
	size_t i;

	/* The reason says it too: an admin reading sinfo -R sees why such a job ended. */
	if (s->norequeue) {
		char reason[AGENT_REASON_LEN];

		snprintf(reason, sizeof(reason), AGENT_SHUTDOWN_REASON_NOREQUEUE, s->norequeue);
		if (push_one(push, arg, AGENT_ACT_DRAIN, 0, 0, reason) < 0)
			agent_log(LOG_ERR, "shutdown: out of memory: reason not updated");
	}
	for (i = 0; i < s->njobs; i++) {
		struct agent_tjob none, *j = agent_job_find(st, s->jobs[i].id);
		int64_t grace_ms;
		int sig;

		if (!s->jobs[i].running)
			continue;
		if (!j) {
			memset(&none, 0, sizeof(none));
			j = &none;
		}
		agent_job_warning(p, j, &sig, &grace_ms);
		if (sig <= 0)
			continue;
		if (push_one(push, arg, AGENT_ACT_SIGNAL, s->jobs[i].id, sig, NULL) == 0 &&
		    grace_ms > longest)
			longest = grace_ms;
	}
	if (longest > budget)
		longest = budget > 0 ? budget : 0;
	s->phase = SD_WARNING;
	s->warn_until_ms = now + longest;
	if (longest)
		agent_log(LOG_INFO, "shutdown: jobs warned, requeued in %" PRId64 " ms", longest);
}

/* The warning is over: requeue (or cancel) every job. */
static void stop_jobs(struct agent_shutdown *s, agent_shutdown_push_fn push, void *arg, int64_t now)
{
	size_t i;

	s->phase = SD_STOPPING;
	for (i = 0; i < s->njobs; i++) {
		bool cancel = s->cancel_jobs || !s->jobs[i].requeueable;

		if (push_one(push, arg, cancel ? AGENT_ACT_CANCEL : AGENT_ACT_REQUEUE,
			     s->jobs[i].id, 0, NULL) == 0)
			s->pending++;
		else
			s->failed++;
	}
	if (!s->pending)
		release(s, now);
}

bool agent_shutdown_step(struct agent_shutdown *s, struct agent_state *st,
			 const struct agent_params *p, agent_shutdown_push_fn push, void *arg)
{
	int64_t now = clock_mono_ms();
	char err[AGENT_ERR_LEN];
	int r = 0;

	while (s->bus && (r = idle_sd.sd_bus_process(s->bus, NULL)) > 0)
		;
	if (s->bus && r < 0) {
		agent_log(LOG_ERR, "logind: connection lost (%s): shutdowns no longer watched",
			  strerror(-r));
		idle_logind_disconnect(&s->bus);
	}
	if (s->cancel) {
		s->cancel = false;
		if (s->phase != SD_IDLE) {
			agent_log(LOG_NOTICE,
				  "logind: the shutdown was called off: %s is the"
				  " planner's again",
				  s->node);
			s->phase = SD_IDLE;
			if (s->inhibit_fd < 0 && s->bus && take_inhibitor(s, err, sizeof(err)) < 0)
				agent_log(LOG_ERR, "%s", err);
		}
	}
	if (s->prepare && (s->phase == SD_IDLE || s->phase == SD_DONE))
		begin(s, p, push, arg, now);
	s->prepare = false;
	if (s->phase == SD_LISTED)
		warn(s, st, p, push, arg, now);
	if (s->phase > SD_IDLE && s->phase < SD_DONE && now >= s->release_ms) {
		release(s, now);
	} else if (s->phase == SD_WARNING && now >= s->warn_until_ms) {
		stop_jobs(s, push, arg, now);
	}
	return s->phase != SD_IDLE;
}

void agent_shutdown_result(struct agent_shutdown *s, const struct agent_result *r)
{
	size_t i;

	switch (s->phase) {
	case SD_LISTING:
		if (r->act.kind == AGENT_ACT_DRAIN && r->rc)
			agent_log(LOG_ERR, "shutdown: drain %s failed: %s", s->node, r->err);
		else if (r->act.kind == AGENT_ACT_DRAIN && r->skipped)
			agent_log(LOG_NOTICE, "shutdown: %s drained by someone else: left so",
				  s->node);
		if (r->act.kind != AGENT_ACT_JOBS && r->act.kind != AGENT_ACT_RECONCILE)
			return;
		if (r->rc || !r->have_jobs) {
			agent_log(LOG_ERR, "shutdown: listing the jobs on %s failed: %s", s->node,
				  r->err);
			release(s, clock_mono_ms());
			return;
		}
		s->jobs = calloc(r->njobs ? r->njobs : 1, sizeof(*s->jobs));
		for (i = 0; s->jobs && i < r->njobs; i++) {
			const struct agent_job *j = &r->jobs[i];

			if (j->completing || !(j->running || j->suspended))
				continue;
			s->jobs[s->njobs].id = j->id;
			s->jobs[s->njobs].requeueable = j->requeueable;
			s->jobs[s->njobs++].running = j->running;
			if (!j->requeueable && !s->cancel_jobs) {
				s->norequeue++;
				agent_log(LOG_WARNING,
					  "shutdown: job %" PRIu32
					  " may not be requeued (--no-requeue"
					  " or not a batch job): cancelled after its warning, since"
					  " the power-off would end it",
					  j->id);
			}
		}

		/* The warning needs the policy: agent_shutdown_step() sends it next. */
		s->phase = SD_LISTED;
		return;
	case SD_STOPPING:
		if (r->act.kind != AGENT_ACT_CANCEL && r->act.kind != AGENT_ACT_REQUEUE)
			return;
		for (i = 0; i < s->njobs && s->jobs[i].id != r->act.job; i++)
			;
		if (i == s->njobs)
			return;
		s->pending--;
		if (r->rc) {
			s->failed++;
			agent_log(LOG_ERR, "shutdown: job %" PRIu32 " not %s: %s", r->act.job,
				  r->act.kind == AGENT_ACT_CANCEL ? "cancelled" : "requeued",
				  r->err);
		} else if (r->act.kind == AGENT_ACT_CANCEL) {
			s->cancelled++;
			agent_log(LOG_NOTICE,
				  "shutdown: cancelled job %" PRIu32 " (desktop shutting down%s)",
				  r->act.job,
				  s->jobs[i].requeueable ? "" : "; it may not be requeued");
		} else {
			s->requeued++;
			agent_log(LOG_NOTICE,
				  "shutdown: requeued job %" PRIu32 " (desktop shutting down)",
				  r->act.job);
		}
		if (!s->pending)
			release(s, clock_mono_ms());
		return;
	default:
		return;
	}
}

#else /* !HAVE_SYSTEMD */

struct agent_shutdown *agent_shutdown_open(const char *address, const char *node, char *err,
					   size_t errlen)
{
	(void)address, (void)node;
	snprintf(err, errlen, "built without sd-bus: shutdowns are not watched");
	return NULL;
}

void agent_shutdown_close(struct agent_shutdown *s)
{
	(void)s;
}

int agent_shutdown_pollfd(struct agent_shutdown *s, struct pollfd *pfd)
{
	(void)s, (void)pfd;
	return 0;
}

int64_t agent_shutdown_deadline(const struct agent_shutdown *s)
{
	(void)s;
	return 0;
}

bool agent_shutdown_step(struct agent_shutdown *s, struct agent_state *st,
			 const struct agent_params *p, agent_shutdown_push_fn push, void *arg)
{
	(void)s, (void)st, (void)p, (void)push, (void)arg;
	return false;
}

void agent_shutdown_result(struct agent_shutdown *s, const struct agent_result *r)
{
	(void)s, (void)r;
}

#endif /* HAVE_SYSTEMD */
