/* SPDX-License-Identifier: MIT */
/* file.c - idleaccd's own files read and replaced safely (file.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* [max] as people say it: "1 MiB", "64 KiB", "100 bytes". */
static void size_text(size_t max, char *out, size_t len)
{
	if (max >= 1024 * 1024 && max % (1024 * 1024) == 0)
		snprintf(out, len, "%zu MiB", max / (1024 * 1024));
	else if (max >= 1024 && max % 1024 == 0)
		snprintf(out, len, "%zu KiB", max / 1024);
	else
		snprintf(out, len, "%zu bytes", max);
}

int agent_file_read(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	size_t got = 0;
	ssize_t n;
	char *b;
	int fd;

	*buf = NULL;
	*len = 0;
	/* Not blocking (a FIFO put there would hold the open, and then the read, forever), not
	 * through a link. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path,
			 errno == ELOOP ? "a symbolic link, not a file" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
		char most[32];

		size_text(max, most, sizeof(most));
		if (!S_ISREG(sb.st_mode))
			snprintf(err, errlen, "%s: not a regular file", path);
		else
			snprintf(err, errlen, "%s: larger than %s", path, most);
		close(fd);
		return -1;
	}
	if (!(b = malloc((size_t)sb.st_size + 1))) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	/* What fstat said at most: a file that grows meanwhile is read as it was. */
	while (got < (size_t)sb.st_size && (n = read(fd, b + got, (size_t)sb.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(b);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 1;
}

/* Makes [path]'s rename reach the disk: an fsync of its directory (best effort). */
static void sync_dir(const char *path)
{
	char dir[4096];
	int dfd;

	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

int agent_file_replace(const char *path, const char *suffix, const char *text, size_t len,
		       mode_t mode, bool durable, char *err, size_t errlen)
{
	char tmp[4096 + 16];
	size_t off = 0;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", path, suffix) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	/* A new file, never one found there: not a link root would write through, nor a file
	 * someone else prepared. */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) < 0) /* whatever the umask (node_exporter reads as another user) */
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			goto fail;
		}
		off += (size_t)w;
	}
	if (durable && fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (durable)
		sync_dir(path); /* the rename itself on the disk before anyone acts on it */
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
