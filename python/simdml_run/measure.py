"""Runs a benchmark program and measures again what interference spoilt, within a time budget.

    python3 -m simdml_run.measure --out gemm_bench.json --budget 120 -- build/bench/gemm_bench \\
        --benchmark_filter=... --benchmark_repetitions=3 ...

Each repetition says whether other processes or the hypervisor took a core it needed
(bench/bench_main.hpp). After the program's run, the benchmarks with too few clean repetitions
(clean_figures.py), and the limits some clean figure exceeds (limits.py), run again with the same
options, only those, until all are clean, the budget is spent, or two rounds in a row clean
nothing. Every repetition is kept, disturbed ones too, and the context records what was measured
again ("simdml_remeasured"). Google Benchmark's aggregates of a benchmark measured again are
dropped: they would mix rounds; the tables compute medians from the repetitions.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import clean_figures, limits
from .output_file import write_output

MAX_ROUNDS = 4
_ERE_SPECIAL = set(".[]{}()\\*+?^$|")


def exact_filter(names):
    """A Google Benchmark filter (POSIX extended regex) matching exactly these names."""
    escape = lambda n: "".join("\\" + c if c in _ERE_SPECIAL else c for c in n)
    return "^(" + "|".join(escape(n) for n in names) + ")(/real_time)?$"


def run_program(argv, out):
    """Runs the benchmark program with its output in `out`; its console lines pass through."""
    command = [a for a in argv if not a.startswith(("--benchmark_out=", "--benchmark_out_format="))]
    command += [f"--benchmark_out={out}", "--benchmark_out_format=json"]
    status = subprocess.run(command).returncode
    if status != 0:
        sys.exit(f"measure: {Path(argv[0]).name} failed with exit status {status}")
    return json.loads(Path(out).read_text())


def to_measure_again(data):
    reps = clean_figures.repetitions(data)
    figures = {n: clean_figures.summarize(e) for n, e in reps.items()}
    return sorted({n for n, f in figures.items() if f["disturbed"]} | set(limits.over_limit(reps, figures)))


def merge(data, again, round_number):
    """Appends another round's repetitions to the first run's document."""
    names = {clean_figures.name_of(e) for e in again["benchmarks"]}
    kept = [e for e in data["benchmarks"]
            if not (e.get("run_type") == "aggregate" and clean_figures.name_of(e) in names)]
    for e in again["benchmarks"]:
        if e.get("run_type", "iteration") == "iteration":
            kept.append({**e, "remeasure_round": round_number})
    data["benchmarks"] = kept


def measure(argv, budget):
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        data = run_program(argv, Path(folder) / "run.json")
        rounds, idle_rounds, remeasured = 0, 0, set()
        pending = to_measure_again(data)
        while pending and rounds < MAX_ROUNDS and idle_rounds < 2:
            round_start = time.monotonic()
            spent = round_start - start
            # No round starts once the budget is spent, nor (below) after one that took longer
            # than what was left of it.
            if spent >= budget:
                break
            rounds += 1
            args = [a for a in argv if not a.startswith("--benchmark_filter=")]
            print(f"measure: round {rounds}: {len(pending)} benchmark(s) again "
                  f"({spent:.0f} of {budget:.0f} s spent)", flush=True)
            again = run_program(args + [f"--benchmark_filter={exact_filter(pending)}"],
                                Path(folder) / f"round{rounds}.json")
            merge(data, again, rounds)
            remeasured.update(pending)
            still = to_measure_again(data)
            idle_rounds = idle_rounds + 1 if len(still) >= len(pending) else 0
            pending = still
            if time.monotonic() - round_start > budget - (time.monotonic() - start):
                break
    data.setdefault("context", {})["simdml_remeasured"] = {
        "rounds": rounds, "budget_seconds": budget, "seconds": round(time.monotonic() - start, 1),
        "measured_again": sorted(remeasured), "still_disturbed": pending}
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the Google Benchmark JSON to write")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds the whole measurement may take before no further round starts")
    parser.add_argument("program", nargs=argparse.REMAINDER, help="-- PROGRAM [ARGS...]")
    args = parser.parse_args()
    argv = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not argv:
        parser.error("no benchmark program given (after --)")
    if not args.budget >= 0:
        parser.error("--budget must be a number of seconds, 0 or more")
    data = measure(argv, args.budget)
    reps = clean_figures.repetitions(data)
    disturbed, total, worst, _ = clean_figures.disturbed_share([reps])
    still = data["context"]["simdml_remeasured"]["still_disturbed"]
    write_output(args.out, json.dumps(data, indent=1) + "\n")
    print(f"measured: {disturbed} of {total} repetitions disturbed (worst {worst:.2f} cores taken), "
          f"{len(data['context']['simdml_remeasured']['measured_again'])} benchmark(s) measured again, "
          f"{len(still)} still without enough clean repetitions; wrote {args.out}")


if __name__ == "__main__":
    main()
