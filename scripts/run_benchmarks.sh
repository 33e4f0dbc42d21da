#!/usr/bin/env bash
# The benchmark run behind README's results tables: machine info, the FMA peak, GEMM (every
# variant and target beside OpenBLAS, 1 and 2 threads), the activations and training throughput
# (every GEMM variant, batch 10/64/256, hidden 30/100/500, and the 20,000-image epoch) and k-NN
# (every variant and faiss on MNIST 20,000 x 10,000 and Fashion-MNIST 60,000 x 10,000), each suite with
# repetitions interleaved at random so that drift hits every variant alike. Writes Google
# Benchmark JSON and text into a results folder.
#
#   scripts/run_benchmarks.sh [--quick] [results-folder]
#   SIMDML_BENCH_THREADS=1,2,4,8,16 scripts/run_benchmarks.sh    # thread scaling on a larger machine
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=3 min_time=0.2 gemm_filter='/(64|128|256|512|1024|2048)x|x(10|30|100|784)x' train_filter='.' knn_filter='.'
if [ "${1:-}" = --quick ]; then
  shift
  reps=1 min_time=0.05 gemm_filter='/(256|1024)x1024|x(10|30|100|784)x' train_filter='simd|nielsen'
  knn_filter='knn/mnist-.*(int8-avx|blocked|faiss)'
fi
out=${1:-results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

run() {  # run <suite> [extra flags]: one benchmark program into $out/<suite>.{json,txt}
  local suite=$1
  shift
  echo "== $suite"
  "build/bench/$suite" --benchmark_min_time="$min_time" --benchmark_repetitions="$reps" \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$suite.json" --benchmark_out_format=json "$@" | tee "$out/$suite.txt"
}

build/simdml info | tee "$out/info.txt"
run peak_bench
run gemm_bench --benchmark_filter="$gemm_filter"
run activation_bench
run train_bench --benchmark_filter="$train_filter"
# k-NN data: $SIMDML_DATA, else ../shared/data beside the repository, else ./data (setup's download).
if [ -z "${SIMDML_DATA:-}" ] && [ -d ../shared/data/mnist ]; then export SIMDML_DATA=../shared/data; fi
run knn_bench --benchmark_filter="$knn_filter"
echo "results in $out"
