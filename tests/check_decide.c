/* SPDX-License-Identifier: MIT */
/* check_decide.c - the decision (idle_decide) and its reasons, over plain structs. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idle.h"
#include "testutil.h"

#define SEC  ((int64_t)1000)
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)
/* Monday 2024-01-01 00:00:00 UTC: windows tests count days from here. */
#define MON0 ((int64_t)1704067200 * SEC)
#define NOW  (MON0 + 10 * HOUR)

/* A snapshot where every source is OFF, as idle_sample() leaves unread fields. */
static void snap_init(struct idle_snapshot *s, int64_t now)
{
	memset(s, 0, sizeof(*s));
	s->now_ms = now;
	s->on_ac = true;
	s->battery_pct = -1;
	s->logind_locked = -1;
}

/* The shipped defaults, spelled out so that the expected reasons below do not move. */
static void pol_init(struct idle_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->idle_after = 15 * 60;
	p->locked_idle_after = 5 * 60;
	p->resume_after = 5 * 60;
	p->remote_sessions = true;
	p->background_load = 0.3;
	p->high_load = 0.5;
	p->high_load_for = 2 * 60;
	p->max_memory_used = 90.0;
	p->run_on_battery = false;
	p->max_gpu_util = 20;
}

static const char *joined(const struct idle_verdict *v)
{
	static char buf[IDLE_MAX_REASONS * IDLE_REASON_LEN];

	return idle_verdict_reasons(v, buf, sizeof(buf));
}

/* One decision with a fresh memo. */
static void decide1(const struct idle_snapshot *s, const struct idle_policy *p, int64_t now,
		    struct idle_verdict *v)
{
	struct idle_memo m;

	memset(&m, 0, sizeof(m));
	idle_decide(s, p, now, &m, v);
}

/* A desktop whose only source is evdev, last touched [ago] before NOW. */
static void console_only(struct idle_snapshot *s, int64_t ago)
{
	snap_init(s, NOW);
	s->status[IDLE_SRC_EVDEV] = IDLE_ST_OK;
	s->evdev_devices = 2;
	s->evdev_last_ms = NOW - ago;
}

START_TEST(test_input_present)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	console_only(&s, 12 * SEC + 999);
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.offer);
	ck_assert(!v.run);
	ck_assert_int_eq(v.nreasons, 1);
	ck_assert_str_eq(v.reasons[0], "console input 12s ago < 15m");

	/* the last millisecond before resume_after is still the owner */
	console_only(&s, 5 * MIN - 1);
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_str_eq(joined(&v), "console input 4m59s ago < 15m");

	/* input stamped after now (clock stepped back) counts as 0s old */
	console_only(&s, -3 * SEC);
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_str_eq(joined(&v), "console input 0s ago < 15m");
}
END_TEST

/* The verdict says when time alone changes it, and deciding then gives the change. */
START_TEST(test_next_change)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	struct idle_memo m;
	int64_t last = NOW - 12 * SEC;

	pol_init(&p);
	console_only(&s, 12 * SEC);
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_int_eq(v.next_change_ms, last + 5 * MIN);
	decide1(&s, &p, v.next_change_ms - 1, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	decide1(&s, &p, last + 5 * MIN, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(!v.offer);
	ck_assert_int_eq(v.next_change_ms, last + 15 * MIN);
	decide1(&s, &p, v.next_change_ms - 1, &v);
	ck_assert(!v.offer);
	decide1(&s, &p, last + 15 * MIN, &v);
	ck_assert(v.offer);
	ck_assert_int_eq(v.next_change_ms, 0);

	/* a busy program changes only when a reading says so */
	memset(&m, 0, sizeof(m));
	s.status[IDLE_SRC_PROCESSES] = IDLE_ST_OK;
	strcpy(s.busy_program, "blender");
	idle_decide(&s, &p, NOW, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_int_eq(v.next_change_ms, 0);
}
END_TEST

START_TEST(test_input_absent)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	console_only(&s, 5 * MIN);
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert_int_eq(v.absent_since_ms, NOW - 5 * MIN);
	ck_assert(v.run);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "console input 5m ago < 15m");

	console_only(&s, 15 * MIN - 1);
	decide1(&s, &p, NOW, &v);
	ck_assert(v.run);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "console input 14m59s ago < 15m");
}
END_TEST

START_TEST(test_input_offered)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	console_only(&s, 15 * MIN);
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(v.offer);
	ck_assert(v.run);
	ck_assert_str_eq(joined(&v), "console input 15m ago >= 15m");

	console_only(&s, 20 * MIN + 10 * SEC);
	decide1(&s, &p, NOW, &v);
	ck_assert(v.offer);
	ck_assert_int_eq(v.absent_since_ms, NOW - 20 * MIN - 10 * SEC);
	ck_assert_str_eq(joined(&v), "console input 20m10s ago >= 15m");
}
END_TEST

START_TEST(test_source_kinds)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);

	/* X11 and logind are console input too; the newest wins */
	snap_init(&s, NOW);
	s.status[IDLE_SRC_EVDEV] = IDLE_ST_OK;
	s.evdev_last_ms = NOW - 30 * MIN;
	s.status[IDLE_SRC_X11] = IDLE_ST_OK;
	s.x11_last_ms = NOW - 20 * MIN;
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_OK;
	s.logind_last_ms = NOW - 6 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_str_eq(joined(&v), "console input 6m ago < 15m");
	s.logind_last_ms = NOW - 40 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_str_eq(joined(&v), "console input 20m ago >= 15m");
	ck_assert(v.offer);

	/* a local tty newer than the console */
	s.status[IDLE_SRC_TTY] = IDLE_ST_OK;
	s.tty_last_ms = NOW - 3 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_str_eq(joined(&v), "tty input 3m ago < 15m");

	/* a remote tty newer still */
	s.tty_remote_last_ms = NOW - 40 * SEC;
	decide1(&s, &p, NOW, &v);
	ck_assert_str_eq(joined(&v), "remote session input 40s ago < 15m");

	/* a remote logind session, with the tty source gone */
	s.status[IDLE_SRC_TTY] = IDLE_ST_NONE;
	s.logind_remote_last_ms = NOW - 2 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_str_eq(joined(&v), "remote session input 2m ago < 15m");

	/* equal times: console before tty before remote */
	snap_init(&s, NOW);
	s.status[IDLE_SRC_TTY] = IDLE_ST_OK;
	s.tty_last_ms = NOW - 7 * MIN;
	s.tty_remote_last_ms = NOW - 7 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_str_eq(joined(&v), "tty input 7m ago < 15m");
	s.status[IDLE_SRC_X11] = IDLE_ST_OK;
	s.x11_last_ms = NOW - 7 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_str_eq(joined(&v), "console input 7m ago < 15m");
}
END_TEST

START_TEST(test_remote_ignored)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	p.remote_sessions = false;
	console_only(&s, 20 * MIN);
	s.status[IDLE_SRC_TTY] = IDLE_ST_OK;
	s.tty_last_ms = NOW - 25 * MIN;
	s.tty_remote_last_ms = NOW - 40 * SEC;
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_OK;
	s.logind_last_ms = NOW - 30 * MIN;
	s.logind_remote_last_ms = NOW - 10 * SEC;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(v.offer);
	ck_assert_int_eq(v.absent_since_ms, NOW - 20 * MIN);
	ck_assert_str_eq(joined(&v), "console input 20m ago >= 15m");

	p.remote_sessions = true;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "remote session input 10s ago < 15m");
}
END_TEST

START_TEST(test_none_off_ignored)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	snap_init(&s, NOW);
	/* stale values in sources that are not OK must not count */
	s.status[IDLE_SRC_EVDEV] = IDLE_ST_NONE;
	s.evdev_last_ms = NOW;
	s.status[IDLE_SRC_X11] = IDLE_ST_OFF;
	s.x11_last_ms = NOW;
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_NONE;
	s.logind_last_ms = NOW;
	s.logind_remote_last_ms = NOW;
	s.logind_locked = 1;
	s.status[IDLE_SRC_PROCESSES] = IDLE_ST_NONE;
	strcpy(s.busy_program, "blender");
	s.status[IDLE_SRC_GPU] = IDLE_ST_OFF;
	s.gpu_util_pct = 99;
	s.status[IDLE_SRC_MEMORY] = IDLE_ST_NONE;
	s.mem_used_pct = 99;
	s.status[IDLE_SRC_POWER] = IDLE_ST_NONE;
	s.on_ac = false;
	s.status[IDLE_SRC_LOAD] = IDLE_ST_OFF;
	s.load_nonjob = 4.0;
	s.status[IDLE_SRC_TTY] = IDLE_ST_OK;
	s.tty_last_ms = NOW - 20 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(v.offer);
	ck_assert(v.run);
	/* the lock of a logind that is not OK does not shorten the limit either */
	ck_assert_str_eq(joined(&v), "tty input 20m ago >= 15m");

	s.status[IDLE_SRC_TTY] = IDLE_ST_NONE;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert_int_eq(v.absent_since_ms, 0);
	ck_assert(v.offer);
	ck_assert_str_eq(joined(&v), "no owner input seen");
}
END_TEST

START_TEST(test_unknown)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	console_only(&s, 20 * MIN);
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_UNKNOWN;
	strcpy(s.error[IDLE_SRC_LOGIND], "cannot connect to the system bus");
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_UNKNOWN);
	ck_assert(!v.offer);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "logind unknown: cannot connect to the system bus");

	/* any source: a failing load reading is doubt too; recent input still shows */
	console_only(&s, 30 * SEC);
	s.status[IDLE_SRC_LOAD] = IDLE_ST_UNKNOWN;
	strcpy(s.error[IDLE_SRC_LOAD], "/proc/stat: No such file or directory");
	s.status[IDLE_SRC_GPU] = IDLE_ST_UNKNOWN;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_UNKNOWN);
	ck_assert(!v.offer);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "load unknown: /proc/stat: No such file or directory; "
				     "gpu unknown; console input 30s ago < 15m");
}
END_TEST

START_TEST(test_lock)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	p.resume_after = 2 * 60;
	snap_init(&s, NOW);
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_OK;
	s.logind_sessions = 1;
	s.logind_locked = 1;
	s.logind_last_ms = NOW - 3 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "console input 3m ago < 5m (screen locked)");

	s.logind_last_ms = NOW - 6 * MIN;
	decide1(&s, &p, NOW, &v);
	ck_assert(v.offer);
	ck_assert_str_eq(joined(&v), "console input 6m ago >= 5m (screen locked)");

	/* unlocked, or no graphical session: the full idle_after */
	s.logind_locked = 0;
	decide1(&s, &p, NOW, &v);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "console input 6m ago < 15m");
	s.logind_locked = -1;
	decide1(&s, &p, NOW, &v);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "console input 6m ago < 15m");
}
END_TEST

START_TEST(test_load_hysteresis)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	struct idle_memo m;
	int64_t t = NOW, busy_end;

	pol_init(&p);
	memset(&m, 0, sizeof(m));
	console_only(&s, 0);
	s.evdev_last_ms = NOW - HOUR;
	s.status[IDLE_SRC_LOAD] = IDLE_ST_OK;

	s.load_nonjob = 0.2;
	idle_decide(&s, &p, t, &m, &v);
	ck_assert(v.offer);
	ck_assert_int_eq(m.load_high_since_ms, 0);
	ck_assert(!m.load_busy);

	/* rises: not yet the owner, but no new jobs */
	t += 5 * SEC;
	s.load_nonjob = 0.6;
	idle_decide(&s, &p, t, &m, &v);
	ck_assert_int_eq(m.load_high_since_ms, t);
	ck_assert(!m.load_busy);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(!v.offer);
	ck_assert(v.run);
	ck_assert_str_eq(joined(&v), "console input 1h5s ago >= 15m; non-job load 0.60 > 0.30");

	/* a dip below high_load before the latch restarts the count */
	t += 60 * SEC;
	s.load_nonjob = 0.45;
	idle_decide(&s, &p, t, &m, &v);
	ck_assert_int_eq(m.load_high_since_ms, 0);
	ck_assert(!m.load_busy);

	t += 5 * SEC;
	s.load_nonjob = 0.7;
	idle_decide(&s, &p, t, &m, &v);
	ck_assert_int_eq(m.load_high_since_ms, t);

	/* holds for high_load_for minus 1 ms: still not latched */
	idle_decide(&s, &p, t + 2 * MIN - 1, &m, &v);
	ck_assert(!m.load_busy);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert_int_eq(m.last_sign_ms, 0);

	/* latches */
	t += 2 * MIN;
	idle_decide(&s, &p, t, &m, &v);
	ck_assert(m.load_busy);
	ck_assert_int_eq(m.last_sign_ms, t);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.run);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "non-job load 0.70 >= 0.50 for 2m");

	/* stays latched between background_load and high_load */
	t += 10 * SEC;
	s.load_nonjob = 0.31;
	idle_decide(&s, &p, t, &m, &v);
	ck_assert(m.load_busy);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_int_eq(m.last_sign_ms, t);
	ck_assert_str_eq(joined(&v), "non-job load 0.31 > 0.30");
	busy_end = t;

	/* a failing load reading changes nothing in the memo */
	s.status[IDLE_SRC_LOAD] = IDLE_ST_UNKNOWN;
	s.load_nonjob = 0.0;
	idle_decide(&s, &p, t + SEC, &m, &v);
	ck_assert(m.load_busy);
	ck_assert_int_eq(v.owner, IDLE_OWNER_UNKNOWN);
	s.status[IDLE_SRC_LOAD] = IDLE_ST_OK;

	/* unlatches at background_load; present until resume_after has passed since the last
	 * busy sample, then absent since it */
	t += 10 * SEC;
	s.load_nonjob = 0.3;
	idle_decide(&s, &p, t, &m, &v);
	ck_assert(!m.load_busy);
	ck_assert_int_eq(m.load_high_since_ms, 0);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "busy program, GPU or load 10s ago < 15m");
	idle_decide(&s, &p, busy_end + 6 * MIN, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert_int_eq(v.absent_since_ms, busy_end);
	ck_assert(v.run);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "busy program, GPU or load 6m ago < 15m");

	idle_decide(&s, &p, busy_end + 15 * MIN, &m, &v);
	ck_assert(v.offer);
	ck_assert_str_eq(joined(&v), "busy program, GPU or load 15m ago >= 15m");
}
END_TEST

START_TEST(test_busy_program_gpu)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	struct idle_memo m;

	pol_init(&p);
	memset(&m, 0, sizeof(m));
	console_only(&s, 20 * MIN);
	s.status[IDLE_SRC_PROCESSES] = IDLE_ST_OK;
	strcpy(s.busy_program, "blender");
	s.busy_pid = 1234;
	s.status[IDLE_SRC_GPU] = IDLE_ST_OK;
	s.gpu_count = 1;
	s.gpu_util_pct = 20;
	idle_decide(&s, &p, NOW, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_int_eq(m.last_sign_ms, NOW);
	ck_assert_int_eq(v.absent_since_ms, NOW);
	ck_assert(!v.run);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "busy program blender running (pid 1234)");

	/* every sign is listed, input first */
	s.gpu_util_pct = 85;
	s.evdev_last_ms = NOW - 12 * SEC;
	idle_decide(&s, &p, NOW, &m, &v);
	ck_assert_str_eq(joined(&v), "console input 12s ago < 15m; "
				     "busy program blender running (pid 1234); GPU 85% busy > 20%");

	/* the GPU alone */
	memset(&m, 0, sizeof(m));
	s.busy_program[0] = '\0';
	s.busy_pid = 0;
	s.evdev_last_ms = NOW - 20 * MIN;
	idle_decide(&s, &p, NOW, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert_int_eq(m.last_sign_ms, NOW);
	ck_assert_str_eq(joined(&v), "GPU 85% busy > 20%");

	/* GPU quiet again a minute later: still present (resume_after counts from the sign) */
	s.gpu_util_pct = 3;
	idle_decide(&s, &p, NOW + MIN, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "busy program, GPU or load 1m ago < 15m");

	/* six minutes later: absent since the last sign, not since the input */
	idle_decide(&s, &p, NOW + 6 * MIN, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert_int_eq(v.absent_since_ms, NOW);
	ck_assert(v.run);
	ck_assert(!v.offer);
	ck_assert_str_eq(joined(&v), "busy program, GPU or load 6m ago < 15m");
}
END_TEST

START_TEST(test_battery)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	console_only(&s, 20 * MIN);
	s.status[IDLE_SRC_POWER] = IDLE_ST_OK;
	s.on_ac = false;
	s.battery_pct = 45;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(!v.offer);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "console input 20m ago >= 15m; on battery (45%)");

	s.battery_pct = -1;
	decide1(&s, &p, NOW, &v);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "console input 20m ago >= 15m; on battery");

	p.run_on_battery = true;
	decide1(&s, &p, NOW, &v);
	ck_assert(v.offer);
	ck_assert(v.run);
	ck_assert_str_eq(joined(&v), "console input 20m ago >= 15m");

	p.run_on_battery = false;
	s.on_ac = true;
	s.battery_pct = 45;
	decide1(&s, &p, NOW, &v);
	ck_assert(v.offer);
	ck_assert(v.run);
}
END_TEST

START_TEST(test_memory)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	console_only(&s, 20 * MIN);
	s.status[IDLE_SRC_MEMORY] = IDLE_ST_OK;
	s.mem_used_pct = 93.2;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(!v.offer);
	ck_assert(v.run);
	ck_assert_str_eq(joined(&v), "console input 20m ago >= 15m; non-job memory 93% > 90%");

	s.mem_used_pct = 90.0;
	decide1(&s, &p, NOW, &v);
	ck_assert(v.offer);
	ck_assert_str_eq(joined(&v), "console input 20m ago >= 15m");
}
END_TEST

static void set_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* Offered at [t] (days and times from Monday 2024-01-01 00:00 UTC)? */
static bool offered_at(const struct idle_policy *p, int64_t t, struct idle_verdict *v)
{
	struct idle_snapshot s;

	snap_init(&s, t);
	s.status[IDLE_SRC_EVDEV] = IDLE_ST_OK;
	s.evdev_last_ms = t - HOUR;
	decide1(&s, p, t, v);
	ck_assert(v->run);
	return v->offer;
}

START_TEST(test_windows)
{
	struct idle_policy p;
	struct idle_verdict v;

	pol_init(&p);
	/* weeknights 18:00-08:00, starting Monday to Friday evening; whole weekend days */
	p.nwindows = 2;
	p.windows[0] = (struct idle_window){.days = 0x1f, .start_min = 18 * 60, .end_min = 8 * 60};
	p.windows[1] = (struct idle_window){.days = 0x60, .start_min = 0, .end_min = 1440};

	ck_assert(!offered_at(&p, MON0 + 1 * DAY + 14 * HOUR + 5 * MIN, &v));
	ck_assert_str_eq(joined(&v),
			 "console input 1h ago >= 15m; outside offer hours (Tue 14:05)");
	ck_assert(offered_at(&p, MON0 + 1 * DAY + 18 * HOUR, &v));
	ck_assert_str_eq(joined(&v), "console input 1h ago >= 15m");
	ck_assert(!offered_at(&p, MON0 + 1 * DAY + 18 * HOUR - 1, &v));
	ck_assert_str_eq(joined(&v),
			 "console input 1h ago >= 15m; outside offer hours (Tue 17:59)");
	/* past midnight, the window of the evening before */
	ck_assert(offered_at(&p, MON0 + 2 * DAY + 7 * HOUR + 59 * MIN, &v));
	ck_assert(!offered_at(&p, MON0 + 2 * DAY + 8 * HOUR, &v));
	ck_assert_str_eq(joined(&v),
			 "console input 1h ago >= 15m; outside offer hours (Wed 08:00)");
	/* Monday morning: Sunday names no weeknight window, and Sunday's ends at midnight */
	ck_assert(!offered_at(&p, MON0 + 7 * HOUR, &v));
	ck_assert_str_eq(joined(&v),
			 "console input 1h ago >= 15m; outside offer hours (Mon 07:00)");
	/* Friday night into Saturday, the weekend, up to Sunday's last minute */
	ck_assert(offered_at(&p, MON0 + 4 * DAY + 23 * HOUR + 30 * MIN, &v));
	ck_assert(offered_at(&p, MON0 + 5 * DAY + 12 * HOUR, &v));
	ck_assert(offered_at(&p, MON0 + 6 * DAY + 23 * HOUR + 59 * MIN, &v));
	ck_assert(!offered_at(&p, MON0 + 7 * DAY + 12 * HOUR, &v));
	ck_assert_str_eq(joined(&v),
			 "console input 1h ago >= 15m; outside offer hours (Mon 12:00)");

	/* end 1440 is midnight */
	p.nwindows = 1;
	p.windows[0] = (struct idle_window){.days = 0x01, .start_min = 22 * 60, .end_min = 1440};
	ck_assert(offered_at(&p, MON0 + 23 * HOUR + 59 * MIN, &v));
	ck_assert(!offered_at(&p, MON0 + 1 * DAY, &v));
	ck_assert_str_eq(joined(&v),
			 "console input 1h ago >= 15m; outside offer hours (Tue 00:00)");

	/* no windows: any time */
	p.nwindows = 0;
	ck_assert(offered_at(&p, MON0 + 1 * DAY + 14 * HOUR + 5 * MIN, &v));
}
END_TEST

START_TEST(test_headless)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	struct idle_memo m;

	pol_init(&p);
	memset(&m, 0, sizeof(m));
	snap_init(&s, NOW);
	s.status[IDLE_SRC_EVDEV] = IDLE_ST_NONE;
	s.status[IDLE_SRC_TTY] = IDLE_ST_NONE;
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_NONE;
	s.status[IDLE_SRC_X11] = IDLE_ST_NONE;
	s.status[IDLE_SRC_LOAD] = IDLE_ST_OK;
	s.load_nonjob = 0.1;
	idle_decide(&s, &p, NOW, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert_int_eq(v.absent_since_ms, 0);
	ck_assert(v.offer);
	ck_assert(v.run);
	ck_assert_str_eq(joined(&v), "no owner input seen");

	s.load_nonjob = 0.42;
	idle_decide(&s, &p, NOW + 5 * SEC, &m, &v);
	ck_assert(!v.offer);
	ck_assert(v.run);
	ck_assert_str_eq(joined(&v), "no owner input seen; non-job load 0.42 > 0.30");

	s.load_nonjob = 1.5;
	idle_decide(&s, &p, NOW + 10 * SEC, &m, &v);
	idle_decide(&s, &p, NOW + 10 * SEC + 2 * MIN, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "non-job load 1.50 >= 0.50 for 2m");
}
END_TEST

START_TEST(test_reasons_join)
{
	struct idle_verdict v;
	char b[16];

	memset(&v, 0, sizeof(v));
	ck_assert_str_eq(joined(&v), "");
	v.nreasons = 2;
	strcpy(v.reasons[0], "abc");
	strcpy(v.reasons[1], "def");
	ck_assert_str_eq(joined(&v), "abc; def");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 9), "abc; def");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 8), "abc; de");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 7), "abc; d");
	/* no dangling separator */
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 6), "abc");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 5), "abc");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 3), "ab");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 1), "");
	b[0] = 'x';
	idle_verdict_reasons(&v, b, 0);
	ck_assert_int_eq(b[0], 'x');
	/* never half a UTF-8 character: "\xe2\x82\xac" is the euro sign */
	strcpy(v.reasons[0], "ab\xe2\x82\xac");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 5), "ab");
	ck_assert_str_eq(idle_verdict_reasons(&v, b, 6), "ab\xe2\x82\xac");
}
END_TEST

START_TEST(test_reasons_truncated)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	char big[IDLE_MAX_REASONS * IDLE_REASON_LEN];
	int i;

	pol_init(&p);
	console_only(&s, 20 * MIN);
	s.status[IDLE_SRC_PROCESSES] = IDLE_ST_OK;
	memset(s.busy_program, 'x', IDLE_NAME_LEN - 1);
	s.busy_pid = 2147483647;
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_UNKNOWN;
	memset(s.error[IDLE_SRC_LOGIND], 'e', IDLE_ERR_LEN - 1);
	s.error[IDLE_SRC_LOGIND][5] = '\n';
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.nreasons, 2);
	ck_assert_uint_eq(strlen(v.reasons[0]), IDLE_REASON_LEN - 1);
	ck_assert(strncmp(v.reasons[0], "logind unknown: eeeee?eee", 25) == 0);
	ck_assert(strncmp(v.reasons[1], "busy program xxx", 16) == 0);
	ck_assert(strstr(v.reasons[1], "running (pid 2147483647)"));

	/* an error cut inside a UTF-8 character loses the whole character */
	memset(s.error[IDLE_SRC_LOGIND], 'e', IDLE_ERR_LEN - 1);
	memcpy(s.error[IDLE_SRC_LOGIND] + 110, "\xe2\x82\xac", 3);
	decide1(&s, &p, NOW, &v);
	ck_assert_uint_eq(strlen(v.reasons[0]), 16 + 110);

	/* more reasons than fit: the least important are dropped */
	for (i = 0; i < IDLE_SRC_COUNT; i++)
		s.status[i] = IDLE_ST_UNKNOWN;
	decide1(&s, &p, NOW, &v);
	ck_assert_int_eq(v.nreasons, IDLE_MAX_REASONS);
	ck_assert(strncmp(v.reasons[0], "evdev unknown", 13) == 0);
	ck_assert_str_eq(v.reasons[IDLE_MAX_REASONS - 1], "processes unknown");
	idle_verdict_reasons(&v, big, sizeof(big));
	ck_assert(strstr(big, "; power unknown; processes unknown") != NULL);
}
END_TEST

/* Over many mixed situations: offer implies run, and run implies the owner is absent. */
START_TEST(test_consistency)
{
	static const int64_t ages[] = {0, 30 * SEC, 5 * MIN, 6 * MIN, 15 * MIN, HOUR};
	static const double loads[] = {0.0, 0.4, 0.9};
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	unsigned a, l, bits, n = 0;

	pol_init(&p);
	for (a = 0; a < sizeof(ages) / sizeof(ages[0]); a++)
		for (l = 0; l < sizeof(loads) / sizeof(loads[0]); l++)
			for (bits = 0; bits < 64; bits++) {
				struct idle_memo m = {.load_busy = bits & 1};

				console_only(&s, ages[a]);
				s.status[IDLE_SRC_LOAD] = IDLE_ST_OK;
				s.load_nonjob = loads[l];
				s.status[IDLE_SRC_POWER] = IDLE_ST_OK;
				s.on_ac = !(bits & 2);
				p.run_on_battery = bits & 4;
				s.status[IDLE_SRC_MEMORY] = IDLE_ST_OK;
				s.mem_used_pct = bits & 8 ? 95 : 10;
				s.status[IDLE_SRC_LOGIND] =
				    bits & 16 ? IDLE_ST_UNKNOWN : IDLE_ST_OK;
				s.logind_last_ms = NOW - HOUR;
				s.logind_locked = bits & 32 ? 1 : 0;
				idle_decide(&s, &p, NOW, &m, &v);
				ck_assert(!v.offer || v.run);
				ck_assert(!v.run || v.owner == IDLE_OWNER_ABSENT);
				ck_assert(v.nreasons >= 1);
				n += v.offer;
			}
	ck_assert_uint_gt(n, 0);
}
END_TEST

/*
 * The meaning of the three durations of absence, over a grid of (idle_after, resume_after,
 * locked_idle_after, input age, lock): the verdict and the reason text of each against the
 * rule of idleacc.yaml(5), spelled out here on its own:
 *   limit  = idle_after, or min(locked_idle_after, idle_after) while locked;
 *   resume = min(resume_after, limit);
 *   present while input is younger than resume (jobs stop at once, whatever the values);
 *   offered once it is limit old; the reason quotes the age against limit, the right way.
 * Values above idle_after stand for keys left at their defaults, which adapt.
 */
/* One point of the grid below. */
static void grid_case(int64_t idle, int64_t resume_after, int64_t locked, int64_t age, bool lock)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	int64_t limit, resume;
	bool present;
	char want[IDLE_REASON_LEN], d1[32], d2[32];

	pol_init(&p);
	p.idle_after = idle;
	p.resume_after = resume_after;
	p.locked_idle_after = locked;
	console_only(&s, age * SEC);
	s.status[IDLE_SRC_LOGIND] = IDLE_ST_OK;
	s.logind_sessions = 1;
	s.logind_locked = lock;
	decide1(&s, &p, NOW, &v);

	limit = lock && locked < idle ? locked : idle;
	resume = resume_after < limit ? resume_after : limit;
	present = age < resume;
	snprintf(want, sizeof(want), "console input %s ago %s %s%s",
		 idle_format_duration(age, d1, sizeof(d1)), age >= limit ? ">=" : "<",
		 idle_format_duration(limit, d2, sizeof(d2)), lock ? " (screen locked)" : "");
	ck_assert_msg(v.owner == (present ? IDLE_OWNER_PRESENT : IDLE_OWNER_ABSENT),
		      "idle %lld resume %lld locked %lld age %lld lock %d: owner %s",
		      (long long)idle, (long long)resume_after, (long long)locked, (long long)age,
		      lock, idle_owner_name(v.owner));
	ck_assert_int_eq(v.run, !present);
	ck_assert_int_eq(v.offer, !present && age >= limit);
	ck_assert_int_eq(v.nreasons, 1);
	ck_assert_str_eq(v.reasons[0], want);
	ck_assert_int_eq(v.codes[0],
			 (age >= limit ? IDLE_RC_INPUT_GE : IDLE_RC_INPUT_LT) + 3 * lock);
	ck_assert_int_eq(v.next_change_ms, present	 ? NOW + (resume - age) * SEC
					   : age < limit ? NOW + (limit - age) * SEC
							 : 0);
}

START_TEST(test_absence_grid)
{
	static const int64_t idles[] = {3, 15 * 60};
	static const int64_t resumes[] = {2, 5 * 60, 3600};
	static const int64_t lockeds[] = {1, 5 * 60, 7200};
	static const int64_t ages[] = {0, 1, 2, 3, 4, 299, 300, 301, 899, 900, 3600, 7200};
	unsigned i, r, l, a, n = 0;
	int lock;

	for (i = 0; i < 2; i++)
		for (r = 0; r < 3; r++)
			for (l = 0; l < 3; l++)
				for (a = 0; a < sizeof(ages) / sizeof(ages[0]); a++)
					for (lock = 0; lock < 2; lock++, n++)
						grid_case(idles[i], resumes[r], lockeds[l], ages[a],
							  lock);
	ck_assert_uint_eq(n, 2 * 3 * 3 * 12 * 2);
}
END_TEST

/*
 * The owner's return stops jobs even when a polled source shows it only once it is older
 * than resume_after (typed between two samples); a first sample, as after a restart, does
 * not count old input as a return.
 */
START_TEST(test_late_input)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	struct idle_memo m;

	pol_init(&p);
	p.idle_after = 3;
	memset(&m, 0, sizeof(m));
	console_only(&s, 10 * SEC);
	s.status[IDLE_SRC_EVDEV] = IDLE_ST_OFF;
	s.status[IDLE_SRC_TTY] = IDLE_ST_OK;
	s.tty_last_ms = NOW - 10 * SEC;
	idle_decide(&s, &p, NOW, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(v.offer);

	/* The tty was used 4 s before the next sample, 5 s later: a return. */
	s.tty_last_ms = NOW + SEC;
	idle_decide(&s, &p, NOW + 5 * SEC, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "tty input 0s ago < 3s");
	ck_assert_int_eq(v.next_change_ms, NOW + 8 * SEC);

	/* Nothing new: absent again resume_after after it was seen, offered after idle_after. */
	idle_decide(&s, &p, NOW + 8 * SEC, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(v.offer);
	ck_assert_str_eq(joined(&v), "tty input 3s ago >= 3s");
}
END_TEST

/* The codes tell a reason whose comparison turned round from one whose age only grew. */
START_TEST(test_same_reasons)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v1, v2, v3;

	pol_init(&p);
	p.idle_after = 3;
	console_only(&s, 0);
	decide1(&s, &p, NOW, &v1);
	decide1(&s, &p, NOW + 2 * SEC, &v2);
	decide1(&s, &p, NOW + 3 * SEC, &v3);
	ck_assert_str_eq(v1.reasons[0], "console input 0s ago < 3s");
	ck_assert_str_eq(v2.reasons[0], "console input 2s ago < 3s");
	ck_assert_str_eq(v3.reasons[0], "console input 3s ago >= 3s");
	ck_assert_int_eq(v1.codes[0], IDLE_RC_INPUT_LT);
	ck_assert_int_eq(v2.codes[0], IDLE_RC_INPUT_LT);
	ck_assert_int_eq(v3.codes[0], IDLE_RC_INPUT_GE);
}
END_TEST

/*
 * A wall clock stepped an hour ahead makes the owner's last input look an hour old: after
 * idle_memo_clock_stepped() the owner counts as seen at the step, present for resume_after,
 * offered idle_after later.
 */
START_TEST(test_clock_stepped)
{
	struct idle_snapshot s;
	struct idle_policy p;
	struct idle_verdict v;
	struct idle_memo m;

	pol_init(&p);
	memset(&m, 0, sizeof(m));
	console_only(&s, 10 * SEC);
	idle_decide(&s, &p, NOW, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);

	/* Without it, the step alone would let jobs run beside the owner. */
	{
		struct idle_memo m2 = m;

		idle_decide(&s, &p, NOW + HOUR, &m2, &v);
		ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
		ck_assert(v.run);
	}
	idle_memo_clock_stepped(&m, NOW + HOUR);
	idle_decide(&s, &p, NOW + HOUR, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_PRESENT);
	ck_assert(!v.run);
	ck_assert_str_eq(joined(&v), "console input 0s ago < 15m");
	idle_decide(&s, &p, NOW + HOUR + 5 * MIN, &m, &v);
	ck_assert_int_eq(v.owner, IDLE_OWNER_ABSENT);
	ck_assert(!v.offer);
	idle_decide(&s, &p, NOW + HOUR + 15 * MIN, &m, &v);
	ck_assert(v.offer);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("decide");
	TCase *tc;

#define TC(name, fn)                                                                               \
	tc = tcase_create(name);                                                                   \
	tcase_add_test(tc, fn);                                                                    \
	suite_add_tcase(s, tc)
	TC("input present", test_input_present);
	TC("input absent", test_input_absent);
	TC("next change", test_next_change);
	TC("input offered", test_input_offered);
	TC("source kinds", test_source_kinds);
	TC("remote ignored", test_remote_ignored);
	TC("none and off ignored", test_none_off_ignored);
	TC("unknown", test_unknown);
	TC("lock", test_lock);
	TC("load hysteresis", test_load_hysteresis);
	TC("busy program and gpu", test_busy_program_gpu);
	TC("battery", test_battery);
	TC("memory", test_memory);
	TC("windows", test_windows);
	tcase_add_checked_fixture(tc, set_utc, NULL);
	TC("headless", test_headless);
	TC("reasons join", test_reasons_join);
	TC("reasons truncated", test_reasons_truncated);
	TC("consistency", test_consistency);
	TC("absence grid", test_absence_grid);
	TC("late input", test_late_input);
	TC("same reasons", test_same_reasons);
	TC("clock stepped", test_clock_stepped);
#undef TC
	return s;
}

TEST_MAIN(make_suite)
