/* SPDX-License-Identifier: MIT */
/*
 * notify.h - desktop notifications for idleacc: one message to org.freedesktop.Notifications
 * on the session bus of the person who ran it, so that a click on the desktop entry answers
 * where there is no terminal to print to.
 */
#ifndef AGENT_NOTIFY_H
#define AGENT_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

/* The desktop entry idleacc's notifications belong to (conf/idleacc-hold.desktop). */
#define AGENT_NOTIFY_DESKTOP_ENTRY "idleacc-hold"

/* How long the notification server may take to answer (it shows the bubble first). */
#define AGENT_NOTIFY_TIMEOUT_USEC (5 * 1000000ULL)

/*
 * Shows [summary] and [body] as a desktop notification from "idleacc", at normal urgency or,
 * with [failed], critical (a refusal must not fade before it is read). The session bus is
 * $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus. Returns 1 when shown; 0 when there
 * is no session bus to show it on (a terminal or a cron job: not an error), and always 0
 * when built without libsystemd; -1 with [err] filled when the bus is there but the
 * notification failed (no notification server, or it did not answer within
 * AGENT_NOTIFY_TIMEOUT_USEC).
 */
int agent_notify(const char *summary, const char *body, bool failed, char *err, size_t errlen);

#endif /* AGENT_NOTIFY_H */
