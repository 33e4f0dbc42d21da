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
the database as it was, and two writers take turns (each waits up to 60 s for the other). A new
database is built whole under a temporary name and linked into place only if the name is still
free, so a failed creation leaves nothing, and no file another writer made is ever deleted. The
reading commands open it with writes refused (PRAGMA query_only) and never create anything.

A run's time is ISO 8601 text as the results give it; one without an offset is UTC. Runs are
ordered by the instant it names, never by the text.
"""

import datetime
import hashlib
import json
import math
import os
import re
import sqlite3
import stat
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .units import TIME_UNITS

SCHEMA_VERSION = 2
APPLICATION_ID = 0x73646D6C  # "sdml"
RESULTS_FORMAT = "simdml-results"
RESULTS_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
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
    # Each repetition's interference (bench/bench_main.hpp): disturbed ones are kept, flagged,
    # and left out of change-point detection. Runs stored before have none: 0 and NULL.
    2: """
        ALTER TABLE samples ADD COLUMN disturbed INTEGER NOT NULL DEFAULT 0 CHECK (disturbed IN (0, 1));
        ALTER TABLE samples ADD COLUMN taken_cores REAL;
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
    interference: dict = field(default_factory=dict)  # series name -> [(disturbed, taken cores)]
    suites: dict = field(default_factory=dict)   # series name -> the suite that measured it
    exact: dict = field(default_factory=dict)    # series name -> (value text, unit)
    peaks: dict = field(default_factory=dict)    # (isa, threads) -> FLOP/s


# The largest plausible figures: more is a damaged or hand-made file, not a measurement.
MAX_SECONDS = 86400.0        # one repetition of one benchmark
MAX_THREADS = 65536
MAX_FLOPS = 1e18             # an FMA peak, FLOP/s


def _show(value):
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _require(ok, path, where, value, expected):
    if not ok:
        raise HistoryError(f"{path}: {where} is {_show(value)}; expected {expected}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value, path, where, low=0, high=None):
    """An integer in [low, high], as JSON wrote it (1e30 is a float, not a count)."""
    _require(_is_int(value) and value >= low and (high is None or value <= high), path, where, value,
             f"an integer from {low}" + (f" to {high}" if high is not None else " up"))
    return value


def _text(value, path, where):
    _require(isinstance(value, str) and value != "", path, where, value, "a non-empty string")
    return value


def _object(value, path, where):
    _require(isinstance(value, dict), path, where, value, "an object")
    return value


def _list(value, path, where):
    _require(isinstance(value, list), path, where, value, "a list")
    return value


def parse_instant(text):
    """The instant an ISO 8601 time names; without an offset it is UTC. ValueError if none."""
    when = datetime.datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.timezone.utc)


def fingerprint_of(machine, path="results.json"):
    fp = {"cpu": str(machine.get("cpu", "unknown")), "simd_target": str(machine.get("simd_target", "unknown")),
          "threads": 0, "compiler": str(machine.get("compiler", "unknown")),
          "build_type": str(machine.get("build_type", "Release"))}
    for name in ("cpu", "simd_target", "compiler", "build_type"):
        if name in machine:
            _text(machine[name], path, f"machine.{name}")
    if "threads" in machine:
        fp["threads"] = _count(machine["threads"], path, "machine.threads", 1, MAX_THREADS)
    fp["key"] = f"{fp['cpu']} | {fp['simd_target']} | {fp['threads']} threads | {fp['compiler']} | {fp['build_type']}"
    return fp


def _read_bytes(path, what):
    """A regular file's bytes: a FIFO named like a results file would block the reader forever."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise HistoryError(f"{path}: {what} is not a regular file")
        return path.read_bytes()
    except FileNotFoundError:
        raise HistoryError(f"{path.parent} is not a simdml results folder: it has no {path.name}") from None
    except OSError as e:
        raise HistoryError(f"{path}: cannot read {what}: {e.strerror}") from None


def _load_json(path, what, raw=None):
    raw = _read_bytes(path, what) if raw is None else raw
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HistoryError(f"{path}: {what} is truncated or corrupt ({e})") from None


def _seconds(entry, path, name):
    unit = entry.get("time_unit", "ns")
    _require(unit in TIME_UNITS, path, f"benchmark {name!r}: time_unit", unit, "one of " + ", ".join(TIME_UNITS))
    value = entry.get("real_time")
    ok = _is_number(value) and math.isfinite(value) and value > 0
    seconds = value * TIME_UNITS[unit] if ok else None
    _require(ok and seconds <= MAX_SECONDS, path, f"benchmark {name!r}: real_time", value,
             f"a number of {unit} above 0 and at most {MAX_SECONDS / TIME_UNITS[unit]:g} (a day)")
    return seconds


def _interference(entry, path, name):
    """(disturbed, taken cores or None) of one repetition; (False, None) where it was not observed."""
    disturbed, taken = entry.get("disturbed", 0), entry.get("taken_cores")
    _require(disturbed in (0, 1, 0.0, 1.0), path, f"benchmark {name!r}: disturbed", disturbed, "0 or 1")
    _require(taken is None or (_is_number(taken) and 0 <= taken <= MAX_THREADS), path,
             f"benchmark {name!r}: taken_cores", taken, "a number of cores, 0 or more")
    return bool(disturbed), taken


def _benchmark_samples(path):
    """Every repetition of every benchmark in one Google Benchmark JSON file: ({name: [seconds]},
    {name: [(disturbed, taken cores)]})."""
    data = _load_json(path, "benchmark output")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise HistoryError(f"{path}: not Google Benchmark JSON (no 'benchmarks' list)")
    samples, interference = {}, {}
    for i, entry in enumerate(data["benchmarks"]):
        _object(entry, path, f"benchmarks[{i}]")
        if entry.get("run_type") != "iteration" or "error_occurred" in entry:
            continue
        name = _text(entry.get("run_name", entry.get("name")), path, f"benchmarks[{i}].name")
        samples.setdefault(name, []).append(_seconds(entry, path, name))
        interference.setdefault(name, []).append(_interference(entry, path, name))
    return samples, interference


def _accuracy_series(runs, path):
    exact = {}
    for i, run in enumerate(_list(runs, path, "accuracy_gate")):
        where = f"accuracy_gate[{i}]"
        _object(run, path, where)
        name = (f"accuracy/{_text(run.get('run', '?'), path, where + '.run')}/"
                f"{_text(run.get('dataset', '?'), path, where + '.dataset')}")
        if "final_correct" in run:
            exact[f"{name}/final_correct"] = (str(_count(run["final_correct"], path, where + ".final_correct")),
                                             "samples")
        for e, correct in enumerate(_list(run.get("epoch_correct", []), path, where + ".epoch_correct"), 1):
            exact[f"{name}/epoch{e}_correct"] = (str(_count(correct, path, f"{where}.epoch_correct[{e - 1}]")),
                                                "samples")
        if "weights_crc32" in run:
            crc = run["weights_crc32"]
            _require(isinstance(crc, str) and re.fullmatch(r"[0-9a-f]{8}", crc) is not None, path,
                     where + ".weights_crc32", crc, "8 lower-case hex digits")
            exact[f"{name}/weights_crc32"] = (crc, "crc32")
        per_k = _object(run.get("correct_per_k", {}), path, where + ".correct_per_k")
        for k in per_k:
            _require(k.isdigit() and int(k) > 0, path, where + ".correct_per_k key", k, "a k from 1 up")
        for k, correct in sorted(per_k.items(), key=lambda kv: int(kv[0])):
            exact[f"{name}/k{k}_correct"] = (str(_count(correct, path, f"{where}.correct_per_k[{k}]")), "samples")
    return exact


def _instruction_series(path):
    exact = {}
    counts = _object(_load_json(path, "instruction counts"), path, "the file")
    for i, w in enumerate(_list(counts.get("workloads", []), path, "workloads")):
        _object(w, path, f"workloads[{i}]")
        if w.get("instructions") is not None:
            name = _text(w.get("name"), path, f"workloads[{i}].name")
            exact[f"instructions/{name}"] = (str(_count(w["instructions"], path, f"workloads[{i}].instructions")),
                                             "instructions")
    return exact


def _peaks(figures, path):
    peaks = {}
    for i, f in enumerate(_list(figures, path, "figures")):
        _object(f, path, f"figures[{i}]")
        m = PEAK_FIGURE.match(str(f.get("name", "")))
        if m:
            value = f.get("value")
            _require(_is_number(value) and math.isfinite(value) and 0 < value * 1e9 <= MAX_FLOPS, path,
                     f"figures[{i}] ({f['name']}).value", value, "a number of GFLOP/s above 0")
            peaks[(m.group(1), int(m.group(2)))] = float(value) * 1e9
    return peaks


def _run_time(results, path):
    """The time of the run: its benchmarks' date, else the report's; checked to name an instant."""
    context = _object(results.get("benchmark_context") or {}, path, "benchmark_context")
    for where, value in (("benchmark_context.date", context.get("date")), ("time", results.get("time"))):
        if value:
            _text(value, path, where)
            try:
                parse_instant(value)
            except ValueError:
                raise HistoryError(f"{path}: {where} is {_show(value)}; expected an ISO 8601 time") from None
            return value
    return ""


def read_results(folder):
    """Reads and checks a `simdml run` results folder; raises HistoryError naming the file, the
    field and what was expected for anything that is not a figure simdml could have measured."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HistoryError(f"{folder} is not a simdml results folder: not a directory")
    path = folder / "results.json"
    raw = _read_bytes(path, "results.json")
    results = _load_json(path, "results.json", raw)
    schema = str(results.get("schema", "")) if isinstance(results, dict) else ""
    name, _, version = schema.partition("/")
    if name != RESULTS_FORMAT or not version.isdigit():
        raise HistoryError(f"{path}: not a results.json of simdml run (schema {schema or 'missing'!r})")
    if int(version) > RESULTS_VERSION:
        raise HistoryError(f"{path}: results format {version} is newer than this simdml reads ({RESULTS_VERSION})")
    machine = results.get("machine")
    if not isinstance(machine, dict) or "git_commit" not in machine:
        raise HistoryError(f"{path}: results.json has no machine record with a git commit")
    run = Run(source=str(folder.resolve()), sha256=hashlib.sha256(raw).hexdigest(), machine=machine,
              fingerprint=fingerprint_of(machine, path), git_commit=_text(machine["git_commit"], path, "machine.git_commit"),
              time=_run_time(results, path))
    for suite in sorted(folder.glob("*_bench.json")):
        samples, interference = _benchmark_samples(suite)
        for series, values in samples.items():
            run.samples.setdefault(series, []).extend(values)
            run.interference.setdefault(series, []).extend(interference[series])
            run.suites[series] = suite.stem
    run.exact = _accuracy_series(results.get("accuracy_gate", []), path)
    if (folder / "instruction_counts.json").exists():
        run.exact.update(_instruction_series(folder / "instruction_counts.json"))
    run.peaks = _peaks(results.get("figures", []), path)
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


def database_files(path):
    """The database and the files SQLite keeps beside it (under the name given and the resolved
    one): an output written over any of them would destroy the history."""
    names = {str(path), os.path.realpath(path)}
    return [Path(f"{name}{suffix}") for name in sorted(names) for suffix in ("", "-wal", "-shm", "-journal")]


def _regular_file_stat(path):
    """The database file's status (links followed), or None when there is none yet. A folder, a
    device, a FIFO or a socket is refused: SQLite would block on a FIFO, or leave a -journal file
    beside a device."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise HistoryError(f"{path}: cannot examine the history database ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise HistoryError(f"{path}: is a directory, not a history database")
    if not stat.S_ISREG(st.st_mode):
        raise HistoryError(f"{path}: is not a regular file (a history database is an SQLite file)")
    return st


def _open(path, read_only):
    """An SQLite connection to a file that must be simdml's history, and its schema version."""
    if not _is_sqlite(path):
        raise HistoryError(f"{path}: not a simdml history database (not an SQLite file)")
    try:
        return _connect(path, read_only)
    except sqlite3.DatabaseError as e:
        raise HistoryError(f"{path}: not a usable SQLite database ({e})") from None


def _connect(path, read_only):
    if read_only and not os.access(path, os.W_OK):  # SQLite may still need to read a -wal file
        uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=60.0, isolation_level=None)
    else:
        db = sqlite3.connect(str(path), timeout=60.0, isolation_level=None)
    db.execute("PRAGMA query_only = ON" if read_only else "PRAGMA foreign_keys = ON")
    # One read transaction: read one by one, the three could straddle another process's
    # creation of the schema (no application id yet, but its tables already there).
    db.execute("BEGIN")
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    db.execute("COMMIT")
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables > 0):
        db.close()
        raise HistoryError(f"{path}: not a simdml history database (an SQLite file of another program)")
    if version > SCHEMA_VERSION:
        db.close()
        raise HistoryError(f"{path}: history schema version {version} is newer than this simdml reads ({SCHEMA_VERSION})")
    # Every page read once, so that damage anywhere is refused by every command, not only by those
    # that happen to read the damaged page (0.28 s for 1,000 runs of 700 series: docs/experiments.md#e75).
    damage = db.execute("PRAGMA quick_check(1)").fetchone()[0]
    if damage != "ok":
        db.close()
        raise HistoryError(f"{path}: the history database is damaged ({damage}); it was left as it is")
    return db, version


def open_readonly(path):
    """The database for the reading commands, with writes refused (PRAGMA query_only): None when it
    holds no history yet (an empty file, or an SQLite file without tables). Creates nothing."""
    st = _regular_file_stat(path)
    if st is None:
        raise HistoryError(f"{path}: no such history database")
    if st.st_size == 0:
        return None
    db, version = _open(path, read_only=True)
    if version == 0:  # an SQLite file with no schema yet
        db.close()
        return None
    return db  # an older schema reads too: runs from before interference count as clean


def clean_samples(db):
    """The SQL condition on samples x that keeps clean repetitions (every one, in a schema from
    before they were flagged)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(samples)")}
    return "x.disturbed = 0" if "disturbed" in columns else "1"


def open_for_writing(path):
    """The database for `add`, created when there is none, its schema made current."""
    st = _regular_file_stat(path)
    if st is None:
        _create(path)
    db, version = _open(path, read_only=False)
    if version < SCHEMA_VERSION:  # an empty file made by hand: its schema, in one transaction
        try:
            _migrate(db, version)
        except sqlite3.DatabaseError as e:
            db.close()
            raise HistoryError(f"{path}: cannot create or upgrade the history database ({e})") from None
    return db


def _create(path):
    """A new database, built whole under a temporary name and hard-linked to `path` only while that
    name is free: another writer's database is never replaced, and a failure leaves nothing."""
    target = Path(os.path.realpath(path))  # through a dangling link, the file it names
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.new-", dir=target.parent)
    except OSError as e:
        raise HistoryError(f"{path}: cannot create the history database in {target.parent} ({e.strerror})") from None
    os.close(fd)
    try:
        db = sqlite3.connect(temp, isolation_level=None)
        try:
            _migrate(db, 0)
        finally:
            db.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp's 0600 would hide the history from the group
        try:
            os.link(temp, target)
        except FileExistsError:
            pass  # another writer created it first: theirs is used
    except (sqlite3.DatabaseError, OSError) as e:
        raise HistoryError(f"{path}: cannot create the history database ({e})") from None
    finally:
        for leftover in (temp, f"{temp}-wal", f"{temp}-shm", f"{temp}-journal"):
            Path(leftover).unlink(missing_ok=True)


def runs_in_order(db, fingerprint=None):
    """(id, commit, time, machine key) of every run, or of one machine's, oldest first by the
    instant each names, then by id."""
    rows = db.execute("SELECT r.id, r.git_commit, r.time, f.key FROM runs r JOIN fingerprints f ON f.id = r.fingerprint_id"
                      + (" WHERE f.key = ?" if fingerprint else ""), (fingerprint,) if fingerprint else ()).fetchall()

    def instant(row):
        try:
            return parse_instant(row[2]), row[0]
        except ValueError:
            raise HistoryError(f"run {row[0]} has the time {row[2]!r}, which is not an ISO 8601 time") from None
    return sorted(rows, key=instant)


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
        flags = lambda n, i: run.interference[n][i] if n in run.interference else (False, None)
        db.executemany("INSERT INTO samples (run_id, series_id, repetition, value, disturbed, taken_cores) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       [(run_id, ids[n], i, v, int(flags(n, i)[0]), flags(n, i)[1])
                        for n, values in run.samples.items() for i, v in enumerate(values)])
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
