/* SPDX-License-Identifier: MIT */
/* src_evdev.c - the evdev source: console keyboards, mice and touchpads (/dev/input/event*). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <linux/input.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"
#include "idle_int.h"

/*
 * Every event* node of the input directory stays open, non-blocking. The caller polls them
 * (fds()) and calls input() when one is readable; sample() drains them too, so a caller that
 * only samples still sees every event. Only the TIME of an event is kept, never its key code
 * (this is not a key logger): EV_KEY, EV_REL and EV_ABS are the owner's hand; EV_SYN, EV_MSC,
 * EV_LED, EV_SND, EV_REP, EV_SW ... are the device or the desktop talking. The kernel stamps
 * events with CLOCK_REALTIME on a descriptor nobody switched (EVIOCSCLOCKID); a stamp later
 * than the moment it was read (the clock stepped back) is clamped to that moment.
 *
 * Mouse jitter: after JITTER_IDLE_MS without counted input, pointer motion (REL_X, REL_Y)
 * counts only once one burst of it adds up to JITTER_PX pixels (|dx| + |dy|), a burst ending
 * at a pause longer than JITTER_GAP_MS. A bumped desk or a restless optical sensor then does
 * not bring the owner back, while anyone reaching for the mouse moves it further than that.
 * This filter is the only place that reads an event's value, and only of motion.
 *
 * Accelerometers (INPUT_PROP_ACCELEROMETER: laptop tilt sensors) stream EV_ABS while nobody
 * touches the machine; they are not opened.
 *
 * Devices come and go (USB hot-plug, KVM switches): sample() rescans the directory when its
 * mtime changed, or changed so recently that a coarse timestamp could hide a second change,
 * or when the last scan left a failure to retry. It opens new nodes and closes those that
 * vanished or were replaced; a device whose read reports ENODEV (unplugged) or end of file
 * (the writer of a pipe left) is closed at once.
 */

/* A long enough pause that the owner may have left: from then on, small moves are suspect. */
#define JITTER_IDLE_MS 60000
/* A hand on a mouse moves it further than this; a vibrating desk rarely does. */
#define JITTER_PX 16
/* Motion events of one hand movement come every few ms; a longer pause starts a new burst. */
#define JITTER_GAP_MS 1000
/* Coarse file timestamps tick every few ms; a directory changed less than this before a scan
 * may have changed again unseen, so it is read again at the next sample. */
#define RACY_MS 2000
/* Reads per device per drain: bounds the time spent on a device that floods events; the rest
 * stays readable and wakes the caller's poll again. */
#define DRAIN_ROUNDS 64

/* One open input device. */
struct evdev_dev {
	int fd;			 /* open O_RDONLY | O_NONBLOCK */
	dev_t dev;		 /* st_dev of the node when opened: with ino, tells a node */
	ino_t ino;		 /* replaced under the same name (then it is reopened) */
	char name[NAME_MAX + 1]; /* entry in the directory ("event3") */
	unsigned char part[sizeof(struct input_event)]; /* start of a record split by a pipe */
	size_t npart;					/* bytes in part */
	int64_t jitter_px; /* |dx| + |dy| of the current motion burst after a long idle */
	int64_t jitter_ms; /* time of the last event of that burst, 0 if none */
	int seen;	   /* listed by the directory scan in progress */
};

struct evdev_state {
	char dir[PATH_MAX];	     /* the input directory under the root, "" if too long */
	char shown[IDLE_PATH_LEN];   /* the same without the root, for messages */
	int64_t open_ms;	     /* when the source was opened: the floor of evdev_last_ms */
	int64_t last_ms;	     /* newest counted event, 0 if none yet */
	struct evdev_dev *devs;	     /* the open devices */
	size_t ndevs;		     /* used entries of devs */
	size_t cap;		     /* allocated entries of devs */
	int rescan;		     /* read the directory at the next sample whatever its mtime */
	struct timespec mtime;	     /* the directory's mtime at the last scan */
	char scan_err[IDLE_ERR_LEN]; /* why the last scan could not watch every device, or "" */
	char read_err[IDLE_ERR_LEN]; /* a read that failed since the last sample, or "" */
};

/* errno values of a node whose device went away between readdir() and open(). */
static int gone(int e)
{
	return e == ENOENT || e == ENODEV || e == ENXIO;
}

static void evdev_drop(struct evdev_state *s, size_t i)
{
	close(s->devs[i].fd);
	s->devs[i] = s->devs[--s->ndevs];
}

/* Keeps the first error of a scan, the one to fix first, and retries at the next sample. */
static void scan_error(struct evdev_state *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void scan_error(struct evdev_state *s, const char *fmt, ...)
{
	va_list ap;

	s->rescan = 1;
	if (s->scan_err[0])
		return;
	va_start(ap, fmt);
	if (vsnprintf(s->scan_err, sizeof(s->scan_err), fmt, ap) < 0)
		idle_strlcpyf(s->scan_err, sizeof(s->scan_err), "cannot read %s", s->shown);
	va_end(ap);
}

static int is_accelerometer(int fd)
{
	unsigned char props[INPUT_PROP_MAX / 8 + 1];

	memset(props, 0, sizeof(props));
	/* Fails with ENOTTY on anything but an evdev node (a test's pipe): not one. */
	if (ioctl(fd, EVIOCGPROP(sizeof(props)), props) < 0)
		return 0;
	return (props[INPUT_PROP_ACCELEROMETER / 8] >> (INPUT_PROP_ACCELEROMETER % 8)) & 1;
}

/* Opens entry [name] of the directory [dfd] unless it is already open. */
static void evdev_consider(struct evdev_state *s, int dfd, const char *name)
{
	struct evdev_dev *d;
	struct stat st;
	size_t i;
	int fd;

	if (fstatat(dfd, name, &st, 0) < 0) {
		if (!gone(errno))
			scan_error(s, "cannot open %s/%s: %s", s->shown, name, strerror(errno));
		return;
	}
	for (i = 0; i < s->ndevs; i++) {
		d = &s->devs[i];
		if (!strcmp(d->name, name) && d->dev == st.st_dev && d->ino == st.st_ino) {
			d->seen = 1;
			return;
		}
	}
	fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (!gone(errno))
			scan_error(s, "cannot open %s/%s: %s", s->shown, name, strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0) {
		scan_error(s, "cannot open %s/%s: %s", s->shown, name, strerror(errno));
		close(fd);
		return;
	}
	/* Pipes are accepted so tests can feed events; a real node is a character device. */
	if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		scan_error(s, "%s/%s is not an input device", s->shown, name);
		close(fd);
		return;
	}
	if (is_accelerometer(fd)) {
		close(fd);
		return;
	}
	if (s->ndevs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct evdev_dev *v = realloc(s->devs, cap * sizeof(*v));

		if (!v) {
			scan_error(s, "out of memory");
			close(fd);
			return;
		}
		s->devs = v;
		s->cap = cap;
	}
	d = &s->devs[s->ndevs++];
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	idle_strlcpyf(d->name, sizeof(d->name), "%s", name);
	d->seen = 1;
}

/* Reads the directory: opens new devices, closes those no longer listed. */
static void evdev_scan(struct evdev_state *s)
{
	struct timespec now;
	struct dirent *de;
	int64_t age_ms;
	struct stat st;
	size_t i;
	DIR *dir;

	s->scan_err[0] = '\0';
	s->rescan = 0;
	if (!s->dir[0]) {
		idle_strlcpyf(s->scan_err, sizeof(s->scan_err), "path too long: %s", s->shown);
		return;
	}
	if (stat(s->dir, &st) < 0 || !(dir = opendir(s->dir))) {
		if (errno == ENOENT) {
			/* No input directory: a headless machine, nothing to watch. */
			while (s->ndevs)
				evdev_drop(s, s->ndevs - 1);
			s->rescan = 1;
			return;
		}
		scan_error(s, "cannot read %s: %s", s->shown, strerror(errno));
		return;
	}
	for (i = 0; i < s->ndevs; i++)
		s->devs[i].seen = 0;
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de)
			break;
		if (!strncmp(de->d_name, "event", 5))
			evdev_consider(s, dirfd(dir), de->d_name);
	}
	if (errno) {
		/* A partial listing says nothing about the devices it did not reach: keep them. */
		scan_error(s, "cannot read %s: %s", s->shown, strerror(errno));
		for (i = 0; i < s->ndevs; i++)
			s->devs[i].seen = 1;
	}
	closedir(dir);
	for (i = s->ndevs; i-- > 0;)
		if (!s->devs[i].seen)
			evdev_drop(s, i);
	s->mtime = st.st_mtim;
	clock_gettime(CLOCK_REALTIME, &now);
	age_ms = ((int64_t)now.tv_sec - st.st_mtim.tv_sec) * 1000 +
		 (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
	if (age_ms < RACY_MS) /* a future mtime too: the clock was stepped back */
		s->rescan = 1;
}

static int evdev_dir_changed(const struct evdev_state *s)
{
	struct stat st;

	if (s->rescan || stat(s->dir, &st) < 0)
		return 1;
	return st.st_mtim.tv_sec != s->mtime.tv_sec || st.st_mtim.tv_nsec != s->mtime.tv_nsec;
}

/* True if the pointer motion [ev] at [t] is jitter (see the top of this file). */
static int evdev_jitter(const struct evdev_state *s, struct evdev_dev *d,
			const struct input_event *ev, int64_t t)
{
	int64_t ref = s->last_ms > s->open_ms ? s->last_ms : s->open_ms;

	if (t - ref < JITTER_IDLE_MS)
		return 0;
	if (d->jitter_ms && t - d->jitter_ms > JITTER_GAP_MS)
		d->jitter_px = 0;
	d->jitter_px += ev->value < 0 ? -(int64_t)ev->value : ev->value;
	d->jitter_ms = t;
	return d->jitter_px < JITTER_PX;
}

/* Returns 1 if [ev], read at [read_ms], is the owner's input, and notes its time. */
static int evdev_event(struct evdev_state *s, struct evdev_dev *d, const struct input_event *ev,
		       int64_t read_ms)
{
	int64_t sec = (int64_t)ev->input_event_sec, t;

	/*
	 * A device writes whatever time it likes (a FIFO, a broken driver): a time after the
	 * read is the read's, one before the epoch is older than any input. Both are told before
	 * the multiplication, which overflows for seconds past INT64_MAX / 1000.
	 */
	if (sec > read_ms / 1000)
		t = read_ms;
	else if (sec < 0)
		t = 0;
	else
		t = sec * 1000 + (int64_t)ev->input_event_usec / 1000;
	if (t > read_ms)
		t = read_ms;
	switch (ev->type) {
	case EV_KEY:
	case EV_ABS:
		break;
	case EV_REL:
		if ((ev->code == REL_X || ev->code == REL_Y) && evdev_jitter(s, d, ev, t))
			return 0;
		break;
	default:
		return 0;
	}
	d->jitter_px = 0;
	d->jitter_ms = 0;
	if (t > s->last_ms)
		s->last_ms = t;
	return 1;
}

/*
 * Reads what [d] has. Sets *counted if an event counted. Returns 0 when the device must be
 * closed (unplugged, end of file, or a read error noted in read_err), else 1.
 */
static int evdev_drain(struct evdev_state *s, struct evdev_dev *d, int64_t read_ms, int *counted)
{
	unsigned char buf[64 * sizeof(struct input_event)];
	struct input_event ev;
	int rounds;

	for (rounds = 0; rounds < DRAIN_ROUNDS; rounds++) {
		size_t have = d->npart, off;
		ssize_t r;

		memcpy(buf, d->part, have);
		r = read(d->fd, buf + have, sizeof(buf) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (r < 0 && errno != ENODEV) {
			if (!s->read_err[0])
				idle_strlcpyf(s->read_err, sizeof(s->read_err),
					      "cannot read %s/%s: %s", s->shown, d->name,
					      strerror(errno));
			/* Closed, and opened again by the next scan to see if it recovered. */
			s->rescan = 1;
			return 0;
		}
		if (r <= 0)
			return 0;
		have += (size_t)r;
		for (off = 0; off + sizeof(ev) <= have; off += sizeof(ev)) {
			memcpy(&ev, buf + off, sizeof(ev));
			if (evdev_event(s, d, &ev, read_ms))
				*counted = 1;
		}
		d->npart = have - off;
		memcpy(d->part, buf + off, d->npart);
	}
	return 1;
}

static int evdev_drain_all(struct evdev_state *s, int64_t read_ms)
{
	int counted = 0;
	size_t i;

	for (i = s->ndevs; i-- > 0;)
		if (!evdev_drain(s, &s->devs[i], read_ms, &counted))
			evdev_drop(s, i);
	return counted;
}

static int evdev_open(void **state, const struct idle_sources *conf, const char *root,
		      int64_t now_ms, char *err, size_t errlen)
{
	struct evdev_state *s = calloc(1, sizeof(*s));
	const char *dir = conf->evdev_dir[0] ? conf->evdev_dir : DEF_EVDEV_DIR;

	if (!s) {
		idle_strlcpyf(err, errlen, "out of memory");
		return -1;
	}
	idle_strlcpyf(s->shown, sizeof(s->shown), "%s", dir);
	if (!idle_path(s->dir, sizeof(s->dir), root, dir))
		s->dir[0] = '\0';
	s->open_ms = now_ms;
	evdev_scan(s);
	*state = s;
	return 0;
}

static void evdev_sample(void *state, int64_t now_ms, const struct idle_shared *sh,
			 struct idle_snapshot *snap)
{
	struct evdev_state *s = state;
	int64_t last;

	(void)sh;
	if (!s) {
		idle_unknown(snap, IDLE_SRC_EVDEV, "out of memory");
		return;
	}
	if (evdev_dir_changed(s))
		evdev_scan(s);
	evdev_drain_all(s, now_ms);
	last = s->last_ms > s->open_ms ? s->last_ms : s->open_ms;
	snap->evdev_last_ms = last < now_ms ? last : now_ms;
	snap->evdev_devices = (int)s->ndevs;
	if (s->scan_err[0])
		idle_unknown(snap, IDLE_SRC_EVDEV, "%s", s->scan_err);
	else if (s->read_err[0])
		idle_unknown(snap, IDLE_SRC_EVDEV, "%s", s->read_err);
	else if (!s->ndevs)
		snap->status[IDLE_SRC_EVDEV] = IDLE_ST_NONE;
	else
		snap->status[IDLE_SRC_EVDEV] = IDLE_ST_OK;
	s->read_err[0] = '\0';
}

/* The set changes when devices come and go: ask again before every poll. */
static int evdev_fds(void *state, int *fds, int max)
{
	const struct evdev_state *s = state;
	int n = 0;

	while (n < max && (size_t)n < s->ndevs) {
		fds[n] = s->devs[n].fd;
		n++;
	}
	return n;
}

static int evdev_input(void *state)
{
	return evdev_drain_all(state, idle_now_ms());
}

static void evdev_close(void *state)
{
	struct evdev_state *s = state;

	if (!s)
		return;
	while (s->ndevs)
		evdev_drop(s, s->ndevs - 1);
	free(s->devs);
	free(s);
}

const struct idle_source_ops idle_src_evdev = {
    .id = IDLE_SRC_EVDEV,
    .open = evdev_open,
    .sample = evdev_sample,
    .fds = evdev_fds,
    .input = evdev_input,
    .close = evdev_close,
};
