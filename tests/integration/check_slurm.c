/* SPDX-License-Identifier: MIT */
/*
 * check_slurm.c - drives nodeagent/slurm.c against a real cluster, one command per call, for
 * slurm.test to check (Slurm's state is the test's fixture, so the script owns the sequence).
 *
 * Usage: check_slurm COMMAND [ARGS] [COMMAND [ARGS]...]. Commands run in order in one process
 * (one agent_slurm_init), so a sequence exercises what the layer keeps between calls:
 *   node NODE | node-of-host HOST | drain NODE REASON | resume NODE | jobs NODE |
 *   suspend JOB | resume-job JOB | requeue JOB | release JOB | signal JOB SIG | cancel JOB
 * Results go to stdout in a fixed format; a failure prints "error: MESSAGE" and
 * "unreachable: yes|no", and the program exits 1 after the remaining commands. The time each
 * call took goes to stderr ("time: node 0.8 ms"), for the test log, never for a verdict.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slurm.h"

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int parse_job(const char *s, uint32_t *job)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "check_slurm: bad job id \"%s\"\n", s);
		return -1;
	}
	*job = (uint32_t)v;
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"TERM", SIGTERM}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
		    {"USR2", SIGUSR2}, {"INT", SIGINT},	  {"CONT", SIGCONT}};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	return atoi(s);
}

static void print_node(const struct agent_node *n)
{
	printf("%s %s drain=%s down=%s not_responding=%s reason=\"%s\"", n->name, n->state,
	       yesno(n->drain), yesno(n->down), yesno(n->not_responding), n->reason);
	if (n->reason[0])
		printf(" reason_uid=%u reason_time_set=%s", n->reason_uid,
		       yesno(n->reason_time > 0));
	printf("\n");
}

static void print_job(const struct agent_job *j)
{
	printf("job %u %s running=%s suspended=%s completing=%s held=%s batch=%s requeueable=%s "
	       "user=%u started=%s suspend_time_set=%s\n",
	       j->id, j->state, yesno(j->running), yesno(j->suspended), yesno(j->completing),
	       yesno(j->held), yesno(j->batch), yesno(j->requeueable), j->user_id,
	       yesno(j->start_time > 0), yesno(j->suspend_time > 0));
}

/* Number of arguments each command takes, or -1 for an unknown command. */
static int arity(const char *cmd)
{
	static const struct {
		const char *name;
		int n;
	} cmds[] = {{"node", 1},    {"node-of-host", 1}, {"drain", 2},	    {"resume", 1},
		    {"jobs", 1},    {"suspend", 1},	 {"resume-job", 1}, {"requeue", 1},
		    {"release", 1}, {"signal", 2},	 {"cancel", 1}};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].n;
	return -1;
}

/* Runs one command; returns the agent_slurm_* result (0 or -1), or -2 for bad arguments. */
static int run(const char *cmd, char **a, char *err, size_t errlen)
{
	uint32_t job = 0;
	int rc;

	if (strcmp(cmd, "node") == 0) {
		struct agent_node n;

		rc = agent_slurm_node(a[0], &n, err, errlen);
		if (rc == 0)
			print_node(&n);
		return rc;
	}
	if (strcmp(cmd, "node-of-host") == 0) {
		char node[AGENT_NODE_LEN];

		rc = agent_slurm_node_of_host(a[0], node, sizeof(node), err, errlen);
		if (rc == 0)
			printf("%s\n", node);
		return rc;
	}
	if (strcmp(cmd, "drain") == 0)
		return agent_slurm_drain(a[0], a[1], err, errlen);
	if (strcmp(cmd, "resume") == 0)
		return agent_slurm_resume(a[0], err, errlen);
	if (strcmp(cmd, "jobs") == 0) {
		struct agent_job *jobs;
		size_t n, i;

		rc = agent_slurm_jobs(a[0], &jobs, &n, err, errlen);
		if (rc == 0) {
			for (i = 0; i < n; i++)
				print_job(&jobs[i]);
			printf("jobs on %s: %zu\n", a[0], n);
			free(jobs);
		}
		return rc;
	}
	if (parse_job(a[0], &job) != 0)
		return -2;
	if (strcmp(cmd, "suspend") == 0)
		return agent_slurm_suspend(job, err, errlen);
	if (strcmp(cmd, "resume-job") == 0)
		return agent_slurm_resume_job(job, err, errlen);
	if (strcmp(cmd, "requeue") == 0)
		return agent_slurm_requeue(job, err, errlen);
	if (strcmp(cmd, "release") == 0)
		return agent_slurm_release(job, err, errlen);
	if (strcmp(cmd, "signal") == 0)
		return agent_slurm_signal(job, parse_signal(a[1]), err, errlen);
	return agent_slurm_cancel(job, err, errlen);
}

int main(int argc, char **argv)
{
	char err[512];
	int i = 1, status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: check_slurm COMMAND [ARGS] [COMMAND [ARGS]...]\n");
		return 2;
	}
	if (agent_slurm_init(NULL, err, sizeof(err)) != 0) {
		printf("error: %s\n", err);
		return 1;
	}
	while (i < argc) {
		int n = arity(argv[i]), rc;
		double t0;

		if (n < 0 || i + n > argc - 1) {
			fprintf(stderr, "check_slurm: bad command or missing argument at \"%s\"\n",
				argv[i]);
			agent_slurm_fini();
			return 2;
		}
		t0 = now_ms();
		err[0] = '\0';
		rc = run(argv[i], &argv[i + 1], err, sizeof(err));
		fprintf(stderr, "time: %s %.1f ms\n", argv[i], now_ms() - t0);
		if (rc == -2) {
			agent_slurm_fini();
			return 2;
		}
		if (rc != 0) {
			printf("error: %s\nunreachable: %s\n", err,
			       yesno(agent_slurm_unreachable()));
			status = 1;
		}
		fflush(stdout);
		i += n + 1;
	}
	agent_slurm_fini();
	return status;
}
