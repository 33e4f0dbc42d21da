"""Instruction-count gate: noise-free regression check of every kernel.

Runs build/bench/instruction_counts under valgrind's callgrind on the avx2 target, one thread,
reads the instructions each fixed workload executed, and compares them with the committed
baseline (tests/baselines/instruction_counts.json). Counts repeat to the instruction, so the
threshold can be tight: a change of more than --threshold percent either way fails. A slower
kernel fails as a regression; a faster one fails too, until its baseline is updated on purpose,
so that the gain is kept.

    python3 -m simdml_run.icount_gate                      # gate: exit 1 when a workload moved beyond the threshold
    python3 -m simdml_run.icount_gate --update             # after an intended change: rewrite the baseline, then commit it
    python3 -m simdml_run.icount_gate --json out.json --report-only   # record only (simdml run)
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .output_file import write_output

ROOT = Path(__file__).resolve().parents[2]  # the checkout: python/simdml_run/<this>
DEFAULT_BASELINE = ROOT / "tests" / "baselines" / "instruction_counts.json"


def count_instructions(build):
    """{workload: instructions} and the program's header line, from one callgrind run."""
    program = Path(build) / "bench" / "instruction_counts"
    if not program.exists():
        sys.exit(f"icount_gate: {program} is missing (build the project with valgrind installed)")
    if shutil.which("valgrind") is None:
        sys.exit("icount_gate: valgrind is not installed (apt install valgrind)")
    env = dict(os.environ, SIMDML_ISA="avx2", OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(program)],
                             env=env, capture_output=True, text=True)
        if run.returncode == 77:  # the CPU has no AVX2: nothing comparable can be counted
            print(run.stderr.strip())
            sys.exit(77)
        if run.returncode != 0:
            sys.exit(f"icount_gate: instruction_counts failed under valgrind:\n{run.stdout}{run.stderr}")
        counts = {}
        for dump in sorted(Path(tmp).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:])):
            text = dump.read_text()
            name = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.M)
            totals = re.search(r"^totals: (\d+)", text, re.M)
            if name and totals:
                counts[name.group(1)] = int(totals.group(1))
    if not counts:
        sys.exit("icount_gate: callgrind wrote no per-workload counts")
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    return counts, {"built_with": run.stdout.splitlines()[0], "valgrind": version}


def compare(counts, baseline, threshold):
    rows = []
    for name in sorted(set(counts) | set(baseline)):
        now, base = counts.get(name), baseline.get(name)
        if base is None:
            status, change = "new (not in baseline)", None
        elif now is None:
            status, change = "missing (in baseline, not run)", None
        else:
            change = 100.0 * (now - base) / base
            status = "regression" if change > threshold else "faster: update baseline" if change < -threshold else "ok"
        rows.append({"name": name, "baseline": base, "instructions": now, "change_percent": change, "status": status})
    return rows


def markdown(rows, threshold):
    lines = [f"| workload (avx2, 1 thread) | baseline | now | change | status (threshold {threshold:g} %) |",
             "|---|---:|---:|---:|---|"]
    for r in rows:
        fmt = lambda n: f"{n:,}" if n is not None else "-"
        change = f"{r['change_percent']:+.3f} %" if r["change_percent"] is not None else "-"
        lines.append(f"| {r['name']} | {fmt(r['baseline'])} | {fmt(r['instructions'])} | {change} | {r['status']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(ROOT / "build"), help="the build folder (default: build/)")
    parser.add_argument("--baseline", default=str(DEFAULT_BASELINE))
    parser.add_argument("--threshold", type=float, default=0.5, help="percent change that fails (default 0.5)")
    parser.add_argument("--json", help="write the comparison here")
    parser.add_argument("--update", action="store_true", help="rewrite the baseline with this run's counts")
    parser.add_argument("--report-only", action="store_true", help="never fail; just record and print")
    args = parser.parse_args()

    counts, meta = count_instructions(args.build)
    baseline_path = Path(args.baseline)
    if args.update:
        record = {"about": "Instructions per workload of bench/instruction_counts under callgrind, avx2 target, "
                           "1 thread. Update with python3 -m simdml_run.icount_gate --update after an intended change.",
                  **meta, "counts": counts}
        write_output(baseline_path, json.dumps(record, indent=2) + "\n")
        print(f"instruction counts: wrote {len(counts)} workloads to {baseline_path}; commit it with the change")
        return 0
    baseline = json.loads(baseline_path.read_text()) if baseline_path.exists() else {"counts": {}}
    rows = compare(counts, baseline["counts"], args.threshold)
    failed = [r for r in rows if r["status"] != "ok"]
    print(markdown(rows, args.threshold))
    print(f"\nbuilt with {meta['built_with']}; {meta['valgrind']}; baseline built with "
          f"{baseline.get('built_with', 'unknown')}")
    if args.json:
        write_output(args.json, json.dumps({"threshold_percent": args.threshold, "baseline": str(baseline_path),
                                               **meta, "baseline_built_with": baseline.get("built_with"),
                                               "passed": not failed, "workloads": rows}, indent=2) + "\n")
    verdict = "passed" if not failed else f"{len(failed)} of {len(rows)} workloads moved beyond {args.threshold:g} %"
    print(f"instruction counts: {verdict}")
    if failed and not args.report_only:
        print("If the change is intended, run python3 -m simdml_run.icount_gate --update and commit "
              "tests/baselines/instruction_counts.json with it.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
