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
 * headless machine with no input devices is judged by its load alone. The policy is first
 * settled (idle_policy_settle): limit = idle_after, or locked_idle_after while logind says
 * every local graphical session is locked (and the Windows side, when it reports, says the
 * same of its console session); resume = resume_after, never above limit.
 *
 * 1. Input. Three kinds of "last input": console = newest of evdev, X11, logind's local
 *    sessions and the Windows console session; tty = local ttys; remote session = remote
 *    ttys, logind's remote sessions and Windows remote (RDP) sessions, counted only with
 *    policy remote_sessions. The newest counted one, and its kind, is what
 *    the reasons quote. Ties go to the console, then tty. An input that a polled source first
 *    shows when it is already resume old (the owner came and went between two samples)
 *    counts from when it was seen (memo->late_input_ms): the owner's return stops jobs even
 *    then.
 *
 * 2. Signs of the owner other than input, each true now: a busy program runs, a GPU is busier
 *    than max_gpu_util, or the non-job load is latched high. The load latch is HTCondor's
 *    hysteresis: load must stay >= high_load for high_load_for (memo->load_high_since_ms
 *    remembers since when; a dip below high_load before the latch restarts the count), and
 *    once latched it holds until load falls to background_load. A sign stamps
 *    memo->last_sign_ms = now, which keeps the absence timer at zero while it lasts.
 *
 * 3. The owner. Any UNKNOWN source makes the owner UNKNOWN (doubt counts as presence).
 *    Otherwise a sign now, or counted input or a sign younger than resume, makes it PRESENT:
 *    the owner's return, whatever idle_after and resume_after are, stops jobs at once.
 *    Otherwise ABSENT since max(newest input, last sign); 0 when neither was ever seen, which
 *    reads as "absent forever".
 *
 * 4. Run (running jobs may go on, suspended ones resume): ABSENT (so absent for resume), and
 *    on AC unless run_on_battery. Hours, memory and moderate load only keep new jobs out;
 *    they do not stop work already running.
 *
 * 5. Offer (new jobs may start): run, ABSENT for at least limit, load not latched and <=
 *    background_load, memory <= max_memory_used, and inside an offer window when windows
 *    are set. As resume <= limit, an offered desktop also lets its suspended jobs go on.
 *
 * Reasons, most important first: unknown sources, then the owner's presence or absence
 * (input, busy program, GPU, load), then what keeps the offer back (load, memory, battery,
 * hours). Each shows the measured value against its limit, and every comparison it prints
 * holds: an age is quoted against limit ("4s ago < 15m" while present or not yet long
 * enough, ">= 15m" once it is), which is the limit that brings the desktop back to Slurm.
 * Each reason has a code (enum idle_reason_code) so that a caller can tell when a reason it
 * wrote somewhere stopped being true.
 *
 * Local time for the windows comes from localtime_r().
 */

/* Day names for reasons; index 0 = Monday, as in idle_window.days. */
static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

#define DUR_LEN 32 /* a formatted duration ("1d23h59m59s") with room to spare */

/* The newest counted input. */
struct input {
	int64_t last_ms; /* wall-clock ms of the newest counted input; 0 if none */
	int kind;	 /* index in input_kinds[] */
};

/* The kinds of input, as the reasons name them; the index is added to the input codes. */
enum { IN_CONSOLE, IN_TTY, IN_REMOTE };
static const char *const input_kinds[3] = {"console", "tty", "remote session"};

static bool src_ok(const struct idle_snapshot *snap, enum idle_source_id id)
{
	return snap->status[id] == IDLE_ST_OK;
}

/* Whole seconds from [then_ms] to [now_ms]; a future [then_ms] (clock stepped back) is 0. */
static int64_t age_s(int64_t now_ms, int64_t then_ms)
{
	return then_ms >= now_ms ? 0 : (now_ms - then_ms) / 1000;
}

static void input_consider(struct input *in, int64_t last_ms, int kind)
{
	if (last_ms > in->last_ms) {
		in->last_ms = last_ms;
		in->kind = kind;
	}
}

static struct input newest_input(const struct idle_snapshot *snap, const struct idle_policy *pol)
{
	struct input in = {0, IN_CONSOLE};

	if (src_ok(snap, IDLE_SRC_EVDEV))
		input_consider(&in, snap->evdev_last_ms, IN_CONSOLE);
	if (src_ok(snap, IDLE_SRC_X11))
		input_consider(&in, snap->x11_last_ms, IN_CONSOLE);
	if (src_ok(snap, IDLE_SRC_LOGIND))
		input_consider(&in, snap->logind_last_ms, IN_CONSOLE);
	if (src_ok(snap, IDLE_SRC_WINDOWS))
		input_consider(&in, snap->windows_last_ms, IN_CONSOLE);
	if (src_ok(snap, IDLE_SRC_TTY))
		input_consider(&in, snap->tty_last_ms, IN_TTY);
	if (pol->remote_sessions) {
		if (src_ok(snap, IDLE_SRC_TTY))
			input_consider(&in, snap->tty_remote_last_ms, IN_REMOTE);
		if (src_ok(snap, IDLE_SRC_LOGIND))
			input_consider(&in, snap->logind_remote_last_ms, IN_REMOTE);
		if (src_ok(snap, IDLE_SRC_WINDOWS))
			input_consider(&in, snap->windows_remote_last_ms, IN_REMOTE);
	}
	return in;
}

/*
 * The screen counts as locked when every source that sees local sessions (logind, Windows)
 * says all of them are locked; one that sees an unlocked session, or none that sees a
 * session, leaves the longer limit.
 */
static bool screen_locked(const struct idle_snapshot *snap)
{
	bool seen = false, all = true;

	if (src_ok(snap, IDLE_SRC_LOGIND) && snap->logind_locked >= 0) {
		seen = true;
		all = all && snap->logind_locked == 1;
	}
	if (src_ok(snap, IDLE_SRC_WINDOWS) && snap->windows_locked >= 0) {
		seen = true;
		all = all && snap->windows_locked == 1;
	}
	return seen && all;
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
static void add_reason(struct idle_verdict *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_reason(struct idle_verdict *v, int code, const char *fmt, ...)
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
	v->codes[v->nreasons] = (unsigned char)code;
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
		add_reason(v, IDLE_RC_HOURS, "outside offer hours (local time unknown)");
		return false;
	}
	wday = (tm.tm_wday + 6) % 7;
	min = tm.tm_hour * 60 + tm.tm_min;
	for (i = 0; i < pol->nwindows && i < IDLE_MAX_WINDOWS; i++)
		if (in_window(&pol->windows[i], wday, min))
			return true;
	add_reason(v, IDLE_RC_HOURS, "outside offer hours (%s %02d:%02d)", day_names[wday],
		   tm.tm_hour, tm.tm_min);
	return false;
}

void idle_policy_settle(struct idle_policy *p)
{
	if (p->idle_after < 1)
		p->idle_after = 1;
	if (p->locked_idle_after < 1)
		p->locked_idle_after = 1;
	if (p->locked_idle_after > p->idle_after)
		p->locked_idle_after = p->idle_after;
	if (p->resume_after < 1)
		p->resume_after = 1;
	if (p->resume_after > p->idle_after)
		p->resume_after = p->idle_after;
	if (p->high_load < p->background_load)
		p->background_load = p->high_load;
}

/*
 * Step 1's late input: [in] is the newest counted input of this sample. An input newer than
 * the previous decision's that is already [resume_s] old was missed by the samples between;
 * it counts from now. Returns the input time the decision uses.
 */
static int64_t input_effective(const struct input *in, int64_t resume_s, int64_t now_ms,
			       struct idle_memo *memo)
{
	bool first = !memo->decided;
	bool newer = in->last_ms > memo->input_seen_ms;

	memo->decided = true;
	if (newer)
		memo->input_seen_ms = in->last_ms;
	if (in->last_ms == 0)
		return 0;
	if (!first && newer && age_s(now_ms, in->last_ms) >= resume_s)
		memo->late_input_ms = now_ms;
	/* A clock stepped back makes a stamp from the future: count from now. */
	if (memo->late_input_ms > now_ms)
		memo->late_input_ms = now_ms;
	return memo->late_input_ms > in->last_ms ? memo->late_input_ms : in->last_ms;
}

/* What the owner's signs other than input say now (step 2). */
struct signs {
	bool busy_program; /* a busy program runs */
	bool gpu_busy;	   /* a GPU is busier than max_gpu_util */
	bool load_latched; /* the non-job load is latched high */
	bool busy_windows; /* the busy program runs on the Windows side (no pid here) */
	int gpu_pct;	   /* with gpu_busy: the busiest GPU's utilisation, % */
};

static struct signs signs_now(const struct idle_snapshot *snap, const struct idle_policy *pol,
			      int64_t now_ms, struct idle_memo *memo)
{
	struct signs sg;
	bool load_ok = src_ok(snap, IDLE_SRC_LOAD);

	if (load_ok)
		load_step(snap->load_nonjob, pol, now_ms, memo);
	sg.busy_program = src_ok(snap, IDLE_SRC_PROCESSES) && snap->busy_program[0];
	sg.busy_windows =
	    !sg.busy_program && src_ok(snap, IDLE_SRC_WINDOWS) && snap->windows_busy_program[0];
	sg.busy_program = sg.busy_program || sg.busy_windows;
	sg.gpu_busy = src_ok(snap, IDLE_SRC_GPU) && snap->gpu_util_pct > pol->max_gpu_util;
	sg.gpu_pct = sg.gpu_busy ? snap->gpu_util_pct : 0;
	if (src_ok(snap, IDLE_SRC_WINDOWS) && snap->windows_gpu_util_pct > pol->max_gpu_util &&
	    snap->windows_gpu_util_pct > sg.gpu_pct) {
		sg.gpu_busy = true;
		sg.gpu_pct = snap->windows_gpu_util_pct;
	}
	sg.load_latched = load_ok && memo->load_busy;
	if (sg.busy_program || sg.gpu_busy || sg.load_latched)
		memo->last_sign_ms = now_ms;
	return sg;
}

/* One reason per UNKNOWN source; returns true if there was one (step 3). */
static bool unknown_reasons(const struct idle_snapshot *snap, struct idle_verdict *out)
{
	bool unknown = false;
	int i;

	for (i = 0; i < IDLE_SRC_COUNT; i++) {
		if (snap->status[i] != IDLE_ST_UNKNOWN)
			continue;
		unknown = true;
		if (snap->error[i][0])
			add_reason(out, IDLE_RC_UNKNOWN + i, "%s unknown: %.*s",
				   idle_source_name(i), IDLE_ERR_LEN - 1, snap->error[i]);
		else
			add_reason(out, IDLE_RC_UNKNOWN + i, "%s unknown", idle_source_name(i));
	}
	return unknown;
}

/*
 * The reason about the owner's presence or absence: the age of the newest input or sign
 * against [limit] (the limit that brings the desktop back). [age] is that age in seconds,
 * [by_sign] says a sign, not input, is the newest. Nothing while a sign lasts: its own
 * reason says more.
 */
static void owner_reason(struct idle_verdict *out, const struct input *in, bool ever, bool by_sign,
			 int64_t age, int64_t limit, bool locked)
{
	const char *lk = locked ? " (screen locked)" : "";
	bool ge = age >= limit;
	char d1[DUR_LEN], d2[DUR_LEN];

	/* Only an absence's age can reach the limit: a present owner's is below resume. */

	if (!ever) {
		add_reason(out, IDLE_RC_NO_INPUT, "no owner input seen");
		return;
	}
	idle_format_duration(age, d1, sizeof(d1));
	idle_format_duration(limit, d2, sizeof(d2));
	if (by_sign)
		add_reason(out, (ge ? IDLE_RC_SIGN_GE : IDLE_RC_SIGN_LT) + locked,
			   "busy program, GPU or load %s ago %s %s%s", d1, ge ? ">=" : "<", d2, lk);
	else
		add_reason(out, (ge ? IDLE_RC_INPUT_GE : IDLE_RC_INPUT_LT) + in->kind + 3 * locked,
			   "%s input %s ago %s %s%s", input_kinds[in->kind], d1, ge ? ">=" : "<",
			   d2, lk);
}

/* The readings that keep new jobs out even when the owner is away (step 5); false if any
 * does. Offer hours are checked apart, after the battery, so the reasons keep their order. */
static bool offer_conditions(const struct idle_snapshot *snap, const struct idle_policy *pol,
			     const struct signs *sg, struct idle_verdict *out)
{
	bool ok = true;
	char d[DUR_LEN];

	if (sg->load_latched && snap->load_nonjob >= pol->high_load) {
		add_reason(out, IDLE_RC_LOAD_HIGH, "non-job load %.2f >= %.2f for %s",
			   snap->load_nonjob, pol->high_load,
			   idle_format_duration(pol->high_load_for, d, sizeof(d)));
		ok = false;
	} else if (src_ok(snap, IDLE_SRC_LOAD) &&
		   (sg->load_latched || snap->load_nonjob > pol->background_load)) {
		add_reason(out, IDLE_RC_LOAD, "non-job load %.2f > %.2f", snap->load_nonjob,
			   pol->background_load);
		ok = false;
	}
	if (src_ok(snap, IDLE_SRC_MEMORY) && snap->mem_used_pct > pol->max_memory_used) {
		add_reason(out, IDLE_RC_MEMORY, "non-job memory %.0f%% > %.0f%%",
			   snap->mem_used_pct, pol->max_memory_used);
		ok = false;
	}
	return ok;
}

/* On battery without run_on_battery: jobs may not even run. Adds the reason. A guest's own
 * power source sees no battery: the Windows side's reading says for the PC. */
static bool on_battery(const struct idle_snapshot *snap, const struct idle_policy *pol,
		       struct idle_verdict *out)
{
	bool here = src_ok(snap, IDLE_SRC_POWER) && !snap->on_ac;
	bool windows = src_ok(snap, IDLE_SRC_WINDOWS) && snap->windows_on_ac == 0;
	int pct = here ? snap->battery_pct : snap->windows_battery_pct;

	if ((!here && !windows) || pol->run_on_battery)
		return false;
	if (pct >= 0)
		add_reason(out, IDLE_RC_BATTERY, "on battery (%d%%)", pct);
	else
		add_reason(out, IDLE_RC_BATTERY, "on battery");
	return true;
}

void idle_memo_clock_stepped(struct idle_memo *memo, int64_t now_ms)
{
	memo->late_input_ms = now_ms;
	if (memo->last_sign_ms)
		memo->last_sign_ms = now_ms;
	if (memo->load_high_since_ms > now_ms)
		memo->load_high_since_ms = now_ms;
}

void idle_decide(const struct idle_snapshot *snap, const struct idle_policy *policy, int64_t now_ms,
		 struct idle_memo *memo, struct idle_verdict *out)
{
	struct idle_policy pol = *policy;
	struct input in;
	struct signs sg;
	bool locked, sign_now, input_present, recent_sign, battery, offer_ok, long_enough = false;
	int64_t input_ms, absent_since, limit;

	memset(out, 0, sizeof(*out));
	idle_policy_settle(&pol);
	locked = screen_locked(snap);
	limit = locked ? pol.locked_idle_after : pol.idle_after;
	if (pol.resume_after > limit)
		pol.resume_after = limit; /* settled against idle_after; the lock shortens both */

	/* 1, 2: the newest input and the signs */
	in = newest_input(snap, &pol);
	input_ms = input_effective(&in, pol.resume_after, now_ms, memo);
	sg = signs_now(snap, &pol, now_ms, memo);
	sign_now = sg.busy_program || sg.gpu_busy || sg.load_latched;

	/* 3: the owner, and the reason about it */
	input_present = input_ms > 0 && age_s(now_ms, input_ms) < pol.resume_after;
	recent_sign =
	    memo->last_sign_ms > 0 && age_s(now_ms, memo->last_sign_ms) < pol.resume_after;
	absent_since = input_ms > memo->last_sign_ms ? input_ms : memo->last_sign_ms;
	out->absent_since_ms = absent_since;
	if (unknown_reasons(snap, out))
		out->owner = IDLE_OWNER_UNKNOWN;
	else if (sign_now || input_present || recent_sign)
		out->owner = IDLE_OWNER_PRESENT;
	else
		out->owner = IDLE_OWNER_ABSENT;
	if (input_present)
		owner_reason(out, &in, true, false, age_s(now_ms, input_ms), limit, locked);
	else if (recent_sign && !sign_now)
		owner_reason(out, &in, true, true, age_s(now_ms, memo->last_sign_ms), limit,
			     locked);
	else if (out->owner == IDLE_OWNER_ABSENT)
		owner_reason(out, &in, absent_since > 0, memo->last_sign_ms > input_ms,
			     age_s(now_ms, absent_since), limit, locked);
	if (out->owner == IDLE_OWNER_ABSENT)
		long_enough = absent_since == 0 || age_s(now_ms, absent_since) >= limit;
	if (sg.busy_windows)
		add_reason(out, IDLE_RC_BUSY_PROGRAM, "busy program %.*s running on Windows",
			   IDLE_NAME_LEN - 1, snap->windows_busy_program);
	else if (sg.busy_program)
		add_reason(out, IDLE_RC_BUSY_PROGRAM, "busy program %.*s running (pid %d)",
			   IDLE_NAME_LEN - 1, snap->busy_program, snap->busy_pid);
	if (sg.gpu_busy)
		add_reason(out, IDLE_RC_GPU, "GPU %d%% busy > %d%%", sg.gpu_pct, pol.max_gpu_util);

	/* 4, 5: run and offer */
	offer_ok = offer_conditions(snap, &pol, &sg, out);
	battery = on_battery(snap, &pol, out);
	if (!check_hours(&pol, now_ms, out))
		offer_ok = false;
	out->run = out->owner == IDLE_OWNER_ABSENT && !battery;
	out->offer = out->run && long_enough && offer_ok;

	/* When the passing of time alone will change this verdict: the caller can sleep until
	 * then instead of polling. Only the input and sign ages are clocks here; load, programs
	 * and windows change only with what the sources read. */
	if (out->owner == IDLE_OWNER_PRESENT && !sign_now)
		out->next_change_ms = absent_since + pol.resume_after * 1000;
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
