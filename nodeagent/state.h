/* SPDX-License-Identifier: MIT */
/*
 * state.h - the state file STATE_DIR/NODE.state: what idleaccd must remember across a restart
 * or a crash (the jobs it suspended or warned, with their times, the jobs' own warning
 * signals, the jobs it refused, and the console user's hold). Written atomically (temporary file,
 * fsync, rename), so a crash leaves the old or the new file, never half of one.
 */
#ifndef AGENT_STATE_H
#define AGENT_STATE_H

#include <stddef.h>

#include "plan.h"

/*
 * Writes the persistent part of [st] to [path], its times on the wall clock as last read
 * (agent_clock()). Returns 0, or -1 with [err] filled.
 */
int agent_state_save(const struct agent_state *st, const char *path, char *err, size_t errlen);

/*
 * Reads [path] into [st] (hold and job records; the jobs are not yet confirmed by a
 * listing), at [now_ms]: [st]'s clocks must have been read (agent_clock()), the file's
 * wall-clock times are converted with them. No time of the past is later than [now_ms], and
 * the hold ends at most [max_hold] seconds from it. A missing file is not an error: returns 0
 * with nothing loaded. A malformed file, or one written for another node, returns -1 with
 * [err] ("path:line: message") and loads nothing.
 *
 * The file is opened without following a link and without blocking; a FIFO, a device or a
 * directory there is refused, as is a file over 1 MiB. A line over 1 KiB is skipped with a
 * warning noted in [st] (agent_note()), the rest is read. Every number must fit its field;
 * a signal's seconds are bounded as SIG@SECONDS is; with [max_hold] 0 no hold is loaded.
 */
int agent_state_load(struct agent_state *st, const char *path, int64_t now_ms, int64_t max_hold,
		     char *err, size_t errlen);

/*
 * The parser of agent_state_load() on [len] bytes of [buf] (a file's text, not necessarily
 * NUL-terminated; [name] for messages): same contract, callable on any buffer (the fuzzer).
 */
int agent_state_parse(struct agent_state *st, const char *name, const char *buf, size_t len,
		      int64_t now_ms, int64_t max_hold, char *err, size_t errlen);

#endif /* AGENT_STATE_H */
