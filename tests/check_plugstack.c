/* SPDX-License-Identifier: MIT */
/* check_plugstack.c - the thresholds carried in plugstack.conf's idleacc block (conf_plugstack.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idle.h"
#include "testutil.h"

#define ERRLEN 4096

static char tmpdir[64];
static char path[128];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_plugstack.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/plugstack.conf", tmpdir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(tmpdir);
}

/* Writes [text] as the test's plugstack.conf (mode 0644, as slurmd writes its conf-cache). */
static const char *write_ps(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	return path;
}

static struct idle_config *load_ok(const char *text)
{
	char err[ERRLEN] = "junk";
	struct idle_config *c =
	    idle_config_load_plugstack(write_ps(text), NULL, 0, err, sizeof(err));

	ck_assert_msg(c != NULL, "did not load: %s", err);
	ck_assert_str_eq(err, "");
	return c;
}

/* Loading [text] fails with exactly [want], every line "PATH:" + one of its lines. */
static void expect_errors(const char *text, const char *const *want)
{
	char err[ERRLEN], exp[ERRLEN];
	size_t off = 0;

	for (; *want; want++)
		off += (size_t)snprintf(exp + off, sizeof(exp) - off, "%s%s:%s", off ? "\n" : "",
					path, *want);
	ck_assert_ptr_null(idle_config_load_plugstack(write_ps(text), NULL, 0, err, sizeof(err)));
	ck_assert_str_eq(err, exp);
}

static void expect_error(const char *text, const char *want)
{
	const char *w[] = {want, NULL};

	expect_errors(text, w);
}

/* A plugstack.conf as a site writes it: the plugin's line, other comments, the block. */
static const char *site = "# plugstack.conf of the desktops\n"
			  "required /usr/lib/idle-accelerator/idleacc.so nice=19\n"
			  "\n"
			  "# BEGIN idleacc.yaml\n"
			  "# policy:\n"
			  "#   idle_after: 20m\n"
			  "#   on_owner_return: requeue\n"
			  "#\n"
			  "# nodes:\n"
			  "#   \"lab-b[01-20]\":\n"
			  "#     idle_after: 1h\n"
			  "# END idleacc.yaml\n"
			  "# a comment after the block\n";

START_TEST(test_block_loads)
{
	struct idle_config *c = load_ok(site);
	struct idle_policy p;

	idle_config_policy(c, "lab-a01", &p);
	ck_assert_int_eq(p.idle_after, 1200);
	ck_assert_int_eq(p.on_owner_return, IDLE_RETURN_REQUEUE);
	/* the node groups work as in idleacc.yaml */
	idle_config_policy(c, "lab-b07", &p);
	ck_assert_int_eq(p.idle_after, 3600);
	ck_assert_int_eq(p.on_owner_return, IDLE_RETURN_REQUEUE);
	ck_assert_str_eq(idle_config_path(c), path);
	ck_assert(!idle_config_empty(c));
	idle_config_free(c);
}
END_TEST

/* Markers with other spacing, a CRLF file, and an empty block (the defaults, said so). */
START_TEST(test_block_forms)
{
	struct idle_config *c;
	struct idle_policy p;

	c = load_ok("#BEGIN   idleacc.yaml  \r\n# policy:\r\n#   idle_after: 5m\r\n"
		    "#\tEND idleacc.yaml\r\n");
	idle_config_policy(c, "x", &p);
	ck_assert_int_eq(p.idle_after, 300);
	idle_config_free(c);
	c = load_ok("# BEGIN idleacc.yaml\n# END idleacc.yaml\n");
	ck_assert(idle_config_empty(c));
	idle_config_free(c);
}
END_TEST

/* No block at all: NULL, and no error (the caller looks elsewhere). */
START_TEST(test_no_block)
{
	char err[ERRLEN] = "junk";

	ck_assert_ptr_null(idle_config_load_plugstack(
	    write_ps("required /x/idleacc.so\n# idleacc.yaml is elsewhere\n"), NULL, 0, err,
	    sizeof(err)));
	ck_assert_str_eq(err, "");
	ck_assert_ptr_null(idle_config_load_plugstack(write_ps(""), NULL, 0, err, sizeof(err)));
	ck_assert_str_eq(err, "");
}
END_TEST

/* The loader's errors point at plugstack.conf's own lines and columns. */
START_TEST(test_errors_point_into_plugstack)
{
	const char *two[] = {"6:17: policy.idle_after: bad duration \"15x\" (use 90s, 15m, 2h, "
			     "1h30m or seconds)",
			     "7:5: unknown key \"idle_aftr\" in policy", NULL};

	expect_errors("required /x/idleacc.so\n"
		      "\n"
		      "# BEGIN idleacc.yaml\n"
		      "# policy:\n"
		      "#\n"
		      "#   idle_after: 15x\n"
		      "#   idle_aftr: 5m\n"
		      "# END idleacc.yaml\n",
		      two);
	/* a YAML syntax error at the end of the text: on the END line */
	expect_error("# BEGIN idleacc.yaml\n# policy: [\n# END idleacc.yaml\n",
		     "3:3: did not find expected node content");
	/* a node group's bad hostlist */
	expect_error("# BEGIN idleacc.yaml\n# nodes:\n#   \"lab[01-\":\n#     idle_after: 1h\n"
		     "# END idleacc.yaml\n",
		     "3:5: nodes: bad hostlist \"lab[01-\": missing \"]\"");
}
END_TEST

/* Mistakes in the block's own frame. */
START_TEST(test_frame_errors)
{
	const char *uncommented[] = {
	    "3:1: a line of the idleacc.yaml block must start with \"# \" (SPANK would read it as "
	    "a plugin)",
	    NULL};

	expect_errors("# BEGIN idleacc.yaml\n# policy:\n  idle_after: 5m\n# END idleacc.yaml\n",
		      uncommented);
	expect_error("# BEGIN idleacc.yaml\n#policy:\n# END idleacc.yaml\n",
		     "2:1: a line of the idleacc.yaml block must start with \"# \" (SPANK would "
		     "read it as a plugin)");
	expect_error("x\n# BEGIN idleacc.yaml\n# policy:\n",
		     "2:1: no \"# END idleacc.yaml\" after this line");
	expect_error("# END idleacc.yaml\n",
		     "1:1: \"# END idleacc.yaml\" without a \"# BEGIN idleacc.yaml\" before it");
	expect_error("# BEGIN idleacc.yaml\n# BEGIN idleacc.yaml\n# END idleacc.yaml\n",
		     "2:1: \"# BEGIN idleacc.yaml\" inside the block of line 1");
	expect_error("# BEGIN idleacc.yaml\n# END idleacc.yaml\n# BEGIN idleacc.yaml\n"
		     "# END idleacc.yaml\n",
		     "3:1: a second \"# BEGIN idleacc.yaml\"; plugstack.conf holds one block");
}
END_TEST

/* The file checks of idleacc.yaml hold for plugstack.conf too: root writes thresholds. */
START_TEST(test_file_checks)
{
	char err[ERRLEN];

	write_ps("# BEGIN idleacc.yaml\n# END idleacc.yaml\n");
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_ptr_null(idle_config_load_plugstack(path, NULL, 0, err, sizeof(err)));
	ck_assert_str_eq(err + strlen(path),
			 ": writable by group or others; refusing it (chmod go-w)");
	unlink(path);
	ck_assert_ptr_null(idle_config_load_plugstack(path, NULL, 0, err, sizeof(err)));
	ck_assert_str_eq(err + strlen(path), ": No such file or directory");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("plugstack");
	TCase *tc = tcase_create("block");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_block_loads);
	tcase_add_test(tc, test_block_forms);
	tcase_add_test(tc, test_no_block);
	tcase_add_test(tc, test_errors_point_into_plugstack);
	tcase_add_test(tc, test_frame_errors);
	tcase_add_test(tc, test_file_checks);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(make_suite)
