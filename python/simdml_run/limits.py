"""The limits figures are set against, measured in the same run: the FMA peak (gemm_bench's
fma_peak/<isa>/threads:<t>) and the copy bandwidth (activation_bench's copy/<how>/<n>, the best of
memcpy, plain stores and non-temporal stores). Each is the best of its clean repetitions
(clean_figures.best). A figure above its limit is never printed as a share: it is flagged with both
values, and simdml run measures the limit again first (measure.py).
"""
from . import clean_figures

ISA_ORDER = ["sse2", "avx2", "avx512"]
# The copy bounds a streaming kernel only from memory: at n = 1e5 both sit in L2, where Eigen's
# relu read 98.6 GB/s against the best copy's 98.4 (docs/experiments.md#e76).
MEMORY_BOUND_N = 10_000_000


def best_isa(reps):
    isas = {n.split("/")[1] for n in reps if n.startswith("fma_peak/")}
    return max(isas, key=ISA_ORDER.index) if isas else None


def fma_peak(reps, isa, threads):
    """Best clean FLOP/s of fma_peak/<isa>/<threads> ("threads:2"), or None."""
    entries = reps.get(f"fma_peak/{isa}/{threads}")
    return clean_figures.best(entries, "FLOP/s") if entries else None


def copy_bandwidth(reps, n):
    """Best clean bytes/s of every copy/<how>/<n>, or None; a limit only from MEMORY_BOUND_N."""
    values = [clean_figures.best(e, "bytes_per_second") for name, e in reps.items()
              if name.startswith("copy/") and name.endswith(f"/{n}")]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def share(figure, value, limit, digits=0):
    """The "% of limit" cell: "-" for a disturbed figure or a missing limit, the share otherwise;
    above 100 %, both values, flagged."""
    if figure.get("disturbed") or limit is None or value is None:
        return "-"
    if value > limit:
        return f"over the limit: {value / 1e9:.1f} > {limit / 1e9:.1f} ‡"
    return f"{100 * value / limit:.{digits}f} %"


def over_limit(reps, figures):
    """Names of the limit benchmarks to measure again: those some clean figure exceeds."""
    again = set()
    isa = best_isa(reps)
    for name, f in figures.items():
        if f.get("disturbed"):
            continue
        if name.startswith("gemm/") and isa:
            threads = name.split("/")[-1]
            peak = fma_peak(reps, isa, threads)
            if peak is None or f.get("FLOP/s", 0) > peak:
                again.add(f"fma_peak/{isa}/{threads}")
        elif "bytes_per_second" in f and not name.startswith(("copy/", "underflow/")) and \
                int(name.split("/")[-1]) >= MEMORY_BOUND_N:
            n = name.split("/")[-1]
            limit = copy_bandwidth(reps, n)
            if limit is not None and f["bytes_per_second"] > limit:
                again.update(c for c in reps if c.startswith("copy/") and c.endswith(f"/{n}"))
    return sorted(again)
