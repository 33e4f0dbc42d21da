#!/usr/bin/env bash
# End-to-end checks of the simdml program: usage errors (exit 2, a message naming the option),
# data errors (exit 1), a tiny training run, and, when SIMDML_DATA holds MNIST, byte-identical
# model files from 1 and 2 threads plus evaluate and predict on them, and k-NN on it.
#   tests/cli_test.sh path/to/simdml
set -uo pipefail
simdml=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # a command that wrongly writes into the current folder writes here, not into the checkout
failures=0

# expect <exit code> <text the output must contain> -- <simdml arguments...>; leaves the output in $output
expect() {
  local code=$1 text=$2
  shift 3
  local status
  output=$("$simdml" "$@" 2>&1)
  status=$?
  if [ "$status" -ne "$code" ] || [[ "$output" != *"$text"* ]]; then
    printf 'FAIL: simdml %s\n  wanted exit %s and "%s"; got exit %s:\n%s\n' "$*" "$code" "$text" "$status" "$output"
    failures=$((failures + 1))
  else
    printf 'ok: simdml %s\n' "$*"
  fi
}

# A small CSV dataset: two separable blobs of 3 classes in 4 features.
mkdir -p "$work/data/iris"
{
  echo "a,b,c,d,label"
  for i in $(seq 0 59); do
    c=$((i % 3))
    echo "$((c * 3)).$((i % 7)),$((c * 2)).$((i % 5)),$((c + 1)).$((i % 3)),0.$((i % 9)),$c"
  done
} > "$work/data/iris/iris.csv"

# Each command's usage and what it accepts come from one list: every option its --help shows is
# accepted (a nonexistent one after it is what fails), and history's --help shows every option.
for command in info train evaluate predict knn run; do
  usage=$("$simdml" "$command" --help)
  while read -r item; do
    option=${item#[}
    option=${option%]}
    words=($option)
    [ ${#words[@]} -gt 1 ] && words=("${words[0]}" "x")
    out=$("$simdml" "$command" "${words[@]}" --no-such-option 2>&1)
    if [[ "$out" != *"unknown option --no-such-option"* ]]; then
      echo "FAIL: simdml $command --help lists ${words[0]}, but it is refused: $out" | head -2
      failures=$((failures + 1))
    fi
  done < <(grep -o '\[--[a-z0-9-]*[^]]*\]' <<< "$usage")
done
expect 0 "[--json FILE]" -- info --help
expect 0 "--min-effect" -- history --help
for option in --fingerprint --window --min-runs --threshold; do
  [[ "$output" == *"$option"* ]] || { echo "FAIL: simdml history --help lacks $option"; failures=$((failures + 1)); }
done

# info names what the kernels run with, and obeys a cap on the target.
expect 0 "simd target used: sse2" -- info --isa sse2 --threads 3
[[ "$output" == *"gemm kernel:      simd-sse2"* && "$output" == *"openmp threads:   3"* && "$output" == *"zlib:"* ]] ||
  { echo "FAIL: simdml info --isa sse2 --threads 3 printed:"; echo "$output"; failures=$((failures + 1)); }
expect 2 "--isa must be sse2, avx2 or avx512" -- info --isa bogus
expect 2 "invalid choice: 'frob'" -- history frob
expect 1 "no such history database" -- history list --db "$work/no-such.db"
expect 2 "--only must include report" -- run --only accuracy --history "$work/h.db" --out "$work/never"

expect 2 "--batch must be an integer from 1" -- train --batch 0
expect 2 "--eta must be a number from" -- train --eta -1
expect 2 "--eta must be a number from" -- train --eta nan
expect 2 "--threads must be an integer from 1 to 1024" -- train --threads 0
expect 2 "--threads must be an integer from 1 to 1024" -- knn --threads 100000
expect 2 "--quick and --full exclude each other" -- run --quick --full
expect 2 "--dataset must be mnist or fashion-mnist" -- run --dataset iris
expect 2 "--only takes a list of accuracy, benchmarks" -- run --dataset mnist --only accuracy,bogus
expect 2 "already exists and is not empty" -- run --dataset mnist --out "$work"
expect 2 "--loss must be quadratic or cross-entropy" -- train --loss hinge
expect 2 "unknown option --bogus" -- train --bogus 1
expect 2 "--gemm: " -- train --gemm fastest
expect 1 "dataset mnist not found" -- train --data "$work/empty"
expect 2 "--dataset must be mnist, fashion-mnist or iris, got 'MNIST'" -- train --dataset MNIST
expect 2 "--layers starts with 784 but iris has 4 features" -- train --data "$work/data" --dataset iris --layers 784,30,10
expect 2 "--layers ends with 10 but iris has 3 classes" -- train --data "$work/data" --dataset iris --layers 4,30,10
expect 2 "--validation takes a fraction of the training set above 0 and below 1" -- train --data "$work/data" \
  --dataset iris --validation 60
expect 0 "final validation accuracy" -- train --data "$work/data" --dataset iris --layers 4,8,3 --activation tanh \
  --loss cross-entropy --init xavier --eta 0.1 --epochs 5 --validation 0.2 --save "$work/iris.npz" --json "$work/iris.json"
expect 1 "training diverged in epoch 1" -- train --data "$work/data" --dataset iris --layers 4,8,3 --activation relu \
  --loss cross-entropy --init he --eta 1000 --epochs 3 --save "$work/diverged.npz"
[ -e "$work/diverged.npz" ] && { echo "FAIL: a diverged run left a model file"; failures=$((failures + 1)); }
# An output that cannot be written fails before the first epoch, not after the last.
for option in --save --json; do
  expect 1 "cannot write $work/absent/out: cannot create a temporary file in $work/absent" -- train --data "$work/data" \
    --dataset iris --layers 4,8,3 --epochs 2 "$option" "$work/absent/out"
  [[ "$output" == *"epoch 1/"* ]] && { echo "FAIL: train $option checked its output only after training"; failures=$((failures + 1)); }
done
expect 1 "cannot write $work: it is a directory" -- knn --data "$work/data" --dataset iris --cv 5 --json "$work"
[[ "$output" == *"best k"* ]] && { echo "FAIL: knn --json checked its output only after the search"; failures=$((failures + 1)); }
expect 1 "no such file" -- evaluate --model "$work/absent.npz" --data "$work/data" --dataset iris
expect 2 "--model is required" -- evaluate --dataset iris
expect 0 "accuracy" -- evaluate --model "$work/iris.npz" --data "$work/data" --dataset iris
expect 1 "cannot write $work/absent/e.json" -- evaluate --model "$work/iris.npz" --data "$work/data" --dataset iris \
  --json "$work/absent/e.json"
[[ "$output" == *"confusion"* ]] && { echo "FAIL: evaluate --json checked its output only after evaluating"; failures=$((failures + 1)); }
expect 2 "--index must be an integer from 0 to 59" -- predict --model "$work/iris.npz" --data "$work/data" --dataset iris --index 60
grep -q '"final"' "$work/iris.json" || { echo "FAIL: the --json report lacks its final accuracy"; failures=$((failures + 1)); }
# best_epoch: the first epoch with the highest accuracy on the checked set.
python3 - "$work/iris.json" <<'PY' || failures=$((failures + 1))
import json, sys
report = json.load(open(sys.argv[1]))
accuracies = [e["accuracy"] for e in report["epochs"]]
best = report["best_epoch"]
if best["epoch"] != accuracies.index(max(accuracies)) + 1 or best["accuracy"] != max(accuracies):
    sys.exit(f"FAIL: best_epoch {best} does not match the epochs' accuracies {accuracies}")
PY

# k-NN: bad arguments, cross-validation on the CSV table, a JSON report.
expect 2 "--k must list values from 1" -- knn --data "$work/data" --dataset iris --cv 5 --k 0
expect 2 "--k must list values from 1" -- knn --data "$work/data" --dataset iris --cv 5 --k 3,x
expect 2 "k = 49 is larger than a training part of the folds (48 rows)" -- knn --data "$work/data" --dataset iris --cv 5 --k 1-49
expect 2 "--cv must be an integer from 2 to 60" -- knn --data "$work/data" --dataset iris --cv 1
expect 2 "iris has no test set; use --cv FOLDS" -- knn --data "$work/data" --dataset iris
expect 2 "--weights must be uniform or distance" -- knn --data "$work/data" --dataset iris --cv 5 --weights cosine
expect 2 "--variant: unknown k-NN kernel 'fast'" -- knn --data "$work/data" --dataset iris --cv 5 --variant fast
expect 1 "the int8 k-NN needs pixel data" -- knn --data "$work/data" --dataset iris --cv 5 --variant int8
expect 0 "best k = " -- knn --data "$work/data" --dataset iris --cv 5 --k 1-15 --weights distance --json "$work/cv.json"
grep -q '"best_k"' "$work/cv.json" || { echo "FAIL: the k-NN --json report lacks best_k"; failures=$((failures + 1)); }

# Outputs: an empty name, two options naming one file, or an output naming an input, are usage
# errors before any work; so is an option given twice, or one the mode would ignore.
expect 2 "--json needs a file name" -- knn --data "$work/data" --dataset iris --cv 3 --k 1 --json ""
[[ "$output" == *"best k"* ]] && { echo "FAIL: knn --json '' ran the search first"; failures=$((failures + 1)); }
expect 2 "--save needs a file name" -- train --data "$work/data" --dataset iris --layers 4,8,3 --epochs 1 --save ""
expect 2 "--out needs a folder name" -- run --only report --out ""
expect 2 "--save and --json name the same file" -- train --data "$work/data" --dataset iris --layers 4,8,3 \
  --save "$work/same" --json "$work/./same"
expect 2 "--json names $work/data/iris/iris.csv, which this command reads" -- knn --data "$work/data" --dataset iris \
  --cv 3 --json "$work/data/iris/iris.csv"
expect 2 "--json names $work/iris.npz, which this command reads" -- evaluate --model "$work/iris.npz" \
  --data "$work/data" --dataset iris --json "$work/iris.npz"
expect 2 "--k is given twice" -- knn --data "$work/data" --dataset iris --cv 3 --k 1 --k 3
expect 2 "--quick is given twice" -- run --quick --quick
expect 2 "--test-limit does nothing with --cv" -- knn --data "$work/data" --dataset iris --cv 3 --test-limit 5
expect 2 "--k does nothing with --plot" -- knn --data "$work/data" --dataset iris --plot "$work/p.svg" --k 3
expect 2 "--plot-k needs --plot" -- knn --data "$work/data" --dataset iris --cv 3 --plot-k 3
expect 2 "--seed shuffles the folds of --cv or --plot" -- knn --train-limit 100 --seed 3
expect 2 "iris has no test set for --test-limit to limit" -- train --data "$work/data" --dataset iris \
  --layers 4,8,3 --test-limit 5
expect 2 "--suites picks benchmark programs: --only must include benchmarks" -- run --only report --suites gemm_bench
# /dev/stdout is the output stream, written in order with what the command prints, not replaced.
expect 0 '"best_k"' -- knn --data "$work/data" --dataset iris --cv 3 --k 1 --json /dev/stdout
[[ "$output" == *"best k = 1"*'"best_k"'* ]] || { echo "FAIL: --json /dev/stdout came before the report"; failures=$((failures + 1)); }
for f in p.svg same; do [ -e "$work/$f" ] && { echo "FAIL: a refused command wrote $f"; failures=$((failures + 1)); }; done

# A model whose weights went NaN is refused on loading: no 8 % accuracy, no crash drawing its bars.
/usr/bin/python3 - "$work/iris.npz" "$work/nan.npz" <<'PY' || failures=$((failures + 1))
import sys
import numpy as np
arrays = dict(np.load(sys.argv[1]))
arrays["weights_0"][0, 0] = np.nan
np.savez(sys.argv[2], **arrays)
PY
expect 1 "nan.npz: array 'weights_0' holds NaN at element 0" -- evaluate --model "$work/nan.npz" --data "$work/data" \
  --dataset iris --split train
expect 1 "nan.npz: array 'weights_0' holds NaN at element 0" -- predict --model "$work/nan.npz" --data "$work/data" \
  --dataset iris --split train

# --validation is a stratified draw of the seed: on a table sorted by class every class is in it.
mkdir -p "$work/sorted/iris"
{ echo "a,b,label"; for c in 0 1 2; do for i in $(seq 0 19); do echo "$((c * 4)).$i,$i.$c,$c"; done; done; } \
  > "$work/sorted/iris/iris.csv"
expect 0 "final validation accuracy" -- train --data "$work/sorted" --dataset iris --layers 2,8,3 --epochs 2 \
  --validation 0.2 --json "$work/sorted.json"
python3 - "$work/sorted.json" <<'PY' || failures=$((failures + 1))
import json, sys
final = json.load(open(sys.argv[1]))["final"]
rows = [sum(row) for row in final["confusion_matrix"]]
if final["total"] != 12 or rows != [4, 4, 4]:
    sys.exit(f"FAIL: --validation 0.2 held out {final['total']} rows, per class {rows}; wanted 12, [4, 4, 4]")
PY
expect 2 "--validation takes a fraction of the training set above 0 and below 1" -- train --data "$work/sorted" \
  --dataset iris --layers 2,8,3 --validation 1.0

# Tables and IDX files that parse but cannot be used: one error naming the file, never a crash,
# a wait, or a silent result.
mkdir -p "$work/one/iris" "$work/classes/iris" "$work/bom/iris"
head -2 "$work/data/iris/iris.csv" > "$work/one/iris/iris.csv"
expect 2 "iris has 1 row; cross-validation needs at least 2" -- knn --data "$work/one" --dataset iris --cv 3
{ cat "$work/data/iris/iris.csv"; echo "1,2,3,4,65535"; } > "$work/classes/iris/iris.csv"
expect 1 "label '65535' is not an integer from 0 to 255" -- knn --data "$work/classes" --dataset iris --cv 3
{ printf '\xef\xbb\xbf+5.0,1,1,1,0\n'; tail -n +2 "$work/data/iris/iris.csv"; } > "$work/bom/iris/iris.csv"
expect 0 "61 training rows" -- knn --data "$work/bom" --dataset iris --cv 3 --k 1
/usr/bin/python3 - "$work" <<'PY' || failures=$((failures + 1))
import gzip, os, struct, sys
work = sys.argv[1]
def idx(dims, values, kind=0x08):
    return bytes([0, 0, kind, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(values)
def mnist(name, train_images, train_labels, test_images, test_labels):
    folder = os.path.join(work, name, "mnist")
    os.makedirs(folder)
    for file, data in (("train-images-idx3-ubyte.gz", train_images), ("train-labels-idx1-ubyte.gz", train_labels),
                       ("t10k-images-idx3-ubyte.gz", test_images), ("t10k-labels-idx1-ubyte.gz", test_labels)):
        if data is not None:
            open(os.path.join(folder, file), "wb").write(data)
images, labels = gzip.compress(idx([4, 2, 6], range(48))), gzip.compress(idx([4], [1, 2, 3, 4]))
mnist("int32", images, gzip.compress(idx([4], [0] * 16, 0x0C)), images, labels)
mnist("no-tests", images, labels, gzip.compress(idx([0, 2, 6], [])), gzip.compress(idx([0], [])))
mnist("shape", images, labels, gzip.compress(idx([4, 3, 4], range(48))), labels)
mnist("no-pixels", gzip.compress(idx([4, 0, 6], [])), labels, images, labels)
mnist("trailing", images, labels + b"garbage", images, labels)
mnist("fifo", None, labels, images, labels)
os.mkfifo(os.path.join(work, "fifo", "mnist", "train-images-idx3-ubyte.gz"))
PY
expect 1 "train-labels-idx1-ubyte.gz: IDX element type 0x0c (int32) is not supported" -- knn --data "$work/int32"
expect 1 "t10k-images-idx3-ubyte.gz: holds no images" -- knn --data "$work/no-tests"
expect 1 "t10k-images-idx3-ubyte.gz: images are 3x4, the training images 2x6" -- knn --data "$work/shape"
expect 1 "train-images-idx3-ubyte.gz: its images are 0x6: no pixels" -- knn --data "$work/no-pixels"
expect 1 "train-labels-idx1-ubyte.gz: has data after the end of its gzip stream" -- knn --data "$work/trailing"
output=$(timeout 60 "$simdml" knn --data "$work/fifo" 2>&1)
if [ $? -ne 1 ] || [[ "$output" != *"is not a regular file"* ]]; then
  echo "FAIL: an IDX file that is a FIFO was not refused at once: $output"; failures=$((failures + 1))
else echo "ok: an IDX file that is a FIFO is refused"; fi

mnist=${SIMDML_DATA:-}/mnist
if [ -n "${SIMDML_DATA:-}" ] && [ -d "$mnist" ]; then
  for threads in 1 2; do
    expect 0 "epoch 2/2" -- train --train-limit 3000 --test-limit 1000 --epochs 2 --batch 64 --layers 784,100,10 \
      --activation relu --loss cross-entropy --init he --eta 0.1 --threads "$threads" --save "$work/t$threads.npz"
  done
  if cmp -s "$work/t1.npz" "$work/t2.npz"; then echo "ok: 1 and 2 threads give byte-identical models"
  else echo "FAIL: the models from 1 and 2 threads differ"; failures=$((failures + 1)); fi
  expect 0 "confusion matrix" -- evaluate --model "$work/t1.npz" --limit 500
  expect 0 "predicted" -- predict --model "$work/t1.npz" --index 0
  expect 2 "the model takes 4 features and has 3 outputs; mnist test has 784" -- evaluate --model "$work/iris.npz"
  expect 2 "k = 1001 is larger than the training set (1000 rows)" -- knn --train-limit 1000 --k 1,1001
  for threads in 1 2; do
    "$simdml" knn --train-limit 2000 --test-limit 500 --k 1,3,5 --threads "$threads" --json "$work/knn$threads.json" > /dev/null
    sed -n '/"results"/,/"seconds"/p' "$work/knn$threads.json" > "$work/knn$threads.results"
  done
  if [ -s "$work/knn1.results" ] && cmp -s "$work/knn1.results" "$work/knn2.results"; then
    echo "ok: k-NN accuracies are identical with 1 and 2 threads"
  else echo "FAIL: k-NN results differ between 1 and 2 threads (or are missing)"; failures=$((failures + 1)); fi
else
  echo "skipped the MNIST checks: SIMDML_DATA does not hold mnist/"
fi

[ "$failures" -eq 0 ] && echo "all CLI checks passed" || echo "$failures CLI checks failed"
exit "$failures"
