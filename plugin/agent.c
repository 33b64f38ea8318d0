/* SPDX-License-Identifier: MIT */
/* agent.c - the plugin's side of idleaccd's control socket: where it is, and one bounded call. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "ctl.h"
#include "idleacc.h"

int idleacc_agent_call(const struct idleacc_conf *c, const char *node, const char *req, char **resp,
		       char *err, size_t errlen)
{
	char path[PATH_MAX];

	*resp = NULL;
	if (ctl_socket_path(c->socket_dir, node, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "cannot connect to %s/%s.sock: path too long", c->socket_dir,
			 node);
		return -1;
	}
	return ctl_call(path, req, c->agent_timeout_ms, resp, err, errlen);
}
