/* SPDX-License-Identifier: MIT */
/*
 * dl_x11.h - libX11, libXext (SYNC) and libXss (MIT-SCREEN-SAVER), loaded at run time: the
 * table of the functions the X11 source (src_x11.c) calls. Built only where configure found
 * their headers (HAVE_X11); no program links them.
 *
 * Why at run time: the three and what libX11 pulls in (libxcb, libXau, libXdmcp, libbsd, libmd)
 * hold about 100 KiB of relocated data in every process that loads them, a fifth of
 * idleaccd's private memory, on desktops that have no X server (Wayland, or none) as much as
 * on those that have one. They are loaded when an x11 source opens, as systemd loads its own
 * optional libraries: dlopen() by SONAME, dlsym() of one table, the headers' prototypes for
 * its types.
 */
#ifndef IDLE_DL_X11_H
#define IDLE_DL_X11_H

#include <stddef.h>

#include <X11/Xlib.h>
#include <X11/extensions/scrnsaver.h>
#include <X11/extensions/sync.h>

/* The SONAMEs, unchanged since X11R6 (libX11, libXext) and libXss 1.0. */
#define IDLE_X11_SONAME	 "libX11.so.6"
#define IDLE_XEXT_SONAME "libXext.so.6"
#define IDLE_XSS_SONAME	 "libXss.so.1"

/* The functions of each library that src_x11.c calls. XSyncValue's arithmetic is done with
 * syncconst.h's macros (_XSyncIntToValue ...): plain struct fields, nothing to load. */
#define IDLE_X11_FUNCTIONS(X)                                                                      \
	X(XCloseDisplay)                                                                           \
	X(XFree)                                                                                   \
	X(XNextEvent)                                                                              \
	X(XOpenDisplay)                                                                            \
	X(XPending)                                                                                \
	X(XSetErrorHandler)                                                                        \
	X(XSetIOErrorExitHandler)                                                                  \
	X(XSetIOErrorHandler)
#define IDLE_XEXT_FUNCTIONS(X)                                                                     \
	X(XSyncChangeAlarm)                                                                        \
	X(XSyncCreateAlarm)                                                                        \
	X(XSyncFreeSystemCounterList)                                                              \
	X(XSyncInitialize)                                                                         \
	X(XSyncListSystemCounters)                                                                 \
	X(XSyncQueryCounter)                                                                       \
	X(XSyncQueryExtension)
#define IDLE_XSS_FUNCTIONS(X)                                                                      \
	X(XScreenSaverAllocInfo)                                                                   \
	X(XScreenSaverQueryExtension)                                                              \
	X(XScreenSaverQueryInfo)

/* The loaded functions: each field points at the function of the same name, with its prototype
 * from the X headers. Valid once idle_x11_load() has returned 0. */
struct idle_x11_table {
#define IDLE_X11_POINTER(f) __typeof__(f) *f;
	IDLE_X11_FUNCTIONS(IDLE_X11_POINTER)
	IDLE_XEXT_FUNCTIONS(IDLE_X11_POINTER)
	IDLE_XSS_FUNCTIONS(IDLE_X11_POINTER)
#undef IDLE_X11_POINTER
};

/* The table src_x11.c goes through: idle_x11.XOpenDisplay(...). */
extern struct idle_x11_table idle_x11;

/*
 * Test hook: the SONAMEs idle_x11_load() opens, in the order X11, Xext, Xss (the IDLE_*_SONAME
 * above). A unit test points one at a library that does not exist to see what a desktop
 * without it reports; nothing else sets them (no environment variable or setting reaches them).
 */
extern const char *idle_x11_sonames[3];

/*
 * Loads the three libraries and fills idle_x11, once: later calls return 0 at once. Returns 0,
 * or -1 with [err] filled ("cannot load libXss.so.1: ..."); a failed load is tried again at the
 * next call. The libraries stay loaded until the process exits (libX11 keeps process-wide
 * handlers and locks). Call it from one thread at a time; the table may then be read from any.
 */
int idle_x11_load(char *err, size_t errlen);

#endif /* IDLE_DL_X11_H */
