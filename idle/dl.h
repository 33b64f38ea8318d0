/* SPDX-License-Identifier: MIT */
/*
 * dl.h - libidle's loader of optional shared libraries: dlopen() by SONAME and dlsym() of a
 * table of function pointers, in one place, for the loaders of libsystemd (dl_systemd.c) and
 * the X11 libraries (dl_x11.c).
 */
#ifndef IDLE_DL_H
#define IDLE_DL_H

#include <stddef.h>

/* One function of a table: its name in the library and where its pointer goes in the table. */
struct idle_dl_sym {
	const char *name; /* the symbol, e.g. "sd_bus_call" */
	size_t off;	  /* offsetof() its pointer in the caller's table */
};

/*
 * Opens the library [soname] (RTLD_NOW | RTLD_LOCAL) and fills [table] with its [nsyms]
 * functions [syms]. Returns the dlopen() handle, or NULL with [err] filled and [table]
 * untouched: "cannot load SONAME: <dlerror>" when the library is missing or will not load,
 * "SONAME lacks NAME" when it is too old to have a function. Never logs.
 */
void *idle_dl_load(const char *soname, const struct idle_dl_sym *syms, size_t nsyms, void *table,
		   char *err, size_t errlen);

#endif /* IDLE_DL_H */
