/* SPDX-License-Identifier: MIT */
/*
 * fake_nvml.c - a stand-in libnvidia-ml for check_gpu: the NVML functions libidle uses, driven
 * by environment variables read on every call:
 *   FAKE_NVML_INIT_RC      what nvmlInit_v2 returns (default 0, success)
 *   FAKE_NVML_COUNT        how many GPUs (default 1)
 *   FAKE_NVML_UTIL         utilisation of each GPU, comma-separated ("10,85"; missing ones 0)
 *   FAKE_NVML_FAIL_DEVICE  index of a GPU whose utilisation fails with "GPU is lost"
 *   FAKE_NVML_UNSUPPORTED  index of a GPU that cannot report utilisation ("Not Supported")
 * fake_nvml_inits counts nvmlInit_v2 calls not yet matched by nvmlShutdown.
 */
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct nvml_device *nvmlDevice_t;
typedef struct {
	unsigned int gpu;    /* % of time a kernel ran */
	unsigned int memory; /* % of time memory was read or written */
} nvmlUtilization_t;

/* The codes of nvml.h this fake returns. */
enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NO_PERMISSION = 4,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_GPU_IS_LOST = 15,
	NVML_ERROR_UNKNOWN = 999,
};

/* The interface, as nvml.h declares it. */
nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t dev, nvmlUtilization_t *util);
const char *nvmlErrorString(nvmlReturn_t rc);

extern int fake_nvml_inits;
int fake_nvml_inits; /* successful nvmlInit_v2 calls not yet shut down */

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* Device handles are index + 1, so NULL is never a valid device. */
static long dev_index(nvmlDevice_t dev)
{
	return (long)(unsigned long)dev - 1;
}

nvmlReturn_t nvmlInit_v2(void)
{
	nvmlReturn_t rc = (nvmlReturn_t)env_long("FAKE_NVML_INIT_RC", NVML_SUCCESS);

	if (rc == NVML_SUCCESS)
		fake_nvml_inits++;
	return rc;
}

nvmlReturn_t nvmlShutdown(void)
{
	if (fake_nvml_inits <= 0)
		return NVML_ERROR_UNINITIALIZED;
	fake_nvml_inits--;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
	if (fake_nvml_inits <= 0)
		return NVML_ERROR_UNINITIALIZED;
	if (!count)
		return NVML_ERROR_INVALID_ARGUMENT;
	*count = (unsigned int)env_long("FAKE_NVML_COUNT", 1);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev)
{
	if (fake_nvml_inits <= 0)
		return NVML_ERROR_UNINITIALIZED;
	if (!dev || index >= (unsigned int)env_long("FAKE_NVML_COUNT", 1))
		return NVML_ERROR_INVALID_ARGUMENT;
	*dev = (nvmlDevice_t)(unsigned long)(index + 1);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t dev, nvmlUtilization_t *util)
{
	const char *list = getenv("FAKE_NVML_UTIL");
	long i = dev_index(dev), k;

	if (fake_nvml_inits <= 0)
		return NVML_ERROR_UNINITIALIZED;
	if (!util || i < 0 || i >= env_long("FAKE_NVML_COUNT", 1))
		return NVML_ERROR_INVALID_ARGUMENT;
	if (i == env_long("FAKE_NVML_FAIL_DEVICE", -1))
		return NVML_ERROR_GPU_IS_LOST;
	if (i == env_long("FAKE_NVML_UNSUPPORTED", -1))
		return NVML_ERROR_NOT_SUPPORTED;
	util->gpu = 0;
	util->memory = 0;
	for (k = 0; list && *list && k < i; k++) {
		list = strchr(list, ',');
		list = list ? list + 1 : NULL;
	}
	if (list && *list)
		util->gpu = (unsigned int)strtoul(list, NULL, 10);
	return NVML_SUCCESS;
}

/* The strings of the real libnvidia-ml for these codes. */
const char *nvmlErrorString(nvmlReturn_t rc)
{
	switch (rc) {
	case NVML_SUCCESS:
		return "Success";
	case NVML_ERROR_UNINITIALIZED:
		return "Uninitialized";
	case NVML_ERROR_INVALID_ARGUMENT:
		return "Invalid Argument";
	case NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case NVML_ERROR_NO_PERMISSION:
		return "Insufficient Permissions";
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "Driver Not Loaded";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	default:
		return "Unknown Error";
	}
}
