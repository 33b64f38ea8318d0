/* SPDX-License-Identifier: MIT */
/* src_power.c - the power source: mains or battery, from /sys/class/power_supply. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "idle_int.h"

/*
 * Every entry of /sys/class/power_supply has a type. "Mains" is the AC adapter; "Battery" a
 * battery, with its charge (capacity, %) and status. The machine is on battery only when a
 * battery discharges and no mains supply is online: a battery that charges, is full or "Not
 * charging" is fed from somewhere (often a USB-C charger that shows no Mains entry).
 *
 * Ignored: entries with scope "Device" (the batteries of wireless mice and keyboards, which
 * discharge on every desktop), UPSes (the desktop's own UPS says nothing about its owner) and
 * the other types (USB ports). A machine with none of the rest is a desktop: NONE.
 */

#define PS_DIR "/sys/class/power_supply"

/* The power source's state: only where to read from. */
struct power_state {
	struct idle_rooted base; /* the root prefix */
};

/*
 * Reads the one-line attribute [attr] of supply [name] into [buf] without its newline.
 * Returns 0, or -1 with errno set.
 */
static int read_attr(const char *root, const char *name, const char *attr, char *buf, size_t len)
{
	char rel[PATH_MAX];

	if (snprintf(rel, sizeof(rel), PS_DIR "/%s/%s", name, attr) >= (int)sizeof(rel)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (idle_read_file(root, rel, buf, len) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int power_open(void **state, const struct idle_sources *conf, const char *root,
		      int64_t now_ms, char *err, size_t errlen)
{
	(void)conf, (void)now_ms;
	return idle_rooted_open(state, sizeof(struct power_state), root, err, errlen);
}

static void power_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
			 struct idle_snapshot *snap)
{
	struct power_state *st = state;
	int mains = 0, mains_online = 0, batteries = 0, discharging = 0, ncap = 0, capsum = 0;
	char path[PATH_MAX], val[64];
	struct dirent *de;
	DIR *d;

	(void)now_ms, (void)sh;
	snap->on_ac = true;
	snap->battery_pct = -1;
	if (!st) {
		idle_unknown(snap, IDLE_SRC_POWER, "power source not open");
		return;
	}
	if (!idle_path(path, sizeof(path), st->base.root, PS_DIR)) {
		idle_unknown(snap, IDLE_SRC_POWER, "cannot open " PS_DIR ": path too long");
		return;
	}
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT) {
			snap->status[IDLE_SRC_POWER] = IDLE_ST_NONE;
			return;
		}
		idle_unknown(snap, IDLE_SRC_POWER, "cannot open " PS_DIR ": %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		bool battery;

		if (n[0] == '.')
			continue;
		/* An entry without a readable type is gone or not a supply. */
		if (read_attr(st->base.root, n, "type", val, sizeof(val)) < 0)
			continue;
		battery = !strcmp(val, "Battery");
		if (!battery && strcmp(val, "Mains") != 0)
			continue;
		if (read_attr(st->base.root, n, "scope", val, sizeof(val)) == 0 &&
		    !strcmp(val, "Device"))
			continue;
		if (read_attr(st->base.root, n, battery ? "status" : "online", val, sizeof(val)) <
		    0) {
			idle_unknown(snap, IDLE_SRC_POWER, "cannot read " PS_DIR "/%s/%s: %s", n,
				     battery ? "status" : "online", strerror(errno));
			closedir(d);
			return;
		}
		if (!battery) {
			mains++;
			mains_online += !strcmp(val, "1");
			continue;
		}
		batteries++;
		discharging += !strcmp(val, "Discharging");
		/* A battery without a charge reading still tells whether it discharges. */
		if (read_attr(st->base.root, n, "capacity", val, sizeof(val)) == 0) {
			char *end;
			long c = strtol(val, &end, 10);

			if (end != val && c >= 0 && c <= 100) {
				capsum += (int)c;
				ncap++;
			}
		}
	}
	closedir(d);
	if (!mains && !batteries) {
		snap->status[IDLE_SRC_POWER] = IDLE_ST_NONE;
		return;
	}
	snap->status[IDLE_SRC_POWER] = IDLE_ST_OK;
	snap->on_ac = mains_online > 0 || discharging == 0;
	snap->battery_pct = ncap ? (capsum + ncap / 2) / ncap : -1;
}

const struct idle_source_ops idle_src_power = {
    .id = IDLE_SRC_POWER,
    .open = power_open,
    .sample = power_sample,
    .close = idle_rooted_close,
};
