/* SPDX-License-Identifier: MIT */
/*
 * fuzz_utmp.c - libFuzzer harness of the utmp reader (idle/utmp_read.c) and of the tty
 * source over it (idle/src_tty.c): the input is a utmp file (struct utmp records, the last one
 * possibly cut short) under a fixture root whose /proc holds pids 1 and 4001..4005 and whose
 * /dev holds tty2 and pts/1, so that both live and stale entries, local and remote ones, are
 * read.
 */
#include "config.h"

#include "fuzz.h"
#include "idle_int.h"
#include "utmp_read.h"

static char root[256];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const dirs[] = {"/proc",	 "/proc/1",    "/proc/4001", "/proc/4002",
					   "/proc/4003", "/proc/4004", "/proc/4005", "/run",
					   "/dev",	 "/dev/pts"};
	char p[512];
	size_t i;

	(void)argc, (void)argv;
	snprintf(root, sizeof(root), "%s/root", fuzz_dir());
	fuzz_mkdir(root);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
		fuzz_mkdir(p);
	}
	snprintf(p, sizeof(p), "%s/dev/tty2", root);
	fuzz_write(p, "", 0);
	snprintf(p, sizeof(p), "%s/dev/pts/1", root);
	fuzz_write(p, "", 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512], err[IDLE_ERR_LEN] = "";
	struct idle_utmp u = {0};
	struct idle_sources conf;
	struct idle_snapshot snap;
	void *tty = NULL;
	size_t i;

	snprintf(path, sizeof(path), "%s/run/utmp", root);
	fuzz_write(path, data, size);
	if (idle_utmp_read(root, "/run/utmp", &u, err, sizeof(err)) == 0)
		for (i = 0; i < u.n; i++)
			if (strlen(u.v[i].user) > UT_NAMESIZE ||
			    strlen(u.v[i].line) > UT_LINESIZE || strlen(u.v[i].host) > UT_HOSTSIZE)
				abort();
	idle_utmp_free(&u);

	idle_sources_default(&conf);
	memset(&snap, 0, sizeof(snap));
	if (idle_src_tty.open(&tty, &conf, root, 1000, err, sizeof(err)) == 0) {
		idle_src_tty.sample(tty, 2000, NULL, &snap);
		idle_src_tty.close(tty);
	}
	return 0;
}
