#!/usr/bin/python3
"""Every output option of every simdml command, pointed at what is not a plain new file: a
character device, a FIFO (with and without a reader), a symbolic link and a folder. Nothing may be
replaced that should be written into or refused, nothing may be left behind, and nothing may block.

    tests/outputs_test.py path/to/simdml
"""
import json
import os
import stat
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

SIMDML = None  # set from the command line
TIMEOUT = 120  # seconds: a FIFO that blocked a command forever fails here instead of hanging ctest


def iris_like(folder):
    """A CSV of 60 rows in 3 separable classes, as iris/iris.csv under a data root."""
    (folder / "iris").mkdir(parents=True)
    rows = ["a,b,c,d,label"] + [f"{(i % 3) * 3}.{i % 7},{(i % 3) * 2}.{i % 5},{i % 3 + 1}.{i % 3},0.{i % 9},{i % 3}"
                                 for i in range(60)]
    (folder / "iris" / "iris.csv").write_text("\n".join(rows) + "\n")


def results_folder(folder):
    """What `simdml history add` reads: results.json and one suite's benchmark JSON."""
    folder.mkdir()
    machine = {"cpu": "Test CPU", "simd_target": "avx2", "threads": 2, "compiler": "GCC", "build_type": "Release",
               "git_commit": "c0ffee"}
    (folder / "results.json").write_text(json.dumps({
        "schema": "simdml-results/1", "machine": machine, "benchmark_context": {"date": "2026-12-01T10:00:00+00:00"},
        "figures": []}))
    entries = [{"name": "gemm/x/real_time", "run_name": "gemm/x/real_time", "run_type": "iteration",
                "real_time": 1.0 + r / 100, "time_unit": "ms"} for r in range(3)]
    (folder / "gemm_bench.json").write_text(json.dumps({"benchmarks": entries}))
    return folder


def listing(folder):
    """Every path under folder, with its kind: what a command must leave as it found it."""
    out = []
    for root, dirs, files in os.walk(folder):
        for name in sorted(dirs + files):
            path = Path(root) / name
            mode = os.lstat(path).st_mode
            kind = "link" if stat.S_ISLNK(mode) else "fifo" if stat.S_ISFIFO(mode) else \
                "device" if stat.S_ISCHR(mode) else "dir" if stat.S_ISDIR(mode) else "file"
            out.append((str(path.relative_to(folder)), kind))
    return sorted(out)


class Case:
    """A scratch folder holding one target of one kind, and the command line that writes to it."""

    def __init__(self, root, kind):
        self.root = Path(tempfile.mkdtemp(dir=root))
        self.elsewhere = self.root / "elsewhere"
        self.elsewhere.mkdir()
        self.target = self.root / "target"
        self.kind = kind
        if kind == "device":
            try:
                os.mknod(self.target, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
            except PermissionError:
                self.target = Path("/dev/null")  # not root: /dev is not writable, a rename fails
        elif kind == "fifo":
            os.mkfifo(self.target)
        elif kind == "folder":
            self.target.mkdir()
        elif kind == "file-link":
            self.target.symlink_to(self.elsewhere / "real")
        elif kind == "folder-link":
            (self.elsewhere / "real").mkdir()
            self.target.symlink_to(self.elsewhere / "real")

    def run(self, argv, env=None):
        return subprocess.run([SIMDML, *map(str, argv)], capture_output=True, text=True, timeout=TIMEOUT,
                              env=env)


class Outputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        cls.data = cls.tmp / "data"
        iris_like(cls.data)
        cls.env = dict(os.environ, SIMDML_DATA=str(cls.data), OMP_WAIT_POLICY="passive")
        cls.iris = ["--data", cls.data, "--dataset", "iris"]
        cls.model = cls.tmp / "model.npz"
        cls.db = cls.tmp / "history.db"
        cls.results = results_folder(cls.tmp / "results")
        for argv in (["train", *cls.iris, "--layers", "4,8,3", "--epochs", "1", "--save", cls.model],
                     ["history", "add", "--db", cls.db, cls.results]):
            subprocess.run([SIMDML, *map(str, argv)], check=True, capture_output=True, env=cls.env)

    def file_outputs(self):
        iris = self.iris
        return {
            "train --save": lambda out: ["train", *iris, "--layers", "4,8,3", "--epochs", "1", "--save", out],
            "train --json": lambda out: ["train", *iris, "--layers", "4,8,3", "--epochs", "1", "--json", out],
            "evaluate --json": lambda out: ["evaluate", "--model", self.model, *iris, "--json", out],
            "knn --json": lambda out: ["knn", *iris, "--cv", "3", "--k", "1", "--json", out],
            "knn --plot": lambda out: ["knn", *iris, "--plot", out, "--plot-k", "1"],
            "history check --json": lambda out: ["history", "check", "--db", self.db, "--json", out],
            "history export --out": lambda out: ["history", "export", "--db", self.db, "--format", "bencher",
                                                 "--out", out],
        }

    def folder_outputs(self):
        return {
            "run --out": lambda out: ["run", "--only", "report", "--out", out],
            "history report --out": lambda out: ["history", "report", "--db", self.db, "--out", out],
        }

    def database_outputs(self, case):
        return {
            "history add --db": lambda db: ["history", "add", "--db", db, self.results],
            "run --history": lambda db: ["run", "--quick", "--only", "benchmarks,report", "--suites",
                                         "activation_bench", "--threads", "1", "--out", case.root / "run",
                                         "--history", db],
        }

    def expect(self, case, argv, ok, message=None, reader=False, written=("elsewhere/real", "run")):
        """Runs argv on the case; checks the exit status, the message, and that nothing changed but
        the paths starting with `written` (what the command writes through the target)."""
        before = listing(case.root)
        got = {}
        if reader:  # a process reading the FIFO, as `simdml ... --json fifo & jq < fifo` would
            thread = threading.Thread(target=lambda: got.setdefault("bytes", case.target.read_bytes()))
            thread.start()
        result = case.run(argv, self.env)
        if reader:
            if result.returncode != 0:  # unblock the reader
                with open(case.target, "wb"):
                    pass
            thread.join(TIMEOUT)
        detail = f"{' '.join(map(str, argv))}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
        self.assertEqual(result.returncode == 0, ok, detail)
        if message:
            self.assertIn(message, result.stderr, detail)
        self.assertNotIn("Traceback", result.stderr, detail)
        after = [entry for entry in listing(case.root) if not entry[0].startswith(written)]
        self.assertEqual(after, [e for e in before if not e[0].startswith(written)], detail)
        return got.get("bytes")

    def test_file_outputs(self):
        for name, command in self.file_outputs().items():
            with self.subTest(output=name, target="device"):
                case = Case(self.tmp, "device")
                self.expect(case, command(case.target), ok=True)
                self.assertTrue(stat.S_ISCHR(os.lstat(case.target).st_mode))
            with self.subTest(output=name, target="fifo with a reader"):
                case = Case(self.tmp, "fifo")
                got = self.expect(case, command(case.target), ok=True, reader=True)
                self.assertTrue(got, "the reader got nothing")
            with self.subTest(output=name, target="fifo without a reader"):
                case = Case(self.tmp, "fifo")
                self.expect(case, command(case.target), ok=False, message="a FIFO that no process is reading")
            with self.subTest(output=name, target="link"):
                case = Case(self.tmp, "file-link")
                self.expect(case, command(case.target), ok=True)
                self.assertTrue(case.target.is_symlink())
                self.assertGreater((case.elsewhere / "real").stat().st_size, 0)
                self.assertEqual(sorted(p.name for p in case.elsewhere.iterdir()), ["real"])
            with self.subTest(output=name, target="folder"):
                case = Case(self.tmp, "folder")
                self.expect(case, command(case.target), ok=False, message="is a directory")
                self.assertEqual(list(case.target.iterdir()), [])

    def test_folder_outputs(self):
        for name, command in self.folder_outputs().items():
            for kind in ("device", "fifo"):
                with self.subTest(output=name, target=kind):
                    case = Case(self.tmp, kind)
                    self.expect(case, command(case.target), ok=False, message="not a folder")
            with self.subTest(output=name, target="link to a folder"):
                case = Case(self.tmp, "folder-link")
                self.expect(case, command(case.target), ok=True)
                self.assertTrue(case.target.is_symlink())
                self.assertTrue(any((case.elsewhere / "real").iterdir()))
            with self.subTest(output=name, target="folder"):
                case = Case(self.tmp, "folder")
                self.expect(case, command(case.target), ok=True, written=("target/",))
                self.assertTrue(any(case.target.iterdir()))

    def test_database_outputs(self):
        for kind, message in (("device", "not a regular file"), ("fifo", "not a regular file"),
                              ("folder", "is a directory, not a history database")):
            for name in ("history add --db", "run --history"):
                with self.subTest(output=name, target=kind):
                    case = Case(self.tmp, kind)
                    self.expect(case, self.database_outputs(case)[name](case.target), ok=False, message=message)
        benchmarks = (Path(SIMDML).parent / "bench" / "activation_bench").exists()
        for name in ("history add --db", "run --history") if benchmarks else ("history add --db",):
            with self.subTest(output=name, target="link"):
                case = Case(self.tmp, "file-link")
                self.expect(case, self.database_outputs(case)[name](case.target), ok=True)
                self.assertTrue(case.target.is_symlink())
                self.assertEqual((case.elsewhere / "real").read_bytes()[:16], b"SQLite format 3\x00")


if __name__ == "__main__":
    SIMDML = os.path.abspath(sys.argv.pop(1))
    unittest.main()
