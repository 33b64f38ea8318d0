/* SPDX-License-Identifier: MIT */
/*
 * signame.h - the one grammar of signal names that every program speaks: idleacc.yaml's
 * warn_signal (idle/conf_value.c), --desktop-signal=SIG@SECONDS in sbatch, salloc and srun
 * (plugin/args.c), and the job-start request that carries it from the plugin to idleaccd
 * (nodeagent/dispatch.c). It has its own table, so the same names are known on every C library
 * (glibc's sigabbrev_np() appeared only in 2.32: RHEL 8 has 2.28).
 *
 *   SIG      a name of the table below, with or without "SIG", in any case ("USR1",
 *            "SIGusr1", "term"), or a decimal number 1..SIGNAME_NUM_MAX (digits only:
 *            no sign, no space, no "SIG" before a number)
 *   SECONDS  decimal digits, 0..SIGNAME_MAX_GRACE
 *
 * The canonical form of a signal is its name without "SIG" in capitals ("USR1"), or its
 * number when the table has no name for it (real-time signals): what the plugin sends and
 * what idleaccd shows.
 */
#ifndef COMMON_SIGNAME_H
#define COMMON_SIGNAME_H

#include <stddef.h>

/* The last signal number: Linux's SIGRTMAX (64 on every architecture Slurm runs on). */
#define SIGNAME_NUM_MAX 64

/* The longest grace a job may ask between its signal and the requeue: a day is longer than any
 * owner waits, and a bound keeps the number far from any overflow. */
#define SIGNAME_MAX_GRACE 86400

/* Room for any canonical signal ("VTALRM", "64") with its NUL. */
#define SIGNAME_LEN 8

/* Room for any canonical SIG@SECONDS ("VTALRM@86400") with its NUL. */
#define SIGNAME_SPEC_LEN 16

/* Why a string is not a signal (or not SIG@SECONDS): negative, so that a signal number is not. */
enum signame_error {
	SIGNAME_EMPTY = -1,    /* no signal at all ("", "@120") */
	SIGNAME_UNKNOWN = -2,  /* not a name of the table, nor digits */
	SIGNAME_RANGE = -3,    /* digits, but not 1..SIGNAME_NUM_MAX */
	SIGNAME_NO_GRACE = -4, /* a good signal with no "@SECONDS" after it */
	SIGNAME_BAD_GRACE = -5 /* "@" followed by anything but 0..SIGNAME_MAX_GRACE */
};

/*
 * The signal named by the [len] bytes at [s] (no NUL needed). Returns its number (> 0), or
 * SIGNAME_EMPTY, SIGNAME_UNKNOWN or SIGNAME_RANGE.
 */
int signame_parse(const char *s, size_t len);

/* The canonical name of signal [sig] ("USR1"), or NULL when the table has none for it. */
const char *signame_name(int sig);

/* Writes the canonical form of [sig] (its name, else its number) into [buf]; returns [buf]. */
const char *signame_format(int sig, char *buf, size_t len);

/*
 * Parses "SIG@SECONDS". Returns 0 with [*sig] and [*secs] set, or the first thing wrong in
 * reading order: SIGNAME_EMPTY, SIGNAME_UNKNOWN, SIGNAME_RANGE, SIGNAME_NO_GRACE or
 * SIGNAME_BAD_GRACE (then the outputs are unchanged).
 */
int signame_spec_parse(const char *s, int *sig, long *secs);

/* Writes the canonical "SIG@SECONDS" ("USR1@120") into [buf] (SIGNAME_SPEC_LEN is enough). */
void signame_spec_format(int sig, long secs, char *buf, size_t len);

/* The number of names in the table, and the [i]th of them (for tests and listings). */
size_t signame_count(void);
const char *signame_at(size_t i, int *sig);

#endif /* COMMON_SIGNAME_H */
