/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf.c - libFuzzer harness of the YAML config loader (idle/conf.c): the input is an
 * idleacc.yaml, loaded from a file as idleaccd loads it (with its agent: section); a config that
 * loads is then asked for the policy of a few node names (the per-group overrides' hostlists).
 */
#include "config.h"

#include "agentconf.h"
#include "fuzz.h"
#include "idle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const nodes[] = {"lab-a7", "d1", "d012", "node000000000000000000001",
					    ""};
	char path[256], err[4096];
	struct idle_config *c;
	struct idle_policy pol;
	size_t i;

	snprintf(path, sizeof(path), "%s/idleacc.yaml", fuzz_dir());
	fuzz_write(path, data, size);
	c = idle_config_load(path, agent_conf_section(), 1, err, sizeof(err));
	/* The contract: NULL with every error in [err], or a config with [err] empty. */
	if (!c) {
		if (!err[0])
			abort();
		return 0;
	}
	if (err[0])
		abort();
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		idle_config_policy(c, nodes[i], &pol);
	(void)idle_config_sources(c);
	(void)agent_conf(c);
	idle_config_free(c);
	return 0;
}
