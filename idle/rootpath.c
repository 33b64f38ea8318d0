/* SPDX-License-Identifier: MIT */
/* rootpath.c - the system's files under libidle's root prefix: paths, the state of a source that
 * reads them, and a whole small file read at once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idle_int.h"

char *idle_path(char *buf, size_t len, const char *root, const char *path)
{
	int n;

	if (!root || !*root)
		n = snprintf(buf, len, "%s", path);
	else
		n = snprintf(buf, len, "%s%s%s", root, path[0] == '/' ? "" : "/", path);
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}

void *idle_state_new(size_t size, const char *root, char **root_copy, char *err, size_t errlen)
{
	void *st = calloc(1, size);

	*root_copy = NULL;
	if (st && root && *root && !(*root_copy = strdup(root))) {
		free(st);
		st = NULL;
	}
	if (!st)
		idle_strlcpyf(err, errlen, "out of memory");
	return st;
}

int idle_rooted_open(void **state, size_t size, const char *root, char *err, size_t errlen)
{
	char *rc;
	struct idle_rooted *st = idle_state_new(size, root, &rc, err, errlen);

	if (!st)
		return -1;
	st->root = rc;
	*state = st;
	return 0;
}

void idle_rooted_close(void *state)
{
	struct idle_rooted *st = state;

	if (!st)
		return;
	free(st->root);
	free(st);
}

ssize_t idle_read_file(const char *root, const char *path, char *buf, size_t len)
{
	char p[PATH_MAX];
	size_t got = 0;
	int fd;

	if (!len || !idle_path(p, sizeof(p), root, path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < len - 1) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}
