/* SPDX-License-Identifier: MIT */
/*
 * emergency_slurm.c - emergency mode's calls to slurmctld, through libslurm (never scontrol):
 * the switch (the emergency partition's State), the record in its nodes' Comment, the
 * agents' reports in their nodes' Extra, and the push that wakes every slurmd
 * (slurm_reconfigure). See emergency.h for why these fields.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "emergency.h"
#include "slurm.h"

/* The partition table as last read: slurmctld answers "no change" to a read with its time,
 * so a reconcile's read costs a few bytes while nobody switches. Used by one thread (the
 * agent's worker, or the CLI). */
static partition_info_msg_t *parts_cache;

const char *agent_emergency_extra(bool on)
{
	return on ? AGENT_EMERG_EXTRA_ON : AGENT_EMERG_EXTRA_OFF;
}

static int fail(char *err, size_t errlen, const char *op, const char *target)
{
	int e = slurm_get_errno();

	snprintf(err, errlen, "%s %s: %s", op, target,
		 e ? slurm_strerror(e) : "failed without an error code");
	return -1;
}

static int load_parts(char *err, size_t errlen)
{
	partition_info_msg_t *msg = NULL;
	time_t since = parts_cache ? parts_cache->last_update : 0;

	if (slurm_load_partitions(since, &msg, SHOW_ALL) != SLURM_SUCCESS) {
		if (parts_cache && slurm_get_errno() == SLURM_NO_CHANGE_IN_DATA)
			return 0;
		return fail(err, errlen, "read", "partitions");
	}
	if (parts_cache)
		slurm_free_partition_info_msg(parts_cache);
	parts_cache = msg;
	return 0;
}

static const partition_info_t *find_part(const char *name)
{
	uint32_t i;

	for (i = 0; parts_cache && i < parts_cache->record_count; i++)
		if (parts_cache->partition_array[i].name &&
		    !strcmp(parts_cache->partition_array[i].name, name))
			return &parts_cache->partition_array[i];
	return NULL;
}

static bool in_hostlist(const char *list, const char *node)
{
	hostlist_t hl;
	bool in;

	if (!list || !*list || !(hl = slurm_hostlist_create(list)))
		return false;
	in = slurm_hostlist_find(hl, node) >= 0;
	slurm_hostlist_destroy(hl);
	return in;
}

int agent_emergency_read(const char *partition, const char *node, bool *on, bool *member, char *err,
			 size_t errlen)
{
	const partition_info_t *p;

	*on = *member = false;
	if (load_parts(err, errlen) < 0)
		return -1;
	if (!(p = find_part(partition)))
		return 0;
	*on = (p->state_up & PARTITION_UP) == PARTITION_UP;
	*member = node ? in_hostlist(p->nodes, node) : false;
	return 0;
}

int agent_emergency_report(const char *node, const char *extra, char *err, size_t errlen)
{
	const struct agent_node_attrs a = {.extra = extra};

	if (agent_slurm_set_attrs(node, &a, err, errlen) < 0)
		return fail(err, errlen, "report the emergency mode of", node);
	return 0;
}

/* The nodes of [part] whose Comment is empty or a record of ours, as a comma list in a
 * malloc'd string ("" if none), or NULL with [err] filled. */
static char *record_nodes(const partition_info_t *part, size_t *count, char *err, size_t errlen)
{
	node_info_msg_t *nodes = NULL;
	size_t len = 1, used = 0;
	char *out;
	uint32_t i;

	*count = 0;
	if (slurm_load_node(0, &nodes, SHOW_ALL) != SLURM_SUCCESS) {
		fail(err, errlen, "read", "nodes");
		return NULL;
	}
	for (i = 0; i < nodes->record_count; i++)
		if (nodes->node_array[i].name)
			len += strlen(nodes->node_array[i].name) + 1;
	if (!(out = malloc(len))) {
		slurm_free_node_info_msg(nodes);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	out[0] = '\0';
	for (i = 0; i < nodes->record_count; i++) {
		const node_info_t *n = &nodes->node_array[i];

		if (!n->name || !in_hostlist(part->nodes, n->name))
			continue;
		if (n->comment && *n->comment &&
		    strncmp(n->comment, AGENT_EMERG_RECORD, strlen(AGENT_EMERG_RECORD)))
			continue; /* an admin's own note: never overwritten */
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", n->name);
		(*count)++;
	}
	slurm_free_node_info_msg(nodes);
	return out;
}

static int set_state(const char *partition, bool on)
{
	update_part_msg_t up;

	slurm_init_part_desc_msg(&up);
	up.name = (char *)partition;
	up.state_up = on ? PARTITION_UP : PARTITION_DOWN;
	return slurm_update_partition(&up) == SLURM_SUCCESS ? 0 : -1;
}

int agent_emergency_switch(const char *partition, bool on, const char *reason, const char *who,
			   char *info, size_t infolen, char *err, size_t errlen)
{
	const partition_info_t *p;
	update_node_msg_t m;
	char record[AGENT_EMERG_REASON_MAX + 128], when[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t nrec = 0;
	char *names;

	if (load_parts(err, errlen) < 0)
		return -1;
	if (!(p = find_part(partition))) {
		snprintf(err, errlen,
			 "no partition \"%s\" in slurm.conf (see conf/slurm.conf.desktop: the "
			 "emergency partition)",
			 partition);
		return -1;
	}
	/* The switch itself: admins only, by Slurm's own check. */
	if (set_state(partition, on) < 0)
		return fail(err, errlen, on ? "set UP partition" : "set DOWN partition", partition);

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(record, sizeof(record), AGENT_EMERG_RECORD " %s since %s by %s%s%s",
		 on ? "on" : "off", when, who, reason && *reason ? ": " : "", reason ? reason : "");
	if (!(names = record_nodes(p, &nrec, err, errlen)))
		return -1;
	if (*names) {
		slurm_init_update_node_msg(&m);
		m.node_names = names;
		m.comment = record;
		if (slurm_update_node(&m) != SLURM_SUCCESS) {
			free(names);
			return fail(err, errlen,
				    "write the record into the Comment of the nodes of", partition);
		}
	}
	free(names);
	/*
	 * The push to every slurmd (configless: fresh config files, and slurmd reloads), which
	 * is what wakes the agents at once; without it each catches up at its reconcile. A
	 * reconfigure also resets every partition's State to slurm.conf's (measured on 22.05):
	 * the switch is set again at once after it, before the pushed slurmd have reloaded.
	 */
	if (slurm_reconfigure() != SLURM_SUCCESS)
		return fail(err, errlen, "push the configuration (reconfigure) after switching",
			    partition);
	if (set_state(partition, on) < 0)
		return fail(err, errlen,
			    on ? "set UP again after the reconfigure partition"
			       : "set DOWN again after the reconfigure partition",
			    partition);
	snprintf(info, infolen, "partition %s %s; recorded on %zu nodes; every slurmd told",
		 partition, on ? "UP" : "DOWN", nrec);
	return 0;
}

int agent_emergency_status(const char *partition, char *out, size_t len, char *err, size_t errlen)
{
	const partition_info_t *p;
	node_info_msg_t *nodes = NULL;
	const char *want, *record = NULL;
	size_t used = 0, total = 0, ok = 0;
	char lag[4096] = "";
	size_t lused = 0;
	bool on;
	uint32_t i;

#define PUT(...)                                                                                   \
	do {                                                                                       \
		if (used < len)                                                                    \
			used += (size_t)snprintf(out + used, len - used, __VA_ARGS__);             \
	} while (0)

	if (load_parts(err, errlen) < 0)
		return -1;
	if (!(p = find_part(partition))) {
		snprintf(err, errlen, "no partition \"%s\" in slurm.conf", partition);
		return -1;
	}
	on = (p->state_up & PARTITION_UP) == PARTITION_UP;
	want = agent_emergency_extra(on);
	if (slurm_load_node(0, &nodes, SHOW_ALL) != SLURM_SUCCESS)
		return fail(err, errlen, "read", "nodes");
	for (i = 0; i < nodes->record_count; i++) {
		const node_info_t *n = &nodes->node_array[i];

		if (!n->name || !in_hostlist(p->nodes, n->name))
			continue;
		total++;
		if (n->comment &&
		    !strncmp(n->comment, AGENT_EMERG_RECORD, strlen(AGENT_EMERG_RECORD)))
			record = n->comment;
		if (n->extra && !strcmp(n->extra, want)) {
			ok++;
			continue;
		}
		if (lused < sizeof(lag))
			lused += (size_t)snprintf(
			    lag + lused, sizeof(lag) - lused, "  %s: %s\n", n->name,
			    n->extra && *n->extra ? n->extra : "no report from idleaccd");
	}
	*out = '\0';
	PUT("emergency: %s (partition %s is %s)\n", on ? "on" : "off", partition,
	    on ? "UP" : "DOWN");
	if (record) {
		bool said_on = !strncmp(record + strlen(AGENT_EMERG_RECORD), " on ", 4);

		PUT("record: %s\n", record + strlen(AGENT_EMERG_RECORD) + 1);
		if (said_on != on)
			PUT("warning: the record says %s, the partition is %s: a reconfigure or a "
			    "restart of slurmctld sets slurm.conf's State again; run idleacc "
			    "emergency %s\n",
			    said_on ? "on" : "off", on ? "UP" : "DOWN", said_on ? "on" : "off");
	} else
		PUT("record: none (never switched with idleacc emergency)\n");
	PUT("switched: %zu of %zu desktops report %s\n", ok, total, want);
	if (ok < total)
		PUT("lagging (they catch up at their next reconcile):\n%s", lag);
	slurm_free_node_info_msg(nodes);
	return ok < total ? 1 : 0;
#undef PUT
}
