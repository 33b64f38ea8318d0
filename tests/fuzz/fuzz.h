/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz/ share: a private temporary directory
 * made once per process, and writing an input into a file there, so that a parser that reads
 * a path is fed the fuzzer's bytes exactly as a bad file on a desktop would be.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Dies with [what] and errno: a harness that cannot set up proves nothing. */
static inline void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
	abort();
}

static int fuzz_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static char fuzz_dir_path[128];

/* Removes [path] and everything under it; a missing one is no error. */
static inline void fuzz_rm_tree(const char *path)
{
	nftw(path, fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_rm_dir(void)
{
	if (fuzz_dir_path[0])
		fuzz_rm_tree(fuzz_dir_path);
}

/*
 * The process's own directory under $TMPDIR (or /tmp), made on the first call and removed at
 * exit. Never NULL: dies when it cannot be made.
 */
static inline const char *fuzz_dir(void)
{
	const char *t = getenv("TMPDIR");

	if (fuzz_dir_path[0])
		return fuzz_dir_path;
	snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/idleacc-fuzz.XXXXXX",
		 t && *t ? t : "/tmp");
	if (!mkdtemp(fuzz_dir_path))
		fuzz_die("mkdtemp");
	atexit(fuzz_rm_dir);
	return fuzz_dir_path;
}

/* Writes [data] ([size] bytes) to [path], mode 0600, replacing it. Dies on failure. */
static inline void fuzz_write(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		fuzz_die(path);
	while (off < size) {
		ssize_t w = write(fd, (const char *)data + off, size - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fuzz_die(path);
		off += (size_t)w;
	}
	close(fd);
}

/* Makes directory [path] if it is not there yet. Dies on failure. */
static inline void fuzz_mkdir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fuzz_die(path);
}

#endif /* FUZZ_H */
