#!/usr/bin/env bash
# The tests on a fresh Debian 12 machine, in one command (CI runs exactly this): set the machine up
# if needed (scripts/setup.sh), run the whole suite on the Release build, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then fuzz each file parser for 20 s. Safe to run
# again: set-up and both builds are incremental. About 8 minutes on 2 cores from a fresh clone.
#
#   scripts/test.sh                      # everything above
#   scripts/test.sh --release-only       # the Release suite alone (about 2 minutes once built)
#
# Data comes from SIMDML_DATA (default ./data); tests that need a dataset it lacks are skipped.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
case "${1:-}" in
  "") sanitizers=1 ;;
  --release-only) sanitizers= ;;
  *) echo "usage: scripts/test.sh [--release-only]" >&2; exit 2 ;;
esac
scripts/setup.sh
ctest --test-dir build --output-on-failure -j 2
[ -n "$sanitizers" ] || exit 0
cmake --preset asan-ubsan > /dev/null
cmake --build --preset asan-ubsan -j 2 > /dev/null
ctest --preset asan-ubsan
scripts/fuzz.sh 20
