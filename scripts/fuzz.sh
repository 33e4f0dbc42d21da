#!/usr/bin/env bash
# Fuzzes the file parsers (IDX, CSV, model files) with libFuzzer, each for a bounded time, starting
# from the committed corpus in tests/fuzz/corpus/<target>/. Needs the asan-ubsan build:
#   cmake --preset asan-ubsan && cmake --build --preset asan-ubsan -j 2
#   scripts/fuzz.sh [seconds per target, default 60]
# New inputs that reach new code go to build-asan/fuzz-corpus/ (not the repository). A crash stops
# its target with a non-zero exit and leaves the input in build-asan/fuzz-artifacts/: fix the bug,
# then commit the input under tests/fuzz/corpus/<target>/, where every build replays it as a test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
build=${SIMDML_FUZZ_BUILD:-build-asan}
status=0
for target in idx csv model; do
  fuzzer=$build/tests/fuzz/${target}_fuzzer
  [ -x "$fuzzer" ] || { echo "fuzz.sh: $fuzzer is missing (build the asan-ubsan preset)"; exit 1; }
  mkdir -p "$build/fuzz-corpus/$target" "$build/fuzz-artifacts"
  echo "== $target: ${seconds} s"
  if ! "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$build/fuzz-artifacts/$target-" "$build/fuzz-corpus/$target" "tests/fuzz/corpus/$target" \
       > "$build/fuzz-artifacts/$target.log" 2>&1; then
    echo "fuzz.sh: $target failed; the input is in $build/fuzz-artifacts/, the log in $build/fuzz-artifacts/$target.log:"
    tail -40 "$build/fuzz-artifacts/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-artifacts/$target.log" | tr '\n' ' '
    echo
  fi
done
exit $status
