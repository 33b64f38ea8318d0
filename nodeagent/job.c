/* SPDX-License-Identifier: MIT */
/* job.c - a tracked job's record: its constructor, what the state file keeps, its deadline. */
#include "config.h"

#include <string.h>

#include "job.h"

void agent_job_init(struct agent_tjob *j, uint32_t id, enum agent_fate fate, int64_t fate_ms)
{
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->fate = fate;
	j->fate_ms = fate_ms;
	j->can_requeue = true;
	j->suspended = fate == AGENT_JOB_SUSPENDED || fate == AGENT_JOB_KEPT;
}

bool agent_fate_saved(enum agent_fate f)
{
	return f == AGENT_JOB_SUSPENDED || f == AGENT_JOB_KEPT || f == AGENT_JOB_WARN_REQUEUE ||
	       f == AGENT_JOB_WARN_CANCEL;
}

bool agent_job_saved(const struct agent_tjob *j)
{
	return agent_fate_saved(j->fate) || j->suspend_asked_ms || j->warn_sig || j->local_stop;
}

static const char *const fate_names[] = {
    [AGENT_JOB_SEEN] = "seen",
    [AGENT_JOB_SUSPENDED] = "suspended",
    [AGENT_JOB_KEPT] = "kept",
    [AGENT_JOB_WARN_REQUEUE] = "warn-requeue",
    [AGENT_JOB_WARN_CANCEL] = "warn-cancel",
    [AGENT_JOB_REQUEUED] = "requeued",
    [AGENT_JOB_CANCELLED] = "cancelled",
};

const char *agent_fate_name(enum agent_fate f)
{
	return (unsigned)f < sizeof(fate_names) / sizeof(fate_names[0]) ? fate_names[f] : "?";
}

int agent_fate_parse(const char *s, enum agent_fate *f)
{
	size_t i;

	for (i = 0; i < sizeof(fate_names) / sizeof(fate_names[0]); i++)
		if (!strcmp(s, fate_names[i])) {
			*f = (enum agent_fate)i;
			return 0;
		}
	return -1;
}

void agent_job_warning(const struct agent_params *p, const struct agent_tjob *j, int *sig,
		       int64_t *grace_ms)
{
	*sig = p->pol.warn_signal;
	*grace_ms = p->warn_grace_ms;
	if (!j->warn_sig)
		return;
	/* The job picks its signal and may shorten the grace, never lengthen the owner's wait. */
	*sig = j->warn_sig;
	if (agent_secs_ms(j->warn_secs) < *grace_ms)
		*grace_ms = agent_secs_ms(j->warn_secs);
}

int64_t agent_job_due(const struct agent_params *p, const struct agent_tjob *j)
{
	int64_t grace_ms;
	int sig;

	switch (j->fate) {
	case AGENT_JOB_SUSPENDED:
		return j->suspended_ms + p->max_suspend_ms;
	case AGENT_JOB_WARN_REQUEUE:
	case AGENT_JOB_WARN_CANCEL:
		agent_job_warning(p, j, &sig, &grace_ms);
		return j->fate_ms + grace_ms;
	default:
		return 0;
	}
}
