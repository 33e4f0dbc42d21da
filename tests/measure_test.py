#!/usr/bin/python3
"""Interference, observed and measured around: the figures of clean repetitions
(simdml_run.clean_figures), the limits (limits.py), measuring again (measure.py), and a real
benchmark program that flags its repetitions while a busy loop holds a core and not otherwise.

    tests/measure_test.py [BENCH_FOLDER]     (the build's bench/, for the busy-loop test)
"""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
from simdml_run import clean_figures, interference, limits, measure  # noqa: E402

BENCH = Path(sys.argv.pop(1)) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else None


def rep(name, seconds, disturbed=0, planned=3, **counters):
    return {"name": name + "/real_time", "run_name": name + "/real_time", "run_type": "iteration",
            "repetitions": planned, "real_time": seconds * 1e9, "time_unit": "ns",
            "disturbed": disturbed, "taken_cores": 0.9 if disturbed else 0.0, **counters}


class CleanFigures(unittest.TestCase):
    def test_the_median_of_clean_repetitions_and_the_flag_when_too_few(self):
        f = clean_figures.summarize([rep("a", 1.0), rep("a", 9.0, 1), rep("a", 3.0)])
        self.assertEqual(f["real_time"], 2e9)
        self.assertEqual((f["clean_repetitions"], f["disturbed"]), (2, False))
        g = clean_figures.summarize([rep("a", 1.0), rep("a", 9.0, 1), rep("a", 3.0, 1)])
        self.assertTrue(g["disturbed"])
        self.assertEqual(g["real_time"], 1e9)  # still the clean one, flagged
        h = clean_figures.summarize([rep("a", 5.0, 1, planned=1)])
        self.assertTrue(h["disturbed"])
        self.assertEqual(h["worst_taken_cores"], 0.9)

    def test_a_limit_is_the_best_clean_repetition(self):
        reps = [rep("p", 1, 0, **{"FLOP/s": 100.0}), rep("p", 1, 0, **{"FLOP/s": 110.0}),
                rep("p", 1, 1, **{"FLOP/s": 200.0})]
        self.assertEqual(clean_figures.best(reps, "FLOP/s"), 110.0)
        self.assertIsNone(clean_figures.best(reps[2:], "FLOP/s"))


class Limits(unittest.TestCase):
    def test_shares_never_pass_100_percent_and_disturbed_figures_get_none(self):
        self.assertEqual(limits.share({}, 50e9, 100e9), "50 %")
        self.assertIn("over the limit: 120.0 > 100.0", limits.share({}, 120e9, 100e9))
        self.assertEqual(limits.share({"disturbed": True}, 50e9, 100e9), "-")
        self.assertEqual(limits.share({}, 50e9, None), "-")

    def test_a_figure_above_its_limit_asks_for_the_limit_again(self):
        reps = {"fma_peak/avx2/threads:2": [rep("fma_peak/avx2/threads:2", 1, **{"FLOP/s": 100e9})],
                "gemm/simd-avx2/64x64x64NN/threads:2": [rep("g", 1, **{"FLOP/s": 120e9})],
                "copy/stream/10000000": [rep("c", 1, **{"bytes_per_second": 10e9})],
                "exp/simd-avx2/10000000": [rep("e", 1, **{"bytes_per_second": 11e9})],
                # In cache a copy is no limit: nothing to measure again.
                "copy/stream/100000": [rep("c", 1, **{"bytes_per_second": 10e9})],
                "relu/simd-avx2/100000": [rep("r", 1, **{"bytes_per_second": 11e9})]}
        figures = {n: clean_figures.summarize(e) for n, e in reps.items()}
        self.assertEqual(limits.over_limit(reps, figures), ["copy/stream/10000000", "fma_peak/avx2/threads:2"])

    def test_the_copy_limit_is_the_best_way_of_copying(self):
        reps = {"copy/memory/10": [rep("m", 1, **{"bytes_per_second": 5.0})],
                "copy/nontemporal/10": [rep("n", 1, **{"bytes_per_second": 7.0})],
                "copy/stream/20": [rep("s", 1, **{"bytes_per_second": 9.0})]}
        self.assertEqual(limits.copy_bandwidth(reps, 10), 7.0)


# A stand-in benchmark program: its first run disturbs "slow/..." (as a busy loop would), any
# later run is clean; it counts its runs in a file beside its output.
FAKE = textwrap.dedent('''\
    import json, sys, pathlib
    out = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--benchmark_out="))
    runs = pathlib.Path(sys.argv[1])
    n = int(runs.read_text()) + 1 if runs.exists() else 1
    runs.write_text(str(n))
    filtered = any(a.startswith("--benchmark_filter=^(") for a in sys.argv)
    names = ["slow/x/threads:2"] + ([] if filtered else ["fast/x/threads:1"])
    bench = [{"name": b + "/real_time", "run_name": b + "/real_time", "run_type": "iteration",
              "repetitions": 3, "real_time": 1.0, "time_unit": "ns",
              "disturbed": int(n == 1 and b.startswith("slow") and r > 0)}
             for b in names for r in range(3)]
    bench.append({"name": "slow/x/threads:2_median", "run_name": "slow/x/threads:2/real_time",
                  "run_type": "aggregate", "aggregate_name": "median", "real_time": 1.0, "time_unit": "ns"})
    pathlib.Path(out).write_text(json.dumps({"context": {}, "benchmarks": bench}))
''')


class Measure(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        (self.tmp / "fake.py").write_text(FAKE)
        self.argv = [sys.executable, str(self.tmp / "fake.py"), str(self.tmp / "runs"), "--benchmark_filter=."]

    def test_disturbed_benchmarks_are_measured_again_and_every_repetition_kept(self):
        data = measure.measure(self.argv, budget=60)
        names = [clean_figures.name_of(e) for e in data["benchmarks"]]
        self.assertEqual(names.count("slow/x/threads:2"), 6)  # both rounds' repetitions
        self.assertFalse(any(e.get("run_type") == "aggregate" for e in data["benchmarks"]))  # they mixed rounds
        self.assertEqual(data["context"]["simdml_remeasured"]["measured_again"], ["slow/x/threads:2"])
        self.assertEqual(data["context"]["simdml_remeasured"]["still_disturbed"], [])
        self.assertEqual((self.tmp / "runs").read_text(), "2")

    def test_a_spent_budget_leaves_the_figure_marked(self):
        data = measure.measure(self.argv, budget=0)
        self.assertEqual(data["context"]["simdml_remeasured"]["still_disturbed"], ["slow/x/threads:2"])
        self.assertEqual((self.tmp / "runs").read_text(), "1")

    def test_the_filter_matches_names_exactly(self):
        self.assertEqual(measure.exact_filter(["a+b/x:1", "c.d"]), r"^(a\+b/x:1|c\.d)(/real_time)?$")


class PythonProbe(unittest.TestCase):
    """The probe the Python benchmarks (the PyTorch peer) use, with the C++ probe's rule."""

    def test_a_busy_process_is_seen_and_a_quiet_interval_is_not(self):
        cpus = len(os.sched_getaffinity(0))
        if cpus < 2 or cpus != os.cpu_count():
            self.skipTest("needs every online CPU, at least 2")
        loop = subprocess.Popen(["taskset", "-c", str(min(os.sched_getaffinity(0))), "sh", "-c",
                                 "while :; do :; done"])
        try:
            time.sleep(0.1)
            probe = interference.Probe()
            time.sleep(0.3)
            busy = probe.stop(cpus)
        finally:
            loop.kill()
            loop.wait()
        self.assertEqual(busy["disturbed"], 1, busy)
        self.assertGreater(busy["foreign_cores"], 0.5, busy)
        for attempt in range(3):
            probe = interference.Probe()
            time.sleep(0.3)
            quiet = probe.stop(1)
            if not quiet["disturbed"]:
                break
        self.assertEqual(quiet["disturbed"], 0, quiet)


@unittest.skipIf(BENCH is None, "no bench folder given")
class BusyCore(unittest.TestCase):
    """peak_bench on every core: a busy loop pinned to one of them takes a core every repetition
    needs; without it the repetitions are clean (tried three times: the host is shared)."""

    def run_peak(self):
        out = Path(tempfile.mkdtemp()) / "peak.json"
        env = dict(os.environ, SIMDML_BENCH_THREADS=str(len(os.sched_getaffinity(0))))
        # 0.2 s a repetition: a shorter one can read a half-taken core as the counters' rounding
        # (disturbed() asks for more taken CPU time than a tick per CPU).
        subprocess.run([str(BENCH / "peak_bench"), "--benchmark_filter=^fma_peak/sse2/",
                        "--benchmark_min_time=0.2", "--benchmark_repetitions=3", f"--benchmark_out={out}",
                        "--benchmark_out_format=json"], env=env, check=True, capture_output=True)
        reps = clean_figures.repetitions(json.loads(out.read_text()))
        threads = max(reps, key=lambda n: int(n.rsplit(":", 1)[1]))
        return reps[threads]

    def test_repetitions_are_flagged_with_a_busy_core_and_clean_without(self):
        core = min(os.sched_getaffinity(0))
        loop = subprocess.Popen(["taskset", "-c", str(core), "sh", "-c", "while :; do :; done"])
        try:
            time.sleep(0.2)
            busy = self.run_peak()
        finally:
            loop.kill()
            loop.wait()
        # The loop shares its core with one of ours (it takes 0.3 to 1 core a repetition; a
        # repetition the scheduler happened to spare may read less).
        self.assertGreaterEqual(sum(clean_figures.is_disturbed(e) for e in busy), 2, busy)
        for attempt in range(3):
            quiet = self.run_peak()
            if not any(clean_figures.is_disturbed(e) for e in quiet):
                break
        self.assertFalse(any(clean_figures.is_disturbed(e) for e in quiet), quiet)


if __name__ == "__main__":
    unittest.main()
