/* SPDX-License-Identifier: MIT */
/* dl_systemd.c - libsystemd's sd-bus functions, loaded on first use (dl_systemd.h). */
#include "config.h"

#include <stdbool.h>

#include "dl.h"
#include "dl_systemd.h"

struct idle_sd_table idle_sd;
const char *idle_sd_soname = IDLE_SD_SONAME;

/* The dlopen() handle, NULL until a load succeeds; never closed (see the header). */
static void *sd_lib;

int idle_sd_load(char *err, size_t errlen)
{
	static const struct idle_dl_sym syms[] = {
#define IDLE_SD_SYM(f) {#f, offsetof(struct idle_sd_table, f)},
	    IDLE_SD_FUNCTIONS(IDLE_SD_SYM)
#undef IDLE_SD_SYM
	};

	if (!sd_lib)
		sd_lib = idle_dl_load(idle_sd_soname, syms, sizeof(syms) / sizeof(syms[0]),
				      &idle_sd, err, errlen);
	return sd_lib ? 0 : -1;
}
