/* SPDX-License-Identifier: MIT */
/* check_gpu.c - the GPU source against a fake libnvidia-ml (fake_nvml.c) driven by env vars. */
#include "config.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

#include "idle.h"
#include "testutil.h"

#ifndef FAKE_NVML
#define FAKE_NVML ".libs/libfakenvml.so"
#endif

static void clear_env(void)
{
	unsetenv("FAKE_NVML_COUNT");
	unsetenv("FAKE_NVML_UTIL");
	unsetenv("FAKE_NVML_INIT_RC");
	unsetenv("FAKE_NVML_FAIL_DEVICE");
	unsetenv("FAKE_NVML_UNSUPPORTED");
}

/* Opens a sampler with only the GPU source, on [library]. */
static struct idle_ctx *open_gpu(const char *library)
{
	struct idle_sources src;
	struct idle_ctx *ctx;
	char err[IDLE_ERR_LEN] = "";

	memset(&src, 0, sizeof(src));
	src.enabled[IDLE_SRC_GPU] = true;
	snprintf(src.gpu_library, sizeof(src.gpu_library), "%s", library);
	ctx = idle_open(&src, NULL, TEST_JOB_COMM, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "idle_open: %s", err);
	return ctx;
}

static struct idle_ctx *open_fake(void)
{
	ck_assert_msg(access(FAKE_NVML, R_OK) == 0, "%s is missing (built with --disable-shared?)",
		      FAKE_NVML);
	return open_gpu(FAKE_NVML);
}

static void sample(struct idle_ctx *ctx, struct idle_snapshot *snap)
{
	idle_sample(ctx, idle_now_ms(), snap);
}

START_TEST(test_missing_library)
{
	static const char *const libs[] = {"/nonexistent/libnvidia-ml.so.1",
					   "libidleacc-no-such-nvml.so.1"};
	struct idle_snapshot snap;
	size_t i;

	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		struct idle_ctx *ctx = open_gpu(libs[i]);

		sample(ctx, &snap);
		ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_NONE);
		ck_assert_str_eq(snap.error[IDLE_SRC_GPU], "");
		idle_close(ctx);
	}
}
END_TEST

START_TEST(test_not_nvml)
{
	struct idle_ctx *ctx = open_gpu("libm.so.6");
	struct idle_snapshot snap;

	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_GPU], "libm.so.6 lacks nvmlInit_v2");
	idle_close(ctx);
}
END_TEST

START_TEST(test_utilisation)
{
	struct idle_ctx *ctx;
	struct idle_snapshot snap;

	setenv("FAKE_NVML_COUNT", "2", 1);
	setenv("FAKE_NVML_UTIL", "10,85", 1);
	ctx = open_fake();
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_OK);
	ck_assert_str_eq(snap.error[IDLE_SRC_GPU], "");
	ck_assert_int_eq(snap.gpu_count, 2);
	ck_assert_int_eq(snap.gpu_util_pct, 85);

	/* Every sample reads the devices again. */
	setenv("FAKE_NVML_COUNT", "3", 1);
	setenv("FAKE_NVML_UTIL", "40,5,0", 1);
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_OK);
	ck_assert_int_eq(snap.gpu_count, 3);
	ck_assert_int_eq(snap.gpu_util_pct, 40);
	idle_close(ctx);
}
END_TEST

START_TEST(test_no_devices)
{
	struct idle_ctx *ctx;
	struct idle_snapshot snap;

	setenv("FAKE_NVML_COUNT", "0", 1);
	ctx = open_fake();
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_GPU], "");
	idle_close(ctx);
}
END_TEST

START_TEST(test_driver_not_loaded)
{
	struct idle_ctx *ctx;
	struct idle_snapshot snap;

	setenv("FAKE_NVML_INIT_RC", "9", 1);
	setenv("FAKE_NVML_UTIL", "33", 1);
	ctx = open_fake();
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_NONE);
	ck_assert_str_eq(snap.error[IDLE_SRC_GPU], "");

	/* A driver loaded later is picked up without reopening the source. */
	unsetenv("FAKE_NVML_INIT_RC");
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_OK);
	ck_assert_int_eq(snap.gpu_count, 1);
	ck_assert_int_eq(snap.gpu_util_pct, 33);
	idle_close(ctx);
}
END_TEST

START_TEST(test_init_error)
{
	struct idle_ctx *ctx;
	struct idle_snapshot snap;

	setenv("FAKE_NVML_INIT_RC", "4", 1);
	ctx = open_fake();
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_GPU], "NVML init failed: Insufficient Permissions");
	idle_close(ctx);
}
END_TEST

START_TEST(test_device_failure)
{
	struct idle_ctx *ctx;
	struct idle_snapshot snap;

	setenv("FAKE_NVML_COUNT", "2", 1);
	setenv("FAKE_NVML_UTIL", "10,85", 1);
	setenv("FAKE_NVML_FAIL_DEVICE", "1", 1);
	ctx = open_fake();
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_UNKNOWN);
	ck_assert_str_eq(snap.error[IDLE_SRC_GPU], "GPU 1: GPU is lost");

	/* The failure is per sample: the GPU back, the source is OK again. */
	unsetenv("FAKE_NVML_FAIL_DEVICE");
	unsetenv("FAKE_NVML_UNSUPPORTED");
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_OK);
	ck_assert_int_eq(snap.gpu_util_pct, 85);
	idle_close(ctx);
}
END_TEST

/* A board that cannot report utilisation is skipped; with none measurable the source has
 * nothing to watch (NONE), never UNKNOWN for good. */
START_TEST(test_not_supported)
{
	struct idle_ctx *ctx;
	struct idle_snapshot snap;

	setenv("FAKE_NVML_COUNT", "2", 1);
	setenv("FAKE_NVML_UTIL", "10,85", 1);
	setenv("FAKE_NVML_UNSUPPORTED", "1", 1);
	ctx = open_fake();
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_OK);
	ck_assert_int_eq(snap.gpu_util_pct, 10);
	setenv("FAKE_NVML_COUNT", "1", 1);
	setenv("FAKE_NVML_UNSUPPORTED", "0", 1);
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_NONE);
	idle_close(ctx);
}
END_TEST

START_TEST(test_shutdown)
{
	struct idle_ctx *ctx;
	struct idle_snapshot snap;
	void *lib = dlopen(FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
	int *inits;

	/* Holding our own reference keeps the fake loaded, and its counter readable, after the
	 * source's dlclose(). */
	ck_assert_msg(lib != NULL, "%s", dlerror());
	inits = dlsym(lib, "fake_nvml_inits");
	ck_assert_ptr_nonnull(inits);
	ctx = open_fake();
	sample(ctx, &snap);
	ck_assert_int_eq(snap.status[IDLE_SRC_GPU], IDLE_ST_OK);
	ck_assert_int_eq(*inits, 1);
	sample(ctx, &snap);
	ck_assert_int_eq(*inits, 1);
	idle_close(ctx);
	ck_assert_int_eq(*inits, 0);
	dlclose(lib);
}
END_TEST

static Suite *make_suite(void)
{
	const struct {
		const char *name;
		const TTest *test;
	} cases[] = {
	    {"missing_library", test_missing_library},
	    {"not_nvml", test_not_nvml},
	    {"utilisation", test_utilisation},
	    {"no_devices", test_no_devices},
	    {"driver_not_loaded", test_driver_not_loaded},
	    {"init_error", test_init_error},
	    {"device_failure", test_device_failure},
	    {"not_supported", test_not_supported},
	    {"shutdown", test_shutdown},
	};
	Suite *s = suite_create("gpu");
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, clear_env, NULL);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

TEST_MAIN(make_suite)
