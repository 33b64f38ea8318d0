/* SPDX-License-Identifier: MIT */
/* predict_file.c - the profile file STATE_DIR/NODE.profile read and written (predict.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "predict.h"

int agent_predict_load(struct agent_predict *p, const char *node, const char *path, char *err,
		       size_t errlen)
{
	size_t got;
	char *buf;
	int r;

	agent_predict_init(p, p->bin_s);
	/* As the state file (file.h): no link, no FIFO, a regular file of 64 KiB at most. */
	if ((r = agent_file_read(path, AGENT_PREDICT_FILE_MAX, &buf, &got, err, errlen)) <= 0)
		return r;
	r = agent_predict_parse(p, node, path, buf, got, err, errlen);
	free(buf);
	return r;
}

int agent_predict_save(struct agent_predict *p, const char *node, const char *path, char *err,
		       size_t errlen)
{
	/* Mapped for the save and unmapped after it (the allocator maps blocks this large): a
	 * static buffer's pages would stay private dirty between the hourly saves. */
	char *buf = malloc(AGENT_PREDICT_FILE_MAX);
	int len, r;

	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	len = agent_predict_format(p, node, buf, AGENT_PREDICT_FILE_MAX);
	if (len < 0) {
		snprintf(err, errlen, "%s: profile larger than 64 KiB", path);
		r = -1;
	} else {
		/* 0600: when the owner sits at the desk is theirs to know. A crash leaves the old
		 * profile or the new one, never half of one. */
		r = agent_file_replace(path, ".new", buf, (size_t)len, 0600, true, err, errlen);
	}
	free(buf);
	if (r < 0)
		return -1;
	p->dirty = false;
	return 0;
}
