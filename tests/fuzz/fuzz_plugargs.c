/* SPDX-License-Identifier: MIT */
/*
 * fuzz_plugargs.c - libFuzzer harness of the SPANK plugin's argument parsers (plugin/args.c):
 * the input is a plugstack.conf line's arguments, one per line (as slurmd splits them on
 * blanks, but any byte but NUL and newline may be in one), parsed as the plugin's init parses
 * them; each argument is also parsed as a --desktop-signal value, and a good one must format
 * back to a value that parses to the same signal and grace.
 */
#include "config.h"

#include "fuzz.h"
#include "idleacc.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *av[MAX_ARGS], *p, err[2048], fmt[64];
	struct idleacc_conf c;
	int ac = 0, i;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (p = text; ac < MAX_ARGS;) {
		char *nl = strchr(p, '\n');

		av[ac++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	(void)idleacc_conf_parse(&c, ac, av, err, sizeof(err));
	for (i = 0; i < ac; i++) {
		struct idleacc_signal s, back;

		if (idleacc_signal_parse(av[i], &s, err, sizeof(err)) < 0)
			continue;
		idleacc_signal_format(&s, fmt, sizeof(fmt));
		if (idleacc_signal_parse(fmt, &back, err, sizeof(err)) < 0 ||
		    back.signo != s.signo || back.secs != s.secs) {
			fprintf(stderr, "fuzz_plugargs: \"%s\" formats as \"%s\", which differs\n",
				av[i], fmt);
			abort();
		}
	}
	free(text);
	return 0;
}
