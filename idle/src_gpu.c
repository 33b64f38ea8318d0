/* SPDX-License-Identifier: MIT */
/* src_gpu.c - the GPU source: utilisation of NVIDIA GPUs through NVML, loaded at run time. */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "idle_int.h"
#include "defaults.h"

/*
 * NVML ships with the NVIDIA driver, not as a package we can build against: it is opened with
 * dlopen() and the few functions used are declared here, with the types of nvml.h.
 *
 * A machine without the library or without the driver loaded has no GPU to watch (NONE). Until
 * NVML initialises, every sample tries again, so a driver loaded after start-up is picked up.
 */
typedef int nvmlReturn_t;		  /* NVML_SUCCESS = 0, else an error code */
typedef struct nvml_device *nvmlDevice_t; /* opaque handle */
typedef struct {
	unsigned int gpu;    /* % of the last sample period a kernel ran */
	unsigned int memory; /* % of the last sample period device memory was read or written */
} nvmlUtilization_t;

#define NVML_SUCCESS		     0
#define NVML_ERROR_NOT_SUPPORTED     3
#define NVML_ERROR_DRIVER_NOT_LOADED 9

struct gpu_state {
	char library[IDLE_PATH_LEN]; /* what dlopen() is given: a soname or a path */
	void *lib;		     /* dlopen() handle, NULL while not loaded */
	bool inited;		     /* nvmlInit_v2 succeeded: nvmlShutdown is owed at close */
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	nvmlReturn_t (*count)(unsigned int *count);
	nvmlReturn_t (*handle)(unsigned int index, nvmlDevice_t *dev);
	nvmlReturn_t (*util)(nvmlDevice_t dev, nvmlUtilization_t *util);
	const char *(*strerror)(nvmlReturn_t rc);
};

static const char *nvml_error(const struct gpu_state *st, nvmlReturn_t rc)
{
	static char buf[32];
	const char *s = st->strerror ? st->strerror(rc) : NULL;

	if (s)
		return s;
	idle_strlcpyf(buf, sizeof(buf), "NVML error %d", rc);
	return buf;
}

static void gpu_unload(struct gpu_state *st)
{
	if (st->inited && st->shutdown)
		st->shutdown();
	st->inited = false;
	if (st->lib)
		dlclose(st->lib);
	st->lib = NULL;
}

/*
 * Loads and initialises NVML. Returns 1 when ready, 0 when there is nothing to watch (no
 * library, driver not loaded), -1 with snap->error filled.
 */
static int gpu_start(struct gpu_state *st, struct idle_snapshot *snap)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
	    {"nvmlInit_v2", offsetof(struct gpu_state, init)},
	    {"nvmlShutdown", offsetof(struct gpu_state, shutdown)},
	    {"nvmlDeviceGetCount_v2", offsetof(struct gpu_state, count)},
	    {"nvmlDeviceGetHandleByIndex_v2", offsetof(struct gpu_state, handle)},
	    {"nvmlDeviceGetUtilizationRates", offsetof(struct gpu_state, util)},
	    {"nvmlErrorString", offsetof(struct gpu_state, strerror)},
	};
	nvmlReturn_t rc;
	size_t i;

	if (st->inited)
		return 1;
	if (!st->lib) {
		st->lib = dlopen(st->library, RTLD_NOW | RTLD_LOCAL);
		if (!st->lib)
			return 0;
		for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
			void *f = dlsym(st->lib, syms[i].name);

			if (!f) {
				idle_unknown(snap, IDLE_SRC_GPU, "%s lacks %s", st->library,
					     syms[i].name);
				gpu_unload(st);
				return -1;
			}
			/* POSIX guarantees function pointers survive a trip through void *. */
			memcpy((char *)st + syms[i].off, &f, sizeof(f));
		}
	}
	rc = st->init();
	if (rc == NVML_ERROR_DRIVER_NOT_LOADED)
		return 0;
	if (rc != NVML_SUCCESS) {
		idle_unknown(snap, IDLE_SRC_GPU, "NVML init failed: %s", nvml_error(st, rc));
		return -1;
	}
	st->inited = true;
	return 1;
}

static void gpu_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
		       struct idle_snapshot *snap)
{
	struct gpu_state *st = state;
	unsigned int n = 0, i, max = 0, measured = 0;
	nvmlReturn_t rc;
	int r;

	(void)sh;
	(void)now_ms;
	if (!st) {
		idle_unknown(snap, IDLE_SRC_GPU, "gpu source not open");
		return;
	}
	r = gpu_start(st, snap);
	if (r <= 0) {
		if (r == 0)
			snap->status[IDLE_SRC_GPU] = IDLE_ST_NONE;
		return;
	}
	rc = st->count(&n);
	if (rc != NVML_SUCCESS) {
		idle_unknown(snap, IDLE_SRC_GPU, "NVML device count: %s", nvml_error(st, rc));
		return;
	}
	if (n == 0) {
		snap->status[IDLE_SRC_GPU] = IDLE_ST_NONE;
		return;
	}
	for (i = 0; i < n; i++) {
		nvmlDevice_t dev = NULL;
		nvmlUtilization_t u = {0, 0};

		rc = st->handle(i, &dev);
		if (rc == NVML_SUCCESS)
			rc = st->util(dev, &u);
		/* Some boards cannot report utilisation at all: that is a property of the
		 * hardware, not a failure, and it must not keep the desktop out for good. */
		if (rc == NVML_ERROR_NOT_SUPPORTED)
			continue;
		if (rc != NVML_SUCCESS) {
			idle_unknown(snap, IDLE_SRC_GPU, "GPU %u: %s", i, nvml_error(st, rc));
			return;
		}
		if (u.gpu > max)
			max = u.gpu;
		measured++;
	}
	if (!measured) {
		snap->status[IDLE_SRC_GPU] = IDLE_ST_NONE;
		return;
	}
	snap->gpu_count = (int)n;
	snap->gpu_util_pct = max > 100 ? 100 : (int)max;
	snap->status[IDLE_SRC_GPU] = IDLE_ST_OK;
}

static int gpu_open(void **state, const struct idle_sources *conf, const char *root, int64_t now_ms,
		    char *err, size_t errlen)
{
	struct gpu_state *st = calloc(1, sizeof(*st));

	/* The library is the driver's, found by the dynamic linker: no root prefix applies. */
	(void)root, (void)now_ms;
	if (!st) {
		idle_strlcpyf(err, errlen, "out of memory");
		return -1;
	}
	idle_strlcpyf(st->library, sizeof(st->library), "%s",
		      conf->gpu_library[0] ? conf->gpu_library : DEF_GPU_LIBRARY);
	*state = st;
	return 0;
}

static void gpu_close(void *state)
{
	struct gpu_state *st = state;

	if (!st)
		return;
	gpu_unload(st);
	free(st);
}

const struct idle_source_ops idle_src_gpu = {
    .id = IDLE_SRC_GPU,
    .open = gpu_open,
    .sample = gpu_sample,
    .close = gpu_close,
};
