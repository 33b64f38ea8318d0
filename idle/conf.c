/* SPDX-License-Identifier: MIT */
/* conf.c - idleacc.yaml: the defaults, the loader with all its checks, and per-node policies. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "defaults.h"
#include "escape.h"
#include "idle_int.h"
#include "signame.h"

/*
 * How loading works. libyaml's document API reads the whole file into a tree of nodes, each
 * with its position; a syntax error stops it there, and that one error is all we can report.
 * Then we walk the tree, section by section, and every value that does not fit is reported
 * with the position of the value (or of the key, for unknown and duplicate keys) and we keep
 * going, so an admin sees every mistake of a file in one run. The checks that relate keys to
 * each other (high_load >= background_load) run after the walk, on the policy of the
 * "policy:" section and on the policy of every node group applied to it. Any error frees
 * everything: a config is loaded whole or not at all.
 *
 * The file is root's to write (a root daemon takes run_dir and state_dir from it), so anyone
 * else's copy is refused; and a broken or hostile one costs bounded time and memory: it is
 * read whole, at most CONF_MAX_BYTES, and a first pass over libyaml's events, before any tree
 * is built, refuses nesting deeper than CONF_MAX_DEPTH, more than CONF_MAX_ANCHORS anchors,
 * and more than CONF_MAX_NODES nodes once aliases are expanded (so "billion laughs" files
 * stop there). Duplicate keys are found by sorting, not by comparing every pair.
 */

/* 1 MiB: the example is 6 KiB, and a fleet's file with hundreds of node groups < 100 KiB. */
#define CONF_MAX_BYTES (1024 * 1024)
/* Our deepest value is 4 levels down (nodes: GROUP: hours: [ ... ]). */
#define CONF_MAX_DEPTH 32
/* Anchors are for sharing a group's settings; nobody needs a thousand. */
#define CONF_MAX_ANCHORS 1000
/* Nodes after alias expansion: a 1 MiB file without aliases has fewer. */
#define CONF_MAX_NODES 200000
/* The control socket is RUN_DIR/NODE.sock, and a socket path has at most 107 bytes
 * (sockaddr_un): run_dir must leave room for "/", a node name of RUN_NODE_MAX and ".sock". */
#define RUN_NODE_MAX 32
#define RUN_DIR_MAX  (107 - 1 - RUN_NODE_MAX - 5)
/* Room kept at the end of the error buffer for "(N more errors not shown)". */
#define ERR_TRAILER 48

/* ---------------------------------------------------------------- policy keys */

/* What a policy key holds, and so how its value is read and copied. */
enum pkind {
	K_DURATION,  /* int64_t seconds */
	K_ON_RETURN, /* enum idle_on_return */
	K_SIGNAL,    /* int: a signal name or number */
	K_REMOTE,    /* bool: count|ignore, or true|false */
	K_LOAD,	     /* double CPUs, >= 0 */
	K_PERCENT,   /* double 0-100, "90" or "90%" */
	K_BOOL,	     /* bool */
	K_GPU,	     /* int 0-100, "90" or "90%" */
	K_HOURS,     /* nwindows + windows[] */
};

struct pkey {
	const char *name; /* as written in idleacc.yaml */
	enum pkind kind;
	size_t off;  /* offset of the field in struct idle_policy */
	size_t size; /* its size in bytes (unused for K_HOURS) */
};

/* The policy keys, in the order of conf/idleacc.yaml and the man page. */
enum {
	PK_IDLE_AFTER,
	PK_LOCKED_IDLE_AFTER,
	PK_RESUME_AFTER,
	PK_ON_OWNER_RETURN,
	PK_MAX_SUSPEND,
	PK_WARN_SIGNAL,
	PK_WARN_GRACE,
	PK_REMOTE_SESSIONS,
	PK_BACKGROUND_LOAD,
	PK_HIGH_LOAD,
	PK_HIGH_LOAD_FOR,
	PK_MAX_MEMORY_USED,
	PK_RUN_ON_BATTERY,
	PK_MAX_GPU_UTIL,
	PK_HOURS,
	NPKEYS
};

#define PK(name, field, kind)                                                                      \
	{                                                                                          \
		name, kind, offsetof(struct idle_policy, field),                                   \
		    sizeof(((struct idle_policy *)0)->field)                                       \
	}

static const struct pkey pkeys[NPKEYS] = {
    [PK_IDLE_AFTER] = PK("idle_after", idle_after, K_DURATION),
    [PK_LOCKED_IDLE_AFTER] = PK("locked_idle_after", locked_idle_after, K_DURATION),
    [PK_RESUME_AFTER] = PK("resume_after", resume_after, K_DURATION),
    [PK_ON_OWNER_RETURN] = PK("on_owner_return", on_owner_return, K_ON_RETURN),
    [PK_MAX_SUSPEND] = PK("max_suspend", max_suspend, K_DURATION),
    [PK_WARN_SIGNAL] = PK("warn_signal", warn_signal, K_SIGNAL),
    [PK_WARN_GRACE] = PK("warn_grace", warn_grace, K_DURATION),
    [PK_REMOTE_SESSIONS] = PK("remote_sessions", remote_sessions, K_REMOTE),
    [PK_BACKGROUND_LOAD] = PK("background_load", background_load, K_LOAD),
    [PK_HIGH_LOAD] = PK("high_load", high_load, K_LOAD),
    [PK_HIGH_LOAD_FOR] = PK("high_load_for", high_load_for, K_DURATION),
    [PK_MAX_MEMORY_USED] = PK("max_memory_used", max_memory_used, K_PERCENT),
    [PK_RUN_ON_BATTERY] = PK("run_on_battery", run_on_battery, K_BOOL),
    [PK_MAX_GPU_UTIL] = PK("max_gpu_util", max_gpu_util, K_GPU),
    [PK_HOURS] = PK("hours", nwindows, K_HOURS),
};

#define PKEY_BIT(i) (1u << (i))

/*
 * The policy keys one mapping sets ("policy:" or one group of "nodes:"), and where they are,
 * so that the checks after parsing can point at them.
 */
struct pscope {
	struct idle_policy pol;	  /* values of the keys in [set]; the others are unused */
	uint32_t set;		  /* bit i: pkeys[i] is written in this mapping */
	uint32_t bad;		  /* bit i: pkeys[i] had a bad value (already reported) */
	yaml_mark_t mark[NPKEYS]; /* position of each key written */
};

/* One group of the "nodes:" section. */
struct node_group {
	char *hostlist;	  /* the Slurm hostlist expression, as written (checked at load) */
	struct pscope sc; /* the policy keys it sets */
};

struct idle_config {
	struct idle_policy policy;    /* defaults, then the "policy:" section */
	struct node_group *groups;    /* the "nodes:" section, in file order */
	size_t ngroups;		      /* entries in groups */
	size_t groups_cap;	      /* entries allocated */
	struct idle_sources sources;  /* defaults, or exactly what "sources:" names */
	struct idle_agent_conf agent; /* defaults, then the "agent:" section */
	char *path;		      /* the file loaded, "" for the built-in defaults */
	bool empty;		      /* the file sets nothing (empty, or comments only) */
};

/* Copies the keys in [set] from [src] to [dst]. */
static void policy_apply(struct idle_policy *dst, const struct idle_policy *src, uint32_t set)
{
	size_t i;

	for (i = 0; i < NPKEYS; i++) {
		if (!(set & PKEY_BIT(i)))
			continue;
		if (pkeys[i].kind == K_HOURS) {
			dst->nwindows = src->nwindows;
			memcpy(dst->windows, src->windows, sizeof(dst->windows));
		} else {
			memcpy((char *)dst + pkeys[i].off, (const char *)src + pkeys[i].off,
			       pkeys[i].size);
		}
	}
}

void idle_policy_default(struct idle_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->idle_after = DEF_IDLE_AFTER;
	p->locked_idle_after = DEF_LOCKED_IDLE_AFTER;
	p->resume_after = DEF_RESUME_AFTER;
	p->on_owner_return = DEF_ON_OWNER_RETURN;
	p->max_suspend = DEF_MAX_SUSPEND;
	p->warn_signal = DEF_WARN_SIGNAL;
	p->warn_grace = DEF_WARN_GRACE;
	p->remote_sessions = DEF_REMOTE_SESSIONS;
	p->background_load = DEF_BACKGROUND_LOAD;
	p->high_load = DEF_HIGH_LOAD;
	p->high_load_for = DEF_HIGH_LOAD_FOR;
	p->max_memory_used = DEF_MAX_MEMORY_USED;
	p->run_on_battery = DEF_RUN_ON_BATTERY;
	p->max_gpu_util = DEF_MAX_GPU_UTIL;
}

void idle_sources_default(struct idle_sources *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < IDLE_SRC_COUNT; i++)
		s->enabled[i] = true;
	idle_strlcpyf(s->evdev_dir, sizeof(s->evdev_dir), "%s", DEF_EVDEV_DIR);
	s->ntty_dirs = 1;
	idle_strlcpyf(s->tty_dirs[0], sizeof(s->tty_dirs[0]), "%s", DEF_TTY_DIR);
	idle_strlcpyf(s->utmp_file, sizeof(s->utmp_file), "%s", DEF_UTMP_FILE);
	idle_strlcpyf(s->x11_display, sizeof(s->x11_display), "%s", DEF_X11_DISPLAY);
	idle_strlcpyf(s->gpu_library, sizeof(s->gpu_library), "%s", DEF_GPU_LIBRARY);
}

/* What idleaccd runs with when the "agent:" section leaves a key out. */
static const struct idle_agent_conf agent_defaults = {DEF_AGENT_INTERVAL, DEF_AGENT_RECONCILE,
						      DEF_AGENT_MAX_HOLD, DEF_AGENT_RUN_DIR,
						      DEF_AGENT_STATE_DIR};

/* ---------------------------------------------------------------- the loader's state */

struct loader {
	const char *file;      /* the path, first on every error line */
	yaml_document_t *doc;  /* the tree being walked */
	struct idle_config *c; /* what is being filled */
	struct pscope policy;  /* the "policy:" section */
	char *err;	       /* the caller's error buffer */
	size_t errlen;	       /* its size */
	size_t used;	       /* bytes written to err, NUL excluded */
	int nerr;	       /* errors found, including those that did not fit */
	int nshown;	       /* errors written whole into err */
	bool oom;	       /* out of memory: stop, and say so */
};

/* Appends one error line; [m] is the position, or NULL for errors about the whole file. */
static void error_at(struct loader *L, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(struct loader *L, const yaml_mark_t *m, const char *fmt, ...)
{
	char raw[512], msg[4 * 512], line[sizeof(msg) + 4096 + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (vsnprintf(raw, sizeof(raw), fmt, ap) < 0)
		raw[0] = '\0';
	va_end(ap);
	/* values quoted from the file may hold line breaks: one error, one line */
	escape_text(raw, msg, sizeof(msg));
	L->nerr++;
	if (m)
		n = snprintf(line, sizeof(line), "%s%s:%lu:%lu: %s", L->used ? "\n" : "", L->file,
			     (unsigned long)m->line + 1, (unsigned long)m->column + 1, msg);
	else
		n = snprintf(line, sizeof(line), "%s%s: %s", L->used ? "\n" : "", L->file, msg);
	if (n < 0 || !L->errlen)
		return;
	/* A first line that cannot fit is cut (better than nothing); after it, whole lines
	 * only, with room kept for the count of those left out. */
	if (!L->used && L->used + (size_t)n + ERR_TRAILER >= L->errlen) {
		idle_strlcpyf(L->err, L->errlen, "%s", line);
		L->used = strlen(L->err);
		L->nshown++;
		return;
	}
	if ((size_t)n >= sizeof(line) || L->used + (size_t)n + ERR_TRAILER >= L->errlen)
		return;
	memcpy(L->err + L->used, line, (size_t)n + 1);
	L->used += (size_t)n;
	L->nshown++;
}

/* Ends the error text with how many errors did not fit, if any. */
static void errors_close(struct loader *L)
{
	if (L->nerr > L->nshown && L->errlen > L->used)
		snprintf(L->err + L->used, L->errlen - L->used, "%s(%d more error%s not shown)",
			 L->used ? "\n" : "", L->nerr - L->nshown,
			 L->nerr - L->nshown == 1 ? "" : "s");
}

static yaml_node_t *node_at(struct loader *L, int i)
{
	return yaml_document_get_node(L->doc, i);
}

/* Is [n] YAML's null: nothing after the colon, "~" or "null" (unquoted), or tagged !!null? */
static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	v = (const char *)n->data.scalar.value;
	if (n->tag && !strcmp((const char *)n->tag, YAML_NULL_TAG))
		return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
		       n->data.scalar.length == 0;
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
		!strcmp(v, "NULL"));
}

/* Says what [n] is, for "expected X, got Y". */
static const char *describe(const yaml_node_t *n, char *buf, size_t len)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (is_null(n))
		return "nothing";
	return idle_strlcpyf(buf, len, "a string \"%.40s%s\"", (const char *)n->data.scalar.value,
			     n->data.scalar.length > 40 ? "..." : "");
}

/* The text of a scalar without NUL bytes inside, else NULL. */
static const char *scalar_text(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The text of the value [v] of [path].[key], or NULL after reporting why there is none. */
static const char *want_scalar(struct loader *L, const char *path, const char *key,
			       const yaml_node_t *v, const char *what)
{
	const char *s = scalar_text(v);
	char d[64];

	if (s && !is_null(v))
		return s;
	if (v->type == YAML_SCALAR_NODE && !is_null(v))
		error_at(L, &v->start_mark, "%s.%s: contains a NUL character", path, key);
	else
		error_at(L, &v->start_mark, "%s.%s: expected %s, got %s", path, key, what,
			 describe(v, d, sizeof(d)));
	return NULL;
}

/*
 * Checks that [v], the value of the section or key [path], is a mapping. Returns 1 if it
 * is, 0 if it is empty (null: the same as an empty mapping), -1 after reporting it is not.
 */
static int want_map(struct loader *L, const yaml_node_t *v, const char *path)
{
	char d[64];

	if (v->type == YAML_MAPPING_NODE)
		return 1;
	if (is_null(v))
		return 0;
	error_at(L, &v->start_mark, "%s: expected a mapping, got %s", path,
		 describe(v, d, sizeof(d)));
	return -1;
}

typedef void (*pair_fn)(struct loader *L, const char *path, const char *key, yaml_node_t *k,
			yaml_node_t *v, void *arg);

/* A key of a mapping and its place in it, for finding duplicates by sorting. */
struct keyref {
	const char *key; /* its text, NULL if not a string */
	size_t i;	 /* its index among the mapping's pairs */
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * Marks in [dup] the pairs of [map] whose string key an earlier pair has: sorted by (key,
 * place), every entry equal to the one before it is a later copy. Returns -1 if out of memory.
 */
static int find_dups(struct loader *L, yaml_node_t *map, bool *dup, size_t n)
{
	struct keyref *r = malloc(n * sizeof(*r));
	size_t i, m = 0;

	if (!r)
		return -1;
	for (i = 0; i < n; i++) {
		const char *key = scalar_text(node_at(L, map->data.mapping.pairs.start[i].key));

		if (key)
			r[m++] = (struct keyref){key, i};
	}
	qsort(r, m, sizeof(*r), keyref_cmp);
	for (i = 1; i < m; i++)
		if (!strcmp(r[i].key, r[i - 1].key))
			dup[r[i].i] = true;
	free(r);
	return 0;
}

/*
 * Calls [fn] on every pair of the mapping [map] (the value of [path], "" at the top) whose key
 * is a string seen there for the first time; keys that are not strings, and duplicates, are
 * reported instead.
 */
static void each_pair(struct loader *L, yaml_node_t *map, const char *path, pair_fn fn, void *arg)
{
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start), i;
	bool *dups = n ? calloc(n, sizeof(*dups)) : NULL;
	char d[64];

	if (n && (!dups || find_dups(L, map, dups, n) < 0)) {
		free(dups);
		L->oom = true;
		return;
	}
	for (i = 0; i < n && !L->oom; i++) {
		yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
		yaml_node_t *k = node_at(L, p->key), *v = node_at(L, p->value);
		const char *key = scalar_text(k);
		bool dup = dups[i];

		if (!key || is_null(k)) {
			error_at(L, &k->start_mark, "a key must be a name, got %s%s%s",
				 describe(k, d, sizeof(d)), *path ? " in " : "", path);
			continue;
		}
		if (dup) {
			error_at(L, &k->start_mark, "duplicate key \"%s\"%s%s", key,
				 *path ? " in " : "", path);
			continue;
		}
		fn(L, path, key, k, v, arg);
	}
	free(dups);
}

static void unknown_key(struct loader *L, const char *path, const char *key, const yaml_node_t *k)
{
	error_at(L, &k->start_mark, "unknown key \"%s\" in %s", key, path);
}

/* ---------------------------------------------------------------- scalar values */

/* A plain decimal number: digits with an optional fraction and sign; no hex, no "inf". */
static int parse_number(const char *s, double *out)
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

/* YAML 1.1 booleans, as libyaml's users write them. */
static int parse_bool(const char *s, bool *out)
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
static int parse_signal(const char *s, int *out)
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
static int parse_window(const char *s, struct idle_window *w, char *why, size_t whylen)
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

/* Lists: a sequence, one scalar (a list of one), or nothing (an empty list). */
typedef void (*item_fn)(struct loader *L, const char *path, int i, yaml_node_t *item, void *arg);

/* Calls [fn] on each item of the list [v] of [path]; returns the count, or -1 if not a list. */
static int each_item(struct loader *L, yaml_node_t *v, const char *path, int max, item_fn fn,
		     void *arg)
{
	yaml_node_item_t *it;
	char d[64];
	int n = 0;

	if (is_null(v))
		return 0;
	if (v->type == YAML_SCALAR_NODE) {
		fn(L, path, 0, v, arg);
		return 1;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		error_at(L, &v->start_mark, "%s: expected a list, got %s", path,
			 describe(v, d, sizeof(d)));
		return -1;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *item = node_at(L, *it);

		if (n == max) {
			error_at(L, &item->start_mark, "%s: more than %d entries", path, max);
			return -1;
		}
		fn(L, path, n, item, arg);
	}
	return n;
}

/* The text of item [i] of the list [path], or NULL after reporting it is not [what]. */
static const char *item_text(struct loader *L, const char *path, int i, const yaml_node_t *item,
			     const char *what)
{
	const char *s = scalar_text(item);
	char d[64];

	if (s && !is_null(item))
		return s;
	error_at(L, &item->start_mark, "%s[%d]: expected %s, got %s", path, i, what,
		 describe(item, d, sizeof(d)));
	return NULL;
}

struct hours_arg {
	struct idle_policy *pol; /* receives the windows */
	int bad;		 /* windows that did not parse */
};

static void hours_item(struct loader *L, const char *path, int i, yaml_node_t *item, void *arg)
{
	struct hours_arg *h = arg;
	const char *s = item_text(L, path, i, item, "a string");
	char why[128];

	if (!s) {
		h->bad++;
		return;
	}
	if (parse_window(s, &h->pol->windows[i], why, sizeof(why)) < 0) {
		error_at(L, &item->start_mark, "%s[%d]: bad window \"%s\": %s", path, i, s, why);
		h->bad++;
	}
}

/* ---------------------------------------------------------------- policy mappings */

/* Reads the value [v] of the policy key pkeys[i] of [path] into [pol]; -1 if reported bad. */
static int policy_value(struct loader *L, const char *path, size_t i, yaml_node_t *v,
			struct idle_policy *pol)
{
	const struct pkey *pk = &pkeys[i];
	void *field = (char *)pol + pk->off;
	char hpath[300], num[64];
	const char *s;
	double d;
	bool b;
	int r;

	switch (pk->kind) {
	case K_DURATION:
		if (!(s = want_scalar(L, path, pk->name, v, "a duration")))
			return -1;
		if (idle_parse_duration(s, field) < 0) {
			error_at(L, &v->start_mark,
				 "%s.%s: bad duration \"%s\" (use 90s, 15m, 2h, 1h30m or seconds)",
				 path, pk->name, s);
			return -1;
		}
		if ((i == PK_IDLE_AFTER || i == PK_LOCKED_IDLE_AFTER || i == PK_RESUME_AFTER) &&
		    *(int64_t *)field < 1) {
			error_at(L, &v->start_mark, "%s.%s: must be at least 1s", path, pk->name);
			return -1;
		}
		return 0;
	case K_ON_RETURN:
		if (!(s = want_scalar(L, path, pk->name, v, "drain, suspend, requeue or cancel")))
			return -1;
		for (r = IDLE_RETURN_DRAIN; r <= IDLE_RETURN_CANCEL; r++) {
			if (!strcasecmp(s, idle_on_return_name((enum idle_on_return)r))) {
				pol->on_owner_return = (enum idle_on_return)r;
				return 0;
			}
		}
		error_at(L, &v->start_mark,
			 "%s.%s: \"%s\" is not one of drain, suspend, requeue, cancel", path,
			 pk->name, s);
		return -1;
	case K_SIGNAL:
		if (!(s = want_scalar(L, path, pk->name, v, "a signal")))
			return -1;
		r = parse_signal(s, &pol->warn_signal);
		if (r == -2)
			error_at(L, &v->start_mark, "%s.%s: %s is out of range 1-%d", path,
				 pk->name, s, SIGNAME_NUM_MAX);
		else if (r < 0)
			error_at(L, &v->start_mark,
				 "%s.%s: \"%s\" is not a signal (a name like TERM or SIGUSR1, or a "
				 "number 1-%d)",
				 path, pk->name, s, SIGNAME_NUM_MAX);
		return r < 0 ? -1 : 0;
	case K_REMOTE:
		if (!(s = want_scalar(L, path, pk->name, v, "count or ignore")))
			return -1;
		if (!strcasecmp(s, "count") || !strcasecmp(s, "ignore"))
			pol->remote_sessions = !strcasecmp(s, "count");
		else if (parse_bool(s, &b) == 0)
			pol->remote_sessions = b;
		else {
			error_at(L, &v->start_mark,
				 "%s.%s: \"%s\" is not one of count, ignore, true, false", path,
				 pk->name, s);
			return -1;
		}
		return 0;
	case K_BOOL:
		if (!(s = want_scalar(L, path, pk->name, v, "true or false")))
			return -1;
		if (parse_bool(s, &b) < 0) {
			error_at(L, &v->start_mark, "%s.%s: \"%s\" is not one of true, false", path,
				 pk->name, s);
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case K_LOAD:
	case K_PERCENT:
	case K_GPU:
		if (!(s = want_scalar(L, path, pk->name, v, "a number")))
			return -1;
		idle_strlcpyf(num, sizeof(num), "%s", s);
		if (pk->kind != K_LOAD && *num && num[strlen(num) - 1] == '%')
			num[strlen(num) - 1] = '\0';
		if (parse_number(num, &d) < 0) {
			char desc[64];

			error_at(L, &v->start_mark, "%s.%s: expected a number, got %s", path,
				 pk->name, describe(v, desc, sizeof(desc)));
			return -1;
		}
		if (pk->kind == K_LOAD && d < 0) {
			error_at(L, &v->start_mark, "%s.%s: %s is below 0", path, pk->name, s);
			return -1;
		}
		if (pk->kind != K_LOAD && (d < 0 || d > 100)) {
			error_at(L, &v->start_mark, "%s.%s: %s is out of range 0-100", path,
				 pk->name, s);
			return -1;
		}
		if (pk->kind == K_GPU && d != floor(d)) {
			error_at(L, &v->start_mark, "%s.%s: %s is not a whole number", path,
				 pk->name, s);
			return -1;
		}
		if (pk->kind == K_GPU)
			*(int *)field = (int)d;
		else
			*(double *)field = d;
		return 0;
	case K_HOURS: {
		struct hours_arg h = {pol, 0};
		int n;

		idle_strlcpyf(hpath, sizeof(hpath), "%s.hours", path);
		n = each_item(L, v, hpath, IDLE_MAX_WINDOWS, hours_item, &h);
		if (n < 0 || h.bad)
			return -1;
		pol->nwindows = n;
		return 0;
	}
	}
	return -1;
}

/* A key of "policy:" or of a group of "nodes:" ([arg] is its struct pscope). */
static void policy_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
			yaml_node_t *v, void *arg)
{
	struct pscope *sc = arg;
	size_t i;

	for (i = 0; i < NPKEYS; i++)
		if (!strcmp(key, pkeys[i].name))
			break;
	if (i == NPKEYS) {
		unknown_key(L, path, key, k);
		return;
	}
	sc->set |= PKEY_BIT(i);
	sc->mark[i] = k->start_mark;
	if (policy_value(L, path, i, v, &sc->pol) < 0)
		sc->bad |= PKEY_BIT(i);
}

static void load_policy(struct loader *L, yaml_node_t *v)
{
	if (want_map(L, v, "policy") > 0)
		each_pair(L, v, "policy", policy_pair, &L->policy);
	policy_apply(&L->c->policy, &L->policy.pol, L->policy.set);
}

/* ---------------------------------------------------------------- nodes */

static void nodes_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
		       yaml_node_t *v, void *arg)
{
	struct idle_config *c = L->c;
	struct node_group *g;
	char why[IDLE_ERR_LEN], gpath[300];

	(void)arg;
	if (idle_hostlist_match(key, "", why, sizeof(why)) < 0) {
		error_at(L, &k->start_mark, "%s: bad hostlist \"%s\": %s", path, key, why);
		return;
	}
	/* grown by doubling: a file of thousands of groups costs linear time, not quadratic */
	if (c->ngroups == c->groups_cap) {
		size_t cap = c->groups_cap ? 2 * c->groups_cap : 8;

		g = realloc(c->groups, cap * sizeof(*g));
		if (!g) {
			L->oom = true;
			return;
		}
		c->groups = g;
		c->groups_cap = cap;
	}
	g = &c->groups[c->ngroups];
	memset(g, 0, sizeof(*g));
	if (!(g->hostlist = strdup(key))) {
		L->oom = true;
		return;
	}
	c->ngroups++;
	idle_strlcpyf(gpath, sizeof(gpath), "%s.%s", path, key);
	if (want_map(L, v, gpath) > 0)
		each_pair(L, v, gpath, policy_pair, &g->sc);
}

static void load_nodes(struct loader *L, yaml_node_t *v)
{
	if (want_map(L, v, "nodes") > 0)
		each_pair(L, v, "nodes", nodes_pair, NULL);
}

/* ---------------------------------------------------------------- sources and agent */

/* What string_value() accepts. */
enum {
	STR_ABSOLUTE = 1, /* an absolute path */
	STR_EMPTY_OK = 2, /* "" too (it means "the default of the library or system") */
};

/* Copies the string value [v] of [path].[key] into [buf], as [flags] allow. */
static void string_value(struct loader *L, const char *path, const char *key, yaml_node_t *v,
			 char *buf, size_t len, int flags)
{
	const char *s = want_scalar(L, path, key, v, flags & STR_ABSOLUTE ? "a path" : "a string");

	if (!s)
		return;
	if (!*s && !(flags & STR_EMPTY_OK))
		error_at(L, &v->start_mark, "%s.%s: must not be empty", path, key);
	else if (*s && (flags & STR_ABSOLUTE) && s[0] != '/')
		error_at(L, &v->start_mark, "%s.%s: \"%s\" is not an absolute path", path, key, s);
	else if (strlen(s) >= len)
		error_at(L, &v->start_mark, "%s.%s: longer than %zu characters", path, key,
			 len - 1);
	else
		idle_strlcpyf(buf, len, "%s", s);
}

static void tty_dir_item(struct loader *L, const char *path, int i, yaml_node_t *item, void *arg)
{
	struct idle_sources *s = arg;
	const char *dir = item_text(L, path, i, item, "a path");

	if (!dir)
		return;
	if (dir[0] != '/')
		error_at(L, &item->start_mark, "%s[%d]: \"%s\" is not an absolute path", path, i,
			 dir);
	else if (strlen(dir) >= sizeof(s->tty_dirs[i]))
		error_at(L, &item->start_mark, "%s[%d]: longer than %zu characters", path, i,
			 sizeof(s->tty_dirs[i]) - 1);
	else
		idle_strlcpyf(s->tty_dirs[i], sizeof(s->tty_dirs[i]), "%s", dir);
}

static void program_item(struct loader *L, const char *path, int i, yaml_node_t *item, void *arg)
{
	struct idle_sources *s = arg;
	const char *name = item_text(L, path, i, item, "a program name");

	if (!name)
		return;
	if (strchr(name, '/'))
		error_at(L, &item->start_mark, "%s[%d]: \"%s\" is a path, not a program name", path,
			 i, name);
	else if (strlen(name) >= sizeof(s->programs[i]))
		error_at(L, &item->start_mark, "%s[%d]: longer than %zu characters", path, i,
			 sizeof(s->programs[i]) - 1);
	else
		idle_strlcpyf(s->programs[i], sizeof(s->programs[i]), "%s", name);
}

/* A setting of one source ([arg] points to its enum idle_source_id). */
static void source_setting(struct loader *L, const char *path, const char *key, yaml_node_t *k,
			   yaml_node_t *v, void *arg)
{
	enum idle_source_id id = *(const enum idle_source_id *)arg;
	struct idle_sources *s = &L->c->sources;
	char lpath[300];
	int n;

	if (id == IDLE_SRC_EVDEV && !strcmp(key, "dir")) {
		string_value(L, path, key, v, s->evdev_dir, sizeof(s->evdev_dir), STR_ABSOLUTE);
	} else if (id == IDLE_SRC_TTY && !strcmp(key, "dirs")) {
		idle_strlcpyf(lpath, sizeof(lpath), "%s.%s", path, key);
		n = each_item(L, v, lpath, IDLE_MAX_DIRS, tty_dir_item, s);
		if (n >= 0)
			s->ntty_dirs = n;
	} else if (id == IDLE_SRC_TTY && !strcmp(key, "utmp")) {
		string_value(L, path, key, v, s->utmp_file, sizeof(s->utmp_file), STR_ABSOLUTE);
	} else if (id == IDLE_SRC_LOGIND && !strcmp(key, "bus")) {
		string_value(L, path, key, v, s->logind_bus, sizeof(s->logind_bus), STR_EMPTY_OK);
	} else if (id == IDLE_SRC_X11 && !strcmp(key, "display")) {
		string_value(L, path, key, v, s->x11_display, sizeof(s->x11_display), 0);
	} else if (id == IDLE_SRC_X11 && !strcmp(key, "xauthority")) {
		string_value(L, path, key, v, s->x11_xauthority, sizeof(s->x11_xauthority),
			     STR_ABSOLUTE | STR_EMPTY_OK);
	} else if (id == IDLE_SRC_PROCESSES && !strcmp(key, "names")) {
		idle_strlcpyf(lpath, sizeof(lpath), "%s.%s", path, key);
		n = each_item(L, v, lpath, IDLE_MAX_PROGRAMS, program_item, s);
		if (n >= 0)
			s->nprograms = n;
	} else if (id == IDLE_SRC_GPU && !strcmp(key, "library")) {
		string_value(L, path, key, v, s->gpu_library, sizeof(s->gpu_library), 0);
	} else {
		unknown_key(L, path, key, k);
	}
}

static void sources_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
			 yaml_node_t *v, void *arg)
{
	enum idle_source_id id;
	char spath[64];

	(void)arg;
	for (id = 0; id < IDLE_SRC_COUNT; id++)
		if (!strcmp(key, idle_source_name(id)))
			break;
	if (id == IDLE_SRC_COUNT) {
		error_at(L, &k->start_mark,
			 "unknown key \"%s\" in %s (sources are evdev, tty, logind, x11, load, "
			 "memory, power, processes, gpu)",
			 key, path);
		return;
	}
	L->c->sources.enabled[id] = true;
	idle_strlcpyf(spath, sizeof(spath), "%s.%s", path, key);
	if (want_map(L, v, spath) > 0)
		each_pair(L, v, spath, source_setting, &id);
}

/* A present "sources:" enables exactly the sources it names, with the default settings. */
static void load_sources(struct loader *L, yaml_node_t *v)
{
	int i;

	for (i = 0; i < IDLE_SRC_COUNT; i++)
		L->c->sources.enabled[i] = false;
	if (want_map(L, v, "sources") > 0)
		each_pair(L, v, "sources", sources_pair, NULL);
}

static void agent_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
		       yaml_node_t *v, void *arg)
{
	struct idle_agent_conf *a = &L->c->agent;
	int64_t *dur, min = 0;
	const char *s;

	(void)arg;
	if (!strcmp(key, "run_dir")) {
		string_value(L, path, key, v, a->run_dir, sizeof(a->run_dir), STR_ABSOLUTE);
		if (strlen(a->run_dir) > RUN_DIR_MAX)
			error_at(L, &v->start_mark,
				 "%s.%s: %zu characters leave no room for NODE.sock in a socket "
				 "path (at most %d, for node names of up to %d)",
				 path, key, strlen(a->run_dir), RUN_DIR_MAX, RUN_NODE_MAX);
		return;
	}
	if (!strcmp(key, "state_dir")) {
		string_value(L, path, key, v, a->state_dir, sizeof(a->state_dir), STR_ABSOLUTE);
		return;
	}
	if (!strcmp(key, "interval")) {
		dur = &a->interval;
		min = 1; /* a zero interval would spin */
	} else if (!strcmp(key, "reconcile")) {
		dur = &a->reconcile;
		min = 1; /* a zero reconcile would hammer slurmctld */
	} else if (!strcmp(key, "max_hold")) {
		dur = &a->max_hold; /* 0 turns holds off */
	} else {
		unknown_key(L, path, key, k);
		return;
	}
	if (!(s = want_scalar(L, path, key, v, "a duration")))
		return;
	if (idle_parse_duration(s, dur) < 0)
		error_at(L, &v->start_mark,
			 "%s.%s: bad duration \"%s\" (use 90s, 15m, 2h, 1h30m or seconds)", path,
			 key, s);
	else if (*dur < min)
		error_at(L, &v->start_mark, "%s.%s: must be at least 1s", path, key);
}

static void load_agent(struct loader *L, yaml_node_t *v)
{
	if (want_map(L, v, "agent") > 0)
		each_pair(L, v, "agent", agent_pair, NULL);
}

/* ---------------------------------------------------------------- the file */

static void top_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
		     yaml_node_t *v, void *arg)
{
	(void)path, (void)arg;
	if (!strcmp(key, "policy"))
		load_policy(L, v);
	else if (!strcmp(key, "sources"))
		load_sources(L, v);
	else if (!strcmp(key, "nodes"))
		load_nodes(L, v);
	else if (!strcmp(key, "agent"))
		load_agent(L, v);
	else
		error_at(L, &k->start_mark,
			 "unknown key \"%s\" (sections are policy, sources, nodes, agent)", key);
}

/*
 * The check between keys, on the policy [p] that [sc] contributed to: reported at the key
 * [sc] wrote, and only if [sc] wrote one of them and neither was bad (already reported).
 */
static void check_loads(struct loader *L, const char *path, const struct pscope *sc,
			const struct pscope *base, const struct idle_policy *p)
{
	const uint32_t keys = PKEY_BIT(PK_HIGH_LOAD) | PKEY_BIT(PK_BACKGROUND_LOAD);

	if (!(sc->set & keys) || (sc->bad & keys) || (base && (base->bad & keys)))
		return;
	if (p->high_load < p->background_load)
		error_at(
		    L,
		    &sc->mark[sc->set & PKEY_BIT(PK_HIGH_LOAD) ? PK_HIGH_LOAD : PK_BACKGROUND_LOAD],
		    "%s: high_load %g is below background_load %g", path, p->high_load,
		    p->background_load);
}

/*
 * The durations of absence, on the policy [p] that [sc] contributed to: a locked screen that
 * keeps the desktop out longer than an unlocked one, or suspended jobs that wait while new
 * ones start, make no sense. Checked only where both keys were written (in [sc] or in
 * [base]) and [sc] wrote one: a key left at its default adapts (idle_policy_settle), so
 * "idle_after: 3s" alone means 3 s.
 */
static void check_absence(struct loader *L, const char *path, const struct pscope *sc,
			  const struct pscope *base, const struct idle_policy *p, int key,
			  int64_t value)
{
	uint32_t both = PKEY_BIT(key) | PKEY_BIT(PK_IDLE_AFTER);
	uint32_t written = sc->set | (base ? base->set : 0);
	uint32_t bad = sc->bad | (base ? base->bad : 0);
	char d1[32], d2[32];

	if ((written & both) != both || !(sc->set & both) || (bad & both) || value <= p->idle_after)
		return;
	idle_format_duration(value, d1, sizeof(d1));
	idle_format_duration(p->idle_after, d2, sizeof(d2));
	error_at(L, &sc->mark[sc->set & PKEY_BIT(key) ? key : PK_IDLE_AFTER],
		 key == PK_RESUME_AFTER
		     ? "%s: resume_after %s is longer than idle_after %s: suspended jobs would "
		       "wait while new ones start (make resume_after at most idle_after)"
		     : "%s: locked_idle_after %s is longer than idle_after %s: a locked screen "
		       "would keep the desktop out longer than an unlocked one",
		 path, d1, d2);
}

/* Every check between keys, on the policy [p] that [sc] (over [base]) contributed to. */
static void check_scope(struct loader *L, const char *path, const struct pscope *sc,
			const struct pscope *base, const struct idle_policy *p)
{
	check_loads(L, path, sc, base, p);
	check_absence(L, path, sc, base, p, PK_LOCKED_IDLE_AFTER, p->locked_idle_after);
	check_absence(L, path, sc, base, p, PK_RESUME_AFTER, p->resume_after);
}

/* The checks after parsing: every policy a node can get from one section must make sense. */
static void check_meaning(struct loader *L)
{
	struct idle_config *c = L->c;
	char gpath[300];
	size_t i;

	check_scope(L, "policy", &L->policy, NULL, &c->policy);
	for (i = 0; i < c->ngroups; i++) {
		struct idle_policy p = c->policy;

		policy_apply(&p, &c->groups[i].sc.pol, c->groups[i].sc.set);
		idle_strlcpyf(gpath, sizeof(gpath), "nodes.%s", c->groups[i].hostlist);
		check_scope(L, gpath, &c->groups[i].sc, &L->policy, &p);
	}
}

/* An anchor (&name) of the first pass and the nodes its value holds, aliases expanded. */
struct anchor {
	const char *name; /* as libyaml gave it, owned by its event until copied */
	char *copy;	  /* our copy of the name */
	size_t nodes;	  /* nodes of the anchored value */
};

/* The first pass: open collections, for sizes and depth. */
struct open_coll {
	size_t start; /* nodes counted before it */
	char *anchor; /* its anchor, or NULL */
};

/* Records [name] for a value of [nodes]; -1 past CONF_MAX_ANCHORS or out of memory. */
static int anchor_add(struct anchor *tab, size_t *n, const char *name, size_t nodes)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(tab[i].copy, name)) { /* YAML lets a later anchor replace one */
			tab[i].nodes = nodes;
			return 0;
		}
	if (*n >= CONF_MAX_ANCHORS || !(tab[*n].copy = strdup(name)))
		return -1;
	tab[(*n)++].nodes = nodes;
	return 0;
}

static size_t anchor_nodes(const struct anchor *tab, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(tab[i].copy, name))
			return tab[i].nodes;
	return 1; /* an undefined alias: libyaml reports it in the second pass */
}

/*
 * The first pass over [buf]: libyaml's events only, no tree. Counts the nodes the tree would
 * have with every alias expanded and the depth, and stops at the first limit passed, which it
 * reports. Returns 0 if the file may be loaded; syntax errors are left to the second pass.
 */
static int first_pass(struct loader *L, const unsigned char *buf, size_t len)
{
	static struct anchor tab[CONF_MAX_ANCHORS];
	struct open_coll stack[CONF_MAX_DEPTH + 1];
	size_t nanchors = 0, depth = 0, nodes = 0, i;
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		return -1;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	while (!done && !rc) {
		const char *anchor = NULL;
		size_t size = 0;

		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				L->oom = true;
			rc = L->oom ? -1 : 0; /* a syntax error: the second pass says where */
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
			anchor = (const char *)ev.data.scalar.anchor;
			size = 1;
			break;
		case YAML_ALIAS_EVENT:
			size = anchor_nodes(tab, nanchors, (const char *)ev.data.alias.anchor);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= CONF_MAX_DEPTH) {
				error_at(L, &ev.start_mark,
					 "nested deeper than %d levels; refusing the "
					 "file",
					 CONF_MAX_DEPTH);
				rc = -1;
				break;
			}
			anchor = ev.type == YAML_SEQUENCE_START_EVENT
				     ? (const char *)ev.data.sequence_start.anchor
				     : (const char *)ev.data.mapping_start.anchor;
			stack[depth].start = nodes++;
			stack[depth].anchor = anchor ? strdup(anchor) : NULL;
			if (anchor && !stack[depth].anchor)
				L->oom = true, rc = -1;
			depth++;
			anchor = NULL;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (!depth)
				break;
			depth--;
			if (stack[depth].anchor && anchor_add(tab, &nanchors, stack[depth].anchor,
							      nodes - stack[depth].start) < 0) {
				error_at(L, &ev.start_mark,
					 "more than %d anchors (&name); refusing the "
					 "file",
					 CONF_MAX_ANCHORS);
				rc = -1;
			}
			free(stack[depth].anchor);
			stack[depth].anchor = NULL;
			break;
		default:
			break;
		}
		if (!rc && anchor && anchor_add(tab, &nanchors, anchor, size) < 0) {
			error_at(L, &ev.start_mark,
				 "more than %d anchors (&name); refusing the file",
				 CONF_MAX_ANCHORS);
			rc = -1;
		}
		nodes += size;
		if (!rc && nodes > CONF_MAX_NODES) {
			error_at(L, &ev.start_mark,
				 "more than %d values once aliases (*name) are expanded; refusing "
				 "the file",
				 CONF_MAX_NODES);
			rc = -1;
		}
		yaml_event_delete(&ev);
	}
	while (depth)
		free(stack[--depth].anchor);
	for (i = 0; i < nanchors; i++)
		free(tab[i].copy);
	yaml_parser_delete(&parser);
	return rc;
}

/* Reports libyaml's error of [parser]: a shortage of memory is not the file's fault. */
static void yaml_error(struct loader *L, const yaml_parser_t *parser)
{
	if (parser->error == YAML_MEMORY_ERROR)
		L->oom = true;
	else
		error_at(L, &parser->problem_mark, "%s",
			 parser->problem ? parser->problem : "cannot parse YAML");
}

/* Parses [buf] into L->c; errors go to L. */
static void load_file(struct loader *L, const unsigned char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char d[64];

	if (first_pass(L, buf, len) < 0)
		return;
	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		return;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_error(L, &parser);
		yaml_parser_delete(&parser);
		return;
	}
	L->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	L->c->empty = !root || is_null(root);
	if (root && root->type == YAML_MAPPING_NODE)
		each_pair(L, root, "", top_pair, NULL);
	else if (root && !is_null(root))
		error_at(L, &root->start_mark,
			 "expected a mapping of sections (policy, sources, nodes, agent), got %s",
			 describe(root, d, sizeof(d)));
	yaml_document_delete(&doc);
	L->doc = NULL;

	/* a second document would be silently ignored: say so instead */
	if (root && !L->oom) {
		if (!yaml_parser_load(&parser, &doc)) {
			yaml_error(L, &parser);
		} else {
			root = yaml_document_get_root_node(&doc);
			if (root)
				error_at(L, &root->start_mark,
					 "a second YAML document; idleacc.yaml holds one");
			yaml_document_delete(&doc);
		}
	}
	yaml_parser_delete(&parser);
	/* after other errors too: the keys that were bad are left out of the checks */
	if (!L->oom)
		check_meaning(L);
}

/*
 * Reads [path] whole into a malloc'd [*buf], refusing what is not a regular file (a FIFO
 * would block: the open does not wait and the type is checked before any read), a file
 * larger than CONF_MAX_BYTES, one owned by someone other than root or the caller, and one
 * that group or others may write. -1 after an error.
 */
static int read_conf(struct loader *L, const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	*buf = NULL;
	if (fd < 0) {
		error_at(L, NULL, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		error_at(L, NULL, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		error_at(L, NULL, "not a regular file");
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		/* the policy decides who may use a desktop and where root writes: as OpenSSH
		 * and OpenBSD's daemons do, trust only a file that only root can change */
		error_at(L, NULL, "owned by uid %lu, not root; refusing it (chown root)",
			 (unsigned long)st.st_uid);
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		error_at(L, NULL, "writable by group or others; refusing it (chmod go-w)");
	} else if (st.st_size > CONF_MAX_BYTES) {
		error_at(L, NULL, "%lld bytes, more than the %d a configuration may have",
			 (long long)st.st_size, CONF_MAX_BYTES);
	} else if (!(*buf = malloc(CONF_MAX_BYTES + 1))) {
		L->oom = true;
	} else {
		/* read one byte more than allowed: a file that grew since fstat is refused too */
		while ((r = read(fd, *buf + got, CONF_MAX_BYTES + 1 - got)) > 0 &&
		       (got += (size_t)r) <= CONF_MAX_BYTES)
			;
		if (r < 0)
			error_at(L, NULL, "%s", strerror(errno));
		else if (got > CONF_MAX_BYTES)
			error_at(L, NULL, "more than the %d bytes a configuration may have",
				 CONF_MAX_BYTES);
		else {
			close(fd);
			*len = got;
			return 0;
		}
	}
	free(*buf);
	*buf = NULL;
	close(fd);
	return -1;
}

void idle_config_free(struct idle_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->ngroups; i++)
		free(c->groups[i].hostlist);
	free(c->groups);
	free(c->path);
	free(c);
}

struct idle_config *idle_config_load(const char *path, char *err, size_t errlen)
{
	struct loader L = {0};
	struct idle_config *c;
	unsigned char *buf;
	size_t len = 0;

	if (errlen)
		err[0] = '\0';
	L.file = path;
	L.err = err;
	L.errlen = errlen;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path ? path : ""))) {
		free(c);
		idle_strlcpyf(err, errlen, "%s: out of memory", path ? path : "idleacc.yaml");
		return NULL;
	}
	L.c = c;
	idle_policy_default(&c->policy);
	idle_sources_default(&c->sources);
	c->agent = agent_defaults;
	if (!path)
		return c;

	if (read_conf(&L, path, &buf, &len) == 0) {
		load_file(&L, buf, len);
		free(buf);
	}
	if (L.oom) {
		/* the errors so far may be the fault of the shortage */
		L.used = 0;
		L.nshown = L.nerr = 0;
		error_at(&L, NULL, "out of memory");
	}
	errors_close(&L);
	if (L.nerr) {
		idle_config_free(c);
		return NULL;
	}
	return c;
}

void idle_config_default_path(char *buf, size_t len)
{
	const char *sc = getenv("SLURM_CONF");
	const char *slash = sc ? strrchr(sc, '/') : NULL;

	if (!sc || !*sc)
		idle_strlcpyf(buf, len, "%s/%s", DEF_CONF_DIR, DEF_CONF_NAME);
	else if (!slash)
		idle_strlcpyf(buf, len, "%s", DEF_CONF_NAME);
	else
		idle_strlcpyf(buf, len, "%.*s/%s", (int)(slash - sc), sc, DEF_CONF_NAME);
}

void idle_config_policy(const struct idle_config *c, const char *node, struct idle_policy *out)
{
	size_t i;

	if (!c) {
		idle_policy_default(out);
		return;
	}
	*out = c->policy;
	for (i = 0; node && i < c->ngroups; i++)
		if (idle_hostlist_match(c->groups[i].hostlist, node, NULL, 0) == 1)
			policy_apply(out, &c->groups[i].sc.pol, c->groups[i].sc.set);
	/*
	 * Each group was checked against "policy:", but two groups that both match may still
	 * cross, and keys left at their defaults adapt to the ones written: settle them, as the
	 * decision does, so that what idleacc shows is what applies.
	 */
	idle_policy_settle(out);
}

const struct idle_sources *idle_config_sources(const struct idle_config *c)
{
	return &c->sources;
}

bool idle_config_empty(const struct idle_config *c)
{
	return c->empty;
}

const char *idle_config_path(const struct idle_config *c)
{
	return c->path;
}

const struct idle_agent_conf *idle_config_agent(const struct idle_config *c)
{
	/* the agent may ask before any config exists: give it the defaults */
	return c ? &c->agent : &agent_defaults;
}
