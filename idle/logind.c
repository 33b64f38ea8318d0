/* SPDX-License-Identifier: MIT */
/* logind.c - libidle's client of systemd-logind: the bus address, calls, and properties. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idle_int.h"
#include "logind.h"

/* The system bus socket, placed under the root prefix when there is one. */
#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"

/*
 * Writes "unix:path=ROOT/run/dbus/system_bus_socket" with the D-Bus escaping of values: bytes
 * outside [-0-9A-Za-z_/.\*] become %XX. Returns 0, or -1 if it does not fit.
 */
static int system_bus_address(char *buf, size_t len, const char *root)
{
	static const char hex[] = "0123456789abcdef";
	char path[PATH_MAX];
	size_t off;
	const char *p;

	if (!idle_path(path, sizeof(path), root, SYSTEM_BUS_SOCKET))
		return -1;
	off = (size_t)snprintf(buf, len, "unix:path=");
	for (p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z') || strchr("-_/.\\*", c);

		if (off + (plain ? 1 : 3) >= len)
			return -1;
		if (plain) {
			buf[off++] = (char)c;
		} else {
			buf[off++] = '%';
			buf[off++] = hex[c >> 4];
			buf[off++] = hex[c & 15];
		}
	}
	buf[off] = '\0';
	return 0;
}

void idle_logind_address(char *buf, size_t len, const char *configured, const char *root)
{
	if (configured && *configured)
		idle_strlcpyf(buf, len, "%s", configured);
	else if (!root || !*root)
		idle_strlcpyf(buf, len, "%s", "");
	else if (system_bus_address(buf, len, root) < 0)
		idle_strlcpyf(buf, len, "unix:path=/nonexistent");
}

int idle_logind_connect(const char *address, sd_bus **bus)
{
	sd_bus *b = NULL;
	int r;

	*bus = NULL;
	if (!address[0])
		return idle_sd.sd_bus_open_system(bus);
	r = idle_sd.sd_bus_new(&b);
	if (r < 0)
		return r;
	r = idle_sd.sd_bus_set_address(b, address);
	if (r >= 0)
		r = idle_sd.sd_bus_set_bus_client(b, 1);
	if (r >= 0)
		r = idle_sd.sd_bus_start(b);
	if (r < 0) {
		idle_sd.sd_bus_unref(b);
		return r;
	}
	*bus = b;
	return 0;
}

void idle_logind_disconnect(sd_bus **bus)
{
	if (*bus) {
		idle_sd.sd_bus_close(*bus);
		idle_sd.sd_bus_unref(*bus);
		*bus = NULL;
	}
}

int idle_logind_call(sd_bus *bus, const char *path, const char *iface, const char *method,
		     const char *arg, sd_bus_error *error, sd_bus_message **reply)
{
	sd_bus_message *m = NULL;
	int r;

	r = idle_sd.sd_bus_message_new_method_call(bus, &m, IDLE_LOGIND_NAME, path, iface, method);
	if (r >= 0 && arg)
		r = idle_sd.sd_bus_message_append(m, "s", arg);
	if (r >= 0)
		r = idle_sd.sd_bus_call(bus, m, IDLE_LOGIND_CALL_TIMEOUT_USEC, error, reply);
	idle_sd.sd_bus_message_unref(m);
	return r;
}

bool idle_logind_no_system_bus(const char *bus, const char *root)
{
	char path[PATH_MAX];
	struct stat st;

	/* the real system bus may be elsewhere ($DBUS_SYSTEM_BUS_ADDRESS): connect to learn */
	if ((bus && bus[0]) || !root || !root[0])
		return false;
	if (!idle_path(path, sizeof(path), root, SYSTEM_BUS_SOCKET))
		return false;
	return stat(path, &st) < 0 && errno == ENOENT;
}

bool idle_logind_bus_missing(const char *address)
{
	const char *path = SYSTEM_BUS_SOCKET;
	struct stat st;

	if (!address[0] && getenv("DBUS_SYSTEM_BUS_ADDRESS"))
		return false;
	if (address[0]) {
		/* only a lone unix:path= whose value needs no unescaping is judged here */
		if (strncmp(address, "unix:path=", 10) || strpbrk(address + 10, "%,;"))
			return false;
		path = address + 10;
	}
	return stat(path, &st) < 0 && errno == ENOENT;
}

bool idle_logind_absent(const sd_bus_error *error)
{
	return idle_sd.sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
	       idle_sd.sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

bool idle_logind_gone(const sd_bus_error *error)
{
	return idle_sd.sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
	       idle_sd.sd_bus_error_has_name(error, IDLE_LOGIND_NAME ".NoSuchSession");
}

bool idle_logind_lost(int r)
{
	return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ESHUTDOWN;
}

const char *idle_logind_error(const sd_bus_error *error, int r)
{
	if (error->message && *error->message)
		return error->message;
	if (error->name && *error->name)
		return error->name;
	return strerror(-r);
}

/* Reads one property value (the "v" of an "{sv}") we care about into [s]. */
static int read_property(sd_bus_message *reply, const char *name, struct idle_logind_session *s)
{
	const char *str, *opath;
	int r;

	if (!strcmp(name, "IdleHint")) {
		r = idle_sd.sd_bus_message_read(reply, "v", "b", &s->idle);
		s->seen |= IDLE_LOGIND_SEEN_IDLE;
	} else if (!strcmp(name, "IdleSinceHint")) {
		r = idle_sd.sd_bus_message_read(reply, "v", "t", &s->idle_since_us);
		s->seen |= IDLE_LOGIND_SEEN_IDLE_SINCE;
	} else if (!strcmp(name, "LockedHint")) {
		r = idle_sd.sd_bus_message_read(reply, "v", "b", &s->locked);
	} else if (!strcmp(name, "Remote")) {
		r = idle_sd.sd_bus_message_read(reply, "v", "b", &s->remote);
		s->seen |= IDLE_LOGIND_SEEN_REMOTE;
	} else if (!strcmp(name, "Active")) {
		r = idle_sd.sd_bus_message_read(reply, "v", "b", &s->active);
		s->seen |= IDLE_LOGIND_SEEN_ACTIVE;
	} else if (!strcmp(name, "User")) {
		r = idle_sd.sd_bus_message_read(reply, "v", "(uo)", &s->uid, &opath);
		s->seen |= IDLE_LOGIND_SEEN_USER;
	} else if (!strcmp(name, "Seat")) {
		r = idle_sd.sd_bus_message_read(reply, "v", "(so)", &str, &opath);
		if (r >= 0)
			idle_strlcpyf(s->seat, sizeof(s->seat), "%s", str);
		s->seen |= IDLE_LOGIND_SEEN_SEAT;
	} else if (!strcmp(name, "Class") || !strcmp(name, "Type")) {
		bool class = name[0] == 'C';

		r = idle_sd.sd_bus_message_read(reply, "v", "s", &str);
		if (r >= 0 && class)
			idle_strlcpyf(s->class, sizeof(s->class), "%s", str);
		else if (r >= 0)
			idle_strlcpyf(s->type, sizeof(s->type), "%s", str);
		s->seen |= class ? IDLE_LOGIND_SEEN_CLASS : IDLE_LOGIND_SEEN_TYPE;
	} else {
		r = idle_sd.sd_bus_message_skip(reply, "v");
	}
	return r;
}

int idle_logind_parse_session(sd_bus_message *reply, struct idle_logind_session *s)
{
	const char *name;
	int r;

	memset(s, 0, sizeof(*s));
	r = idle_sd.sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = idle_sd.sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = idle_sd.sd_bus_message_read(reply, "s", &name);
		if (r >= 0)
			r = read_property(reply, name, s);
		if (r >= 0)
			r = idle_sd.sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return idle_sd.sd_bus_message_exit_container(reply);
}

int idle_logind_parse_seat(sd_bus_message *reply, char *id, size_t idlen, char *path,
			   size_t pathlen)
{
	const char *name, *sid, *spath;
	int r, found = 0;

	id[0] = path[0] = '\0';
	r = idle_sd.sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = idle_sd.sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = idle_sd.sd_bus_message_read(reply, "s", &name);
		if (r >= 0 && !strcmp(name, "ActiveSession")) {
			r = idle_sd.sd_bus_message_read(reply, "v", "(so)", &sid, &spath);
			if (r >= 0) {
				idle_strlcpyf(id, idlen, "%s", sid);
				idle_strlcpyf(path, pathlen, "%s", spath);
				found = 1;
			}
		} else if (r >= 0) {
			r = idle_sd.sd_bus_message_skip(reply, "v");
		}
		if (r >= 0)
			r = idle_sd.sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r >= 0)
		r = idle_sd.sd_bus_message_exit_container(reply);
	return r < 0 ? r : found;
}

bool idle_logind_user_class(const char *class)
{
	return !strcmp(class, "user") || !strncmp(class, "user-", 5);
}
