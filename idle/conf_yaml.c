/* SPDX-License-Identifier: MIT */
/*
 * conf_yaml.c - the walk over idleacc.yaml's YAML: the bounded first pass, the tree's
 * mappings and lists with their duplicate and unknown keys, and the error collection that
 * reports every mistake as file:line:col.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf_int.h"
#include "escape.h"

/* Our deepest value is 4 levels down (nodes: GROUP: hours: [ ... ]). */
#define CONF_MAX_DEPTH 32
/* Anchors are for sharing a group's settings; nobody needs a thousand. */
#define CONF_MAX_ANCHORS 1000
/* Nodes after alias expansion: a 1 MiB file without aliases has fewer. */
#define CONF_MAX_NODES 200000
/* Room kept at the end of the error buffer for "(N more errors not shown)". */
#define ERR_TRAILER 48

void conf_error_at(struct loader *L, const yaml_mark_t *m, const char *fmt, ...)
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
			     L->line0 + (unsigned long)m->line + 1,
			     L->col0 + (unsigned long)m->column + 1, msg);
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
void conf_errors_close(struct loader *L)
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
const char *conf_describe(const yaml_node_t *n, char *buf, size_t len)
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
const char *conf_want_scalar(struct loader *L, const char *path, const char *key,
			     const yaml_node_t *v, const char *what)
{
	const char *s = scalar_text(v);
	char d[64];

	if (s && !is_null(v))
		return s;
	if (v->type == YAML_SCALAR_NODE && !is_null(v))
		conf_error_at(L, &v->start_mark, "%s.%s: contains a NUL character", path, key);
	else
		conf_error_at(L, &v->start_mark, "%s.%s: expected %s, got %s", path, key, what,
			      conf_describe(v, d, sizeof(d)));
	return NULL;
}

/*
 * Checks that [v], the value of the section or key [path], is a mapping. Returns 1 if it
 * is, 0 if it is empty (null: the same as an empty mapping), -1 after reporting it is not.
 */
int conf_want_map(struct loader *L, const yaml_node_t *v, const char *path)
{
	char d[64];

	if (v->type == YAML_MAPPING_NODE)
		return 1;
	if (is_null(v))
		return 0;
	conf_error_at(L, &v->start_mark, "%s: expected a mapping, got %s", path,
		      conf_describe(v, d, sizeof(d)));
	return -1;
}

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
void conf_each_pair(struct loader *L, yaml_node_t *map, const char *path, conf_pair_fn fn,
		    void *arg)
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
			conf_error_at(L, &k->start_mark, "a key must be a name, got %s%s%s",
				      conf_describe(k, d, sizeof(d)), *path ? " in " : "", path);
			continue;
		}
		if (dup) {
			conf_error_at(L, &k->start_mark, "duplicate key \"%s\"%s%s", key,
				      *path ? " in " : "", path);
			continue;
		}
		fn(L, path, key, k, v, arg);
	}
	free(dups);
}

void conf_unknown_key(struct loader *L, const char *path, const char *key, const yaml_node_t *k)
{
	conf_error_at(L, &k->start_mark, "unknown key \"%s\" in %s", key, path);
}
/* Calls [fn] on each item of the list [v] of [path]; returns the count, or -1 if not a list. */
int conf_each_item(struct loader *L, yaml_node_t *v, const char *path, int max, conf_item_fn fn,
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
		conf_error_at(L, &v->start_mark, "%s: expected a list, got %s", path,
			      conf_describe(v, d, sizeof(d)));
		return -1;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *item = node_at(L, *it);

		if (n == max) {
			conf_error_at(L, &item->start_mark, "%s: more than %d entries", path, max);
			return -1;
		}
		fn(L, path, n, item, arg);
	}
	return n;
}

/* The text of item [i] of the list [path], or NULL after reporting it is not [what]. */
const char *conf_item_text(struct loader *L, const char *path, int i, const yaml_node_t *item,
			   const char *what)
{
	const char *s = scalar_text(item);
	char d[64];

	if (s && !is_null(item))
		return s;
	conf_error_at(L, &item->start_mark, "%s[%d]: expected %s, got %s", path, i, what,
		      conf_describe(item, d, sizeof(d)));
	return NULL;
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

/* What the first pass has counted so far. */
struct first_count {
	struct anchor *tab; /* the anchors seen (CONF_MAX_ANCHORS entries) */
	size_t nanchors;    /* entries of tab used */
	struct open_coll stack[CONF_MAX_DEPTH + 1]; /* the collections open now */
	size_t depth;				    /* entries of stack used */
	size_t nodes;				    /* nodes so far, aliases expanded */
};

/* Opens a sequence or a mapping at [ev]. Returns 0, or -1 after reporting a limit passed. */
static int count_open(struct loader *L, struct first_count *fc, const yaml_event_t *ev)
{
	const char *anchor;

	if (fc->depth >= CONF_MAX_DEPTH) {
		conf_error_at(L, &ev->start_mark, "nested deeper than %d levels; refusing the file",
			      CONF_MAX_DEPTH);
		return -1;
	}
	anchor = ev->type == YAML_SEQUENCE_START_EVENT
		     ? (const char *)ev->data.sequence_start.anchor
		     : (const char *)ev->data.mapping_start.anchor;
	fc->stack[fc->depth].start = fc->nodes++;
	fc->stack[fc->depth].anchor = anchor ? strdup(anchor) : NULL;
	fc->depth++;
	if (anchor && !fc->stack[fc->depth - 1].anchor) {
		L->oom = true;
		return -1;
	}
	return 0;
}

/* Closes the innermost collection at [ev], recording its anchor with its size. Returns 0, or
 * -1 after reporting a limit passed. */
static int count_close(struct loader *L, struct first_count *fc, const yaml_event_t *ev)
{
	struct open_coll *oc;
	int rc = 0;

	if (!fc->depth)
		return 0;
	oc = &fc->stack[--fc->depth];
	if (oc->anchor &&
	    anchor_add(fc->tab, &fc->nanchors, oc->anchor, fc->nodes - oc->start) < 0) {
		conf_error_at(L, &ev->start_mark, "more than %d anchors (&name); refusing the file",
			      CONF_MAX_ANCHORS);
		rc = -1;
	}
	free(oc->anchor);
	oc->anchor = NULL;
	return rc;
}

/* Counts the event [ev]. Returns 1 at the end of the stream, 0 to go on, or -1 after
 * reporting a limit passed (or with L->oom set). */
static int count_event(struct loader *L, struct first_count *fc, const yaml_event_t *ev)
{
	const char *anchor = NULL;
	size_t size = 0;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		size = 1;
		break;
	case YAML_ALIAS_EVENT:
		size = anchor_nodes(fc->tab, fc->nanchors, (const char *)ev->data.alias.anchor);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (count_open(L, fc, ev) < 0)
			return -1;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (count_close(L, fc, ev) < 0)
			return -1;
		break;
	default:
		break;
	}
	if (anchor && anchor_add(fc->tab, &fc->nanchors, anchor, size) < 0) {
		conf_error_at(L, &ev->start_mark, "more than %d anchors (&name); refusing the file",
			      CONF_MAX_ANCHORS);
		return -1;
	}
	fc->nodes += size;
	if (fc->nodes > CONF_MAX_NODES) {
		conf_error_at(L, &ev->start_mark,
			      "more than %d values once aliases (*name) are expanded; refusing "
			      "the file",
			      CONF_MAX_NODES);
		return -1;
	}
	return 0;
}

/*
 * The first pass over [buf]: libyaml's events only, no tree. Counts the nodes the tree would
 * have with every alias expanded and the depth, and stops at the first limit passed, which it
 * reports. Returns 0 if the file may be loaded; syntax errors are left to the second pass.
 */
static int first_pass(struct loader *L, const unsigned char *buf, size_t len)
{
	static struct anchor tab[CONF_MAX_ANCHORS];
	struct first_count fc = {.tab = tab};
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0;
	size_t i;

	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		return -1;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				L->oom = true;
			rc = L->oom ? -1 : 1; /* a syntax error: the second pass says where */
			break;
		}
		rc = count_event(L, &fc, &ev);
		yaml_event_delete(&ev);
	}
	while (fc.depth)
		free(fc.stack[--fc.depth].anchor);
	for (i = 0; i < fc.nanchors; i++)
		free(tab[i].copy);
	yaml_parser_delete(&parser);
	return rc < 0 ? -1 : 0;
}

/* Reports libyaml's error of [parser]: a shortage of memory is not the file's fault. */
static void yaml_error(struct loader *L, const yaml_parser_t *parser)
{
	if (parser->error == YAML_MEMORY_ERROR)
		L->oom = true;
	else
		conf_error_at(L, &parser->problem_mark, "%s",
			      parser->problem ? parser->problem : "cannot parse YAML");
}

int conf_yaml_walk(struct loader *L, const unsigned char *buf, size_t len, conf_pair_fn top)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char d[64];

	if (first_pass(L, buf, len) < 0)
		return -1;
	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		return -1;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_error(L, &parser);
		yaml_parser_delete(&parser);
		return -1;
	}
	L->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	L->c->empty = !root || is_null(root);
	if (root && root->type == YAML_MAPPING_NODE)
		conf_each_pair(L, root, "", top, NULL);
	else if (root && !is_null(root))
		conf_error_at(L, &root->start_mark, "expected a mapping of sections (%s), got %s",
			      L->sections, conf_describe(root, d, sizeof(d)));
	yaml_document_delete(&doc);
	L->doc = NULL;

	/* a second document would be silently ignored: say so instead */
	if (root && !L->oom) {
		if (!yaml_parser_load(&parser, &doc)) {
			yaml_error(L, &parser);
		} else {
			root = yaml_document_get_root_node(&doc);
			if (root)
				conf_error_at(L, &root->start_mark,
					      "a second YAML document; idleacc.yaml holds one");
			yaml_document_delete(&doc);
		}
	}
	yaml_parser_delete(&parser);
	return 0;
}

void conf_error_line(struct loader *L, unsigned long line, const char *fmt, ...)
{
	char msg[512];
	yaml_mark_t m = {0};
	unsigned long line0 = L->line0, col0 = L->col0;
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	m.line = line ? line - 1 : 0;
	L->line0 = L->col0 = 0;
	conf_error_at(L, &m, "%s", msg);
	L->line0 = line0;
	L->col0 = col0;
}

void conf_embed_at(struct loader *L, unsigned long line0, unsigned long col0)
{
	L->line0 = line0;
	L->col0 = col0;
}
