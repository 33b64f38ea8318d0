/* SPDX-License-Identifier: MIT */
/* dl_x11.c - the X11 source's functions of libX11, libXext and libXss, loaded on first use. */
#include "config.h"

#include "dl.h"
#include "dl_x11.h"

struct idle_x11_table idle_x11;
const char *idle_x11_sonames[3] = {IDLE_X11_SONAME, IDLE_XEXT_SONAME, IDLE_XSS_SONAME};

#define IDLE_X11_SYM(f) {#f, offsetof(struct idle_x11_table, f)},
static const struct idle_dl_sym x11_syms[] = {IDLE_X11_FUNCTIONS(IDLE_X11_SYM)};
static const struct idle_dl_sym xext_syms[] = {IDLE_XEXT_FUNCTIONS(IDLE_X11_SYM)};
static const struct idle_dl_sym xss_syms[] = {IDLE_XSS_FUNCTIONS(IDLE_X11_SYM)};
#undef IDLE_X11_SYM

/* Each library's functions, in the order of idle_x11_sonames. */
static const struct {
	const struct idle_dl_sym *syms;
	size_t n;
} libs[3] = {
    {x11_syms, sizeof(x11_syms) / sizeof(x11_syms[0])},
    {xext_syms, sizeof(xext_syms) / sizeof(xext_syms[0])},
    {xss_syms, sizeof(xss_syms) / sizeof(xss_syms[0])},
};

/* The dlopen() handles, NULL until that library is loaded; never closed (see the header). */
static void *handles[3];

int idle_x11_load(char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!handles[i])
			handles[i] = idle_dl_load(idle_x11_sonames[i], libs[i].syms, libs[i].n,
						  &idle_x11, err, errlen);
		if (!handles[i])
			return -1;
	}
	return 0;
}
