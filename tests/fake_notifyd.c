/* SPDX-License-Identifier: MIT */
/*
 * fake_notifyd.c - a stand-in desktop notification server for the tests of idleacc --notify:
 * owns org.freedesktop.Notifications on a session bus and writes every Notify call it gets
 * to a log, one line each, with its fields separated by tabs:
 *
 *   APP_NAME  SUMMARY  BODY  urgency=N  desktop-entry=NAME
 *
 * (urgency and desktop-entry are the hints, "-" when the call has none).
 *
 * Usage: fake_notifyd [-a ADDRESS] LOG
 * Connects to ADDRESS (default $DBUS_SESSION_BUS_ADDRESS), takes the name, prints "READY" on
 * stdout and serves until the bus goes away.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

static FILE *logf_;	 /* the log, line-buffered */
static uint32_t next_id; /* the id of the last notification shown */

/* Reads the hints a{sv}: urgency (y) and desktop-entry (s); others are skipped. */
static int read_hints(sd_bus_message *m, char *urgency, size_t ulen, char *entry, size_t elen)
{
	const char *key, *str;
	uint8_t u;
	int r;

	snprintf(urgency, ulen, "-");
	snprintf(entry, elen, "-");
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0 && !strcmp(key, "urgency")) {
			r = sd_bus_message_read(m, "v", "y", &u);
			if (r >= 0)
				snprintf(urgency, ulen, "%u", (unsigned)u);
		} else if (r >= 0 && !strcmp(key, "desktop-entry")) {
			r = sd_bus_message_read(m, "v", "s", &str);
			if (r >= 0)
				snprintf(entry, elen, "%s", str);
		} else if (r >= 0) {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int notify(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *app, *icon, *summary, *body;
	char urgency[8], entry[128];
	uint32_t replaces;
	int32_t expire;
	int r;

	(void)userdata, (void)error;
	r = sd_bus_message_read(m, "susss", &app, &replaces, &icon, &summary, &body);
	if (r >= 0)
		r = sd_bus_message_skip(m, "as");
	if (r >= 0)
		r = read_hints(m, urgency, sizeof(urgency), entry, sizeof(entry));
	if (r >= 0)
		r = sd_bus_message_read(m, "i", &expire);
	if (r < 0)
		return r;
	fprintf(logf_, "%s\t%s\t%s\turgency=%s\tdesktop-entry=%s\n", app, summary, body, urgency,
		entry);
	return sd_bus_reply_method_return(m, "u", ++next_id);
}

/* Unprivileged: the test runs the server as root and idleacc as the people at the desk, and
 * sd-bus refuses calls from other users to a root service's methods without the flag. */
static const sd_bus_vtable vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", notify, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
	const char *address = getenv("DBUS_SESSION_BUS_ADDRESS"), *log;
	sd_bus *bus = NULL;
	int r;

	if (argc == 4 && !strcmp(argv[1], "-a")) {
		address = argv[2];
		log = argv[3];
	} else if (argc == 2 && argv[1][0] != '-') {
		log = argv[1];
	} else {
		fprintf(stderr, "usage: fake_notifyd [-a ADDRESS] LOG\n");
		return 2;
	}
	if (!address || !*address) {
		fprintf(stderr, "fake_notifyd: no bus address (-a or DBUS_SESSION_BUS_ADDRESS)\n");
		return 1;
	}
	logf_ = fopen(log, "a");
	if (!logf_) {
		fprintf(stderr, "fake_notifyd: %s: %s\n", log, strerror(errno));
		return 1;
	}
	setvbuf(logf_, NULL, _IOLBF, 0);

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/Notifications",
					     "org.freedesktop.Notifications", vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.Notifications", 0);
	if (r < 0) {
		fprintf(stderr, "fake_notifyd: %s: %s\n", address, strerror(-r));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);

	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r > 0)
			continue;
		if (r >= 0)
			r = sd_bus_wait(bus, UINT64_MAX);
		if (r < 0 && r != -EINTR)
			break;
	}
	/* The bus went away: that is how a test stops us. */
	sd_bus_unref(bus);
	fclose(logf_);
	return 0;
}
