/* SPDX-License-Identifier: MIT */
/* procscan.c - STUB: to be written. */
#include "config.h"

#include <stdlib.h>

#include "idle_int.h"

int idle_procs_scan(struct idle_procs *ps, const char *root, char *err, size_t errlen)
{
	(void)root, (void)err, (void)errlen;
	ps->n = 0;
	return 0;
}

void idle_procs_free(struct idle_procs *ps)
{
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}
