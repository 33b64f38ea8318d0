/* SPDX-License-Identifier: MIT */
/* hostlist.c - matching a host name against a Slurm hostlist expression, without expanding it. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "idle.h"

/*
 * Plain C and nothing but idle.h, because the Windows agent shares this file.
 *
 * An expression is a comma-separated list of items. An item is literal text with bracket
 * groups in it: "r[1-2]n[01-10]-gpu". A group is a comma-separated list of numbers and
 * ranges "lo-hi". As in Slurm, the width of a range is the length of its "lo" as written:
 * numbers are zero-padded to that width, so "[001-040]" is lab001 ... lab040 and not lab7,
 * while "[8-12]" is 8, 9, 10, 11, 12 (a number longer than the width is never padded).
 *
 * Matching walks the item and the name together. At a group it tries every length of the
 * digit run that starts there, because the literal text after a group may itself begin with
 * a digit ("n[1-2]0" holds n10 and n20); it keeps the set of places in the name it may have
 * reached (match_item), so the time is linear in the item whatever the name. The whole
 * expression is checked before any matching, so a malformed one fails the same way whatever
 * the name.
 */

/* Longest number in a range: 18 digits always fit in an unsigned long long. */
#define NUM_DIGITS_MAX 18

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		if (vsnprintf(err, errlen, fmt, ap) < 0)
			err[0] = '\0';
		va_end(ap);
	}
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The value of the [n] digits at [s]; n <= NUM_DIGITS_MAX. */
static unsigned long long num(const char *s, size_t n)
{
	unsigned long long v = 0;

	while (n--)
		v = v * 10 + (unsigned long long)(*s++ - '0');
	return v;
}

/* Checks one element "lo" or "lo-hi" of a bracket group: [s, s+n). */
static int check_range(const char *s, size_t n, char *err, size_t errlen)
{
	const char *dash = memchr(s, '-', n);
	size_t nlo = dash ? (size_t)(dash - s) : n;
	size_t nhi = dash ? n - nlo - 1 : 0;
	size_t i;

	if (n == 0)
		return fail(err, errlen, "empty range in brackets");
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && &s[i] != dash)
			return fail(err, errlen, "bad range \"%.*s\": not a number", (int)n, s);
	if (nlo == 0 || (dash && nhi == 0))
		return fail(err, errlen, "bad range \"%.*s\": not a number", (int)n, s);
	if (nlo > NUM_DIGITS_MAX || nhi > NUM_DIGITS_MAX)
		return fail(err, errlen, "bad range \"%.*s\": number too long", (int)n, s);
	if (dash && num(s, nlo) > num(dash + 1, nhi))
		return fail(err, errlen, "bad range \"%.*s\": %.*s is greater than %.*s", (int)n, s,
			    (int)nlo, s, (int)nhi, dash + 1);
	return 0;
}

/* Checks one item [s, s+n) (already trimmed). */
static int check_item(const char *s, size_t n, char *err, size_t errlen)
{
	size_t i = 0;

	if (n == 0)
		return fail(err, errlen, "empty host name");
	while (i < n) {
		size_t open, j;

		if (s[i] == ']')
			return fail(err, errlen, "\"]\" without \"[\"");
		if (is_space(s[i]))
			return fail(err, errlen, "space inside a host name");
		if (s[i] != '[') {
			i++;
			continue;
		}
		open = i++;
		for (j = i; j < n && s[j] != ']'; j++)
			if (s[j] == '[')
				return fail(err, errlen, "\"[\" inside brackets");
		if (j == n)
			return fail(err, errlen, "missing \"]\"");
		if (j == open + 1)
			return fail(err, errlen, "empty brackets");
		/* the group [i, j): comma-separated ranges */
		while (i <= j) {
			const char *comma = memchr(s + i, ',', j - i);
			size_t end = comma ? (size_t)(comma - s) : j;

			if (check_range(s + i, end - i, err, errlen) < 0)
				return -1;
			i = end + 1;
		}
	}
	return 0;
}

/*
 * Splits [expr] into items at the commas outside brackets and calls [fn] on each trimmed
 * item until it returns non-zero; returns that value, or 0.
 */
static int each_item(const char *expr, int (*fn)(const char *s, size_t n, const void *arg),
		     const void *arg)
{
	const char *p = expr;

	for (;;) {
		const char *start = p, *end;
		int depth = 0, r;

		while (*p && (*p != ',' || depth > 0)) {
			/* unbalanced brackets are reported by check_item; here they only must not
			 * hide a comma forever */
			if (*p == '[')
				depth = 1;
			else if (*p == ']')
				depth = 0;
			p++;
		}
		end = p;
		while (start < end && is_space(*start))
			start++;
		while (end > start && is_space(end[-1]))
			end--;
		r = fn(start, (size_t)(end - start), arg);
		if (r)
			return r;
		if (!*p)
			return 0;
		p++;
	}
}

struct check_arg {
	char *err;
	size_t errlen;
};

static int check_cb(const char *s, size_t n, const void *arg)
{
	const struct check_arg *a = arg;

	return check_item(s, n, a->err, a->errlen);
}

/* Is the digit run [d, d+k) in the (valid) group [g, g+n)? */
static int in_group(const char *g, size_t n, const char *d, size_t k)
{
	unsigned long long v;
	size_t i = 0;

	if (k > NUM_DIGITS_MAX)
		return 0;
	v = num(d, k);
	while (i <= n) {
		const char *comma = memchr(g + i, ',', n - i);
		size_t end = comma ? (size_t)(comma - g) : n;
		const char *dash = memchr(g + i, '-', end - i);
		size_t w = dash ? (size_t)(dash - (g + i)) : end - i;
		unsigned long long lo = num(g + i, w);
		unsigned long long hi = dash ? num(dash + 1, (size_t)(g + end - dash - 1)) : lo;

		/* zero-padded to the width, never beyond it */
		if ((k == w || (k > w && d[0] != '0')) && v >= lo && v <= hi)
			return 1;
		i = end + 1;
	}
	return 0;
}

/* Names longer than this never match: Slurm's node names are far shorter (64). */
#define NAME_MAX_LEN 255

/*
 * Does [name] match the (valid) item [s, s+n)? The item is walked once, left to right, with
 * the set of offsets in [name] that the part walked so far can end at: literal text moves
 * each offset on (or drops it), a group moves it on by every length of digit run it holds.
 * Trying every length by recursion instead costs up to 18^groups steps for a name of long
 * digit runs; the set costs groups x length x 18.
 */
static int match_item(const char *s, size_t n, const char *name)
{
	bool at[NAME_MAX_LEN + 1], next[NAME_MAX_LEN + 1];
	size_t len = strlen(name), o, k, close;
	bool any = true;

	if (len > NAME_MAX_LEN)
		return 0;
	memset(at, 0, sizeof(at));
	at[0] = true;
	while (n && any) {
		memset(next, 0, sizeof(next));
		any = false;
		if (*s != '[') {
			for (o = 0; o < len; o++)
				if (at[o] && name[o] == *s)
					any = next[o + 1] = true;
			s++, n--;
		} else {
			close = (size_t)((const char *)memchr(s, ']', n) - s);
			for (o = 0; o < len; o++)
				for (k = 1; at[o] && o + k <= len && is_digit(name[o + k - 1]); k++)
					if (in_group(s + 1, close - 1, name + o, k))
						any = next[o + k] = true;
			s += close + 1, n -= close + 1;
		}
		memcpy(at, next, sizeof(at));
	}
	return n == 0 && at[len];
}

static int match_cb(const char *s, size_t n, const void *arg)
{
	return match_item(s, n, arg);
}

int idle_hostlist_match(const char *expr, const char *name, char *err, size_t errlen)
{
	struct check_arg a = {err, errlen};
	const char *p;

	if (err && errlen)
		err[0] = '\0';
	if (!expr)
		return fail(err, errlen, "empty hostlist");
	for (p = expr; is_space(*p); p++)
		;
	if (!*p)
		return fail(err, errlen, "empty hostlist");
	if (each_item(expr, check_cb, &a))
		return -1;
	return name ? each_item(expr, match_cb, name) : 0;
}
