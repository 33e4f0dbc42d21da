"""Benchmark figures from clean repetitions: what the report, the tables and the history divide and
compare.

Every repetition the benchmark programs time carries counters of what else the machine did
meanwhile (bench/bench_main.hpp): foreign_cores, steal_cores, taken_cores, own_utilization and
disturbed, 1 when other processes or the hypervisor took more than 0.15 of a core the benchmark
needed. A figure is the median of its clean repetitions; it is marked disturbed when fewer than
clean_needed() of them are clean, and then it is left out of ratios, shares of a limit and gates.
A limit (the FMA peak, the copy bandwidth) is the best of its clean repetitions: interference can
only lower it.
"""
import json
import statistics
from pathlib import Path

# Numbers every repetition has that are not measurements of the kernel.
_NOT_FIGURES = {"family_index", "per_family_instance_index", "repetitions", "repetition_index",
                "threads", "iterations"}
INTERFERENCE = ("foreign_cores", "steal_cores", "taken_cores", "own_utilization", "disturbed")


def is_disturbed(entry):
    return float(entry.get("disturbed", 0)) >= 0.5


def clean_needed(planned):
    """Clean repetitions a figure needs: all of one, two of more."""
    return 1 if planned <= 1 else 2


def name_of(entry):
    return entry.get("run_name", entry["name"]).replace("/real_time", "")


def repetitions(data):
    """{name without /real_time: [repetition entries]} of a Google Benchmark JSON document, in the
    order they ran; aggregates and errored runs are left out."""
    out = {}
    for entry in data.get("benchmarks", []):
        if entry.get("run_type", "iteration") != "iteration" or entry.get("error_occurred"):
            continue
        out.setdefault(name_of(entry), []).append(entry)
    return out


def summarize(entries):
    """One figure from a benchmark's repetitions: every number the median over the clean ones (all
    of them when none is clean), with repetitions, clean_repetitions and disturbed (bool) added."""
    clean = [e for e in entries if not is_disturbed(e)]
    planned = max(int(e.get("repetitions", 1)) for e in entries)
    used = clean or entries
    figure = dict(used[0])
    for key, value in used[0].items():
        if key in _NOT_FIGURES or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        values = [e[key] for e in used if isinstance(e.get(key), (int, float))]
        figure[key] = statistics.median(values)
    figure["repetitions"] = len(entries)
    figure["clean_repetitions"] = len(clean)
    figure["disturbed"] = len(clean) < min(clean_needed(planned), len(entries))
    figure["worst_taken_cores"] = max(float(e.get("taken_cores", 0)) for e in entries)
    figure["worst_foreign_cores"] = max(float(e.get("foreign_cores", 0)) for e in entries)
    return figure


def best(entries, key):
    """The highest `key` among clean repetitions (None when none is clean): a limit's value."""
    values = [e[key] for e in entries if not is_disturbed(e) and key in e]
    return max(values) if values else None


def load(path):
    """(context, {name: figure}, {name: [repetitions]}) of one Google Benchmark JSON file."""
    data = json.loads(Path(path).read_text())
    reps = repetitions(data)
    return data.get("context", {}), {n: summarize(e) for n, e in reps.items()}, reps


def disturbed_share(all_reps):
    """(disturbed repetitions, all repetitions, worst taken cores, worst foreign cores) over
    {name: [repetitions]} maps."""
    disturbed = total = 0
    worst_taken = worst_foreign = 0.0
    for reps in all_reps:
        for entries in reps.values():
            for e in entries:
                total += 1
                disturbed += is_disturbed(e)
                worst_taken = max(worst_taken, float(e.get("taken_cores", 0)))
                worst_foreign = max(worst_foreign, float(e.get("foreign_cores", 0)))
    return disturbed, total, worst_taken, worst_foreign
