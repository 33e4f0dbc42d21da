#!/usr/bin/env bash
# Bounded memory on the largest data: exact k-NN over the full Fashion-MNIST (60,000 x 10,000) and
# an epoch of the 784-100-10 network on it must each peak below 1 GiB resident (as the programs
# report it from getrusage; training's peak is reached in its first epoch).
#   memory_test.sh <simdml>
set -euo pipefail
simdml=$1
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ ! -d "${SIMDML_DATA:-data}/fashion-mnist" ]; then
  echo "skipped: Fashion-MNIST is not installed (apt install dataset-fashion-mnist)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$simdml" knn --dataset fashion-mnist --k 7 --json "$work/knn.json" > /dev/null
"$simdml" train --dataset fashion-mnist --layers 784,100,10 --activation relu --loss cross-entropy --init he \
  --batch 64 --eta 0.1 --epochs 1 --json "$work/train.json" > /dev/null
for run in knn train; do
  mib=$(sed -n 's/.*"peak_resident_mib": \([0-9.]*\).*/\1/p' "$work/$run.json")
  echo "$run: peak resident ${mib} MiB"
  awk -v m="$mib" 'BEGIN { exit !(m > 0 && m < 1024) }' || { echo "FAIL: $run peaked at ${mib} MiB (limit 1024)"; exit 1; }
done
