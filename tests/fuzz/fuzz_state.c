/* SPDX-License-Identifier: MIT */
/*
 * fuzz_state.c - libFuzzer harness of the state file parser (nodeagent/state.c): the input is
 * a NODE.state file, loaded as idleaccd loads it at start-up. A state that loads is shown as
 * "idleacc status" shows it, its next deadline is computed, and it is saved and loaded again:
 * what idleaccd writes it must read back.
 */
#include "config.h"

#include "ctl.h"
#include "cycle.h"
#include "fuzz.h"
#include "plan.h"
#include "report.h"
#include "state.h"

/* The clocks of the run: an hour of uptime, on 2026-12-01 (ms). */
#define MONO_MS	 3600000LL
#define WALL_MS	 1796083200000LL
#define MAX_HOLD 86400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent_state st, again; /* 50 KiB each: not on the stack */
	static char out[CTL_RESP_MAX];
	struct agent_params params = {.reconcile_ms = 300000};
	struct agent_buf b;
	char path[256], copy[256], err[1024];
	int64_t now;

	snprintf(path, sizeof(path), "%s/d1.state", fuzz_dir());
	snprintf(copy, sizeof(copy), "%s/d1.copy.state", fuzz_dir());
	fuzz_write(path, data, size);
	agent_state_init(&st, "d1");
	now = agent_clock(&st, MONO_MS, WALL_MS);
	err[0] = '\0';
	if (agent_state_load(&st, path, now, MAX_HOLD, err, sizeof(err)) < 0) {
		if (!err[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	idle_policy_default(&params.pol);
	(void)agent_hold_active(&st, now);
	(void)agent_deadline(&st, &params, now);
	agent_buf_init(&b, out, sizeof(out));
	agent_report_status(&b, &st, &params, NULL, "node d1: fuzz", now);

	if (agent_state_save(&st, copy, err, sizeof(err)) < 0)
		fuzz_die(err);
	agent_state_init(&again, "d1");
	agent_clock(&again, MONO_MS, WALL_MS);
	if (agent_state_load(&again, copy, now, MAX_HOLD, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_state: a saved state does not load: %s\n", err);
		abort();
	}
	return 0;
}
