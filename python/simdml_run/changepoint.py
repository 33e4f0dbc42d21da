"""Change points in a benchmark series, for `simdml history check` and its report.

The method: binary segmentation with a max-t statistic, calibrated by simulation.

- A run's value is the median of its repetitions, in log space, so a step is a ratio (a kernel 5 %
  slower adds log 1.05 whatever its scale) and one bad repetition moves nothing.
- For every split of the series into a left part and a right part of at least `min_size` runs, the
  two-sample t statistic with the pooled within-part deviation; the largest of them, T, is the
  evidence that the series has a step, and its split is where.
- T's distribution when the series has no step depends on the number of runs alone (the statistic
  is free of scale), so its 1 - alpha quantile is simulated once per length, with a fixed seed,
  and cached: the false-alarm rate is alpha per series by construction. A permutation test would
  do the same without the normal model, but with 10 runs it cannot reach alpha = 0.0002 (10 runs
  split 5 + 5 have only 252 arrangements).
- The split also needs a rank check: the Mann-Whitney U test between its two parts, p <= 0.05.
  Ranks do not care how far an outlier lies, so a heavy-tailed series (a run that met a busy
  neighbour) cannot pass on t alone; and at the chosen split even a 2-run tail can pass it.
- A significant split cuts the series, and each part is searched again.

Why not E-Divisive means (Hunter's) or a penalised step fit (asv's): both need a permutation test
or a penalty tuned per noise level to control false alarms; max-t's threshold is exact for normal
noise at any level, and the series here are short (tens of runs) and normal in log space once each
run is the median of its repetitions. docs/design.md, "Regression history", has the measured rates.
"""

import functools
import math

import numpy as np
from scipy import stats

ALPHA = 0.0002     # max-t's false alarms per step-free series under normal noise
RANK_ALPHA = 0.05  # the rank check at the chosen split
SIMULATIONS = 40_000


@functools.lru_cache(maxsize=None)
def null_statistics(n, min_size):
    """The largest split statistic of SIMULATIONS series of n normal values without a step, sorted."""
    rng = np.random.default_rng(20261201 + 1000 * n + min_size)
    rows = max(1, min(SIMULATIONS, 2_000_000 // n))  # in chunks of at most 16 MB of noise
    chunks = [max_t(rng.standard_normal((min(rows, SIMULATIONS - i), n)), min_size)[0]
              for i in range(0, SIMULATIONS, rows)]
    return np.sort(np.concatenate(chunks))


def null_threshold(n, min_size, alpha=ALPHA):
    """The 1 - alpha quantile of the statistic when the series has no step."""
    return float(np.quantile(null_statistics(n, min_size), 1.0 - alpha))


def max_t(y, min_size):
    """For each row of y: the largest two-sample t over splits and the split (first index of the
    right part). Rows are runs in order; every split leaves min_size runs or more on each side."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    n = y.shape[1]
    splits = np.arange(min_size, n - min_size + 1)
    if splits.size == 0:
        return np.zeros(y.shape[0]), np.full(y.shape[0], -1)
    c1 = np.cumsum(y, axis=1)
    c2 = np.cumsum(y * y, axis=1)
    left_n, right_n = splits.astype(float), (n - splits).astype(float)
    left_sum, left_sq = c1[:, splits - 1], c2[:, splits - 1]
    right_sum, right_sq = c1[:, -1:] - left_sum, c2[:, -1:] - left_sq
    left_mean, right_mean = left_sum / left_n, right_sum / right_n
    within = (left_sq - left_n * left_mean ** 2) + (right_sq - right_n * right_mean ** 2)
    pooled = np.sqrt(np.maximum(within, 0.0) / (n - 2))
    scale = np.maximum(pooled, 1e-12 * np.maximum(np.abs(left_mean), 1.0)) * np.sqrt(1 / left_n + 1 / right_n)
    t = np.abs(right_mean - left_mean) / scale
    best = np.argmax(t, axis=1)
    return t[np.arange(y.shape[0]), best], splits[best]


def simulated_p(t, n, min_size):
    """The share of simulated step-free series whose statistic reaches t (at least 1 / SIMULATIONS)."""
    null = null_statistics(n, min_size)
    reached = null.size - int(np.searchsorted(null, t, side="left"))
    return max(reached, 1) / null.size


def step(log_values, at):
    """The change at index `at` (first run of the right part): its size in % and 95 % interval."""
    left, right = log_values[:at], log_values[at:]
    n = len(log_values)
    diff = float(np.mean(right) - np.mean(left))
    within = float(np.sum((left - np.mean(left)) ** 2) + np.sum((right - np.mean(right)) ** 2))
    se = math.sqrt(within / (n - 2)) * math.sqrt(1 / len(left) + 1 / len(right)) if n > 2 else float("nan")
    half = stats.t.ppf(0.975, n - 2) * se if n > 2 else float("nan")
    pct = lambda d: 100.0 * math.expm1(d)  # noqa: E731
    return pct(diff), pct(diff - half), pct(diff + half)


def change_points(run_medians, min_size=3, alpha=ALPHA):
    """Every significant step of one series (run medians in run order), left to right:
    dicts {at, change_percent, low_percent, high_percent, t, threshold, runs, p, rank_p}."""
    y = np.log(np.asarray(run_medians, dtype=float))
    found = []

    def search(lo, hi):
        n = hi - lo
        if n < 2 * min_size or n < 4:
            return
        t, at = max_t(y[lo:hi], min_size)
        threshold = null_threshold(n, min_size, alpha)
        if t[0] <= threshold:
            return
        split = lo + int(at[0])
        rank_p = float(stats.mannwhitneyu(y[lo:split], y[split:hi], alternative="two-sided").pvalue)
        if rank_p > RANK_ALPHA:
            return
        change, low, high = step(y[lo:hi], split - lo)
        found.append({"at": split, "change_percent": change, "low_percent": low, "high_percent": high,
                      "t": float(t[0]), "threshold": threshold, "runs": n, "rank_p": rank_p,
                      "p": simulated_p(float(t[0]), n, min_size)})
        search(lo, split)
        search(split, hi)

    search(0, len(y))
    return sorted(found, key=lambda c: c["at"])
