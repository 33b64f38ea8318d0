/* SPDX-License-Identifier: MIT */
/*
 * escape.h - one way to write a text from outside (a config value, a request argument) into a
 * message or a log line so that it stays on that line and cannot pose as another one.
 */
#ifndef COMMON_ESCAPE_H
#define COMMON_ESCAPE_H

#include <stddef.h>

/*
 * Copies [in] into [out] (at most [len] bytes, NUL included; nothing when [len] is 0) with
 * control characters (below 0x20, and 0x7f) written as C escapes (\n, \t, \r, \x1b) and a
 * backslash doubled, so that the copy is one line and reads back unambiguously. A text that does
 * not fit is cut before an escape, never inside one. Returns [out].
 */
char *escape_text(const char *in, char *out, size_t len);

#endif /* COMMON_ESCAPE_H */
