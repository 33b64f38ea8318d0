/* SPDX-License-Identifier: MIT */
/*
 * fleet.c - "idleacc fleet": the desktops of a cluster in one table (or JSON), each owner's
 * state read from the node's state and its IDLEACC: reason.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "plan.h"

/* The columns, in order; REASON last (not padded). */
enum { C_NODE, C_STATE, C_OWNER, C_SINCE, C_RUN, C_SUSP, C_REASON, C_COUNT };

static const char *const heads[C_COUNT] = {"NODE",    "STATE",	   "OWNER", "SINCE",
					   "RUNNING", "SUSPENDED", "REASON"};

bool agent_fleet_desktop(const struct agent_fleet_node *n, const char *feature)
{
	const char *p = n->features;
	size_t len = strlen(feature);

	if (!strncmp(n->node.reason, AGENT_TAG, strlen(AGENT_TAG)))
		return true;
	while (len && (p = strstr(p, feature))) {
		if ((p == n->features || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

const char *agent_fleet_owner(const struct agent_node *n)
{
	if (n->down || agent_node_foreign(n))
		return "-";
	if (!n->drain)
		return "absent";
	if (!strncmp(n->reason, AGENT_HOLD_PREFIX, strlen(AGENT_HOLD_PREFIX)))
		return "held";
	/* idleacc-healthcheck's reasons: the agent itself is not there to judge. */
	if (!strncmp(n->reason, AGENT_TAG " idleaccd not ", strlen(AGENT_TAG " idleaccd not ")))
		return "unknown";
	return "present";
}

/* "IDLE", "ALLOCATED+DRAIN", "IDLE*" (not responding). */
static const char *state_text(const struct agent_node *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", n->state, n->drain ? "+DRAIN" : "",
		 n->not_responding ? "*" : "");
	return buf;
}

/* The time of the reason: "14:02" on [now]'s day, "2026-11-30" before; "-" if none. */
static const char *since_text(const struct agent_node *n, time_t now, char *buf, size_t len)
{
	struct tm t, today;

	if (!n->drain || !n->reason_time || !localtime_r(&n->reason_time, &t) ||
	    !localtime_r(&now, &today)) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (t.tm_year == today.tm_year && t.tm_yday == today.tm_yday)
		strftime(buf, len, "%H:%M", &t);
	else
		strftime(buf, len, "%Y-%m-%d", &t);
	return buf;
}

/* One row's cells. */
struct row {
	char cell[C_COUNT][AGENT_REASON_LEN];
};

static void fill_row(struct row *r, const struct agent_fleet_node *f, time_t now)
{
	snprintf(r->cell[C_NODE], sizeof(r->cell[0]), "%s", f->node.name);
	state_text(&f->node, r->cell[C_STATE], sizeof(r->cell[0]));
	snprintf(r->cell[C_OWNER], sizeof(r->cell[0]), "%s", agent_fleet_owner(&f->node));
	since_text(&f->node, now, r->cell[C_SINCE], sizeof(r->cell[0]));
	snprintf(r->cell[C_RUN], sizeof(r->cell[0]), "%u", f->running);
	snprintf(r->cell[C_SUSP], sizeof(r->cell[0]), "%u", f->suspended);
	snprintf(r->cell[C_REASON], sizeof(r->cell[0]), "%s", f->node.reason);
}

static void add_row(struct agent_buf *b, const char *const *cells, const size_t *width)
{
	char line[C_COUNT * (AGENT_REASON_LEN + 2)];
	size_t n = 0;
	int c;

	for (c = 0; c < C_COUNT; c++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%-*s%s",
				      c < C_REASON ? (int)width[c] : 0, cells[c],
				      c < C_REASON ? "  " : "");
	while (n && line[n - 1] == ' ') /* an empty reason leaves no trailing blanks */
		line[--n] = '\0';
	agent_buf_add(b, "%s\n", line);
}

void agent_fleet_table(struct agent_buf *b, const struct agent_fleet_node *nodes, size_t n,
		       const char *feature, bool all, time_t now)
{
	size_t width[C_COUNT], i, shown = 0;
	unsigned present = 0, held = 0, absent = 0, unknown = 0, other = 0, run = 0, susp = 0;
	const char *cells[C_COUNT];
	struct row r;
	int c;

	for (c = 0; c < C_COUNT; c++)
		width[c] = strlen(heads[c]);
	/* Two passes over the rows (widths, then lines) rather than keeping all of them. */
	for (i = 0; i < n; i++) {
		if (!all && !agent_fleet_desktop(&nodes[i], feature))
			continue;
		fill_row(&r, &nodes[i], now);
		for (c = 0; c < C_COUNT; c++)
			if (strlen(r.cell[c]) > width[c])
				width[c] = strlen(r.cell[c]);
	}
	add_row(b, heads, width);
	for (i = 0; i < n; i++) {
		const char *o;

		if (!all && !agent_fleet_desktop(&nodes[i], feature))
			continue;
		fill_row(&r, &nodes[i], now);
		for (c = 0; c < C_COUNT; c++)
			cells[c] = r.cell[c];
		add_row(b, cells, width);
		shown++;
		o = agent_fleet_owner(&nodes[i].node);
		present += !strcmp(o, "present");
		held += !strcmp(o, "held");
		absent += !strcmp(o, "absent");
		unknown += !strcmp(o, "unknown");
		other += !strcmp(o, "-");
		run += nodes[i].running;
		susp += nodes[i].suspended;
	}
	agent_buf_add(b,
		      "%zu %s: %u owner present, %u held, %u absent (offered), %u unknown, %u not "
		      "ours; %u jobs running, %u suspended\n",
		      shown, all ? "nodes" : "desktops", present, held, absent, unknown, other, run,
		      susp);
}

/* [s] as a JSON string, quotes included. */
static void json_str(struct agent_buf *b, const char *s)
{
	agent_buf_add(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			agent_buf_add(b, "\\%c", ch);
		else if (ch < 0x20)
			agent_buf_add(b, "\\u%04x", ch);
		else
			agent_buf_add(b, "%c", ch);
	}
	agent_buf_add(b, "\"");
}

void agent_fleet_json(struct agent_buf *b, const struct agent_fleet_node *nodes, size_t n,
		      const char *feature, bool all)
{
	const char *sep = "";
	char st[64];
	size_t i;

	agent_buf_add(b, "[");
	for (i = 0; i < n; i++) {
		const struct agent_fleet_node *f = &nodes[i];

		if (!all && !agent_fleet_desktop(f, feature))
			continue;
		agent_buf_add(b, "%s\n  {\"node\": ", sep);
		json_str(b, f->node.name);
		agent_buf_add(b, ", \"state\": ");
		json_str(b, state_text(&f->node, st, sizeof(st)));
		agent_buf_add(b, ", \"drain\": %s, \"owner\": \"%s\", \"reason\": ",
			      f->node.drain ? "true" : "false", agent_fleet_owner(&f->node));
		json_str(b, f->node.reason);
		agent_buf_add(
		    b, ", \"since\": %lld, \"running\": %u, \"suspended\": %u, \"features\": ",
		    f->node.drain ? (long long)f->node.reason_time : 0LL, f->running, f->suspended);
		json_str(b, f->features);
		agent_buf_add(b, "}");
		sep = ",";
	}
	agent_buf_add(b, "%s]\n", *sep ? "\n" : "");
}
