/* SPDX-License-Identifier: MIT */
/*
 * report.h - what idleaccd and idleacc show people: one line per source, the verdict, and the
 * daemon's status. Shared so "idleacc status" and "idleacc probe" read alike.
 */
#ifndef AGENT_REPORT_H
#define AGENT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "idle.h"
#include "plan.h"

/* A growing text buffer; appends never overflow (the text is cut instead). */
struct agent_buf {
	char *p;    /* the text, NUL-terminated */
	size_t len; /* its length */
	size_t cap; /* the most it may hold, NUL included */
};

void agent_buf_init(struct agent_buf *b, char *mem, size_t cap);
void agent_buf_add(struct agent_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "ok: last input 4s ago; 1 local, 0 remote sessions", "unknown: ...", "off". */
char *agent_source_line(const struct idle_snapshot *s, enum idle_source_id id, int64_t now_ms,
			char *buf, size_t len);

/* Every source with its status (off sources are left out), then the verdict. */
void agent_report_sample(struct agent_buf *b, const struct idle_snapshot *s,
			 const struct idle_verdict *v, int64_t now_ms);

/*
 * What "idleacc status" prints, at [now_ms] (monotonic, as the agent's times; the times shown
 * are on the wall clock). [snap] may be NULL before the first sample.
 */
void agent_report_status(struct agent_buf *b, const struct agent_state *st,
			 const struct agent_params *p, const struct idle_snapshot *snap,
			 const char *header, int64_t now_ms);

#endif /* AGENT_REPORT_H */
