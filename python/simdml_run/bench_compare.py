"""Compare two benchmark runs, benchmark by benchmark, and fail on a significant regression.

    python3 -m simdml_run.bench_compare BASE NEW [--threshold 5] [--alpha 0.05] [--filter REGEX] [--markdown FILE]

BASE and NEW are Google Benchmark JSON files, or results folders of `simdml run` (every
<suite>.json present in both is compared), or comma-separated lists of either: the repetitions of
all runs on a side are pooled. Alternating the two builds (base, new, base, new, ...) and pooling
spreads the machine's drift over both sides; two back-to-back runs of the same tree can differ by
10 % here. For each benchmark in both runs the table gives the
median real time of each run, its change, the change in the benchmark's rate counter (FLOP/s,
items/s, ...) and the two-sided Mann-Whitney U test over the repetitions. A benchmark regresses
when its median time grew by more than --threshold percent and the test is significant at
--alpha. The exit status is 1 when any benchmark regressed, else 0.

The test needs repetitions in both JSON files (--benchmark_repetitions=N; simdml run keeps every
repetition): with 3 each the smallest possible p is 0.1, so a gate wants 5 or more (p >= 0.008).
Wall-clock times are only comparable on the same idle machine: use this on dedicated benchmark
hosts; CI's noise-free gate is python3 -m simdml_run.icount_gate.
"""
import argparse
import json
import re
import statistics
import sys
from pathlib import Path

from scipy.stats import mannwhitneyu

from .output_file import write_output
from . import clean_figures
from .units import TIME_UNITS

# Per-benchmark fields that are not counters.
NOT_COUNTERS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
                "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
                "aggregate_name", "aggregate_unit", "error_occurred", "error_message", "label",
                "remeasure_round", *clean_figures.INTERFERENCE}


def load_samples(path):
    """{run_name: {"time": [seconds per repetition], "counters": {name: [values]}}}, of the clean
    repetitions only: one another process or the hypervisor slowed (clean_figures.is_disturbed)
    would be a regression that is not the code's."""
    runs = {}
    for b in json.loads(Path(path).read_text())["benchmarks"]:
        if b.get("run_type") == "aggregate" or b.get("error_occurred") or clean_figures.is_disturbed(b):
            continue
        run = runs.setdefault(b["run_name"], {"time": [], "counters": {}})
        run["time"].append(b["real_time"] * TIME_UNITS[b["time_unit"]])
        for key, value in b.items():
            if key not in NOT_COUNTERS and isinstance(value, (int, float)):
                run["counters"].setdefault(key, []).append(value)
    return runs


def suite_files(spec):
    """{suite file name: [paths]} for a comma-separated list of JSON files and results folders."""
    files = {}
    for item in spec.split(","):
        path = Path(item)
        if path.is_dir():
            for f in sorted(path.glob("*_bench.json")):
                files.setdefault(f.name, []).append(f)
        elif path.is_file():
            files.setdefault("(files)", []).append(path)
        else:
            sys.exit(f"bench_compare: {item} is neither a JSON file nor a results folder")
    return files


def pooled_samples(paths):
    runs = {}
    for path in paths:
        for name, run in load_samples(path).items():
            pool = runs.setdefault(name, {"time": [], "counters": {}})
            pool["time"] += run["time"]
            for counter, values in run["counters"].items():
                pool["counters"].setdefault(counter, []).extend(values)
    return runs


def paired_suites(base, new):
    """[(base samples, new samples)] per suite present on both sides."""
    a, b = suite_files(base), suite_files(new)
    common = [suite for suite in a if suite in b]
    if not common:
        sys.exit(f"bench_compare: no benchmark suite is on both sides ({', '.join(a)} / {', '.join(b)})")
    return [(pooled_samples(a[suite]), pooled_samples(b[suite])) for suite in common]


def rate_counter(counters):
    """The counter that says how fast: FLOP/s or OP/s, else items/s or bytes/s."""
    for name in ("FLOP/s", "OP/s", "items_per_second", "bytes_per_second"):
        if name in counters:
            return name
    return next(iter(counters), None)


def compare_run(name, base, new, threshold, alpha):
    t0, t1 = statistics.median(base["time"]), statistics.median(new["time"])
    change = 100.0 * (t1 - t0) / t0
    p = None
    if len(base["time"]) >= 2 and len(new["time"]) >= 2:
        # Identical samples on both sides leave the statistic no spread: nothing differs (p = 1).
        p = 1.0 if len(set(base["time"] + new["time"])) == 1 else \
            float(mannwhitneyu(base["time"], new["time"], alternative="two-sided").pvalue)
    counter = rate_counter({k: v for k, v in base["counters"].items() if k in new["counters"]})
    counter_change = None
    if counter:
        c0, c1 = statistics.median(base["counters"][counter]), statistics.median(new["counters"][counter])
        counter_change = 100.0 * (c1 - c0) / c0 if c0 else None
    significant = p is not None and p < alpha
    if change > threshold and significant:
        verdict = "REGRESSION"
    elif change < -threshold and significant:
        verdict = "faster"
    elif abs(change) > threshold:
        verdict = "not significant" if p is not None else "no repetitions to test"
    else:
        verdict = "same"
    return {"name": name, "base_seconds": t0, "new_seconds": t1, "time_change_percent": change,
            "counter": counter, "counter_change_percent": counter_change, "p_value": p,
            "repetitions": (len(base["time"]), len(new["time"])), "verdict": verdict}


def seconds_text(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def markdown(rows, threshold, alpha):
    lines = [f"| benchmark | base | new | time change | rate change | p (U test) | n | verdict (> {threshold:g} %, p < {alpha:g}) |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        rate = f"{r['counter_change_percent']:+.1f} % {r['counter']}" if r["counter_change_percent"] is not None else "-"
        p = f"{r['p_value']:.3f}" if r["p_value"] is not None else "-"
        lines.append(f"| {r['name']} | {seconds_text(r['base_seconds'])} | {seconds_text(r['new_seconds'])} | "
                     f"{r['time_change_percent']:+.1f} % | {rate} | {p} | {r['repetitions'][0]}/{r['repetitions'][1]} | "
                     f"{r['verdict']} |")
    return "\n".join(lines)


def compare(base, new, threshold=5.0, alpha=0.05, pattern="."):
    rows = []
    for a, b in paired_suites(str(base), str(new)):
        for name in a:
            if name in b and re.search(pattern, name):
                rows.append(compare_run(name, a[name], b[name], threshold, alpha))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="JSON file or results folder, or a comma-separated list of them")
    parser.add_argument("new", help="the same, for the run under test")
    parser.add_argument("--threshold", type=float, default=5.0, help="percent slower that counts (default 5)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument("--filter", default=".", help="only benchmarks whose name matches this regex")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    rows = compare(args.base, args.new, args.threshold, args.alpha, args.filter)
    if not rows:
        sys.exit("bench_compare: the two runs have no benchmark in common")
    table = markdown(rows, args.threshold, args.alpha)
    regressions = [r for r in rows if r["verdict"] == "REGRESSION"]
    summary = (f"{len(regressions)} of {len(rows)} benchmarks regressed" if regressions
               else f"no significant regression in {len(rows)} benchmarks")
    print(table + "\n\n" + summary)
    if args.markdown:
        write_output(args.markdown, table + "\n\n" + summary + "\n")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
