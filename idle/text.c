/* SPDX-License-Identifier: MIT */
/* text.c - the text libidle hands out: bounded formatting, a source's UNKNOWN message, and the
 * names of its enums as people read them. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "idle_int.h"

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

static const char *const source_names[IDLE_SRC_COUNT] = {
    [IDLE_SRC_EVDEV] = "evdev",	  [IDLE_SRC_TTY] = "tty",
    [IDLE_SRC_LOGIND] = "logind", [IDLE_SRC_X11] = "x11",
    [IDLE_SRC_LOAD] = "load",	  [IDLE_SRC_MEMORY] = "memory",
    [IDLE_SRC_POWER] = "power",	  [IDLE_SRC_PROCESSES] = "processes",
    [IDLE_SRC_GPU] = "gpu",	  [IDLE_SRC_WINDOWS] = "windows",
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
