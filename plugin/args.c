/* SPDX-License-Identifier: MIT */
/* args.c - the plugin's plugstack.conf arguments and the --desktop-signal value: parsing only. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "idleacc.h"
#include "signame.h"

#define STR_(x) #x
#define STR(x)	STR_(x) /* a number macro as a string literal */

void idleacc_conf_default(struct idleacc_conf *c)
{
	memset(c, 0, sizeof(*c));
	/* Nice 19, SCHED_IDLE, idle I/O: the owner's work always comes first; the job only
	 * borrows what nobody else wants until idleaccd stops it. */
	c->set_nice = true;
	c->nice = 19;
	c->sched = IDLEACC_SCHED_IDLE;
	c->ionice = IDLEACC_IONICE_IDLE;
	c->ionice_level = 7;
	/*
	 * slurmstepd starts a session, so each job is its own autogroup where the kernel has
	 * them (no cpu cgroup): the CPU is then shared per group, and a task's nice or SCHED_IDLE
	 * weighs only against the job's own tasks. The group's nice puts the job behind the owner.
	 */
	c->set_autogroup = true;
	c->autogroup = 19;
	/* When memory runs out, the kernel kills a job, never the owner's browser. */
	c->set_oom = true;
	c->oom_score_adj = 1000;
	snprintf(c->socket_dir, sizeof(c->socket_dir), "%s", CTL_RUN_DIR);
	/* Long enough for a daemon busy with a sample, short enough for slurmd (ctl.h). */
	c->agent_timeout_ms = CTL_PLUGIN_TIMEOUT_MS;
	c->guard = true;
}

void idleacc_err_add(char *err, size_t errlen, int *count, const char *fmt, ...)
{
	size_t used = strlen(err);
	va_list ap;

	(*count)++;
	if (used + 1 >= errlen)
		return;
	if (used)
		err[used++] = '\n', err[used] = '\0';
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}
/* A whole decimal integer in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_one(struct idleacc_conf *c, const char *key, const char *val)
{
	long v;

	if (!strcmp(key, "nice")) {
		if (!strcmp(val, "none")) {
			c->set_nice = false;
			return 0;
		}
		if (parse_int(val, -20, 19, &v) < 0)
			return -1;
		c->set_nice = true;
		c->nice = (int)v;
	} else if (!strcmp(key, "sched")) {
		if (!strcmp(val, "idle"))
			c->sched = IDLEACC_SCHED_IDLE;
		else if (!strcmp(val, "batch"))
			c->sched = IDLEACC_SCHED_BATCH;
		else if (!strcmp(val, "other"))
			c->sched = IDLEACC_SCHED_OTHER;
		else if (!strcmp(val, "none"))
			c->sched = IDLEACC_SCHED_KEEP;
		else
			return -1;
	} else if (!strcmp(key, "ionice")) {
		if (!strcmp(val, "idle")) {
			c->ionice = IDLEACC_IONICE_IDLE;
		} else if (!strcmp(val, "none")) {
			c->ionice = IDLEACC_IONICE_NONE;
		} else if (!strncmp(val, "best-effort:", 12)) {
			if (parse_int(val + 12, 0, 7, &v) < 0)
				return -1;
			c->ionice = IDLEACC_IONICE_BEST_EFFORT;
			c->ionice_level = (int)v;
		} else {
			return -1;
		}
	} else if (!strcmp(key, "autogroup")) {
		if (!strcmp(val, "none")) {
			c->set_autogroup = false;
			return 0;
		}
		if (parse_int(val, -20, 19, &v) < 0)
			return -1;
		c->set_autogroup = true;
		c->autogroup = (int)v;
	} else if (!strcmp(key, "oom_score_adj")) {
		if (!strcmp(val, "none")) {
			c->set_oom = false;
			return 0;
		}
		if (parse_int(val, -1000, 1000, &v) < 0)
			return -1;
		c->set_oom = true;
		c->oom_score_adj = (int)v;
	} else if (!strcmp(key, "socket_dir")) {
		if (val[0] != '/' || strlen(val) >= sizeof(c->socket_dir))
			return -1;
		snprintf(c->socket_dir, sizeof(c->socket_dir), "%s", val);
	} else if (!strcmp(key, "agent_timeout")) {
		if (parse_int(val, 1, CTL_PLUGIN_TIMEOUT_MAX_MS, &v) < 0)
			return -1;
		c->agent_timeout_ms = (int)v;
	} else if (!strcmp(key, "guard")) {
		if (!strcmp(val, "on"))
			c->guard = true;
		else if (!strcmp(val, "off"))
			c->guard = false;
		else
			return -1;
	} else {
		return -2;
	}
	return 0;
}

/* What a good value of [key] looks like, for the error message. */
static const char *expected(const char *key)
{
	if (!strcmp(key, "nice") || !strcmp(key, "autogroup"))
		return "-20..19 or none";
	if (!strcmp(key, "sched"))
		return "idle, batch, other or none";
	if (!strcmp(key, "ionice"))
		return "idle, best-effort:0..7 or none";
	if (!strcmp(key, "oom_score_adj"))
		return "-1000..1000 or none";
	if (!strcmp(key, "socket_dir"))
		return "an absolute path";
	if (!strcmp(key, "agent_timeout"))
		return "milliseconds, 1.." STR(CTL_PLUGIN_TIMEOUT_MAX_MS);
	return "on or off";
}

int idleacc_conf_parse(struct idleacc_conf *c, int ac, char **av, char *err, size_t errlen)
{
	int i, nbad = 0;

	idleacc_conf_default(c);
	if (errlen)
		err[0] = '\0';
	for (i = 0; i < ac; i++) {
		char key[32];
		const char *eq = strchr(av[i], '=');
		size_t klen = eq ? (size_t)(eq - av[i]) : 0;
		int r;

		if (!eq || klen == 0) {
			idleacc_err_add(err, errlen, &nbad, "argument \"%s\": expected KEY=VALUE",
					av[i]);
			continue;
		}
		if (klen >= sizeof(key)) { /* longer than any setting's name */
			idleacc_err_add(err, errlen, &nbad,
					"argument \"%s\": unknown setting \"%.*s\"", av[i],
					(int)klen, av[i]);
			continue;
		}
		memcpy(key, av[i], klen);
		key[klen] = '\0';
		r = parse_one(c, key, eq + 1);
		if (r == -2)
			idleacc_err_add(err, errlen, &nbad,
					"argument \"%s\": unknown setting \"%s\"", av[i], key);
		else if (r < 0)
			idleacc_err_add(err, errlen, &nbad, "argument \"%s\": expected %s", av[i],
					expected(key));
	}
	return nbad;
}

#define SIGNAL_HINT "(use e.g. USR1@120)"

int idleacc_signal_parse(const char *s, struct idleacc_signal *out, char *err, size_t errlen)
{
	const char *at = strchr(s, '@');
	int nlen = (int)(at ? (size_t)(at - s) : strlen(s));

	/* The grammar is common/signame.h's, as idleaccd reads it; only the words are ours. */
	switch (signame_spec_parse(s, &out->signo, &out->secs)) {
	case 0:
		return 0;
	case SIGNAME_EMPTY:
		snprintf(err, errlen, "--desktop-signal: no signal given " SIGNAL_HINT);
		break;
	case SIGNAME_UNKNOWN:
	case SIGNAME_RANGE:
		snprintf(err, errlen, "--desktop-signal: unknown signal \"%.*s\" " SIGNAL_HINT,
			 nlen, s);
		break;
	case SIGNAME_NO_GRACE:
		snprintf(err, errlen, "--desktop-signal: \"%s\" has no @SECONDS " SIGNAL_HINT, s);
		break;
	default:
		snprintf(err, errlen,
			 "--desktop-signal: \"%s\" is not a number of seconds 0..%d " SIGNAL_HINT,
			 at + 1, SIGNAME_MAX_GRACE);
		break;
	}
	return -1;
}

void idleacc_signal_format(const struct idleacc_signal *sig, char *buf, size_t len)
{
	signame_spec_format(sig->signo, sig->secs, buf, len);
}
