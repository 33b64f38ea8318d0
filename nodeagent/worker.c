/* SPDX-License-Identifier: MIT */
/*
 * worker.c - the thread that talks to slurmctld: takes actions from a queue, makes the calls
 * (nodeagent/slurm.c), and queues the results for the main loop.
 *
 * Node changes read the node first and never touch a node that someone else drained: the
 * main thread's view may be minutes old, and an admin's reason must never be overwritten.
 * While slurmctld is unreachable every queued call would wait MessageTimeout; after one such
 * failure the rest fail at once until a reconcile gets through again (the main loop sends
 * those with backoff).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "emergency.h"
#include "log.h"
#include "memtrim.h"
#include "slurm.h"
#include "worker.h"

/*
 * The worker's stack (bytes). Its deepest path is a libslurm call (load the node or the jobs,
 * update a job) plus our logging: measured at most 16 KiB touched; 256 KiB leaves a wide
 * margin for libslurm's own buffers and name lookups (NSS) while reserving far less than
 * glibc's 8 MiB default.
 */
#define WORKER_STACK (256 * 1024)

struct item {
	struct item *next;
	struct agent_action act; /* for the action queue */
	struct agent_result res; /* for the result queue */
};

struct agent_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* on the monotonic clock; broadcast when an action is
					 * queued, stop is set or the thread ends */
	struct item *todo, **todo_tail; /* actions, oldest first */
	struct item *done, **done_tail; /* results, oldest first */
	bool stop;			/* the main thread asked us to end */
	bool ended;			/* the thread has ended */
	int efd;			/* eventfd: results are waiting */
	char node[AGENT_NODE_LEN];
	bool offline;			 /* the last call could not reach slurmctld (worker-only) */
	char offline_err[AGENT_ERR_LEN]; /* why, for the calls not tried meanwhile */
	/* Emergency mode (emergency.h), under [lock]: read at every reconcile. */
	char emerg_part[64]; /* the emergency partition; "" while the main thread set none */
	int emerg_seen;	     /* what the last reconcile read: 1 on, 0 off, -1 not yet */
	/* Predicted idle windows (predict.h), under [lock]: published at reconciles and resumes. */
	struct agent_predict_pub pred; /* what the node should show; bucket -1: nothing */
};

static void fail(struct agent_result *r, const char *err)
{
	r->rc = -1;
	r->unreachable = agent_slurm_unreachable();
	snprintf(r->err, sizeof(r->err), "%s", err);
}

/*
 * A reconcile's look at the emergency switch: one partition read (a "no change" answer while
 * nobody switches), and, when the mode differs from what the node's Extra says, the report
 * of the mode this agent now runs with. A failure is logged, never fails the reconcile: the
 * agent keeps the mode it has and the next reconcile tries again.
 */
static void emergency_reconcile(struct agent_worker *w, struct agent_node *node)
{
	char part[sizeof(w->emerg_part)], err[AGENT_ERR_LEN];
	const char *want;
	bool on, member;

	pthread_mutex_lock(&w->lock);
	snprintf(part, sizeof(part), "%s", w->emerg_part);
	pthread_mutex_unlock(&w->lock);
	if (!part[0])
		return;
	if (agent_emergency_read(part, w->node, &on, &member, err, sizeof(err)) < 0) {
		agent_log(LOG_WARNING, "emergency: %s", err);
		return;
	}
	on = on && member; /* a desktop outside the partition stays normal */
	want = agent_emergency_extra(on);
	pthread_mutex_lock(&w->lock);
	w->emerg_seen = on;
	pthread_mutex_unlock(&w->lock);
	if (!strcmp(node->extra, want))
		return;
	if (agent_emergency_report(w->node, want, err, sizeof(err)) < 0)
		agent_log(LOG_WARNING, "emergency: %s", err);
	else
		snprintf(node->extra, sizeof(node->extra), "%s", want);
}

/*
 * The predicted idle window onto the node just read ([node]), through the same update as the
 * emergency report (agent_slurm_set_attrs): only when its Weight or idle_Nh Features differ
 * from the prediction's bucket, so at most one RPC per change of bucket. A failure is logged
 * and tried again at the next reconcile; it never fails the call it rides on.
 */
static void predict_publish(struct agent_worker *w, struct agent_node *node)
{
	struct agent_predict_pub pub;
	struct agent_node_attrs a = {0};
	char feat[sizeof(node->features_avail)], err[AGENT_ERR_LEN];

	pthread_mutex_lock(&w->lock);
	pub = w->pred;
	pthread_mutex_unlock(&w->lock);
	if (pub.bucket < 0)
		return;
	if (agent_predict_features(node->features_avail, pub.features, feat, sizeof(feat)) < 0) {
		agent_log(LOG_WARNING, "predict: the Features of %s leave no room for %s", w->node,
			  pub.features);
		return;
	}
	if (node->weight == pub.weight && !strcmp(feat, node->features_avail))
		return;
	a.weight = pub.weight;
	a.features = feat;
	if (agent_slurm_set_attrs(w->node, &a, err, sizeof(err)) < 0) {
		agent_log(LOG_WARNING, "predict: %s", err);
		return;
	}
	agent_log(LOG_INFO,
		  "predict: node %s Weight %" PRIu32 ", Features \"%s\" (was %" PRIu32 ", \"%s\")",
		  w->node, pub.weight, feat, node->weight, node->features_avail);
	node->weight = pub.weight;
	snprintf(node->features_avail, sizeof(node->features_avail), "%s", feat);
}

void agent_worker_predict(struct agent_worker *w, const struct agent_predict_pub *pub)
{
	pthread_mutex_lock(&w->lock);
	if (pub)
		w->pred = *pub;
	else
		w->pred.bucket = -1;
	pthread_mutex_unlock(&w->lock);
}

void agent_worker_emergency(struct agent_worker *w, const char *partition)
{
	pthread_mutex_lock(&w->lock);
	snprintf(w->emerg_part, sizeof(w->emerg_part), "%s", partition);
	pthread_mutex_unlock(&w->lock);
}

int agent_worker_emergency_seen(struct agent_worker *w)
{
	int v;

	pthread_mutex_lock(&w->lock);
	v = w->emerg_seen;
	pthread_mutex_unlock(&w->lock);
	return v;
}

/*
 * Drains or resumes the node, after reading it: a node an admin (or another tool) drained is
 * not ours to touch, and resuming a node that is not drained has nothing to do (both
 * skipped). On success the node record in [r] shows what slurmctld now holds.
 */
static void drain_or_resume(struct agent_worker *w, struct agent_result *r)
{
	const struct agent_action *a = &r->act;
	char err[AGENT_ERR_LEN] = "";
	int rc;

	if (agent_slurm_node(w->node, &r->node, err, sizeof(err)) < 0) {
		fail(r, err);
		return;
	}
	r->have_node = true;
	if (agent_node_foreign(&r->node) || (a->kind == AGENT_ACT_RESUME && !r->node.drain)) {
		r->skipped = true;
		return;
	}
	if (a->kind == AGENT_ACT_DRAIN) {
		rc = agent_slurm_drain(w->node, a->reason, err, sizeof(err));
		if (!rc) {
			r->node.drain = true;
			snprintf(r->node.reason, sizeof(r->node.reason), "%s", a->reason);
			r->node.reason_uid = (uint32_t)getuid();
			r->node.reason_time = time(NULL);
		}
	} else {
		predict_publish(w, &r->node); /* placed by the prediction from the start */
		rc = agent_slurm_resume(w->node, err, sizeof(err));
		if (!rc) {
			r->node.drain = false;
			r->node.reason[0] = '\0';
		}
	}
	if (rc < 0)
		fail(r, err);
}

static void run(struct agent_worker *w, struct agent_result *r)
{
	const struct agent_action *a = &r->act;
	char err[AGENT_ERR_LEN] = "";
	bool done = false;
	int rc = 0;

	if (w->offline && a->kind != AGENT_ACT_RECONCILE) {
		r->rc = -1;
		r->unreachable = true;
		/* The cause stays in view (status shows the last error): "not tried" alone would
		 * hide that munge, not the network, is failing. */
		snprintf(r->err, sizeof(r->err), "not tried: %.*s", (int)sizeof(r->err) - 12,
			 w->offline_err);
		return;
	}
	switch (a->kind) {
	case AGENT_ACT_RECONCILE:
		if (agent_slurm_node(w->node, &r->node, err, sizeof(err)) < 0) {
			fail(r, err);
			return;
		}
		r->have_node = true;
		emergency_reconcile(w, &r->node);
		predict_publish(w, &r->node);
		/* fall through */
	case AGENT_ACT_JOBS:
		if (agent_slurm_jobs(w->node, &r->jobs, &r->njobs, err, sizeof(err)) < 0) {
			fail(r, err);
			return;
		}
		r->have_jobs = true;
		return;
	case AGENT_ACT_DRAIN:
	case AGENT_ACT_RESUME:
		drain_or_resume(w, r);
		return;
	case AGENT_ACT_SUSPEND:
		rc = agent_slurm_suspend(a->job, err, sizeof(err));
		break;
	case AGENT_ACT_RESUME_JOB:
		rc = agent_slurm_resume_job(a->job, err, sizeof(err));
		break;
	case AGENT_ACT_SIGNAL:
		rc = agent_slurm_signal(a->job, a->sig, err, sizeof(err));
		break;
	case AGENT_ACT_REQUEUE:
		rc = agent_slurm_requeue(a->job, err, sizeof(err));
		break;
	case AGENT_ACT_CANCEL:
		rc = agent_slurm_cancel(a->job, err, sizeof(err));
		break;
	case AGENT_ACT_UNEXCLUDE:
		rc = agent_slurm_unexclude(a->job, w->node, &done, err, sizeof(err));
		r->skipped = !rc && !done;
		break;
	default:
		return;
	}
	if (rc < 0)
		fail(r, err);
}

static void *worker_main(void *arg)
{
	struct agent_worker *w = arg;
	bool trimmed = true;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct item *it;
		uint64_t one = 1;
		struct timespec t0, t1;

		if (!w->todo && !w->stop && !trimmed) {
			/* Done for now: what libslurm's calls wrote of this thread's stack is given
			 * back before it sleeps, perhaps for hours. */
			pthread_mutex_unlock(&w->lock);
			agent_mem_trim();
			pthread_mutex_lock(&w->lock);
			trimmed = true;
		}
		while (!w->todo && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		it = w->todo;
		w->todo = it->next;
		if (!w->todo)
			w->todo_tail = &w->todo;
		pthread_mutex_unlock(&w->lock);

		memset(&it->res, 0, sizeof(it->res));
		it->res.act = it->act;
		it->res.call_us = w->offline && it->act.kind != AGENT_ACT_RECONCILE ? -1 : 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		run(w, &it->res);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (it->res.call_us == 0) /* the metrics' Slurm call latency (metrics.c) */
			it->res.call_us =
			    (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
		if (it->res.rc == 0)
			w->offline = false;
		else if (it->res.unreachable && !w->offline) {
			w->offline = true;
			snprintf(w->offline_err, sizeof(w->offline_err), "%s", it->res.err);
		}
		if (it->act.job)
			agent_log(LOG_DEBUG, "worker: %s job %" PRIu32 ": %s",
				  agent_act_name(it->act.kind), it->act.job,
				  it->res.rc ? it->res.err : "ok");
		else
			agent_log(LOG_DEBUG, "worker: %s %s: %s", agent_act_name(it->act.kind),
				  w->node, it->res.rc ? it->res.err : "ok");

		pthread_mutex_lock(&w->lock);
		trimmed = false;
		it->next = NULL;
		*w->done_tail = it;
		w->done_tail = &it->next;
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only on overflow: it is readable anyway */
		}
	}
	w->ended = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct agent_worker *agent_worker_start(const char *node, char *err, size_t errlen)
{
	struct agent_worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	sigset_t all, old;
	int e;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->node, sizeof(w->node), "%s", node);
	w->emerg_seen = -1;
	w->pred.bucket = -1;
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	/* The stop's timeout must not move with a step of the wall clock. */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &cattr);
	pthread_condattr_destroy(&cattr);
	/* Signals belong to the main thread's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	/* Not the 8 MiB default: see WORKER_STACK. A refused size keeps the default. */
	if (pthread_attr_setstacksize(&attr, WORKER_STACK))
		agent_log(LOG_DEBUG, "worker: default stack size kept");
	e = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, errlen, "pthread_create: %s", strerror(e));
		close(w->efd);
		free(w);
		return NULL;
	}
	return w;
}

int agent_worker_fd(const struct agent_worker *w)
{
	return w->efd;
}

int agent_worker_push(struct agent_worker *w, const struct agent_action *a)
{
	struct item *it = calloc(1, sizeof(*it));

	if (!it)
		return -1;
	it->act = *a;
	pthread_mutex_lock(&w->lock);
	*w->todo_tail = it;
	w->todo_tail = &it->next;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int agent_worker_pop(struct agent_worker *w, struct agent_result *r)
{
	struct item *it;
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	it = w->done;
	if (it) {
		w->done = it->next;
		if (!w->done)
			w->done_tail = &w->done;
	} else if (read(w->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: already drained */
	}
	pthread_mutex_unlock(&w->lock);
	if (!it)
		return 0;
	*r = it->res;
	free(it);
	return 1;
}

bool agent_worker_stop(struct agent_worker *w, int timeout_ms)
{
	struct timespec ts;
	struct item *it;
	bool ended;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	while (!w->ended)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
			break;
	ended = w->ended;
	pthread_mutex_unlock(&w->lock);
	if (!ended)
		return false;	       /* the thread still uses [w]: leave it to process exit */
	pthread_join(w->thread, NULL); /* it has returned, or is about to */
	while ((it = w->todo)) {
		w->todo = it->next;
		free(it);
	}
	while ((it = w->done)) {
		w->done = it->next;
		free(it->res.jobs);
		free(it);
	}
	close(w->efd);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	return true;
}
