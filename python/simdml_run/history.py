"""simdml history: keep every `simdml run` and say what changed (run as `simdml history ...`).

Its parser below is the one list of what each subcommand takes: `simdml history --help` prints
every subcommand's usage from it, `simdml history SUBCOMMAND --help` its options explained.

Exit status: 0 done, 1 a database or results folder that cannot be used (the message says why;
the database is left as it was) or, for check, a regression, 2 a usage error.
"""

import argparse
import json
import sqlite3
import statistics
import sys
from pathlib import Path

from . import changepoint, history_db, history_report
from .history_db import HistoryError
from .output_file import OutputError, check_writable, write_output


def command_add(args):
    run = history_db.read_results(args.results)
    db = history_db.open_for_writing(args.db)
    try:
        run_id, added = history_db.add_run(db, run)
    finally:
        db.close()
    what = "recorded" if added else "already recorded"
    print(f"{what}: run {run_id}, commit {run.git_commit}, {len(run.samples)} timed and "
          f"{len(run.exact)} exact series, machine {run.fingerprint['key']}")
    return 0


def reading(path):
    """The database opened for reading (HistoryError when it holds no run yet)."""
    db = history_db.open_readonly(path)
    if db is None:
        raise HistoryError("the history database holds no run")
    return db


def command_list(args):
    db = history_db.open_readonly(args.db)
    rows = []
    if db is not None:
        try:
            rows = sorted(history_db.runs_in_order(db), key=lambda row: row[3])  # stable: per machine, in time
        finally:
            db.close()
    current = None
    for run_id, commit, time, key in rows:
        if key != current:
            print(key)
            current = key
        print(f"  run {run_id:>5}  {time}  {commit}")
    if not rows:
        print("no runs recorded")
    return 0


def newest_run(db, fingerprint=None):
    runs = history_db.runs_in_order(db, fingerprint)
    if not runs:
        raise HistoryError("the history database holds no run" + (f" of {fingerprint}" if fingerprint else ""))
    return runs[-1]


def run_figures(db, run_id):
    """(name, median seconds, min, max) per timed series, over its clean repetitions where it has
    any, and (name, value, unit) per exact series."""
    timed, clean = {}, {}
    for name, value, ok in db.execute(f"SELECT s.name, x.value, {history_db.clean_samples(db)} FROM samples x "
                                      "JOIN series s ON s.id = x.series_id "
                                      "WHERE x.run_id = ? ORDER BY s.name, x.repetition", (run_id,)):
        timed.setdefault(name, []).append(value)
        if ok:
            clean.setdefault(name, []).append(value)
    timed = {n: clean.get(n, v) for n, v in timed.items()}
    exact = db.execute("SELECT s.name, e.value, s.unit FROM exact_values e JOIN series s ON s.id = e.series_id "
                       "WHERE e.run_id = ? ORDER BY s.name", (run_id,)).fetchall()
    return ([(n, statistics.median(v), min(v), max(v)) for n, v in timed.items()], exact)


def window_runs(db, fingerprint, window):
    return [row[:3] for row in history_db.runs_in_order(db, fingerprint)[-window:]]


def window_series(db, run_ids):
    """{series: {run id: [clean repetitions]}} for time series (a run whose repetitions were all
    disturbed is absent from its series), {series: {run id: value}} for exact ones."""
    marks = ",".join("?" * len(run_ids))
    timed, exact, suites = {}, {}, {}
    for name, suite in db.execute("SELECT name, suite FROM series"):
        suites[name] = suite
    for name, run_id, value in db.execute(
            f"SELECT s.name, x.run_id, x.value FROM samples x JOIN series s ON s.id = x.series_id "
            f"WHERE x.run_id IN ({marks}) AND {history_db.clean_samples(db)} ORDER BY x.run_id, x.repetition", run_ids):
        timed.setdefault(name, {}).setdefault(run_id, []).append(value)
    for name, run_id, value in db.execute(
            f"SELECT s.name, e.run_id, e.value FROM exact_values e JOIN series s ON s.id = e.series_id "
            f"WHERE e.run_id IN ({marks})", run_ids):
        exact.setdefault(name, {})[run_id] = value
    return timed, exact, suites


def timed_findings(name, per_run, runs, newest_id, min_size, threshold, min_effect):
    order = [r for r in runs if r[0] in per_run]
    if not order or order[-1][0] != newest_id:
        return []
    # Each run's fastest clean repetition: the noise a shared host adds only slows a repetition, so
    # the best is the steadiest figure of a run (9.7 % median spread of run medians on a 2-core
    # Zen 4, 3.5 % of run minima: docs/experiments.md#e78).
    best = [min(per_run[r[0]]) for r in order]
    found = []
    points = [c for c in changepoint.change_points(best, min_size=min_size)
              if abs(c["change_percent"]) >= min_effect]
    for i, c in enumerate(points):
        last = i == len(points) - 1
        found.append({"series": name, "kind": "time", "last_good": order[c["at"] - 1][1],
                      "first_bad": order[c["at"]][1], "first_bad_run": order[c["at"]][0],
                      "change_percent": c["change_percent"],
                      "interval_percent": [c["low_percent"], c["high_percent"]],
                      "evidence": f"max-t {c['t']:.2f} > {c['threshold']:.2f} for {c['runs']} runs, "
                                  f"p {'<' if c['p'] <= 1 / changepoint.SIMULATIONS else '='} {c['p']:.2g}; "
                                  f"Mann-Whitney U p = {c['rank_p']:.2g}",
                      "flagged": last and c["change_percent"] >= threshold})
    return found


def exact_findings(name, per_run, runs, newest_id):
    order = [r for r in runs if r[0] in per_run]
    found = []
    for before, after in zip(order, order[1:]):
        old, new = per_run[before[0]], per_run[after[0]]
        if old == new:
            continue
        change = None
        if old.isdigit() and new.isdigit() and int(old) != 0:
            change = 100.0 * (int(new) - int(old)) / int(old)
        found.append({"series": name, "kind": "exact", "last_good": before[1], "first_bad": after[1],
                      "change_percent": change, "from": old, "to": new,
                      "evidence": "exact series: any difference is a change",
                      "flagged": after[0] == newest_id})
    return found


def describe(f):
    size = "" if f["change_percent"] is None else f"{f['change_percent']:+.1f} %"
    if f["kind"] == "time":
        low, high = f["interval_percent"]
        size += f" [{low:+.1f}, {high:+.1f}]"
    else:
        size = f"{f['from']} -> {f['to']}" + (f" ({size})" if size else "")
    mark = "REGRESSION" if f["flagged"] else "change"
    return (f"{mark:<10} {f['series']}: {size}, last good {f['last_good']}, first bad {f['first_bad']}; "
            f"{f['evidence']}")


def at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer of at least {low} (got {text!r})")
        return value
    return parse


def parse_threshold(text):
    try:
        value = float(text.rstrip("%").strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threshold takes a percentage such as 5% (got {text!r})") from None
    if not 0 <= value < 1000:
        raise argparse.ArgumentTypeError(f"--threshold must be from 0 to 1000 % (got {text!r})")
    return value


def analyse(args):
    """The newest run's machine: its last --window runs, their series, peaks and change points."""
    db = reading(args.db)
    try:
        newest_id, _, _, key = newest_run(db, args.fingerprint)
        runs = window_runs(db, key, args.window)
        timed, exact, suites = window_series(db, [r[0] for r in runs])
        peaks = {}
        marks = ",".join("?" * len(runs))
        for run_id, isa, threads, flops in db.execute(
                f"SELECT run_id, isa, threads, flops_per_second FROM peaks WHERE run_id IN ({marks})",
                [r[0] for r in runs]):
            peaks.setdefault((isa, threads), {})[run_id] = flops
        target = db.execute("SELECT simd_target FROM fingerprints WHERE key = ?", (key,)).fetchone()[0]
    finally:
        db.close()
    findings = []
    for name in sorted(timed):
        findings += timed_findings(name, timed[name], runs, newest_id, args.min_runs, args.threshold,
                                   args.min_effect)
    for name in sorted(exact):
        findings += exact_findings(name, exact[name], runs, newest_id)
    for f in findings:
        f["suite"] = suites.get(f["series"], "")
    return key, runs, timed, exact, peaks, target, findings


def command_check(args):
    if args.json:
        check_writable(args.json, history_db.database_files(args.db))
    key, runs, timed, exact, _, _, findings = analyse(args)
    flagged = [f for f in findings if f["flagged"]]
    print(f"{key}: {len(timed)} timed and {len(exact)} exact series over the last {len(runs)} runs; "
          f"threshold {args.threshold:g} %")
    for f in findings:
        print("  " + describe(f))
    print(f"{len(findings)} change points; {len(flagged)} with the newest run on the slow side")
    suites = sorted({f["suite"] for f in flagged if f["kind"] == "time"})
    if suites:
        print(f"suites with a wall-clock regression: {','.join(suites)}")
    if args.json:
        write_output(args.json, json.dumps({"fingerprint": key, "runs": len(runs),
                                                "threshold_percent": args.threshold, "findings": findings},
                                          indent=1) + "\n", history_db.database_files(args.db))
    return 1 if flagged else 0


def command_report(args):
    protected = history_db.database_files(args.db)
    page_path = args.out / "index.html"
    made = make_folder(args.out)
    try:
        check_writable(page_path, protected)
        key, runs, timed, _, peaks, target, findings = analyse(args)
        write_output(page_path, history_report.page(key, runs, timed, findings, peaks, target), protected)
    except BaseException:
        remove_folders(args.out, made)
        raise
    print(f"wrote {page_path}: {len(timed)} series of {key}, {len(runs)} runs, "
          f"{len(findings)} change points")
    return 0


def make_folder(folder):
    """Creates folder and its missing parents; returns the topmost one it made (None if it existed),
    so that a report that fails leaves no empty folders behind."""
    if folder.exists():
        if not folder.is_dir():
            raise OutputError(f"cannot write into {folder}: it is not a folder")
        return None
    top = folder
    while not top.parent.exists():
        top = top.parent
    try:
        folder.mkdir(parents=True)
    except OSError as e:
        raise OutputError(f"cannot create the folder {folder}: {e.strerror}") from None
    return top


def remove_folders(folder, top):
    """Undoes make_folder: the folders from `folder` up to `top`, which it made, if still empty."""
    at = folder
    while top is not None:
        try:
            at.rmdir()
        except OSError:
            return
        if at == top:
            return
        at = at.parent


def export_bencher(timed, exact):
    """Bencher Metric Format: {benchmark: {measure: {value, lower_value, upper_value}}}."""
    out = {}
    for name, median, low, high in timed:
        out[name] = {"latency": {"value": median * 1e9, "lower_value": low * 1e9, "upper_value": high * 1e9}}
    for name, value, unit in exact:
        if value.isdigit():
            out.setdefault(name, {})[unit] = {"value": float(value)}
    return out


def export_github_action_benchmark(timed, exact):
    """github-action-benchmark's customSmallerIsBetter list: {name, unit, value, range, extra}."""
    rows = [{"name": name, "unit": "ns", "value": median * 1e9, "range": f"{low * 1e9:.6g}..{high * 1e9:.6g}"}
            for name, median, low, high in timed]
    rows += [{"name": name, "unit": unit, "value": float(value)} for name, value, unit in exact if value.isdigit()]
    return rows


def command_export(args):
    if args.out:
        check_writable(args.out, history_db.database_files(args.db))
    db = reading(args.db)
    try:
        run_id, commit, time, key = newest_run(db, args.fingerprint)
        timed, exact = run_figures(db, run_id)
    finally:
        db.close()
    convert = export_bencher if args.format == "bencher" else export_github_action_benchmark
    text = json.dumps(convert(timed, exact), indent=1, sort_keys=args.format == "bencher") + "\n"
    if args.out:
        write_output(args.out, text, history_db.database_files(args.db))
        print(f"wrote run {run_id} (commit {commit}, {key}) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


class Once(argparse.Action):
    """Stores an option's value and refuses it given twice, which argparse would let pass, keeping
    the last value without a word."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = namespace.__dict__.setdefault("given_options", set())
        if self.dest in given:
            parser.error(f"{option_string} is given twice")
        given.add(self.dest)
        setattr(namespace, self.dest, values)


def parser():
    p = argparse.ArgumentParser(prog="simdml history", formatter_class=argparse.RawDescriptionHelpFormatter,
                                description=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[2])
    sub = p.add_subparsers(dest="command", required=True)

    def subcommand(name, about):
        return sub.add_parser(name, help=about, description=about)
    add = subcommand("add", "record a results folder of simdml run")
    add.add_argument("results", type=Path, help="the folder simdml run wrote")
    listing = subcommand("list", "the runs recorded, per machine fingerprint")
    check = subcommand("check", "change points of the newest run's machine")
    report = subcommand("report", "the trend page: one HTML file with its charts")
    report.add_argument("--out", action=Once, required=True, type=Path,
                        help="the folder to write index.html into")
    check.add_argument("--json", action=Once, type=Path, help="write the findings here")
    for command, window in ((check, 60), (report, 1000)):
        command.add_argument("--fingerprint", action=Once,
                             help="the machine's key as list prints it (default: the newest run's)")
        command.add_argument("--threshold", action=Once, type=parse_threshold, default=5.0,
                             help="a slow-down this large at the newest run fails (default 5%%)")
        command.add_argument("--min-effect", action=Once, type=parse_threshold, default=1.0,
                             help="smaller wall-clock changes are not reported (default 1%%)")
        command.add_argument("--window", action=Once, type=at_least(4), default=window,
                             help=f"the newest runs examined (default {window})")
        command.add_argument("--min-runs", action=Once, type=at_least(1), default=3,
                             help="runs on each side of a change (default 3)")
    export = subcommand("export", "the newest run for Bencher or github-action-benchmark")
    export.add_argument("--format", action=Once, required=True, choices=["bencher", "github-action-benchmark"])
    export.add_argument("--fingerprint", action=Once,
                        help="the machine's runs to take the newest of (default: any)")
    export.add_argument("--out", action=Once, type=Path, help="write here (atomically) instead of standard output")
    for command in (add, listing, check, report, export):
        command.add_argument("--db", action=Once, required=True, type=Path, help="the history database (SQLite)")
    p.epilog = "subcommands:\n" + "".join(
        "  " + command.format_usage()[len("usage: "):] + f"      {command.description}\n"
        for command in (add, listing, check, report, export))
    return p


COMMANDS = {"add": command_add, "list": command_list, "check": command_check, "report": command_report,
            "export": command_export}


def main(argv):
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (HistoryError, OutputError) as e:
        print(f"simdml history {args.command}: error: {e}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as e:  # damage found only when a page is read
        print(f"simdml history {args.command}: error: {args.db}: the history database is damaged or "
              f"not of this schema ({e})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
