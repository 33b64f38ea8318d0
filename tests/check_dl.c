/* SPDX-License-Identifier: MIT */
/*
 * check_dl.c - libidle's loader of optional libraries (idle/dl.c) and what the logind and x11
 * sources report on a desktop without libsystemd or the X11 libraries: the loaders' SONAMEs
 * pointed at a library that does not exist, through their test hooks.
 */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "dl.h"
#include "idle_int.h"
#include "testutil.h"
#ifdef HAVE_SYSTEMD
#include "dl_systemd.h"
#endif
#ifdef HAVE_X11
#include "dl_x11.h"
#endif

/* A library no machine has, and what glibc's dlopen() says of it. */
#define ABSENT	       "libidleacc-absent.so.0"
#define ABSENT_DLERROR ABSENT ": cannot open shared object file: No such file or directory"

/* A table of two libc functions. */
struct two {
	pid_t (*getpid)(void);
	size_t (*strlen)(const char *);
};

START_TEST(test_missing_library)
{
	static const struct idle_dl_sym syms[] = {{"getpid", offsetof(struct two, getpid)}};
	struct two t = {0};
	char err[IDLE_ERR_LEN] = "";

	ck_assert_ptr_null(idle_dl_load(ABSENT, syms, 1, &t, err, sizeof(err)));
	ck_assert_str_eq(err, "cannot load " ABSENT ": " ABSENT_DLERROR);
	ck_assert_ptr_null(t.getpid);
}
END_TEST

/* A library too old to have one of the functions: refused whole, the table left as it was. */
START_TEST(test_missing_function)
{
	static const struct idle_dl_sym syms[] = {
	    {"getpid", offsetof(struct two, getpid)},
	    {"idleacc_no_such_function", offsetof(struct two, strlen)},
	};
	struct two t = {0};
	char err[IDLE_ERR_LEN] = "";

	ck_assert_ptr_null(idle_dl_load("libc.so.6", syms, 2, &t, err, sizeof(err)));
	ck_assert_str_eq(err, "libc.so.6 lacks idleacc_no_such_function");
	ck_assert_ptr_null(t.getpid);
	ck_assert_ptr_null(t.strlen);
}
END_TEST

START_TEST(test_loaded)
{
	static const struct idle_dl_sym syms[] = {
	    {"getpid", offsetof(struct two, getpid)},
	    {"strlen", offsetof(struct two, strlen)},
	};
	struct two t = {0};
	char err[IDLE_ERR_LEN] = "";
	void *lib;

	lib = idle_dl_load("libc.so.6", syms, 2, &t, err, sizeof(err));
	ck_assert_msg(lib != NULL, "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(t.getpid(), getpid());
	ck_assert_uint_eq(t.strlen("idleacc"), 7);
	dlclose(lib);
}
END_TEST

#ifdef HAVE_SYSTEMD
/* A desktop without libsystemd: the logind source is UNKNOWN (the owner counts as present),
 * and says why; once the library is there, the next load finds it. */
START_TEST(test_logind_without_libsystemd)
{
	struct idle_snapshot snap;
	char err[IDLE_ERR_LEN] = "";

	idle_sd_soname = ABSENT;
	test_sample_one(IDLE_SRC_LOGIND, NULL, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_LOGIND], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_LOGIND], "cannot load " ABSENT ": " ABSENT_DLERROR);
	ck_assert_int_eq(idle_sd_load(err, sizeof(err)), -1);

	idle_sd_soname = IDLE_SD_SONAME;
	ck_assert_msg(idle_sd_load(err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(idle_sd.sd_bus_call);
}
END_TEST
#endif

#ifdef HAVE_X11
/* A desktop with libX11 but without libXss: the x11 source is UNKNOWN and names the one that is
 * missing. */
START_TEST(test_x11_without_libxss)
{
	struct idle_snapshot snap;
	char err[IDLE_ERR_LEN] = "";

	idle_x11_sonames[2] = ABSENT;
	test_sample_one(IDLE_SRC_X11, NULL, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_X11], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "cannot load " ABSENT ": " ABSENT_DLERROR);

	idle_x11_sonames[2] = IDLE_XSS_SONAME;
	ck_assert_msg(idle_x11_load(err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(idle_x11.XScreenSaverQueryInfo);
	ck_assert_ptr_nonnull(idle_x11.XOpenDisplay);
}
END_TEST

/* Without libX11 nothing of the others is asked for: the first missing one is named. */
START_TEST(test_x11_without_libx11)
{
	struct idle_snapshot snap;

	idle_x11_sonames[0] = ABSENT;
	test_sample_one(IDLE_SRC_X11, NULL, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_X11], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_X11], "cannot load " ABSENT ": " ABSENT_DLERROR);
	idle_x11_sonames[0] = IDLE_X11_SONAME;
}
END_TEST
#endif

static Suite *dl_suite(void)
{
	Suite *s = suite_create("dl");
	TCase *tc = tcase_create("loader");

	tcase_add_test(tc, test_missing_library);
	tcase_add_test(tc, test_missing_function);
	tcase_add_test(tc, test_loaded);
	suite_add_tcase(s, tc);
	tc = tcase_create("sources");
#ifdef HAVE_SYSTEMD
	tcase_add_test(tc, test_logind_without_libsystemd);
#endif
#ifdef HAVE_X11
	/* Before any test loads the X11 table: a table once loaded stays (CK_FORK=no under
	 * valgrind runs every test in one process). */
	tcase_add_test(tc, test_x11_without_libx11);
	tcase_add_test(tc, test_x11_without_libxss);
#endif
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(dl_suite)
