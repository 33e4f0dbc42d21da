"""Accuracy gate: the accuracy runs of a results folder against the committed expected values.

    build/simdml run --only accuracy --out DIR && python3 -m simdml_run.accuracy_gate DIR
    python3 -m simdml_run.accuracy_gate DIR --update      # after an intended change: record DIR's values, then commit

Training and k-NN are bitwise reproducible for a given SIMD target (any thread count), so the
comparison is exact: every epoch's and the final count of correct test answers, and the CRC-32 of
the trained weights; for k-NN, the correct answers for every k. Expected values live in
tests/baselines/accuracy.json, one entry per run, dataset size and target; a run with no entry
(another dataset size, another target) is reported as unchecked, not failed.
"""
import argparse
import json
import sys
from pathlib import Path

from .output_file import write_output

ROOT = Path(__file__).resolve().parents[2]  # the checkout: python/simdml_run/<this>
DEFAULT_BASELINE = ROOT / "tests" / "baselines" / "accuracy.json"


def observed(path):
    """The exact figures of one accuracy run's JSON, and the key its baseline entry is filed under."""
    r = json.loads(path.read_text())
    machine = r["machine"]
    if r["command"] == "train":
        key = {"run": path.stem, "dataset": r["config"]["dataset"], "train_samples": r["config"]["train_samples"],
               "test_samples": r["final"]["total"], "simd_target": machine["simd_target"]}
        values = {"final_correct": r["final"]["correct"], "epoch_correct": [e["correct"] for e in r["epochs"]],
                  "weights_crc32": r["weights_crc32"]}
    else:
        key = {"run": path.stem, "dataset": r["dataset"], "train_samples": r["train_samples"],
               "test_samples": r["test_samples"], "simd_target": machine["simd_target"]}
        values = {"correct_per_k": {str(x["k"]): x["correct"] for x in r["results"]}}
    return key, values


def load_baseline(path):
    return json.loads(path.read_text()) if path.exists() else {"runs": []}


def find_entry(baseline, key):
    for entry in baseline["runs"]:
        if all(entry.get(k) == v for k, v in key.items()):
            return entry
    return None


def compare(folder, baseline_path=DEFAULT_BASELINE):
    """One row per accuracy run in folder/accuracy: key, values, status (match, MISMATCH, unchecked)."""
    baseline = load_baseline(Path(baseline_path))
    rows = []
    for path in sorted(Path(folder, "accuracy").glob("*.json")):
        key, values = observed(path)
        entry = find_entry(baseline, key)
        if entry is None:
            status, differences = "unchecked (no baseline for this data and target)", []
        else:
            differences = [name for name, value in values.items() if entry.get(name) != value]
            status = "match" if not differences else "MISMATCH"
        rows.append({**key, **values, "status": status, "differences": differences,
                     "expected": {k: entry.get(k) for k in values} if entry else None})
    return rows


def update(folder, baseline_path):
    baseline = load_baseline(baseline_path)
    baseline.setdefault("about", "Exact results of simdml run's accuracy runs (python3 -m simdml_run.accuracy_gate). Update with "
                                 "python3 -m simdml_run.accuracy_gate DIR --update after an intended change, and commit.")
    for path in sorted(Path(folder, "accuracy").glob("*.json")):
        key, values = observed(path)
        baseline["runs"] = [e for e in baseline["runs"] if not all(e.get(k) == v for k, v in key.items())]
        baseline["runs"].append({**key, **values})
    baseline["runs"].sort(key=lambda e: (e["dataset"], e["train_samples"], e["simd_target"], e["run"]))
    write_output(baseline_path, json.dumps(baseline, indent=1) + "\n")


def markdown(rows):
    lines = ["| run | data | target | result | status |", "|---|---|---|---|---|"]
    for r in rows:
        if "final_correct" in r:
            result = f"{r['final_correct']}/{r['test_samples']} correct, weights crc32 {r['weights_crc32']}"
        else:
            result = ", ".join(f"k={k}: {c}" for k, c in r["correct_per_k"].items())
        status = r["status"] + (f" ({', '.join(r['differences'])} differ: expected {r['expected']})" if r["differences"] else "")
        lines.append(f"| {r['run']} | {r['dataset']} {r['train_samples']}/{r['test_samples']} | {r['simd_target']} | "
                     f"{result} | {status} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="a results folder of simdml run")
    parser.add_argument("--baseline", default=str(DEFAULT_BASELINE))
    parser.add_argument("--update", action="store_true", help="record this folder's values as the expected ones")
    parser.add_argument("--require", action="store_true", help="fail when a run has no baseline entry")
    args = parser.parse_args()
    if args.update:
        update(args.folder, Path(args.baseline))
        print(f"accuracy baseline updated from {args.folder} in {args.baseline}; commit it with the change")
        return 0
    if not Path(args.folder, "accuracy").is_dir():
        print(f"accuracy_gate: skipped: {args.folder} holds no accuracy/ folder (the run was skipped or failed)")
        return 77
    rows = compare(args.folder, args.baseline)
    if not rows:
        sys.exit(f"accuracy_gate: {args.folder}/accuracy holds no accuracy runs")
    print(markdown(rows))
    failed = [r for r in rows if r["status"] == "MISMATCH" or (args.require and r["status"] != "match")]
    print(f"\naccuracy: {len(rows) - len(failed)} of {len(rows)} runs pass" +
          ("" if not failed else "; if the change is intended, run python3 -m simdml_run.accuracy_gate DIR --update and commit"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
