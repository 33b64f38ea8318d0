/* SPDX-License-Identifier: MIT */
/* signame.c - signal names and numbers, and SIG@SECONDS, in one grammar (see signame.h). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "signame.h"

/* The names kill -l prints on Linux, one per number, without "SIG". */
static const struct {
	const char *name;
	int sig;
} table[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},	  {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT},	  {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL},	   {"USR1", SIGUSR1},	  {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},	   {"ALRM", SIGALRM},	  {"TERM", SIGTERM},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
    {"CHLD", SIGCHLD},	   {"CONT", SIGCONT},	  {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},	   {"TTOU", SIGTTOU},	  {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},	   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},
#ifdef SIGPWR
    {"PWR", SIGPWR},
#endif
    {"SYS", SIGSYS},
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

/*
 * The value of the [len] decimal digits at [s], or -1 if they are not all digits or the value
 * exceeds [max]. Any number of leading zeros is allowed; the value never overflows, since
 * reading stops as soon as it passes [max].
 */
static long digits(const char *s, size_t len, long max)
{
	long v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	return v;
}

int signame_parse(const char *s, size_t len)
{
	size_t i;
	long v;

	if (!len)
		return SIGNAME_EMPTY;
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == len) {
		v = digits(s, len, SIGNAME_NUM_MAX);
		return v >= 1 ? (int)v : SIGNAME_RANGE;
	}
	if (len > 3 && !strncasecmp(s, "SIG", 3)) {
		s += 3;
		len -= 3;
	}
	for (i = 0; i < TABLE_LEN; i++)
		if (strlen(table[i].name) == len && !strncasecmp(s, table[i].name, len))
			return table[i].sig;
	return SIGNAME_UNKNOWN;
}

const char *signame_name(int sig)
{
	size_t i;

	for (i = 0; i < TABLE_LEN; i++)
		if (table[i].sig == sig)
			return table[i].name;
	return NULL;
}

const char *signame_format(int sig, char *buf, size_t len)
{
	const char *n = signame_name(sig);

	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "%d", sig);
	return buf;
}

int signame_spec_parse(const char *s, int *sig, long *secs)
{
	const char *at = strchr(s, '@');
	int n = signame_parse(s, at ? (size_t)(at - s) : strlen(s));
	long v;

	if (n < 0)
		return n;
	if (!at)
		return SIGNAME_NO_GRACE;
	v = digits(at + 1, strlen(at + 1), SIGNAME_MAX_GRACE);
	if (v < 0)
		return SIGNAME_BAD_GRACE;
	*sig = n;
	*secs = v;
	return 0;
}

void signame_spec_format(int sig, long secs, char *buf, size_t len)
{
	char name[SIGNAME_LEN];

	snprintf(buf, len, "%s@%ld", signame_format(sig, name, sizeof(name)), secs);
}

size_t signame_count(void)
{
	return TABLE_LEN;
}

const char *signame_at(size_t i, int *sig)
{
	if (i >= TABLE_LEN)
		return NULL;
	*sig = table[i].sig;
	return table[i].name;
}
