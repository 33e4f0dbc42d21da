"""Markdown tables from the Google Benchmark JSON in a results folder of `simdml run` (report.py uses them).

    python3 -m simdml_run.bench_table results/<run>     # prints the GEMM, activation, training and k-NN tables

Every figure is the median of its clean repetitions (clean_figures.py); one with too few is marked
† and left out of ratios and shares. Limits are the best clean repetition of the FMA peak and of the
copies (limits.py); a figure above its limit shows both values, marked ‡.
GEMM: GFLOP/s per kernel and shape, the simd kernel's ratio to OpenBLAS, to libxsmm and
to naive, and its share of the FMA peak: the one gemm_bench measured interleaved with the GEMMs, else
peak_bench's. Activations: elements/s of the reference and of each SIMD target, their ratio, Eigen's
elements/s for the best target and simdml's ratio to it, and bytes/s against the best copy (the memory-bandwidth yardstick).
Training: samples/s per GEMM variant, batch and hidden size, the 2-thread speed-up, and the
20,000-image Nielsen epoch in seconds. k-NN: seconds and queries/s per variant and thread count
for each dataset, GOPS, and the ratio to faiss's IndexFlatL2. A table whose JSON is missing from the
folder is skipped.
"""
import json
import sys
from pathlib import Path

from . import clean_figures, limits
from .units import TIME_UNITS

# Columns in a fixed order (random interleaving shuffles the JSON), lowest target first.
KERNEL_ORDER = ["naive", "blocked", "simd-sse2", "simd-avx2", "simd-avx512", "openblas", "libxsmm"]
TARGET_ORDER = ["simd-sse2", "simd-avx2", "simd-avx512"]
# Seconds per Google Benchmark time unit.


def medians(path):
    """(context, {run_name without /real_time: figure}): each figure the median of its clean
    repetitions, with disturbed set when it has too few (clean_figures.summarize)."""
    context, figures, _ = clean_figures.load(path)
    return context, figures


def repetitions(path):
    return clean_figures.load(path)[2]


def mark(figure, text):
    """A figure's cell, marked † when it lacks clean repetitions."""
    return f"{text} †" if figure and figure.get("disturbed") else text


def ratio(a, b, key, digits=2):
    """a / b of `key`, or "-" when either is missing or disturbed."""
    if not a or not b or a.get("disturbed") or b.get("disturbed"):
        return "-"
    return f"{a[key] / b[key]:.{digits}f}x"


def gemm_runs_and_peaks(folder):
    """The GEMM figures of gemm_bench.json and the repetitions of the FMA peaks to set them
    against. The peaks are those gemm_bench ran beside the GEMMs (same run, same clock drift); a
    folder without them falls back to peak_bench.json, a separate program run minutes apart."""
    _, everything, reps = clean_figures.load(folder / "gemm_bench.json")
    runs = {n: b for n, b in everything.items() if n.startswith("gemm/")}
    peaks = {n: r for n, r in reps.items() if n.startswith("fma_peak/")}
    if not peaks and (folder / "peak_bench.json").exists():
        peaks = repetitions(folder / "peak_bench.json")
    return runs, peaks


def gemm_table(folder):
    runs, peak_reps = gemm_runs_and_peaks(folder)
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
    # A ratio column per peer that ran: a peer the build lacked has none (the report says why).
    ratios = [(peer, label, digits) for peer, label, digits in
              (("openblas", "OpenBLAS", 2), ("libxsmm", "libxsmm", 2), ("naive", "naive", 0)) if peer in kernels]
    lines = ["| shape (MxNxK, op) | threads | " + " | ".join(kernels) +
             "".join(f" | {simd} / {label}" for _, label, _ in ratios) + f" | {simd} % of peak |",
             "|---|---|" + "---|" * (len(kernels) + len(ratios) + 1)]
    for shape, threads in shapes:
        f = {k: runs[f"gemm/{k}/{shape}/{threads}"] for k in kernels if f"gemm/{k}/{shape}/{threads}" in runs}
        t = int(threads.split(":")[1])
        cells = [mark(f[k], f"{f[k]['FLOP/s'] / 1e9:.1f}") if k in f else "-" for k in kernels]
        cells += [ratio(f.get(simd), f.get(peer), "FLOP/s", digits) for peer, _, digits in ratios]
        peak = limits.fma_peak(peak_reps, isa, threads)
        simd_figure = f.get(simd, {})
        cells.append(limits.share(simd_figure, simd_figure.get("FLOP/s"), peak))
        lines.append(f"| {shape} | {t} | " + " | ".join(cells) + " |")
    return "GEMM, GFLOP/s:\n\n" + "\n".join(lines)


def activation_table(folder):
    _, all_runs, reps = clean_figures.load(folder / "activation_bench.json")
    runs = {n: b for n, b in all_runs.items() if not n.startswith("underflow/")}
    sizes = sorted({int(n.split("/")[-1]) for n in runs})
    targets = sorted({n.split("/")[1] for n in runs if n.split("/")[1].startswith("simd")},
                     key=TARGET_ORDER.index)
    # Eigen's set for the best target, when the benchmark was built with it.
    eigen = "eigen-" + targets[-1].split("-", 1)[1]
    has_eigen = any(n.split("/")[1] == eigen for n in runs)
    functions = []
    for n in runs:
        f = n.split("/")[0]
        if f != "copy" and f not in functions:
            functions.append(f)
    eigen_head = f" {eigen} | {targets[-1]} / {eigen} |" if has_eigen else ""
    head = "| function | n | reference | " + " | ".join(targets) + \
        f" | {targets[-1]} / reference |{eigen_head} {targets[-1]} GB/s | copy GB/s | % of copy |"
    lines = [head, "|---|---|---|" + "---|" * (len(targets) + 4 + 2 * has_eigen)]
    for f in functions:
        for n in sizes:
            ref = runs[f"{f}/reference/{n}"]
            best = runs[f"{f}/{targets[-1]}/{n}"]
            copy = limits.copy_bandwidth(reps, n)
            cells = [mark(runs[f"{f}/{t}/{n}"], f"{runs[f'{f}/{t}/{n}']['items_per_second'] / 1e9:.2f}") for t in targets]
            peer = runs.get(f"{f}/{eigen}/{n}")
            eigen_cells = ""
            if has_eigen:  # Eigen has no softmax or byte conversion: those rows show "-"
                eigen_cells = (f" | {mark(peer, format(peer['items_per_second'] / 1e9, '.2f'))}"
                               f" | {ratio(best, peer, 'items_per_second')}" if peer else " | - | -")
            lines.append(
                f"| {f} | {n:.0e} | {mark(ref, format(ref['items_per_second'] / 1e9, '.3f'))} | " + " | ".join(cells) +
                f" | {ratio(best, ref, 'items_per_second', 1)}" + eigen_cells +
                f" | {mark(best, format(best['bytes_per_second'] / 1e9, '.1f'))}"
                f" | {format(copy / 1e9, '.1f') if copy else '-'}"
                f" | {limits.share(best, best['bytes_per_second'], copy) if n >= limits.MEMORY_BOUND_N else 'in cache'} |")
    table = "Activations, G elements/s (one thread):\n\n" + "\n".join(lines)
    underflow = sorted({n.rsplit("/", 1)[0] for n in all_runs if n.startswith("underflow/")})
    if underflow:
        rows = ["| function (inputs in [-100, -90): denormal results) | IEEE | flush-to-zero | speed-up |", "|---|---|---|---|"]
        for name in underflow:
            ieee, ftz = all_runs.get(name + "/ieee"), all_runs.get(name + "/ftz")
            if ieee and ftz:
                rows.append(f"| {name[len('underflow/'):]} | {mark(ieee, format(ieee['items_per_second'] / 1e9, '.2f'))} | "
                            f"{mark(ftz, format(ftz['items_per_second'] / 1e9, '.2f'))} | {ratio(ftz, ieee, 'items_per_second', 1)} |")
        table += "\n\nDenormal results, G elements/s (n = 100,000, one thread):\n\n" + "\n".join(rows)
    return table


def train_table(folder):
    _, runs = medians(folder / "train_bench.json")
    kernels = sorted({n.split("/")[1] for n in runs if n.startswith("train/")}, key=KERNEL_ORDER.index)
    configs = []
    for n in runs:
        if n.startswith("train/"):
            _, _, batch, hidden, _ = n.split("/")
            if (batch, hidden) not in configs:
                configs.append((batch, hidden))
    configs.sort(key=lambda c: (int(c[0][1:]), int(c[1][1:])))
    best = kernels[-1]
    lines = ["| batch | hidden | threads | " + " | ".join(kernels) + f" | {best} GFLOP/s | {best} 2 / 1 threads |",
             "|---|---|---|" + "---|" * (len(kernels) + 2)]
    for batch, hidden in configs:
        for t in (1, 2):
            rate = {k: runs.get(f"train/{k}/{batch}/{hidden}/threads:{t}") for k in kernels}
            cells = [mark(r, f"{r['items_per_second'] / 1e3:.1f}k") if r else "-" for r in rate.values()]
            one, two = runs.get(f"train/{best}/{batch}/{hidden}/threads:1"), runs.get(f"train/{best}/{batch}/{hidden}/threads:2")
            speedup = ratio(two, one, "items_per_second") if t == 2 else ""
            flops = mark(rate[best], f"{rate[best]['FLOP/s'] / 1e9:.1f}") if rate[best] else "-"
            lines.append(f"| {batch[1:]} | {hidden[1:]} | {t} | " + " | ".join(cells) + f" | {flops} | {speedup} |")
    torch = medians(folder / "torch_bench.json")[1] if (folder / "torch_bench.json").exists() else {}
    if torch:  # PyTorch's samples/s per configuration, and simdml's ratio to it
        lines[0] += " PyTorch | simdml / PyTorch |"
        lines[1] += "---|---|"
        row = 2
        for batch, hidden in configs:
            for t in (1, 2):
                peer, ours = torch.get(f"torch/train/{batch}/{hidden}/threads:{t}"), runs.get(f"train/{best}/{batch}/{hidden}/threads:{t}")
                lines[row] += (f" {mark(peer, format(peer['items_per_second'] / 1e3, '.1f'))}k |" if peer else " - |") + \
                    f" {ratio(ours, peer, 'items_per_second', 1)} |"
                row += 1
    seconds = lambda entry: entry["real_time"] * TIME_UNITS[entry["time_unit"]]
    for entry in [*runs.values(), *torch.values()]:
        entry["real_seconds"] = seconds(entry)
    epochs = []
    for t in (1, 2):
        for n in runs:
            if n.startswith("nielsen_epoch") and n.endswith(f"threads:{t}"):
                peer = torch.get(f"torch/{n}")
                torch_one = torch.get(f"torch/{n[:-1]}1")
                cells = [mark(peer, f"{seconds(peer):.3f} s") if peer else "-",
                         ratio(torch_one, runs[n], "real_seconds", 1)]
                epochs.append(f"| {t} | {mark(runs[n], format(seconds(runs[n]), '.3f'))} s | " + " | ".join(cells) + " |")
    table = "Training, samples/s (784-h-10, sigmoid, quadratic; one epoch per iteration):\n\n" + "\n".join(lines)
    if epochs:
        table += ("\n\nNielsen's configuration, one epoch of 20,000 images (simd GEMM):\n\n"
                  "| threads | simdml epoch | PyTorch epoch | PyTorch 1 thread / simdml |\n|---|---|---|---|\n" +
                  "\n".join(epochs))
    return table


# k-NN rows: the float kernels, then the int8 ones from the oldest ISA up, then faiss; a kernel this
# list does not know yet goes before faiss rather than failing the table.
KNN_ORDER = ["naive", "blocked", "int8-sse2", "int8-avx2", "int8-avx512", "int8-avx512vnni", "int8-amx",
             "pruned-sse2", "pruned-avx2", "pruned-avx512", "pruned-avx512vnni", "pruned-amx",
             "adaptive-sse2", "adaptive-avx2", "adaptive-avx512", "adaptive-avx512vnni", "adaptive-amx"]


def variant_rank(variant):
    if variant == "faiss-IndexFlatL2":
        return len(KNN_ORDER) + 1
    return KNN_ORDER.index(variant) if variant in KNN_ORDER else len(KNN_ORDER)


def knn_table(folder):
    _, runs = medians(folder / "knn_bench.json")
    with_faiss = any("/faiss-IndexFlatL2/" in n for n in runs)  # a build without faiss: no column
    lines = ["| problem | variant | threads | seconds | queries/s | GOPS |" + (" vs faiss |" if with_faiss else ""),
             "|---|---|---|---|---|---|" + ("---|" if with_faiss else "")]
    keys = sorted(runs, key=lambda n: (n.split("/")[1], variant_rank(n.split("/")[2]), n.split("/")[3]))
    for n in keys:
        _, problem, variant, threads = n.split("/")
        r = runs[n]
        faiss = runs.get(f"knn/{problem}/faiss-IndexFlatL2/{threads}")
        queries = int(problem.split("x")[-1])
        vs_faiss = f" {ratio(r, faiss, 'items_per_second')} |" if with_faiss else ""
        lines.append(f"| {problem} | {variant} | {threads.split(':')[1]} | {mark(r, format(queries / r['items_per_second'], '.2f'))} | "
                     f"{r['items_per_second']:.0f} | {r['OP/s'] / 1e9:.1f} |{vs_faiss}")
    return ("k-NN, exact k = 7, all test queries (naive runs the first 200; its seconds are scaled up):\n\n" +
            "\n".join(lines))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    tables = [("gemm_bench.json", gemm_table), ("activation_bench.json", activation_table),
              ("train_bench.json", train_table), ("knn_bench.json", knn_table)]
    print("\n\n".join(make(folder) for name, make in tables if (folder / name).exists()))


if __name__ == "__main__":
    main()
