#!/usr/bin/env bash
# The reference BLAS testers against libsimdml_blas.so: netlib's xblat3s (sgemm_) and xscblat3
# (cblas_sgemm, column- and row-major), from Debian's libblas-test, with their error-exit tests on
# and sizes past every micro-kernel tile, on each SIMD target this CPU runs and on both paths of the
# simd kernel. The dynamic linker's own report (LD_DEBUG=bindings) must show the testers' calls
# bound to simdml's library, not to the system BLAS.
#   tests/blas_conformance_test.sh path/to/libsimdml_blas.so path/to/simdml
set -uo pipefail
lib=$(realpath "$1")
simdml=$(realpath "$2")
testers=/usr/lib/x86_64-linux-gnu/blas
if [ ! -x "$testers/xblat3s" ] || [ ! -x "$testers/xscblat3" ]; then
  echo "the netlib BLAS testers are missing (apt-get install libblas-test; scripts/setup.sh does): skipped"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Only the gemm routines run (the others would test the system BLAS); error exits on; nine sizes
# (the testers' most) up to 65 (their largest): below, at and past the tiles' rows and columns
# (sse2 6 x 8, avx2 6 x 16, avx512 12 x 32). Every M, N and K is drawn from them.
sizes="0 1 7 12 13 31 33 48 65"
edit_input() {  # edit_input <gemm routine's name> < reference input > edited input
  sed -e "s/^[0-9]* *NUMBER OF VALUES OF N/9                 NUMBER OF VALUES OF N/" \
      -e "s/^0 1 2 3 5 9 *VALUES OF N/$sizes       VALUES OF N/" \
      -e "s/^F\( *LOGICAL FLAG, T TO TEST ERROR EXITS\)/T\1/" \
      -e "/^$1 /!s/^\([A-Za-z0-9_]* *\)T PUT F FOR NO TEST/\1F PUT F FOR NO TEST/"
}
edit_input SGEMM < "$testers/sblat3.in" > sblat3.in
edit_input cblas_sgemm < "$testers/sin3" > sin3

# check <log> <expected line>...: each line present, and no line of a failure.
check() {
  local log=$1 what=$2
  shift 2
  for line in "$@"; do
    grep -qF "$line" "$log" || fail "$what: no \"$line\" in its output"
  done
  if grep -qE "FAIL|XERBLA WAS CALLED|NOT DETECTED|SUSPECT|VALUE OF N IS" "$log"; then
    fail "$what:"
    grep -E "FAIL|XERBLA WAS CALLED|NOT DETECTED|SUSPECT|VALUE OF N IS" "$log" | head -20
  fi
}

targets=$("$simdml" info | sed -n 's/^simd targets: *\(.*\) supported.*/\1/p')
[ -n "$targets" ] || { echo "FAIL: simdml info names no supported target"; exit 1; }
calls=$((9 * 9 * 9 * 3 * 3 * 9))  # M, N, K; alpha; beta; the nine transposition pairs
for isa in $targets; do
  for path in packed unpacked; do
    run="$isa, $path path"
    rm -f sblat3.out
    SIMDML_ISA=$isa SIMDML_GEMM_PATH=$path LD_PRELOAD=$lib "$testers/xblat3s" < sblat3.in > xblat3s.log 2>&1
    check sblat3.out "xblat3s ($run)" "FOR N                   0     1     7    12    13    31    33    48    65" \
      "SGEMM  PASSED THE TESTS OF ERROR-EXITS" "SGEMM  PASSED THE COMPUTATIONAL TESTS ( $calls CALLS)" \
      "SSYMM  WAS NOT TESTED"
    SIMDML_ISA=$isa SIMDML_GEMM_PATH=$path LD_PRELOAD=$lib "$testers/xscblat3" < sin3 > xscblat3.log 2>&1
    check xscblat3.log "xscblat3 ($run)" "cblas_sgemm  PASSED THE TESTS OF ERROR-EXITS" \
      "cblas_sgemm  PASSED THE COLUMN-MAJOR COMPUTATIONAL TESTS ( $calls CALLS)" \
      "cblas_sgemm  PASSED THE ROW-MAJOR    COMPUTATIONAL TESTS ( $calls CALLS)"
    echo "ran both testers: $run"
  done
done

# Whose sgemm_ and cblas_sgemm the testers called.
for tester in xblat3s xscblat3; do
  input=$([ $tester = xblat3s ] && echo sblat3.in || echo sin3)
  symbol=$([ $tester = xblat3s ] && echo sgemm_ || echo cblas_sgemm)
  LD_DEBUG=bindings LD_DEBUG_OUTPUT="$work/bindings-$tester" LD_PRELOAD=$lib "$testers/$tester" < $input > /dev/null 2>&1
  if grep -hq "binding file $testers/$tester \[0\] to $lib \[0\]: normal symbol \`$symbol'" "$work"/bindings-$tester.*; then
    echo "ok: $tester's $symbol is simdml's"
  else
    fail "$tester's $symbol did not bind to $lib:"
    grep -h "normal symbol \`$symbol'" "$work"/bindings-$tester.* | head -3
  fi
done

[ "$failures" -eq 0 ] && echo "the netlib testers pass on: $targets" || echo "$failures failures"
exit "$failures"
