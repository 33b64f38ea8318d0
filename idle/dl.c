/* SPDX-License-Identifier: MIT */
/* dl.c - libidle's loader of optional shared libraries (dlopen by SONAME, dlsym of a table). */
#include "config.h"

#include <dlfcn.h>
#include <string.h>

#include "dl.h"
#include "idle_int.h"

/* A table larger than any loader's: the pointers are gathered here first, so that a library
 * that lacks one function leaves the caller's table as it was. */
#define DL_MAX_SYMS 64

void *idle_dl_load(const char *soname, const struct idle_dl_sym *syms, size_t nsyms, void *table,
		   char *err, size_t errlen)
{
	void *found[DL_MAX_SYMS];
	const char *why;
	void *lib;
	size_t i;

	if (nsyms > DL_MAX_SYMS) {
		idle_strlcpyf(err, errlen, "cannot load %s: %zu functions, at most %d", soname,
			      nsyms, DL_MAX_SYMS);
		return NULL;
	}
	lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		why = dlerror();
		idle_strlcpyf(err, errlen, "cannot load %s: %s", soname,
			      why ? why : "dlopen failed");
		return NULL;
	}
	for (i = 0; i < nsyms; i++) {
		found[i] = dlsym(lib, syms[i].name);
		if (!found[i]) {
			idle_strlcpyf(err, errlen, "%s lacks %s", soname, syms[i].name);
			dlclose(lib);
			return NULL;
		}
	}
	/* POSIX guarantees that a function pointer survives the trip through void *. */
	for (i = 0; i < nsyms; i++)
		memcpy((char *)table + syms[i].off, &found[i], sizeof(found[i]));
	return lib;
}
