#!/usr/bin/python3
"""How well `simdml history check` finds steps, on series made from this machine's own noise.

    research/changepoint_quality.py --record RUN.json [RUN.json ...] [--every-repetition] --out tests/baselines/benchmark_noise.json
    research/changepoint_quality.py [--noise tests/baselines/benchmark_noise.json] [--series 1000]

--record: from Google Benchmark JSON files of the same benchmarks run several times (each with
repetitions), the run-to-run residuals of every benchmark in log space (each run's median of its
clean repetitions, minus that benchmark's mean over the runs): the noise a history series carries.
Without --record: series drawn from those residuals (each series from one benchmark's residuals,
the benchmark chosen at random; bootstrap, fixed seeds), and, beside them, series of normal noise
at set spreads; the rates change_points() reaches on each:
  - detection: a step of 2, 5, 10 or 20 % with 5 runs on each side, found at the right run
    (within one) with the right sign;
  - false alarms: noise-only series of 30 runs with any change point, per 1,000 series (measured
    over ten times as many series as the detection, since alarms are rare).
"""

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))  # the simdml_run package
from simdml_run import changepoint, clean_figures  # noqa: E402

DEFAULT_NOISE = Path(__file__).resolve().parent.parent / "tests" / "baselines" / "benchmark_noise.json"
STEPS = (2, 5, 10, 20)


def record(files, every_repetition=False):
    """Each run's figure per benchmark as the history sees it: the fastest clean repetition, a run
    whose figure lacks clean ones left out (clean_figures); every_repetition: the median of all of
    them, as before repetitions were flagged."""
    medians = defaultdict(list)
    for path in files:
        for name, entries in clean_figures.repetitions(json.loads(Path(path).read_text())).items():
            figure = clean_figures.summarize(entries)
            if every_repetition:
                medians[name].append(statistics.median(float(e["real_time"]) for e in entries))
            elif not figure["disturbed"]:
                medians[name].append(min(float(e["real_time"]) for e in entries if not clean_figures.is_disturbed(e)))
    residuals, spread = {}, {}
    for name, values in sorted(medians.items()):
        if len(values) < 3:
            continue
        logs = [math.log(v) for v in values]
        mean = statistics.fmean(logs)
        residuals[name] = [x - mean for x in logs]
        spread[name] = statistics.stdev(logs)
    return residuals, spread


def found_step(y, at):
    return any(abs(c["at"] - at) <= 1 and c["change_percent"] > 0 for c in changepoint.change_points(y))


def rates(draw, series, seed=1, noise_series=None):
    """Detection per step size (series each) and false alarms per 1,000 (noise_series, default 10
    times series: alarms are rare), for noise from draw(rng, n) (log space)."""
    rng = np.random.default_rng(seed)
    out = {"detection_percent": {}, "false_alarms_per_1000": None}
    for step in STEPS:
        shift = np.r_[np.zeros(5), np.full(5, math.log1p(step / 100))]
        hits = sum(found_step(np.exp(draw(rng, 10) + shift), 5) for _ in range(series))
        out["detection_percent"][f"{step}%"] = 100.0 * hits / series
    noise_series = noise_series or 10 * series
    alarms = sum(bool(changepoint.change_points(np.exp(draw(rng, 30)))) for _ in range(noise_series))
    out["false_alarms_per_1000"] = 1000.0 * alarms / noise_series
    return out


def machine_noise(residuals):
    """Noise from one benchmark's run-to-run residuals, the benchmark drawn at random per series:
    a smoothed bootstrap (each draw plus normal noise of width 0.5 sd m^-1/5, m the residuals), so
    that 30 draws from a dozen measured values do not repeat exact values."""
    pools = [np.asarray(v) for v in residuals.values()]
    widths = [0.5 * p.std() * len(p) ** -0.2 for p in pools]

    def draw(rng, n):
        i = rng.integers(len(pools))
        return rng.choice(pools[i], n) + rng.normal(0.0, widths[i], n)
    return draw


def normal_noise(spread):
    return lambda rng, n: rng.normal(0.0, spread, n)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--record", nargs="+", type=Path, help="Google Benchmark JSON files of repeated runs")
    p.add_argument("--out", type=Path, default=DEFAULT_NOISE)
    p.add_argument("--about", default="", help="the machine, date and command, stored with the noise")
    p.add_argument("--every-repetition", action="store_true",
                   help="medians over every repetition, disturbed ones too (the rule before they were flagged)")
    p.add_argument("--noise", type=Path, default=DEFAULT_NOISE)
    p.add_argument("--series", type=int, default=1000)
    args = p.parse_args(argv)
    if args.record:
        residuals, spread = record(args.record, args.every_repetition)
        args.out.write_text(json.dumps({"about": args.about, "runs": len(args.record),
                                        "spread_of_log_medians": spread, "residuals": residuals}, indent=1) + "\n")
        print(f"wrote {len(residuals)} residuals of {len(spread)} benchmarks to {args.out}; median spread "
              f"{100 * statistics.median(spread.values()):.2f} %")
        return 0
    noise = json.loads(args.noise.read_text())
    spreads = sorted(noise["spread_of_log_medians"].values())
    result = {"noise": noise["about"], "median_spread_percent": 100 * statistics.median(spreads),
              "this machine": rates(machine_noise(noise["residuals"]), args.series)}
    for spread in (0.005, 0.01, 0.02):
        result[f"normal, {100 * spread:g} % spread"] = rates(normal_noise(spread), args.series)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
