/* SPDX-License-Identifier: MIT */
/*
 * fuzz_evdev.c - libFuzzer harness of the evdev reader (idle/src_evdev.c): the input is the
 * byte stream an input device gives (struct input_event records, possibly cut anywhere),
 * written into a FIFO that stands for ROOT/dev/input/event0, as tests/check_evdev.c feeds it.
 * The first half is read, then the rest, so that a record split between two reads is seen;
 * the source is sampled after each.
 */
#include "config.h"

#include <sys/ioctl.h>

#include "fuzz.h"
#include "idle_int.h"

static char root[256];
static int wfd = -1; /* the FIFO's write end, kept open so it never reads as end of file */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[512];

	(void)argc, (void)argv;
	snprintf(root, sizeof(root), "%s/root", fuzz_dir());
	fuzz_mkdir(root);
	snprintf(p, sizeof(p), "%s/dev", root);
	fuzz_mkdir(p);
	snprintf(p, sizeof(p), "%s/dev/input", root);
	fuzz_mkdir(p);
	snprintf(p, sizeof(p), "%s/dev/input/event0", root);
	if (mkfifo(p, 0600) < 0)
		fuzz_die(p);
	/* O_RDWR never blocks on a FIFO. */
	wfd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (wfd < 0)
		fuzz_die(p);
	return 0;
}

/* Writes [len] bytes into the FIFO, letting the source read whenever the FIFO is full. */
static void feed(void *st, const uint8_t *p, size_t len)
{
	int pending = 0, rounds;

	while (len) {
		ssize_t w = write(wfd, p, len);

		if (w < 0 && errno != EAGAIN && errno != EINTR)
			fuzz_die("write");
		if (w > 0) {
			p += w;
			len -= (size_t)w;
		}
		(void)idle_src_evdev.input(st);
	}
	/* Whatever is left is read too: input() reads a bounded amount per call. */
	for (rounds = 0; rounds < 1000; rounds++) {
		if (ioctl(wfd, FIONREAD, &pending) < 0)
			fuzz_die("FIONREAD");
		if (!pending)
			return;
		(void)idle_src_evdev.input(st);
	}
	fprintf(stderr, "fuzz_evdev: the source stops reading its device\n");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now = idle_now_ms(), t0 = now - 3600 * 1000;
	char err[IDLE_ERR_LEN] = "";
	struct idle_sources conf;
	struct idle_snapshot snap;
	void *st = NULL;

	memset(&conf, 0, sizeof(conf));
	strcpy(conf.evdev_dir, "/dev/input");
	if (idle_src_evdev.open(&st, &conf, root, t0, err, sizeof(err)) < 0)
		return 0;
	memset(&snap, 0, sizeof(snap));
	idle_src_evdev.sample(st, t0 + 1000, NULL, &snap);
	feed(st, data, size / 2);
	idle_src_evdev.sample(st, now, NULL, &snap);
	feed(st, data + size / 2, size - size / 2);
	idle_src_evdev.sample(st, now, NULL, &snap);
	if (snap.status[IDLE_SRC_EVDEV] == IDLE_ST_OK && snap.evdev_last_ms > now)
		abort(); /* no input is later than the sample */
	idle_src_evdev.close(st);
	return 0;
}
