/* SPDX-License-Identifier: MIT */
/*
 * idleacc.c - the SPANK plugin's entry points: which Slurm context does what.
 *
 *   sbatch/salloc/srun   validate --desktop-signal and pass it on in the job control env
 *   slurmd (job prolog)  ask idleaccd "admit JOBID"; on "no" or no answer, relaunch the job
 *                        elsewhere; then "job-start JOBID [SIG@SECS]"
 *   slurmstepd (task)    nice, scheduling policy, I/O class and oom_score_adj of each task
 *   slurmd (job epilog)  "job-end JOBID"
 *
 * What never happens, whatever fails: a negative return in slurmd or slurmstepd. In Slurm 22.05
 * that drains the node and holds the job (prolog), fails it (task) or loses it silently (init).
 * What is never quiet: anything that leaves a job on the desktop without the owner's full
 * protection (a refusal that could not send it away, a notice idleaccd did not take) is logged
 * with slurm_error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#include "ctl.h"
#include "idleacc.h"
#include "signame.h"

SPANK_PLUGIN(idleacc, 1);

/* Settings of this process, parsed once from the plugstack.conf arguments. */
static struct idleacc_conf conf;
static bool conf_loaded;

/* --desktop-signal as given on the command line (local/allocator) or forwarded (remote). */
static struct idleacc_signal desk_signal;
static bool desk_signal_set;

static int opt_desktop_signal(int val, const char *optarg, int remote);

static struct spank_option desktop_signal_opt = {
    .name = "desktop-signal",
    .arginfo = "SIG@SECONDS",
    .usage = "Signal SIG, then SECONDS of grace, before the job is requeued because the "
	     "desktop's owner came back (e.g. USR1@120)",
    .has_arg = 1,
    .cb = opt_desktop_signal,
};

/* Logs each bad argument; returns how many there were. */
static int load_conf(int ac, char **av)
{
	char err[1024], *line, *save = NULL;
	int nbad;

	if (conf_loaded)
		return 0;
	conf_loaded = true;
	nbad = idleacc_conf_parse(&conf, ac, av, err, sizeof(err));
	for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		slurm_error(IDLEACC_TAG "plugstack.conf: %s", line);
	return nbad;
}

static int opt_desktop_signal(int val, const char *optarg, int remote)
{
	char err[256];

	(void)val;
	if (idleacc_signal_parse(optarg ? optarg : "", &desk_signal, err, sizeof(err)) < 0) {
		desk_signal_set = false;
		slurm_error(IDLEACC_TAG "%s", err);
		/* sbatch and srun refuse the job; slurmstepd must never fail for it. */
		return remote ? 0 : -1;
	}
	desk_signal_set = true;
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();
	int nbad;

	switch (ctx) {
	case S_CTX_ALLOCATOR:
	case S_CTX_LOCAL:
	case S_CTX_REMOTE:
		break;
	case S_CTX_SLURMD:
		/* slurmd's log at start-up is where an admin sees a typo before any job does. */
		load_conf(ac, av);
		return 0;
	default:
		return 0;
	}
	nbad = load_conf(ac, av);
	if (spank_option_register(sp, &desktop_signal_opt) != ESPANK_SUCCESS)
		slurm_error(IDLEACC_TAG "cannot register --desktop-signal");
	/*
	 * A bad plugstack.conf stops sbatch and srun with the message above, where someone reads
	 * it. In slurmstepd a failing init would end the job COMPLETED without running it: there
	 * the bad arguments keep their defaults, which are the owner-friendly ones.
	 */
	if (nbad && ctx != S_CTX_REMOTE)
		return -1;
	return 0;
}

/* Hands the checked --desktop-signal to the prolog, through the job control environment. */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();
	char val[32];

	(void)ac;
	(void)av;
	if ((ctx != S_CTX_ALLOCATOR && ctx != S_CTX_LOCAL) || !desk_signal_set)
		return 0;
	idleacc_signal_format(&desk_signal, val, sizeof(val));
	if (spank_job_control_setenv(sp, IDLEACC_SIGNAL_VAR, val, 1) != ESPANK_SUCCESS) {
		slurm_error(IDLEACC_TAG "--desktop-signal: cannot pass it to the job");
		return -1;
	}
	return 0;
}

/* The job id and node of a prolog or epilog; false (logged) if either is missing. */
static bool job_and_node(spank_t sp, const char *what, uint32_t *jobid, const char **node)
{
	*node = getenv("SLURMD_NODENAME");
	if (spank_get_item(sp, S_JOB_ID, jobid) != ESPANK_SUCCESS) {
		slurm_error(IDLEACC_TAG "%s: no job id", what);
		return false;
	}
	if (!*node || !**node) {
		slurm_error(IDLEACC_TAG "%s: job %u: SLURMD_NODENAME is not set", what, *jobid);
		return false;
	}
	return true;
}

/*
 * idleaccd's verdict on job [jobid]: true to let it start. Anything but "yes" refuses, with
 * [why] filled: "no: REASON", no socket, no answer in time, or an answer we do not know.
 */
static bool admitted(const char *node, uint32_t jobid, char *why, size_t len)
{
	char req[64], err[320], *resp = NULL;
	const char *no;
	bool yes = false;

	snprintf(req, sizeof(req), CTL_ADMIT " %u", jobid);
	if (idleacc_agent_call(&conf, node, req, &resp, err, sizeof(err)) < 0) {
		snprintf(why, len, "owner state unknown: %s", err);
		return false;
	}
	if (!strcmp(resp, CTL_YES))
		yes = true;
	else if ((no = ctl_answer(resp, CTL_NO)))
		snprintf(why, len, "%s", no[0] ? no : "idleaccd said no");
	else
		snprintf(why, len, "owner state unknown: idleaccd answered \"%.60s\"", resp);
	free(resp);
	return yes;
}

/*
 * Tells idleaccd that job [jobid] started or ended here ([req]). Never delays the job beyond
 * agent_timeout; a notice that is not taken is an error, because it weakens the owner's
 * protection: without job-start idleaccd finds the job only in a listing (one more Slurm call
 * before it can stop the job when the owner comes back) and without its --desktop-signal.
 */
static void notify(const char *node, uint32_t jobid, const char *req)
{
	char err[512], *resp = NULL;

	if (idleacc_agent_call(&conf, node, req, &resp, err, sizeof(err)) < 0) {
		slurm_error(IDLEACC_TAG "job %u: \"%s\" failed: %s", jobid, req, err);
		return;
	}
	if (strcmp(resp, CTL_OK))
		slurm_error(IDLEACC_TAG "job %u: \"%s\" failed: idleaccd answered \"%.80s\"", jobid,
			    req, resp);
	free(resp);
}

/* The job's --desktop-signal from the job control environment, canonical, or "" if none. */
static void job_signal(uint32_t jobid, char *buf, size_t len)
{
	const char *v = getenv(IDLEACC_SIGNAL_ENV);
	struct idleacc_signal sig;
	char err[256];

	buf[0] = '\0';
	if (!v || !*v)
		return;
	/* sbatch checked it, but the control env is only as honest as the client that sent it. */
	if (idleacc_signal_parse(v, &sig, err, sizeof(err)) < 0) {
		slurm_error(IDLEACC_TAG "job %u: %s: ignored", jobid, err);
		return;
	}
	idleacc_signal_format(&sig, buf, len);
}

int slurm_spank_job_prolog(spank_t sp, int ac, char **av)
{
	char why[512], err[512], req[96], sig[SIGNAME_SPEC_LEN];
	const char *node;
	uint32_t jobid;

	if (spank_context() != S_CTX_JOB_SCRIPT)
		return 0;
	load_conf(ac, av);
	if (!job_and_node(sp, "prolog", &jobid, &node))
		return 0;

	if (conf.guard && !admitted(node, jobid, why, sizeof(why))) {
		switch (idleacc_relaunch(jobid, node, why, err, sizeof(err))) {
		case IDLEACC_RELAUNCHED:
			slurm_info(IDLEACC_TAG
				   "job %u refused by %s (%s): requeued to run elsewhere",
				   jobid, node, why);
			return 0;
		case IDLEACC_RELAUNCHED_NOT_EXCLUDED:
			slurm_error(IDLEACC_TAG "job %u refused by %s (%s): requeued, but %s: it "
						"may come back here",
				    jobid, node, why, err);
			return 0;
		case IDLEACC_RELAUNCH_FAILED:
			break;
		}
		/*
		 * The job cannot be sent elsewhere. Failing here would drain this desktop and hold
		 * the job; letting it run leaves it to idleaccd, which stops jobs while the owner
		 * is present. The lesser harm, said loudly.
		 */
		slurm_error(IDLEACC_TAG "job %u refused by %s (%s), but %s: the job runs here",
			    jobid, node, why, err);
	}
	job_signal(jobid, sig, sizeof(sig));
	snprintf(req, sizeof(req), CTL_JOB_START " %u%s%s", jobid, sig[0] ? " " : "", sig);
	notify(node, jobid, req);
	return 0;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	char err[512], *line, *save = NULL;
	uint32_t jobid = 0;

	if (spank_context() != S_CTX_REMOTE)
		return 0;
	load_conf(ac, av);
	if (idleacc_gentle(&conf, err, sizeof(err)) == 0)
		return 0;
	/* A task that keeps a higher priority is no reason to fail a job. */
	spank_get_item(sp, S_JOB_ID, &jobid);
	for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		slurm_error(IDLEACC_TAG "job %u: %s", jobid, line);
	return 0;
}

int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
	char req[64];
	const char *node;
	uint32_t jobid;

	if (spank_context() != S_CTX_JOB_SCRIPT)
		return 0;
	load_conf(ac, av);
	if (!job_and_node(sp, "epilog", &jobid, &node))
		return 0;
	snprintf(req, sizeof(req), CTL_JOB_END " %u", jobid);
	notify(node, jobid, req);
	return 0;
}
