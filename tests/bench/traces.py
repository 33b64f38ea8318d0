# SPDX-License-Identifier: MIT
"""traces.py - reads owner traces into the one form the replayer knows: per desktop, owner
presence intervals and typing bursts in simulated seconds from Monday 00:00.

Three input forms (README.md, "Replaying other traces"):
  - JSON: gen.py's trace.json, read as is;
  - CSV logon events: machine,state,timestamp rows (in-use, available, offline, restarted; a
    UTF-8 byte-order mark and no header are common, both accepted);
  - the Failure Trace Archive's event_trace table, tab-separated: availability intervals per
    node with an end reason (code 2 or "user present" for an owner who came back).

A real trace has no keystrokes: a session or an unavailability interval is one burst of input
from its start to its end, replayed every input_period. Bad input raises TraceError with
file:line: message.
"""
import csv
import datetime
import json
import math
import re

WEEK = 7 * 86400
INPUT_PERIOD = 30  # simulated seconds between touches during a real trace's session

# Logon-event states (lower case, blanks and underscores as '-') -> what they mean here.
CSV_STATES = {
    "in-use": "present", "inuse": "present", "in-session": "present", "logged-on": "present",
    "logon": "present", "busy": "present",
    "available": "absent", "free": "absent", "idle": "absent", "logged-off": "absent",
    "logoff": "absent",
    "offline": "offline", "off": "offline", "unavailable": "offline", "down": "offline",
    "restarted": "restart", "restart": "restart", "reboot": "restart", "rebooted": "restart",
}

# FTA event_trace columns, in the order of the archive's schema; a header row may name them.
FTA_COLUMNS = ["event_id", "component_id", "node_id", "platform_id", "node_name", "event_type",
               "event_start_time", "event_end_time", "event_end_reason"]
FTA_USER_PRESENT = {"2", "user present", "user_present"}


class TraceError(Exception):
    pass


def parse_time(s):
    """Epoch seconds (a number) or an ISO date-time, read as the lab's wall clock (no zone)."""
    s = s.strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is not None:
        d = d.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return (d - datetime.datetime(1970, 1, 1)).total_seconds()


def week_origin(t):
    """Monday 00:00 (UTC wall clock) on or before epoch second t."""
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=t)
    m = datetime.datetime(d.year, d.month, d.day) - datetime.timedelta(days=d.weekday())
    return (m - datetime.datetime(1970, 1, 1)).total_seconds()


def merge(iv):
    """Sorts and joins overlapping or touching intervals."""
    out = []
    for a, b in sorted(iv):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def build(fmt, source, per_node, t_lo, t_hi):
    """The trace dict from per-node presence and offline intervals (epoch seconds)."""
    if not per_node:
        raise TraceError("%s: no events" % source)
    org = week_origin(t_lo)
    span = max(WEEK, math.ceil((t_hi - org) / WEEK) * WEEK)
    desktops = []
    for name in sorted(per_node):
        pres = merge(per_node[name]["present"])
        off = merge(per_node[name]["offline"])
        busy = merge(pres + off)  # replayed alike: the desktop must not run jobs
        desktops.append({
            "name": name,
            "presence": [[round(a - org, 1), round(b - org, 1)] for a, b in busy],
            "bursts": [[round(a - org, 1), round(b - org, 1)] for a, b in busy],
            "offline": [[round(a - org, 1), round(b - org, 1)] for a, b in off],
        })
    return {"seed": None, "format": fmt, "source": source,
            "origin_utc": datetime.datetime.utcfromtimestamp(org).strftime("%Y-%m-%d %H:%M"),
            "params": {"input_period": INPUT_PERIOD}, "week_s": span,
            "data_s": [round(t_lo - org, 1), round(t_hi - org, 1)], "desktops": desktops}


def read_csv(path, text):
    """machine,state,timestamp logon events -> trace. A state lasts until the machine's next
    event, the last one until the file's last timestamp."""
    events = {}
    t_lo, t_hi = None, None
    for no, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 3:
            raise TraceError("%s:%d: expected machine,state,timestamp, got %d field%s"
                             % (path, no, len(row), "" if len(row) == 1 else "s"))
        m, st, ts = row[0].strip(), row[1].strip(), row[2].strip()
        t = parse_time(ts)
        if t is None:
            if no == 1 or not events:  # a header row
                continue
            raise TraceError("%s:%d: bad timestamp '%s' (epoch seconds or ISO 8601)"
                             % (path, no, ts))
        key = re.sub(r"[\s_]+", "-", st.lower())
        if key not in CSV_STATES:
            raise TraceError("%s:%d: unknown state '%s' (in-use, available, offline, restarted)"
                             % (path, no, st))
        events.setdefault(m, []).append((t, CSV_STATES[key]))
        t_lo = t if t_lo is None else min(t_lo, t)
        t_hi = t if t_hi is None else max(t_hi, t)
    per = {}
    for m, ev in events.items():
        ev.sort(key=lambda e: e[0])
        iv = {"present": [], "offline": []}
        for i, (t, what) in enumerate(ev):
            end = ev[i + 1][0] if i + 1 < len(ev) else t_hi
            if what in ("present", "offline"):
                iv[what].append([t, end])
        per[m] = iv
    return build("csv", path, per, t_lo or 0, t_hi or 0)


def read_fta(path, text):
    """FTA event_trace rows -> trace. event_type 1 is an availability interval; everything
    outside them is unavailability: owner present when the availability before it ended with
    "user present", offline otherwise (end reason unknown, CPU load, machine off)."""
    cols = FTA_COLUMNS
    avail = {}
    t_lo, t_hi = None, None
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        f = [x.strip() for x in line.split("\t")]
        if "event_type" in f:
            cols = f
            continue
        if len(f) < len(cols):
            raise TraceError("%s:%d: expected %d tab-separated fields (%s), got %d"
                             % (path, no, len(cols), " ".join(cols), len(f)))
        r = dict(zip(cols, f))
        try:
            kind = int(float(r["event_type"]))
            a, b = float(r["event_start_time"]), float(r["event_end_time"])
        except (KeyError, ValueError):
            raise TraceError("%s:%d: event_type, event_start_time and event_end_time must be "
                             "numbers" % (path, no)) from None
        if b < a:
            raise TraceError("%s:%d: event ends before it starts" % (path, no))
        node = r.get("node_name") or r.get("node_id")
        reason = (r.get("event_end_reason") or "").lower()
        t_lo = a if t_lo is None else min(t_lo, a)
        t_hi = b if t_hi is None else max(t_hi, b)
        avail.setdefault(node, [])
        if kind == 1:
            avail[node].append((a, b, reason in FTA_USER_PRESENT))
    per = {}
    for node, ivs in avail.items():
        ivs.sort()
        iv = {"present": [], "offline": []}
        t, why = t_lo, "offline"  # before the first availability: unknown, not harvestable
        for a, b, user in ivs:
            if a > t:
                iv[why].append([t, a])
            t = max(t, b)
            why = "present" if user else "offline"
        if t_hi > t:
            iv[why].append([t, t_hi])
        per[node] = iv
    return build("fta", path, per, t_lo or 0, t_hi or 0)


def load(path):
    """Any of the three forms, told apart by content (not by name)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise TraceError("%s: %s" % (path, e)) from None
    head = text.lstrip()
    if head.startswith("{"):
        try:
            tr = json.loads(text)
        except ValueError as e:
            raise TraceError("%s: not valid JSON: %s" % (path, e)) from None
        tr.setdefault("format", "json")
        return tr
    first = next((l for l in text.splitlines() if l.strip() and not l.startswith("#")), "")
    if "\t" in first:
        return read_fta(path, text)
    return read_csv(path, text)


def desktop(trace, i):
    """Desktop i of the trace; past its count, a copy of desktop i mod M shifted in time by a
    fixed offset in [-15, +15] min per copy (drawn from i), so that copies do not return at the
    same instant. Returns (presence, bursts, what) with what describing the draw."""
    ds = trace["desktops"]
    m = len(ds)
    d = ds[i % m]
    if i < m:
        return d["presence"], d["bursts"], "trace desktop %d" % i
    shift = ((i * 2654435761) % 1801) - 900
    sh = lambda iv: [[a + shift, b + shift] for a, b in iv]
    return sh(d["presence"]), sh(d["bursts"]), "copy of trace desktop %d shifted %+d s" % (
        i % m, shift)


def periodic(iv, span, lo, hi):
    """Intervals repeated every span (the trace's length) so that a window [lo, hi] past the
    trace's end replays it again from the start."""
    out = []
    k0, k1 = math.floor(lo / span) - 1, math.floor(hi / span) + 1
    for k in range(k0, k1 + 1):
        for a, b in iv:
            a2, b2 = a + k * span, b + k * span
            if b2 >= lo and a2 <= hi:
                out.append([a2, b2])
    return merge(out)
