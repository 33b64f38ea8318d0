/* SPDX-License-Identifier: MIT */
/* escape.c - control characters of an outside text written as C escapes (see escape.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "escape.h"

char *escape_text(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (!len)
		return out;
	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		char e[5];
		size_t n;

		if (c == '\n')
			n = (size_t)snprintf(e, sizeof(e), "\\n");
		else if (c == '\t')
			n = (size_t)snprintf(e, sizeof(e), "\\t");
		else if (c == '\r')
			n = (size_t)snprintf(e, sizeof(e), "\\r");
		else if (c == '\\')
			n = (size_t)snprintf(e, sizeof(e), "\\\\");
		else if (c < 0x20 || c == 0x7f)
			n = (size_t)snprintf(e, sizeof(e), "\\x%02x", c);
		else
			e[0] = (char)c, e[1] = '\0', n = 1;
		if (o + n >= len)
			break;
		memcpy(out + o, e, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}
