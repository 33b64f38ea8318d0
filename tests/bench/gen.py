#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen.py - the benchmark's synthetic inputs: a week of lab-desktop owner activity (trace.json)
and a job mix (jobs.json), both from a fixed seed so that runs compare.

  gen.py trace [--seed S] [--desktops N] [-o trace.json]
  gen.py jobs  [--seed S] [--desktops N] [-o jobs.json]
  gen.py stats trace.json         # occupancy and availability intervals of a trace

All times are simulated seconds from Monday 00:00. Every parameter is in TRACE_PARAMS or
JOB_PARAMS below, with where its value comes from (README.md, "Trace model").
"""
import argparse
import json
import math
import random
import sys

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


def gen_trace(seed, n):
    p = TRACE_PARAMS
    rnd = random.Random(seed)
    # One timetable for the lab: every desktop sees the same classes.
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


def stats(trace, lo=0, hi=None):
    """Occupancy and availability (owner-absent) intervals, for comparing with the studies."""
    hi = hi or trace["week_s"]
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
    avail.sort()
    q = lambda f: avail[min(len(avail) - 1, int(f * len(avail)))] / 3600 if avail else 0
    return {
        "desktops": n,
        "occupancy": pres / (n * (hi - lo)),
        "avail_intervals": len(avail),
        "avail_h_p50": q(0.5), "avail_h_p90": q(0.9),
        "avail_h_mean": sum(avail) / len(avail) / 3600 if avail else 0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=["trace", "jobs", "stats"])
    ap.add_argument("file", nargs="?")
    ap.add_argument("--seed", type=int, default=20040426)
    ap.add_argument("--desktops", type=int, default=50)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    if a.what == "stats":
        with open(a.file) as f:
            tr = json.load(f)
        out = {"week": stats(tr)}
        wk = []
        for day in range(5):
            wk.append((day * 86400 + 8 * 3600, day * 86400 + 20 * 3600))
        out["weekday_open_hours_occupancy"] = sum(
            stats(tr, lo, hi)["occupancy"] for lo, hi in wk) / len(wk)
        json.dump(out, sys.stdout, indent=1)
        print()
        return
    data = gen_trace(a.seed, a.desktops) if a.what == "trace" else gen_jobs(a.seed, a.desktops)
    f = sys.stdout if a.output == "-" else open(a.output, "w")
    json.dump(data, f, separators=(",", ":"))
    f.write("\n")


if __name__ == "__main__":
    main()
