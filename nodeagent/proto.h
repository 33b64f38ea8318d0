/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the control socket's framing, shared by idleaccd and idleacc: one request per
 * connection, each message a 4-byte big-endian length followed by that many bytes of text.
 * Requests are at most AGENT_REQ_MAX bytes, responses at most AGENT_RESP_MAX.
 */
#ifndef AGENT_PROTO_H
#define AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_REQ_MAX	       512	   /* "hold 3600" fits many times over */
#define AGENT_RESP_MAX	       (64 * 1024) /* a status with many jobs */
#define AGENT_PROTO_TIMEOUT_MS 5000 /* a client's whole exchange; a daemon busy longer is stuck */

void agent_proto_put_len(uint8_t hdr[4], uint32_t len);
uint32_t agent_proto_get_len(const uint8_t hdr[4]);

/*
 * Blocking helpers for clients (and tests), each bounded by [timeout_ms] in all.
 * agent_proto_send writes one framed message. agent_proto_recv reads one into a malloc'd,
 * NUL-terminated [*buf]; a length above [max] fails with EMSGSIZE. Both return 0, or -1
 * with errno set (ETIMEDOUT when the time ran out, EPIPE/ECONNRESET when closed early).
 */
int agent_proto_send(int fd, const char *buf, size_t len, int timeout_ms);
int agent_proto_recv(int fd, char **buf, size_t *len, size_t max, int timeout_ms);

/*
 * Connects to the daemon at [path], sends [req], and returns its malloc'd response in
 * [*resp]. Returns 0, or -1 with errno set and [err] filled ("cannot connect to PATH: ...").
 */
int agent_proto_call(const char *path, const char *req, char **resp, char *err, size_t errlen);

#endif /* AGENT_PROTO_H */
