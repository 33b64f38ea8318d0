/* SPDX-License-Identifier: MIT */
/*
 * file.h - the files idleaccd keeps (the state file, the weekly profile, the metrics), read and
 * replaced as a root daemon must in directories others may reach: never through a link, never
 * blocking on a FIFO, a regular file of bounded size only; a new file made in full beside the
 * old one and renamed over it, so a reader sees the old file or the new one, never half.
 */
#ifndef IDLEACC_FILE_H
#define IDLEACC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Reads regular file [path] of at most [max] bytes into a new buffer [*buf] (NUL-terminated,
 * the caller frees it) of [*len] bytes. Returns 1 when read, 0 when there is no such file
 * (*buf NULL), -1 with "PATH: why" in [err] otherwise (a link, a FIFO or a device, larger than
 * [max], a read error).
 */
int agent_file_read(const char *path, size_t max, char **buf, size_t *len, char *err,
		    size_t errlen);

/*
 * Replaces [path] with [len] bytes of [text]: written to [path][suffix], a file made anew (one
 * left there by a crash is removed first: unlink removes a link, not its target), given [mode]
 * whatever the umask, and renamed over [path]. With [durable] the data and then the rename are
 * on the disk before it returns (fsync of the file and of its directory). Returns 0, or -1 with
 * "FILE: why" in [err] and no temporary file left.
 */
int agent_file_replace(const char *path, const char *suffix, const char *text, size_t len,
		       mode_t mode, bool durable, char *err, size_t errlen);

#endif
