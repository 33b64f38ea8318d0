/* SPDX-License-Identifier: MIT */
/* privdrop.c - idleaccd's capabilities cut down to what its work needs (privdrop.h). */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privdrop.h"

/* The capabilities kept, and whether each stays effective (else permitted only). */
static const struct {
	int cap;
	const char *name;
	bool effective;
} keep[] = {
    {CAP_KILL, "cap_kill", true},
    {CAP_DAC_READ_SEARCH, "cap_dac_read_search", true},
    {CAP_SYS_PTRACE, "cap_sys_ptrace", false},
};

/* The kernel's capability sets of this thread, 64 bits each (two 32-bit words). */
struct capsets {
	uint64_t eff, prm, inh;
};

static int caps_get(struct capsets *c)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	c->eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	c->prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	c->inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

static int caps_set(const struct capsets *c)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2] = {
	    {(uint32_t)c->eff, (uint32_t)c->prm, (uint32_t)c->inh},
	    {(uint32_t)(c->eff >> 32), (uint32_t)(c->prm >> 32), (uint32_t)(c->inh >> 32)},
	};

	return syscall(SYS_capset, &h, d) < 0 ? -1 : 0;
}

static void append(char *buf, size_t len, const char *sep, const char *word)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s", n && sep ? sep : "", word);
}

/*
 * Drops from the bounding set every capability not in [want_prm], while CAP_SETPCAP may still
 * be effective ([c]: the capabilities held now). Those that could not be dropped (EPERM) are
 * listed by number in [bound]. Returns 0, or -1 with [err] filled.
 */
static int drop_bounding(const struct capsets *c, uint64_t want_prm, char *bound, size_t boundlen,
			 char *err, size_t errlen)
{
	int cap;

	/*
	 * Each capability the bounding set still holds and is not kept. One already out (the unit's
	 * CapabilityBoundingSet) needs no CAP_SETPCAP. The loop ends where the kernel's
	 * capabilities end (EINVAL).
	 */
	for (cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0UL, 0UL, 0UL);

		if (r < 0)
			break;
		if (r == 0 || (want_prm & UINT64_C(1) << cap))
			continue;
		/* Started without any capability (not as root): the bounding set cannot be
		 * changed, and there is nothing in it to guard; no_new_privs (agent_privdrop) keeps
		 * an exec from gaining one. */
		if (!c->prm)
			break;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0UL, 0UL, 0UL) < 0) {
			char num[16];

			/* No CAP_SETPCAP (a unit's bounding set without it, but with more than
			 * we keep): left in the bounding set, said so; no_new_privs keeps an
			 * exec from gaining it. */
			if (errno != EPERM) {
				snprintf(err, errlen,
					 "dropping capability %d from the bounding set: %s", cap,
					 strerror(errno));
				return -1;
			}
			snprintf(num, sizeof(num), "%d", cap);
			append(bound, boundlen, ",", num);
		}
	}
	return 0;
}

int agent_privdrop(char *kept, size_t keptlen, char *err, size_t errlen)
{
	struct capsets c;
	uint64_t want_prm = 0, want_eff = 0;
	char eff[128] = "", prm[128] = "", missing[128] = "", bound[128] = "";
	size_t i;

	if (caps_get(&c) < 0) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		uint64_t bit = UINT64_C(1) << keep[i].cap;

		if (!(c.prm & bit)) {
			append(missing, sizeof(missing), ",", keep[i].name);
			continue;
		}
		want_prm |= bit;
		if (keep[i].effective) {
			want_eff |= bit;
			append(eff, sizeof(eff), ",", keep[i].name);
		} else {
			append(prm, sizeof(prm), ",", keep[i].name);
		}
	}
	/* The bounding set first, while CAP_SETPCAP may still be effective. */
	if (drop_bounding(&c, want_prm, bound, sizeof(bound), err, errlen) < 0)
		return -1;
	/* Ambient capabilities would survive an exec: none (EINVAL on kernels before 4.3). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "clearing the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	c.eff = want_eff;
	c.prm = want_prm;
	c.inh = 0;
	if (caps_set(&c) < 0) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	snprintf(kept, keptlen, "effective %s", eff[0] ? eff : "none");
	if (prm[0]) {
		append(kept, keptlen, NULL, "; permitted also ");
		append(kept, keptlen, NULL, prm);
	}
	if (missing[0]) {
		append(kept, keptlen, NULL, "; not held, so not kept: ");
		append(kept, keptlen, NULL, missing);
	}
	if (bound[0]) {
		append(kept, keptlen, NULL, "; left in the bounding set (no cap_setpcap): ");
		append(kept, keptlen, NULL, bound);
	}
	return 0;
}

int agent_priv_raise(int cap)
{
	struct capsets c;
	uint64_t bit = UINT64_C(1) << cap;

	if (caps_get(&c) < 0 || !(c.prm & bit))
		return -1;
	if (c.eff & bit)
		return 0;
	c.eff |= bit;
	return caps_set(&c) < 0 ? -1 : 1;
}

void agent_priv_lower(int cap)
{
	struct capsets c;
	uint64_t bit = UINT64_C(1) << cap;

	if (caps_get(&c) < 0 || !(c.eff & bit))
		return;
	c.eff &= ~bit;
	(void)caps_set(&c);
}
