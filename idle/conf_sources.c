/* SPDX-License-Identifier: MIT */
/* conf_sources.c - the "sources:" section of idleacc.yaml: its defaults and one key table. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "conf_int.h"
#include "defaults.h"

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
	/* Only a guest on a Windows PC has a Windows side to listen to: named, never implied. */
	s->enabled[IDLE_SRC_WINDOWS] = false;
	idle_strlcpyf(s->windows_listen, sizeof(s->windows_listen), "%s", DEF_WINDOWS_LISTEN);
	idle_strlcpyf(s->windows_secret, sizeof(s->windows_secret), "%s", DEF_WINDOWS_SECRET);
	s->windows_sessions = DEF_WINDOWS_SESSIONS;
	s->windows_max_silence = DEF_WINDOWS_MAX_SILENCE;
}

static void tty_dir_item(struct loader *L, const char *path, int i, yaml_node_t *item, void *arg)
{
	struct idle_sources *s = arg;
	const char *dir = conf_item_text(L, path, i, item, "a path");

	if (!dir)
		return;
	if (dir[0] != '/')
		conf_error_at(L, &item->start_mark, "%s[%d]: \"%s\" is not an absolute path", path,
			      i, dir);
	else if (strlen(dir) >= sizeof(s->tty_dirs[i]))
		conf_error_at(L, &item->start_mark, "%s[%d]: longer than %zu characters", path, i,
			      sizeof(s->tty_dirs[i]) - 1);
	else
		idle_strlcpyf(s->tty_dirs[i], sizeof(s->tty_dirs[i]), "%s", dir);
}

static void program_item(struct loader *L, const char *path, int i, yaml_node_t *item, void *arg)
{
	struct idle_sources *s = arg;
	const char *name = conf_item_text(L, path, i, item, "a program name");

	if (!name)
		return;
	if (strchr(name, '/'))
		conf_error_at(L, &item->start_mark, "%s[%d]: \"%s\" is a path, not a program name",
			      path, i, name);
	else if (strlen(name) >= sizeof(s->programs[i]))
		conf_error_at(L, &item->start_mark, "%s[%d]: longer than %zu characters", path, i,
			      sizeof(s->programs[i]) - 1);
	else
		idle_strlcpyf(s->programs[i], sizeof(s->programs[i]), "%s", name);
}

static void session_kind_item(struct loader *L, const char *path, int i, yaml_node_t *item,
			      void *arg)
{
	unsigned *kinds = arg;
	const char *kind = conf_item_text(L, path, i, item, "console or remote");

	if (!kind)
		return;
	if (!strcmp(kind, "console"))
		*kinds |= IDLE_WIN_CONSOLE;
	else if (!strcmp(kind, "remote"))
		*kinds |= IDLE_WIN_REMOTE;
	else
		conf_error_at(L, &item->start_mark, "%s[%d]: \"%s\" is not one of console, remote",
			      path, i, kind);
}

/* sources.windows.listen: an address the windows source can listen on. */
static void windows_listen(struct loader *L, const char *path, const char *key, yaml_node_t *v)
{
	struct idle_sources *s = &L->c->sources;
	char why[IDLE_ERR_LEN];
	const char *str = conf_want_scalar(L, path, key, v, "an address");

	if (!str)
		return;
	if (idle_windows_check_listen(str, why, sizeof(why)) < 0)
		conf_error_at(L, &v->start_mark, "%s.%s: %s", path, key, why);
	else
		conf_string_value(L, path, key, v, s->windows_listen, sizeof(s->windows_listen), 0);
}

/* sources.windows.sessions: the kinds of Windows sessions read, at least one. */
static void windows_sessions(struct loader *L, const char *path, const char *key, yaml_node_t *v)
{
	char lpath[300];
	unsigned kinds = 0;

	idle_strlcpyf(lpath, sizeof(lpath), "%s.%s", path, key);
	/* No kind at all would read no input and offer the PC whoever sits at it. */
	if (conf_each_item(L, v, lpath, 2, session_kind_item, &kinds) == 0)
		conf_error_at(L, &v->start_mark, "%s: name console, remote or both", lpath);
	else if (kinds)
		L->c->sources.windows_sessions = kinds;
}

/* How the value of a source's key is read. */
enum skind {
	SK_STRING,   /* char[size] in struct idle_sources, as [flags] allow (conf_string_value) */
	SK_LIST,     /* a list of at most [max] entries, each read by [item]; the count is the
		      * int at [off] */
	SK_DURATION, /* int64_t seconds at [off], at least [max] */
	SK_OTHER,    /* read by [fn] (a value with checks of its own) */
};

/* One key of one source: the table below holds every key that "sources:" knows. */
struct skey {
	enum idle_source_id id; /* the source */
	const char *name;	/* the key under sources.SOURCE */
	enum skind kind;	/* how its value is read */
	size_t off;		/* the field in struct idle_sources */
	size_t size;		/* SK_STRING: the field's size */
	int flags;		/* SK_STRING: STR_* */
	int max;		/* SK_LIST: most entries; SK_DURATION: least seconds */
	conf_item_fn item;	/* SK_LIST: reads one entry into the struct idle_sources */
	void (*fn)(struct loader *L, const char *path, const char *key, yaml_node_t *v);
};

#define SFIELD(f) offsetof(struct idle_sources, f), sizeof(((struct idle_sources *)0)->f)
#define SSTR(id, name, f, flags)                                                                   \
	{                                                                                          \
		id, name, SK_STRING, SFIELD(f), flags, 0, NULL, NULL                               \
	}
#define SLIST(id, name, count, max, item)                                                          \
	{                                                                                          \
		id, name, SK_LIST, SFIELD(count), 0, max, item, NULL                               \
	}
#define SDUR(id, name, f, min)                                                                     \
	{                                                                                          \
		id, name, SK_DURATION, SFIELD(f), 0, min, NULL, NULL                               \
	}
#define SOTHER(id, name, fn)                                                                       \
	{                                                                                          \
		id, name, SK_OTHER, 0, 0, 0, 0, NULL, fn                                           \
	}

static const struct skey skeys[] = {
    SSTR(IDLE_SRC_EVDEV, "dir", evdev_dir, CONF_STR_ABSOLUTE),
    SLIST(IDLE_SRC_TTY, "dirs", ntty_dirs, IDLE_MAX_DIRS, tty_dir_item),
    SSTR(IDLE_SRC_TTY, "utmp", utmp_file, CONF_STR_ABSOLUTE),
    SSTR(IDLE_SRC_LOGIND, "bus", logind_bus, CONF_STR_EMPTY_OK),
    SSTR(IDLE_SRC_X11, "display", x11_display, 0),
    SSTR(IDLE_SRC_X11, "xauthority", x11_xauthority, CONF_STR_ABSOLUTE | CONF_STR_EMPTY_OK),
    SLIST(IDLE_SRC_PROCESSES, "names", nprograms, IDLE_MAX_PROGRAMS, program_item),
    SSTR(IDLE_SRC_GPU, "library", gpu_library, 0),
    SOTHER(IDLE_SRC_WINDOWS, "listen", windows_listen),
    SSTR(IDLE_SRC_WINDOWS, "secret", windows_secret, CONF_STR_ABSOLUTE),
    SOTHER(IDLE_SRC_WINDOWS, "sessions", windows_sessions),
    /* silence of less than a second is no silence to judge by */
    SDUR(IDLE_SRC_WINDOWS, "max_silence", windows_max_silence, 1),
};

/* A setting of one source ([arg] points to its enum idle_source_id). */
static void source_setting(struct loader *L, const char *path, const char *key, yaml_node_t *k,
			   yaml_node_t *v, void *arg)
{
	enum idle_source_id id = *(const enum idle_source_id *)arg;
	char *base = (char *)&L->c->sources, lpath[300];
	const struct skey *sk;
	size_t i;
	int n;

	for (i = 0; i < sizeof(skeys) / sizeof(skeys[0]); i++)
		if (skeys[i].id == id && !strcmp(key, skeys[i].name))
			break;
	if (i == sizeof(skeys) / sizeof(skeys[0])) {
		conf_unknown_key(L, path, key, k);
		return;
	}
	sk = &skeys[i];
	switch (sk->kind) {
	case SK_STRING:
		conf_string_value(L, path, key, v, base + sk->off, sk->size, sk->flags);
		break;
	case SK_LIST:
		idle_strlcpyf(lpath, sizeof(lpath), "%s.%s", path, key);
		n = conf_each_item(L, v, lpath, sk->max, sk->item, &L->c->sources);
		if (n >= 0)
			*(int *)(void *)(base + sk->off) = n;
		break;
	case SK_DURATION:
		conf_read_duration(L, path, key, v, sk->max, (int64_t *)(void *)(base + sk->off));
		break;
	case SK_OTHER:
		sk->fn(L, path, key, v);
		break;
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
		conf_error_at(
		    L, &k->start_mark,
		    "unknown key \"%s\" in %s (sources are evdev, tty, logind, x11, load, "
		    "memory, power, processes, gpu, windows)",
		    key, path);
		return;
	}
	L->c->sources.enabled[id] = true;
	idle_strlcpyf(spath, sizeof(spath), "%s.%s", path, key);
	if (conf_want_map(L, v, spath) > 0)
		conf_each_pair(L, v, spath, source_setting, &id);
}

/* A present "sources:" enables exactly the sources it names, with the default settings. */
void conf_load_sources(struct loader *L, yaml_node_t *v)
{
	int i;

	for (i = 0; i < IDLE_SRC_COUNT; i++)
		L->c->sources.enabled[i] = false;
	if (conf_want_map(L, v, "sources") > 0)
		conf_each_pair(L, v, "sources", sources_pair, NULL);
}
