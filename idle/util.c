/* SPDX-License-Identifier: MIT */
/* util.c - small helpers of libidle: root-prefixed paths, bounded formatting, durations. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "idle_int.h"

char *idle_path(char *buf, size_t len, const char *root, const char *path)
{
	int n;

	if (!root || !*root)
		n = snprintf(buf, len, "%s", path);
	else
		n = snprintf(buf, len, "%s%s%s", root, path[0] == '/' ? "" : "/", path);
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}

void *idle_state_new(size_t size, const char *root, char **root_copy, char *err, size_t errlen)
{
	void *st = calloc(1, size);

	*root_copy = NULL;
	if (st && root && *root && !(*root_copy = strdup(root))) {
		free(st);
		st = NULL;
	}
	if (!st)
		idle_strlcpyf(err, errlen, "out of memory");
	return st;
}

char *idle_strlcpyf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return buf;
	va_start(ap, fmt);
	if (vsnprintf(buf, len, fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	return buf;
}

void idle_unknown(struct idle_snapshot *snap, enum idle_source_id id, const char *fmt, ...)
{
	va_list ap;

	snap->status[id] = IDLE_ST_UNKNOWN;
	va_start(ap, fmt);
	if (vsnprintf(snap->error[id], sizeof(snap->error[id]), fmt, ap) < 0)
		snap->error[id][0] = '\0';
	va_end(ap);
}

ssize_t idle_read_file(const char *root, const char *path, char *buf, size_t len)
{
	char p[PATH_MAX];
	size_t got = 0;
	int fd;

	if (!len || !idle_path(p, sizeof(p), root, path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < len - 1) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

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

static const char *const source_names[IDLE_SRC_COUNT] = {
    [IDLE_SRC_EVDEV] = "evdev",	  [IDLE_SRC_TTY] = "tty",
    [IDLE_SRC_LOGIND] = "logind", [IDLE_SRC_X11] = "x11",
    [IDLE_SRC_LOAD] = "load",	  [IDLE_SRC_MEMORY] = "memory",
    [IDLE_SRC_POWER] = "power",	  [IDLE_SRC_PROCESSES] = "processes",
    [IDLE_SRC_GPU] = "gpu",
};

const char *idle_source_name(enum idle_source_id id)
{
	return (unsigned)id < IDLE_SRC_COUNT ? source_names[id] : "?";
}

const char *idle_status_name(enum idle_status st)
{
	switch (st) {
	case IDLE_ST_OFF:
		return "off";
	case IDLE_ST_NONE:
		return "none";
	case IDLE_ST_OK:
		return "ok";
	case IDLE_ST_UNKNOWN:
		return "unknown";
	}
	return "?";
}

const char *idle_owner_name(enum idle_owner o)
{
	switch (o) {
	case IDLE_OWNER_UNKNOWN:
		return "unknown";
	case IDLE_OWNER_PRESENT:
		return "present";
	case IDLE_OWNER_ABSENT:
		return "absent";
	}
	return "?";
}

const char *idle_on_return_name(enum idle_on_return r)
{
	switch (r) {
	case IDLE_RETURN_DRAIN:
		return "drain";
	case IDLE_RETURN_SUSPEND:
		return "suspend";
	case IDLE_RETURN_REQUEUE:
		return "requeue";
	case IDLE_RETURN_CANCEL:
		return "cancel";
	}
	return "?";
}
