/* SPDX-License-Identifier: MIT */
/*
 * check_metrics.c - idleaccd's Prometheus metrics (nodeagent/metrics.c): what is counted from
 * the agent's state and results, the text exposition format (also through promtool), and the
 * atomic write of the textfile collector's file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"
#include "plan.h"
#include "report.h"
#include "testutil.h"

#define W0 1700000000000LL /* a wall clock, ms */
#define M0 5000000LL	   /* the monotonic clock at W0, ms */
#define S  1000LL

static char text[64 * 1024];

static const char *format(const struct agent_metrics *m, const struct agent_state *st, int64_t wall)
{
	struct agent_buf b;

	agent_buf_init(&b, text, sizeof(text));
	agent_metrics_format(&b, m, st, wall);
	ck_assert_uint_lt(b.len, sizeof(text) - 1); /* nothing cut */
	return text;
}

/* A node as read from Slurm: offered (drain false) or drained with [reason]. */
static void node(struct agent_state *st, bool drain, const char *reason)
{
	st->node_known = true;
	snprintf(st->node.state, sizeof(st->node.state), "IDLE");
	st->node.drain = drain;
	snprintf(st->node.reason, sizeof(st->node.reason), "%s", reason);
}

static void owner(struct agent_state *st, enum idle_owner o)
{
	st->have_verdict = true;
	st->verdict.owner = o;
}

static struct agent_result result(enum agent_act kind, int rc, int64_t call_us)
{
	struct agent_result r;

	memset(&r, 0, sizeof(r));
	r.act.kind = kind;
	r.act.job = kind >= AGENT_ACT_SUSPEND ? 42 : 0;
	r.rc = rc;
	r.call_us = call_us;
	return r;
}

static bool has_line(const char *t, const char *line)
{
	size_t n = strlen(line);
	const char *p = t;

	while ((p = strstr(p, line))) {
		if ((p == t || p[-1] == '\n') && p[n] == '\n')
			return true;
		p++;
	}
	return false;
}

#define ck_line(t, l) ck_assert_msg(has_line(t, l), "missing line \"%s\" in:\n%s", l, t)

START_TEST(offered_and_drained_time)
{
	static struct agent_state st;
	struct agent_metrics m;

	agent_state_init(&st, "d1");
	agent_metrics_init(&m, W0);
	owner(&st, IDLE_OWNER_ABSENT);
	node(&st, false, "");
	agent_metrics_observe(&m, &st, 0, M0, W0);
	agent_metrics_observe(&m, &st, 0, M0 + 90 * S, W0 + 90 * S);
	/* Drained by us from here on: the 90 s before were offered. */
	node(&st, true, "IDLEACC: console input 1s ago < 3s");
	agent_metrics_observe(&m, &st, 0, M0 + 100 * S, W0 + 100 * S);
	agent_metrics_observe(&m, &st, 0, M0 + 130 * S, W0 + 130 * S);
	/* Someone else's drain counts as neither. */
	node(&st, true, "maintenance");
	agent_metrics_observe(&m, &st, 0, M0 + 140 * S, W0 + 140 * S);
	agent_metrics_observe(&m, &st, 0, M0 + 200 * S, W0 + 200 * S);
	ck_assert_int_eq(m.offered_ms, 100 * S);
	ck_assert_int_eq(m.drained_ms, 40 * S);
	format(&m, &st, W0 + 200 * S);
	ck_line(text, "idleacc_offered_seconds_total{node=\"d1\"} 100.000");
	ck_line(text, "idleacc_drained_seconds_total{node=\"d1\"} 40.000");
	ck_line(text, "idleacc_offered{node=\"d1\"} 0");
	ck_line(text, "idleacc_owner_state{node=\"d1\",state=\"absent\"} 1");
	ck_line(text, "idleacc_owner_state{node=\"d1\",state=\"present\"} 0");
}
END_TEST

START_TEST(reaction_from_input)
{
	static struct agent_state st;
	struct agent_action drain = {.kind = AGENT_ACT_DRAIN};
	struct agent_metrics m;

	agent_state_init(&st, "d1");
	agent_metrics_init(&m, W0);
	node(&st, false, "");
	owner(&st, IDLE_OWNER_ABSENT);
	agent_metrics_observe(&m, &st, W0 - 600 * S, M0, W0);
	/* A key at W0 + 10 s; the verdict says present at W0 + 10.02 s, a job of ours is stopped
	 * on the desktop in the same cycle, the drain is queued 30 ms after the key. */
	owner(&st, IDLE_OWNER_PRESENT);
	st.njobs = 1;
	st.jobs[0].id = 7;
	st.jobs[0].running = true;
	st.jobs[0].local_stop = true;
	st.jobs[0].local_stop_ms = M0 + 10020;
	agent_metrics_observe(&m, &st, W0 + 10 * S, M0 + 10020, W0 + 10020);
	agent_metrics_issued(&m, &drain, W0 + 10030);
	/* A second drain of the same return (the reason rewritten) is no new reaction. */
	agent_metrics_issued(&m, &drain, W0 + 15 * S);
	ck_assert_uint_eq(m.reaction[AGENT_REACT_STOP].count, 1);
	ck_assert_uint_eq(m.reaction[AGENT_REACT_DRAIN].count, 1);
	format(&m, &st, W0 + 16 * S);
	ck_line(text, "idleacc_reaction_seconds_bucket{node=\"d1\",what=\"stop\",le=\"0.01\"} 0");
	ck_line(text, "idleacc_reaction_seconds_bucket{node=\"d1\",what=\"stop\",le=\"0.025\"} 1");
	ck_line(text, "idleacc_reaction_seconds_bucket{node=\"d1\",what=\"drain\",le=\"0.025\"} 0");
	ck_line(text, "idleacc_reaction_seconds_bucket{node=\"d1\",what=\"drain\",le=\"0.05\"} 1");
	ck_line(text, "idleacc_reaction_seconds_bucket{node=\"d1\",what=\"drain\",le=\"+Inf\"} 1");
	ck_line(text, "idleacc_reaction_seconds_sum{node=\"d1\",what=\"drain\"} 0.030000");
	ck_line(text, "idleacc_reaction_seconds_count{node=\"d1\",what=\"stop\"} 1");
	ck_line(text, "idleacc_jobs_stopped{node=\"d1\"} 1");
	ck_line(text, "idleacc_jobs_running{node=\"d1\"} 0");
}
END_TEST

/* The owner counted present for a busy program, not for input: no moment to measure from. */
START_TEST(reaction_not_from_input)
{
	static struct agent_state st;
	struct agent_action drain = {.kind = AGENT_ACT_DRAIN};
	struct agent_metrics m;

	agent_state_init(&st, "d1");
	agent_metrics_init(&m, W0);
	owner(&st, IDLE_OWNER_ABSENT);
	agent_metrics_observe(&m, &st, W0 - 600 * S, M0, W0);
	owner(&st, IDLE_OWNER_PRESENT);
	agent_metrics_observe(&m, &st, W0 - 600 * S, M0 + 5 * S, W0 + 5 * S);
	agent_metrics_issued(&m, &drain, W0 + 5 * S);
	ck_assert_uint_eq(m.reaction[AGENT_REACT_DRAIN].count, 0);
	/* Present at start-up: no return either. */
	agent_metrics_init(&m, W0);
	agent_metrics_observe(&m, &st, W0 - 1 * S, M0, W0);
	agent_metrics_issued(&m, &drain, W0);
	ck_assert_uint_eq(m.reaction[AGENT_REACT_DRAIN].count, 0);
}
END_TEST

START_TEST(results_counted)
{
	static struct agent_state st;
	struct agent_metrics m;
	struct agent_result r;

	agent_state_init(&st, "d1");
	agent_metrics_init(&m, W0);
	r = result(AGENT_ACT_SUSPEND, 0, 900);
	agent_metrics_result(&m, &r);
	r = result(AGENT_ACT_SUSPEND, -1, 1200);
	agent_metrics_result(&m, &r);
	r = result(AGENT_ACT_REQUEUE, 0, 3000);
	agent_metrics_result(&m, &r);
	r = result(AGENT_ACT_RESUME_JOB, 0, 800);
	agent_metrics_result(&m, &r);
	r = result(AGENT_ACT_CANCEL, 0, 700);
	agent_metrics_result(&m, &r);
	/* Not tried while slurmctld is unreachable: a failure, no call, no latency. */
	r = result(AGENT_ACT_DRAIN, -1, -1);
	agent_metrics_result(&m, &r);
	/* A drain skipped (someone else's node) is a call that succeeded. */
	r = result(AGENT_ACT_DRAIN, 0, 2 * 1000 * 1000);
	r.skipped = true;
	agent_metrics_result(&m, &r);
	agent_metrics_refused(&m);
	agent_metrics_refused(&m);
	format(&m, &st, W0);
	ck_line(text, "idleacc_jobs_suspended_total{node=\"d1\"} 1");
	ck_line(text, "idleacc_jobs_requeued_total{node=\"d1\"} 1");
	ck_line(text, "idleacc_jobs_resumed_total{node=\"d1\"} 1");
	ck_line(text, "idleacc_jobs_cancelled_total{node=\"d1\"} 1");
	ck_line(text, "idleacc_launches_refused_total{node=\"d1\"} 2");
	ck_line(text, "idleacc_slurm_calls_total{node=\"d1\",call=\"suspend\"} 2");
	ck_line(text, "idleacc_slurm_call_failures_total{node=\"d1\",call=\"suspend\"} 1");
	ck_line(text, "idleacc_slurm_calls_total{node=\"d1\",call=\"drain\"} 1");
	ck_line(text, "idleacc_slurm_call_failures_total{node=\"d1\",call=\"drain\"} 1");
	ck_line(text, "idleacc_slurm_calls_total{node=\"d1\",call=\"resume_job\"} 1");
	/* 900 us, 800 us and 700 us are under 1 ms; the 2 s drain under 2.5 s. */
	ck_line(text, "idleacc_slurm_call_duration_seconds_bucket{node=\"d1\",le=\"0.001\"} 3");
	ck_line(text, "idleacc_slurm_call_duration_seconds_bucket{node=\"d1\",le=\"1\"} 5");
	ck_line(text, "idleacc_slurm_call_duration_seconds_bucket{node=\"d1\",le=\"2.5\"} 6");
	ck_line(text, "idleacc_slurm_call_duration_seconds_count{node=\"d1\"} 6");
	ck_line(text, "idleacc_slurm_call_duration_seconds_sum{node=\"d1\"} 2.006600");
	ck_line(text, "idleacc_last_update_seconds{node=\"d1\"} 1700000000.000");
}
END_TEST

/*
 * The format itself: every sample line's metric has its HELP and TYPE before it, label values
 * are escaped, and promtool (Debian's prometheus package) accepts the whole exposition.
 */
START_TEST(exposition_format)
{
	static struct agent_state st;
	char name[128], typed[64][128];
	struct agent_metrics m;
	int ntyped = 0, i, status;
	const char *p;
	FILE *f;

	agent_state_init(&st, "lab\"7");
	agent_metrics_init(&m, W0);
	format(&m, &st, W0);
	ck_line(text, "idleacc_offered{node=\"lab\\\"7\"} 0");
	for (p = text; *p; p = strchr(p, '\n') + 1) {
		size_t n = strcspn(p, " {");

		ck_assert_uint_lt(n, sizeof(name));
		if (sscanf(p, "# TYPE %127s", name) == 1) {
			ck_assert_int_lt(ntyped, 64);
			snprintf(typed[ntyped++], sizeof(typed[0]), "%s", name);
		} else if (*p != '#') {
			bool found = false;

			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			for (i = 0; i < ntyped && !found; i++) {
				size_t t = strlen(typed[i]);

				found = !strcmp(name, typed[i]) || (!strncmp(name, typed[i], t) &&
								    (!strcmp(name + t, "_bucket") ||
								     !strcmp(name + t, "_sum") ||
								     !strcmp(name + t, "_count")));
			}
			ck_assert_msg(found, "%s has no TYPE before it", name);
		}
	}
	ck_assert_int_eq(ntyped, 19);

	/* CI installs promtool (tests/deps.sh): no skip. */
	f = popen("promtool check metrics", "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	status = pclose(f);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "promtool check metrics failed (status %d) on:\n%s", status, text);
}
END_TEST

START_TEST(atomic_write)
{
	char dir[] = "/tmp/check_metrics.XXXXXX", path[256], tmp[300], victim[300], buf[64];
	struct stat sb;
	ssize_t n;
	int fd;
	char err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(agent_metrics_path(dir, "d1", path, sizeof(path)), 0);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	/* A link planted where the new file is made is replaced, never written through. */
	fd = open(victim, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(symlink(victim, tmp), 0);
	umask(077);
	ck_assert_int_eq(agent_metrics_write(path, "a 1\n", err, sizeof(err)), 0);
	ck_assert_int_eq(agent_metrics_write(path, "a 2\n", err, sizeof(err)), 0);
	ck_assert_int_eq(stat(victim, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	ck_assert_int_eq(lstat(tmp, &sb), -1);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0644); /* node_exporter is another user */
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_eq(n, 4);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "a 2\n");
	/* A directory that is gone: an error naming the file, nothing else changed. */
	ck_assert_int_eq(
	    agent_metrics_write("/nonexistent/idleaccd-d1.prom", "a 1\n", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/idleaccd-d1.prom.new: No such file or directory");
	unlink(path);
	unlink(victim);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, offered_and_drained_time);
	tcase_add_test(tc, reaction_from_input);
	tcase_add_test(tc, reaction_not_from_input);
	tcase_add_test(tc, results_counted);
	tcase_add_test(tc, exposition_format);
	tcase_add_test(tc, atomic_write);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(metrics_suite)
