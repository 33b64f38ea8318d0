/* SPDX-License-Identifier: MIT */
/* slurm.c - the agent's only caller of libslurm: node state, a node's jobs, actions on them. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "slurm.h"

/*
 * Slurm's error number of the last failed call, 0 after a success. The agent makes every Slurm
 * call from one worker thread (see slurm.h), which also asks agent_slurm_unreachable().
 */
static int last_errno;

/*
 * The jobs on the node as of the last full job list, reused while slurmctld answers "no change
 * since" its time stamp: on a large cluster the list is the most expensive thing the agent asks
 * for, and 22.05 has no per-node job query, so the agent asks for changes only. Only the node's
 * jobs are kept, as agent_slurm_jobs() returns them: the cluster's list (a few KiB a job,
 * thousands of jobs) is freed at once, not kept in every desktop's memory between listings.
 */
static struct {
	bool valid;		   /* a listing was read */
	time_t last_update;	   /* its time stamp, for "changes since" */
	char node[AGENT_NODE_LEN]; /* the node it was filtered for */
	struct agent_job *v;	   /* its jobs on [node]; NULL if none */
	size_t n;
} jobs_cache;

static void jobs_cache_clear(void)
{
	free(jobs_cache.v);
	jobs_cache.v = NULL;
	jobs_cache.n = 0;
	jobs_cache.valid = false;
}

/* slurm_init() has run (and slurm_fini() has not). */
static bool initialized;

/* [e] says the request or its answer was lost on the way, not that slurmctld refused it. */
static bool is_comm_error(int e)
{
	switch (e) {
	case SLURM_COMMUNICATIONS_CONNECTION_ERROR:
	case SLURM_COMMUNICATIONS_SEND_ERROR:
	case SLURM_COMMUNICATIONS_RECEIVE_ERROR:
	case SLURM_COMMUNICATIONS_SHUTDOWN_ERROR:
	case SLURM_COMMUNICATIONS_MISSING_SOCKET_ERROR:
	case SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR:
	case SLURMCTLD_COMMUNICATIONS_SEND_ERROR:
	case SLURMCTLD_COMMUNICATIONS_RECEIVE_ERROR:
	case SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR:
	case SLURM_PROTOCOL_SOCKET_IMPL_ZERO_RECV_LENGTH:
	case SLURM_PROTOCOL_SOCKET_IMPL_NEGATIVE_RECV_LENGTH:
	case SLURM_PROTOCOL_SOCKET_IMPL_NOT_ALL_DATA_SENT:
	case ESLURM_PROTOCOL_INCOMPLETE_PACKET:
	case SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT:
	case SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT:
	case ESLURM_IN_STANDBY_MODE:
	case ESLURM_IN_STANDBY_USE_BACKUP:
	case ESLURM_AUTH_NET_ERROR:
	case ETIMEDOUT:
	case ECONNREFUSED:
	case ECONNRESET:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return true;
	default:
		return false;
	}
}

/*
 * [e] says the request could not be signed or its credential was refused: munged is down, its
 * key differs from slurmctld's, or the clocks are too far apart. slurmctld is then as good as
 * unreachable: nothing the agent asks can be done until munge works again.
 */
static bool is_auth_error(int e)
{
	return e == SLURM_PROTOCOL_AUTHENTICATION_ERROR ||
	       (e >= ESLURM_AUTH_CRED_INVALID && e <= ESLURM_AUTH_SKIP);
}

static int ok(void)
{
	last_errno = 0;
	return 0;
}

/* Fails with "OP TARGET: Slurm's message for [e]"; agent_slurm_unreachable() reads [e]. */
static int fail_with(int e, char *err, size_t errlen, const char *op, const char *target)
{
	last_errno = e;
	snprintf(err, errlen, "%s %s: %s%s", op, target,
		 e ? slurm_strerror(e) : "failed without an error code",
		 is_auth_error(e) ? " (munge: is munged running, with slurmctld's key?)" : "");
	return -1;
}

/* Fails with the error the last libslurm call left. */
static int fail(char *err, size_t errlen, const char *op, const char *target)
{
	return fail_with(slurm_get_errno(), err, errlen, op, target);
}

/* Fails for a reason of our own ([msg]), not a Slurm error: never "unreachable". */
static int fail_msg(char *err, size_t errlen, const char *op, const char *target, const char *msg)
{
	last_errno = EINVAL;
	snprintf(err, errlen, "%s %s: %s", op, target, msg);
	return -1;
}

static const char *job_name(uint32_t job, char *buf, size_t len)
{
	snprintf(buf, len, "%u", job);
	return buf;
}

/*
 * Base node state, named as Slurm names it. Mapped here rather than through
 * slurm_node_state_string(), which libslurm exports but no public header declares.
 */
static const char *node_base_name(uint32_t state)
{
	switch (state & NODE_STATE_BASE) {
	case NODE_STATE_UNKNOWN:
		return "UNKNOWN";
	case NODE_STATE_DOWN:
		return "DOWN";
	case NODE_STATE_IDLE:
		return "IDLE";
	case NODE_STATE_ALLOCATED:
		return "ALLOCATED";
	case NODE_STATE_ERROR:
		return "ERROR";
	case NODE_STATE_MIXED:
		return "MIXED";
	case NODE_STATE_FUTURE:
		return "FUTURE";
	default:
		return "?";
	}
}

/*
 * Job state as squeue -o %T and scontrol print it: the base state, except that a job whose
 * processes are still being cleaned up is "COMPLETING" (as in Slurm's own job_state_string()).
 */
static const char *job_state_name(uint32_t state)
{
	if (state & JOB_COMPLETING)
		return "COMPLETING";
	switch (state & JOB_STATE_BASE) {
	case JOB_PENDING:
		return "PENDING";
	case JOB_RUNNING:
		return "RUNNING";
	case JOB_SUSPENDED:
		return "SUSPENDED";
	case JOB_COMPLETE:
		return "COMPLETED";
	case JOB_CANCELLED:
		return "CANCELLED";
	case JOB_FAILED:
		return "FAILED";
	case JOB_TIMEOUT:
		return "TIMEOUT";
	case JOB_NODE_FAIL:
		return "NODE_FAIL";
	case JOB_PREEMPTED:
		return "PREEMPTED";
	case JOB_BOOT_FAIL:
		return "BOOT_FAIL";
	case JOB_DEADLINE:
		return "DEADLINE";
	case JOB_OOM:
		return "OUT_OF_MEMORY";
	default:
		return "?";
	}
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/*
 * Initializes libslurm from [conf] (NULL: $SLURM_CONF, else the built-in path or configless
 * lookup). slurm_init() exits the process on a configuration it cannot read, so an explicit
 * file (argument or $SLURM_CONF) that cannot be read fails here first. A second call is a no-op.
 * Returns 0, or -1 with [err] filled.
 */
int agent_slurm_init(const char *conf, char *err, size_t errlen)
{
	const char *file = conf ? conf : getenv("SLURM_CONF");

	if (initialized)
		return ok();
	if (file && *file && access(file, R_OK) != 0)
		return fail_msg(err, errlen, "read", file, strerror(errno));
	slurm_init(conf);
	initialized = true;
	return ok();
}

/* Frees what the layer keeps (the cached job list) and libslurm's state. Safe without init. */
void agent_slurm_fini(void)
{
	jobs_cache_clear();
	if (initialized) {
		slurm_fini();
		initialized = false;
	}
}

static void fill_node(const node_info_t *n, struct agent_node *out)
{
	memset(out, 0, sizeof(*out));
	copy_str(out->name, sizeof(out->name), n->name);
	copy_str(out->state, sizeof(out->state), node_base_name(n->node_state));
	out->drain = n->node_state & NODE_STATE_DRAIN;
	out->down = (n->node_state & NODE_STATE_BASE) == NODE_STATE_DOWN;
	out->not_responding = n->node_state & NODE_STATE_NO_RESPOND;
	copy_str(out->reason, sizeof(out->reason), n->reason);
	if (n->reason && *n->reason) {
		out->reason_uid = n->reason_uid;
		out->reason_time = n->reason_time;
	}
	copy_str(out->extra, sizeof(out->extra), n->extra);
	out->weight = n->weight;
	copy_str(out->features_avail, sizeof(out->features_avail), n->features);
}

/* For bsearch() over the fleet's nodes sorted by name. */
static int fleet_cmp(const void *a, const void *b)
{
	return strcmp(((const struct agent_fleet_node *)a)->node.name,
		      ((const struct agent_fleet_node *)b)->node.name);
}

/* Counts job [j] on every node of its allocation in [sorted] (by name). */
static void fleet_count(struct agent_fleet_node *sorted, size_t n, const slurm_job_info_t *j)
{
	uint32_t base = j->job_state & JOB_STATE_BASE;
	struct agent_fleet_node key, *f;
	hostlist_t hl;
	char *h;

	if ((base != JOB_RUNNING && base != JOB_SUSPENDED) || (j->job_state & JOB_COMPLETING) ||
	    !j->nodes || !*j->nodes || !(hl = slurm_hostlist_create(j->nodes)))
		return;
	while ((h = slurm_hostlist_shift(hl))) {
		copy_str(key.node.name, sizeof(key.node.name), h);
		free(h);
		f = bsearch(&key, sorted, n, sizeof(*sorted), fleet_cmp);
		if (f && base == JOB_RUNNING)
			f->running++;
		else if (f)
			f->suspended++;
	}
	slurm_hostlist_destroy(hl);
}

int agent_slurm_fleet(struct agent_fleet_node **nodes, size_t *nnodes, char *err, size_t errlen)
{
	node_info_msg_t *ni = NULL;
	job_info_msg_t *ji = NULL;
	struct agent_fleet_node *out, *sorted;
	size_t i, n;

	*nodes = NULL;
	*nnodes = 0;
	if (slurm_load_node(0, &ni, SHOW_ALL) != SLURM_SUCCESS)
		return fail(err, errlen, "read", "the nodes");
	if (slurm_load_jobs(0, &ji, SHOW_ALL) != SLURM_SUCCESS) {
		slurm_free_node_info_msg(ni);
		return fail(err, errlen, "read", "the jobs");
	}
	n = ni->record_count;
	out = calloc(n ? n : 1, sizeof(*out));
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!out || !sorted) {
		free(out);
		free(sorted);
		slurm_free_node_info_msg(ni);
		slurm_free_job_info_msg(ji);
		return fail_msg(err, errlen, "read", "the nodes", strerror(ENOMEM));
	}
	for (i = 0; i < n; i++) {
		const node_info_t *x = &ni->node_array[i];

		fill_node(x, &out[i].node);
		copy_str(out[i].features, sizeof(out[i].features),
			 x->features_act && *x->features_act ? x->features_act : x->features);
	}
	/* Jobs are counted on a copy sorted by name, then copied back in slurmctld's order. */
	memcpy(sorted, out, n * sizeof(*out));
	qsort(sorted, n, sizeof(*sorted), fleet_cmp);
	for (i = 0; i < ji->record_count; i++)
		fleet_count(sorted, n, &ji->job_array[i]);
	for (i = 0; i < n; i++) {
		struct agent_fleet_node *f =
		    bsearch(&out[i], sorted, n, sizeof(*sorted), fleet_cmp);

		out[i] = *f;
	}
	free(sorted);
	slurm_free_node_info_msg(ni);
	slurm_free_job_info_msg(ji);
	*nodes = out;
	*nnodes = n;
	return ok();
}

/*
 * Reads [node] into [out]. Returns 0, or -1 with [err] filled ("read node d9: Invalid node
 * name specified" for a node slurmctld does not know); [out] is then unchanged.
 */
int agent_slurm_node(const char *node, struct agent_node *out, char *err, size_t errlen)
{
	node_info_msg_t *msg = NULL;
	uint32_t i;

	if (slurm_load_node_single(&msg, (char *)node, SHOW_ALL | SHOW_MIXED) != SLURM_SUCCESS)
		return fail(err, errlen, "read node", node);
	for (i = 0; msg && i < msg->record_count; i++) {
		if (msg->node_array[i].name && strcmp(msg->node_array[i].name, node) == 0) {
			fill_node(&msg->node_array[i], out);
			slurm_free_node_info_msg(msg);
			return ok();
		}
	}
	slurm_free_node_info_msg(msg);
	return fail_with(ESLURM_INVALID_NODE_NAME, err, errlen, "read node", node);
}

/* [a] and [b] name the same host once any domain is dropped ("pc1" and "pc1.uni.example"). */
static bool same_short_host(const char *a, const char *b)
{
	size_t la = strcspn(a, "."), lb = strcspn(b, ".");

	return la == lb && strncmp(a, b, la) == 0;
}

/*
 * Finds the node whose NodeHostname (NodeName when it has none) is [host], and copies its
 * name into [node]. An exact match wins; only when none matches exactly are names compared
 * without their domains, since gethostname() and slurm.conf often disagree on the domain.
 * Returns 0, or -1 with [err] filled when no node or more than one node matches (several
 * slurmd on one host: the caller must name its node).
 */
int agent_slurm_node_of_host(const char *host, char *node, size_t len, char *err, size_t errlen)
{
	node_info_msg_t *msg = NULL;
	char names[128] = "", many[192];
	const char *found = NULL;
	int pass, count = 0;
	uint32_t i;

	if (slurm_load_node(0, &msg, SHOW_ALL) != SLURM_SUCCESS)
		return fail(err, errlen, "find node of host", host);
	for (pass = 0; pass < 2 && count == 0; pass++) {
		for (i = 0; i < msg->record_count; i++) {
			const node_info_t *n = &msg->node_array[i];
			const char *h =
			    n->node_hostname && *n->node_hostname ? n->node_hostname : n->name;

			if (!n->name || !h)
				continue;
			if (pass == 0 ? strcmp(h, host) != 0 : !same_short_host(h, host))
				continue;
			if (count++ == 0)
				found = n->name;
			if (count <= 4) {
				size_t used = strlen(names);

				snprintf(names + used, sizeof(names) - used, "%s%s",
					 used ? ", " : "", count == 4 ? "..." : n->name);
			}
		}
	}
	if (count == 1 && strlen(found) < len) {
		copy_str(node, len, found);
		slurm_free_node_info_msg(msg);
		return ok();
	}
	slurm_free_node_info_msg(msg);
	if (count == 0)
		return fail_msg(err, errlen, "find node of host", host,
				"no node has this host name");
	if (count == 1)
		return fail_msg(err, errlen, "find node of host", host, "node name too long");
	snprintf(many, sizeof(many), "%d nodes share this host (%s): name the node", count, names);
	return fail_msg(err, errlen, "find node of host", host, many);
}

/*
 * Sets the DRAIN flag on [node] with [reason], which must be non-empty (the C API, unlike
 * scontrol, accepts an empty one, and admins read it in sinfo -R). Running jobs keep running.
 * Draining a drained node replaces its reason. Returns 0, or -1 with [err] filled.
 */
int agent_slurm_drain(const char *node, const char *reason, char *err, size_t errlen)
{
	update_node_msg_t m;

	if (!reason || !*reason)
		return fail_msg(err, errlen, "drain", node, "a reason is required");
	slurm_init_update_node_msg(&m);
	m.node_names = (char *)node;
	m.node_state = NODE_STATE_DRAIN;
	m.reason = (char *)reason;
	m.reason_uid = getuid();
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return fail(err, errlen, "drain", node);
	return ok();
}

/*
 * The one update of the fields the agent publishes (slurm.h). The available and the active
 * Features are set together: slurmctld 22.05 copies new available Features into the active
 * ones only after checking that the active ones are a subset of them, so an update that
 * drops a feature (a shorter window predicted) is refused with "Active features not subset
 * of available features" unless the active list comes with it. Desktops run no node_features
 * plugin, for which the two would differ until a reboot.
 */
int agent_slurm_set_attrs(const char *node, const struct agent_node_attrs *a, char *err,
			  size_t errlen)
{
	update_node_msg_t m;

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)node;
	m.extra = (char *)a->extra;
	if (a->weight)
		m.weight = a->weight;
	m.features = (char *)a->features;
	m.features_act = (char *)a->features;
	if (slurm_update_node(&m) != SLURM_SUCCESS)
		return fail(err, errlen, "update", node);
	return ok();
}

/*
 * Clears DRAIN on [node] (NODE_RESUME), and with it the reason. A node without DRAIN is left as
 * it is and that is a success, so the caller need not read the node first. Returns 0, or -1
 * with [err] filled.
 */
int agent_slurm_resume(const char *node, char *err, size_t errlen)
{
	update_node_msg_t m;
	struct agent_node n;
	char e2[8];

	slurm_init_update_node_msg(&m);
	m.node_names = (char *)node;
	m.node_state = NODE_RESUME;
	if (slurm_update_node(&m) == SLURM_SUCCESS)
		return ok();
	/* slurmctld refuses to resume a node that is not drained or down: nothing to undo. */
	if (slurm_get_errno() == ESLURM_INVALID_NODE_STATE &&
	    agent_slurm_node(node, &n, e2, sizeof(e2)) == 0 && !n.drain && !n.down)
		return ok();
	return fail_with(ESLURM_INVALID_NODE_STATE, err, errlen, "resume", node);
}

/* The job holds (part of) [node]: running, suspended or still completing there. */
static bool job_on_node(const slurm_job_info_t *j, const char *node)
{
	uint32_t base = j->job_state & JOB_STATE_BASE;
	hostlist_t hl;
	bool on;

	if (base != JOB_RUNNING && base != JOB_SUSPENDED && !(j->job_state & JOB_COMPLETING))
		return false;
	if (!j->nodes || !*j->nodes)
		return false;
	hl = slurm_hostlist_create(j->nodes);
	if (!hl)
		return false;
	on = slurm_hostlist_find(hl, node) >= 0;
	slurm_hostlist_destroy(hl);
	return on;
}

static void fill_job(const slurm_job_info_t *j, struct agent_job *out)
{
	uint32_t base = j->job_state & JOB_STATE_BASE;

	memset(out, 0, sizeof(*out));
	out->id = j->job_id;
	out->user_id = j->user_id;
	copy_str(out->state, sizeof(out->state), job_state_name(j->job_state));
	out->completing = j->job_state & JOB_COMPLETING;
	out->running = base == JOB_RUNNING && !out->completing;
	out->suspended = base == JOB_SUSPENDED && !out->completing;
	out->batch = j->batch_flag != 0;
	out->requeueable = out->batch && j->requeue;
	/* scontrol hold / a requeued suspended job: pending with priority 0. */
	out->held = base == JOB_PENDING && j->priority == 0;
	out->start_time = j->start_time;
	/* Slurm's suspend_time is the last suspend OR resume; only the former is asked for. */
	out->suspend_time = out->suspended ? j->suspend_time : 0;
}

/* The jobs of [msg] on [node] into jobs_cache. Returns 0, or -1 (no memory). */
static int jobs_cache_fill(const job_info_msg_t *msg, const char *node)
{
	struct agent_job *v = NULL;
	size_t n = 0;
	uint32_t i;

	jobs_cache_clear();
	for (i = 0; i < msg->record_count; i++) {
		const slurm_job_info_t *j = &msg->job_array[i];
		struct agent_job *nv;

		if (!job_on_node(j, node))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -1;
		}
		v = nv;
		fill_job(j, &v[n++]);
	}
	jobs_cache.v = v;
	jobs_cache.n = n;
	jobs_cache.last_update = msg->last_update;
	snprintf(jobs_cache.node, sizeof(jobs_cache.node), "%s", node);
	jobs_cache.valid = true;
	return 0;
}

/*
 * Lists the jobs that are RUNNING, SUSPENDED or COMPLETING with [node] in their allocation, in
 * a malloc'd array (NULL when there are none) the caller frees. Returns 0, or -1 with [err]
 * filled and *[jobs] NULL.
 */
int agent_slurm_jobs(const char *node, struct agent_job **jobs, size_t *njobs, char *err,
		     size_t errlen)
{
	bool cached = jobs_cache.valid && !strcmp(jobs_cache.node, node);
	job_info_msg_t *msg = NULL;
	int r;

	*jobs = NULL;
	*njobs = 0;
	if (slurm_load_jobs(cached ? jobs_cache.last_update : 0, &msg, SHOW_ALL) != SLURM_SUCCESS) {
		if (!cached || slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA)
			return fail(err, errlen, "list jobs of", node);
	} else {
		r = jobs_cache_fill(msg, node);
		slurm_free_job_info_msg(msg);
		if (r < 0)
			return fail_msg(err, errlen, "list jobs of", node, strerror(ENOMEM));
	}
	if (jobs_cache.n) {
		*jobs = malloc(jobs_cache.n * sizeof(**jobs));
		if (!*jobs)
			return fail_msg(err, errlen, "list jobs of", node, strerror(ENOMEM));
		memcpy(*jobs, jobs_cache.v, jobs_cache.n * sizeof(**jobs));
	}
	*njobs = jobs_cache.n;
	return ok();
}

static int job_info(uint32_t job, uint32_t *state, uint32_t *priority);

/*
 * Fails a suspend or resume of [job]. For an unknown job, 22.05's slurmctld answers these with
 * an unexpected message and libslurm reports a socket error ("Zero Bytes were transmitted or
 * received"), which would read as "slurmctld unreachable": such an error is checked by
 * reading the job, whose error (or none: slurmctld is there) is the real one. A lost connection
 * is reported at once, without a second wait.
 */
static int fail_job_op(char *err, size_t errlen, const char *op, uint32_t job)
{
	int e = slurm_get_errno();
	uint32_t state, prio;
	char b[16];

	job_name(job, b, sizeof(b));
	if (e >= SLURM_PROTOCOL_SOCKET_IMPL_ZERO_RECV_LENGTH &&
	    e <= SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT) {
		if (job_info(job, &state, &prio) != 0)
			return fail(err, errlen, op, b);
		return fail_with(SLURM_UNEXPECTED_MSG_ERROR, err, errlen, op, b);
	}
	return fail_with(e, err, errlen, op, b);
}

/* Suspends a running [job] (SIGSTOP to its processes). Returns 0, or -1 with [err] filled. */
int agent_slurm_suspend(uint32_t job, char *err, size_t errlen)
{
	if (slurm_suspend(job) != SLURM_SUCCESS)
		return fail_job_op(err, errlen, "suspend", job);
	return ok();
}

/* Resumes a suspended [job]. Returns 0, or -1 with [err] filled. */
int agent_slurm_resume_job(uint32_t job, char *err, size_t errlen)
{
	if (slurm_resume(job) != SLURM_SUCCESS)
		return fail_job_op(err, errlen, "resume", job);
	return ok();
}

/* Reads one job's state and priority. Returns 0, or -1 with Slurm's errno set. */
static int job_info(uint32_t job, uint32_t *state, uint32_t *priority)
{
	job_info_msg_t *msg = NULL;

	if (slurm_load_job(&msg, job, SHOW_ALL) != SLURM_SUCCESS)
		return -1;
	if (!msg || msg->record_count == 0) {
		slurm_free_job_info_msg(msg);
		slurm_seterrno(ESLURM_INVALID_JOB_ID);
		return -1;
	}
	*state = msg->job_array[0].job_state;
	*priority = msg->job_array[0].priority;
	slurm_free_job_info_msg(msg);
	return 0;
}

/*
 * Requeues [job], not held, so that the scheduler may start it again (on another node if
 * this one is drained). Slurm holds a job requeued while SUSPENDED, so a suspended job is
 * resumed first (its processes get SIGCONT just before they are killed), and a job found held
 * after the requeue is released. Fails for a job that cannot be requeued (not batch,
 * --no-requeue: "Requested operation is presently disabled"). Returns 0, or -1 with [err]
 * filled.
 */
int agent_slurm_requeue(uint32_t job, char *err, size_t errlen)
{
	uint32_t state, prio;
	char b[16];

	job_name(job, b, sizeof(b));
	if (job_info(job, &state, &prio) != 0)
		return fail(err, errlen, "requeue", b);
	if ((state & JOB_STATE_BASE) == JOB_SUSPENDED && slurm_resume(job) != SLURM_SUCCESS &&
	    slurm_get_errno() != ESLURM_JOB_NOT_SUSPENDED)
		return fail(err, errlen, "resume before requeue of", b);
	if (slurm_requeue(job, 0) != SLURM_SUCCESS)
		return fail(err, errlen, "requeue", b);
	if (job_info(job, &state, &prio) != 0)
		return fail(err, errlen, "read requeued job", b);
	if ((state & JOB_STATE_BASE) == JOB_PENDING && prio == 0)
		return agent_slurm_release(job, err, errlen);
	return ok();
}

/*
 * Releases a held [job] (scontrol release: its priority is recomputed). Returns 0, or -1
 * with [err] filled.
 */
int agent_slurm_release(uint32_t job, char *err, size_t errlen)
{
	job_desc_msg_t d;
	char b[16];

	slurm_init_job_desc_msg(&d);
	d.job_id = job;
	d.priority = INFINITE;
	if (slurm_update_job(&d) != SLURM_SUCCESS)
		return fail(err, errlen, "release", job_name(job, b, sizeof(b)));
	return ok();
}

/*
 * Sends [sig] to every step of [job] and to its batch shell (scancel --full), so a job script
 * that traps the signal sees it. Returns 0, or -1 with [err] filled.
 */
int agent_slurm_signal(uint32_t job, int sig, char *err, size_t errlen)
{
	char b[16];

	if (sig <= 0 || sig >= NSIG)
		return fail_msg(err, errlen, "signal", job_name(job, b, sizeof(b)),
				"invalid signal number");
	if (slurm_kill_job(job, (uint16_t)sig, KILL_FULL_JOB) != SLURM_SUCCESS)
		return fail(err, errlen, "signal", job_name(job, b, sizeof(b)));
	return ok();
}

/*
 * Cancels [job] (SIGKILL to all of it, as scancel does); it ends CANCELLED, pending or not.
 * Returns 0, or -1 with [err] filled.
 */
int agent_slurm_cancel(uint32_t job, char *err, size_t errlen)
{
	char b[16];

	if (slurm_kill_job(job, SIGKILL, 0) != SLURM_SUCCESS)
		return fail(err, errlen, "cancel", job_name(job, b, sizeof(b)));
	return ok();
}

int agent_slurm_unexclude(uint32_t job, const char *node, bool *done, char *err, size_t errlen)
{
	job_info_msg_t *msg = NULL;
	const slurm_job_info_t *j;
	hostlist_t hl = NULL, keep = NULL;
	job_desc_msg_t d;
	char b[16], *h, *exc = NULL, none[1] = "";
	int rc;

	*done = false;
	job_name(job, b, sizeof(b));
	if (slurm_load_job(&msg, job, SHOW_ALL | SHOW_DETAIL) != SLURM_SUCCESS) {
		if (slurm_get_errno() == ESLURM_INVALID_JOB_ID)
			return ok(); /* purged: nothing to lift */
		return fail(err, errlen, "read excluded nodes of job", b);
	}
	j = msg && msg->record_count ? &msg->job_array[0] : NULL;
	if (!j || (j->job_state & JOB_STATE_BASE) != JOB_PENDING || !j->exc_nodes ||
	    !*j->exc_nodes || !(hl = slurm_hostlist_create(j->exc_nodes)) ||
	    slurm_hostlist_find(hl, node) < 0) {
		if (hl)
			slurm_hostlist_destroy(hl);
		slurm_free_job_info_msg(msg);
		return ok();
	}
	/* libslurm exports no delete: rebuild the list without [node]. */
	keep = slurm_hostlist_create(NULL);
	while (keep && (h = slurm_hostlist_shift(hl))) {
		if (strcmp(h, node))
			slurm_hostlist_push_host(keep, h);
		free(h);
	}
	slurm_hostlist_destroy(hl);
	slurm_free_job_info_msg(msg);
	if (!keep)
		return fail_msg(err, errlen, "lift exclusion of job", b, strerror(ENOMEM));
	exc = slurm_hostlist_count(keep) ? slurm_hostlist_ranged_string_malloc(keep) : NULL;
	slurm_hostlist_destroy(keep);
	slurm_init_job_desc_msg(&d);
	d.job_id = job;
	d.exc_nodes = exc ? exc : none; /* empty: no node excluded any more */
	rc = slurm_update_job(&d);
	free(exc);
	if (rc != SLURM_SUCCESS) {
		/* It started (elsewhere) or ended meanwhile: nothing left to lift. */
		if (slurm_get_errno() == ESLURM_JOB_NOT_PENDING ||
		    slurm_get_errno() == ESLURM_INVALID_JOB_ID ||
		    slurm_get_errno() == ESLURM_ALREADY_DONE)
			return ok();
		return fail(err, errlen, "lift exclusion of job", b);
	}
	*done = true;
	return ok();
}

/*
 * True if the last call failed because slurmctld (or the local munged) could not be reached or
 * did not answer in time, or because the request could not be authenticated (munge): the
 * request may succeed later and says nothing about the node or job.
 */
bool agent_slurm_unreachable(void)
{
	return is_comm_error(last_errno) || is_auth_error(last_errno);
}
