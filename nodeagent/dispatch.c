/* SPDX-License-Identifier: MIT */
/* dispatch.c - the control requests: one table of verbs, who may send each, and its handler. */
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ctl.h"
#include "dispatch.h"
#include "escape.h"
#include "log.h"
#include "report.h"
#include "signame.h"

/* One request being answered, its arguments as parsed. */
struct request {
	const char *verb;	   /* the verb, as sent */
	const char *args;	   /* what follows it, NULL if nothing */
	uid_t uid;		   /* the asker, from SO_PEERCRED */
	char user[AGENT_USER_LEN]; /* its name, or its uid when it has none */
	int64_t now_ms;		   /* when it is answered (monotonic) */
	uint32_t job;		   /* admit, job-start, job-end: the job */
	int sig;		   /* job-start: the job's --desktop-signal, 0 if none */
	long secs;		   /* job-start: its grace (seconds); hold: the hold's length */
	char why[256]; /* hold, release: how the console user was found, "" if not asked */
};

struct verb {
	const char *name;     /* common/ctl.h's CTL_* */
	enum agent_asker who; /* who may send it */
	const char *usage;    /* its arguments for "error: usage: ...", NULL: takes none */
	/* Parses rq->args into [rq]; returns 0, or -1 with the error in [resp]. NULL: none. */
	int (*parse)(const struct verb *v, struct request *rq, char *resp, size_t len);
	/* Answers into [resp] ([len]: CTL_RESP_MAX for [big], else a line). */
	void (*run)(const struct agent_reqenv *env, struct request *rq, char *resp, size_t len);
	bool big; /* the answer is a report, not a line */
	int prio; /* the log priority of a good answer, -1: not logged (status every few s) */
};

/* ---------------------------------------------------------------- arguments */

static int usage(const struct verb *v, char *resp, size_t len)
{
	snprintf(resp, len, CTL_ERROR ": usage: %s %s", v->name, v->usage);
	return -1;
}

/* A whole decimal number in [lo, hi], digits only. */
static int parse_num(const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out)
{
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return -1;
	*out = strtoull(s, NULL, 10);
	return *out < lo || *out > hi ? -1 : 0;
}

/* JOBID, and for job-start an optional SIG@SECONDS in the plugin's own grammar
 * (common/signame.h): whatever it sends is known here. */
static int parse_job(const struct verb *v, struct request *rq, char *resp, size_t len)
{
	bool start = !strcmp(v->name, CTL_JOB_START);
	char id[65], extra[65] = "", more[2];
	unsigned long long job;
	int nf;

	/* Arguments longer than any good ones are refused before they are split. */
	nf = rq->args && strlen(rq->args) < sizeof(id)
		 ? sscanf(rq->args, "%64s %64s %1s", id, extra, more)
		 : 0;
	if (nf < 1 || nf > 2 || (nf == 2 && !start))
		return usage(v, resp, len);
	if (parse_num(id, 1, UINT32_MAX, &job) < 0) {
		snprintf(resp, len, CTL_ERROR ": \"%s\" is not a job id", id);
		return -1;
	}
	rq->job = (uint32_t)job;
	if (nf == 2 && signame_spec_parse(extra, &rq->sig, &rq->secs) < 0) {
		snprintf(resp, len,
			 CTL_ERROR ": \"%s\" is not SIG@SECONDS (a signal, then 0..%d seconds: "
				   "USR1@120)",
			 extra, SIGNAME_MAX_GRACE);
		return -1;
	}
	return 0;
}

static int parse_hold(const struct verb *v, struct request *rq, char *resp, size_t len)
{
	int64_t secs;

	if (!rq->args || idle_parse_duration(rq->args, &secs) < 0)
		return usage(v, resp, len);
	if (secs <= 0) {
		snprintf(resp, len, CTL_ERROR ": a hold needs a duration above 0");
		return -1;
	}
	rq->secs = secs > LONG_MAX ? LONG_MAX : (long)secs;
	return 0;
}

/* ---------------------------------------------------------------- handlers */

static void run_status(const struct agent_reqenv *env, struct request *rq, char *resp, size_t len)
{
	struct agent_buf b;
	char header[PATH_MAX + 128];

	snprintf(header, sizeof(header), "node %s: idleaccd %s, pid %d, config %s", env->st->name,
		 PACKAGE_VERSION, env->pid, env->config[0] ? env->config : "(built-in defaults)");
	agent_buf_init(&b, resp, len);
	agent_report_status(&b, env->st, env->p, env->snap, header, rq->now_ms);
	if (env->predict)
		agent_buf_add(&b, "%s", env->predict);
}

/* The health check (idleacc-healthcheck) asks whether this agent is alive; it drains the node
 * when nobody answers. Answered from memory, logged at debug level: it comes every
 * HealthCheckInterval. */
static void run_ping(const struct agent_reqenv *env, struct request *rq, char *resp, size_t len)
{
	(void)rq;
	snprintf(resp, len, CTL_OK ": node %s, pid %d", env->st->name, env->pid);
}

static void run_hold(const struct agent_reqenv *env, struct request *rq, char *resp, size_t len)
{
	char a[32], b[32];

	if (env->max_hold <= 0) {
		snprintf(resp, len, CTL_REFUSED ": holds are turned off here (max_hold 0)");
		return;
	}
	if (rq->secs > env->max_hold) {
		snprintf(resp, len, CTL_REFUSED ": a hold of %s is longer than max_hold (%s)",
			 idle_format_duration(rq->secs, a, sizeof(a)),
			 idle_format_duration(env->max_hold, b, sizeof(b)));
		return;
	}
	agent_hold_set(env->st, (uint32_t)rq->uid, rq->user, agent_secs_ms(rq->secs), rq->now_ms);
	/* The reason says "IDLEACC: held by USER until HH:MM"; the asker is told the same. */
	snprintf(resp, len, CTL_OK ": held by %s",
		 env->st->hold_reason + strlen(AGENT_HOLD_PREFIX));
}

static void run_release(const struct agent_reqenv *env, struct request *rq, char *resp, size_t len)
{
	char holder[AGENT_USER_LEN];

	if (!agent_hold_active(env->st, rq->now_ms)) {
		snprintf(resp, len, CTL_OK ": no hold");
		return;
	}
	snprintf(holder, sizeof(holder), "%s", env->st->hold_user);
	agent_hold_end(env->st, rq->user, rq->now_ms);
	snprintf(resp, len, CTL_OK ": hold by %s released", holder);
}

static void run_admit(const struct agent_reqenv *env, struct request *rq, char *resp, size_t len)
{
	char reason[AGENT_REASON_LEN];

	if (agent_admit(env->st, rq->job, rq->now_ms, reason, sizeof(reason)))
		snprintf(resp, len, CTL_YES);
	else
		snprintf(resp, len, CTL_NO ": %s", reason);
}

static void run_job_start(const struct agent_reqenv *env, struct request *rq, char *resp,
			  size_t len)
{
	if (agent_job_started(env->st, rq->job, rq->sig, rq->secs, rq->now_ms) < 0)
		snprintf(resp, len, CTL_ERROR ": too many jobs tracked on this node");
	else
		snprintf(resp, len, CTL_OK);
}

static void run_job_end(const struct agent_reqenv *env, struct request *rq, char *resp, size_t len)
{
	agent_job_ended(env->st, rq->job, rq->now_ms);
	snprintf(resp, len, CTL_OK);
}

/* Costs slurmctld a few RPCs: root's (the configless channel, an admin) only. */
static void run_reconcile(const struct agent_reqenv *env, struct request *rq, char *resp,
			  size_t len)
{
	(void)rq;
	if (!env->reconcile) {
		snprintf(resp, len, CTL_ERROR ": this agent does not reconcile on request");
		return;
	}
	env->reconcile(env->reconcile_arg);
	snprintf(resp, len, CTL_OK ": reconciling with slurmctld");
}

static const struct verb verbs[] = {
    {CTL_STATUS, AGENT_ASK_ANYONE, NULL, NULL, run_status, true, -1},
    {CTL_PING, AGENT_ASK_ANYONE, NULL, NULL, run_ping, false, LOG_DEBUG},
    {CTL_HOLD, AGENT_ASK_CONSOLE, "SECONDS", parse_hold, run_hold, false, LOG_INFO},
    {CTL_RELEASE, AGENT_ASK_CONSOLE, NULL, NULL, run_release, false, LOG_INFO},
    {CTL_ADMIT, AGENT_ASK_ROOT, "JOBID", parse_job, run_admit, false, LOG_DEBUG},
    {CTL_JOB_START, AGENT_ASK_ROOT, "JOBID [SIG@SECONDS]", parse_job, run_job_start, false,
     LOG_DEBUG},
    {CTL_JOB_END, AGENT_ASK_ROOT, "JOBID", parse_job, run_job_end, false, LOG_DEBUG},
    {CTL_RECONCILE, AGENT_ASK_ROOT, NULL, NULL, run_reconcile, false, LOG_INFO},
};

static const struct verb *verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

int agent_request_asker(const char *verb)
{
	const struct verb *v = verb_find(verb);

	return v ? (int)v->who : -1;
}

void agent_request_hold(struct agent_state *st, int64_t max_hold, uid_t uid, const char *user,
			int64_t secs, int64_t now_ms, char *resp, size_t len)
{
	const struct agent_reqenv env = {.st = st, .max_hold = max_hold};
	struct request rq = {.verb = secs ? CTL_HOLD : CTL_RELEASE, .uid = uid, .now_ms = now_ms};

	snprintf(rq.user, sizeof(rq.user), "%s", user);
	rq.secs = secs > LONG_MAX ? LONG_MAX : (long)secs;
	if (secs)
		run_hold(&env, &rq, resp, len);
	else
		run_release(&env, &rq, resp, len);
}

/* ---------------------------------------------------------------- the dispatch */

/*
 * Logs one request and its answer. Everything in it but [rq->user] (from the password
 * database) comes from the asker, or echoes it: each is escaped, so that a newline in an
 * argument cannot write a line of its own into the log. The request is cut at 80 characters;
 * how the console user was found is added when it was asked.
 */
static void log_request(int prio, const struct request *rq, const char *resp)
{
	char req[CTL_REQ_MAX + 1], e_req[81], e_resp[4 * 512 + 1], e_why[4 * 256 + 1];

	snprintf(req, sizeof(req), "%s%s%s", rq->verb, rq->args ? " " : "",
		 rq->args ? rq->args : "");
	escape_text(req, e_req, sizeof(e_req));
	escape_text(resp, e_resp, sizeof(e_resp));
	if (rq->why[0])
		agent_log(prio, "request \"%s\" from %s: %s (console: %s)", e_req, rq->user, e_resp,
			  escape_text(rq->why, e_why, sizeof(e_why)));
	else
		agent_log(prio, "request \"%s\" from %s: %s", e_req, rq->user, e_resp);
}

/* An unknown verb: echoed only when short, escaped like everything from the asker. */
static void unknown(const struct request *rq, char *resp, size_t len)
{
	char e_arg[41] = "";
	size_t n;

	for (n = 0; rq->verb[n]; n++)
		if ((unsigned char)rq->verb[n] < 0x20 || (unsigned char)rq->verb[n] >= 0x7f)
			break;
	if (rq->verb[n] || n > 40) {
		snprintf(resp, len,
			 CTL_ERROR ": unknown request (expected status, hold SECONDS or release)");
		return;
	}
	if (rq->args && strlen(rq->args) < 40)
		escape_text(rq->args, e_arg, sizeof(e_arg));
	snprintf(resp, len,
		 CTL_ERROR
		 ": unknown request \"%s%s%s\" (expected status, hold SECONDS or release)",
		 rq->verb, rq->args ? " " : "", e_arg);
}

/*
 * Who may ask, then the arguments, then the console. The plugin's verbs are refused to anyone
 * but root before their arguments are read; a hold's arguments are checked before the console
 * is asked (logind may take up to CTL_SAMPLE_BLOCK_MS), and the console is asked for root too,
 * so the log says how the desktop's user was found. Returns 0 if [v] may run.
 */
static int admissible(const struct agent_reqenv *env, const struct verb *v, struct request *rq,
		      char *resp, size_t len)
{
	bool console;

	if (v->who == AGENT_ASK_ROOT && rq->uid != 0) {
		snprintf(resp, len, CTL_REFUSED ": only root (slurmd) may send %s", v->name);
		return -1;
	}
	if (!v->parse && rq->args) {
		snprintf(resp, len, CTL_ERROR ": %s takes no argument", v->name);
		return -1;
	}
	if (v->parse && v->parse(v, rq, resp, len) < 0)
		return -1;
	if (v->who != AGENT_ASK_CONSOLE)
		return 0;
	console = env->console(env->console_arg, rq->uid, rq->why, sizeof(rq->why));
	if (rq->uid != 0 && !console) {
		snprintf(resp, len,
			 CTL_REFUSED ": only root or the console user may hold this desktop");
		return -1;
	}
	return 0;
}

char *agent_request(const struct agent_reqenv *env, const char *req, uid_t uid, int64_t now_ms)
{
	char line[CTL_REQ_MAX + 1], pwbuf[1024], *sp, *out;
	struct passwd pw, *pwr = NULL;
	struct request rq = {.uid = uid, .now_ms = now_ms};
	const struct verb *v;
	size_t n, cap;
	int prio;

	snprintf(line, sizeof(line), "%s", req);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' ' || line[n - 1] == '\r'))
		line[--n] = '\0';
	sp = strchr(line, ' ');
	if (sp)
		*sp++ = '\0';
	rq.verb = line;
	rq.args = sp;
	if (!getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwr) && pwr)
		snprintf(rq.user, sizeof(rq.user), "%s", pw.pw_name);
	else
		snprintf(rq.user, sizeof(rq.user), "%u", (unsigned)uid);

	v = verb_find(rq.verb);
	cap = v && v->big ? CTL_RESP_MAX : 512;
	out = malloc(cap);
	if (!out)
		return NULL;
	if (!v) {
		unknown(&rq, out, cap);
		agent_log(LOG_INFO, "bad request from %s: %s", rq.user, out);
		return out;
	}
	if (admissible(env, v, &rq, out, cap) == 0)
		v->run(env, &rq, out, cap);
	prio = v->prio;
	/* An error for slurmd means the plugin and idleaccd disagree: this job goes unprotected
	 * (no job-start) or refused. */
	if (ctl_answer(out, CTL_ERROR))
		prio = v->who == AGENT_ASK_ROOT && uid == 0 ? LOG_ERR : LOG_INFO;
	else if (ctl_answer(out, CTL_REFUSED))
		prio = LOG_INFO;
	if (prio >= 0)
		log_request(prio, &rq, out);
	return out;
}
