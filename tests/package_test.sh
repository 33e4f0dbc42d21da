#!/usr/bin/env bash
# simdml as another project meets it:
#   1. `cmake --install` into a fresh prefix. A consumer project (tests/consumer) builds against it
#      with find_package and, separately, with pkg-config, and both programs run. The installed
#      simdml then runs its accuracy and report stages from that prefix alone: the Python package
#      and baselines must come from share/simdml, the build tree is moved out of its way.
#   2. `cpack -G DEB`. The package's control fields name its dependencies, and the tree it unpacks
#      passes the consumer checks of step 1.
# usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# consume PREFIX NAME: builds tests/consumer against PREFIX both ways and runs what it built.
consume() {
  local prefix=$1 name=$2
  cmake -S "$source/tests/consumer" -B "$work/$name-cmake" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release > "$work/$name-configure.log" 2>&1 ||
    { cat "$work/$name-configure.log"; fail "$name: find_package(simdml) did not configure"; }
  cmake --build "$work/$name-cmake" -j 2 > "$work/$name-build.log" 2>&1 ||
    { cat "$work/$name-build.log"; fail "$name: the consumer did not build"; }
  "$work/$name-cmake/consumer" | grep -q "ok" || fail "$name: the CMake consumer's GEMM or k-NN was wrong"
  "$work/$name-cmake/blas_consumer" | grep -q "ok" || fail "$name: cblas_sgemm through simdml::blas was wrong"
  echo "ok: $name: find_package(simdml) builds and runs simdml::simdml and simdml::blas"

  local pc="$prefix/lib/pkgconfig"
  [ -f "$pc/simdml.pc" ] || pc=$(dirname "$(find "$prefix" -name simdml.pc | head -n 1)")
  # shellcheck disable=SC2046
  g++ -std=c++20 -O2 "$source/tests/consumer/consumer.cpp" -o "$work/$name-pc" \
      $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs simdml) ||
    fail "$name: the consumer did not build with pkg-config simdml"
  "$work/$name-pc" | grep -q "ok" || fail "$name: the pkg-config consumer was wrong"
  # shellcheck disable=SC2046
  gcc -O2 "$source/tests/consumer/blas_consumer.c" -o "$work/$name-blas-pc" \
      $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs simdml-blas) -Wl,-rpath,"$prefix/lib" ||
    fail "$name: the BLAS consumer did not build with pkg-config simdml-blas"
  LD_LIBRARY_PATH="$(dirname "$(find "$prefix" -name 'libsimdml_blas.so*' | head -n 1)")" \
    "$work/$name-blas-pc" | grep -q "ok" || fail "$name: the pkg-config BLAS consumer was wrong"
  echo "ok: $name: pkg-config simdml and simdml-blas build and run"
}

# 1. An installed prefix.
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
for f in bin/simdml lib/libsimdml.a lib/libsimdml_blas.so include/simdml/gemm.hpp \
         lib/cmake/simdml/simdmlConfig.cmake lib/pkgconfig/simdml.pc \
         share/simdml/python/simdml_run/report.py share/simdml/baselines/accuracy.json; do
  [ -e "$prefix/$f" ] || fail "cmake --install put no $f under the prefix"
done
echo "ok: cmake --install lays out bin, lib, include, libexec and share"
consume "$prefix" installed

# The installed program on its own: copied out of reach of the build tree's Python package, it must
# find it under its prefix. Its accuracy runs still equal the committed baselines.
if [ -n "${SIMDML_DATA:-}" ] && [ -d "$SIMDML_DATA/mnist" ]; then
  "$prefix/bin/simdml" run --quick --only accuracy,report --out "$work/run" > "$work/run.log" 2>&1 ||
    { tail -n 30 "$work/run.log"; fail "the installed simdml run failed"; }
  grep -q "^\$ PYTHONPATH=$prefix/share/simdml/python[: ].* -m simdml_run.report " "$work/run/logs/report.log" ||
    fail "the installed simdml run did not use the installed report module"
  grep -q "| match |" "$work/run/report.md" || fail "the installed run's accuracy differs from the baselines"
  echo "ok: the installed simdml run finds its Python package and baselines under the prefix"
  "$prefix/bin/simdml" history add --db "$work/history.db" "$work/run" | grep -q "^recorded: run 1" ||
    fail "the installed simdml history did not record the run"
  "$prefix/bin/simdml" history check --db "$work/history.db" > /dev/null ||
    fail "the installed simdml history check failed on a one-run history"
  "$prefix/bin/simdml" history report --db "$work/history.db" --out "$work/page" > /dev/null &&
    [ -s "$work/page/index.html" ] || fail "the installed simdml history report wrote no page"
  echo "ok: the installed simdml history records, checks and reports the run"
else
  echo "skip: SIMDML_DATA holds no mnist/; the installed simdml run is not tried"
fi

# 2. The Debian package.
( cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/deb" > "$work/cpack.log" 2>&1 ) ||
  { tail -n 30 "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(find "$work/deb" -maxdepth 1 -name 'simdml_*.deb' | head -n 1)
[ -n "$deb" ] || fail "cpack wrote no simdml_*.deb"
depends=$(dpkg-deb --field "$deb" Depends)
for needed in libgomp1 zlib1g python3; do
  grep -q "$needed" <<< "$depends" || fail "the package's Depends ($depends) lacks $needed"
done
dpkg-deb --contents "$deb" > "$work/contents.txt"
grep -q "./usr/bin/simdml$" "$work/contents.txt" || fail "the package installs no /usr/bin/simdml"
dpkg-deb -x "$deb" "$work/unpacked"
"$work/unpacked/usr/bin/simdml" info > /dev/null || fail "the packaged simdml does not run"
echo "ok: $(basename "$deb") depends on: $depends"
consume "$work/unpacked/usr" packaged
echo "all package checks passed"
