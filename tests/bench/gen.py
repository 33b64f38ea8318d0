#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen.py - the benchmark's synthetic inputs: a week of lab-desktop owner activity (trace.json)
and a job mix (jobs.json), both from a fixed seed so that runs compare.

  gen.py trace [--seed S] [--desktops N] [-o trace.json]
  gen.py jobs  [--seed S] [--desktops N] [-o jobs.json]
  gen.py stats TRACE              # occupancy and availability intervals of a trace: gen.py's
                                  # JSON, a CSV of logon events or an FTA event_trace table

All times are simulated seconds from Monday 00:00. Every parameter is in TRACE_PARAMS or
JOB_PARAMS below, with where its value comes from (README.md, "Trace model").
"""
import argparse
import json
import math
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist ships bench/)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traces  # noqa: E402

# Where a value comes from: "assumption" means ours, chosen to look like a teaching lab;
# only the figures cited in README.md come from the studies.
TRACE_PARAMS = {
    "open": [8 * 3600, 20 * 3600],      # building open 08:00-20:00 on weekdays (assumption)
    "class_slots": [[8 * 3600, 10 * 3600], [10 * 3600, 12 * 3600],
                    [14 * 3600, 16 * 3600], [16 * 3600, 18 * 3600]],  # 2 h classes (assumption)
    "lunch": [12 * 3600, 14 * 3600],    # no classes over lunch (assumption)
    "p_class": 0.55,                    # a slot holds a class in the lab (assumption)
    "p_seat": 0.8,                      # a desktop is used during a class (assumption)
    "late_max": 600,                    # students arrive up to 10 min late (assumption)
    "early_max": 900,                   # ... and leave up to 15 min early (assumption)
    "free_rate": 0.25,                  # free-use sessions per desktop-hour outside classes
                                        # while open (assumption)
    "lunch_rate": 0.15,                 # the same over lunch (assumption)
    "free_mean": 40 * 60,               # mean free-use session, exponential (assumption)
    "free_min": 5 * 60,                 # shortest session (assumption)
    "weekend_rate": 0.02,               # sessions per desktop-hour, Sat/Sun 10:00-18:00
                                        # (assumption)
    "pause_rate": 1.0 / (12 * 60),      # reading pauses inside a session, per second of typing
                                        # (assumption)
    "pause_mean": 3 * 60,               # mean pause (no input, owner present), exponential,
                                        # capped below the 15 min idle_after (assumption)
    "pause_max": 12 * 60,
    "input_period": 30,                 # while typing, the replayer touches the tty this often
                                        # (assumption: any period well below the policy's)
}

JOB_PARAMS = {
    "rate": 1.0,            # jobs per desktop-hour, Poisson, all week (assumption)
    "work_median": 30 * 60,  # work per job, log-normal median (assumption)
    "work_sigma": 0.8,      # log-normal sigma (assumption)
    "work_min": 5 * 60,
    "work_max": 3 * 3600,
    "slots": 50,            # each job belongs to one of 50 slots; a run with N desktops takes the
                            # jobs of slots < N, so the load per desktop does not depend on N
}

WEEK = 7 * 86400


def merge(iv):
    """Sorts and joins overlapping or touching intervals."""
    out = []
    for a, b in sorted(iv):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def poisson_sessions(rnd, lo, hi, rate_h, mean, minimum):
    """Session starts as a Poisson process of rate_h per hour in [lo, hi)."""
    out, t = [], lo
    while True:
        t += rnd.expovariate(rate_h / 3600.0)
        if t >= hi:
            return out
        d = max(minimum, rnd.expovariate(1.0 / mean))
        out.append([t, t + d])


def typing_bursts(rnd, a, b, p):
    """Splits a session [a, b] into typing bursts separated by reading pauses (owner present)."""
    bursts, t = [], a
    while t < b:
        run = rnd.expovariate(p["pause_rate"])
        end = min(b, t + run)
        bursts.append([t, end])
        if end >= b:
            break
        pause = min(p["pause_max"], rnd.expovariate(1.0 / p["pause_mean"]))
        t = end + pause
        if t >= b:  # the owner leaves during the pause: the session ends at the last input
            break
    return bursts


def gen_trace(seed, n, classes=None):
    """A week of n desktops; with [classes], another week of the same lab timetable."""
    p = TRACE_PARAMS
    rnd = random.Random(seed)
    # One timetable for the lab: every desktop sees the same classes.
    if classes is None:
        classes = []
        for day in range(5):
            for s, e in p["class_slots"]:
                if rnd.random() < p["p_class"]:
                    classes.append([day * 86400 + s, day * 86400 + e])
    desktops = []
    for i in range(n):
        sess = []
        for a, b in classes:
            if rnd.random() < p["p_seat"]:
                sess.append([a + rnd.uniform(0, p["late_max"]), b - rnd.uniform(0, p["early_max"])])
        for day in range(5):
            o, c = day * 86400 + p["open"][0], day * 86400 + p["open"][1]
            lu = [day * 86400 + p["lunch"][0], day * 86400 + p["lunch"][1]]
            # free use where there is no class: sessions drawn over the open hours, dropped if
            # they start inside a class of this day
            day_classes = [x for x in classes if o <= x[0] < c]
            for a, b in poisson_sessions(rnd, o, c, p["free_rate"], p["free_mean"], p["free_min"]):
                if lu[0] <= a < lu[1] and rnd.random() > p["lunch_rate"] / p["free_rate"]:
                    continue
                if any(x[0] <= a < x[1] for x in day_classes):
                    continue
                sess.append([a, min(b, c)])
        for day in (5, 6):
            sess += poisson_sessions(rnd, day * 86400 + 10 * 3600, day * 86400 + 18 * 3600,
                                     p["weekend_rate"], p["free_mean"], p["free_min"])
        sess = merge(sess)
        bursts, presence = [], []
        for a, b in sess:
            bs = typing_bursts(rnd, a, b, p)
            bursts += bs
            presence.append([bs[0][0], bs[-1][1]])
        desktops.append({
            "presence": [[round(a, 1), round(b, 1)] for a, b in merge(presence)],
            "bursts": [[round(a, 1), round(b, 1)] for a, b in bursts],
        })
    return {"seed": seed, "params": p, "week_s": WEEK, "classes": classes, "desktops": desktops}


def gen_jobs(seed, n_slots=None):
    p = JOB_PARAMS
    slots = n_slots or p["slots"]
    rnd = random.Random(seed)
    jobs, t, k = [], 0.0, 0
    while True:
        t += rnd.expovariate(p["rate"] * slots / 3600.0)
        if t >= WEEK:
            break
        w = rnd.lognormvariate(math.log(p["work_median"]), p["work_sigma"])
        w = min(p["work_max"], max(p["work_min"], w))
        jobs.append([k, round(t, 1), round(w), rnd.randrange(slots)])
        k += 1
    return {"seed": seed, "params": p, "fields": ["id", "submit", "work", "slot"], "jobs": jobs}


# Predicted idle windows (nodeagent/predict.h): the profile an idleaccd would have learnt.
PREDICT_DECAY = 0.8     # AGENT_PREDICT_DECAY: an observation k weeks old counts 0.8^k
PREDICT_BIN = 3600      # agent.predict_bin's default
TRAIN_WEEKS = 4         # earlier weeks learnt from: about what the decay keeps


def learn_profile(weeks, idle_after):
    """Returns and open seconds per bin, learnt from [weeks] (oldest first, each a desktop's
    presence intervals from Monday 00:00) as idleaccd learns them: a window opens idle_after
    after the owner left and closes when they come back; the last week is a week old."""
    nb = WEEK // PREDICT_BIN
    ret, exp_ = [0.0] * nb, [0.0] * nb
    for k, pres in enumerate(weeks):
        f = PREDICT_DECAY ** (len(weeks) - k)
        iv = traces.periodic(pres, WEEK, -WEEK, 2 * WEEK)
        for (a0, b0), (a1, b1) in zip(iv, iv[1:]):
            lo, hi = b0 + idle_after, a1
            if hi <= lo:
                continue
            if 0 <= hi < WEEK:
                ret[int(hi // PREDICT_BIN)] += f
            t = max(lo, 0.0)
            while t < min(hi, WEEK):
                end = min(hi, WEEK, (t // PREDICT_BIN + 1) * PREDICT_BIN)
                exp_[int(t // PREDICT_BIN)] += (end - t) * f
                t = end
    return ret, exp_


def train_profile(trace, idx, node, week, idle_after, seed_base=None):
    """The NODE.profile of desktop idx of a generated trace, learnt from TRAIN_WEEKS other
    weeks of the same lab timetable (new seats and free use, drawn with other seeds: the
    replayed week itself is never learnt from), its bins in profile week [week]."""
    if "classes" not in trace:
        raise ValueError("the trace has no lab timetable to draw earlier weeks from (only "
                         "gen.py's generated traces have one)")
    base = trace["seed"] if seed_base is None else seed_base
    n = len(trace["desktops"])
    weeks = [gen_trace(base + 7919 * (k + 1), n, trace["classes"])["desktops"][idx % n]["presence"]
             for k in range(TRAIN_WEEKS)]
    ret, exp_ = learn_profile(weeks, idle_after)
    lines = ["idleacc-profile 1 node %s bin %d" % (node, PREDICT_BIN),
             "# learnt by tests/bench/gen.py from %d earlier weeks of the lab" % TRAIN_WEEKS]
    for b, (r, e) in enumerate(zip(ret, exp_)):
        if r > 0 or e > 0:
            lines.append("b %d %.6f %.3f %d" % (b, r, e, week))
    return "\n".join(lines) + "\n"


def stats(trace, lo=0, hi=None):
    """Occupancy and availability (owner-absent) intervals, for comparing with the studies."""
    if hi is None:  # the whole trace: where a real trace has data, all of gen.py's week
        lo, hi = trace.get("data_s", [0, trace["week_s"]])
    pres = 0.0
    avail = []
    for d in trace["desktops"]:
        t = lo
        for a, b in d["presence"]:
            a, b = max(a, lo), min(b, hi)
            if b <= a:
                continue
            pres += b - a
            if a > t:
                avail.append(a - t)
            t = b
        if hi > t:
            avail.append(hi - t)
    n = len(trace["desktops"])
    off = sum(max(0.0, min(b, hi) - max(a, lo)) for d in trace["desktops"]
              for a, b in d.get("offline", []))
    avail.sort()
    q = lambda f: avail[min(len(avail) - 1, int(f * len(avail)))] / 3600 if avail else 0
    return {
        "desktops": n,
        "occupancy": pres / (n * (hi - lo)),
        "offline": off / (n * (hi - lo)),
        "avail_intervals": len(avail),
        "avail_h_p50": q(0.5), "avail_h_p90": q(0.9),
        "avail_h_mean": sum(avail) / len(avail) / 3600 if avail else 0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=["trace", "jobs", "stats", "profile"])
    ap.add_argument("file", nargs="?")
    ap.add_argument("--seed", type=int, default=20040426)
    ap.add_argument("--desktops", type=int, default=50)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--desktop", type=int, help="profile: the trace desktop learnt")
    ap.add_argument("--node", help="profile: the node named in the file")
    ap.add_argument("--week", type=int, help="profile: the profile week of its bins")
    ap.add_argument("--idle-after", type=float, help="profile: idle_after, simulated s")
    a = ap.parse_args()
    if a.what == "profile":
        try:
            text = train_profile(traces.load(a.file), a.desktop, a.node, a.week, a.idle_after)
        except (traces.TraceError, ValueError) as e:
            sys.exit("gen.py: profile: %s" % e)
        f = sys.stdout if a.output == "-" else open(a.output, "w")
        f.write(text)
        return
    if a.what == "stats":
        if not a.file:
            sys.exit("gen.py: stats needs a trace file")
        try:
            tr = traces.load(a.file)
        except traces.TraceError as e:
            sys.exit("gen.py: %s" % e)
        out = {"format": tr.get("format", "json"), "weeks": tr["week_s"] / WEEK,
               "week": stats(tr)}
        if tr.get("origin_utc"):
            out["origin"] = tr["origin_utc"] + " (Monday 00:00 of the first event's week)"
        wk = []
        for w in range(int(math.ceil(tr["week_s"] / WEEK))):
            for day in range(5):
                wk.append((w * WEEK + day * 86400 + 8 * 3600, w * WEEK + day * 86400 + 20 * 3600))
        lo, hi = tr.get("data_s", [0, tr["week_s"]])
        wk = [(max(a, lo), min(b, hi)) for a, b in wk if min(b, hi) > max(a, lo)]
        out["weekday_open_hours_occupancy"] = sum(
            stats(tr, lo, hi)["occupancy"] for lo, hi in wk) / len(wk)
        if tr.get("data_s"):
            out["data"] = "%.1f h of events from Monday 00:00 + %.1f h" % (tr["data_s"][1] / 3600 - tr[
                "data_s"][0] / 3600, tr["data_s"][0] / 3600)
        json.dump(out, sys.stdout, indent=1)
        print()
        return
    data = gen_trace(a.seed, a.desktops) if a.what == "trace" else gen_jobs(a.seed, a.desktops)
    f = sys.stdout if a.output == "-" else open(a.output, "w")
    json.dump(data, f, separators=(",", ":"))
    f.write("\n")


if __name__ == "__main__":
    main()
