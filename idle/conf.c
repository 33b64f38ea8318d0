/* SPDX-License-Identifier: MIT */
/* conf.c - STUB: to be written. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "idle_int.h"

struct idle_config {
	struct idle_policy policy;
	struct idle_sources sources;
	char path[IDLE_PATH_LEN];
};

void idle_policy_default(struct idle_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->idle_after = DEF_IDLE_AFTER;
	p->locked_idle_after = DEF_LOCKED_IDLE_AFTER;
	p->resume_after = DEF_RESUME_AFTER;
	p->on_owner_return = DEF_ON_OWNER_RETURN;
	p->max_suspend = DEF_MAX_SUSPEND;
	p->warn_signal = DEF_WARN_SIGNAL;
	p->warn_grace = DEF_WARN_GRACE;
	p->remote_sessions = DEF_REMOTE_SESSIONS;
	p->background_load = DEF_BACKGROUND_LOAD;
	p->high_load = DEF_HIGH_LOAD;
	p->high_load_for = DEF_HIGH_LOAD_FOR;
	p->max_memory_used = DEF_MAX_MEMORY_USED;
	p->run_on_battery = DEF_RUN_ON_BATTERY;
	p->max_gpu_util = DEF_MAX_GPU_UTIL;
}

void idle_sources_default(struct idle_sources *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < IDLE_SRC_COUNT; i++)
		s->enabled[i] = true;
	idle_strlcpyf(s->evdev_dir, sizeof(s->evdev_dir), "%s", DEF_EVDEV_DIR);
	s->ntty_dirs = 1;
	idle_strlcpyf(s->tty_dirs[0], sizeof(s->tty_dirs[0]), "%s", DEF_TTY_DIR);
	idle_strlcpyf(s->utmp_file, sizeof(s->utmp_file), "%s", DEF_UTMP_FILE);
	idle_strlcpyf(s->x11_display, sizeof(s->x11_display), "%s", DEF_X11_DISPLAY);
	idle_strlcpyf(s->gpu_library, sizeof(s->gpu_library), "%s", DEF_GPU_LIBRARY);
}

struct idle_config *idle_config_load(const char *path, char *err, size_t errlen)
{
	struct idle_config *c = calloc(1, sizeof(*c));

	if (!c) {
		idle_strlcpyf(err, errlen, "out of memory");
		return NULL;
	}
	idle_policy_default(&c->policy);
	idle_sources_default(&c->sources);
	idle_strlcpyf(c->path, sizeof(c->path), "%s", path ? path : "");
	if (errlen)
		err[0] = '\0';
	return c;
}

void idle_config_free(struct idle_config *c)
{
	free(c);
}

void idle_config_default_path(char *buf, size_t len)
{
	idle_strlcpyf(buf, len, "%s/%s", DEF_CONF_DIR, DEF_CONF_NAME);
}

void idle_config_policy(const struct idle_config *c, const char *node, struct idle_policy *out)
{
	(void)node;
	*out = c->policy;
}

const struct idle_sources *idle_config_sources(const struct idle_config *c)
{
	return &c->sources;
}

const char *idle_config_path(const struct idle_config *c)
{
	return c->path;
}

const struct idle_agent_conf *idle_config_agent(const struct idle_config *c)
{
	static struct idle_agent_conf a = {DEF_AGENT_INTERVAL, DEF_AGENT_RECONCILE,
					   DEF_AGENT_MAX_HOLD, DEF_AGENT_RUN_DIR,
					   DEF_AGENT_STATE_DIR};
	(void)c;
	return &a;
}
