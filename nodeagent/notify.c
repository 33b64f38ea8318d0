/* SPDX-License-Identifier: MIT */
/* notify.c - a desktop notification through org.freedesktop.Notifications (sd-bus). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "notify.h"

#ifdef HAVE_SYSTEMD
#include "dl_systemd.h"

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"

/* The urgency hint of the Desktop Notifications Specification. */
#define URGENCY_NORMAL	 1
#define URGENCY_CRITICAL 2

/* Connect errors that mean there is no session bus here, rather than a broken one. */
static bool no_bus(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED || r == -ENOMEDIUM || r == -ENXIO ||
	       r == -ENOTDIR;
}

int agent_notify(const char *summary, const char *body, bool failed, char *err, size_t errlen)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus *bus = NULL;
	int r;

	if (idle_sd_load(err, errlen) < 0)
		return -1;
	r = idle_sd.sd_bus_open_user(&bus);
	if (r < 0) {
		if (no_bus(r))
			return 0;
		snprintf(err, errlen, "session bus: %s", strerror(-r));
		return -1;
	}
	/* Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout);
	 * an expire_timeout of -1 leaves it to the server. */
	r = idle_sd.sd_bus_message_new_method_call(bus, &m, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_NAME,
						   "Notify");
	if (r >= 0)
		r = idle_sd.sd_bus_message_append(m, "susssas", "idleacc", (uint32_t)0, "computer",
						  summary, body, 0);
	if (r >= 0)
		r = idle_sd.sd_bus_message_append(
		    m, "a{sv}", 2, "desktop-entry", "s", AGENT_NOTIFY_DESKTOP_ENTRY, "urgency", "y",
		    (uint8_t)(failed ? URGENCY_CRITICAL : URGENCY_NORMAL));
	if (r >= 0)
		r = idle_sd.sd_bus_message_append(m, "i", (int32_t)-1);
	if (r >= 0)
		r = idle_sd.sd_bus_call(bus, m, AGENT_NOTIFY_TIMEOUT_USEC, &error, &reply);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", NOTIFY_NAME,
			 error.message && *error.message ? error.message
			 : error.name			 ? error.name
							 : strerror(-r));
	idle_sd.sd_bus_error_free(&error);
	idle_sd.sd_bus_message_unref(reply);
	idle_sd.sd_bus_message_unref(m);
	idle_sd.sd_bus_flush_close_unref(bus);
	return r < 0 ? -1 : 1;
}
#else
int agent_notify(const char *summary, const char *body, bool failed, char *err, size_t errlen)
{
	(void)summary, (void)body, (void)failed, (void)err, (void)errlen;
	return 0; /* built without sd-bus: no bus to show it on */
}
#endif
