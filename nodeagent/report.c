/* SPDX-License-Identifier: MIT */
/* report.c - the text people read: source lines, verdicts and idleaccd's status. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "report.h"
#include "signame.h"

void agent_buf_init(struct agent_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	if (cap)
		mem[0] = '\0';
}

void agent_buf_add(struct agent_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n;
	if (b->len >= b->cap)
		b->len = b->cap - 1;
}

static char *ago(int64_t now_ms, int64_t then_ms, char *buf, size_t len)
{
	return idle_format_duration(then_ms && now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0,
				    buf, len);
}

/* [ms] on the wall clock as HH:MM:SS, or "-" for 0 (none). */
static char *clock_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !localtime_r(&t, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

/* One of the agent's monotonic times, shown on the wall clock as it now is. */
static char *agent_time(const struct agent_state *st, int64_t ms, char *buf, size_t len)
{
	return clock_time(agent_wall_ms(st, ms), buf, len);
}

/* The windows source's reading: the service, its sessions, power, busy program, GPU. */
static void windows_line(const struct idle_snapshot *s, int64_t now_ms, char *buf, size_t len)
{
	struct agent_buf b;
	char a[32];

	agent_buf_init(&b, buf, len);
	agent_buf_add(&b, "ok: service at %s, %d sessions, last input %s ago", s->windows_peer,
		      s->windows_sessions, ago(now_ms, s->windows_last_ms, a, sizeof(a)));
	if (s->windows_remote_last_ms)
		agent_buf_add(&b, ", remote %s ago",
			      ago(now_ms, s->windows_remote_last_ms, a, sizeof(a)));
	if (s->windows_locked == 1)
		agent_buf_add(&b, ", locked");
	if (s->windows_on_ac >= 0)
		agent_buf_add(&b, ", %s", s->windows_on_ac ? "on AC" : "on battery");
	if (s->windows_battery_pct >= 0)
		agent_buf_add(&b, " (battery %d%%)", s->windows_battery_pct);
	if (s->windows_busy_program[0])
		agent_buf_add(&b, ", busy program %s", s->windows_busy_program);
	if (s->windows_gpu_util_pct >= 0)
		agent_buf_add(&b, ", GPU %d%%", s->windows_gpu_util_pct);
	if (s->windows_refused)
		agent_buf_add(&b, "; %u peers refused", s->windows_refused);
}

char *agent_source_line(const struct idle_snapshot *s, enum idle_source_id id, int64_t now_ms,
			char *buf, size_t len)
{
	char a[32], b[32];

	switch (s->status[id]) {
	case IDLE_ST_OFF:
		snprintf(buf, len, "off");
		return buf;
	case IDLE_ST_NONE:
		snprintf(buf, len, "none: nothing to watch here");
		return buf;
	case IDLE_ST_UNKNOWN:
		snprintf(buf, len, "unknown: %s", s->error[id][0] ? s->error[id] : "no reading");
		return buf;
	case IDLE_ST_OK:
		break;
	}
	switch (id) {
	case IDLE_SRC_EVDEV:
		snprintf(buf, len, "ok: last input %s ago, %d devices",
			 ago(now_ms, s->evdev_last_ms, a, sizeof(a)), s->evdev_devices);
		break;
	case IDLE_SRC_TTY:
		if (s->tty_remote_last_ms)
			snprintf(
			    buf, len,
			    "ok: last input %s ago, remote %s ago; %d local, %d remote sessions",
			    ago(now_ms, s->tty_last_ms, a, sizeof(a)),
			    ago(now_ms, s->tty_remote_last_ms, b, sizeof(b)), s->sessions_local,
			    s->sessions_remote);
		else
			snprintf(buf, len, "ok: last input %s ago; %d local, %d remote sessions",
				 ago(now_ms, s->tty_last_ms, a, sizeof(a)), s->sessions_local,
				 s->sessions_remote);
		break;
	case IDLE_SRC_LOGIND:
		snprintf(buf, len, "ok: last activity %s ago, %d local sessions, %s",
			 ago(now_ms, s->logind_last_ms, a, sizeof(a)), s->logind_sessions,
			 s->logind_locked < 0 ? "no graphical session"
			 : s->logind_locked   ? "locked"
					      : "not locked");
		break;
	case IDLE_SRC_X11:
		snprintf(buf, len, "ok: last input %s ago",
			 ago(now_ms, s->x11_last_ms, a, sizeof(a)));
		break;
	case IDLE_SRC_LOAD:
		snprintf(buf, len, "ok: non-job load %.2f, job load %.2f, %d CPUs", s->load_nonjob,
			 s->load_job, s->ncpus);
		break;
	case IDLE_SRC_MEMORY:
		snprintf(buf, len, "ok: %.1f%% used by non-job processes, jobs %" PRIu64 " MiB",
			 s->mem_used_pct, s->mem_job_kb / 1024);
		break;
	case IDLE_SRC_POWER:
		if (s->battery_pct >= 0)
			snprintf(buf, len, "ok: %s, battery %d%%",
				 s->on_ac ? "on AC" : "on battery", s->battery_pct);
		else
			snprintf(buf, len, "ok: %s", s->on_ac ? "on AC" : "on battery");
		break;
	case IDLE_SRC_PROCESSES:
		if (s->busy_program[0])
			snprintf(buf, len, "ok: busy program %s running (pid %d)", s->busy_program,
				 s->busy_pid);
		else
			snprintf(buf, len, "ok: no busy program running");
		break;
	case IDLE_SRC_GPU:
		snprintf(buf, len, "ok: %d GPUs, busiest %d%%", s->gpu_count, s->gpu_util_pct);
		break;
	case IDLE_SRC_WINDOWS:
		windows_line(s, now_ms, buf, len);
		break;
	default:
		snprintf(buf, len, "ok");
		break;
	}
	return buf;
}

static void report_sources(struct agent_buf *b, const struct idle_snapshot *s, int64_t now_ms)
{
	char line[IDLE_ERR_LEN + 64];
	int i;

	for (i = 0; i < IDLE_SRC_COUNT; i++) {
		if (s->status[i] == IDLE_ST_OFF)
			continue;
		agent_buf_add(
		    b, "  %-10s %s\n", idle_source_name((enum idle_source_id)i),
		    agent_source_line(s, (enum idle_source_id)i, now_ms, line, sizeof(line)));
	}
}

static void report_verdict(struct agent_buf *b, const struct idle_verdict *v)
{
	char r[IDLE_MAX_REASONS * IDLE_REASON_LEN];

	idle_verdict_reasons(v, r, sizeof(r));
	agent_buf_add(b, "owner: %s%s%s\n", idle_owner_name(v->owner), r[0] ? ": " : "", r);
	agent_buf_add(b, "new jobs may start: %s; running jobs may run: %s\n",
		      v->offer ? "yes" : "no", v->run ? "yes" : "no");
}

void agent_report_sample(struct agent_buf *b, const struct idle_snapshot *s,
			 const struct idle_verdict *v, int64_t now_ms)
{
	agent_buf_add(b, "sources:\n");
	report_sources(b, s, now_ms);
	report_verdict(b, v);
}

static void report_job(struct agent_buf *b, const struct agent_state *st,
		       const struct agent_tjob *j, const struct agent_params *p)
{
	char t1[16], t2[16];

	agent_buf_add(b, "  %" PRIu32 " %s", j->id, j->state[0] ? j->state : "(not yet listed)");
	switch (j->fate) {
	case AGENT_JOB_SEEN:
		if (j->resumed_ms)
			agent_buf_add(b, ": resumed by idleaccd at %s",
				      agent_time(st, j->resumed_ms, t1, sizeof(t1)));
		break;
	case AGENT_JOB_SUSPENDED:
		agent_buf_add(b, ": suspended by idleaccd at %s; requeued at %s if still suspended",
			      agent_time(st, j->suspended_ms, t1, sizeof(t1)),
			      agent_time(st, agent_job_due(p, j), t2, sizeof(t2)));
		break;
	case AGENT_JOB_KEPT:
		agent_buf_add(b,
			      ": suspended by idleaccd at %s; cannot be requeued: kept suspended"
			      " until the owner leaves",
			      agent_time(st, j->suspended_ms, t1, sizeof(t1)));
		break;
	case AGENT_JOB_WARN_REQUEUE:
	case AGENT_JOB_WARN_CANCEL:
		agent_buf_add(b, ": signalled by idleaccd at %s; %s at %s",
			      agent_time(st, j->fate_ms, t1, sizeof(t1)),
			      j->fate == AGENT_JOB_WARN_CANCEL ? "cancel" : "requeue",
			      agent_time(st, agent_job_due(p, j), t2, sizeof(t2)));
		break;
	case AGENT_JOB_REQUEUED:
		agent_buf_add(b, ": requeued by idleaccd at %s",
			      agent_time(st, j->fate_ms, t1, sizeof(t1)));
		break;
	case AGENT_JOB_CANCELLED:
		agent_buf_add(b, ": cancelled by idleaccd at %s",
			      agent_time(st, j->fate_ms, t1, sizeof(t1)));
		break;
	}
	/* Frozen here while Slurm counts it as running: said, never left silent. Once Slurm has
	 * suspended it, the fate's text says all. */
	if (j->local_stop && j->fate == AGENT_JOB_SEEN)
		agent_buf_add(b,
			      " [stopped locally by idleaccd at %s; Slurm not yet told, it counts"
			      " the job as running]",
			      agent_time(st, j->local_stop_ms, t1, sizeof(t1)));
	if (j->warn_sig)
		agent_buf_add(b, " [--desktop-signal %s@%" PRId64 "]",
			      signame_format(j->warn_sig, t1, sizeof(t1)), j->warn_secs);
	if (j->busy)
		agent_buf_add(b, " (call in progress)");
	agent_buf_add(b, "\n");
}

void agent_report_status(struct agent_buf *b, const struct agent_state *st,
			 const struct agent_params *p, const struct idle_snapshot *snap,
			 const char *header, int64_t now_ms)
{
	const struct agent_node *n = &st->node;
	char t1[16], t2[16];
	unsigned i, first, shown = 0, idx[10];
	size_t k;

	agent_buf_add(b, "%s\n", header);
	if (st->have_verdict)
		report_verdict(b, &st->verdict);
	else
		agent_buf_add(b, "owner: not sampled yet\n");
	agent_buf_add(b, "on owner return: %s\n", idle_on_return_name(p->pol.on_owner_return));
	if (snap) {
		agent_buf_add(b, "sources:\n");
		report_sources(b, snap, agent_wall_ms(st, now_ms)); /* libidle's clock */
	}
	if (st->node_known)
		agent_buf_add(b, "slurm: node %s %s%s%s, reason \"%s\" (seen at %s)%s\n", st->name,
			      n->state, n->drain ? "+DRAIN" : "", n->not_responding ? "*" : "",
			      n->reason, agent_time(st, st->node_seen_ms, t1, sizeof(t1)),
			      st->node_busy ? ", change in progress" : "");
	else
		agent_buf_add(b, "slurm: node %s not read yet\n", st->name);
	if (st->online)
		agent_buf_add(b, "slurmctld: reachable\n");
	else
		agent_buf_add(b, "slurmctld: unreachable since %s, next try at %s: %s\n",
			      agent_time(st, st->offline_since_ms, t1, sizeof(t1)),
			      agent_time(st, st->retry_ms, t2, sizeof(t2)), st->last_error);
	if (agent_node_foreign(n))
		agent_buf_add(b,
			      "stand aside: yes: node %s by uid %" PRIu32 " with reason \"%s\";"
			      " idleaccd leaves it alone until it is resumed\n",
			      n->drain ? "drained" : "down", n->reason_uid, n->reason);
	else
		agent_buf_add(b, "stand aside: no\n");
	if (agent_hold_active(st, now_ms))
		agent_buf_add(b, "hold: by %s (uid %" PRIu32 ") until %s\n", st->hold_user,
			      st->hold_uid, agent_time(st, st->hold_until_ms, t1, sizeof(t1)));
	else
		agent_buf_add(b, "hold: none\n");
	agent_buf_add(b, "jobs:%s\n", st->njobs ? "" : " none");
	for (k = 0; k < st->njobs; k++)
		report_job(b, st, &st->jobs[k], p);
	if (st->nrefused) {
		agent_buf_add(
		    b, "refused here (excluded from %s until it is offered again):", st->name);
		for (k = 0; k < st->nrefused; k++)
			agent_buf_add(b, " %" PRIu32, st->refused[k].id);
		agent_buf_add(b, "\n");
	}

	/* The last ten transitions, oldest first. */
	first = st->nevents > AGENT_MAX_EVENTS ? st->nevents - AGENT_MAX_EVENTS : 0;
	for (i = st->nevents; i > first && shown < 10; i--)
		if (st->events[(i - 1) % AGENT_MAX_EVENTS].transition)
			idx[shown++] = (i - 1) % AGENT_MAX_EVENTS;
	agent_buf_add(b, "transitions:%s\n", shown ? "" : " none yet");
	while (shown--) {
		const struct agent_event *e = &st->events[idx[shown]];

		agent_buf_add(b, "  %s %s\n", clock_time(e->ms, t1, sizeof(t1)), e->text);
	}
}
