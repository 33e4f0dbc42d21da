#!/usr/bin/env bash
# Sets up a fresh Debian machine for simdml: the Debian packages it builds and benchmarks with,
# the MNIST data (fetched and md5-checked when the machine is online), iris (from scikit-learn's
# package), and a Release build.
# Idempotent: packages already present are not reinstalled, data already verified is kept, and
# the build is incremental. Offline, everything but the MNIST download still happens.
#
#   scripts/setup.sh            # packages, data, build into ./build
#   SIMDML_SKIP_DATA=1 scripts/setup.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${SIMDML_BUILD_DIR:-$repo/build}

packages=(
  g++ cmake make pkg-config
  libgtest-dev libbenchmark-dev libxsimd-dev zlib1g-dev
  libopenblas-dev          # the reference BLAS in tests and benchmarks
  libblas-test             # netlib's BLAS testers (xblat3s, xscblat3), run on libsimdml_blas in ctest
  libfaiss-dev             # faiss IndexFlatL2, the k-NN benchmark's reference
  libxsmm-dev              # libxsmm's JIT kernels, the small-matrix peer in gemm_bench
  libeigen3-dev            # Eigen's array functions, the peer in activation_bench
  libopenmpi-dev openmpi-bin   # MPI: simdml train and knn as ranks of an mpirun job
  dataset-fashion-mnist    # /usr/share/datasets/fashion-mnist
  python3 python3-scipy python3-matplotlib python3-yaml   # report plots, rank and change-point tests, the workflow test
  python3-torch            # PyTorch, the training peer (simdml_run.torch_train_bench)
  python3-sklearn          # scikit-learn: iris's rows for data/iris, and the k-NN peer
  valgrind                 # the instruction-count gate (callgrind)
  clang-format             # the style check (scripts/format.sh --check, in ctest)
  dpkg-dev                 # cpack -G DEB reads library dependencies with dpkg-shlibdeps
  chromium                 # the history page rendered as a person sees it (tests/history_test.py)
  clang libclang-rt-14-dev libomp-14-dev   # the asan-ubsan preset and the libFuzzer targets
  curl ca-certificates
)

log() { printf 'setup: %s\n' "$*"; }

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all Debian packages present"
    return
  fi
  log "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The official MNIST files and their md5 sums. Only downloaded when missing, into
# $SIMDML_DATA/mnist (default ./data/mnist); each file lands under its name only once verified.
fetch_mnist() {
  local dir=${SIMDML_DATA:-$repo/data}/mnist
  local -A md5=(
    [train-images-idx3-ubyte.gz]=f68b3c2dcbeaaa9fbdd348bbdeb94873
    [train-labels-idx1-ubyte.gz]=d53e105ee54ea40749a09fcbcd1e9432
    [t10k-images-idx3-ubyte.gz]=9fb629c4189551a2d022fa330f9573f3
    [t10k-labels-idx1-ubyte.gz]=ec29112dd5afa0611ce80d1b7f02629c
  )
  local mirrors=(https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist)
  if [ -n "${SIMDML_SKIP_DATA:-}" ] || [ "${CI:-}" = true ]; then
    log "skipping the MNIST download (CI or SIMDML_SKIP_DATA); data comes from SIMDML_DATA"
    return
  fi
  if [ -d "$dir" ] && [ ! -w "$dir" ]; then
    log "MNIST folder $dir is read-only; using it as it is"
    return
  fi
  mkdir -p "$dir"
  for file in "${!md5[@]}"; do
    [ -f "$dir/$file" ] && continue  # present: possibly the 20k-image subset, which is fine
    local ok=
    for mirror in "${mirrors[@]}"; do
      local tmp
      tmp=$(mktemp "$dir/.$file.XXXXXX")
      if curl -fsSL --connect-timeout 10 --max-time 300 "$mirror/$file" -o "$tmp" &&
         [ "$(md5sum "$tmp" | cut -d' ' -f1)" = "${md5[$file]}" ]; then
        mv "$tmp" "$dir/$file"
        ok=1
        break
      fi
      rm -f "$tmp"
    done
    if [ -n "$ok" ]; then
      log "fetched and verified $file"
    else
      log "could not fetch $file (offline?); point SIMDML_DATA at a folder holding mnist/"
    fi
  done
}

# iris: scikit-learn's copy of the UCI table (the same 150 rows), under the header simdml's CSV
# reader names its columns by, into $SIMDML_DATA/iris (default ./data/iris).
fetch_iris() {
  local dir=${SIMDML_DATA:-$repo/data}/iris
  local source=/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv
  if [ -n "${SIMDML_SKIP_DATA:-}" ] || [ "${CI:-}" = true ] || [ -f "$dir/iris.csv" ]; then
    return
  fi
  if [ ! -f "$source" ] || { [ -d "$dir" ] && [ ! -w "$dir" ]; }; then
    log "no iris under $dir and none to copy ($source); point SIMDML_DATA at a folder holding iris/"
    return
  fi
  mkdir -p "$dir"
  local tmp
  tmp=$(mktemp "$dir/.iris.csv.XXXXXX")
  { echo "sepal_length,sepal_width,petal_length,petal_width,species"; tail -n +2 "$source"; } > "$tmp"
  mv "$tmp" "$dir/iris.csv"
  log "wrote $dir/iris.csv from scikit-learn's copy"
}

build() {
  cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j "$(nproc)"
  log "built into $build_dir ($("$build_dir/simdml" info | grep 'simd target used'))"
}

install_packages
fetch_mnist
fetch_iris
build
