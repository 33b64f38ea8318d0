/* SPDX-License-Identifier: MIT */
/* decide.c - the decision: from one snapshot, the policy and the memo, is the owner here, may
 * new jobs start, may running jobs run, and the reasons an admin reads in `sinfo -R`. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "idle_int.h"

/*
 * The algorithm. Only sources whose status is OK say anything; OFF and NONE say nothing, so a
 * headless machine with no input devices is judged by its load alone.
 *
 * 1. Input. Three kinds of "last input": console = newest of evdev, X11 and logind's local
 *    sessions; tty = local ttys; remote session = remote ttys and logind's remote sessions,
 *    counted only with policy remote_sessions. The newest counted one, and its kind, is what
 *    the reasons quote. Ties go to the console, then tty.
 *
 * 2. Signs of the owner other than input, each true now: a busy program runs, a GPU is busier
 *    than max_gpu_util, or the non-job load is latched high. The load latch is HTCondor's
 *    hysteresis: load must stay >= high_load for high_load_for (memo->load_high_since_ms
 *    remembers since when; a dip below high_load before the latch restarts the count), and
 *    once latched it holds until load falls to background_load. A sign stamps
 *    memo->last_sign_ms = now, which keeps the absence timer at zero while it lasts.
 *
 * 3. The owner. Any UNKNOWN source makes the owner UNKNOWN (doubt counts as presence).
 *    Otherwise a sign now, or counted input or a sign younger than resume_after, makes it
 *    PRESENT: a person who just closed a game is still at the desk.
 *    Otherwise ABSENT since max(newest input, last sign); 0 when neither was ever seen, which
 *    reads as "absent forever".
 *
 * 4. Offer (new jobs may start): ABSENT for at least idle_after (locked_idle_after when
 *    logind says every local graphical session is locked), load not latched and <=
 *    background_load, memory <= max_memory_used, on AC unless run_on_battery, and inside an
 *    offer window when windows are set. Offer implies run.
 *
 * 5. Run (running jobs may go on): ABSENT, and on AC unless run_on_battery. Hours, memory and
 *    moderate load only keep new jobs out; they do not stop work already running.
 *
 * Reasons, most important first: unknown sources, then the owner's presence or absence
 * (input, busy program, GPU, load), then what keeps the offer back (load, memory, battery,
 * hours). Each reason shows the measured value against its limit.
 *
 * Local time for the windows comes from localtime_r(), which does not re-read TZ: callers
 * call tzset() once at start-up.
 */

/* Day names for reasons; index 0 = Monday, as in idle_window.days. */
static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

#define DUR_LEN 32 /* a formatted duration ("1d23h59m59s") with room to spare */

/* The newest counted input. */
struct input {
	int64_t last_ms;  /* wall-clock ms of the newest counted input; 0 if none */
	const char *kind; /* "console", "tty" or "remote session"; NULL if none */
};

static bool src_ok(const struct idle_snapshot *snap, enum idle_source_id id)
{
	return snap->status[id] == IDLE_ST_OK;
}

/* Whole seconds from [then_ms] to [now_ms]; a future [then_ms] (clock stepped back) is 0. */
static int64_t age_s(int64_t now_ms, int64_t then_ms)
{
	return then_ms >= now_ms ? 0 : (now_ms - then_ms) / 1000;
}

static void input_consider(struct input *in, int64_t last_ms, const char *kind)
{
	if (last_ms > in->last_ms) {
		in->last_ms = last_ms;
		in->kind = kind;
	}
}

static struct input newest_input(const struct idle_snapshot *snap, const struct idle_policy *pol)
{
	struct input in = {0, NULL};

	if (src_ok(snap, IDLE_SRC_EVDEV))
		input_consider(&in, snap->evdev_last_ms, "console");
	if (src_ok(snap, IDLE_SRC_X11))
		input_consider(&in, snap->x11_last_ms, "console");
	if (src_ok(snap, IDLE_SRC_LOGIND))
		input_consider(&in, snap->logind_last_ms, "console");
	if (src_ok(snap, IDLE_SRC_TTY))
		input_consider(&in, snap->tty_last_ms, "tty");
	if (pol->remote_sessions) {
		if (src_ok(snap, IDLE_SRC_TTY))
			input_consider(&in, snap->tty_remote_last_ms, "remote session");
		if (src_ok(snap, IDLE_SRC_LOGIND))
			input_consider(&in, snap->logind_remote_last_ms, "remote session");
	}
	return in;
}

/* One step of the load latch (see the algorithm above). Called only with a valid reading. */
static void load_step(double load, const struct idle_policy *pol, int64_t now_ms,
		      struct idle_memo *memo)
{
	if (memo->load_busy) {
		if (load <= pol->background_load) {
			memo->load_busy = false;
			memo->load_high_since_ms = 0;
		}
		return;
	}
	if (load < pol->high_load) {
		memo->load_high_since_ms = 0;
		return;
	}
	/* A start in the future means the clock stepped back: count from now. */
	if (memo->load_high_since_ms == 0 || memo->load_high_since_ms > now_ms)
		memo->load_high_since_ms = now_ms;
	if (now_ms - memo->load_high_since_ms >= pol->high_load_for * 1000)
		memo->load_busy = true;
}

/*
 * A truncated string may end inside a UTF-8 sequence; cut before it so that Slurm and
 * terminals never see half a character. [s] is NUL-terminated at [n].
 */
static void utf8_trim(char *s, size_t n)
{
	size_t i = n, need;
	unsigned char c;

	while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)s[i - 1];
	if (c < 0xc0)
		return;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/*
 * Appends one reason, truncated to IDLE_REASON_LEN. Control characters become '?': a reason
 * ends up on one line of `sinfo -R`, and error texts come from outside. Reasons past
 * IDLE_MAX_REASONS are dropped; they are the least important.
 */
static void add_reason(struct idle_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_reason(struct idle_verdict *v, const char *fmt, ...)
{
	char *r;
	va_list ap;
	size_t i;
	int n;

	if (v->nreasons >= IDLE_MAX_REASONS)
		return;
	r = v->reasons[v->nreasons];
	va_start(ap, fmt);
	n = vsnprintf(r, IDLE_REASON_LEN, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= IDLE_REASON_LEN)
		utf8_trim(r, IDLE_REASON_LEN - 1);
	for (i = 0; r[i]; i++)
		if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f)
			r[i] = '?';
	v->nreasons++;
}

static bool in_window(const struct idle_window *w, int wday, int min)
{
	int yday = (wday + 6) % 7;

	if (w->start_min < w->end_min)
		return (w->days >> wday & 1) && min >= w->start_min && min < w->end_min;
	if (w->end_min < w->start_min) /* wraps: the days name the day the window starts */
		return ((w->days >> wday & 1) && min >= w->start_min) ||
		       ((w->days >> yday & 1) && min < w->end_min);
	return false; /* empty: doubt keeps the desktop out */
}

/* Adds the reason and returns false when [now_ms] is outside every window. */
static bool check_hours(const struct idle_policy *pol, int64_t now_ms, struct idle_verdict *v)
{
	time_t t = (time_t)(now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000);
	struct tm tm;
	int wday, min, i;

	if (pol->nwindows <= 0)
		return true;
	if (!localtime_r(&t, &tm)) {
		add_reason(v, "outside offer hours (local time unknown)");
		return false;
	}
	wday = (tm.tm_wday + 6) % 7;
	min = tm.tm_hour * 60 + tm.tm_min;
	for (i = 0; i < pol->nwindows && i < IDLE_MAX_WINDOWS; i++)
		if (in_window(&pol->windows[i], wday, min))
			return true;
	add_reason(v, "outside offer hours (%s %02d:%02d)", day_names[wday], tm.tm_hour, tm.tm_min);
	return false;
}

void idle_decide(const struct idle_snapshot *snap, const struct idle_policy *pol, int64_t now_ms,
		 struct idle_memo *memo, struct idle_verdict *out)
{
	struct input in = newest_input(snap, pol);
	bool load_ok = src_ok(snap, IDLE_SRC_LOAD);
	bool busy_program, gpu_busy, load_latched, present_input, recent_sign, long_enough = false;
	bool unknown = false, offer_ok = true, run_ok = true;
	const char *locked = "";
	char d1[DUR_LEN], d2[DUR_LEN];
	int64_t absent_since, limit;
	int i;

	memset(out, 0, sizeof(*out));

	/* 2. signs other than input */
	if (load_ok)
		load_step(snap->load_nonjob, pol, now_ms, memo);
	busy_program = src_ok(snap, IDLE_SRC_PROCESSES) && snap->busy_program[0];
	gpu_busy = src_ok(snap, IDLE_SRC_GPU) && snap->gpu_util_pct > pol->max_gpu_util;
	load_latched = load_ok && memo->load_busy;
	if (busy_program || gpu_busy || load_latched)
		memo->last_sign_ms = now_ms;

	/* 3. the owner */
	present_input = in.last_ms > 0 && age_s(now_ms, in.last_ms) < pol->resume_after;
	recent_sign = memo->last_sign_ms > 0 && age_s(now_ms, memo->last_sign_ms) < pol->resume_after;
	absent_since = in.last_ms > memo->last_sign_ms ? in.last_ms : memo->last_sign_ms;
	out->absent_since_ms = absent_since;
	for (i = 0; i < IDLE_SRC_COUNT; i++) {
		if (snap->status[i] != IDLE_ST_UNKNOWN)
			continue;
		unknown = true;
		if (snap->error[i][0])
			add_reason(out, "%s unknown: %.*s", idle_source_name(i), IDLE_ERR_LEN - 1,
				   snap->error[i]);
		else
			add_reason(out, "%s unknown", idle_source_name(i));
	}
	if (unknown)
		out->owner = IDLE_OWNER_UNKNOWN;
	else if (present_input || recent_sign)
		out->owner = IDLE_OWNER_PRESENT;
	else
		out->owner = IDLE_OWNER_ABSENT;

	limit = pol->idle_after;
	if (src_ok(snap, IDLE_SRC_LOGIND) && snap->logind_locked == 1) {
		limit = pol->locked_idle_after;
		locked = " (screen locked)";
	}

	/* The owner's presence, or how long the absence has lasted. */
	/* Present or not, the limit quoted is the one that brings the desktop back to Slurm:
	 * that is what the admin reading `sinfo -R` wants to know. */
	if (present_input) {
		add_reason(out, "%s input %s ago < %s%s", in.kind,
			   idle_format_duration(age_s(now_ms, in.last_ms), d1, sizeof(d1)),
			   idle_format_duration(limit, d2, sizeof(d2)), locked);
	} else if (recent_sign && !busy_program && !gpu_busy && !load_latched) {
		add_reason(out, "busy program, GPU or load %s ago < %s%s",
			   idle_format_duration(age_s(now_ms, memo->last_sign_ms), d1, sizeof(d1)),
			   idle_format_duration(limit, d2, sizeof(d2)), locked);
	} else if (out->owner == IDLE_OWNER_ABSENT) {
		int64_t age = age_s(now_ms, absent_since);

		long_enough = absent_since == 0 || age >= limit;
		idle_format_duration(age, d1, sizeof(d1));
		idle_format_duration(limit, d2, sizeof(d2));
		if (absent_since == 0)
			add_reason(out, "no owner input seen");
		else if (memo->last_sign_ms > in.last_ms)
			add_reason(out, "busy program, GPU or load %s ago %s %s%s", d1,
				   long_enough ? ">=" : "<", d2, locked);
		else
			add_reason(out, "%s input %s ago %s %s%s", in.kind, d1,
				   long_enough ? ">=" : "<", d2, locked);
	}
	if (busy_program)
		add_reason(out, "busy program %.*s running (pid %d)", IDLE_NAME_LEN - 1,
			   snap->busy_program, snap->busy_pid);
	if (gpu_busy)
		add_reason(out, "GPU %d%% busy > %d%%", snap->gpu_util_pct, pol->max_gpu_util);

	/* What keeps new jobs out even when the owner is away. */
	if (load_latched && snap->load_nonjob >= pol->high_load) {
		add_reason(out, "non-job load %.2f >= %.2f for %s", snap->load_nonjob,
			   pol->high_load,
			   idle_format_duration(pol->high_load_for, d1, sizeof(d1)));
		offer_ok = false;
	} else if (load_ok && (load_latched || snap->load_nonjob > pol->background_load)) {
		add_reason(out, "non-job load %.2f > %.2f", snap->load_nonjob,
			   pol->background_load);
		offer_ok = false;
	}
	if (src_ok(snap, IDLE_SRC_MEMORY) && snap->mem_used_pct > pol->max_memory_used) {
		add_reason(out, "non-job memory %.0f%% > %.0f%%", snap->mem_used_pct,
			   pol->max_memory_used);
		offer_ok = false;
	}
	if (src_ok(snap, IDLE_SRC_POWER) && !snap->on_ac && !pol->run_on_battery) {
		if (snap->battery_pct >= 0)
			add_reason(out, "on battery (%d%%)", snap->battery_pct);
		else
			add_reason(out, "on battery");
		run_ok = false;
		offer_ok = false;
	}
	if (!check_hours(pol, now_ms, out))
		offer_ok = false;

	out->run = out->owner == IDLE_OWNER_ABSENT && run_ok;
	out->offer = out->run && long_enough && offer_ok;

	/* When the passing of time alone will change this verdict: the caller can sleep until
	 * then instead of polling. Only the input and sign ages are clocks here; load, programs
	 * and windows change only with what the sources read. */
	if (out->owner == IDLE_OWNER_PRESENT && !busy_program && !gpu_busy && !load_latched)
		out->next_change_ms = absent_since + pol->resume_after * 1000;
	else if (out->owner == IDLE_OWNER_ABSENT && !long_enough)
		out->next_change_ms = absent_since + limit * 1000;
}

/*
 * Joins the reasons with "; ". When they do not fit, the last one is cut (never inside a
 * UTF-8 character), or left out if not even its first character fits after the separator.
 */
char *idle_verdict_reasons(const struct idle_verdict *v, char *buf, size_t len)
{
	size_t off = 0;
	int i, n;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < v->nreasons && i < IDLE_MAX_REASONS; i++) {
		const char *sep = i ? "; " : "";

		n = snprintf(buf + off, len - off, "%s%.*s", sep, IDLE_REASON_LEN - 1,
			     v->reasons[i]);
		if (n < 0) {
			buf[off] = '\0';
			break;
		}
		if ((size_t)n < len - off) {
			off += (size_t)n;
			continue;
		}
		if (off + strlen(sep) >= len - 1)
			buf[off] = '\0';
		else
			utf8_trim(buf, len - 1);
		break;
	}
	return buf;
}
