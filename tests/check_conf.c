/* SPDX-License-Identifier: MIT */
/*
 * check_conf.c - idleacc.yaml: every key, sources, node groups, the agent's section (read by
 * libidle through nodeagent/agentconf.c's table, as idleaccd's programs read the file), and
 * every error message.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentconf.h"
#include "defaults.h"
#include "idle.h"
#include "testutil.h"

#define ERRLEN 4096

/* The file as idleaccd's programs load it: libidle's sections and the agent's. */
#define LOAD(path, err, errlen) idle_config_load(path, agent_conf_section(), 1, err, errlen)

/* A mkdtemp() directory per test, holding the files the tests write. */
static char tmpdir[64];
static char tmpfile_[128];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(tmpfile_, sizeof(tmpfile_), "%s/idleacc.yaml", tmpdir);
}

static void teardown(void)
{
	char d[160];

	unlink(tmpfile_);
	snprintf(d, sizeof(d), "%s/dir", tmpdir);
	rmdir(d);
	rmdir(tmpdir);
}

/* Writes [text] to the test's idleacc.yaml with [mode]; returns its path. */
static const char *write_conf_mode(const char *text, mode_t mode)
{
	FILE *f = fopen(tmpfile_, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(tmpfile_, mode), 0);
	return tmpfile_;
}

static const char *write_conf(const char *text)
{
	return write_conf_mode(text, 0644);
}

/* A fixture of tests/data/conf, made 0644 since git does not keep modes. */
static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s", test_data(name));
	chmod(path, 0644);
	return path;
}

static struct idle_config *load_ok(const char *path)
{
	char err[ERRLEN] = "junk";
	struct idle_config *c = LOAD(path, err, sizeof(err));

	ck_assert_msg(c != NULL, "%s did not load: %s", path, err);
	ck_assert_str_eq(err, "");
	return c;
}

static struct idle_config *load_text(const char *text)
{
	return load_ok(write_conf(text));
}

/* Asserts that loading [path] fails with exactly [lines], each "LINE:COL: msg", path first. */
static void expect_errors_at(const char *path, const char *const *lines)
{
	char err[ERRLEN], want[ERRLEN];
	size_t off = 0;

	for (; *lines; lines++)
		off += (size_t)snprintf(want + off, sizeof(want) - off, "%s%s:%s", off ? "\n" : "",
					path, *lines);
	ck_assert_ptr_null(LOAD(path, err, sizeof(err)));
	ck_assert_str_eq(err, want);
}

/* The same for a file holding [text]. */
static void expect_errors(const char *text, const char *const *lines)
{
	expect_errors_at(write_conf(text), lines);
}

/* The same for a file holding [text] and a single error. */
static void expect_error(const char *text, const char *line)
{
	const char *lines[] = {line, NULL};

	expect_errors(text, lines);
}

static void assert_policy_default(const struct idle_policy *p)
{
	struct idle_policy d;

	idle_policy_default(&d);
	ck_assert_int_eq(p->idle_after, d.idle_after);
	ck_assert_int_eq(p->locked_idle_after, d.locked_idle_after);
	ck_assert_int_eq(p->resume_after, d.resume_after);
	ck_assert_int_eq(p->on_owner_return, d.on_owner_return);
	ck_assert_int_eq(p->max_suspend, d.max_suspend);
	ck_assert_int_eq(p->warn_signal, d.warn_signal);
	ck_assert_int_eq(p->warn_grace, d.warn_grace);
	ck_assert_int_eq(p->remote_sessions, d.remote_sessions);
	ck_assert_double_eq(p->background_load, d.background_load);
	ck_assert_double_eq(p->high_load, d.high_load);
	ck_assert_int_eq(p->high_load_for, d.high_load_for);
	ck_assert_double_eq(p->max_memory_used, d.max_memory_used);
	ck_assert_int_eq(p->run_on_battery, d.run_on_battery);
	ck_assert_int_eq(p->max_gpu_util, d.max_gpu_util);
	ck_assert_int_eq(p->nwindows, 0);
}

static void assert_window(const struct idle_window *w, int days, int start, int end)
{
	ck_assert_int_eq(w->days, days);
	ck_assert_int_eq(w->start_min, start);
	ck_assert_int_eq(w->end_min, end);
}

/* ---------------------------------------------------------------- defaults */

START_TEST(test_defaults)
{
	struct idle_config *c = load_ok(NULL);
	const struct agent_conf *a = agent_conf(c);
	struct idle_sources s;
	struct idle_policy p;

	idle_config_policy(c, "pc1", &p);
	assert_policy_default(&p);
	ck_assert_int_eq(p.idle_after, 15 * 60);
	ck_assert_int_eq(p.warn_signal, SIGTERM);
	idle_sources_default(&s);
	ck_assert_mem_eq(idle_config_sources(c), &s, sizeof(s));
	ck_assert_int_eq(a->interval, DEF_AGENT_INTERVAL);
	ck_assert_int_eq(a->reconcile, DEF_AGENT_RECONCILE);
	ck_assert_int_eq(a->max_hold, DEF_AGENT_MAX_HOLD);
	ck_assert_str_eq(a->run_dir, "/run/idleaccd");
	ck_assert_str_eq(a->state_dir, "/var/lib/idleaccd");
	ck_assert_str_eq(idle_config_path(c), "");
	idle_config_free(c);
}
END_TEST

START_TEST(test_empty_file)
{
	static const char *const texts[] = {"", "# nothing but a comment\n", "---\n", "~\n"};
	struct idle_sources s;
	struct idle_policy p;
	size_t i;

	idle_sources_default(&s);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct idle_config *c = load_text(texts[i]);

		idle_config_policy(c, "pc1", &p);
		assert_policy_default(&p);
		ck_assert_mem_eq(idle_config_sources(c), &s, sizeof(s));
		ck_assert_str_eq(idle_config_path(c), tmpfile_);
		idle_config_free(c);
	}
}
END_TEST

/* conf/idleacc.yaml is what every admin copies: it must load and say the defaults. */
START_TEST(test_example_is_defaults)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	struct idle_config *c;
	struct idle_sources s;
	struct idle_policy p;
	const struct agent_conf *a;

	snprintf(path, sizeof(path), "%s/conf/idleacc.yaml", top ? top : "..");
	chmod(path, 0644);
	c = load_ok(path);
	idle_config_policy(c, "lab-a001", &p);
	assert_policy_default(&p);
	idle_sources_default(&s);
	ck_assert_mem_eq(idle_config_sources(c), &s, sizeof(s));
	a = agent_conf(c);
	ck_assert_int_eq(a->interval, DEF_AGENT_INTERVAL);
	ck_assert_int_eq(a->reconcile, DEF_AGENT_RECONCILE);
	ck_assert_int_eq(a->max_hold, DEF_AGENT_MAX_HOLD);
	ck_assert_str_eq(a->run_dir, DEF_AGENT_RUN_DIR);
	ck_assert_str_eq(a->state_dir, DEF_AGENT_STATE_DIR);
	ck_assert_str_eq(idle_config_emergency(c)->partition, DEF_EMERGENCY_PARTITION);
	ck_assert(!idle_config_emergency(c)->requisition);
	ck_assert_int_eq(idle_config_emergency(c)->cpu_share, DEF_EMERGENCY_CPU_SHARE);
	idle_config_free(c);
}
END_TEST

/* emergency: its own keys, its policy keys over the node's, idle_after's default, errors. */
START_TEST(test_emergency)
{
	struct idle_config *c;
	struct idle_policy p;

	c = load_text("policy:\n  idle_after: 20m\n  resume_after: 4m\n"
		      "nodes:\n  pc[1-2]:\n    max_suspend: 1h\n"
		      "emergency:\n  partition: urgent\n  requisition: true\n  cpu_share: 30%\n"
		      "  on_owner_return: drain\n");
	ck_assert_str_eq(idle_config_emergency(c)->partition, "urgent");
	ck_assert(idle_config_emergency(c)->requisition);
	ck_assert_int_eq(idle_config_emergency(c)->cpu_share, 30);
	idle_config_emergency_policy(c, "pc1", &p);
	ck_assert_int_eq(p.on_owner_return, IDLE_RETURN_DRAIN);
	ck_assert_int_eq(p.max_suspend, 3600);	/* the node group's */
	ck_assert_int_eq(p.idle_after, 4 * 60); /* resume_after: no idle_after wait */
	idle_config_policy(c, "pc1", &p);	/* the normal policy is untouched */
	ck_assert_int_eq(p.on_owner_return, DEF_ON_OWNER_RETURN);
	ck_assert_int_eq(p.idle_after, 20 * 60);
	idle_config_free(c);

	c = load_text("emergency:\n  idle_after: 7m\n");
	idle_config_emergency_policy(c, "pc1", &p);
	ck_assert_int_eq(p.idle_after, 7 * 60);
	ck_assert_int_eq(p.resume_after, DEF_RESUME_AFTER);
	idle_config_free(c);

	const char *errs[] = {
	    "2:14: emergency.partition: a partition name without spaces or commas",
	    "3:16: emergency.requisition: expected true or false, got \"maybe\"",
	    "4:14: emergency.cpu_share: 0% is not between 1% and 100%",
	    "5:3: unknown key \"idle_afterx\" in emergency", NULL};
	expect_errors("emergency:\n  partition: \"a b\"\n  requisition: maybe\n  cpu_share: 0%\n"
		      "  idle_afterx: 1s\n",
		      errs);
	expect_error(
	    "emergency:\n  cpu_share: half\n",
	    "2:14: emergency.cpu_share: expected a percentage (50 or \"50%\"), got \"half\"");
}
END_TEST

START_TEST(test_default_path)
{
	char b[256];

	unsetenv("SLURM_CONF");
	agent_slurm_conf_take();
	agent_conf_path(b, sizeof(b));
	ck_assert_str_eq(b, "/etc/slurm/idleacc.yaml");
	setenv("SLURM_CONF", "/opt/slurm/etc/slurm.conf", 1);
	agent_slurm_conf_take();
	agent_conf_path(b, sizeof(b));
	ck_assert_str_eq(b, "/opt/slurm/etc/idleacc.yaml");
	setenv("SLURM_CONF", "slurm.conf", 1);
	agent_slurm_conf_take();
	agent_conf_path(b, sizeof(b));
	ck_assert_str_eq(b, "idleacc.yaml");
	setenv("SLURM_CONF", "", 1);
	agent_slurm_conf_take();
	agent_conf_path(b, sizeof(b));
	ck_assert_str_eq(b, "/etc/slurm/idleacc.yaml");
}
END_TEST

/* ---------------------------------------------------------------- policy */

START_TEST(test_every_key)
{
	struct idle_config *c = load_ok(fixture("conf/full.yaml"));
	const struct agent_conf *a = agent_conf(c);
	struct idle_policy p;

	idle_config_policy(c, "pc1", &p);
	ck_assert_int_eq(p.idle_after, 7200);
	ck_assert_int_eq(p.locked_idle_after, 90);
	ck_assert_int_eq(p.resume_after, 5400);
	ck_assert_int_eq(p.on_owner_return, IDLE_RETURN_REQUEUE);
	ck_assert_int_eq(p.max_suspend, 300);
	ck_assert_int_eq(p.warn_signal, SIGUSR1);
	ck_assert_int_eq(p.warn_grace, 45);
	ck_assert_int_eq(p.remote_sessions, false);
	ck_assert_double_eq(p.background_load, 0.25);
	ck_assert_double_eq(p.high_load, 1.5);
	ck_assert_int_eq(p.high_load_for, 180);
	ck_assert_double_eq(p.max_memory_used, 75.0);
	ck_assert_int_eq(p.run_on_battery, true);
	ck_assert_int_eq(p.max_gpu_util, 40);
	ck_assert_int_eq(p.nwindows, 4);
	assert_window(&p.windows[0], 0x1f, 18 * 60, 8 * 60);
	assert_window(&p.windows[1], 0x60, 0, 1440);
	assert_window(&p.windows[2], 0x60, 0, 1440);
	assert_window(&p.windows[3], 0x7f, 12 * 60, 13 * 60 + 30);
	ck_assert_int_eq(a->interval, 10);
	ck_assert_int_eq(a->reconcile, 900);
	ck_assert_int_eq(a->max_hold, 7200);
	ck_assert_str_eq(a->run_dir, "/var/run/idleacc");
	ck_assert_str_eq(a->state_dir, "/srv/idleacc/state");
	idle_config_free(c);
}
END_TEST

/* The other spellings each key accepts. */
START_TEST(test_value_forms)
{
	static const struct {
		const char *text;
		int signal;
		bool remote;
		int gpu;
		double mem;
		enum idle_on_return ret;
	} cases[] = {
	    {"warn_signal: TERM\nremote_sessions: count\nmax_gpu_util: \"90%\"\n"
	     "max_memory_used: 90\non_owner_return: drain\n",
	     SIGTERM, true, 90, 90.0, IDLE_RETURN_DRAIN},
	    {"warn_signal: usr2\nremote_sessions: false\nmax_gpu_util: 0\n"
	     "max_memory_used: 12.5%\non_owner_return: cancel\n",
	     SIGUSR2, false, 0, 12.5, IDLE_RETURN_CANCEL},
	    {"warn_signal: 10\nremote_sessions: true\nmax_gpu_util: 100%\n"
	     "max_memory_used: '100'\non_owner_return: suspend\n",
	     10, true, 100, 100.0, IDLE_RETURN_SUSPEND},
	    {"warn_signal: SIGKILL\nremote_sessions: ignore\nmax_gpu_util: 5\n"
	     "max_memory_used: 0\non_owner_return: Requeue\n",
	     SIGKILL, false, 5, 0.0, IDLE_RETURN_REQUEUE},
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct idle_config *c;
		struct idle_policy p;
		const char *s;
		size_t off = (size_t)snprintf(text, sizeof(text), "policy:\n");

		/* indent every line of the case under policy: */
		for (s = cases[i].text; *s; s++) {
			if (s == cases[i].text || s[-1] == '\n')
				off += (size_t)snprintf(text + off, sizeof(text) - off, "  ");
			text[off++] = *s;
		}
		text[off] = '\0';
		c = load_text(text);
		idle_config_policy(c, "pc1", &p);
		ck_assert_int_eq(p.warn_signal, cases[i].signal);
		ck_assert_int_eq(p.remote_sessions, cases[i].remote);
		ck_assert_int_eq(p.max_gpu_util, cases[i].gpu);
		ck_assert_double_eq(p.max_memory_used, cases[i].mem);
		ck_assert_int_eq(p.on_owner_return, cases[i].ret);
		idle_config_free(c);
	}
}
END_TEST

START_TEST(test_durations)
{
	struct idle_config *c = load_text("policy:\n"
					  "  idle_after: 3h\n"
					  "  locked_idle_after: 90s\n"
					  "  resume_after: 2h\n"
					  "  max_suspend: 1d\n"
					  "  warn_grace: \"600\"\n"
					  "  high_load_for: 0\n");
	struct idle_policy p;

	idle_config_policy(c, NULL, &p);
	ck_assert_int_eq(p.idle_after, 10800);
	ck_assert_int_eq(p.locked_idle_after, 90);
	ck_assert_int_eq(p.resume_after, 7200);
	ck_assert_int_eq(p.max_suspend, 86400);
	ck_assert_int_eq(p.warn_grace, 600);
	ck_assert_int_eq(p.high_load_for, 0);
	idle_config_free(c);
}
END_TEST

/*
 * A key left at its default adapts to the keys written: "idle_after: 3s" alone means the
 * desktop comes back after 3 s, so resume_after and locked_idle_after (5 m by default) follow
 * it down; a longer idle_after leaves them at their defaults.
 */
START_TEST(test_absence_defaults)
{
	struct idle_config *c = load_text("policy:\n  idle_after: 3s\n");
	struct idle_policy p;

	idle_config_policy(c, NULL, &p);
	ck_assert_int_eq(p.idle_after, 3);
	ck_assert_int_eq(p.resume_after, 3);
	ck_assert_int_eq(p.locked_idle_after, 3);
	idle_config_free(c);

	c = load_text("policy:\n  idle_after: 1h\nnodes:\n  pc1:\n    idle_after: 2m\n");
	idle_config_policy(c, "pc2", &p);
	ck_assert_int_eq(p.resume_after, DEF_RESUME_AFTER);
	ck_assert_int_eq(p.locked_idle_after, DEF_LOCKED_IDLE_AFTER);
	idle_config_policy(c, "pc1", &p);
	ck_assert_int_eq(p.idle_after, 120);
	ck_assert_int_eq(p.resume_after, 120);
	ck_assert_int_eq(p.locked_idle_after, 120);
	idle_config_free(c);
}
END_TEST

/* Durations of absence that contradict each other when both are written, each at its key. */
START_TEST(test_absence_errors)
{
	static const char *const group_lines[] = {
	    "6:5: nodes.lab[1-9]: resume_after 10m is longer than idle_after 3s: suspended jobs "
	    "would wait while new ones start (make resume_after at most idle_after)",
	    NULL};

	expect_error("policy:\n  idle_after: 5m\n  resume_after: 10m\n",
		     "3:3: policy: resume_after 10m is longer than idle_after 5m: suspended jobs "
		     "would wait while new ones start (make resume_after at most idle_after)");
	expect_error("policy:\n  locked_idle_after: 20m\n  idle_after: 15m\n",
		     "2:3: policy: locked_idle_after 20m is longer than idle_after 15m: a locked "
		     "screen would keep the desktop out longer than an unlocked one");
	expect_error("policy:\n  resume_after: 0\n",
		     "2:17: policy.resume_after: must be at least 1s");
	expect_error("policy:\n  idle_after: 0s\n", "2:15: policy.idle_after: must be at least 1s");
	expect_error("policy:\n  locked_idle_after: 0\n",
		     "2:22: policy.locked_idle_after: must be at least 1s");
	/* A group that lowers idle_after below the resume_after of policy: is reported at the
	 * group's key; one that leaves both alone is not. */
	expect_errors("policy:\n"
		      "  resume_after: 10m\n"
		      "  idle_after: 20m\n"
		      "nodes:\n"
		      "  lab[1-9]:\n"
		      "    idle_after: 3s\n"
		      "  pc1:\n"
		      "    max_suspend: 1m\n",
		      group_lines);
}
END_TEST

START_TEST(test_hours)
{
	struct idle_config *c = load_text("policy:\n"
					  "  hours:\n"
					  "    - Fri-Mon\n"
					  "    - 22:00-00:00\n"
					  "    - Sat, Sun 9:00-17:00\n"
					  "    - monday,Wednesday\n"
					  "    - daily 00:00-00:00\n");
	struct idle_policy p;

	idle_config_policy(c, "pc1", &p);
	ck_assert_int_eq(p.nwindows, 5);
	assert_window(&p.windows[0], 0x71, 0, 1440); /* Fri Sat Sun Mon */
	assert_window(&p.windows[1], 0x7f, 22 * 60, 1440);
	assert_window(&p.windows[2], 0x60, 9 * 60, 17 * 60);
	assert_window(&p.windows[3], 0x05, 0, 1440);
	assert_window(&p.windows[4], 0x7f, 0, 1440);
	idle_config_free(c);

	/* one window needs no list */
	c = load_text("policy:\n  hours: Sat,Sun\n");
	idle_config_policy(c, "pc1", &p);
	ck_assert_int_eq(p.nwindows, 1);
	assert_window(&p.windows[0], 0x60, 0, 1440);
	idle_config_free(c);
}
END_TEST

START_TEST(test_hours_errors)
{
	static const char *const lines[] = {
	    "3:7: policy.hours[0]: bad window \"Mon-Fx 18:00-08:00\": unknown day \"Fx\"",
	    "4:7: policy.hours[1]: bad window \"Mon 18:00-8\": bad time range \"18:00-8\" (use "
	    "HH:MM-HH:MM)",
	    "5:7: policy.hours[2]: bad window \"Mon 24:00-08:00\": bad time range "
	    "\"24:00-08:00\" (use HH:MM-HH:MM)",
	    "6:7: policy.hours[3]: bad window \"daily 08:00-08:00\": empty time range "
	    "\"08:00-08:00\"",
	    "7:7: policy.hours[4]: bad window \"Sat,,Sun\": a day is missing",
	    "8:7: policy.hours[5]: expected a string, got a mapping",
	    "9:7: policy.hours[6]: bad window \"Mon 12:60-13:00\": bad time range "
	    "\"12:60-13:00\" (use HH:MM-HH:MM)",
	    NULL};

	expect_errors("policy:\n"
		      "  hours:\n"
		      "    - Mon-Fx 18:00-08:00\n"
		      "    - Mon 18:00-8\n"
		      "    - Mon 24:00-08:00\n"
		      "    - daily 08:00-08:00\n"
		      "    - Sat,,Sun\n"
		      "    - {days: Mon}\n"
		      "    - Mon 12:60-13:00\n",
		      lines);
	expect_error("policy:\n  hours: {Mon: 1}\n",
		     "2:10: policy.hours: expected a list, got a mapping");
	expect_error("policy:\n  hours: [Mon, Mon, Mon, Mon, Mon, Mon, Mon, Mon, Mon, Mon, Mon, "
		     "Mon, Mon, Mon, Mon, Mon, Tue]\n",
		     "2:91: policy.hours: more than 16 entries");
}
END_TEST

/* ---------------------------------------------------------------- sources */

START_TEST(test_sources_absent)
{
	struct idle_config *c = load_text("policy:\n  idle_after: 10m\n");
	struct idle_sources s;

	idle_sources_default(&s);
	ck_assert_mem_eq(idle_config_sources(c), &s, sizeof(s));
	idle_config_free(c);
}
END_TEST

START_TEST(test_sources_named)
{
	struct idle_config *c = load_ok(fixture("conf/sources.yaml"));
	const struct idle_sources *s = idle_config_sources(c);

	ck_assert(s->enabled[IDLE_SRC_EVDEV]);
	ck_assert(s->enabled[IDLE_SRC_TTY]);
	ck_assert(s->enabled[IDLE_SRC_PROCESSES]);
	ck_assert(s->enabled[IDLE_SRC_LOAD]);
	ck_assert(!s->enabled[IDLE_SRC_LOGIND]);
	ck_assert(!s->enabled[IDLE_SRC_X11]);
	ck_assert(!s->enabled[IDLE_SRC_MEMORY]);
	ck_assert(!s->enabled[IDLE_SRC_POWER]);
	ck_assert(!s->enabled[IDLE_SRC_GPU]);
	ck_assert_str_eq(s->evdev_dir, "/srv/fx/input");
	ck_assert_int_eq(s->ntty_dirs, 2);
	ck_assert_str_eq(s->tty_dirs[0], "/dev/pts");
	ck_assert_str_eq(s->tty_dirs[1], "/dev/tty1");
	ck_assert_str_eq(s->utmp_file, "/var/run/utmp");
	ck_assert_int_eq(s->nprograms, 2);
	ck_assert_str_eq(s->programs[0], "blender");
	ck_assert_str_eq(s->programs[1], "matlab");
	/* settings of sources not named keep their defaults */
	ck_assert_str_eq(s->x11_display, ":0");
	ck_assert_str_eq(s->gpu_library, "libnvidia-ml.so.1");
	idle_config_free(c);
}
END_TEST

START_TEST(test_sources_settings)
{
	struct idle_config *c = load_text("sources:\n"
					  "  logind:\n"
					  "    bus: unix:path=/tmp/fx/bus\n"
					  "  x11:\n"
					  "    display: \":1\"\n"
					  "    xauthority: /var/lib/gdm/.Xauthority\n"
					  "  gpu: {library: /opt/nvidia/libnvidia-ml.so}\n"
					  "  tty:\n"
					  "    dirs: []\n");
	const struct idle_sources *s = idle_config_sources(c);
	int i;

	for (i = 0; i < IDLE_SRC_COUNT; i++)
		ck_assert_int_eq(s->enabled[i], i == IDLE_SRC_LOGIND || i == IDLE_SRC_X11 ||
						    i == IDLE_SRC_GPU || i == IDLE_SRC_TTY);
	ck_assert_str_eq(s->logind_bus, "unix:path=/tmp/fx/bus");
	ck_assert_str_eq(s->x11_display, ":1");
	ck_assert_str_eq(s->x11_xauthority, "/var/lib/gdm/.Xauthority");
	ck_assert_str_eq(s->gpu_library, "/opt/nvidia/libnvidia-ml.so");
	ck_assert_int_eq(s->ntty_dirs, 0);
	ck_assert_str_eq(s->utmp_file, "/run/utmp");
	idle_config_free(c);
}
END_TEST

START_TEST(test_sources_empty)
{
	static const char *const texts[] = {"sources: {}\n", "sources:\n"};
	size_t i;
	int k;

	for (i = 0; i < 2; i++) {
		struct idle_config *c = load_text(texts[i]);

		for (k = 0; k < IDLE_SRC_COUNT; k++)
			ck_assert(!idle_config_sources(c)->enabled[k]);
		idle_config_free(c);
	}
}
END_TEST

START_TEST(test_sources_errors)
{
	static const char *const lines[] = {
	    "2:3: unknown key \"mouse\" in sources (sources are evdev, tty, logind, x11, load, "
	    "memory, power, processes, gpu, windows)",
	    "4:5: unknown key \"path\" in sources.evdev",
	    "6:22: sources.tty.dirs[1]: \"dev/tty1\" is not an absolute path",
	    "7:11: sources.tty.utmp: \"utmp\" is not an absolute path",
	    "8:9: sources.load: expected a mapping, got a string \"yes\"",
	    "10:13: sources.processes.names[0]: \"/usr/bin/blender\" is a path, not a program name",
	    "12:14: sources.x11.display: must not be empty",
	    "13:17: sources.x11.xauthority: \"x\" is not an absolute path",
	    "14:18: sources.gpu.library: expected a string, got a list",
	    "15:3: duplicate key \"tty\" in sources",
	    NULL};

	expect_errors("sources:\n"
		      "  mouse:\n"
		      "  evdev:\n"
		      "    path: /dev/input\n"
		      "  tty:\n"
		      "    dirs: [/dev/pts, dev/tty1]\n"
		      "    utmp: utmp\n"
		      "  load: yes\n"
		      "  processes:\n"
		      "    names: [/usr/bin/blender]\n"
		      "  x11:\n"
		      "    display: \"\"\n"
		      "    xauthority: x\n"
		      "  gpu: {library: [a]}\n"
		      "  tty: [a]\n",
		      lines);
	expect_error("sources:\n  tty:\n    dirs: [/a, /b, /c, /d, /e, /f, /g, /h, /i]\n",
		     "3:44: sources.tty.dirs: more than 8 entries");
	expect_error("sources: [evdev]\n", "1:10: sources: expected a mapping, got a list");
}
END_TEST

/* ---------------------------------------------------------------- nodes */

START_TEST(test_node_order)
{
	struct idle_config *c = load_ok(fixture("conf/nodes.yaml"));
	struct idle_policy p;

	/* no group */
	idle_config_policy(c, "lab-b01", &p);
	ck_assert_int_eq(p.idle_after, 1200);
	ck_assert_int_eq(p.max_gpu_util, 30);
	ck_assert_int_eq(p.on_owner_return, IDLE_RETURN_SUSPEND);
	ck_assert_int_eq(p.nwindows, 0);
	idle_config_policy(c, NULL, &p);
	ck_assert_int_eq(p.idle_after, 1200);

	/* one group: it changes the keys it sets, and only those */
	idle_config_policy(c, "lab-a010", &p);
	ck_assert_int_eq(p.idle_after, 1800);
	ck_assert_int_eq(p.on_owner_return, IDLE_RETURN_REQUEUE);
	ck_assert_int_eq(p.max_gpu_util, 30);
	ck_assert_int_eq(p.resume_after, DEF_RESUME_AFTER);
	ck_assert_int_eq(p.nwindows, 1);
	assert_window(&p.windows[0], 0x1f, 20 * 60, 7 * 60);
	idle_config_policy(c, "lab-a10", &p); /* padding: not in lab-a[001-040] */
	ck_assert_int_eq(p.idle_after, 1200);

	/* two groups: the later wins for its keys */
	idle_config_policy(c, "lab-a036", &p);
	ck_assert_int_eq(p.idle_after, 3600);
	ck_assert_int_eq(p.on_owner_return, IDLE_RETURN_REQUEUE);
	ck_assert_int_eq(p.nwindows, 1);

	/* a later group's empty hours list replaces the earlier one */
	idle_config_policy(c, "lab-a040", &p);
	ck_assert_int_eq(p.idle_after, 3600);
	ck_assert_int_eq(p.nwindows, 0);

	/* the second item of a hostlist */
	idle_config_policy(c, "pc3", &p);
	ck_assert_int_eq(p.idle_after, 1200);
	ck_assert_double_eq(p.high_load, 0.4);
	ck_assert_double_eq(p.background_load, DEF_BACKGROUND_LOAD);

	/* groups that cross (high 0.4 from one, background 0.45 from another): the
	 * conservative repair lowers background_load to high_load */
	idle_config_policy(c, "pc7", &p);
	ck_assert_int_eq(p.idle_after, 3600);
	ck_assert_double_eq(p.high_load, 0.4);
	ck_assert_double_eq(p.background_load, 0.4);
	idle_config_free(c);
}
END_TEST

START_TEST(test_nodes_errors)
{
	static const char *const lines[] = {
	    "2:3: nodes: bad hostlist \"lab[5-3]\": bad range \"5-3\": 5 is greater than 3",
	    "5:5: unknown key \"evdev\" in nodes.pc[1-2]",
	    "6:17: nodes.pc[1-2].idle_after: bad duration \"soon\" (use 90s, 15m, 2h, 1h30m or "
	    "seconds)",
	    "7:8: nodes.pc3: expected a mapping, got a string \"5m\"",
	    "8:3: duplicate key \"pc[1-2]\" in nodes",
	    "9:3: a key must be a name, got a list in nodes",
	    NULL};

	expect_errors("nodes:\n"
		      "  lab[5-3]:\n"
		      "    idle_after: 5m\n"
		      "  pc[1-2]:\n"
		      "    evdev: {}\n"
		      "    idle_after: soon\n"
		      "  pc3: 5m\n"
		      "  pc[1-2]: {}\n"
		      "  [a, b]: {}\n",
		      lines);
	expect_error("nodes: [pc1]\n", "1:8: nodes: expected a mapping, got a list");
}
END_TEST

/* ---------------------------------------------------------------- agent */

START_TEST(test_agent_errors)
{
	static const char *const lines[] = {
	    "2:13: agent.interval: must be at least 1s",
	    "3:14: agent.reconcile: bad duration \"1.5h\" (use 90s, 15m, 2h, 1h30m or seconds)",
	    "4:12: agent.run_dir: \"run/idleaccd\" is not an absolute path",
	    "5:3: unknown key \"log_level\" in agent",
	    "6:13: agent.state_dir: expected a path, got nothing",
	    NULL};

	expect_errors("agent:\n"
		      "  interval: 0\n"
		      "  reconcile: 1.5h\n"
		      "  run_dir: run/idleaccd\n"
		      "  log_level: debug\n"
		      "  state_dir:\n",
		      lines);
}
END_TEST

START_TEST(test_agent_max_hold_zero)
{
	struct idle_config *c = load_text("agent:\n  max_hold: 0\n");

	ck_assert_int_eq(agent_conf(c)->max_hold, 0);
	ck_assert_int_eq(agent_conf(c)->interval, DEF_AGENT_INTERVAL);
	idle_config_free(c);
}
END_TEST

/* libidle knows no agent: a caller that does not hand it the section gets it refused, and the
 * sections a message names are the ones it was given. */
START_TEST(test_section_is_callers)
{
	char err[ERRLEN], want[ERRLEN];
	struct idle_config *c;

	write_conf("agent:\n  interval: 5s\n");
	ck_assert_ptr_null(idle_config_load(tmpfile_, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s:1:1: unknown key \"agent\" (sections are policy, sources, nodes, emergency)",
		 tmpfile_);
	ck_assert_str_eq(err, want);
	write_conf("[]\n");
	ck_assert_ptr_null(idle_config_load(tmpfile_, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s:1:1: expected a mapping of sections (policy, sources, nodes, emergency), got "
		 "a list",
		 tmpfile_);
	ck_assert_str_eq(err, want);
	c = load_text("agent:\n  interval: 7s\n");
	ck_assert_int_eq(((const struct agent_conf *)idle_config_section(c, 0))->interval, 7);
	ck_assert_ptr_null(idle_config_section(c, 1));
	idle_config_free(c);
}
END_TEST

/* ---------------------------------------------------------------- errors */

/* The messages the brief promised, one at a time. */
START_TEST(test_error_messages)
{
	expect_error("policy:\n  idle_after: 15m\n  idle_aftr: 5m\n",
		     "3:3: unknown key \"idle_aftr\" in policy");
	expect_error("policy:\n  idle_after: 15x\n",
		     "2:15: policy.idle_after: bad duration \"15x\" (use 90s, 15m, 2h, 1h30m or "
		     "seconds)");
	expect_error("policy:\n  idle_after: 15m\n\n  on_owner_return: pause\n",
		     "4:20: policy.on_owner_return: \"pause\" is not one of drain, suspend, "
		     "requeue, cancel");
	expect_error("policy:\n  background_load: {cpus: 1}\n",
		     "2:20: policy.background_load: expected a number, got a mapping");
	expect_error("policy:\n  background_load: [1]\n",
		     "2:20: policy.background_load: expected a number, got a list");
	expect_error("policy:\n  background_load: low\n",
		     "2:20: policy.background_load: expected a number, got a string \"low\"");
	expect_error("policy:\n  background_load:\n",
		     "2:19: policy.background_load: expected a number, got nothing");
	expect_error("policy:\n  high_load: -1\n", "2:14: policy.high_load: -1 is below 0");
	expect_error("policy:\n  max_memory_used: 140\n",
		     "2:20: policy.max_memory_used: 140 is out of range 0-100");
	expect_error("policy:\n  max_gpu_util: 101%\n",
		     "2:17: policy.max_gpu_util: 101% is out of range 0-100");
	expect_error("policy:\n  max_gpu_util: 50.5\n",
		     "2:17: policy.max_gpu_util: 50.5 is not a whole number");
	expect_error("policy:\n  high_load: 0.2\n",
		     "2:3: policy: high_load 0.2 is below background_load 0.3");
	expect_error("policy:\n  background_load: 0.8\n",
		     "2:3: policy: high_load 0.5 is below background_load 0.8");
	expect_error("policy:\n  warn_signal: SIGFOO\n",
		     "2:16: policy.warn_signal: \"SIGFOO\" is not a signal (a name like TERM or "
		     "SIGUSR1, or a number 1-64)");
	expect_error("policy:\n  warn_signal: 65\n",
		     "2:16: policy.warn_signal: 65 is out of range 1-64");
	expect_error(
	    "policy:\n  remote_sessions: sometimes\n",
	    "2:20: policy.remote_sessions: \"sometimes\" is not one of count, ignore, true, "
	    "false");
	expect_error("policy:\n  run_on_battery: maybe\n",
		     "2:19: policy.run_on_battery: \"maybe\" is not one of true, false");
	expect_error("policy:\n  idle_after: 15m\npolicy:\n  idle_after: 20m\n",
		     "3:1: duplicate key \"policy\"");
	expect_error("policy:\n  idle_after: 15m\n  idle_after: 20m\n",
		     "3:3: duplicate key \"idle_after\" in policy");
	expect_error("polcy:\n  idle_after: 15m\n",
		     "1:1: unknown key \"polcy\" (sections are policy, sources, nodes, agent, "
		     "emergency)");
	expect_error("policy: 15m\n", "1:9: policy: expected a mapping, got a string \"15m\"");
	expect_error(
	    "- policy\n- nodes\n",
	    "1:1: expected a mapping of sections (policy, sources, nodes, agent, emergency), got a "
	    "list");
	expect_error(
	    "just words\n",
	    "1:1: expected a mapping of sections (policy, sources, nodes, agent, emergency), got a "
	    "string \"just words\"");
	expect_error("policy:\n  idle_after: 15m\n---\nagent: {}\n",
		     "4:1: a second YAML document; idleacc.yaml holds one");
}
END_TEST

/* A file with many mistakes reports all of them, in one run, each at its place. */
START_TEST(test_many_errors)
{
	static const char *const lines[] = {
	    "2:15: policy.idle_after: bad duration \"15x\" (use 90s, 15m, 2h, 1h30m or seconds)",
	    "3:3: unknown key \"idle_aftr\" in policy",
	    "4:20: policy.on_owner_return: \"pause\" is not one of drain, suspend, requeue, cancel",
	    "5:20: policy.background_load: expected a number, got a mapping",
	    "6:20: policy.max_memory_used: 140 is out of range 0-100",
	    "7:1: duplicate key \"policy\"",
	    "9:3: nodes: bad hostlist \"lab[1-\": missing \"]\"",
	    "13:5: unknown key \"sources\" in nodes.pc[1-3]",
	    "16:10: sources.evdev.dir: \"dev/input\" is not an absolute path",
	    "17:3: unknown key \"mouse\" in sources (sources are evdev, tty, logind, x11, load, "
	    "memory, power, processes, gpu, windows)",
	    "19:13: agent.interval: must be at least 1s",
	    NULL};

	/* pc[1-3] sets high_load 0.2 below background_load, but that one was already bad:
	 * no second error about it */
	expect_errors_at(fixture("conf/errors.yaml"), lines);
}
END_TEST

/* The checks after parsing look at every node group's resulting policy. */
START_TEST(test_meaning_nodes)
{
	static const char *const lines[] = {
	    "6:5: nodes.pc[1-3]: high_load 0.5 is below background_load 0.8",
	    "8:5: nodes.pc4: high_load 0.05 is below background_load 0.1", NULL};

	expect_errors("policy:\n"
		      "  background_load: 0.1\n"
		      "nodes:\n"
		      "  pc[1-3]:\n"
		      "    idle_after: 5m\n"
		      "    background_load: 0.8\n"
		      "  pc4:\n"
		      "    high_load: 0.05\n"
		      "  pc5:\n"
		      "    high_load: 0.1\n",
		      lines);
}
END_TEST

START_TEST(test_syntax_error)
{
	expect_error("policy:\n  idle_after: [15m\n", "3:1: did not find expected ',' or ']'");
	expect_error("policy:\n  idle_after: 15m\n bad\n", "3:2: did not find expected key");
	expect_error("policy:\n\tidle_after: 15m\n",
		     "2:1: found character that cannot start any token");
}
END_TEST

START_TEST(test_file_errors)
{
	char err[ERRLEN], want[256], dir[160];

	snprintf(want, sizeof(want), "%s/missing.yaml: No such file or directory", tmpdir);
	snprintf(dir, sizeof(dir), "%s/missing.yaml", tmpdir);
	ck_assert_ptr_null(LOAD(dir, err, sizeof(err)));
	ck_assert_str_eq(err, want);

	snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	ck_assert_ptr_null(LOAD(dir, err, sizeof(err)));
	ck_assert_str_eq(err, want);

	snprintf(want, sizeof(want), "%s: writable by group or others; refusing it (chmod go-w)",
		 tmpfile_);
	write_conf_mode("policy: {}\n", 0664);
	ck_assert_ptr_null(LOAD(tmpfile_, err, sizeof(err)));
	ck_assert_str_eq(err, want);
	write_conf_mode("policy: {}\n", 0602);
	ck_assert_ptr_null(LOAD(tmpfile_, err, sizeof(err)));
	ck_assert_str_eq(err, want);
	write_conf_mode("policy: {}\n", 0600);
	idle_config_free(load_ok(tmpfile_));
}
END_TEST

START_TEST(test_small_err_buffer)
{
	char err[16];

	memset(err, 'x', sizeof(err));
	ck_assert_ptr_null(LOAD(write_conf("policy:\n  idle_aftr: 1\n"), err, sizeof(err)));
	ck_assert_int_eq(strlen(err), sizeof(err) - 1);
	ck_assert_int_eq(strncmp(err, tmpfile_, sizeof(err) - 1), 0);
	ck_assert_ptr_null(LOAD(tmpfile_, NULL, 0));
}
END_TEST

/* Writes [n] bytes of [text], repeated from [start] on, after [head]; returns the path. */
static const char *write_big(const char *head, const char *unit, size_t n, const char *tail)
{
	FILE *f = fopen(tmpfile_, "w");
	size_t i;

	ck_assert_ptr_nonnull(f);
	fputs(head, f);
	for (i = 0; i < n; i++)
		fputs(unit, f);
	fputs(tail, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(tmpfile_, 0644), 0);
	return tmpfile_;
}

/*
 * What a broken or hostile file costs is bounded, and each limit is named: size, nesting,
 * anchors, values once aliases are expanded ("billion laughs").
 */
START_TEST(test_limits)
{
	char err[ERRLEN], want[ERRLEN];
	FILE *f;
	int i;

	/* 1 MiB and one byte */
	write_big("# ", "x", 1024 * 1024 - 3, "\n\n");
	snprintf(want, sizeof(want),
		 "%s: 1048577 bytes, more than the 1048576 a configuration may have", tmpfile_);
	ck_assert_ptr_null(LOAD(tmpfile_, err, sizeof(err)));
	ck_assert_str_eq(err, want);

	/* 100,000 nested flow lists: refused at the 33rd level (the top mapping is the first),
	 * before libyaml builds a tree */
	write_big("policy: ", "[", 100000, "\n");
	expect_errors_at(
	    tmpfile_,
	    (const char *const[]){"1:40: nested deeper than 32 levels; refusing the file", NULL});

	/* aliases of aliases: each level ten times the one before */
	f = fopen(tmpfile_, "w");
	ck_assert_ptr_nonnull(f);
	fputs("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n", f);
	for (i = 1; i < 9; i++)
		fprintf(f,
			"a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
			i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	ck_assert_int_eq(fclose(f), 0);
	expect_errors_at(tmpfile_,
			 (const char *const[]){"6:10: more than 200000 values once aliases (*name) "
					       "are expanded; refusing the file",
					       NULL});
}
END_TEST

/* 20,000 node groups and a duplicate at the end: found (by sorting, not by comparing every
 * pair with every other, which takes minutes), and only that one is reported. The groups
 * grow by doubling, so the load is linear in them (3 s under ASan, 80,000 in 9 s). */
START_TEST(test_many_keys)
{
	char line[64];
	FILE *f = fopen(tmpfile_, "w");
	long col = 9;
	int i;

	ck_assert_ptr_nonnull(f);
	fputs("nodes: {", f);
	for (i = 0; i < 20000; i++) {
		int n = snprintf(line, sizeof(line), "pc%d: {}, ", i);

		fputs(line, f);
		col += n;
	}
	fputs("pc5: {}}\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(tmpfile_, 0644), 0);
	snprintf(line, sizeof(line), "1:%ld: duplicate key \"pc5\" in nodes", col);
	expect_errors_at(tmpfile_, (const char *const[]){line, NULL});
}
END_TEST

/* A FIFO would block an open() for reading and a read; a file of another user (as root) or
 * that group could write sets run_dir for root: refused. */
START_TEST(test_file_kinds)
{
	char err[ERRLEN], want[ERRLEN], fifo[200];

	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	snprintf(want, sizeof(want), "%s: not a regular file", fifo);
	ck_assert_ptr_null(LOAD(fifo, err, sizeof(err)));
	ck_assert_str_eq(err, want);
	unlink(fifo);

	/* CI runs as root; a developer's run can only give a file away as root */
	if (geteuid() == 0) {
		write_conf("policy: {}\n");
		ck_assert_int_eq(chown(tmpfile_, 65534, 65534), 0);
		snprintf(want, sizeof(want),
			 "%s: owned by uid 65534, not root; refusing it (chown root)", tmpfile_);
		ck_assert_ptr_null(LOAD(tmpfile_, err, sizeof(err)));
		ck_assert_str_eq(err, want);
		ck_assert_int_eq(chown(tmpfile_, 0, 0), 0);
	}
}
END_TEST

/* One error, one line: a value with line breaks is quoted with escapes; errors that do not
 * fit are counted, and no line is cut. */
START_TEST(test_error_lines)
{
	char err[400], *p, *nl;
	int lines = 0;

	expect_error("policy:\n  idle_after: \"3\\nx\\ty\"\n",
		     "2:15: policy.idle_after: bad duration \"3\\nx\\ty\" (use 90s, 15m, 2h, 1h30m "
		     "or seconds)");
	write_big("policy:\n", "  bogus: 1\n", 50, "");
	ck_assert_ptr_null(LOAD(tmpfile_, err, sizeof(err)));
	for (p = err; (nl = strchr(p, '\n')); p = nl + 1, lines++)
		ck_assert_int_eq(strncmp(p, tmpfile_, strlen(tmpfile_)), 0);
	ck_assert_msg(strstr(p, "more errors not shown)") && p[0] == '(', "last line: %s", p);
	ck_assert_int_eq(atoi(p + 1), 50 - lines);
	ck_assert_int_gt(lines, 0);
}
END_TEST

/* A file that sets nothing loads the defaults, and says so, so a caller can warn. */
START_TEST(test_empty_flag)
{
	struct idle_config *c = load_text("# only a comment\n");

	ck_assert(idle_config_empty(c));
	idle_config_free(c);
	c = load_text("policy:\n");
	ck_assert(!idle_config_empty(c));
	idle_config_free(c);
}
END_TEST

/* A run_dir too long for a control socket path is refused at -n, not in a restart loop. */
START_TEST(test_run_dir_length)
{
	char text[256], want[256];

	snprintf(text, sizeof(text), "agent:\n  run_dir: /%s\n",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	snprintf(want, sizeof(want),
		 "2:12: agent.run_dir: 74 characters leave no room for NODE.sock in a socket path "
		 "(at most 69, for node names of up to 32)");
	expect_error(text, want);
	text[strlen(text) - 6] = '\n';
	text[strlen(text) - 5] = '\0';
	idle_config_free(load_text(text));
}
END_TEST

/* A 40-digit hour is malformed, and does not overflow on its way there (UBSan). */
START_TEST(test_long_hour)
{
	expect_error(
	    "policy:\n  hours: [\"Mon 1111111111111111111111111111111111111111:00-08:00\"]\n",
	    "2:11: policy.hours[0]: bad window \"Mon "
	    "1111111111111111111111111111111111111111:00-08:00\": bad time range "
	    "\"1111111111111111111111111111111111111111:00-08:00\" (use HH:MM-HH:MM)");
}
END_TEST

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *make_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase("defaults");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_example_is_defaults);
	tcase_add_test(tc, test_default_path);
	suite_add_tcase(s, tc);
	tc = tcase("policy");
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_value_forms);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_absence_defaults);
	tcase_add_test(tc, test_absence_errors);
	suite_add_tcase(s, tc);
	tc = tcase("hours");
	tcase_add_test(tc, test_hours);
	tcase_add_test(tc, test_hours_errors);
	suite_add_tcase(s, tc);
	tc = tcase("sources");
	tcase_add_test(tc, test_sources_absent);
	tcase_add_test(tc, test_sources_named);
	tcase_add_test(tc, test_sources_settings);
	tcase_add_test(tc, test_sources_empty);
	tcase_add_test(tc, test_sources_errors);
	suite_add_tcase(s, tc);
	tc = tcase("nodes");
	tcase_add_test(tc, test_node_order);
	tcase_add_test(tc, test_nodes_errors);
	tcase_add_test(tc, test_meaning_nodes);
	suite_add_tcase(s, tc);
	tc = tcase("agent");
	tcase_add_test(tc, test_agent_errors);
	tcase_add_test(tc, test_agent_max_hold_zero);
	tcase_add_test(tc, test_section_is_callers);
	suite_add_tcase(s, tc);
	tc = tcase("emergency");
	tcase_add_test(tc, test_emergency);
	suite_add_tcase(s, tc);
	tc = tcase("errors");
	tcase_add_test(tc, test_error_messages);
	tcase_add_test(tc, test_many_errors);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_small_err_buffer);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_many_keys);
	tcase_add_test(tc, test_file_kinds);
	tcase_add_test(tc, test_error_lines);
	tcase_add_test(tc, test_empty_flag);
	tcase_add_test(tc, test_long_hour);
	tcase_add_test(tc, test_run_dir_length);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
