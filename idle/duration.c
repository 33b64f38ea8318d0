/* SPDX-License-Identifier: MIT */
/* duration.c - time as people write it: durations in idleacc.yaml's grammar ("1h30m"), and the
 * wall clock that samples are stamped with. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "idle_int.h"

int64_t idle_now_ms(void)
{
	return clock_wall_ms();
}

/*
 * Durations: a sequence of <digits><unit> with units d, h, m, s in that order, each at most
 * once ("1h30m"), or bare digits meaning seconds. Capped at 10 years, which is longer than
 * any policy needs and keeps every product below INT64_MAX in milliseconds.
 */
#define DURATION_MAX ((int64_t)10 * 366 * 86400)

int idle_parse_duration(const char *s, int64_t *secs)
{
	static const struct {
		char unit;
		int64_t mult;
	} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	int64_t total = 0;
	size_t next = 0;

	if (!s || !*s)
		return -1;
	while (*s) {
		int64_t v = 0;
		size_t u;

		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > DURATION_MAX)
				return -1;
		}
		if (!*s) {
			if (next != 0) /* "1h30" is ambiguous */
				return -1;
			total = v;
			break;
		}
		for (u = next; u < sizeof(units) / sizeof(units[0]); u++)
			if (units[u].unit == *s)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[u].mult;
		if (total > DURATION_MAX)
			return -1;
		next = u + 1;
		s++;
	}
	*secs = total;
	return 0;
}

char *idle_format_duration(int64_t secs, char *buf, size_t len)
{
	int64_t d, h, m, s;
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (secs < 0)
		secs = 0;
	if (secs == 0) {
		idle_strlcpyf(buf, len, "0s");
		return buf;
	}
	d = secs / 86400;
	h = secs % 86400 / 3600;
	m = secs % 3600 / 60;
	s = secs % 60;
#define PART(v, u)                                                                                 \
	if (v && off < len) {                                                                      \
		int n_ = snprintf(buf + off, len - off, "%lld%c", (long long)(v), (u));            \
		if (n_ > 0)                                                                        \
			off += (size_t)n_;                                                         \
	}
	PART(d, 'd');
	PART(h, 'h');
	PART(m, 'm');
	PART(s, 's');
#undef PART
	return buf;
}
