#!/usr/bin/env bash
# simdml under mpirun, end to end on this machine: k-NN on 1, 2 and 4 ranks in both sharding
# modes reports exactly the one-process accuracies, best k and confusion matrix; cross-validation
# too; training with --slices 4 gives the one-process weights on 1, 2 and 4 ranks (Nielsen's
# network and a ReLU network with Adam); ranks that see different data, or a diverging run, stop
# together with one message; a rank killed mid-run ends the job within seconds and leaves no
# model or report.
#   tests/mpi_cli_test.sh path/to/simdml      (exit 77: skipped, and why)
set -uo pipefail
simdml=$1
command -v mpirun > /dev/null || { echo "skipped: mpirun not found (install openmpi-bin)"; exit 77; }
"$simdml" info | grep -q '^mpi: *built with' ||
  { echo "skipped: this simdml was built without MPI (install libopenmpi-dev, reconfigure)"; exit 77; }
[ -d "${SIMDML_DATA:-}/mnist" ] || { echo "skipped: SIMDML_DATA does not hold mnist/"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
ok() { printf 'ok: %s\n' "$*"; }

# same_fields A.json B.json FIELD... : the reports agree on these top-level fields.
same_fields() {
  python3 - "$@" << 'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = [f for f in sys.argv[3:] if a.get(f) != b.get(f)]
sys.exit(f"{sys.argv[2]} differs from {sys.argv[1]} in {bad}" if bad else 0)
PY
}

knn=(knn --train-limit 6000 --test-limit 600 --k 1,3,5,7 --threads 1)
"$simdml" "${knn[@]}" --json "$work/knn.json" > /dev/null || fail "one-process k-NN"
for ranks in 1 2 4; do
  for shard in training queries; do
    what="k-NN on $ranks ranks, $shard sharded"
    if mpirun -np "$ranks" "$simdml" "${knn[@]}" --shard "$shard" --json "$work/knn-$ranks.json" > "$work/log" 2>&1 &&
      same_fields "$work/knn.json" "$work/knn-$ranks.json" results best_k confusion_matrix test_samples train_samples; then
      ok "$what"
    else
      fail "$what"; cat "$work/log"
    fi
  done
done

cv=(knn --dataset iris --cv 10 --k 1-15 --threads 1)
"$simdml" "${cv[@]}" --json "$work/cv.json" > /dev/null || fail "one-process cross-validation"
if mpirun -np 3 "$simdml" "${cv[@]}" --json "$work/cv-3.json" > "$work/log" 2>&1 &&
  same_fields "$work/cv.json" "$work/cv-3.json" errors best_k; then
  ok "cross-validation on 3 ranks"
else
  fail "cross-validation on 3 ranks"; cat "$work/log"
fi

weights() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["weights_crc32"])' "$1"; }
train=(train --train-limit 2000 --test-limit 500 --epochs 2 --slices 4 --threads 1)
relu=(--layers 784,100,10 --activation relu --loss cross-entropy --init he --optimizer adam --batch 64)
for name in nielsen relu; do
  extra=()
  [ "$name" = relu ] && extra=("${relu[@]}")
  "$simdml" "${train[@]}" "${extra[@]}" --json "$work/train.json" > /dev/null || fail "one-process $name"
  for ranks in 1 2 4; do
    what="$name training on $ranks ranks"
    if mpirun -np "$ranks" "$simdml" "${train[@]}" "${extra[@]}" --json "$work/train-$ranks.json" > "$work/log" 2>&1 &&
      [ "$(weights "$work/train.json")" = "$(weights "$work/train-$ranks.json")" ]; then
      ok "$what: weights crc32 $(weights "$work/train.json")"
    else
      fail "$what"; cat "$work/log"
    fi
  done
done

# expect_job WHAT STATUS TEXT MPIRUN-ARGS...: the job exits with STATUS and prints TEXT once.
expect_job() {
  local what=$1 want=$2 text=$3
  shift 3
  output=$(mpirun "$@" 2>&1)
  local status=$? count
  count=$(grep -cF -- "$text" <<< "$output")
  if [ "$status" -eq "$want" ] && [ "$count" -eq 1 ]; then
    ok "$what: exit $status"
  else
    fail "$what: exit $status, '$text' printed $count times"; echo "$output"
  fi
}

# Training on 2 ranks without enough slices is a usage error, reported by rank 0 alone.
expect_job "too few slices" 2 "needs --slices of at least 2" \
  -np 2 "$simdml" train --epochs 1 --train-limit 100

# A diverging run stops on every rank at once (they hold the same weights), reported once.
expect_job "divergence" 1 "training diverged" -np 2 "$simdml" train --dataset iris --layers 4,8,3 \
  --activation relu --loss cross-entropy --init he --eta 1000 --epochs 3 --slices 2 --threads 1

# Rank 1 reads another data folder, whose test labels differ in one label.
mkdir -p "$work/other/mnist"
for f in "$SIMDML_DATA"/mnist/*; do
  case $(basename "$f") in t10k-labels*) ;; *) ln -s "$f" "$work/other/mnist/" ;; esac
done
python3 - "$SIMDML_DATA/mnist" "$work/other/mnist" << 'PY'
import gzip, os, sys
src = [f for f in os.listdir(sys.argv[1]) if f.startswith("t10k-labels")][0]
raw = open(os.path.join(sys.argv[1], src), "rb").read()
raw = bytearray(gzip.decompress(raw) if src.endswith(".gz") else raw)
raw[8] = (raw[8] + 1) % 10
open(os.path.join(sys.argv[2], "t10k-labels-idx1-ubyte"), "wb").write(raw)
PY
expect_job "mismatched data stops the job" 1 "data: rank 1 differs from rank 0" \
  -np 1 "$simdml" "${knn[@]}" : -np 1 env SIMDML_DATA="$work/other" "$simdml" "${knn[@]}"

# One rank killed mid-run: the job ends non-zero within 30 s, and no model or report is left.
mkdir -p "$work/out"
mpirun -np 2 "$simdml" train --epochs 10000 --slices 2 --threads 1 --save "$work/out/model.npz" \
  --json "$work/out/report.json" > "$work/log" 2>&1 &
job=$!
rank1=
for _ in $(seq 100); do  # wait for training to start
  sleep 0.1
  for p in $(pgrep -x simdml); do
    { tr "\0" "\n" < "/proc/$p/environ"; } 2> /dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && rank1=$p
  done
  [ -n "$rank1" ] && grep -q '^epoch' "$work/log" && break
done
started=$(date +%s)
kill -9 "$rank1" 2> /dev/null
waited=0
while kill -0 "$job" 2> /dev/null && [ "$waited" -lt 30 ]; do sleep 1; waited=$((waited + 1)); done
if kill -0 "$job" 2> /dev/null; then
  fail "the job still runs 30 s after a rank was killed"; kill -9 "$job"
fi
wait "$job"
status=$?
left=$(ls -A "$work/out")
if [ -n "$rank1" ] && [ "$status" -ne 0 ] && [ -z "$left" ]; then
  ok "a killed rank ends the job in $(($(date +%s) - started)) s with exit $status, nothing written"
else
  fail "killed rank: pid '${rank1}', exit $status, left: $left"; cat "$work/log"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all MPI end-to-end checks passed"
