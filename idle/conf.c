/* SPDX-License-Identifier: MIT */
/* conf.c - idleacc.yaml: reads the file, dispatches its sections, and hands out the result. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "conf_int.h"

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
 *
 * Where each part lives: this file reads the file and dispatches its sections (and holds the
 * caller's own sections); conf_yaml.c walks the YAML and collects the errors; conf_value.c
 * reads one kind of value each (numbers, durations, signals, time windows, paths);
 * conf_policy.c holds the policy keys and the three places they are written ("policy:",
 * the groups of "nodes:", "emergency:") with the checks between them; conf_sources.c the
 * keys of "sources:".
 */

/* 1 MiB: the example is 6 KiB, and a fleet's file with hundreds of node groups < 100 KiB. */
#define CONF_MAX_BYTES (1024 * 1024)

/* A key of the caller's section [arg] (a struct idle_conf_section), read into its struct. */
static void own_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
		     yaml_node_t *v, void *arg)
{
	const struct idle_conf_section *sec = arg;
	char *dst = L->c->own_vals[sec - L->c->own], why[IDLE_ERR_LEN];
	const struct idle_conf_key *ck;
	char *field;
	size_t i;
	int rc;

	for (i = 0; i < sec->nkeys; i++)
		if (!strcmp(key, sec->keys[i].name))
			break;
	if (i == sec->nkeys) {
		conf_unknown_key(L, path, key, k);
		return;
	}
	ck = &sec->keys[i];
	field = dst + ck->off;
	if (ck->kind == IDLE_CONF_DURATION)
		rc = conf_read_duration(L, path, key, v, ck->min, (int64_t *)(void *)field);
	else if (ck->kind == IDLE_CONF_BOOL) {
		const char *s = conf_want_scalar(L, path, key, v, "true or false");

		rc = s ? conf_parse_bool(s, (bool *)(void *)field) : -1;
		if (s && rc < 0)
			conf_error_at(L, &v->start_mark, "%s.%s: \"%s\" is not one of true, false",
				      path, key, s);
	} else
		rc = conf_string_value(
		    L, path, key, v, field, ck->size,
		    CONF_STR_ABSOLUTE |
			(ck->kind == IDLE_CONF_PATH_OR_EMPTY ? CONF_STR_EMPTY_OK : 0));
	if (rc == 0 && ck->check && ck->check(field, why, sizeof(why)) < 0)
		conf_error_at(L, &v->start_mark, "%s.%s: %s", path, key, why);
}

/* ---------------------------------------------------------------- the file */

/* libidle's own sections, each read by its part of the loader. */
static const struct {
	const char *name;			      /* the key at the top of the file */
	void (*load)(struct loader *, yaml_node_t *); /* reads its value */
} sections[] = {
    {"policy", conf_load_policy},
    {"sources", conf_load_sources},
    {"nodes", conf_load_nodes},
    {"emergency", conf_load_emergency},
};

static void top_pair(struct loader *L, const char *path, const char *key, yaml_node_t *k,
		     yaml_node_t *v, void *arg)
{
	size_t i;

	(void)path, (void)arg;
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (!strcmp(key, sections[i].name)) {
			sections[i].load(L, v);
			return;
		}
	}
	for (i = 0; i < L->c->nown; i++) {
		if (!strcmp(key, L->c->own[i].name)) {
			if (conf_want_map(L, v, key) > 0)
				conf_each_pair(L, v, key, own_pair, (void *)&L->c->own[i]);
			return;
		}
	}
	conf_error_at(L, &k->start_mark, "unknown key \"%s\" (sections are %s)", key, L->sections);
}

/* Parses [buf] into L->c; errors go to L. */
static void load_file(struct loader *L, const unsigned char *buf, size_t len)
{
	/* after other errors too: the keys that were bad are left out of the checks */
	if (conf_yaml_walk(L, buf, len, top_pair) == 0 && !L->oom)
		conf_check_meaning(L);
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
		conf_error_at(L, NULL, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		conf_error_at(L, NULL, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		conf_error_at(L, NULL, "not a regular file");
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		/* the policy decides who may use a desktop and where root writes: as OpenSSH
		 * and OpenBSD's daemons do, trust only a file that only root can change */
		conf_error_at(L, NULL, "owned by uid %lu, not root; refusing it (chown root)",
			      (unsigned long)st.st_uid);
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		conf_error_at(L, NULL, "writable by group or others; refusing it (chmod go-w)");
	} else if (st.st_size > CONF_MAX_BYTES) {
		conf_error_at(L, NULL, "%lld bytes, more than the %d a configuration may have",
			      (long long)st.st_size, CONF_MAX_BYTES);
	} else if (!(*buf = malloc(CONF_MAX_BYTES + 1))) {
		L->oom = true;
	} else {
		/* read one byte more than allowed: a file that grew since fstat is refused too */
		while ((r = read(fd, *buf + got, CONF_MAX_BYTES + 1 - got)) > 0 &&
		       (got += (size_t)r) <= CONF_MAX_BYTES)
			;
		if (r < 0)
			conf_error_at(L, NULL, "%s", strerror(errno));
		else if (got > CONF_MAX_BYTES)
			conf_error_at(L, NULL, "more than the %d bytes a configuration may have",
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
	for (i = 0; c->own_vals && i < c->nown; i++)
		free(c->own_vals[i]);
	free(c->own_vals);
	free(c->groups);
	free(c->path);
	free(c);
}

/* Gives [c] a copy of the defaults of each of the caller's sections. Returns -1 if out of
 * memory. */
static int own_defaults(struct idle_config *c, const struct idle_conf_section *own, size_t nown)
{
	size_t i;

	c->own = own;
	c->nown = nown;
	if (!nown)
		return 0;
	if (!(c->own_vals = calloc(nown, sizeof(*c->own_vals))))
		return -1;
	for (i = 0; i < nown; i++) {
		if (!(c->own_vals[i] = malloc(own[i].size ? own[i].size : 1)))
			return -1;
		memcpy(c->own_vals[i], own[i].defaults, own[i].size);
	}
	return 0;
}

/* The names of the sections a file may have, for messages: "policy, sources, nodes, agent,
 * emergency" (the caller's among libidle's). */
static void section_names(struct loader *L)
{
	size_t i, n;

	idle_strlcpyf(L->sections, sizeof(L->sections), "policy, sources, nodes");
	for (i = 0; i < L->c->nown; i++) {
		n = strlen(L->sections);
		idle_strlcpyf(L->sections + n, sizeof(L->sections) - n, ", %s", L->c->own[i].name);
	}
	n = strlen(L->sections);
	idle_strlcpyf(L->sections + n, sizeof(L->sections) - n, ", emergency");
}

struct idle_config *idle_config_load(const char *path, const struct idle_conf_section *own,
				     size_t nown, char *err, size_t errlen)
{
	return conf_load_cut(path, own, nown, NULL, err, errlen);
}

struct idle_config *conf_load_cut(const char *path, const struct idle_conf_section *own,
				  size_t nown, conf_cut_fn cut, char *err, size_t errlen)
{
	struct loader L = {0};
	struct idle_config *c;
	unsigned char *buf;
	size_t len = 0;
	int r = 1;

	if (errlen)
		err[0] = '\0';
	L.file = path;
	L.err = err;
	L.errlen = errlen;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path ? path : "")) || own_defaults(c, own, nown) < 0) {
		idle_config_free(c);
		idle_strlcpyf(err, errlen, "%s: out of memory", path ? path : "idleacc.yaml");
		return NULL;
	}
	L.c = c;
	section_names(&L);
	idle_policy_default(&c->policy);
	idle_sources_default(&c->sources);
	c->emergency = *idle_config_emergency(NULL);
	if (!path)
		return c;

	if (read_conf(&L, path, &buf, &len) == 0) {
		/* An embedded text (plugstack.conf's block) is cut out first, in place. */
		if (cut)
			r = cut(&L, buf, &len);
		if (r > 0)
			load_file(&L, buf, len);
		free(buf);
	}
	if (L.oom) {
		/* the errors so far may be the fault of the shortage */
		L.used = 0;
		L.nshown = L.nerr = 0;
		conf_error_at(&L, NULL, "out of memory");
	}
	conf_errors_close(&L);
	if (L.nerr || r == 0) { /* r == 0: no text to load, err left empty */
		idle_config_free(c);
		return NULL;
	}
	return c;
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

const void *idle_config_section(const struct idle_config *c, size_t i)
{
	return c && i < c->nown ? c->own_vals[i] : NULL;
}
