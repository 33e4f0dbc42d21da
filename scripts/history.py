#!/usr/bin/python3
"""simdml history: keep every `simdml run` and say what changed (run as `simdml history ...`).

    simdml history add --db FILE RESULTS_DIR      record a results folder (once; re-adding is recognised)
    simdml history list --db FILE                 the runs recorded, per machine fingerprint
    simdml history export --db FILE --format bencher|github-action-benchmark [--out FILE]
                                                  the newest run in Bencher's or github-action-benchmark's format

Exit status: 0 done, 1 a database or results folder that cannot be used (the message says why;
the database is left as it was), 2 a usage error.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import history_db  # noqa: E402
from history_db import HistoryError  # noqa: E402


def command_add(args):
    run = history_db.read_results(args.results)
    db = history_db.connect(args.db)
    try:
        run_id, added = history_db.add_run(db, run)
    finally:
        db.close()
    what = "recorded" if added else "already recorded"
    print(f"{what}: run {run_id}, commit {run.git_commit}, {len(run.samples)} timed and "
          f"{len(run.exact)} exact series, machine {run.fingerprint['key']}")
    return 0


def command_list(args):
    db = history_db.connect(args.db, create=False)
    try:
        rows = db.execute("SELECT f.key, r.id, r.git_commit, r.time FROM runs r "
                          "JOIN fingerprints f ON f.id = r.fingerprint_id ORDER BY f.key, r.time, r.id").fetchall()
    finally:
        db.close()
    current = None
    for key, run_id, commit, time in rows:
        if key != current:
            print(key)
            current = key
        print(f"  run {run_id:>5}  {time}  {commit}")
    if not rows:
        print("no runs recorded")
    return 0


def newest_run(db, fingerprint=None):
    query = ("SELECT r.id, r.git_commit, r.time, f.key FROM runs r JOIN fingerprints f ON f.id = r.fingerprint_id "
             + ("WHERE f.key = ? " if fingerprint else "") + "ORDER BY r.time DESC, r.id DESC LIMIT 1")
    row = db.execute(query, (fingerprint,) if fingerprint else ()).fetchone()
    if row is None:
        raise HistoryError("the history database holds no run" + (f" of {fingerprint}" if fingerprint else ""))
    return row


def run_figures(db, run_id):
    """(name, median seconds, min, max) per timed series, and (name, value, unit) per exact series."""
    timed = {}
    for name, value in db.execute("SELECT s.name, x.value FROM samples x JOIN series s ON s.id = x.series_id "
                                  "WHERE x.run_id = ? ORDER BY s.name, x.repetition", (run_id,)):
        timed.setdefault(name, []).append(value)
    exact = db.execute("SELECT s.name, e.value, s.unit FROM exact_values e JOIN series s ON s.id = e.series_id "
                       "WHERE e.run_id = ? ORDER BY s.name", (run_id,)).fetchall()
    return ([(n, statistics.median(v), min(v), max(v)) for n, v in timed.items()], exact)


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
    db = history_db.connect(args.db, create=False)
    try:
        run_id, commit, time, key = newest_run(db, args.fingerprint)
        timed, exact = run_figures(db, run_id)
    finally:
        db.close()
    convert = export_bencher if args.format == "bencher" else export_github_action_benchmark
    text = json.dumps(convert(timed, exact), indent=1, sort_keys=args.format == "bencher") + "\n"
    if args.out:
        tmp = Path(f"{args.out}.tmp")
        tmp.write_text(text)
        tmp.replace(args.out)
        print(f"wrote run {run_id} (commit {commit}, {key}) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def parser():
    p = argparse.ArgumentParser(prog="simdml history", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="record a results folder of simdml run")
    add.add_argument("results", type=Path, help="the folder simdml run wrote")
    listing = sub.add_parser("list", help="the runs recorded, per machine fingerprint")
    export = sub.add_parser("export", help="the newest run for Bencher or github-action-benchmark")
    export.add_argument("--format", required=True, choices=["bencher", "github-action-benchmark"])
    export.add_argument("--fingerprint", help="the machine's runs to take the newest of (default: any)")
    export.add_argument("--out", type=Path, help="write here (atomically) instead of standard output")
    for command in (add, listing, export):
        command.add_argument("--db", required=True, type=Path, help="the history database (SQLite)")
    return p


COMMANDS = {"add": command_add, "list": command_list, "export": command_export}


def main(argv):
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except HistoryError as e:
        print(f"simdml history {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
