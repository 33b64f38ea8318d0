/* SPDX-License-Identifier: MIT */
/*
 * fuzz_predict.c - libFuzzer harness of the profile file parser (nodeagent/predict.c): the
 * input is a NODE.profile file, loaded as idleaccd loads it when agent.predict is on. A
 * profile that loads is predicted from and published at a few times of the week, learns one
 * more window, and is saved and loaded again: what idleaccd writes it must read back.
 */
#include "config.h"

#include <math.h>

#include "fuzz.h"
#include "predict.h"

/* Monday 2026-11-30 00:00 UTC (s), in week 2969 of the profile's count. */
#define MON0 1795996800LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent_predict p, again; /* 16 KiB each: not on the stack */
	struct agent_predict_pub pub;
	char path[256], copy[256], err[1024], feat[128];
	int64_t t;

	snprintf(path, sizeof(path), "%s/d1.profile", fuzz_dir());
	snprintf(copy, sizeof(copy), "%s/d1.copy.profile", fuzz_dir());
	fuzz_write(path, data, size);
	agent_predict_init(&p, 3600);
	err[0] = '\0';
	if (agent_predict_load(&p, "d1", path, err, sizeof(err)) < 0) {
		if (!err[0] || !agent_predict_empty(&p))
			abort(); /* a refusal always says why, and leaves nothing */
		return 0;
	}
	for (t = MON0 - 86400; t < MON0 + 8 * 86400; t += 12345) {
		double e = agent_predict_expect(&p, t);

		if (agent_predict_empty(&p) ? e != -1 : !(e >= 0 && e <= 7 * 86400 + 1))
			abort(); /* -1 for nothing learnt, else within the week ahead */
		agent_predict_publish(e, &pub);
		if (agent_predict_features("desktop,idle_4h", pub.features, feat, sizeof(feat)) < 0)
			abort();
	}
	agent_predict_observe(&p, MON0, true, true);
	agent_predict_observe(&p, MON0 + 600, false, false);
	if (agent_predict_save(&p, "d1", copy, err, sizeof(err)) < 0)
		fuzz_die(err);
	agent_predict_init(&again, 3600);
	if (agent_predict_load(&again, "d1", copy, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_predict: a saved profile does not load: %s\n", err);
		abort();
	}
	return 0;
}
