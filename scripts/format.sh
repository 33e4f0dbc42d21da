#!/usr/bin/env bash
# Rewrites every C and C++ file git tracks in the project's style (.clang-format), or with --check
# lists the files it would change and exits 1 (ctest runs that as Style.ClangFormat).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
format=$(command -v clang-format-14 || command -v clang-format) ||
  { echo "clang-format not found (apt install clang-format)" >&2; exit 77; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.c' '*.h')
if [ "${1:-}" = --check ]; then
  bad=()
  for f in "${files[@]}"; do
    "$format" --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
  done
  [ ${#bad[@]} -eq 0 ] && { echo "${#files[@]} files formatted"; exit 0; }
  printf 'not formatted (run scripts/format.sh): %s\n' "${bad[@]}"
  exit 1
fi
"$format" -i "${files[@]}"
