#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench.py - the benchmark's replayer, monitor and report (standard library only).

  bench.py run    ...   replays owner input and the job mix on a cluster run.sh started, and
                        records what happened (OUT/raw/)
  bench.py report --out OUT      turns OUT/raw/ into results.json, results.md and PNG plots
  bench.py scale  --out OUT --ns 4,8,...   the scale summary of run.sh --scale

Every figure is defined in README.md. Times in raw files are real epoch seconds; the trace and
job mix are in simulated seconds from Monday 00:00, divided by the compression to replay.
"""
import argparse
import glob
import json
import math
import os
import platform
import queue
import re
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist ships bench/)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traces  # noqa: E402

TICK = 0.02          # monitor period (s): the resolution of "last job process stopped"
CONDOR_POLL = 5.0    # HTCondor's POLLING_INTERVAL (s): owner input is seen at this granularity
HZ = os.sysconf("SC_CLK_TCK")
WEEK_S = 7 * 86400   # the job mix covers one week from Monday 00:00
PROGRESS_S = float(os.environ.get("BENCH_PROGRESS", 30))  # real seconds between progress lines
DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
# RPC types only desktop agents send here (the harness sends none of them during the
# measured phases; slurmd and sbatch send others). naive.sh's scontrol calls are subtracted.
AGENT_RPCS = {"REQUEST_NODE_INFO_SINGLE", "REQUEST_NODE_INFO", "REQUEST_JOB_INFO",
              "REQUEST_JOB_INFO_SINGLE", "REQUEST_UPDATE_NODE", "REQUEST_SUSPEND",
              "REQUEST_JOB_REQUEUE", "REQUEST_UPDATE_JOB", "REQUEST_KILL_JOB",
              "REQUEST_CANCEL_JOB_STEP"}
# RPCs per action idleaccd queues (nodeagent/worker.c): to split sdiag's total by profile.
ACT_RPCS = {"reconcile": 2, "jobs": 1, "drain": 2, "resume": 2, "suspend": 1,
            "resume_job": 1, "signal": 1, "requeue": 2, "cancel": 1}


def dur(s):
    m = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", s.strip())
    if not m or not s.strip():
        raise ValueError("bad duration " + s)
    d, h, mi, se = (int(x or 0) for x in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + se


def weektime(s):
    day, hm = s.split()
    h, m = hm.split(":")
    return DAYS[day[:3].lower()] * 86400 + int(h) * 3600 + int(m) * 60


# ---------------------------------------------------------------- validity

# HTCondor's desktop durations (simulated seconds), which both idleaccd profiles run, scaled.
POLICY = {"idle_after": 900, "resume_after": 300, "max_suspend": 600, "warn_grace": 120}


# What an emulated HTCondor does wrong when a duration is not longer than its poll.
WHY_DISTORTED = {
    "resume_after": "it resumes jobs beside an owner who is still typing: more work and more "
                    "intrusion than HTCondor",
    "idle_after": "it offers the desktop in a gap between two polls of an owner who is there",
    "max_suspend": "it vacates suspended jobs before HTCondor's next poll could have seen the "
                   "owner leave",
}


def scaled(sim_s, C):
    """A policy duration in real seconds at compression C (idleaccd takes whole seconds)."""
    return max(1, round(sim_s / C))


def policy(spec):
    """POLICY with the overrides of --policy "idle_after=10m,resume_after=2m" (simulated)."""
    pol = dict(POLICY)
    given = set()
    for kv in filter(None, (spec or "").split(",")):
        k, _, v = kv.partition("=")
        given.add(k.strip())
        if k.strip() not in pol:
            sys.exit("bench: --policy: unknown duration '%s' (%s)" % (k, ", ".join(POLICY)))
        try:
            pol[k.strip()] = dur(v)
        except ValueError:
            sys.exit("bench: --policy: bad duration '%s' for %s (e.g. 15m, 90s, 1h)" % (v, k))
        if pol[k.strip()] <= 0:
            sys.exit("bench: --policy: %s must be longer than 0" % k)
    # idleacc.yaml's rule (idleacc.yaml(5)): resume_after is at most idle_after. Left at its
    # default it follows a shorter idle_after down, as idleaccd's does; given longer, the run
    # would measure an agent that refused its configuration.
    if pol["resume_after"] > pol["idle_after"]:
        if "resume_after" in given:
            sys.exit("bench: --policy: resume_after %d s is longer than idle_after %d s, which "
                     "idleaccd refuses (idleacc.yaml(5))" % (pol["resume_after"],
                                                              pol["idle_after"]))
        pol["resume_after"] = pol["idle_after"]
    return pol


def validity(C, profiles, naive_period, pol=POLICY):
    """What compression C does to each profile: a list of {profile, level, message}, level
    "distorted" (the profile no longer behaves as the thing it stands for: run.sh refuses) or
    "flag" (some figures are biased: the report says which).

    The machinery's real-time latencies are not scaled (they are what the owner feels) while
    the policy's durations are: a baseline stays faithful only while each latency is short
    against the durations it decides on. HTCondor decides at its polls: a resume_after that is
    not longer than a poll lets the emulation resume a job between two polls beside an owner
    who is still typing, which HTCondor, reading KeyboardIdle at the poll, would not."""
    out = []
    add = lambda p, lvl, msg: out.append({"profile": p, "level": lvl, "message": msg})
    agents = [p for p in profiles if p in ("idleacc", "predict", "condor")]
    for k, v in pol.items():
        r = scaled(v, C)
        if agents and abs(r * C - v) > 0.1 * v:
            add(",".join(agents), "flag", "%s %d s is %d s at -c %g, %d s simulated after "
                "rounding to whole seconds (off by more than 10 %%)" % (k, v, r, C, r * C))
    if "condor" in profiles:
        poll = CONDOR_POLL
        for k in ("resume_after", "idle_after", "max_suspend"):
            r = scaled(pol[k], C)
            cmax = pol[k] / (2 * poll)
            if r <= poll:
                add("condor", "distorted", "%s %d s is %d s at -c %g, not longer than "
                    "HTCondor's %g s poll, which is not scaled: the emulation would act between "
                    "polls on input it has not seen yet (%s). Use -c %g or less (%s at least two "
                    "polls), or --allow-distorted to run with the results flagged"
                    % (k, pol[k], r, C, poll, WHY_DISTORTED[k], cmax, k))
            elif r < 2 * poll:
                add("condor", "flag", "%s %d s is %d s at -c %g, under two of HTCondor's %g s "
                    "polls: its timing is quantised by up to %.0f %% of the duration (-c %g or "
                    "less keeps it under 50 %%)" % (k, pol[k], r, C, poll, 100 * poll / r,
                                                     cmax))
    if "naive" in profiles:
        r = scaled(pol["idle_after"], C)
        if naive_period >= r:
            add("naive", "flag", "its %g s period (not scaled) is not shorter than idle_after "
                "at -c %g (%d s): it offers and drains up to %.0f simulated minutes late, so its "
                "harvest, offer latency and goodput are pessimistic (its reaction figures are "
                "exact); -c %g or less keeps the period under idle_after / 2"
                % (naive_period, C, r, naive_period * C / 60, pol["idle_after"] /
                   (2 * naive_period)))
    return out


def cmd_check(a):
    pol = policy(a.policy)
    if a.shell:  # the scaled durations, for run.sh
        for k, v in pol.items():
            print("%s=%d" % (k, scaled(v, a.compression)))
        return
    v = validity(a.compression, a.profiles.split(","), a.naive_period, pol)
    for x in v:
        print("bench: %s %s: %s" % ("REFUSED" if x["level"] == "distorted" and
                                    not a.allow_distorted else x["level"].upper(),
                                    x["profile"], x["message"]),
              file=sys.stderr if x["level"] == "distorted" else sys.stdout)
    if a.write:
        with open(a.write, "w") as f:
            json.dump({"compression": a.compression, "allow_distorted": a.allow_distorted,
                       "policy_sim_s": pol, "findings": v}, f, indent=1)
    if any(x["level"] == "distorted" for x in v) and not a.allow_distorted:
        sys.exit(2)


# ---------------------------------------------------------------- /proc and sdiag

def procstat(pid):
    """CPU seconds, context switches summed over threads, RSS and private dirty.

    CPU is the threads' schedstat run time (nanoseconds) when the kernel has it: utime+stime
    count clock ticks (10 ms), too coarse for an agent that runs a few ms a minute."""
    out = {"cpu": None, "ctxt": 0, "rss_kb": None, "pd_kb": None}
    try:
        f = open("/proc/%d/stat" % pid).read()
        v = f[f.rindex(")") + 2:].split()
        out["cpu"] = (int(v[11]) + int(v[12])) / HZ
        ns = 0
        try:
            for t in os.listdir("/proc/%d/task" % pid):
                ns += int(open("/proc/%d/task/%s/schedstat" % (pid, t)).read().split()[0])
            out["cpu"] = ns / 1e9
        except (OSError, ValueError, IndexError):
            pass
        for t in os.listdir("/proc/%d/task" % pid):
            for line in open("/proc/%d/task/%s/status" % (pid, t)):
                if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")):
                    out["ctxt"] += int(line.split()[1])
        for line in open("/proc/%d/smaps_rollup" % pid):
            if line.startswith("Rss:"):
                out["rss_kb"] = int(line.split()[1])
            elif line.startswith("Private_Dirty:"):
                out["pd_kb"] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return out


def smaps_dirty(pid, path):
    """Where a process's private dirty memory lies: KiB per mapping (named by its file, or
    [heap], [stack], "anon after FILE" for a library's bss), largest first, into [path]."""
    rows, name, last = {}, None, "start"
    try:
        for line in open("/proc/%d/smaps" % pid):
            f = line.split()
            if "-" in f[0] and not f[0].endswith(":"):
                name = f[5] if len(f) > 5 else "anon after " + os.path.basename(last)
                if len(f) > 5:
                    last = f[5]
            elif f[0] == "Private_Dirty:" and int(f[1]):
                rows[name] = rows.get(name, 0) + int(f[1])
        with open(path, "w") as out:
            for k, v in sorted(rows.items(), key=lambda x: -x[1]):
                out.write("%6d KiB  %s\n" % (v, k))
            out.write("%6d KiB  total\n" % sum(rows.values()))
    except (OSError, ValueError, IndexError):
        pass


def sdiag():
    try:
        txt = subprocess.run(["sdiag"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    rpcs, on = {}, False
    for line in txt.splitlines():
        if "statistics by message type" in line:
            on = True
            continue
        if on and "statistics by user" in line:
            break
        m = re.match(r"\s*(\S+)\s*\(\s*\d+\)\s*count:(\d+)\s+ave_time:(\d+)", line)
        if on and m:
            rpcs[m.group(1)] = {"count": int(m.group(2)), "ave_us": int(m.group(3))}
    return rpcs


def sdiag_reset():
    subprocess.run(["sdiag", "-r"], capture_output=True, timeout=20)


# ---------------------------------------------------------------- run

def job_procs(pid):
    """States of the batch shell [pid] and its descendants; None when the shell is gone."""
    states, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            st = open("/proc/%d/stat" % p).read()
            states.append(st[st.rindex(")") + 2])
            kids = open("/proc/%d/task/%d/children" % (p, p)).read().split()
            todo += [int(k) for k in kids]
        except (OSError, ValueError):
            if p == pid:
                return None
    return states


def stopped(states):
    """True when every live process of a job is stopped (T, or t when traced). A zombie runs
    nothing: a shell stopped just after its `sleep 1` exited cannot reap it, and counting the
    zombie as running made a suspended job look as if it ran beside its owner until requeued."""
    live = [s for s in states if s not in ("Z", "X")]
    return bool(live) and all(s in ("T", "t") for s in live)


# The predict profile's users say how long their jobs are: a job of at least N simulated
# hours asks for a desktop expected to stay free that long (the idle_Nh Features idleaccd
# publishes, nodeagent/predict.h), N the largest level not above its work.
PREDICT_LEVELS_H = (8, 4, 2, 1)


def predict_constraint(work_sim):
    for h in PREDICT_LEVELS_H:
        if work_sim >= h * 3600:
            return ["--constraint=idle_%dh" % h]
    return []


def submitter(q, out, jobdir, script, C):
    while True:
        item = q.get()
        if item is None:
            return
        due, key, prof, work = item
        t = time.time()
        extra = predict_constraint(work * C) if prof == "predict" else []
        r = subprocess.run(["sbatch", "--parsable", "-p", prof, "-J", "b%d" % key, "--requeue",
                            "-N1", "-n1"] + extra + ["--chdir", jobdir, "--output",
                            jobdir + "/slurm-%j.out", script, str(work), jobdir],
                           capture_output=True, text=True)
        jid = r.stdout.strip().split(";")[0] if r.returncode == 0 else None
        out.append({"key": key, "profile": prof, "job": jid, "submit": t, "due": due,
                    "work": work,
                    "err": r.stderr.strip() if r.returncode else ""})


def cmd_run(a):
    C = a.compression
    S = weektime(a.start)
    D = dur(a.duration)
    raw = os.path.join(a.out, "raw")
    rows = [l.split() for l in open(os.path.join(raw, "pids.txt"))]
    desks = [r for r in rows if r[3] == "agent"]
    procs = {"agent": [(r[0], r[1], int(r[4])) for r in desks],
             "slurmd": [(r[0], r[1], int(r[4])) for r in rows if r[3] == "slurmd"],
             "slurmctld": [(r[0], r[1], int(r[4])) for r in rows if r[3] == "slurmctld"]}
    try:
        trace = traces.load(a.trace)
    except traces.TraceError as e:
        sys.exit("bench: %s" % e)
    jobs = json.load(open(a.jobs))
    jobdir = os.path.join(a.cluster, "jobs")
    res = {"compression": C, "start_sim": S, "duration_sim": D, "n": a.n,
           "profiles": a.profiles.split(","), "idle_after_real": a.idle_after,
           "trace_seed": trace["seed"], "jobs_seed": jobs["seed"],
           "trace": {"file": a.trace, "format": trace.get("format", "json"),
                     "desktops": len(trace["desktops"])},
           "input_period_sim": trace["params"]["input_period"], "desktops": []}

    # Quiet phase: every owner away, no job: what an agent costs a desktop that sits idle.
    snap = lambda: {k: [(n, p, pid, procstat(pid)) for n, p, pid in v] for k, v in procs.items()}
    s0 = snap()
    sdiag_reset()
    q0 = time.time()
    time.sleep(a.quiet)
    s1 = snap()
    res["quiet"] = {"t0": q0, "t1": time.time(), "before": s0, "after": s1, "rpcs": sdiag()}
    for n, p, pid in procs["agent"]:
        smaps_dirty(pid, os.path.join(a.out, "raw", "dirty-%s.txt" % n))
    sdiag_reset()

    # The schedule: owner touches (real times), per desktop of each profile.
    t0 = time.time() + 1.0
    if a.t0:
        if a.t0 < t0:
            sys.exit("bench: the replay was due to start %.0f s ago (--t0): start-up took longer "
                     "than run.sh allowed for" % (t0 - a.t0))
        t0 = a.t0
    tend = t0 + D / C
    real = lambda s: t0 + (s - S) / C
    ip = trace["params"]["input_period"]
    touches = []
    for r in desks:
        node, prof, idx, d = r[0], r[1], int(r[2]), r[5]
        t_pres, t_bursts, drawn = traces.desktop(trace, idx)
        span = trace["week_s"]
        t_pres = traces.periodic(t_pres, span, S, S + D)
        t_bursts = traces.periodic(t_bursts, span, S, S + D)
        times = []
        for b0, b1 in (t_bursts if prof != "dedicated" else []):
            if b1 < S or b0 > S + D:
                continue
            t = b0
            while t <= b1:
                if S <= t <= S + D:
                    times.append(real(t))
                t += ip
        # HTCondor sees input only when it polls: its touches land on its 5 s grid.
        phase = (int(node[1:]) * 1237 % 5000) / 1000.0
        seen = [math.ceil((t - t0 - phase) / CONDOR_POLL) * CONDOR_POLL + t0 + phase
                if prof == "condor" else t for t in times]
        path = os.path.join(d, "tty", "console")
        touches += [(s, path) for s in seen]
        # Presence (real times) from the truth: a session runs from its first to its last input.
        pres = []
        for p0, p1 in t_pres:
            ins = [t for t in times if real(p0) - 1e-6 <= t <= real(p1) + 1e-6]
            if ins:
                pres.append([ins[0], ins[-1]])
        res["desktops"].append({"node": node, "profile": prof, "idx": idx, "inputs": len(times),
                                "presence": pres, "drawn": drawn})
    touches.sort()
    subs = []
    backlog = 3600
    # Jobs of slots < N; past the mix's slot count, copy k of slot s serves desktop
    # s + k * slots (its jobs submitted again, keys offset), so the load per desktop stays.
    # Past the mix's week, the week repeats.
    nslot = jobs["params"]["slots"]
    span = WEEK_S
    for copy in range((a.n + nslot - 1) // nslot):
        for key, sub, work, slot in jobs["jobs"]:
            if slot + copy * nslot >= a.n:
                continue
            for k in range(math.floor((S - backlog) / span), math.floor((S + D) / span) + 1):
                t = sub + k * span
                if not S - backlog <= t < S + D:
                    continue
                w = max(1, round(work / C))
                kk = key + 10 ** 7 * (copy + 1000 * k) if (copy or k) else key
                for prof in res["profiles"]:
                    subs.append((max(t0, real(t)), kk, prof, w))
    subs.sort()
    res.update({"t0": t0, "tend": tend})

    q, submitted = queue.Queue(), []
    th = threading.Thread(target=submitter, args=(q, submitted, jobdir, a.job_script, C), daemon=True)
    th.start()
    attempts = {}  # "job.restart" -> {node, pid, start, tl: [[t, state]]}
    ti = si = 0
    next_scan = 0
    copies = sum(1 for d in res["desktops"] if d["drawn"].startswith("copy"))
    if copies:
        print("bench: the trace holds %d desktops: %d of the %d emulated ones are shifted copies "
              "(README.md, \"Replaying other traces\")" % (len(trace["desktops"]), copies,
                                                           len(res["desktops"])), flush=True)
    print("bench: replaying %s + %s simulated (%.0f s real), %d touches, %d submissions"
          % (a.start, a.duration, D / C, len(touches), len(subs)), flush=True)
    # Progress every PROGRESS_S real seconds: simulated time reached, jobs, time left.
    next_progress = t0 + PROGRESS_S
    ndone = 0
    while True:
        now = time.time()
        if now >= tend:
            break
        if now >= next_progress:
            next_progress = now + PROGRESS_S
            sim = S + (now - t0) * C
            print("bench: %s simulated (%.0f %%), %d of %d jobs submitted, %d attempts "
                  "started, %d done; replay ends in %s" % (
                      weekname(sim % WEEK_S), 100 * (now - t0) / (tend - t0), len(submitted),
                      len(subs), len(attempts), ndone, hm(tend - now)), flush=True)
        while ti < len(touches) and touches[ti][0] <= now:
            try:
                os.utime(touches[ti][1])
            except OSError:
                pass
            ti += 1
        while si < len(subs) and subs[si][0] <= now:
            q.put(subs[si])
            si += 1
        if now >= next_scan:
            next_scan = now + 0.1
            try:
                names = os.listdir(jobdir)
            except OSError as e:
                sys.exit("bench: the cluster's job directory vanished: %s" % e)
            ndone = sum(1 for f in names if f.endswith(".done"))
            for f in names:
                if f.endswith(".start"):
                    k = f[4:-6]
                    if k not in attempts:
                        try:
                            jid, rs, node, pid, st = open(os.path.join(jobdir, f)).read().split()
                        except ValueError:
                            continue
                        attempts[k] = {"job": jid, "restart": int(rs), "node": node,
                                       "pid": int(pid), "start": float(st), "tl": []}
        for k, at in attempts.items():
            if at["tl"] and at["tl"][-1][1] == "end":
                continue
            sts = job_procs(at["pid"])
            state = "end" if sts is None else ("stop" if stopped(sts) else "run")
            if not at["tl"] or at["tl"][-1][1] != state:
                at["tl"].append([now, state])
        time.sleep(max(0.0, TICK - (time.time() - now)))
    res["run"] = {"rpcs": sdiag(), "after": snap(), "before": s1}
    q.put(None)
    th.join(timeout=60)
    res["attempts"] = attempts
    res["submitted"] = submitted
    # Final job states (after the last sdiag: these RPCs are ours, not the agents').
    jst = {}
    out = subprocess.run(["scontrol", "-o", "show", "job"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = dict(x.split("=", 1) for x in line.split() if "=" in x)
        if "JobId" in f:
            jst[f["JobId"]] = {k: f.get(k) for k in ("JobState", "Restarts", "Reason",
                                                     "Priority", "NodeList", "Partition")}
    res["job_states"] = jst
    ticks = {}
    for f in glob.glob(os.path.join(jobdir, "att.*")):
        b = os.path.basename(f)
        if b.endswith(".ticks"):
            try:
                ticks[b[4:-6]] = int(open(f).read().split()[0])
            except (ValueError, IndexError):
                pass
        elif b.endswith(".done"):
            ticks.setdefault("done", []).append(b[4:-5])
    res["ticks"] = ticks
    with open(os.path.join(raw, "run.json"), "w") as f:
        json.dump(res, f)
    print("bench: replay done: %d jobs submitted, %d attempts seen" % (len(submitted),
                                                                     len(attempts)), flush=True)


# ---------------------------------------------------------------- report

def ctld_node_timeline(path):
    """node -> [(t, offered)] from slurmctld's log (its own millisecond timestamps)."""
    tl = {}
    rx = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\] update_node: node (\S+) "
                    r"state set to (\S+)")
    for line in open(path, errors="replace"):
        m = rx.match(line)
        if m:
            t = time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + \
                float(m.group(2) or 0)
            st = m.group(4)
            tl.setdefault(m.group(3), []).append((t, not st.startswith(("DRAIN", "DOWN"))))
    return tl


def overlap(a, b):
    """Total length of the intersection of two sorted lists of disjoint intervals."""
    i = j = 0
    tot = 0.0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            tot += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tot


def intervals(tl, t0, t1, want, initial):
    """Intervals in [t0, t1] where the step function tl (sorted (t, value)) equals want."""
    out, cur, since = [], initial, t0
    for t, v in tl:
        if t <= t0:
            cur = v
            continue
        if t >= t1:
            break
        if v != cur:
            if cur == want:
                out.append([since, t])
            cur, since = v, t
    if cur == want:
        out.append([since, t1])
    return out


def value_at(tl, t, initial):
    cur = initial
    for u, v in tl:
        if u > t:
            break
        cur = v
    return cur


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(p / 100.0 * len(xs)) - 1))]


def summary(xs):
    return {"n": len(xs), "p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99),
            "max": max(xs) if xs else None}


def cost(before, after, secs):
    """Per process of each profile: memory at the end, CPU and wake-ups over the phase."""
    out = {}
    b = {(n, pid): s for n, p, pid, s in before}
    for n, p, pid, s in after:
        s0 = b.get((n, pid))
        if not s0 or s["cpu"] is None or s0["cpu"] is None:
            continue
        out.setdefault(p, []).append({
            "node": n, "rss_kb": s["rss_kb"], "pd_kb": s["pd_kb"],
            "cpu_s_per_h": (s["cpu"] - s0["cpu"]) * 3600.0 / secs,
            "wakeups_per_s": (s["ctxt"] - s0["ctxt"]) / secs})
    agg = {}
    for p, xs in out.items():
        agg[p] = {k: {"median": pct([x[k] for x in xs if x[k] is not None], 50),
                      "max": max([x[k] for x in xs if x[k] is not None] or [0])}
                  for k in ("rss_kb", "pd_kb", "cpu_s_per_h", "wakeups_per_s")}
        agg[p]["processes"] = len(xs)
    return agg


def naive_calls(raw, t0, t1):
    n = 0
    for f in glob.glob(os.path.join(raw, "naive-*.out")):
        for line in open(f, errors="replace"):
            v = line.split()
            if len(v) >= 2 and v[1] == "rpc":
                try:
                    if t0 <= float(v[0]) <= t1:
                        n += 1
                except ValueError:
                    pass
    return n


def agent_actions(raw, t0, t1, nodes):
    """Weighted RPC estimate per node from idleaccd's "queued ACTION" debug lines."""
    rx = re.compile(r"queued (\S+)")
    out = {}
    for n in nodes:
        f = os.path.join(raw, "idleaccd-%s.out" % n)
        if not os.path.exists(f):
            continue
        c = 0
        for line in open(f, errors="replace"):
            m = rx.search(line)
            if m:
                c += ACT_RPCS.get(m.group(1), 1)
        out[n] = c
    return out


def cmd_report(a):
    raw = os.path.join(a.out, "raw")
    R = json.load(open(os.path.join(raw, "run.json")))
    C, t0, tend = R["compression"], R["t0"], R["tend"]
    span = tend - t0
    ntl = ctld_node_timeline(os.path.join(raw, "slurmctld.log"))
    profs = R["profiles"]
    ia = R["idle_after_real"]
    attempts = list(R["attempts"].values())
    P = {p: {"reaction_drain_ms": [], "reaction_stop_ms": [], "drain_never": 0, "stop_never": 0,
             "offer_ms": [], "offer_never": 0, "offered_s": 0.0, "absent_s": 0.0,
             "offered_absent_s": 0.0, "offered_present_s": 0.0, "present_s": 0.0,
             "intrusion_s": 0.0} for p in profs}
    timeline_rows = []
    per_desk = {}  # profile -> trace desktop index -> that desktop's figures (for the CIs)
    node_idx = {d["node"]: (d["profile"], d["idx"]) for d in R["desktops"]}
    done_all = set(R["ticks"].get("done", []))
    for d in R["desktops"]:
        p, node = d["profile"], d["node"]
        x = P[p]
        tl = ntl.get(node, [])
        pres = [iv for iv in d["presence"] if iv[1] >= t0]
        absent, t = [], t0
        for a0, a1 in pres:
            if a0 > t:
                absent.append([t, a0])
            t = max(t, a1)
        if tend > t:
            absent.append([t, tend])
        offered = intervals(tl, t0, tend, True, True)
        x["offered_s"] += sum(b - a0 for a0, b in offered)
        x["absent_s"] += sum(b - a0 for a0, b in absent)
        x["present_s"] += sum(b - a0 for a0, b in pres)
        x["offered_absent_s"] += overlap(offered, absent)
        x["offered_present_s"] += overlap(offered, pres)
        per_desk.setdefault(p, {})[d["idx"]] = {
            "node": node, "absent_s": sum(b - a0 for a0, b in absent),
            "offered_absent_s": overlap(offered, absent), "intrusion_s": 0.0,
            "completed_cpu_s": 0.0}
        mine = [at for at in attempts if at["node"] == node]
        runs = []
        for at in mine:
            runs += intervals([(u, s == "run") for u, s in at["tl"]], at["tl"][0][0] if at["tl"]
                              else tend, tend, True, False)
        runs.sort()
        x["intrusion_s"] += overlap(runs, pres)
        per_desk[p][d["idx"]]["intrusion_s"] = overlap(runs, pres)
        for i, (a0, a1) in enumerate(pres):
            nxt = pres[i + 1][0] if i + 1 < len(pres) else tend
            # Reaction: the owner's first input while the node was offered.
            if value_at(tl, a0, True):
                dr = [u for u, v in tl if u >= a0 and not v]
                if dr and dr[0] <= nxt:
                    x["reaction_drain_ms"].append((dr[0] - a0) * 1000)
                else:
                    x["drain_never"] += 1
            for at in mine:
                s_at = value_at([(u, s) for u, s in at["tl"]], a0, "none")
                if s_at != "run":
                    continue
                stop = [(u, s) for u, s in at["tl"] if u >= a0 and s != "run"]
                key = "%s.%d" % (at["job"], at["restart"])
                if stop and stop[0][1] == "end" and key in done_all:
                    continue  # the job finished by itself: nothing was stopped
                stop = [u for u, s in stop]
                if stop and stop[0] <= nxt:
                    x["reaction_stop_ms"].append((stop[0] - a0) * 1000)
                else:
                    x["stop_never"] += 1
            # Offer latency: idle_after after the last input, until the node is IDLE again.
            if a1 + ia < nxt:
                off = [u for u, v in tl if u >= a1 and v]
                drained = not value_at(tl, a1, True) or any(u >= a1 and not v for u, v in tl
                                                            if u < a1 + ia)
                if off and off[0] <= nxt:
                    x["offer_ms"].append(max(0.0, off[0] - (a1 + ia)) * 1000)
                elif drained:
                    x["offer_never"] += 1
        timeline_rows.append((node, p, pres, offered, runs))

    # Jobs.
    st = R["job_states"]
    done = set(R["ticks"].get("done", []))
    for p in profs:
        P[p].update({"jobs_submitted": 0, "jobs_completed": 0, "jobs_lost": 0, "lost_ids": [],
                     "jobs_unfinished": 0, "jobs_requeued": 0, "requeues": 0,
                     "wasted_cpu_s": 0.0, "completed_cpu_s": 0.0})
    for s in R["submitted"]:
        x = P[s["profile"]]
        x["jobs_submitted"] += 1
        jid = s["job"]
        if not jid:
            x["jobs_lost"] += 1
            x["lost_ids"].append("sbatch failed: " + s["err"])
            continue
        j = st.get(jid)
        restarts = int(j.get("Restarts") or 0) if j else 0
        if restarts:
            x["jobs_requeued"] += 1
            x["requeues"] += restarts
        for r in range(restarts + 1):
            k = "%s.%d" % (jid, r)
            if k not in done and any(int(q.split(".")[1]) > r for q in R["ticks"]
                                     if q != "done" and q.split(".")[0] == jid):
                x["wasted_cpu_s"] += R["ticks"].get(k, 0) * C
        state = j["JobState"] if j else "VANISHED"
        fin = "%s.%d" % (jid, restarts)
        if state == "COMPLETED" and fin in done:
            x["jobs_completed"] += 1
            x["completed_cpu_s"] += s["work"] * C
            # the last attempt ran on one desktop from start to end (suspension keeps it there)
            where = node_idx.get((R["attempts"].get(fin) or {}).get("node"))
            if where and where[1] in per_desk.get(where[0], {}):
                per_desk[where[0]][where[1]]["completed_cpu_s"] += s["work"] * C
        elif state in ("PENDING", "RUNNING", "SUSPENDED", "CONFIGURING", "COMPLETING",
                       "REQUEUED") and not (j.get("Reason") or "").startswith("JobHeld"):
            x["jobs_unfinished"] += 1
        else:
            x["jobs_lost"] += 1
            x["lost_ids"].append("%s %s %s" % (jid, state, j.get("Reason") if j else ""))

    # Agent cost.
    q = R["quiet"]
    qsecs = q["t1"] - q["t0"]
    quiet_cost = {k: cost(q["before"][k], q["after"][k], qsecs) for k in ("agent", "slurmd",
                                                                           "slurmctld")}
    run_cost = {k: cost(R["run"]["before"][k], R["run"]["after"][k], span)
                for k in ("agent", "slurmd", "slurmctld")}
    # RPCs.
    nodes_of = {p: [d["node"] for d in R["desktops"] if d["profile"] == p] for p in profs}
    agents = [p for p in profs if p not in ("naive", "dedicated")]
    sim_h = span * C / 3600.0
    rpc = {}
    for phase, rp, lo, hi, hours in (("quiet", q["rpcs"], q["t0"], q["t1"], qsecs / 3600.0),
                                     ("replay", R["run"]["rpcs"], t0, tend, sim_h)):
        tot = sum(v["count"] for k, v in rp.items() if k in AGENT_RPCS)
        nv = naive_calls(raw, lo, hi) if "naive" in profs else 0
        est = agent_actions(raw, lo, hi, [n for p in agents for n in nodes_of[p]])
        ndesk = sum(len(nodes_of[p]) for p in agents)
        agent_tot = max(0, tot - nv)
        e_all = sum(est.values()) or 1
        by = {}
        for p in agents:
            share = sum(est.get(n, 0) for n in nodes_of[p]) / e_all
            by[p] = agent_tot * share / (len(nodes_of[p]) * hours) if nodes_of[p] else None
        if "naive" in profs and nodes_of["naive"]:
            by["naive"] = nv / (len(nodes_of["naive"]) * hours)
        rpc[phase] = {"types": {k: v for k, v in rp.items() if k in AGENT_RPCS},
                      "agent_total": agent_tot, "naive_calls": nv,
                      "per_desktop_hour": by, "hours_basis": "real" if phase == "quiet" else
                      "simulated", "all_types": rp}
    # Projection: event-driven RPCs per simulated desktop-hour, plus the production
    # reconcile (2 RPCs every 10 min) per real hour, for 10,000 desktops on one slurmctld.
    proj = {}
    types = R["run"]["rpcs"]
    for p in agents:
        r_ev = rpc["replay"]["per_desktop_hour"].get(p) or 0.0
        per_h = r_ev + 12.0
        ave = [v["ave_us"] for k, v in types.items() if k in AGENT_RPCS and v["count"]]
        ave_us = sum(v["ave_us"] * v["count"] for k, v in types.items() if k in AGENT_RPCS) / \
            max(1, sum(v["count"] for k, v in types.items() if k in AGENT_RPCS))
        proj[p] = {"rpc_per_desktop_hour": per_h, "rpc_per_s_10k": per_h * 10000 / 3600.0,
                   "ctld_busy_fraction_10k": per_h * 10000 / 3600.0 * ave_us / 1e6,
                   "mean_rpc_us_here": ave_us if ave else None}
    # Figures per profile.
    figs = {}
    for p in profs:
        x = P[p]
        ah = x["absent_s"] * C / 3600.0
        figs[p] = {
            "reaction_drain_ms": summary(x["reaction_drain_ms"]),
            "reaction_drain_never": x["drain_never"],
            "reaction_stop_ms": summary(x["reaction_stop_ms"]),
            "reaction_stop_never": x["stop_never"],
            "offer_latency_ms": summary(x["offer_ms"]),
            "offer_never": x["offer_never"],
            "harvest": x["offered_absent_s"] / x["absent_s"] if x["absent_s"] else None,
            "offered_while_present_s": x["offered_present_s"],
            "intrusion_s": x["intrusion_s"],
            "jobs_submitted": x["jobs_submitted"], "jobs_completed": x["jobs_completed"],
            "jobs_lost": x["jobs_lost"], "lost": x["lost_ids"],
            "jobs_unfinished": x["jobs_unfinished"], "jobs_requeued": x["jobs_requeued"],
            "requeues": x["requeues"], "wasted_cpu_s": x["wasted_cpu_s"],
            "goodput_cpu_s_per_absent_desktop_h": x["completed_cpu_s"] / ah if ah else None,
            "absent_desktop_h_sim": ah,
            "cost_idle": quiet_cost["agent"].get(p), "cost_replay": run_cost["agent"].get(p),
            "rpc_per_desktop_h_replay": rpc["replay"]["per_desktop_hour"].get(p),
            "rpc_per_desktop_h_idle": rpc["quiet"]["per_desktop_hour"].get(p),
        }
    out = {
        "machine": {"host": platform.node(), "kernel": platform.release(),
                    "cpus": os.cpu_count(), "cpu_model": cpu_model(),
                    "mem_kb": meminfo()},
        "date": time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(t0)),
        "setup": {"n_per_profile": R["n"], "profiles": profs, "compression": C,
                  "window_sim": "%s + %dh%02dm" % (weekname(R["start_sim"]),
                                                  R["duration_sim"] // 3600,
                                                  R["duration_sim"] % 3600 // 60),
                  "real_s": span, "quiet_s": qsecs, "idle_after_real_s": ia,
                  "trace_seed": R["trace_seed"], "jobs_seed": R["jobs_seed"],
                  "trace": R.get("trace", {}),
                  "drawn_copies": sum(1 for d in R["desktops"]
                                      if d.get("drawn", "").startswith("copy")),
                  "monitor_tick_ms": TICK * 1000},
        "figures": figs,
        "slurmd": {"cost_idle": quiet_cost["slurmd"].get(profs[0]),
                   "cost_replay": run_cost["slurmd"].get(profs[0])},
        "slurmctld": {"cost_idle": quiet_cost["slurmctld"].get("-")},
        "rpc": rpc, "projection_10k": proj,
    }
    lag = [(x["submit"] - x["due"]) * C for x in R["submitted"] if "due" in x]
    out["submission_lag_sim_s"] = summary(lag) if lag else None
    out["per_desktop"] = {p: [dict(v, idx=k) for k, v in sorted(per_desk.get(p, {}).items())]
                          for p in profs}
    out["statistics"] = statistics(per_desk, profs, C)
    vf = os.path.join(raw, "validity.json")
    out["validity"] = json.load(open(vf)) if os.path.exists(vf) else None
    out["ratios"] = ratios(figs)
    out["targets"] = targets(out)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(out, f, indent=1)
    md = markdown(out)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(md)
    plots(a.out, P, timeline_rows, t0, tend, C)
    print(md)


# ---------------------------------------------------------------- statistics

BOOT = 2000      # bootstrap resamples
BOOT_SEED = 14   # fixed: the same run gives the same intervals


def aggregate(rows, C):
    """The profile's figures from its desktops' rows, as the report defines them (ratios of
    sums): goodput CPU-s per absent desktop-hour (sim), harvest, intrusion s (real), work."""
    absent = sum(r["absent_s"] for r in rows)
    ah = absent * C / 3600.0
    work = sum(r["completed_cpu_s"] for r in rows)
    return {"goodput": work / ah if ah else None,
            "harvest": sum(r["offered_absent_s"] for r in rows) / absent if absent else None,
            "intrusion_s": sum(r["intrusion_s"] for r in rows), "work_cpu_s": work}


def statistics(per_desk, profs, C):
    """95 % bootstrap intervals over desktops. Desktop i of every profile replays the same
    trace desktop, so a resample draws trace desktops and takes each profile's row for them
    (paired): the interval of a ratio between profiles then excludes the trace's own spread.
    A difference is significant when the interval of the ratio (or, for intrusion, of the
    difference) excludes 1 (0). Desktops share one queue, so they are not independent: the
    intervals are narrower than seeds would give (README.md, "Statistics")."""
    import random
    idx = sorted(set.intersection(*[set(per_desk.get(p, {})) for p in profs])) if profs else []
    if len(idx) < 2:
        return None
    rnd = random.Random(BOOT_SEED)
    keys = ("goodput", "harvest", "intrusion_s", "work_cpu_s")
    point = {p: aggregate([per_desk[p][i] for i in idx], C) for p in profs}
    samples = {p: {k: [] for k in keys} for p in profs}
    pairs = [(a, b) for a in profs for b in profs if a != b and
             (a == "idleacc" or b == "dedicated") and a != "dedicated"]
    rs = {pr: {k: [] for k in keys} for pr in pairs}
    for _ in range(BOOT):
        pick = [idx[rnd.randrange(len(idx))] for _ in idx]
        agg = {p: aggregate([per_desk[p][i] for i in pick], C) for p in profs}
        for p in profs:
            for k in keys:
                if agg[p][k] is not None:
                    samples[p][k].append(agg[p][k])
        for a, b in pairs:
            for k in keys:
                x, y = agg[a][k], agg[b][k]
                if k == "intrusion_s":
                    rs[(a, b)][k].append(x - y)
                elif x is not None and y:
                    rs[(a, b)][k].append(x / y)

    def ci(xs):
        xs = sorted(xs)
        if not xs:
            return None
        return [xs[int(0.025 * (len(xs) - 1))], xs[int(0.975 * (len(xs) - 1))]]
    out = {"n_desktops": len(idx), "resamples": BOOT, "profiles": {}, "comparisons": {}}
    for p in profs:
        out["profiles"][p] = {k: {"value": point[p][k], "ci95": ci(samples[p][k])}
                              for k in keys}
    for a, b in pairs:
        c = {}
        for k in keys:
            x, y = point[a][k], point[b][k]
            if k == "intrusion_s":
                v, null = x - y, 0.0
            else:
                v, null = (x / y if x is not None and y else None), 1.0
            iv = ci(rs[(a, b)][k])
            c[k] = {"value": v, "ci95": iv, "kind": "difference" if k == "intrusion_s"
                    else "ratio", "significant": bool(iv and (iv[0] > null or iv[1] < null))}
        out["comparisons"]["%s/%s" % (a, b)] = c
    if "dedicated" in profs:
        # Cluster equivalence: N desktops do the work of E x N dedicated nodes, same job mix.
        out["cluster_equivalence"] = {
            p: {"ratio": out["comparisons"]["%s/dedicated" % p]["work_cpu_s"]["value"],
                "ci95": out["comparisons"]["%s/dedicated" % p]["work_cpu_s"]["ci95"],
                "dedicated_nodes_of_%d" % len(idx):
                    (out["comparisons"]["%s/dedicated" % p]["work_cpu_s"]["value"] or 0)
                    * len(idx)}
            for p in profs if p != "dedicated"}
    return out


def hm(secs):
    """A real duration for people: 1h02m, 3m20s, 45s."""
    secs = int(max(0, secs))
    if secs >= 3600:
        return "%dh%02dm" % (secs // 3600, secs % 3600 // 60)
    return "%dm%02ds" % (secs // 60, secs % 60) if secs >= 60 else "%ds" % secs


def weekname(s):
    d = int(s // 86400)
    return "%s %02d:%02d" % (["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][d],
                             s % 86400 // 3600, s % 3600 // 60)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def meminfo():
    try:
        return int(open("/proc/meminfo").readline().split()[1])
    except (OSError, ValueError, IndexError):
        return None


RATIO_KEYS = [("reaction_drain_ms", "p99"), ("reaction_stop_ms", "p99"),
              ("offer_latency_ms", "p50"), ("harvest", None), ("intrusion_s", None),
              ("goodput_cpu_s_per_absent_desktop_h", None), ("wasted_cpu_s", None)]


def getf(f, k, sub):
    v = f.get(k)
    if sub and isinstance(v, dict):
        v = v.get(sub)
    return v


def ratios(figs):
    out = {}
    if "idleacc" not in figs:
        return out
    for base in figs:
        if base == "idleacc":
            continue
        r = {}
        for k, sub in RATIO_KEYS:
            a, b = getf(figs["idleacc"], k, sub), getf(figs[base], k, sub)
            r[k + ("." + sub if sub else "")] = (a / b) if (a is not None and b) else None
        out["idleacc/" + base] = r
    return out


def targets(o):
    """Each target of the issue: the value, and whether it was met (reported, not asserted)."""
    f = o["figures"]
    t = []
    if "idleacc" not in f:
        return t
    i = f["idleacc"]
    n = o["setup"]["n_per_profile"]
    p99 = i["reaction_drain_ms"]["p99"]
    stop99 = i["reaction_stop_ms"]["p99"]
    worst = max([x for x in (p99, stop99) if x is not None] or [None]) if (p99 or stop99) \
        else None
    t.append(("reaction p99 <= 250 ms at N=50 (here N=%d)" % n, worst,
              worst is not None and worst <= 250))
    t.append(("0 lost jobs in every run", sum(x["jobs_lost"] for x in f.values()),
              all(x["jobs_lost"] == 0 for x in f.values())))
    ci = i["cost_idle"] or {}
    sd = (o["slurmd"]["cost_idle"] or {})
    rss, srss = (ci.get("rss_kb") or {}).get("max"), (sd.get("rss_kb") or {}).get("median")
    t.append(("idleaccd RSS below slurmd's (KiB)", "%s vs %s" % (rss, srss),
              rss is not None and srss is not None and rss < srss))
    pd = (ci.get("pd_kb") or {}).get("max")
    t.append(("idleaccd private dirty <= 512 KiB", pd, pd is not None and pd <= 512))
    cpu = (ci.get("cpu_s_per_h") or {}).get("max")
    t.append(("idleaccd <= 0.5 CPU-s per idle desktop-hour", cpu, cpu is not None and cpu <= 0.5))
    wk = (ci.get("wakeups_per_s") or {}).get("max")
    t.append(("idleaccd <= 1 wake-up/s while idle", wk, wk is not None and wk <= 1.0))
    if "condor" in f:
        c = f["condor"]
        g, gc = i["goodput_cpu_s_per_absent_desktop_h"], c["goodput_cpu_s_per_absent_desktop_h"]
        cmp_ = ((o.get("statistics") or {}).get("comparisons") or {}).get("idleacc/condor")
        sig = cmp_ and cmp_["goodput"]["significant"]
        t.append(("goodput >= 1.3x HTCondor profile's, the difference significant",
                  "%s vs %s (%s x, %s)" % (rnd(g), rnd(gc), rnd(g / gc if g and gc else None, 2),
                                            "significant" if sig else "not significant"),
                  g is not None and gc is not None and g >= 1.3 * gc and bool(sig)))
        t.append(("owner intrusion <= HTCondor profile's (s)",
                  "%s vs %s" % (rnd(i["intrusion_s"]), rnd(c["intrusion_s"])),
                  i["intrusion_s"] <= c["intrusion_s"]))
    return [{"target": a, "value": b, "met": m} for a, b, m in t]


def rnd(v, nd=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%." + str(nd) + "f") % v
    return str(v)


def markdown(o):
    f = o["figures"]
    ps = list(f)
    s = o["setup"]
    L = ["## Results: %s, %s" % (o["date"], o["machine"]["host"]), "",
         "Machine: %s, %d CPUs, %d MiB RAM, Linux %s. Run: N=%d desktops per profile, window %s "
         "simulated, compression %gx (%.0f s real), quiet phase %.0f s; trace %s (%s, %s "
         "desktops%s), job seed %s."
         % (o["machine"]["cpu_model"], o["machine"]["cpus"], (o["machine"]["mem_kb"] or 0) // 1024,
            o["machine"]["kernel"], s["n_per_profile"], s["window_sim"], s["compression"],
            s["real_s"], s["quiet_s"],
            os.path.basename(s.get("trace", {}).get("file", "trace.json")),
            s.get("trace", {}).get("format", "json") + (", seed %s" % s["trace_seed"]
                                                          if s["trace_seed"] else ""),
            s.get("trace", {}).get("desktops", "?"),
            "; %d run desktops drawn as shifted copies" % s["drawn_copies"]
            if s.get("drawn_copies") else "", s["jobs_seed"]), "",
         "| figure | " + " | ".join(ps) + " |", "|---|" + "---|" * len(ps)]

    def row(name, fn):
        L.append("| %s | %s |" % (name, " | ".join(fn(f[p]) for p in ps)))

    def q(k, sub):
        return lambda x: rnd((x[k] or {}).get(sub), 0)
    for k, label in (("reaction_drain_ms", "1a. owner input -> DRAIN in slurmctld, ms"),
                     ("reaction_stop_ms", "1b. owner input -> every job process stopped, ms"),
                     ("offer_latency_ms", "2. offer latency, ms")):
        row(label + " (n)", lambda x, k=k: str(x[k]["n"]))
        for sub in ("p50", "p95", "p99", "max"):
            row("&nbsp;&nbsp;" + sub, q(k, sub))
    row("1a. owner returns never drained", lambda x: str(x["reaction_drain_never"]))
    row("1b. running jobs never stopped", lambda x: str(x["reaction_stop_never"]))
    row("2. idle periods never offered", lambda x: str(x["offer_never"]))
    row("3. harvest (offered and absent / absent)", lambda x: rnd(x["harvest"], 3))
    row("3. offered while owner present, s", lambda x: rnd(x["offered_while_present_s"]))
    row("4. owner intrusion, s (real)", lambda x: rnd(x["intrusion_s"]))
    row("5. jobs submitted / completed / unfinished", lambda x: "%d / %d / %d" % (
        x["jobs_submitted"], x["jobs_completed"], x["jobs_unfinished"]))
    row("5. jobs lost", lambda x: str(x["jobs_lost"]))
    row("5. jobs requeued (requeues)", lambda x: "%d (%d)" % (x["jobs_requeued"], x["requeues"]))
    row("5. CPU-s thrown away by requeues (sim)", lambda x: rnd(x["wasted_cpu_s"], 0))
    row("5. goodput, CPU-s per absent desktop-hour (sim)",
        lambda x: rnd(x["goodput_cpu_s_per_absent_desktop_h"], 0))

    def c(phase, k, agg):
        return lambda x: rnd(((x[phase] or {}).get(k) or {}).get(agg), 2)
    row("6. agent RSS KiB (max)", c("cost_idle", "rss_kb", "max"))
    row("6. agent private dirty KiB (max)", c("cost_idle", "pd_kb", "max"))
    row("6. agent CPU-s per idle desktop-hour (max)", c("cost_idle", "cpu_s_per_h", "max"))
    row("6. agent wake-ups/s while idle (max)", c("cost_idle", "wakeups_per_s", "max"))
    row("6. agent CPU-s per real hour during replay (max)", c("cost_replay", "cpu_s_per_h", "max"))
    row("6. slurmctld RPCs per desktop-hour, idle (real h)",
        lambda x: rnd(x["rpc_per_desktop_h_idle"], 2))
    row("6. slurmctld RPCs per desktop-hour, replay (sim h)",
        lambda x: rnd(x["rpc_per_desktop_h_replay"], 2))
    sd = o["slurmd"]
    for ph in ("cost_idle",):
        v = sd[ph] or {}
        L += ["", "slurmd beside it (median of %s): RSS %s KiB, private dirty %s KiB, %s CPU-s per "
              "idle hour, %s wake-ups/s while idle." % (
                  v.get("processes"), rnd((v.get("rss_kb") or {}).get("median"), 0),
                  rnd((v.get("pd_kb") or {}).get("median"), 0),
                  rnd((v.get("cpu_s_per_h") or {}).get("median"), 2),
                  rnd((v.get("wakeups_per_s") or {}).get("median"), 2))]
    if o["ratios"]:
        L += ["", "Ratios (idleacc / baseline):", "", "| figure | " +
              " | ".join(o["ratios"]) + " |", "|---|" + "---|" * len(o["ratios"])]
        for k, sub in RATIO_KEYS:
            kk = k + ("." + sub if sub else "")
            L.append("| %s | %s |" % (kk, " | ".join(rnd(r.get(kk), 2)
                                                     for r in o["ratios"].values())))
    if o["projection_10k"]:
        L += ["", "Projection to 10,000 desktops on one slurmctld (event RPCs measured per "
              "simulated desktop-hour + 12/h of reconcile):", ""]
        for p, v in o["projection_10k"].items():
            L.append("- %s: %.1f RPC per desktop-hour -> %.1f RPC/s; at this machine's mean "
                     "%s us per agent RPC, slurmctld busy %.1f%% of one thread."
                     % (p, v["rpc_per_desktop_hour"], v["rpc_per_s_10k"],
                        rnd(v["mean_rpc_us_here"], 0), 100 * v["ctld_busy_fraction_10k"]))
    lg = o.get("submission_lag_sim_s")
    if lg and lg["n"]:
        L += ["", "sbatch ran behind the job mix's schedule by %s simulated s (p50), %s (max): "
              "one submitter thread on this machine." % (rnd(lg["p50"], 0), rnd(lg["max"], 0))]
    st = o.get("statistics")
    if st:
        def civ(v, nd):
            if not v or v["value"] is None:
                return "-"
            if not v["ci95"]:
                return rnd(v["value"], nd)
            return "%s [%s, %s]" % (rnd(v["value"], nd), rnd(v["ci95"][0], nd),
                                    rnd(v["ci95"][1], nd))
        L += ["", "Per-desktop statistics: value and 95 %% bootstrap interval over the %d trace "
              "desktops (%d paired resamples; README.md, \"Statistics\"):" % (
                  st["n_desktops"], st["resamples"]) + (
                  " **N < 16: too few desktops for these intervals to mean much (-n 16, --week)**"
                  if st["n_desktops"] < 16 else ""), "",
              "| profile | goodput, CPU-s per absent desktop-h | harvest | intrusion, s (real) "
              "| work completed, CPU-s (sim) |", "|---|---|---|---|---|"]
        for p, v in st["profiles"].items():
            L.append("| %s | %s | %s | %s | %s |" % (p, civ(v["goodput"], 0),
                                                     civ(v["harvest"], 3),
                                                     civ(v["intrusion_s"], 1),
                                                     civ(v["work_cpu_s"], 0)))
        L += ["", "| comparison | goodput ratio | harvest ratio | intrusion difference, s | "
              "work ratio |", "|---|---|---|---|---|"]
        for k, c in st["comparisons"].items():
            L.append("| %s | %s |" % (k, " | ".join(
                civ(c[f], 2 if f != "intrusion_s" else 1) + (" **significant**" if
                                                              c[f]["significant"] else "")
                for f in ("goodput", "harvest", "intrusion_s", "work_cpu_s"))))
        for p, e in (st.get("cluster_equivalence") or {}).items():
            L.append("\nCluster equivalence, %s: %d desktops did %s of the work %d dedicated "
                     "nodes did on the same job mix, the work of %.1f dedicated nodes." % (
                         p, st["n_desktops"], civ({"value": e["ratio"], "ci95": e["ci95"]}, 2),
                         st["n_desktops"], e["dedicated_nodes_of_%d" % st["n_desktops"]]))
    v = o.get("validity")
    if v and v["findings"]:
        L += ["", "Validity at -c %g (bench.py validity(); a distorted profile's figures do not "
              "stand for what it emulates):" % v["compression"], ""]
        for x in v["findings"]:
            L.append("- **%s** %s: %s" % ("DISTORTED (run with --allow-distorted)"
                                          if x["level"] == "distorted" else "flag",
                                          x["profile"], x["message"]))
    L += ["", "Targets (reported, not asserted):", ""]
    for t in o["targets"]:
        L.append("- %s %s: %s" % ("met" if t["met"] else "**MISSED**", t["target"],
                                  rnd(t["value"], 2)))
    lost = [(p, x["lost"]) for p, x in f.items() if x["lost"]]
    for p, ids in lost:
        L.append("- lost in %s: %s" % (p, "; ".join(ids[:10])))
    return "\n".join(L) + "\n"


def plots(out, P, rows, t0, tend, C):
    if not shutil.which("gnuplot"):
        print("bench: gnuplot not found: no plots", file=sys.stderr)
        return
    dd = os.path.join(out, "plotdata")
    os.makedirs(dd, exist_ok=True)
    cdfs = []
    for p, x in P.items():
        for k in ("reaction_drain_ms", "reaction_stop_ms", "offer_ms"):
            xs = sorted(x[k])
            fn = os.path.join(dd, "%s.%s.dat" % (p, k))
            with open(fn, "w") as f:
                for i, v in enumerate(xs):
                    f.write("%f %f\n" % (v, (i + 1) / len(xs)))
            if xs:
                cdfs.append((k, p, fn))
    gp = ["set terminal pngcairo size 900,500 noenhanced" if gp_has("pngcairo")
          else "set terminal png size 900,500", "set grid", "set key bottom right"]
    for k, title in (("reaction", "Reaction: owner input -> DRAIN in slurmctld / every job process stopped"),
                     ("offer_ms", "Offer latency: idle_after reached -> node IDLE")):
        series = [(kk, p, fn) for kk, p, fn in cdfs if kk.startswith(k)]
        if not series:
            continue
        gp += ["set output '%s/%s.png'" % (out, "reaction_cdf" if k == "reaction" else
                                           "offer_cdf"),
               "set title '%s'" % title, "set xlabel 'ms (log)'", "set ylabel 'fraction'",
               "set logscale x", "set yrange [0:1]",
               "plot " + ", ".join("'%s' using 1:2 with steps lw 2 title '%s %s'" %
                                   (fn, p, kk.replace("reaction_", "").replace("_ms", ""))
                                   for kk, p, fn in series), "unset logscale x"]
    # Timeline: per desktop, owner presence, node offered, job running.
    tl = os.path.join(dd, "timeline.dat")
    labels = []
    with open(tl, "w") as f:
        for y, (node, p, pres, offered, runs) in enumerate(rows):
            labels.append('"%s %s" %d' % (node, p, y))
            for kind, ivs, dy in (("presence", pres, 0.25), ("offered", offered, 0.0),
                                  ("job", runs, -0.25)):
                for a0, a1 in ivs:
                    f.write("%s %f %f %f\n" % (kind, (a0 - t0) * C / 60, (a1 - t0) * C / 60,
                                               y + dy))
    gp += ["set output '%s/timeline.png'" % out,
           "set title 'Per desktop: owner present (top), node offered (middle), job running "
           "(bottom)'", "set xlabel 'simulated minutes into the window'", "unset ylabel",
           "set ytics (%s)" % ", ".join(labels), "set yrange [-1:%d]" % len(rows),
           "set xrange [0:%f]" % ((tend - t0) * C / 60), "set autoscale y",
           "set yrange [-1:%d]" % len(rows), "set key outside top",
           "plot '%s' using 2:($1 eq 'presence' ? $4 : 1/0):($3-$2):(0) with vectors nohead "
           "lw 4 lc rgb 'red' title 'owner', '' using 2:(strcol(1) eq 'offered' ? $4 : 1/0):"
           "($3-$2):(0) with vectors nohead lw 4 lc rgb 'forest-green' title 'offered', '' "
           "using 2:(strcol(1) eq 'job' ? $4 : 1/0):($3-$2):(0) with vectors nohead lw 4 lc "
           "rgb 'blue' title 'job running'" % tl]
    gp = [g.replace("($1 eq 'presence'", "(strcol(1) eq 'presence'") for g in gp]
    with open(os.path.join(dd, "plots.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")
    r = subprocess.run(["gnuplot", os.path.join(dd, "plots.gp")], capture_output=True, text=True)
    if r.returncode:
        print("bench: gnuplot: " + r.stderr, file=sys.stderr)


def gp_has(term):
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return term in (r.stdout + r.stderr)


def cmd_scale(a):
    rows, best = [], None
    for n in [int(x) for x in a.ns.split(",")]:
        f = os.path.join(a.out, "scale-%d" % n, "results.json")
        if not os.path.exists(f):
            rows.append((n, None, None, "run failed"))
            continue
        o = json.load(open(f))
        x = o["figures"]["idleacc"]
        p99 = max([v for v in (x["reaction_drain_ms"]["p99"], x["reaction_stop_ms"]["p99"])
                   if v is not None] or [0])
        ok = x["jobs_lost"] == 0 and p99 < 1000
        rows.append((n, p99, x["jobs_lost"], "ok" if ok else "fails"))
        if ok:
            best = n
    res = {"largest_n": best, "runs": [{"n": n, "reaction_p99_ms": p, "lost": l, "verdict": v}
                                       for n, p, l, v in rows]}
    json.dump(res, open(os.path.join(a.out, "scale.json"), "w"), indent=1)
    md = ["| N | reaction p99 ms (worse of drain, stop) | jobs lost | 0 lost and p99 < 1 s |",
          "|---|---|---|---|"] + ["| %d | %s | %s | %s |" % (n, rnd(p, 0), rnd(l), v)
                                  for n, p, l, v in rows]
    md.append("\nLargest N with 0 lost jobs and reaction p99 under 1 s: %s" % best)
    open(os.path.join(a.out, "scale.md"), "w").write("\n".join(md) + "\n")
    print("\n".join(md))


# The policy frontier: idle_after, resume_after and max_suspend around HTCondor's defaults
# (simulated durations; run.sh --frontier runs each for idleacc and the HTCondor-like profile).
FRONTIER = ["idle_after=5m", "idle_after=10m", "idle_after=15m", "idle_after=30m",
            "idle_after=15m,resume_after=10m", "idle_after=15m,resume_after=15m",
            "idle_after=15m,max_suspend=20m", "idle_after=10m,max_suspend=20m"]


def cmd_frontier(a):
    if a.list:
        print("\n".join(FRONTIER))
        return
    rows = []
    for k, pol in enumerate(FRONTIER, 1):
        f = os.path.join(a.out, "frontier-%d" % k, "results.json")
        if not os.path.exists(f):
            rows.append((pol, None))
            continue
        rows.append((pol, json.load(open(f))))
    md = ["| policy (simulated) | profile | harvest | goodput CPU-s/absent desktop-h | "
          "intrusion s (real) | thrown away CPU-s | reaction p99 ms |", "|---|---|---|---|---|---|---|"]
    dd = os.path.join(a.out, "frontier.dat")
    with open(dd, "w") as f:
        for pol, o in rows:
            if not o:
                md.append("| %s | - | run failed | | | | |" % pol)
                continue
            for p, x in o["figures"].items():
                p99 = max([v for v in (x["reaction_drain_ms"]["p99"],
                                       x["reaction_stop_ms"]["p99"]) if v is not None] or [0])
                md.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                    pol, p, rnd(x["harvest"], 3), rnd(x["goodput_cpu_s_per_absent_desktop_h"], 0),
                    rnd(x["intrusion_s"], 1), rnd(x["wasted_cpu_s"], 0), rnd(p99, 0)))
                f.write("%s %f %f %f \"%s\"\n" % (p, x["intrusion_s"], x["harvest"] or 0,
                                                  x["goodput_cpu_s_per_absent_desktop_h"] or 0,
                                                  pol))
    open(os.path.join(a.out, "frontier.md"), "w").write("\n".join(md) + "\n")
    print("\n".join(md))
    if shutil.which("gnuplot"):
        gp = ["set terminal pngcairo size 900,500 noenhanced" if gp_has("pngcairo")
              else "set terminal png size 900,500", "set output '%s/frontier.png'" % a.out,
              "set title 'Policy frontier: harvest against owner intrusion'", "set grid",
              "set xlabel 'owner intrusion, s (real)'", "set ylabel 'harvest'",
              "plot '%s' using ((strcol(1) eq 'idleacc') ? $2 : 1/0):3:5 with labels point "
              "pt 7 offset 1,0 left title 'idleacc', '' using ((strcol(1) eq 'condor') ? $2 : "
              "1/0):3 with points pt 5 title 'condor'" % dd]
        subprocess.run(["gnuplot", "-e", "; ".join(gp)], capture_output=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    for k in ("out", "cluster", "profiles", "start", "duration", "trace", "jobs", "job_script"):
        r.add_argument("--" + k.replace("_", "-"), required=True)
    r.add_argument("--n", type=int, required=True)
    r.add_argument("--compression", type=float, required=True)
    r.add_argument("--quiet", type=float, default=60)
    r.add_argument("--idle-after", type=float, required=True)
    # The real time the replay starts at, when something started earlier runs on its clock
    # (the predict profile's idleaccd, IDLEACC_PREDICT_CLOCK); default 1 s after the quiet phase.
    r.add_argument("--t0", type=float)
    c = sub.add_parser("check")
    c.add_argument("--compression", type=float, required=True)
    c.add_argument("--profiles", required=True)
    c.add_argument("--naive-period", type=float, default=60)
    c.add_argument("--allow-distorted", action="store_true")
    c.add_argument("--write")
    c.add_argument("--policy", default="")
    c.add_argument("--shell", action="store_true")
    p = sub.add_parser("report")
    p.add_argument("--out", required=True)
    s = sub.add_parser("scale")
    s.add_argument("--out", required=True)
    s.add_argument("--ns", required=True)
    fr = sub.add_parser("frontier")
    fr.add_argument("--out")
    fr.add_argument("--list", action="store_true")
    a = ap.parse_args()
    {"frontier": cmd_frontier, "run": cmd_run, "report": cmd_report, "scale": cmd_scale, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    main()
