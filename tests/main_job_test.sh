#!/usr/bin/env bash
# The main job end to end: `simdml run --quick` into a fresh folder, then what a user reads from
# it: the report with its sections and pictures, results.json with a unit for every figure, and a
# log per stage. The folder stays for the accuracy gate test (ctest fixture MainJob).
#   main_job_test.sh <simdml> <results-folder>
set -euo pipefail
simdml=$1 out=$2
data=${SIMDML_DATA:-data}
if [ ! -d "$data/mnist" ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then
  echo "skipped: no MNIST under $data and no Fashion-MNIST package"
  exit 77
fi
rm -rf "$out"
"$simdml" run --quick --out "$out"

fail() { echo "FAIL: $*"; exit 1; }
for f in machine.json results.json report.md accuracy/nielsen.json accuracy/relu.json accuracy/knn.json \
         gemm_bench.json activation_bench.json train_bench.json knn_bench.json stages.json; do
  [ -s "$out/$f" ] || fail "$f is missing or empty"
done
for plot in gemm_vs_size training knn_accuracy confusion thread_scaling; do
  [ -s "$out/plots/$plot.png" ] || fail "plots/$plot.png is missing"
  grep -q "plots/$plot.png" "$out/report.md" || fail "report.md does not show $plot.png"
done
# Every "% of peak" has its peak: gemm_bench measures the FMA peak beside the GEMMs.
! grep -q "nan %" "$out/report.md" || fail "report.md has a % of peak without a measured peak"
# The report opens with how quiet the machine was; no share of a limit passes 100 %.
sed -n 3p "$out/report.md" | grep -qE '^\*\*Machine (quiet|mostly quiet|disturbed)\*\*' || fail "report.md does not open with the machine's load"
! grep -qE '\| (1[0-9]{2}|[2-9][0-9]{2}) % \|' "$out/report.md" || fail "report.md has a share above 100 %"
for section in "## Against the committed baselines" "## GEMM" "## Training" "## k-NN" "## Reproduce"; do
  grep -qF "$section" "$out/report.md" || fail "report.md lacks '$section'"
done
/usr/bin/python3 - "$out/results.json" <<'PY' || fail "results.json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["machine"]["simd_target"] and r["machine"]["git_commit"] and r["machine"]["threads"] >= 1, "machine context"
figures = r["figures"]
assert len(figures) > 50, f"only {len(figures)} figures"
assert all(f["unit"] and isinstance(f["value"], (int, float)) for f in figures), "a figure without a unit or value"
units = {f["unit"] for f in figures}
assert {"GFLOP/s", "%", "s", "elements/s", "samples/s", "queries/s"} <= units, f"units {units}"
timed = [f for f in figures if f["source"].endswith("_bench.json")]
assert timed and all(isinstance(f["disturbed"], bool) and f["clean_repetitions"] <= f["repetitions"] for f in timed), \
    "a benchmark figure without its interference"
PY
# Running again into the same folder is refused rather than mixing two runs.
if "$simdml" run --quick --out "$out" >/dev/null 2>&1; then fail "a second run into a full folder was accepted"; fi
# Interrupted (SIGTERM, as Ctrl-C's SIGINT) during the accuracy runs: exit 130, and the folder
# keeps only complete files - no temporary, and every report there whole. (On a fast CPU Nielsen's
# 30 epochs finish within the first second, so its report may be there, complete.)
interrupted=$out-interrupted
rm -rf "$interrupted"
"$simdml" run --only accuracy --out "$interrupted" > /dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 130 ] || fail "an interrupted run exited with $status, not 130"
[ -z "$(find "$interrupted" -name '.*tmp*')" ] || fail "an interrupted run left temporary files"
/usr/bin/python3 - "$interrupted" <<'PY' || fail "an interrupted run left a partial report"
import json, pathlib, sys
for report in pathlib.Path(sys.argv[1]).rglob("*.json"):
    content = json.loads(report.read_text())
    assert report.parent.name != "accuracy" or "final" in content, f"{report} has no final result"
PY
rm -rf "$interrupted"
echo "main job ok: $(ls "$out" | wc -l) entries in $out"
