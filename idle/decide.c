/* SPDX-License-Identifier: MIT */
/* decide.c - STUB: to be written. */
#include "config.h"

#include <string.h>

#include "idle_int.h"

void idle_decide(const struct idle_snapshot *snap, const struct idle_policy *pol, int64_t now_ms,
		 struct idle_memo *memo, struct idle_verdict *out)
{
	(void)snap, (void)pol, (void)now_ms, (void)memo;
	memset(out, 0, sizeof(*out));
}

char *idle_verdict_reasons(const struct idle_verdict *v, char *buf, size_t len)
{
	(void)v;
	if (len)
		buf[0] = '\0';
	return buf;
}
