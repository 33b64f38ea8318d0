/* SPDX-License-Identifier: MIT */
/*
 * fleet.h - "idleacc fleet": which nodes are desktops, what their IDLEACC: reasons say of
 * their owners, and the table and JSON shown for them. Pure: the nodes come from
 * agent_slurm_fleet() (two RPCs for the whole cluster), the unit tests give their own.
 */
#ifndef AGENT_FLEET_H
#define AGENT_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "report.h"
#include "model.h"

/* The feature that marks a desktop's node (Features=desktop in slurm.conf, or slurmd -Z). */
#define AGENT_FLEET_FEATURE "desktop"

/*
 * True if [n] is a desktop: [feature] is one of its features, or its reason is ours
 * ("IDLEACC:", so a desktop listed without the feature still shows while drained).
 */
bool agent_fleet_desktop(const struct agent_fleet_node *n, const char *feature);

/*
 * The owner as the node's state and reason tell it: "absent" (offered: not drained),
 * "present" (drained by its agent for the owner: the reason says what was measured), "held"
 * (an "idleacc hold"), "unknown" (drained by idleacc-healthcheck: the agent is not answering),
 * or "-" (down, or drained by someone else: not the agent's to say).
 */
const char *agent_fleet_owner(const struct agent_node *n);

/*
 * The table of the desktops among [nodes] (all of them if [all]), one line each, then a
 * summary line. [now] (wall clock) decides how SINCE, the time of the node's reason, is shown:
 * "14:02" today, "2026-11-30" before.
 */
void agent_fleet_table(struct agent_buf *b, const struct agent_fleet_node *nodes, size_t n,
		       const char *feature, bool all, time_t now);

/* The same nodes as a JSON array of objects, one per desktop, for scripts. */
void agent_fleet_json(struct agent_buf *b, const struct agent_fleet_node *nodes, size_t n,
		      const char *feature, bool all);

#endif /* AGENT_FLEET_H */
