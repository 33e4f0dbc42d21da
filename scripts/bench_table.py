#!/usr/bin/env python3
"""Markdown tables from the Google Benchmark JSON that scripts/run_benchmarks.sh writes.

    scripts/bench_table.py results/<run>     # prints the GEMM and activation tables

GEMM: GFLOP/s per kernel and shape (medians), the simd kernel's ratio to OpenBLAS and to naive, and
its share of the FMA peak measured in the same run. Activations: elements/s of the reference and of
each SIMD target, their ratio, and bytes/s against a plain copy (the memory-bandwidth yardstick).
"""
import json
import sys
from pathlib import Path

# Columns in a fixed order (random interleaving shuffles the JSON), lowest target first.
KERNEL_ORDER = ["naive", "blocked", "simd-sse2", "simd-avx2", "simd-avx512", "openblas"]
TARGET_ORDER = ["simd-sse2", "simd-avx2", "simd-avx512"]


def medians(path):
    """{run_name without /real_time: benchmark entry} for the median aggregates (or plain runs)."""
    data = json.loads(Path(path).read_text())
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        out[b["run_name"].replace("/real_time", "")] = b
    return data["context"], out


def gemm_table(folder):
    _, peak = medians(folder / "peak_bench.json")
    _, runs = medians(folder / "gemm_bench.json")
    simd = "simd-avx512" if any("simd-avx512" in k for k in runs) else "simd-avx2"
    isa = simd.split("-")[1]
    shapes, kernels = [], []
    for name in runs:
        _, kernel, shape, threads = name.split("/")
        if (shape, threads) not in shapes:
            shapes.append((shape, threads))
        if kernel not in kernels:
            kernels.append(kernel)
    kernels.sort(key=KERNEL_ORDER.index)
    shapes.sort(key=lambda s: (s[0].endswith("NN") is False, int(s[0].split("x")[0]) * int(s[0].split("x")[1]), s[0], s[1]))
    lines = ["| shape (MxNxK, op) | threads | " + " | ".join(kernels) +
             f" | {simd} / OpenBLAS | {simd} / naive | {simd} % of peak |",
             "|---|---|" + "---|" * (len(kernels) + 3)]
    for shape, threads in shapes:
        g = {k: runs[f"gemm/{k}/{shape}/{threads}"]["FLOP/s"] / 1e9
             for k in kernels if f"gemm/{k}/{shape}/{threads}" in runs}
        t = int(threads.split(":")[1])
        fma_peak = peak.get(f"fma_peak/{isa}/{threads}", {}).get("FLOP/s", float("nan")) / 1e9
        cells = [f"{g[k]:.1f}" if k in g else "-" for k in kernels]
        vs_blas = f"{g[simd] / g['openblas']:.2f}x" if "openblas" in g else "-"
        vs_naive = f"{g[simd] / g['naive']:.0f}x" if "naive" in g else "-"
        lines.append(f"| {shape} | {t} | " + " | ".join(cells) +
                     f" | {vs_blas} | {vs_naive} | {100 * g[simd] / fma_peak:.0f} % |")
    return "GEMM, GFLOP/s:\n\n" + "\n".join(lines)


def activation_table(folder):
    _, runs = medians(folder / "activation_bench.json")
    sizes = sorted({int(n.split("/")[-1]) for n in runs})
    targets = sorted({n.split("/")[1] for n in runs if n.split("/")[1].startswith("simd")},
                     key=TARGET_ORDER.index)
    functions = []
    for n in runs:
        f = n.split("/")[0]
        if f != "copy" and f not in functions:
            functions.append(f)
    head = "| function | n | reference | " + " | ".join(targets) + \
        f" | {targets[-1]} / reference | {targets[-1]} GB/s | copy GB/s | % of copy |"
    lines = [head, "|---|---|---|" + "---|" * (len(targets) + 4)]
    for f in functions:
        for n in sizes:
            ref = runs[f"{f}/reference/{n}"]
            best = runs[f"{f}/{targets[-1]}/{n}"]
            copy = runs[f"copy/memory/{n}"]
            cells = [f"{runs[f'{f}/{t}/{n}']['items_per_second'] / 1e9:.2f}" for t in targets]
            lines.append(
                f"| {f} | {n:.0e} | {ref['items_per_second'] / 1e9:.3f} | " + " | ".join(cells) +
                f" | {best['items_per_second'] / ref['items_per_second']:.1f}x"
                f" | {best['bytes_per_second'] / 1e9:.1f} | {copy['bytes_per_second'] / 1e9:.1f}"
                f" | {100 * best['bytes_per_second'] / copy['bytes_per_second']:.0f} % |")
    return "Activations, G elements/s (one thread):\n\n" + "\n".join(lines)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    print(gemm_table(folder))
    print()
    print(activation_table(folder))


if __name__ == "__main__":
    main()
