#!/usr/bin/python3
"""Tests of the simdml_run package's comparisons: bench_compare (rank test, threshold, exit
status), icount_gate (threshold both ways, missing and new workloads), accuracy_gate (exact match,
mismatch, runs without a baseline), bench_table's tables (which peak it divides by, the peers'
columns) and results_page (what a machine's page states, and that no path of the machine
survives); research/scaling_model.py (its formulas' limits); and the example CI workflow (valid
YAML running the commands README documents).
Synthetic inputs only; the real gates run as their own tests."""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))  # the simdml_run package
sys.path.insert(0, str(ROOT / "research"))
import scaling_model  # noqa: E402
from simdml_run import accuracy_gate, bench_compare, bench_table, icount_gate, report, results_page  # noqa: E402


def benchmark_json(path, times_ms, name="gemm/simd-avx2/256x256x256NN/threads:1/real_time"):
    """A Google Benchmark JSON file with one benchmark, one entry per repetition, and aggregates."""
    entries = [{"name": name, "run_name": name, "run_type": "iteration", "repetitions": len(times_ms),
                "repetition_index": i, "threads": 1, "iterations": 10, "real_time": t, "cpu_time": t,
                "time_unit": "ms", "FLOP/s": 3.3e7 / (t * 1e-3)} for i, t in enumerate(times_ms)]
    if len(times_ms) > 1:
        entries.append({"name": name + "_median", "run_name": name, "run_type": "aggregate", "aggregate_name": "median",
                        "real_time": sorted(times_ms)[len(times_ms) // 2], "time_unit": "ms"})
    path.write_text(json.dumps({"context": {}, "benchmarks": entries}))
    return path


def noisy(center, n, spread=0.01, seed=1):
    rng = random.Random(seed)
    return [center * (1 + rng.uniform(-spread, spread)) for _ in range(n)]


class BenchCompare(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())

    def verdict(self, base, new):
        rows = bench_compare.compare(benchmark_json(self.dir / "a.json", base), benchmark_json(self.dir / "b.json", new))
        self.assertEqual(len(rows), 1)
        return rows[0]

    def run_script(self, base, new):
        a, b = benchmark_json(self.dir / "a.json", base), benchmark_json(self.dir / "b.json", new)
        return subprocess.run([sys.executable, "-m", "simdml_run.bench_compare", str(a), str(b)], capture_output=True,
                              text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "python")))

    def test_the_markdown_is_written_as_every_output(self):
        """Through a link the link stays; a FIFO nobody reads is an error, not a wait."""
        times = noisy(10.0, 6)
        a, b = benchmark_json(self.dir / "a.json", times), benchmark_json(self.dir / "b.json", times)
        (self.dir / "table.md").write_text("old\n")
        (self.dir / "link.md").symlink_to("table.md")
        fifo = self.dir / "fifo.md"
        os.mkfifo(fifo)
        env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
        for out, code in (("link.md", 0), ("fifo.md", 1)):
            result = subprocess.run([sys.executable, "-m", "simdml_run.bench_compare", str(a), str(b), "--markdown",
                                     str(self.dir / out)], capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(result.returncode, code, result.stderr)
        self.assertTrue((self.dir / "link.md").is_symlink())
        self.assertIn("no significant regression", (self.dir / "table.md").read_text())
        self.assertIn("no process is reading", result.stderr)

    def test_same_run_passes(self):
        times = noisy(10.0, 6)
        self.assertEqual(self.verdict(times, times)["verdict"], "same")
        self.assertEqual(self.run_script(times, times).returncode, 0)

    def test_significant_slowdown_fails(self):
        row = self.verdict(noisy(10.0, 6, seed=1), noisy(12.0, 6, seed=2))
        self.assertEqual(row["verdict"], "REGRESSION")
        self.assertLess(row["p_value"], 0.01)
        self.assertAlmostEqual(row["time_change_percent"], 20.0, delta=2.0)
        self.assertAlmostEqual(row["counter_change_percent"], -16.7, delta=2.0)  # FLOP/s falls as time grows
        result = self.run_script(noisy(10.0, 6, seed=1), noisy(12.0, 6, seed=2))
        self.assertEqual(result.returncode, 1)
        self.assertIn("REGRESSION", result.stdout)

    def test_speedup_is_not_a_regression(self):
        self.assertEqual(self.verdict(noisy(12.0, 6), noisy(10.0, 6, seed=3))["verdict"], "faster")

    def test_change_below_threshold_passes(self):
        self.assertEqual(self.verdict(noisy(10.0, 8, 0.001), noisy(10.3, 8, 0.001, seed=4))["verdict"], "same")

    def test_large_change_without_repetitions_cannot_fail(self):
        row = self.verdict([10.0], [20.0])
        self.assertEqual(row["verdict"], "no repetitions to test")
        self.assertIsNone(row["p_value"])

    def test_three_repetitions_are_never_significant(self):
        # The smallest two-sided p with 3 + 3 samples is 0.1: the docstring's advice to use 5 or more.
        self.assertEqual(self.verdict([10.0, 10.1, 10.2], [20.0, 20.1, 20.2])["verdict"], "not significant")

    def test_results_folders_are_compared_suite_by_suite(self):
        for side, center in (("base", 10.0), ("new", 13.0)):
            (self.dir / side).mkdir()
            benchmark_json(self.dir / side / "gemm_bench.json", noisy(center, 6, seed=len(side)))
        rows = bench_compare.compare(self.dir / "base", self.dir / "new")
        self.assertEqual([r["verdict"] for r in rows], ["REGRESSION"])


    def test_runs_on_each_side_are_pooled(self):
        # Alternated runs: drift hits both builds alike, and the pooled test sees every repetition.
        base = ",".join(str(benchmark_json(self.dir / f"a{i}.json", noisy(10.0 + i, 3, seed=i))) for i in range(3))
        new = ",".join(str(benchmark_json(self.dir / f"b{i}.json", noisy(12.5 + i, 3, seed=9 + i))) for i in range(3))
        (row,) = bench_compare.compare(base, new)
        self.assertEqual(row["repetitions"], (9, 9))
        self.assertEqual(row["verdict"], "REGRESSION")


class InstructionGate(unittest.TestCase):
    def statuses(self, counts, baseline, threshold=0.5):
        return {r["name"]: r["status"] for r in icount_gate.compare(counts, baseline, threshold)}

    def test_unchanged_counts_pass(self):
        self.assertEqual(self.statuses({"gemm": 1000, "exp": 50}, {"gemm": 1000, "exp": 50}), {"gemm": "ok", "exp": "ok"})

    def test_more_instructions_than_threshold_is_a_regression(self):
        self.assertEqual(self.statuses({"gemm": 1006}, {"gemm": 1000})["gemm"], "regression")
        self.assertEqual(self.statuses({"gemm": 1004}, {"gemm": 1000})["gemm"], "ok")

    def test_fewer_instructions_ask_for_a_baseline_update(self):
        self.assertEqual(self.statuses({"gemm": 900}, {"gemm": 1000})["gemm"], "faster: update baseline")

    def test_new_and_missing_workloads_are_flagged(self):
        statuses = self.statuses({"new": 5}, {"old": 5})
        self.assertTrue(statuses["new"].startswith("new"))
        self.assertTrue(statuses["old"].startswith("missing"))


class AccuracyGate(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        (self.dir / "accuracy").mkdir()
        run = {"command": "train", "machine": {"simd_target": "avx2"},
               "config": {"dataset": "mnist", "train_samples": 200},
               "epochs": [{"correct": 80}, {"correct": 90}], "final": {"total": 100, "correct": 90},
               "weights_crc32": "0badf00d"}
        self.run_file = self.dir / "accuracy" / "nielsen.json"
        self.run_file.write_text(json.dumps(run))
        self.baseline = self.dir / "baseline.json"
        accuracy_gate.update(self.dir, self.baseline)

    def status(self):
        (row,) = accuracy_gate.compare(self.dir, self.baseline)
        return row["status"], row["differences"]

    def test_the_recorded_run_matches(self):
        self.assertEqual(self.status(), ("match", []))

    def test_one_bit_of_weights_is_a_mismatch(self):
        run = json.loads(self.run_file.read_text())
        run["weights_crc32"] = "0badf00c"
        self.run_file.write_text(json.dumps(run))
        self.assertEqual(self.status(), ("MISMATCH", ["weights_crc32"]))

    def test_another_target_is_unchecked_not_failed(self):
        run = json.loads(self.run_file.read_text())
        run["machine"]["simd_target"] = "avx512"
        self.run_file.write_text(json.dumps(run))
        self.assertTrue(self.status()[0].startswith("unchecked"))


class GemmTablePeak(unittest.TestCase):
    """% of peak divides by the FMA peak gemm_bench ran beside the GEMMs, not by peak_bench's."""

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())

    def write(self, file, rates):
        entries = [{"name": n + "/real_time", "run_name": n + "/real_time", "run_type": "iteration", "real_time": 1.0,
                    "time_unit": "ms", "FLOP/s": r * 1e9} for n, r in rates.items()]
        (self.dir / file).write_text(json.dumps({"context": {}, "benchmarks": entries}))

    def percent_of_peak(self):
        row = [line for line in bench_table.gemm_table(self.dir).splitlines() if line.startswith("| 256x256x256NN")]
        self.assertEqual(len(row), 1)
        return row[0].rstrip(" |").rsplit("|", 1)[1].strip()

    def test_the_peak_measured_in_the_same_run_wins(self):
        gemm = {"gemm/simd-avx2/256x256x256NN/threads:1": 80.0, "gemm/openblas/256x256x256NN/threads:1": 80.0}
        self.write("gemm_bench.json", {**gemm, "fma_peak/avx2/threads:1": 100.0})
        self.write("peak_bench.json", {"fma_peak/avx2/threads:1": 50.0})
        self.assertEqual(self.percent_of_peak(), "80 %")

    def test_an_older_folder_falls_back_to_peak_bench(self):
        self.write("gemm_bench.json", {"gemm/simd-avx2/256x256x256NN/threads:1": 80.0})
        self.write("peak_bench.json", {"fma_peak/avx2/threads:1": 160.0})
        self.assertEqual(self.percent_of_peak(), "50 %")


    def test_the_libxsmm_ratio_is_shown_where_it_ran(self):
        self.write("gemm_bench.json", {"gemm/simd-avx2/256x256x256NN/threads:1": 80.0,
                                       "gemm/libxsmm/256x256x256NN/threads:1": 100.0,
                                       "fma_peak/avx2/threads:1": 100.0})
        row = [line for line in bench_table.gemm_table(self.dir).splitlines() if line.startswith("| 256x256x256NN")]
        self.assertIn(" 0.80x ", row[0])


class AbsentPeers(unittest.TestCase):
    """A peer the build lacked has no column, and the report names it with the reason."""

    def test_gemm_without_openblas_or_libxsmm_has_no_ratio_columns(self):
        folder = Path(tempfile.mkdtemp())
        entries = [{"name": n + "/real_time", "run_name": n + "/real_time", "run_type": "iteration", "real_time": 1.0,
                    "time_unit": "ms", "FLOP/s": r * 1e9}
                   for n, r in {"gemm/simd-avx2/256x256x256NN/threads:1": 80.0, "fma_peak/avx2/threads:1": 100.0}.items()]
        (folder / "gemm_bench.json").write_text(json.dumps({"context": {}, "benchmarks": entries}))
        table = bench_table.gemm_table(folder)
        self.assertNotIn("OpenBLAS", table)
        self.assertNotIn("libxsmm", table)
        self.assertIn("| 256x256x256NN | 1 | 80.0 | 80 % |", table)

    def test_knn_without_faiss_has_no_faiss_column(self):
        folder = Path(tempfile.mkdtemp())
        name = "knn/mnist-20000x10000/int8-avx2/threads:1"
        (folder / "knn_bench.json").write_text(json.dumps({"context": {}, "benchmarks": [
            {"name": name, "run_name": name, "run_type": "iteration", "real_time": 1.0, "time_unit": "s",
             "items_per_second": 1000.0, "OP/s": 1e11}]}))
        self.assertNotIn("faiss", bench_table.knn_table(folder))

    def test_the_report_says_which_peers_are_missing_and_why(self):
        machine = {"machine": {"cpu": "c", "logical_cores": 2, "isa_extensions": ["sse2"], "simd_target": "sse2",
                               "threads": 2, "compiler": "GCC", "openmp": 1, "xsimd": "8", "zlib": "1",
                               "simdml_version": "0", "git_commit": "x"}, "supported_targets": ["sse2"]}
        lines = report.machine_lines(machine, {"absent_peers": "OpenBLAS: apt install libopenblas-dev|",
                                               "torch_absent": "torch not installed (apt install python3-torch)"})
        self.assertIn("- Peers this build or machine lacks, so their columns are missing: OpenBLAS: apt install "
                      "libopenblas-dev; PyTorch: torch not installed (apt install python3-torch)", lines)


class ActivationTableEigen(unittest.TestCase):
    """The activation table sets the best target beside Eigen's set for it, and marks what Eigen lacks."""

    def test_eigen_ratio_and_missing_functions(self):
        folder = Path(tempfile.mkdtemp())
        rates = {"tanh/reference/100000": 1.0, "tanh/simd-avx2/100000": 4.0, "tanh/eigen-avx2/100000": 5.0,
                 "softmax10/reference/100000": 1.0, "softmax10/simd-avx2/100000": 3.0, "copy/memory/100000": 10.0}
        entries = [{"name": n, "run_name": n, "run_type": "iteration", "items_per_second": r * 1e9,
                    "bytes_per_second": r * 8e9} for n, r in rates.items()]
        (folder / "activation_bench.json").write_text(json.dumps({"context": {}, "benchmarks": entries}))
        lines = bench_table.activation_table(folder).splitlines()
        self.assertIn("simd-avx2 / eigen-avx2", lines[2])
        tanh = next(line for line in lines if line.startswith("| tanh "))
        softmax = next(line for line in lines if line.startswith("| softmax10 "))
        self.assertIn("| 5.00 | 0.80x |", tanh)
        self.assertIn("| - | - |", softmax)


class KnnTableOrder(unittest.TestCase):
    """Every k-NN kernel gets a row, in ISA order with faiss last, including names the list lacks."""

    def test_every_variant_has_a_row_in_order(self):
        variants = ["faiss-IndexFlatL2", "int8-avx512vnni", "int8-future", "naive", "int8-amx", "int8-avx2"]
        entries = [{"name": f"knn/mnist-20000x10000/{v}/threads:1", "run_name": f"knn/mnist-20000x10000/{v}/threads:1",
                    "run_type": "iteration", "real_time": 1.0, "time_unit": "s", "items_per_second": 1000.0,
                    "OP/s": 1e11} for v in variants]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "knn_bench.json").write_text(json.dumps({"context": {}, "benchmarks": entries}))
            rows = [line.split("|")[2].strip() for line in bench_table.knn_table(folder).splitlines()
                    if line.startswith("| mnist")]
        self.assertEqual(rows, ["naive", "int8-avx2", "int8-avx512vnni", "int8-amx", "int8-future", "faiss-IndexFlatL2"])


class ResultsPage(unittest.TestCase):
    """A results folder becomes a page naming the CPU, date, commit and the run's limits."""

    def results_folder(self, folder):
        machine = {"cpu": "Test CPU", "cpu_vendor": "TestVendor", "logical_cores": 2,
                   "isa_extensions": ["sse2", "avx2"], "simd_target": "avx2", "threads": 2,
                   "compiler": "GCC 12.2.0", "openmp": 201511, "xsimd": "8.1.0", "zlib": "1.2.13",
                   "simdml_version": "0.1.0", "git_commit": "abc123def456"}
        figures = [{"name": "fma_peak/avx2/threads:1:GFLOP/s", "value": 91.5, "unit": "GFLOP/s"},
                   {"name": "fma_peak/avx2/threads:2:GFLOP/s", "value": 150.0, "unit": "GFLOP/s"},
                   {"name": "copy/memory/10000000:GB/s", "value": 24.25, "unit": "GB/s"},
                   {"name": "gemm/simd-avx2/1024x1024x1024NN/threads:1:GFLOP/s", "value": 70.0, "unit": "GFLOP/s"},
                   {"name": "gemm/openblas/1024x1024x1024NN/threads:1:GFLOP/s", "value": 50.0, "unit": "GFLOP/s"},
                   {"name": "gemm/simd-avx2/1024x1024x1024NN/threads:2:GFLOP/s", "value": 160.0, "unit": "GFLOP/s"}]
        (folder / "results.json").write_text(json.dumps({
            "machine": machine, "supported_targets": ["sse2", "avx2"], "figures": figures,
            "benchmark_context": {"date": "2026-12-01T10:00:00+00:00", "simdml_bench_threads": "1,2"}}))
        (folder / "report.md").write_text(
            "# simdml run\n\n- CPU: Test CPU\n\n## GEMM\n\n![plot](plots/gemm.png)\n\n| a | b |\n\n"
            "## Reproduce\n\n```sh\n/home/someone/simdml/build/bench/gemm_bench --benchmark_out="
            f"{folder.resolve()}/gemm_bench.json\nPYTHONPATH=/home/someone/simdml/python /usr/bin/python3 -m "
            "simdml_run.icount_gate --build /home/someone/simdml/build --json x\n```\n")

    def test_page_states_the_machine_and_its_limits_without_local_paths(self):
        with tempfile.TemporaryDirectory() as tmp:
            run, out = Path(tmp) / "run", Path(tmp) / "docs"
            run.mkdir()
            self.results_folder(run)
            self.assertEqual(results_page.main([str(run), "--machine", "test-box", "--out", str(out)]), 0)
            page = (out / "test-box.md").read_text()
            for expected in ("| CPU | Test CPU (TestVendor), 2 logical cores |", "2026-12-01", "abc123def456",
                             "FMA peak, avx2, 1 thread | 91.5 GFLOP/s", "24.2 GB/s", "## GEMM",
                             "build/bench/gemm_bench --benchmark_out=RESULTS/gemm_bench.json",
                             "PYTHONPATH=python /usr/bin/python3 -m simdml_run.icount_gate --build build --json x"):
                self.assertIn(expected, page)
            self.assertNotIn("/home/someone", page)
            self.assertNotIn(tmp, page)
            self.assertNotIn("![", page)
            self.assertIn("[test-box](test-box.md) | Test CPU (TestVendor), 2 logical cores | 2026-12-01 | abc123def456",
                          (out / "README.md").read_text())

    def test_the_headline_states_ratios_and_never_a_share_above_the_limit(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "run"
            run.mkdir()
            self.results_folder(run)
            headline = results_page.headline(json.loads((run / "results.json").read_text()))
        self.assertIn("| GEMM 1024^3 | 1 | 70.0 GFLOP/s | OpenBLAS 50.0 | 1.40x | 77 % of peak |", headline)
        # 160 GFLOP/s against a peak of 150 measured in the same run: the peak was disturbed.
        self.assertIn("| GEMM 1024^3 | 2 | 160.0 GFLOP/s | - |  | above the peak measured (disturbed) |", headline)
        self.assertIn("FMA peak 91.5 GFLOP/s on 1 thread, 150.0 GFLOP/s on 2 threads", headline)

    def test_readme_carries_the_newest_pages_headline_and_the_check_sees_a_stale_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            run, out, readme = Path(tmp) / "run", Path(tmp) / "pages", Path(tmp) / "README.md"
            run.mkdir()
            self.results_folder(run)
            readme.write_text(f"# x\n\n## Current results\n\n{results_page.BEGIN}\n{results_page.END}\n\nrest\n")
            check = ["--out", str(out), "--readme", str(readme), "--check-readme"]
            self.assertEqual(results_page.main([str(run), "--machine", "test-box", "--out", str(out),
                                                "--readme", str(readme)]), 0)
            text = readme.read_text()
            self.assertIn("The newest page, [test-box](pages/test-box.md):", text)
            self.assertIn("| GEMM 1024^3 | 1 | 70.0 GFLOP/s |", text)
            self.assertTrue(text.endswith("\n\nrest\n"))
            self.assertEqual(results_page.main(check), 0)
            readme.write_text(text.replace("70.0 GFLOP/s", "71.0 GFLOP/s"))  # typed by hand
            self.assertEqual(results_page.main(check), 1)

    def test_bad_machine_names_and_folders_are_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaises(SystemExit):
                results_page.main([tmp, "--machine", "Bad Name", "--out", tmp])
            with self.assertRaises(SystemExit):
                results_page.main([tmp, "--machine", "ok-name", "--out", tmp])  # no results.json
            self.assertFalse((Path(tmp) / "ok-name.md").exists())


class ScalingModel(unittest.TestCase):
    NET = {"t_sample": 1e-6, "t_update": 0.0, "bytes": 400_000}

    def test_one_node_has_no_exchange(self):
        self.assertEqual(scaling_model.allreduce(1, 10**6, scaling_model.LINKS["10 Gb/s"]), 0.0)

    def test_a_free_link_scales_perfectly(self):
        free = {"alpha": 0.0, "beta": 0.0}
        for p in (2, 8, 64):
            self.assertAlmostEqual(scaling_model.step(1, 1024, self.NET, free) /
                                   scaling_model.step(p, 1024, self.NET, free), p)

    def test_the_ring_moves_twice_the_bytes_at_large_p(self):
        link = {"alpha": 0.0, "beta": 1e-9}
        self.assertAlmostEqual(scaling_model.allreduce(1000, 10**6, link), 2 * 999 / 1000 * 1e-3)

    def test_the_faster_link_never_loses(self):
        for p in scaling_model.RANKS[1:]:
            for net in scaling_model.NETWORKS.values():
                self.assertLess(scaling_model.step(p, 256, net, scaling_model.LINKS["100 Gb/s"]),
                                scaling_model.step(p, 256, net, scaling_model.LINKS["10 Gb/s"]))


class ReadmeExample(unittest.TestCase):
    """README's C++ example is compiled: it is an excerpt of the consumer project CI builds."""

    def test_the_cpp_block_is_in_the_consumer(self):
        root = ROOT
        readme = (root / "README.md").read_text()
        block = readme.split("```cpp\n", 1)[1].split("```\n", 1)[0]
        self.assertGreater(len(block.splitlines()), 5)
        self.assertIn(block, (root / "tests" / "consumer" / "consumer.cpp").read_text())


class ExampleWorkflow(unittest.TestCase):
    """.github/workflows/benchmarks.yml is valid YAML, its shell steps parse, and every simdml
    command and option it runs is one README documents."""

    def test_the_workflow_runs_what_readme_documents(self):
        import re
        import yaml
        root = ROOT
        workflow = yaml.safe_load((root / ".github" / "workflows" / "benchmarks.yml").read_text())
        steps = workflow["jobs"]["benchmarks"]["steps"]
        scripts = [s["run"] for s in steps if "run" in s]
        self.assertGreaterEqual(len(scripts), 3)
        readme = (root / "README.md").read_text()
        used = set()
        for script in scripts:
            plain = re.sub(r"\$\{\{[^}]*\}\}", "X", script)
            syntax = subprocess.run(["bash", "-n"], input=plain, text=True, capture_output=True)
            self.assertEqual(syntax.returncode, 0, syntax.stderr)
            for path in re.findall(r"\b(scripts/[\w.]+)", script):
                self.assertTrue((root / path).exists(), path)
            used |= set(re.findall(r"simdml (history \w+|run)", script))
            used |= set(re.findall(r"(--(?:history|suites|min-runs|json|only))\b", script))
        self.assertTrue({"history check", "history report", "run", "--history", "--suites"} <= used, used)
        for item in used:
            self.assertTrue(item in readme, f"README does not document {item!r}")


if __name__ == "__main__":
    unittest.main()
