#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_traces.py - the benchmark's trace readers (traces.py) on the sample files of each form
and on bad input, gen.py stats on each form, and how bench.py reads a job's process states;
run by make check (quick, no cluster)."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist ships bench/)
sys.path.insert(0, HERE)
import traces  # noqa: E402
import bench  # noqa: E402

H = 3600
TUE = 86400


def hms(h, m, s=0):
    return h * H + m * 60 + s


class Csv(unittest.TestCase):
    def setUp(self):
        self.tr = traces.load(os.path.join(HERE, "samples", "logon.csv"))
        self.d = {d["name"]: d for d in self.tr["desktops"]}

    def test_bom_no_header(self):
        self.assertEqual(self.tr["format"], "csv")
        self.assertEqual(sorted(self.d), ["LAB1-PC01", "LAB1-PC02", "LAB1-PC03"])
        self.assertEqual(self.tr["origin_utc"], "2019-03-04 00:00")

    def test_sessions_are_presence(self):
        # in-use 09:12:33 until available 10:48:10; two in-use rows in a row are one session
        p = self.d["LAB1-PC01"]["presence"]
        self.assertEqual(p[0], [hms(9, 12, 33), hms(10, 48, 10)])
        self.assertEqual(p[1], [hms(14, 5, 41), hms(15, 51)])
        self.assertEqual(self.d["LAB1-PC01"]["bursts"], p)

    def test_offline_until_restart_is_not_available(self):
        d = self.d["LAB1-PC01"]
        self.assertEqual(d["offline"], [[hms(20, 0), TUE + hms(7, 30, 12)]])
        self.assertIn([hms(20, 0), TUE + hms(7, 30, 12)], d["presence"])
        # restarted, then available: the desktop is free from the restart on
        self.assertEqual(d["presence"][3], [TUE + hms(10, 2, 55), TUE + hms(11, 40, 19)])

    def test_header_and_epoch(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("machine,state,timestamp\npc1,In Use,1551690000\npc1,available,"
                    "1551693600\n")
        try:
            tr = traces.load(f.name)
        finally:
            os.unlink(f.name)
        # 1551690000 is Mon 2019-03-04 09:00 UTC
        self.assertEqual(tr["desktops"][0]["presence"], [[hms(9, 0), hms(10, 0)]])

    def bad(self, text, msg):
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write(text)
        try:
            with self.assertRaises(traces.TraceError) as c:
                traces.load(f.name)
            self.assertEqual(str(c.exception), msg % f.name)
        finally:
            os.unlink(f.name)

    def test_bad_state(self):
        self.bad("pc1,in-use,2019-03-04 09:00\npc1,dancing,2019-03-04 10:00\n",
                 "%s:2: unknown state 'dancing' (in-use, available, offline, restarted)")

    def test_bad_time(self):
        self.bad("pc1,in-use,2019-03-04 09:00\npc1,available,tomorrow\n",
                 "%s:2: bad timestamp 'tomorrow' (epoch seconds or ISO 8601)")

    def test_short_row(self):
        self.bad("pc1,in-use\n", "%s:1: expected machine,state,timestamp, got 2 fields")


class Fta(unittest.TestCase):
    def setUp(self):
        self.tr = traces.load(os.path.join(HERE, "samples", "event_trace.tab"))
        self.d = {d["name"]: d for d in self.tr["desktops"]}

    def test_user_present_is_presence(self):
        self.assertEqual(self.tr["format"], "fta")
        d = self.d["nd-lab-01"]
        # available until 09:05, ended by "user present" (2): present until 11:00
        self.assertEqual(d["presence"][0], [hms(9, 5), hms(11, 0)])
        self.assertEqual(d["presence"][2], [TUE + hms(8, 30), TUE + hms(10, 15)])

    def test_other_reasons_are_offline(self):
        # ended by "CPU threshold exceeded" (3): not harvestable, not an owner
        self.assertEqual(self.d["nd-lab-01"]["offline"], [[hms(15, 0), hms(15, 20)]])
        self.assertEqual(self.d["nd-lab-02"]["offline"], [])

    def test_header_names_columns(self):
        with tempfile.NamedTemporaryFile("w", suffix=".tab", delete=False) as f:
            f.write("node_name\tevent_type\tevent_start_time\tevent_end_time\tevent_end_reason\n"
                    "n1\t1\t1551657600\t1551690000\tuser present\n"
                    "n1\t1\t1551693600\t1551744000\tuser present\n")
        try:
            tr = traces.load(f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(tr["desktops"][0]["presence"][0], [hms(9, 0), hms(10, 0)])

    def test_bad_row(self):
        with tempfile.NamedTemporaryFile("w", suffix=".tab", delete=False) as f:
            f.write("1\t11\t1\t7\tn1\t1\tnoon\t1551690000\t2\n")
        try:
            with self.assertRaises(traces.TraceError) as c:
                traces.load(f.name)
            self.assertEqual(str(c.exception), "%s:1: event_type, event_start_time and "
                             "event_end_time must be numbers" % f.name)
        finally:
            os.unlink(f.name)


class Draw(unittest.TestCase):
    def test_json_and_more_desktops_than_the_trace(self):
        tr = traces.load(os.path.join(HERE, "trace.json"))
        self.assertEqual(len(tr["desktops"]), 50)
        p, b, what = traces.desktop(tr, 120)  # was an IndexError past 50
        shift = p[0][0] - tr["desktops"][20]["presence"][0][0]
        self.assertTrue(-900 <= shift <= 900 and shift != 0)
        self.assertTrue(what.startswith("copy of trace desktop 20 shifted"))
        self.assertNotEqual(traces.desktop(tr, 70)[0][0], p[0])

    def test_periodic_wraps_past_the_end(self):
        iv = traces.periodic([[100, 200]], traces.WEEK, traces.WEEK - 50, traces.WEEK + 300)
        self.assertEqual(iv, [[traces.WEEK + 100, traces.WEEK + 200]])


class Stats(unittest.TestCase):
    def test_gen_stats_reads_every_form(self):
        for f, fmt in (("trace.json", "json"), ("samples/logon.csv", "csv"),
                       ("samples/event_trace.tab", "fta")):
            r = subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "stats",
                                os.path.join(HERE, f)], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('"format": "%s"' % fmt, r.stdout)



class PredictProfile(unittest.TestCase):
    """gen.py profile: what idleaccd would have learnt (nodeagent/predict.h's model)."""

    def test_windows_and_returns(self):
        import gen
        # Present Monday 08:00-18:00 alone, every week: the window opens idle_after (15 min)
        # after 18:00 and lasts until the next Monday 08:00, closing in bin 8.
        week = [[8 * H, 18 * H]]
        ret, exp_ = gen.learn_profile([week, week], 900)
        self.assertAlmostEqual(ret[8], 0.8 ** 2 + 0.8)
        self.assertEqual(sum(1 for r in ret if r), 1)
        self.assertAlmostEqual(exp_[18], (H - 900) * (0.8 ** 2 + 0.8))
        self.assertAlmostEqual(exp_[100], H * (0.8 ** 2 + 0.8))
        self.assertEqual(exp_[8], 0)
        self.assertEqual(exp_[12], 0)

    def test_profile_file(self):
        r = subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "profile",
                            os.path.join(HERE, "trace.json"), "--desktop", "3", "--node", "d4",
                            "--week", "2969", "--idle-after", "900"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "idleacc-profile 1 node d4 bin 3600")
        self.assertTrue(all(len(l.split()) == 5 and l.endswith(" 2969") for l in lines[2:]))
        self.assertLessEqual(len(lines), 2 + 168)

    def test_real_trace_refused(self):
        r = subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "profile",
                            os.path.join(HERE, "samples", "logon.csv"), "--desktop", "0",
                            "--node", "d1", "--week", "1", "--idle-after", "900"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), "gen.py: profile: the trace has no lab timetable to "
                         "draw earlier weeks from (only gen.py's generated traces have one)")



class ProcessStates(unittest.TestCase):
    """A job counts as stopped when every live process is: its zombies run nothing."""

    def test_zombie_beside_stopped_shell(self):
        self.assertTrue(bench.stopped(["T", "Z"]))
        self.assertTrue(bench.stopped(["t", "T"]))

    def test_one_running(self):
        self.assertFalse(bench.stopped(["T", "S"]))
        self.assertFalse(bench.stopped(["R"]))

    def test_nothing_live(self):
        self.assertFalse(bench.stopped(["Z"]))
        self.assertFalse(bench.stopped([]))


class Policy(unittest.TestCase):
    """--policy keeps idleacc.yaml's rule: resume_after at most idle_after."""

    def test_default_follows_down(self):
        self.assertEqual(bench.policy("idle_after=2m")["resume_after"], 120)

    def test_longer_refused(self):
        with self.assertRaises(SystemExit) as e:
            bench.policy("idle_after=15m,resume_after=20m")
        self.assertEqual(str(e.exception), "bench: --policy: resume_after 1200 s is longer "
                         "than idle_after 900 s, which idleaccd refuses (idleacc.yaml(5))")

if __name__ == "__main__":
    unittest.main()
