"""The history database behind `simdml history`: every `simdml run` results folder, kept in SQLite.

Why SQLite through Python's sqlite3: the history is a program over what `simdml run` writes (JSON),
beside report.py, and sqlite3 ships with every Python: nothing to build, and SQLite gives the
transactions, WAL and integrity checks the history needs.

Schema (version 1, PRAGMA user_version; PRAGMA application_id marks the file as simdml's):
  fingerprints  the machine a run measured: CPU model, SIMD target, threads, compiler, build type
  runs          one results folder: fingerprint, git commit, time, and the SHA-256 of its
                results.json (unique: the same folder is recognised, never stored twice)
  series        one measured quantity: its name, kind ('time': wall clock, repetitions vary;
                'exact': must repeat exactly - accuracy counts, weight CRCs, instruction counts),
                unit, and the suite or stage that measures it (gemm_bench, accuracy, instructions)
  samples       one repetition of one time series in one run (seconds)
  exact_values  the value of one exact series in one run (text, compared as written)
  peaks         the FMA peak measured in one run, per target and thread count (FLOP/s)
Every write is one transaction (BEGIN IMMEDIATE ... COMMIT) in WAL mode, so a killed writer leaves
the database as it was, and two writers take turns (each waits up to 60 s for the other).
"""

import datetime
import hashlib
import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1
APPLICATION_ID = 0x73646D6C  # "sdml"
RESULTS_FORMAT = "simdml-results"
RESULTS_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
PEAK_FIGURE = re.compile(r"^fma_peak/([a-z0-9]+)/threads:(\d+):GFLOP/s$")

# Seconds to wait between the last write and COMMIT: only the kill test sets it.
STALL_BEFORE_COMMIT = os.environ.get("SIMDML_HISTORY_STALL_BEFORE_COMMIT")

MIGRATIONS = {
    1: """
        CREATE TABLE fingerprints (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            cpu TEXT NOT NULL, simd_target TEXT NOT NULL, threads INTEGER NOT NULL,
            compiler TEXT NOT NULL, build_type TEXT NOT NULL);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            fingerprint_id INTEGER NOT NULL REFERENCES fingerprints(id),
            git_commit TEXT NOT NULL,
            time TEXT NOT NULL,
            results_sha256 TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            machine TEXT NOT NULL);
        CREATE INDEX runs_by_fingerprint ON runs(fingerprint_id, time, id);
        CREATE TABLE series (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('time', 'exact')),
            unit TEXT NOT NULL,
            suite TEXT NOT NULL);
        CREATE TABLE samples (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            series_id INTEGER NOT NULL REFERENCES series(id),
            repetition INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (run_id, series_id, repetition)) WITHOUT ROWID;
        CREATE TABLE peaks (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            isa TEXT NOT NULL,
            threads INTEGER NOT NULL,
            flops_per_second REAL NOT NULL,
            PRIMARY KEY (run_id, isa, threads)) WITHOUT ROWID;
        CREATE TABLE exact_values (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            series_id INTEGER NOT NULL REFERENCES series(id),
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, series_id)) WITHOUT ROWID;
    """,
}


class HistoryError(Exception):
    """A database or results folder that cannot be used; the message names it and says why."""


@dataclass
class Run:
    """One results folder, read and checked, ready to be stored."""
    source: str
    sha256: str
    machine: dict
    fingerprint: dict
    git_commit: str
    time: str
    samples: dict = field(default_factory=dict)  # series name -> [seconds per repetition]
    suites: dict = field(default_factory=dict)   # series name -> the suite that measured it
    exact: dict = field(default_factory=dict)    # series name -> (value text, unit)
    peaks: dict = field(default_factory=dict)    # (isa, threads) -> FLOP/s


def fingerprint_of(machine):
    fp = {"cpu": str(machine.get("cpu", "unknown")), "simd_target": str(machine.get("simd_target", "unknown")),
          "threads": int(machine.get("threads", 0)), "compiler": str(machine.get("compiler", "unknown")),
          "build_type": str(machine.get("build_type", "Release"))}
    fp["key"] = f"{fp['cpu']} | {fp['simd_target']} | {fp['threads']} threads | {fp['compiler']} | {fp['build_type']}"
    return fp


def _load_json(path, what):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise HistoryError(f"{path.parent} is not a simdml results folder: it has no {path.name}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HistoryError(f"{path}: {what} is truncated or corrupt ({e})") from None
    except OSError as e:
        raise HistoryError(f"{path}: cannot read {what}: {e.strerror}") from None


def _benchmark_samples(path):
    """Every repetition of every benchmark in one Google Benchmark JSON file, in seconds."""
    data = _load_json(path, "benchmark output")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise HistoryError(f"{path}: not Google Benchmark JSON (no 'benchmarks' list)")
    samples = {}
    for entry in data["benchmarks"]:
        if entry.get("run_type") != "iteration" or "error_occurred" in entry:
            continue
        try:
            seconds = float(entry["real_time"]) * TIME_UNITS[entry.get("time_unit", "ns")]
            name = str(entry.get("run_name", entry["name"]))
        except (KeyError, TypeError, ValueError):
            raise HistoryError(f"{path}: benchmark entry {entry.get('name', '?')!r} has no usable real_time") from None
        samples.setdefault(name, []).append(seconds)
    return samples


def _exact_series(results, folder):
    exact = {}
    for run in results.get("accuracy_gate", []):
        name = f"accuracy/{run.get('run', '?')}/{run.get('dataset', '?')}"
        if "final_correct" in run:
            exact[f"{name}/final_correct"] = (str(run["final_correct"]), "samples")
        for i, correct in enumerate(run.get("epoch_correct", []), 1):
            exact[f"{name}/epoch{i}_correct"] = (str(correct), "samples")
        if "weights_crc32" in run:
            exact[f"{name}/weights_crc32"] = (str(run["weights_crc32"]), "crc32")
        for k, correct in sorted(run.get("correct_per_k", {}).items(), key=lambda kv: int(kv[0])):
            exact[f"{name}/k{k}_correct"] = (str(correct), "samples")
    counts = folder / "instruction_counts.json"
    if counts.exists():
        for w in _load_json(counts, "instruction counts").get("workloads", []):
            if w.get("instructions") is not None:
                exact[f"instructions/{w['name']}"] = (str(int(w["instructions"])), "instructions")
    return exact


def read_results(folder):
    """Reads and checks a `simdml run` results folder; raises HistoryError naming what is wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HistoryError(f"{folder} is not a simdml results folder: not a directory")
    path = folder / "results.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise HistoryError(f"{folder} is not a simdml results folder: it has no results.json") from None
    results = _load_json(path, "results.json")
    schema = str(results.get("schema", "")) if isinstance(results, dict) else ""
    name, _, version = schema.partition("/")
    if name != RESULTS_FORMAT or not version.isdigit():
        raise HistoryError(f"{path}: not a results.json of simdml run (schema {schema or 'missing'!r})")
    if int(version) > RESULTS_VERSION:
        raise HistoryError(f"{path}: results format {version} is newer than this simdml reads ({RESULTS_VERSION})")
    machine = results.get("machine")
    if not isinstance(machine, dict) or "git_commit" not in machine:
        raise HistoryError(f"{path}: results.json has no machine record with a git commit")
    context = results.get("benchmark_context") or {}
    run = Run(source=str(folder.resolve()), sha256=hashlib.sha256(raw).hexdigest(), machine=machine,
              fingerprint=fingerprint_of(machine), git_commit=str(machine["git_commit"]),
              time=str(context.get("date") or results.get("time") or ""))
    for suite in sorted(folder.glob("*_bench.json")):
        for name, values in _benchmark_samples(suite).items():
            run.samples.setdefault(name, []).extend(values)
            run.suites[name] = suite.stem
    run.exact = _exact_series(results, folder)
    for f in results.get("figures", []):
        m = PEAK_FIGURE.match(str(f.get("name", "")))
        if m and isinstance(f.get("value"), (int, float)):
            run.peaks[(m.group(1), int(m.group(2)))] = float(f["value"]) * 1e9
    if not run.samples and not run.exact:
        raise HistoryError(f"{folder}: the results folder holds no benchmark, accuracy or instruction figures")
    if not run.time:  # a run without benchmarks: when its report was written
        run.time = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc).isoformat(
            timespec="seconds")
    return run


def _is_sqlite(path):
    with open(path, "rb") as f:
        header = f.read(len(SQLITE_MAGIC))
    return header == SQLITE_MAGIC or header == b""


def connect(path, create=True):
    """Opens (or, with create, makes) a history database at its current schema version."""
    path = Path(path)
    existed = path.exists()
    if existed and path.is_dir():
        raise HistoryError(f"{path}: is a directory, not a history database")
    if existed and not _is_sqlite(path):
        raise HistoryError(f"{path}: not a simdml history database (not an SQLite file)")
    if not existed and not create:
        raise HistoryError(f"{path}: no such history database")
    try:
        db = sqlite3.connect(str(path), timeout=60.0, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        # One read transaction: read one by one, the three could straddle another process's
        # creation of the schema (no application id yet, but its tables already there).
        db.execute("BEGIN")
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        db.execute("COMMIT")
    except sqlite3.DatabaseError as e:
        if not existed:
            raise HistoryError(f"{path}: cannot create the history database ({e})") from None
        raise HistoryError(f"{path}: not a usable SQLite database ({e})") from None
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables > 0):
        db.close()
        raise HistoryError(f"{path}: not a simdml history database (an SQLite file of another program)")
    if version > SCHEMA_VERSION:
        db.close()
        raise HistoryError(f"{path}: history schema version {version} is newer than this simdml reads ({SCHEMA_VERSION})")
    if version < SCHEMA_VERSION:
        try:
            _migrate(db, version)
        except sqlite3.DatabaseError as e:
            db.close()
            if not existed:
                for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    leftover.unlink(missing_ok=True)
            raise HistoryError(f"{path}: cannot create or upgrade the history database ({e})") from None
    return db


def _migrate(db, version):
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != version:  # another writer migrated first
            db.execute("ROLLBACK")
            return
        for v in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[v].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {v}")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def integrity_ok(db):
    return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def add_run(db, run):
    """Stores one run in one transaction. Returns (run id, True) or, for a folder already stored
    (same results.json), (its id, False) with nothing written."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.DatabaseError as e:
        raise HistoryError(f"cannot write the history database ({e})") from None
    try:
        known = db.execute("SELECT id FROM runs WHERE results_sha256 = ?", (run.sha256,)).fetchone()
        if known:
            db.execute("ROLLBACK")
            return known[0], False
        fp = run.fingerprint
        db.execute("INSERT OR IGNORE INTO fingerprints (key, cpu, simd_target, threads, compiler, build_type) "
                   "VALUES (:key, :cpu, :simd_target, :threads, :compiler, :build_type)", fp)
        fp_id = db.execute("SELECT id FROM fingerprints WHERE key = ?", (fp["key"],)).fetchone()[0]
        run_id = db.execute("INSERT INTO runs (fingerprint_id, git_commit, time, results_sha256, source, machine) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (fp_id, run.git_commit, run.time, run.sha256, run.source,
                             json.dumps(run.machine, sort_keys=True))).lastrowid
        ids = _series_ids(db, [(n, "time", "s", run.suites[n]) for n in run.samples] +
                          [(n, "exact", unit, n.split("/", 1)[0]) for n, (_, unit) in run.exact.items()])
        db.executemany("INSERT INTO samples (run_id, series_id, repetition, value) VALUES (?, ?, ?, ?)",
                       [(run_id, ids[n], i, v) for n, values in run.samples.items() for i, v in enumerate(values)])
        db.executemany("INSERT INTO exact_values (run_id, series_id, value) VALUES (?, ?, ?)",
                       [(run_id, ids[n], value) for n, (value, _) in run.exact.items()])
        db.executemany("INSERT INTO peaks (run_id, isa, threads, flops_per_second) VALUES (?, ?, ?, ?)",
                       [(run_id, isa, threads, v) for (isa, threads), v in run.peaks.items()])
        if STALL_BEFORE_COMMIT:  # tests/history_test.py kills a writer here, with everything written
            time.sleep(float(STALL_BEFORE_COMMIT))
        db.execute("COMMIT")
        return run_id, True
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _series_ids(db, wanted):
    db.executemany("INSERT OR IGNORE INTO series (name, kind, unit, suite) VALUES (?, ?, ?, ?)", wanted)
    ids = {}
    for name, kind, _, _ in wanted:
        row = db.execute("SELECT id, kind FROM series WHERE name = ?", (name,)).fetchone()
        if row[1] != kind:
            raise HistoryError(f"series {name!r} is stored as {row[1]} but this run records it as {kind}")
        ids[name] = row[0]
    return ids
