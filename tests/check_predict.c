/* SPDX-License-Identifier: MIT */
/*
 * check_predict.c - predicted idle windows without Slurm (nodeagent/predict.c): what the
 * weekly profile learns from windows opening and closing, the expected window it predicts,
 * the Weight and Features published for it, and the profile file, good and bad.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentconf.h"
#include "idle.h"
#include "predict.h"
#include "testutil.h"

#define H   3600
#define DAY (24 * H)

/* Monday 2026-11-30 00:00 UTC, the start of the tests' weeks (local time = UTC here). */
#define MON0 1795996800LL

static struct agent_predict prof; /* large: off the stack */

/* The test's lab: the owner sits at the desk Monday to Friday, 08:00 to 18:00; the window is
 * open whenever they are away. */
static bool owner_present(int64_t t)
{
	int64_t in_week = (t - MON0) % (7 * DAY), day = in_week / DAY, hour = in_week % DAY / H;

	return day < 5 && hour >= 8 && hour < 18;
}

/* [weeks] of that lab, observed once a minute. */
static void learn_weeks(struct agent_predict *p, int weeks)
{
	int64_t t;

	for (t = MON0; t < MON0 + weeks * 7 * DAY; t += 60) {
		bool away = !owner_present(t);

		agent_predict_observe(p, t, away, away);
	}
}

START_TEST(bin_width)
{
	char why[128];

	ck_assert_int_eq(agent_predict_check_bin(3600, why, sizeof(why)), 0);
	ck_assert_int_eq(agent_predict_check_bin(900, why, sizeof(why)), 0);
	ck_assert_int_eq(agent_predict_check_bin(86400, why, sizeof(why)), 0);
	ck_assert_int_eq(agent_predict_check_bin(600, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "600 s is not between 900 s (15m) and 86400 s (1d)");
	ck_assert_int_eq(agent_predict_check_bin(5000, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "5000 s does not divide a week into whole bins");
	agent_predict_init(&prof, 900);
	ck_assert_int_eq(prof.nbins, 672);
}
END_TEST

START_TEST(empty_predicts_nothing)
{
	struct agent_predict_pub pub;

	agent_predict_init(&prof, 3600);
	ck_assert(agent_predict_empty(&prof));
	ck_assert(agent_predict_expect(&prof, MON0) < 0);
	agent_predict_publish(agent_predict_expect(&prof, MON0), &pub);
	ck_assert_int_eq(pub.bucket, -1);
	ck_assert_uint_eq(pub.weight, 0);
	ck_assert_str_eq(pub.features, "");
	/* A first observation only starts the clock. */
	ck_assert(!agent_predict_observe(&prof, MON0, true, true));
	ck_assert(agent_predict_empty(&prof));
	ck_assert(!prof.dirty);
}
END_TEST

START_TEST(weekly_pattern)
{
	struct agent_predict_pub pub;
	double fri_evening, mon_early, tue_night, wed_noon;

	agent_predict_init(&prof, 3600);
	learn_weeks(&prof, 4);
	ck_assert_uint_eq(prof.returns_seen, 4 * 5);
	/* Learnt: the owner comes back at 08:00 on weekdays, never at night or at weekends. */
	fri_evening = agent_predict_expect(&prof, MON0 + 4 * 7 * DAY + 4 * DAY + 19 * H);
	mon_early = agent_predict_expect(&prof, MON0 + 4 * 7 * DAY + 7 * H + 30 * 60);
	tue_night = agent_predict_expect(&prof, MON0 + 4 * 7 * DAY + 1 * DAY + 22 * H);
	wed_noon = agent_predict_expect(&prof, MON0 + 4 * 7 * DAY + 2 * DAY + 12 * H);
	ck_assert_msg(fri_evening > 48 * H, "Friday 19:00: %.0f s", fri_evening);
	ck_assert_msg(mon_early < 1 * H, "Monday 07:30: %.0f s", mon_early);
	ck_assert_msg(tue_night > 8 * H && tue_night < 11 * H, "Tuesday 22:00: %.0f s", tue_night);
	/* Never seen open at noon: the prior's cautious hour. */
	ck_assert_msg(wed_noon < 2 * H, "Wednesday 12:00: %.0f s", wed_noon);

	agent_predict_publish(fri_evening, &pub);
	ck_assert_int_eq(pub.bucket, 4);
	ck_assert_uint_eq(pub.weight, 100);
	ck_assert_str_eq(pub.features, "idle_1h,idle_2h,idle_4h,idle_8h");
	agent_predict_publish(mon_early, &pub);
	ck_assert_int_eq(pub.bucket, 0);
	ck_assert_uint_eq(pub.weight, 104);
	ck_assert_str_eq(pub.features, "");
	agent_predict_publish(2.5 * H, &pub);
	ck_assert_int_eq(pub.bucket, 2);
	ck_assert_uint_eq(pub.weight, 102);
	ck_assert_str_eq(pub.features, "idle_1h,idle_2h");
}
END_TEST

START_TEST(window_and_returns)
{
	int64_t t = MON0 + 20 * H; /* Monday 20:00, bin 20 */

	agent_predict_init(&prof, 3600);
	agent_predict_observe(&prof, t, true, true);
	/* Offered, then no longer offered while its jobs may run: still open. */
	ck_assert(!agent_predict_observe(&prof, t + 600, false, true));
	ck_assert(!agent_predict_observe(&prof, t + 1200, false, true));
	ck_assert(prof.dirty);
	ck_assert(fabs(prof.bin[20].exposure - 1200) < 1e-9);
	/* The jobs must stop: a return in bin 20. */
	ck_assert(agent_predict_observe(&prof, t + 1500, false, false));
	ck_assert(fabs(prof.bin[20].exposure - 1500) < 1e-9);
	ck_assert(fabs(prof.bin[20].returns - 1) < 1e-9);
	/* Closed: time until the next offer is nobody's window. */
	ck_assert(!agent_predict_observe(&prof, t + 1800, false, true));
	ck_assert(fabs(prof.bin[20].exposure - 1500) < 1e-9);
	/* Open time across a bin boundary is split between the bins. */
	agent_predict_observe(&prof, t + 3000, true, true);
	agent_predict_observe(&prof, t + 3900, true, true);
	ck_assert(fabs(prof.bin[20].exposure - 2100) < 1e-9);
	ck_assert(fabs(prof.bin[21].exposure - 300) < 1e-9);
	/* A gap over 15 min (the PC slept) counts nothing, and a return after it neither. */
	ck_assert(!agent_predict_observe(&prof, t + 3900 + 16 * 60, false, false));
	ck_assert(fabs(prof.bin[21].exposure - 300) < 1e-9);
	ck_assert(fabs(prof.bin[21].returns) < 1e-9);
	/* Time going back counts nothing. */
	agent_predict_observe(&prof, t + 8000, true, true);
	agent_predict_observe(&prof, t + 7000, true, true);
	ck_assert(fabs(prof.bin[22].exposure) < 1e-9);
	/* Sunday 23:50 to Monday 00:05 wraps to bin 0 of the next week. */
	agent_predict_init(&prof, 3600);
	agent_predict_observe(&prof, MON0 + 7 * DAY - 600, true, true);
	agent_predict_observe(&prof, MON0 + 7 * DAY + 300, true, true);
	ck_assert(fabs(prof.bin[167].exposure - 600) < 1e-9);
	ck_assert(fabs(prof.bin[0].exposure - 300) < 1e-9);
	ck_assert_int_eq(prof.bin[0].week, prof.bin[167].week + 1);
}
END_TEST

START_TEST(old_weeks_decay)
{
	int64_t t = MON0 + 20 * H;

	agent_predict_init(&prof, 3600);
	agent_predict_observe(&prof, t, true, true);
	agent_predict_observe(&prof, t + 600, false, false);
	ck_assert(fabs(prof.bin[20].returns - 1) < 1e-9);
	/* Two weeks later the same bin learns again: the old return counts 0.8^2. */
	t += 14 * DAY;
	agent_predict_observe(&prof, t, true, true);
	agent_predict_observe(&prof, t + 600, true, true);
	ck_assert(fabs(prof.bin[20].returns - 0.64) < 1e-9);
	ck_assert(fabs(prof.bin[20].exposure - (600 * 0.64 + 600)) < 1e-9);
}
END_TEST

START_TEST(features_merge)
{
	char out[64];

	ck_assert_int_eq(
	    agent_predict_features("desktop,idle_2h,idle_gpu", "idle_1h", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "desktop,idle_gpu,idle_1h");
	ck_assert_int_eq(agent_predict_features("idle_1h,idle_2h", "", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(agent_predict_features("", "idle_1h,idle_2h", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "idle_1h,idle_2h");
	ck_assert_int_eq(agent_predict_features("a,,idle_h,idle_12h", NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a,idle_h");
	ck_assert_int_eq(agent_predict_features("desktop", "idle_1h", out, 12), -1);
	ck_assert_int_eq(agent_predict_features("desktop", "idle_1h", out, 16), 0);
	ck_assert_str_eq(out, "desktop,idle_1h");
}
END_TEST

/* Parses [text] into a profile of 1 h bins for node d1; returns the result, [err] filled. */
static int parse(const char *text, char *err, size_t errlen)
{
	prof.bin_s = 3600;
	return agent_predict_parse(&prof, "d1", "p", text, strlen(text), err, errlen);
}

START_TEST(file_round_trip)
{
	static struct agent_predict back;
	static char buf[AGENT_PREDICT_FILE_MAX];
	char err[256] = "";
	int n, i;

	agent_predict_init(&prof, 3600);
	learn_weeks(&prof, 2);
	n = agent_predict_format(&prof, "d1", buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert(!strncmp(buf, "idleacc-profile 1 node d1 bin 3600\n", 35));
	/* A week of 15 min bins, all of them seen, still fits the bound. */
	ck_assert_int_lt(672 * (int)strlen("b 671 3200000000.000000 3200000000.000 -100000\n"),
			 AGENT_PREDICT_FILE_MAX - 100);
	back.bin_s = 3600;
	ck_assert_int_eq(agent_predict_parse(&back, "d1", "p", buf, (size_t)n, err, sizeof(err)),
			 0);
	for (i = 0; i < prof.nbins; i++) {
		ck_assert(fabs(back.bin[i].returns - prof.bin[i].returns) < 1e-5);
		ck_assert(fabs(back.bin[i].exposure - prof.bin[i].exposure) < 1e-2);
		ck_assert_int_eq(back.bin[i].week, prof.bin[i].week);
	}
	ck_assert(fabs(agent_predict_expect(&back, MON0 + 2 * 7 * DAY + 4 * DAY + 19 * H) -
		       agent_predict_expect(&prof, MON0 + 2 * 7 * DAY + 4 * DAY + 19 * H)) < 1);
	ck_assert(!back.dirty);
}
END_TEST

START_TEST(file_refused)
{
	char err[256];

	ck_assert_int_eq(
	    parse("idleacc-profile 1 node d1 bin 3600\n# c\n\nb 3 1 60 2900\n", err, sizeof(err)),
	    0);
	ck_assert(fabs(prof.bin[3].returns - 1) < 1e-9);
	ck_assert_int_eq(parse("", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "p:1: empty file");
	ck_assert_int_eq(parse("garbage\n", err, sizeof(err)), -1);
	ck_assert_str_eq(
	    err, "p:1: not a profile: expected \"idleacc-profile 1 node NODE bin SECONDS\"");
	ck_assert_int_eq(parse("idleacc-profile 1 node d2 bin 3600\n", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "p:1: written for another node");
	ck_assert_int_eq(parse("idleacc-profile 1 node d1 bin 1800\n", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "p:1: written with another bin width (agent.predict_bin)");
	ck_assert_int_eq(parse("idleacc-profile 1 node d1 bin 3600\nb 1 1 60 2900\nb 168 1 1 1\n",
			       err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "p:3: bin index out of range for the bin width");
	/* Refused means empty: nothing of the good lines before is kept. */
	ck_assert(agent_predict_empty(&prof));
	ck_assert_int_eq(parse("idleacc-profile 1 node d1 bin 3600\nb 1 1 60 2900\nb 1 1 60 2900\n",
			       err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "p:3: bin listed twice");
	ck_assert_int_eq(
	    parse("idleacc-profile 1 node d1 bin 3600\nb 1 nan 60 2900\n", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "p:2: returns or exposure out of range");
	ck_assert_int_eq(
	    parse("idleacc-profile 1 node d1 bin 3600\nb 1 -1 60 2900\n", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "p:2: returns or exposure out of range");
	ck_assert_int_eq(
	    parse("idleacc-profile 1 node d1 bin 3600\nb 1 1 60 2900 x\n", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "p:2: expected \"b INDEX RETURNS EXPOSURE_SECONDS WEEK\"");
	ck_assert_int_eq(agent_predict_parse(&prof, "d1", "p",
					     "idleacc-profile 1 node d1 bin 3600\nb\0", 38, err,
					     sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "p:2: NUL byte");
}
END_TEST

START_TEST(file_io)
{
	char dir[] = "/tmp/check_predict.XXXXXX", path[256], lnk[256], err[512];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d1.profile", dir);
	snprintf(lnk, sizeof(lnk), "%s/link.profile", dir);
	/* Missing: an empty profile, no error. */
	prof.bin_s = 3600;
	ck_assert_int_eq(agent_predict_load(&prof, "d1", path, err, sizeof(err)), 0);
	ck_assert(agent_predict_empty(&prof));
	learn_weeks(&prof, 1);
	ck_assert(prof.dirty);
	ck_assert_int_eq(agent_predict_save(&prof, "d1", path, err, sizeof(err)), 0);
	ck_assert(!prof.dirty);
	{
		struct stat sb;

		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_mode & 0777, 0600);
	}
	agent_predict_init(&prof, 3600);
	ck_assert_int_eq(agent_predict_load(&prof, "d1", path, err, sizeof(err)), 0);
	ck_assert(!agent_predict_empty(&prof));
	/* Corrupt: refused with file:line, the profile empty. */
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "junk\n", 5), 5);
	close(fd);
	ck_assert_int_eq(agent_predict_load(&prof, "d1", path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/d1.profile:"));
	ck_assert_ptr_nonnull(strstr(err, ": expected \"b INDEX RETURNS EXPOSURE_SECONDS WEEK\""));
	ck_assert(agent_predict_empty(&prof));
	/* A link is not followed. */
	ck_assert_int_eq(symlink(path, lnk), 0);
	ck_assert_int_eq(agent_predict_load(&prof, "d1", lnk, err, sizeof(err)), -1);
	ck_assert(strstr(err, "a symbolic link, not a file"));
	unlink(lnk);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Loads [yaml] as idleaccd does; returns the config or NULL with [err]. */
static struct idle_config *load_yaml(const char *yaml, char *err, size_t errlen)
{
	static char path[] = "/tmp/check_predict_conf.XXXXXX";
	struct idle_config *c;
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_predict_conf.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	c = idle_config_load(path, agent_conf_section(), 1, err, errlen);
	unlink(path);
	return c;
}

START_TEST(config_keys)
{
	struct idle_config *c;
	char err[1024];
	const char *e;

	/* Off by default, 1 h bins. */
	c = load_yaml("agent:\n  interval: 5s\n", err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert(!agent_conf(c)->predict);
	ck_assert_int_eq(agent_conf(c)->predict_bin, 3600);
	idle_config_free(c);
	c = load_yaml("agent:\n  predict: on\n  predict_bin: 30m\n", err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert(agent_conf(c)->predict);
	ck_assert_int_eq(agent_conf(c)->predict_bin, 1800);
	idle_config_free(c);
	ck_assert_ptr_null(load_yaml("agent:\n  predict: maybe\n", err, sizeof(err)));
	e = strstr(err, ":2:12: agent.predict: \"maybe\" is not one of true, false");
	ck_assert_msg(e != NULL, "%s", err);
	ck_assert_ptr_null(load_yaml("agent:\n  predict_bin: 25m\n", err, sizeof(err)));
	e = strstr(err,
		   ":2:16: agent.predict_bin: 1500 s is not between 900 s (15m) and 86400 s (1d)");
	ck_assert_msg(e == NULL, "%s", err); /* 25 m is in range: the week is what it misses */
	e = strstr(err, ":2:16: agent.predict_bin: 1500 s does not divide a week into whole bins");
	ck_assert_msg(e != NULL, "%s", err);
}
END_TEST

static Suite *predict_suite(void)
{
	Suite *s = suite_create("predict");
	TCase *tc = tcase_create("predict");

	tcase_add_test(tc, bin_width);
	tcase_add_test(tc, empty_predicts_nothing);
	tcase_add_test(tc, weekly_pattern);
	tcase_add_test(tc, window_and_returns);
	tcase_add_test(tc, old_weeks_decay);
	tcase_add_test(tc, features_merge);
	tcase_add_test(tc, file_round_trip);
	tcase_add_test(tc, file_refused);
	tcase_add_test(tc, file_io);
	tcase_add_test(tc, config_keys);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(predict_suite)
