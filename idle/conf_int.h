/* SPDX-License-Identifier: MIT */
/*
 * conf_int.h - what the parts of the idleacc.yaml loader share: the loaded configuration,
 * the loader's state, and the walker's and value readers' contracts (conf.c, conf_yaml.c,
 * conf_value.c, conf_policy.c, conf_sources.c).
 */
#ifndef CONF_INT_H
#define CONF_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "idle_int.h"

/* The policy keys, in the order of conf/idleacc.yaml and the man page (their table: pkeys in
 * conf_policy.c). */
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
	struct idle_policy policy;	     /* defaults, then the "policy:" section */
	struct node_group *groups;	     /* the "nodes:" section, in file order */
	size_t ngroups;			     /* entries in groups */
	size_t groups_cap;		     /* entries allocated */
	struct idle_sources sources;	     /* defaults, or exactly what "sources:" names */
	const struct idle_conf_section *own; /* the caller's sections (idle_config_load) */
	size_t nown;			     /* entries in own */
	void **own_vals;		     /* own[i]'s struct: its defaults, then the file's */
	char *path;			     /* the file loaded, "" for the built-in defaults */
	bool empty;			     /* the file sets nothing (empty, or comments only) */
	/* defaults, then the own keys of the "emergency:" section */
	struct idle_emergency_conf emergency;
	/* the policy keys the "emergency:" section sets */
	struct pscope emergency_pol;
};

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
	char sections[256];    /* "policy, sources, nodes" and the caller's, for messages */
	unsigned long line0;   /* lines of the file before the YAML text (0 unless embedded) */
	unsigned long col0;    /* columns before it on each of its lines (0 unless embedded) */
};

/* ---------------------------------------------------------------- the walk (conf_yaml.c) */

/* A mapping's pair: [k] and [v] of the key [key] of [path] ("" at the top). */
typedef void (*conf_pair_fn)(struct loader *L, const char *path, const char *key, yaml_node_t *k,
			     yaml_node_t *v, void *arg);
/* Item [i] of a list of [path]. */
typedef void (*conf_item_fn)(struct loader *L, const char *path, int i, yaml_node_t *item,
			     void *arg);

/* Appends one error line; [m] is the position, or NULL for errors about the whole file. */
void conf_error_at(struct loader *L, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the error text with how many errors did not fit, if any. */
void conf_errors_close(struct loader *L);
/* Says what [n] is, for "expected X, got Y", in [buf]; returns the text. */
const char *conf_describe(const yaml_node_t *n, char *buf, size_t len);
/* The text of the value [v] of [path].[key], or NULL after reporting why there is none. */
const char *conf_want_scalar(struct loader *L, const char *path, const char *key,
			     const yaml_node_t *v, const char *what);
/* Is [v], the value of [path], a mapping? 1 if it is, 0 if null (an empty mapping), -1 after
 * reporting it is not. */
int conf_want_map(struct loader *L, const yaml_node_t *v, const char *path);
/* Calls [fn] on every pair of [map] whose key is a string seen there for the first time;
 * other keys and duplicates are reported instead. */
void conf_each_pair(struct loader *L, yaml_node_t *map, const char *path, conf_pair_fn fn,
		    void *arg);
void conf_unknown_key(struct loader *L, const char *path, const char *key, const yaml_node_t *k);
/* Calls [fn] on each item of the list [v] of [path] (a sequence, one scalar: a list of one,
 * or null: an empty list) of at most [max]. Returns the count, or -1 after reporting. */
int conf_each_item(struct loader *L, yaml_node_t *v, const char *path, int max, conf_item_fn fn,
		   void *arg);
/* The text of item [i] of the list [path], or NULL after reporting it is not [what]. */
const char *conf_item_text(struct loader *L, const char *path, int i, const yaml_node_t *item,
			   const char *what);
/*
 * Parses [buf] (a bounded first pass, then libyaml's tree) and calls [top] on every section
 * of the document; a second document is an error. Returns 0 after the walk, -1 if the file
 * was refused before it (the error is reported, or L->oom set).
 */
int conf_yaml_walk(struct loader *L, const unsigned char *buf, size_t len, conf_pair_fn top);

/* ---------------------------------------------------------------- values (conf_value.c) */

/* A plain decimal number: digits with an optional fraction and sign; no hex, no "inf".
 * Returns 0, or -1. */
int conf_parse_number(const char *s, double *out);
/* conf_parse_number() of [s] with one "%" after it allowed. */
int conf_parse_percent(const char *s, double *out);
/* YAML 1.1 booleans (true/yes/on, false/no/off, any case). Returns 0, or -1. */
int conf_parse_bool(const char *s, bool *out);
/* A signal in the grammar of common/signame.h. Returns 0, -1 if not a signal, -2 if a number
 * out of range. */
int conf_parse_signal(const char *s, int *out);
/* One weekly window ("Mon-Fri 18:00-08:00", "Sat,Sun", "daily 12:00-13:30"). Returns 0, or -1
 * with [why] filled. */
int conf_parse_window(const char *s, struct idle_window *w, char *why, size_t whylen);
/* The duration [v] of [path].[key] into [out], at least [min] seconds. Returns 0, or -1 after
 * reporting why not. */
int conf_read_duration(struct loader *L, const char *path, const char *key, const yaml_node_t *v,
		       int64_t min, int64_t *out);
/* The number [v] of [path].[key] into [out], "%" after it allowed if [percent]; [*text] is
 * the value as written. Returns 0, or -1 after reporting why not. */
int conf_read_number(struct loader *L, const char *path, const char *key, yaml_node_t *v,
		     bool percent, const char **text, double *out);

/* What conf_string_value() accepts. */
enum {
	CONF_STR_ABSOLUTE = 1, /* an absolute path */
	CONF_STR_EMPTY_OK = 2, /* "" too (it means "the default of the library or system") */
};
/* Copies the string value [v] of [path].[key] into [buf], as [flags] (CONF_STR_*) allow.
 * Returns 0, or -1 after reporting why not. */
int conf_string_value(struct loader *L, const char *path, const char *key, yaml_node_t *v,
		      char *buf, size_t len, int flags);

/* ---------------------------------------------------------------- sections */

/* "policy:", "nodes:" and "emergency:" into L (conf_policy.c). */
void conf_load_policy(struct loader *L, yaml_node_t *v);
void conf_load_nodes(struct loader *L, yaml_node_t *v);
void conf_load_emergency(struct loader *L, yaml_node_t *v);
/* The checks after parsing: every policy a node can get from one section must make sense. */
void conf_check_meaning(struct loader *L);
/* "sources:" into L (conf_sources.c). */
void conf_load_sources(struct loader *L, yaml_node_t *v);

#endif /* CONF_INT_H */
