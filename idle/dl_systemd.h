/* SPDX-License-Identifier: MIT */
/*
 * dl_systemd.h - libsystemd, loaded at run time: the table of the sd-bus functions that
 * libidle's logind client (logind.c, src_logind.c) and idleaccd's and idleacc's users of logind
 * and the session bus (console.c, shutdown.c, notify.c) call. Built only where configure found
 * libsystemd's headers (HAVE_SYSTEMD); no program links libsystemd.
 *
 * Why at run time: libsystemd and what it pulls in (libgcrypt, liblz4, libzstd, liblzma,
 * libcap) hold about 140 KiB of relocated data in every process that loads them, more than
 * any other part of idleaccd but libslurm, and most desktops that need it also run it
 * anyway. A desktop whose configuration names no logind source and which has no system bus
 * never loads it. As systemd does for its own optional libraries: dlopen() by SONAME, dlsym()
 * of one table, the header's prototypes for its types.
 */
#ifndef IDLE_DL_SYSTEMD_H
#define IDLE_DL_SYSTEMD_H

#include <stddef.h>

#include <systemd/sd-bus.h>

/* libsystemd's SONAME: unchanged since libsystemd was made (systemd 209). */
#define IDLE_SD_SONAME "libsystemd.so.0"

/* Every libsystemd function called anywhere in this project, in one list. */
#define IDLE_SD_FUNCTIONS(X)                                                                       \
	X(sd_bus_add_match)                                                                        \
	X(sd_bus_call)                                                                             \
	X(sd_bus_close)                                                                            \
	X(sd_bus_error_free)                                                                       \
	X(sd_bus_error_has_name)                                                                   \
	X(sd_bus_flush_close_unref)                                                                \
	X(sd_bus_get_events)                                                                       \
	X(sd_bus_get_fd)                                                                           \
	X(sd_bus_get_property_trivial)                                                             \
	X(sd_bus_message_append)                                                                   \
	X(sd_bus_message_enter_container)                                                          \
	X(sd_bus_message_exit_container)                                                           \
	X(sd_bus_message_new_method_call)                                                          \
	X(sd_bus_message_read)                                                                     \
	X(sd_bus_message_skip)                                                                     \
	X(sd_bus_message_unref)                                                                    \
	X(sd_bus_new)                                                                              \
	X(sd_bus_open_system)                                                                      \
	X(sd_bus_open_user)                                                                        \
	X(sd_bus_process)                                                                          \
	X(sd_bus_set_address)                                                                      \
	X(sd_bus_set_bus_client)                                                                   \
	X(sd_bus_start)                                                                            \
	X(sd_bus_unref)

/* The loaded functions: each field points at libsystemd's function of the same name, with its
 * prototype from <systemd/sd-bus.h>. Valid once idle_sd_load() has returned 0. */
struct idle_sd_table {
#define IDLE_SD_POINTER(f) __typeof__(f) *f;
	IDLE_SD_FUNCTIONS(IDLE_SD_POINTER)
#undef IDLE_SD_POINTER
};

/* The table every caller goes through: idle_sd.sd_bus_call(...). */
extern struct idle_sd_table idle_sd;

/*
 * Test hook: the SONAME idle_sd_load() opens, IDLE_SD_SONAME. A unit test points it at a
 * library that does not exist to see what a desktop without libsystemd reports; nothing else
 * sets it (no environment variable or setting reaches it).
 */
extern const char *idle_sd_soname;

/*
 * Loads libsystemd and fills idle_sd, once: later calls return 0 at once. Returns 0, or -1 with
 * [err] filled ("cannot load libsystemd.so.0: ..."); a failed load is tried again at the next
 * call, so a library installed meanwhile is found. The library stays loaded until the process
 * exits. Call it from one thread at a time (the callers' main loop); the table may then be
 * read from any thread.
 */
int idle_sd_load(char *err, size_t errlen);

#endif /* IDLE_DL_SYSTEMD_H */
