/* SPDX-License-Identifier: MIT */
/*
 * console.h - who is the person at the console: the one user besides root whom idleaccd lets
 * hold and release the desktop, decided the way the desktop decides it, through logind.
 */
#ifndef AGENT_CONSOLE_H
#define AGENT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "idle.h"

/*
 * True if [uid] counts as the person at the console:
 *   - root, always;
 *   - where logind runs: the user of seat0's active session, if that session is of class
 *     "user" and not remote (an X11, Wayland or text login at the machine's own screen);
 *   - where it does not (no bus, nobody owns org.freedesktop.login1, or idleaccd built
 *     without libsystemd): a user with a live local utmp entry, one whose process exists and
 *     whose host is empty or an X display of this machine (":0").
 * logind is asked at [src]->logind_bus (sources.logind bus) when set, else on the system bus;
 * utmp is [src]->utmp_file (sources.tty utmp). [root] prefixes the system paths read (NULL
 * for the real system, a fixture tree in tests). A logind that runs but fails to answer
 * refuses: the right is never granted on doubt. Each call to logind waits at most
 * IDLE_LOGIND_CALL_TIMEOUT_USEC, and there are at most two.
 * [why] gets one line for the log saying what decided: "logind: session 3 (x11) is the active
 * session on seat0", "utmp (no logind): no live local login of uid 1000".
 */
bool agent_console_user(const struct idle_sources *src, const char *root, uid_t uid, char *why,
			size_t whylen);

#endif /* AGENT_CONSOLE_H */
