#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine, in one command: set the machine up (scripts/setup.sh:
# packages, MNIST when online, the Release build), then `build/simdml run` with any options given
# here (--quick, --full, --out DIR, --threads N, ...). Safe to run again: set-up only does what is
# missing, and each run writes a new results folder.
#
#   scripts/main_job.sh                  # results/<date>-<time>/report.md
#   scripts/main_job.sh --quick
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
exec "${SIMDML_BUILD_DIR:-$repo/build}/simdml" run "$@"
