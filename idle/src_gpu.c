/* SPDX-License-Identifier: MIT */
/* src_gpu.c - STUB: to be written. */
#include "config.h"

#include "idle_int.h"

static int stub_open(void **state, const struct idle_sources *conf, const char *root,
		     int64_t now_ms, char *err, size_t errlen)
{
	(void)conf, (void)root, (void)now_ms, (void)err, (void)errlen;
	*state = (void *)1;
	return 0;
}

static void stub_sample(void *state, int64_t now_ms, struct idle_snapshot *snap)
{
	(void)state, (void)now_ms;
	snap->status[IDLE_SRC_GPU] = IDLE_ST_NONE;
}

static void stub_close(void *state)
{
	(void)state;
}

const struct idle_source_ops idle_src_gpu = {
	.id = IDLE_SRC_GPU,
	.open = stub_open,
	.sample = stub_sample,
	.close = stub_close,
};
