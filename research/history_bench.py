#!/usr/bin/python3
"""How fast `simdml history check` and `report` are on a large history (a benchmark, not a test).

    research/history_bench.py [--runs 1000] [--series 700] [--repetitions 3] [--keep DIR]

Generates a history database of RUNS runs of SERIES timed series each (normal noise, a 10 % step
in one series in every 50), then times, each on one core (taskset -c 0) as a separate process:
check with its default window (the newest 60 runs), check over the whole history, and report.
Prints the best of 3 runs of each, in seconds.
"""

import argparse
import datetime
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = Path(__file__).resolve().parent.parent / "python"  # the simdml_run package
sys.path.insert(0, str(PYTHON))
from simdml_run import history_db  # noqa: E402

HISTORY = ["-m", "simdml_run.history"]
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def generate(db_path, runs, series, repetitions):
    rng = random.Random(1)
    db = history_db.open_for_writing(db_path)
    base = [1e-4 * (1 + i % 17) for i in range(series)]
    for r in range(runs):
        run = history_db.Run(source=f"generated/{r}", sha256=f"{r:064x}", machine={},
                             fingerprint=history_db.fingerprint_of({"cpu": "Generated CPU", "simd_target": "avx2",
                                                                    "threads": 2, "compiler": "GCC 12.2.0"}),
                             git_commit=f"commit{r:04d}", time=(START + datetime.timedelta(minutes=r)).isoformat())
        for s in range(series):
            level = base[s] * (1.10 if s % 50 == 0 and r >= runs - 10 else 1.0)
            drift = math.exp(rng.gauss(0, 0.01))
            name = f"gemm/simd-avx2/{s}x{s}x{s}NN/threads:1/real_time"
            run.samples[name] = [level * drift * math.exp(rng.gauss(0, 0.003)) for _ in range(repetitions)]
            run.suites[name] = "gemm_bench"
        history_db.add_run(db, run)
    db.close()


def best_of(command, times=3):
    best = math.inf
    for _ in range(times):
        start = time.perf_counter()
        subprocess.run(["taskset", "-c", "0", *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, PYTHONPATH=str(PYTHON)))
        best = min(best, time.perf_counter() - start)
    return best


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--series", type=int, default=700)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--keep", type=Path, help="keep the generated database in this folder")
    args = p.parse_args(argv)
    folder = Path(tempfile.mkdtemp())
    db = folder / "history.db"
    start = time.perf_counter()
    generate(db, args.runs, args.series, args.repetitions)
    print(f"generated {args.runs} runs x {args.series} series x {args.repetitions} repetitions "
          f"in {time.perf_counter() - start:.1f} s ({db.stat().st_size / 2**20:.0f} MiB)")
    py = sys.executable
    figures = {
        "check (newest 60 runs)": best_of([py, *HISTORY, "check", "--db", str(db)]),
        f"check (all {args.runs} runs)": best_of([py, *HISTORY, "check", "--db", str(db),
                                                  "--window", str(args.runs)]),
        f"report (all {args.runs} runs)": best_of([py, *HISTORY, "report", "--db", str(db),
                                                   "--out", str(folder / "page")]),
    }
    for name, seconds in figures.items():
        print(f"{name:<28} {seconds:6.2f} s  (best of 3, one core)")
    if args.keep:
        shutil.copytree(folder, args.keep, dirs_exist_ok=True)
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
