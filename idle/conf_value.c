/* SPDX-License-Identifier: MIT */
/*
 * conf_value.c - idleacc.yaml's kinds of values, one reader each: numbers and percentages,
 * booleans, signals, durations, weekly time windows, strings and paths.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "conf_int.h"
#include "signame.h"

/* ---------------------------------------------------------------- scalar values */

/* A plain decimal number: digits with an optional fraction and sign; no hex, no "inf". */
int conf_parse_number(const char *s, double *out)
{
	const char *p = s;
	char *end;
	int digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits || *p)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || *end || !isfinite(*out))
		return -1;
	return 0;
}

/* A number with an optional "%" after it ("90", "90%", "12.5%"). */
int conf_parse_percent(const char *s, double *out)
{
	char num[64];
	size_t n = strlen(s);

	if (n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	if (n && num[n - 1] == '%')
		num[n - 1] = '\0';
	return conf_parse_number(num, out);
}

/* YAML 1.1 booleans, as libyaml's users write them. */
int conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return -1;
}

/* "TERM", "SIGTERM", "sigterm" or "15", in the grammar every program shares (common/signame.h).
 * Returns 0, -1 if not a signal, -2 if a number out of range. */
int conf_parse_signal(const char *s, int *out)
{
	int sig = signame_parse(s, strlen(s));

	if (sig > 0)
		*out = sig;
	return sig > 0 ? 0 : sig == SIGNAME_RANGE ? -2 : -1;
}

/* ---------------------------------------------------------------- hours */

static const char *const day_names[7] = {"monday", "tuesday",  "wednesday", "thursday",
					 "friday", "saturday", "sunday"};

/* A day as "Mon" or "Monday" (any case): 0 = Monday, or -1. */
static int parse_day(const char *s, size_t n)
{
	int d;

	for (d = 0; d < 7; d++)
		if ((n == 3 || n == strlen(day_names[d])) && !strncasecmp(s, day_names[d], n))
			return d;
	return -1;
}

/* "Mon-Fri", "Sat,Sun", "Fri-Mon" (wraps), "daily". */
static int parse_days(const char *s, uint8_t *days, char *why, size_t whylen)
{
	if (!strcasecmp(s, "daily")) {
		*days = 0x7f;
		return 0;
	}
	*days = 0;
	for (;;) {
		size_t n = strcspn(s, ","), dash = strcspn(s, "-");
		int a, b;

		if (n == 0) {
			idle_strlcpyf(why, whylen, "a day is missing");
			return -1;
		}
		if (dash > n)
			dash = n;
		a = parse_day(s, dash);
		b = dash < n ? parse_day(s + dash + 1, n - dash - 1) : a;
		if (a < 0 || b < 0) {
			const char *bad = a < 0 ? s : s + dash + 1;
			size_t bn = a < 0 ? dash : n - dash - 1;

			idle_strlcpyf(why, whylen, "unknown day \"%.*s\"", (int)bn, bad);
			return -1;
		}
		for (;; a = (a + 1) % 7) {
			*days |= (uint8_t)(1u << a);
			if (a == b)
				break;
		}
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

/* "8:00", "08:00" or "24:00" into minutes after midnight; -1 if malformed. */
static int parse_hhmm(const char *s, size_t n)
{
	size_t colon = 0;
	int h = 0, m;

	/* at most 2 digits are summed: a longer run is malformed, and must not overflow */
	while (colon < n && s[colon] >= '0' && s[colon] <= '9') {
		if (colon < 2)
			h = h * 10 + (s[colon] - '0');
		colon++;
	}
	if (colon < 1 || colon > 2 || n != colon + 3 || s[colon] != ':' || s[colon + 1] < '0' ||
	    s[colon + 1] > '5' || s[colon + 2] < '0' || s[colon + 2] > '9')
		return -1;
	m = (s[colon + 1] - '0') * 10 + (s[colon + 2] - '0');
	if (h > 24 || (h == 24 && m))
		return -1;
	return h * 60 + m;
}

/* "18:00-08:00": [start, end) with end 1..1440; an end before the start wraps. */
static int parse_times(const char *s, struct idle_window *w, char *why, size_t whylen)
{
	size_t dash = strcspn(s, "-");
	int a = parse_hhmm(s, dash),
	    b = s[dash] ? parse_hhmm(s + dash + 1, strlen(s + dash + 1)) : -1;

	if (a < 0 || b < 0 || a == 1440) {
		idle_strlcpyf(why, whylen, "bad time range \"%s\" (use HH:MM-HH:MM)", s);
		return -1;
	}
	if (b == 0) /* "18:00-00:00": until midnight */
		b = 1440;
	if (a == b) {
		idle_strlcpyf(why, whylen, "empty time range \"%s\"", s);
		return -1;
	}
	w->start_min = a;
	w->end_min = b;
	return 0;
}

/*
 * One window: days, then a time range, either optional ("Mon-Fri 18:00-08:00", "Sat,Sun",
 * "daily 12:00-13:30", "18:00-08:00"). The days end where the first digit starts, so spaces
 * after commas do no harm.
 */
int conf_parse_window(const char *s, struct idle_window *w, char *why, size_t whylen)
{
	char days[64], times[64];
	size_t nd = 0, nt = 0;
	const char *p;
	bool in_times = false;

	for (p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			in_times = true;
		if (*p == ' ' || *p == '\t')
			continue;
		if (in_times ? nt + 1 >= sizeof(times) : nd + 1 >= sizeof(days)) {
			idle_strlcpyf(why, whylen, "too long");
			return -1;
		}
		if (in_times)
			times[nt++] = *p;
		else
			days[nd++] = *p;
	}
	days[nd] = times[nt] = '\0';
	if (!nd && !nt) {
		idle_strlcpyf(why, whylen, "empty");
		return -1;
	}
	if (!nd)
		w->days = 0x7f;
	else if (parse_days(days, &w->days, why, whylen) < 0)
		return -1;
	w->start_min = 0;
	w->end_min = 1440;
	return nt ? parse_times(times, w, why, whylen) : 0;
}
/* ---------------------------------------------------------------- values read with their messages
 */

/*
 * Reads the duration [v] of [path].[key] into [out], at least [min] seconds. Returns 0, or -1
 * after reporting why not ([out] is then unchanged or out of range).
 */
int conf_read_duration(struct loader *L, const char *path, const char *key, const yaml_node_t *v,
		       int64_t min, int64_t *out)
{
	const char *s = conf_want_scalar(L, path, key, v, "a duration");
	char d[32];

	if (!s)
		return -1;
	if (idle_parse_duration(s, out) < 0) {
		conf_error_at(L, &v->start_mark,
			      "%s.%s: bad duration \"%s\" (use 90s, 15m, 2h, 1h30m or seconds)",
			      path, key, s);
		return -1;
	}
	if (*out < min) {
		conf_error_at(L, &v->start_mark, "%s.%s: must be at least %s", path, key,
			      idle_format_duration(min, d, sizeof(d)));
		return -1;
	}
	return 0;
}
/*
 * The number [v] of [path].[key] into [out], with a "%" after it allowed if [percent]; [*text]
 * is the value as written, for messages. Returns 0, or -1 after reporting why not.
 */
int conf_read_number(struct loader *L, const char *path, const char *key, yaml_node_t *v,
		     bool percent, const char **text, double *out)
{
	char desc[64];

	if (!(*text = conf_want_scalar(L, path, key, v, "a number")))
		return -1;
	if ((percent ? conf_parse_percent(*text, out) : conf_parse_number(*text, out)) == 0)
		return 0;
	conf_error_at(L, &v->start_mark, "%s.%s: expected a number, got %s", path, key,
		      conf_describe(v, desc, sizeof(desc)));
	return -1;
}
/* Copies the string value [v] of [path].[key] into [buf], as [flags] allow. Returns 0, or -1
 * after reporting why not. */
int conf_string_value(struct loader *L, const char *path, const char *key, yaml_node_t *v,
		      char *buf, size_t len, int flags)
{
	const char *s =
	    conf_want_scalar(L, path, key, v, flags & CONF_STR_ABSOLUTE ? "a path" : "a string");

	if (!s)
		return -1;
	if (!*s && !(flags & CONF_STR_EMPTY_OK))
		conf_error_at(L, &v->start_mark, "%s.%s: must not be empty", path, key);
	else if (*s && (flags & CONF_STR_ABSOLUTE) && s[0] != '/')
		conf_error_at(L, &v->start_mark, "%s.%s: \"%s\" is not an absolute path", path, key,
			      s);
	else if (strlen(s) >= len)
		conf_error_at(L, &v->start_mark, "%s.%s: longer than %zu characters", path, key,
			      len - 1);
	else
		return idle_strlcpyf(buf, len, "%s", s), 0;
	return -1;
}
