/* SPDX-License-Identifier: MIT */
/*
 * conf_policy.c - the policy keys of idleacc.yaml and the three places they are written:
 * "policy:", the node groups of "nodes:" (overrides by hostlist) and "emergency:"; the checks
 * between keys after parsing, and the policy that applies to one node.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "conf_int.h"
#include "defaults.h"
#include "signame.h"

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
	int64_t min; /* K_DURATION: the least value, seconds */
};

#define PK_MIN(name, field, kind, min)                                                             \
	{                                                                                          \
		name, kind, offsetof(struct idle_policy, field),                                   \
		    sizeof(((struct idle_policy *)0)->field), min                                  \
	}
#define PK(name, field, kind) PK_MIN(name, field, kind, 0)

static const struct pkey pkeys[NPKEYS] = {
    /* an absence of 0 s would count every instant as idle */
    [PK_IDLE_AFTER] = PK_MIN("idle_after", idle_after, K_DURATION, 1),
    [PK_LOCKED_IDLE_AFTER] = PK_MIN("locked_idle_after", locked_idle_after, K_DURATION, 1),
    [PK_RESUME_AFTER] = PK_MIN("resume_after", resume_after, K_DURATION, 1),
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

struct hours_arg {
	struct idle_policy *pol; /* receives the windows */
	int bad;		 /* windows that did not parse */
};

static void hours_item(struct loader *L, const char *path, int i, yaml_node_t *item, void *arg)
{
	struct hours_arg *h = arg;
	const char *s = conf_item_text(L, path, i, item, "a string");
	char why[128];

	if (!s) {
		h->bad++;
		return;
	}
	if (conf_parse_window(s, &h->pol->windows[i], why, sizeof(why)) < 0) {
		conf_error_at(L, &item->start_mark, "%s[%d]: bad window \"%s\": %s", path, i, s,
			      why);
		h->bad++;
	}
}

/* ---------------------------------------------------------------- policy mappings */

/*
 * One reader per kind of policy value. Each reads the value [v] of the key [pk] of [path]
 * into [pol] and returns 0, or -1 after reporting why not.
 */
typedef int (*pvalue_fn)(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
			 struct idle_policy *pol);

static void *pfield(const struct pkey *pk, struct idle_policy *pol)
{
	return (char *)pol + pk->off;
}

static int pv_duration(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		       struct idle_policy *pol)
{
	return conf_read_duration(L, path, pk->name, v, pk->min, pfield(pk, pol));
}

static int pv_on_return(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
			struct idle_policy *pol)
{
	const char *s = conf_want_scalar(L, path, pk->name, v, "drain, suspend, requeue or cancel");
	int r;

	if (!s)
		return -1;
	for (r = IDLE_RETURN_DRAIN; r <= IDLE_RETURN_CANCEL; r++) {
		if (!strcasecmp(s, idle_on_return_name((enum idle_on_return)r))) {
			*(enum idle_on_return *)pfield(pk, pol) = (enum idle_on_return)r;
			return 0;
		}
	}
	conf_error_at(L, &v->start_mark,
		      "%s.%s: \"%s\" is not one of drain, suspend, requeue, cancel", path, pk->name,
		      s);
	return -1;
}

static int pv_signal(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		     struct idle_policy *pol)
{
	const char *s = conf_want_scalar(L, path, pk->name, v, "a signal");
	int r;

	if (!s)
		return -1;
	r = conf_parse_signal(s, pfield(pk, pol));
	if (r == -2)
		conf_error_at(L, &v->start_mark, "%s.%s: %s is out of range 1-%d", path, pk->name,
			      s, SIGNAME_NUM_MAX);
	else if (r < 0)
		conf_error_at(
		    L, &v->start_mark,
		    "%s.%s: \"%s\" is not a signal (a name like TERM or SIGUSR1, or a number "
		    "1-%d)",
		    path, pk->name, s, SIGNAME_NUM_MAX);
	return r < 0 ? -1 : 0;
}

static int pv_remote(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		     struct idle_policy *pol)
{
	const char *s = conf_want_scalar(L, path, pk->name, v, "count or ignore");
	bool *field = pfield(pk, pol);

	if (!s)
		return -1;
	if (!strcasecmp(s, "count") || !strcasecmp(s, "ignore")) {
		*field = !strcasecmp(s, "count");
		return 0;
	}
	if (conf_parse_bool(s, field) == 0)
		return 0;
	conf_error_at(L, &v->start_mark, "%s.%s: \"%s\" is not one of count, ignore, true, false",
		      path, pk->name, s);
	return -1;
}

static int pv_bool(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		   struct idle_policy *pol)
{
	const char *s = conf_want_scalar(L, path, pk->name, v, "true or false");

	if (!s)
		return -1;
	if (conf_parse_bool(s, pfield(pk, pol)) == 0)
		return 0;
	conf_error_at(L, &v->start_mark, "%s.%s: \"%s\" is not one of true, false", path, pk->name,
		      s);
	return -1;
}

static int pv_load(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		   struct idle_policy *pol)
{
	const char *s;
	double d;

	if (conf_read_number(L, path, pk->name, v, false, &s, &d) < 0)
		return -1;
	if (d < 0) {
		conf_error_at(L, &v->start_mark, "%s.%s: %s is below 0", path, pk->name, s);
		return -1;
	}
	*(double *)pfield(pk, pol) = d;
	return 0;
}

/* A percentage 0-100 into [*d]: shared by K_PERCENT and K_GPU. */
static int percent_value(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
			 const char **s, double *d)
{
	if (conf_read_number(L, path, pk->name, v, true, s, d) < 0)
		return -1;
	if (*d < 0 || *d > 100) {
		conf_error_at(L, &v->start_mark, "%s.%s: %s is out of range 0-100", path, pk->name,
			      *s);
		return -1;
	}
	return 0;
}

static int pv_percent(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		      struct idle_policy *pol)
{
	const char *s;
	double d;

	if (percent_value(L, path, pk, v, &s, &d) < 0)
		return -1;
	*(double *)pfield(pk, pol) = d;
	return 0;
}

static int pv_gpu(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		  struct idle_policy *pol)
{
	const char *s;
	double d;

	if (percent_value(L, path, pk, v, &s, &d) < 0)
		return -1;
	if (d != floor(d)) {
		conf_error_at(L, &v->start_mark, "%s.%s: %s is not a whole number", path, pk->name,
			      s);
		return -1;
	}
	*(int *)pfield(pk, pol) = (int)d;
	return 0;
}

static int pv_hours(struct loader *L, const char *path, const struct pkey *pk, yaml_node_t *v,
		    struct idle_policy *pol)
{
	struct hours_arg h = {pol, 0};
	char hpath[300];
	int n;

	idle_strlcpyf(hpath, sizeof(hpath), "%s.%s", path, pk->name);
	n = conf_each_item(L, v, hpath, IDLE_MAX_WINDOWS, hours_item, &h);
	if (n < 0 || h.bad)
		return -1;
	pol->nwindows = n;
	return 0;
}

/* The reader of each kind of policy value. */
static const pvalue_fn pvalue[] = {
    [K_DURATION] = pv_duration, [K_ON_RETURN] = pv_on_return,
    [K_SIGNAL] = pv_signal,	[K_REMOTE] = pv_remote,
    [K_LOAD] = pv_load,		[K_PERCENT] = pv_percent,
    [K_BOOL] = pv_bool,		[K_GPU] = pv_gpu,
    [K_HOURS] = pv_hours,
};

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
		conf_unknown_key(L, path, key, k);
		return;
	}
	sc->set |= PKEY_BIT(i);
	sc->mark[i] = k->start_mark;
	if (pvalue[pkeys[i].kind](L, path, &pkeys[i], v, &sc->pol) < 0)
		sc->bad |= PKEY_BIT(i);
}

void conf_load_policy(struct loader *L, yaml_node_t *v)
{
	if (conf_want_map(L, v, "policy") > 0)
		conf_each_pair(L, v, "policy", policy_pair, &L->policy);
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
		conf_error_at(L, &k->start_mark, "%s: bad hostlist \"%s\": %s", path, key, why);
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
	if (conf_want_map(L, v, gpath) > 0)
		conf_each_pair(L, v, gpath, policy_pair, &g->sc);
}

void conf_load_nodes(struct loader *L, yaml_node_t *v)
{
	if (conf_want_map(L, v, "nodes") > 0)
		conf_each_pair(L, v, "nodes", nodes_pair, NULL);
}

/* ---------------------------------------------------------------- emergency */

/* What an emergency changes when the "emergency:" section leaves a key out: nothing but the
 * switch's partition (see idleacc.yaml(5), EMERGENCY). */
static const struct idle_emergency_conf emergency_defaults = {DEF_EMERGENCY_PARTITION, false,
							      DEF_EMERGENCY_CPU_SHARE};

/* A key of "emergency:": its own three, else a policy key in force during an emergency. */
static void emergency_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
			   yaml_node_t *v, void *arg)
{
	struct idle_emergency_conf *e = &L->c->emergency;
	const char *s;
	double pct;

	(void)arg;
	if (!strcmp(key, "partition")) {
		conf_string_value(L, path, key, v, e->partition, sizeof(e->partition), 0);
		if (strpbrk(e->partition, " ,\t"))
			conf_error_at(L, &v->start_mark,
				      "%s.%s: a partition name without spaces or commas", path,
				      key);
	} else if (!strcmp(key, "requisition")) {
		if ((s = conf_want_scalar(L, path, key, v, "true or false")) &&
		    conf_parse_bool(s, &e->requisition) < 0)
			conf_error_at(L, &v->start_mark,
				      "%s.%s: expected true or false, got \"%s\"", path, key, s);
	} else if (!strcmp(key, "cpu_share")) {
		if (!(s = conf_want_scalar(L, path, key, v, "a percentage")))
			return;
		if (conf_parse_percent(s, &pct) < 0)
			conf_error_at(L, &v->start_mark,
				      "%s.%s: expected a percentage (50 or \"50%%\"), got \"%s\"",
				      path, key, s);
		else if (pct < 1 || pct > 100)
			conf_error_at(L, &v->start_mark, "%s.%s: %s is not between 1%% and 100%%",
				      path, key, s);
		else
			e->cpu_share = (int)pct;
	} else {
		policy_pair(L, path, key, k, v, &L->c->emergency_pol);
	}
}

void conf_load_emergency(struct loader *L, yaml_node_t *v)
{
	if (conf_want_map(L, v, "emergency") > 0)
		conf_each_pair(L, v, "emergency", emergency_pair, NULL);
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
		conf_error_at(
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
	conf_error_at(
	    L, &sc->mark[sc->set & PKEY_BIT(key) ? key : PK_IDLE_AFTER],
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
void conf_check_meaning(struct loader *L)
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
	if (c->emergency_pol.set) {
		struct idle_policy p = c->policy;

		policy_apply(&p, &c->emergency_pol.pol, c->emergency_pol.set);
		check_scope(L, "emergency", &c->emergency_pol, &L->policy, &p);
	}
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

void idle_config_emergency_policy(const struct idle_config *c, const char *node,
				  struct idle_policy *out)
{
	idle_config_policy(c, node, out);
	if (c && c->emergency_pol.set)
		policy_apply(out, &c->emergency_pol.pol, c->emergency_pol.set);
	/* Unless written, no idle_after wait: offered as soon as the owner counts as gone. */
	if (!c || !(c->emergency_pol.set & PKEY_BIT(PK_IDLE_AFTER)))
		out->idle_after = out->resume_after;
	idle_policy_settle(out);
}

const struct idle_emergency_conf *idle_config_emergency(const struct idle_config *c)
{
	return c ? &c->emergency : &emergency_defaults;
}
