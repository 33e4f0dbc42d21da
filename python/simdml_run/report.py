"""The report of a `simdml run` results folder: results.json, report.md and plots/*.png.

    python3 -m simdml_run.report RESULTS_FOLDER [--baselines tests/baselines]     (PYTHONPATH=python)

Reads what the run's stages wrote (machine.json, accuracy/*.json, the Google Benchmark
<suite>.json files, instruction_counts.json) and writes
  results.json  the machine and build, then every figure as {name, value, unit, source};
  report.md     tables and pictures: GEMM GFLOP/s against size beside OpenBLAS and the measured
                FMA peak, thread scaling, activations, training curves, k-NN accuracy against k,
                confusion matrices, and the comparison with the committed baselines;
  plots/        the pictures (matplotlib; without it the report says so and has none).
simdml run calls it last; run it again by hand after editing a folder.
"""
import argparse
import datetime
import json
import sys
from pathlib import Path

try:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
except ImportError:  # the package only recommends python3-matplotlib: a report without pictures
    plt = None

from . import accuracy_gate, bench_table, clean_figures, limits
from .output_file import write_output
from .units import TIME_UNITS

KERNEL_STYLE = {"naive": ":", "blocked": "-.", "openblas": "--"}
# Units of Google Benchmark counters as results.json states them, with their scale.
COUNTER_UNITS = {"FLOP/s": ("GFLOP/s", 1e-9), "OP/s": ("GOP/s", 1e-9), "bytes_per_second": ("GB/s", 1e-9)}
ITEM_UNITS = {"activation_bench": "elements/s", "train_bench": "samples/s", "knn_bench": "queries/s"}


def read_json(path):
    return json.loads(path.read_text()) if path.exists() else None


# ---- results.json --------------------------------------------------------------------------

def benchmark_figures(folder):
    """Each benchmark's median over its clean repetitions, with how many were clean and whether it
    lacks enough (disturbed: left out of ratios, shares and gates). The FMA peaks and copies are
    limits: their best clean repetition."""
    figures = []
    for path in sorted(folder.glob("*_bench.json")):
        _, runs, reps = clean_figures.load(path)
        for name, b in runs.items():
            limit = name.startswith(("fma_peak/", "copy/"))
            quality = {"repetitions": b["repetitions"], "clean_repetitions": b["clean_repetitions"],
                       "disturbed": b["disturbed"], "worst_taken_cores": round(b["worst_taken_cores"], 3)}
            figures.append({"name": name, "value": b["real_time"] * TIME_UNITS[b["time_unit"]], "unit": "s",
                            "source": path.name, "statistic": "median of clean repetitions", **quality})
            for counter, (unit, scale) in COUNTER_UNITS.items():
                if counter in b:
                    best = clean_figures.best(reps[name], counter) if limit else None
                    figures.append({"name": f"{name}:{unit}", "value": (best or b[counter]) * scale, "unit": unit,
                                    "source": path.name, "statistic": "best clean repetition" if best else
                                    "median of clean repetitions", **quality})
            if "items_per_second" in b:
                unit = ITEM_UNITS.get(path.stem, "items/s")
                figures.append({"name": f"{name}:{unit}", "value": b["items_per_second"], "unit": unit,
                                "source": path.name, **quality})
    return figures


def quiet_line(folder, runs):
    """How quiet the machine was: the share of benchmark repetitions and of timed training epochs
    that other processes disturbed, the worst load seen, and what was measured again."""
    suites = [clean_figures.load(p) for p in sorted(folder.glob("*_bench.json"))]
    disturbed, total, worst_taken, worst_foreign = clean_figures.disturbed_share([r for _, _, r in suites])
    epochs = [e for r in runs.values() if r.get("command") == "train" for e in r["epochs"] if "interference" in e]
    bad_epochs = sum(e["interference"]["disturbed"] for e in epochs)
    worst_taken = max([worst_taken] + [e["interference"]["taken_cores"] for e in epochs])
    stages = (read_json(folder / "stages.json") or {}).get("stages", [])
    bad_stages = [s["name"] for s in stages if s.get("interference", {}).get("disturbed")]
    again = sum(len(context.get("simdml_remeasured", {}).get("measured_again", [])) for context, _, _ in suites)
    still = sum(f["disturbed"] for _, figures, _ in suites for f in figures.values())
    if not total and not epochs:
        return "Interference: nothing timed in this run was observed."
    share = (disturbed + bad_epochs) / max(total + len(epochs), 1)
    verdict = "quiet" if share == 0 else "mostly quiet" if share < 0.05 else "disturbed"
    return (f"**Machine {verdict}**: {disturbed} of {total} benchmark repetitions "
            f"({100 * disturbed / max(total, 1):.0f} %) and {bad_epochs} of {len(epochs)} training epochs had a core they "
            f"needed taken by other processes or the hypervisor; the worst took {worst_taken:.2f} cores "
            f"(foreign load up to {worst_foreign:.2f} cores). {again} benchmark(s) were measured again; {still} still lack "
            f"clean repetitions and are marked † and left out of ratios and shares of a limit; a figure still above "
            f"its limit after the limit was measured again shows both values, marked ‡."
            + (f" Stages run while a needed core was taken: {', '.join(bad_stages)} (`stages.json`)." if bad_stages else ""))


def accuracy_figures(runs):
    figures = []
    for name, r in runs.items():
        src = f"accuracy/{name}.json"
        if r["command"] == "train":
            figures.append({"name": f"accuracy/{name}/final", "value": 100 * r["final"]["accuracy"], "unit": "%", "source": src})
            for e in r["epochs"]:
                figures.append({"name": f"accuracy/{name}/epoch{e['epoch']}/loss", "value": e["loss"], "unit": "mean loss", "source": src})
                figures.append({"name": f"accuracy/{name}/epoch{e['epoch']}/seconds", "value": e["seconds"], "unit": "s",
                                "source": src, **({"disturbed": e["interference"]["disturbed"],
                                                   "team_steps": e.get("team_steps", {})} if "interference" in e else {})})
        else:
            for x in r["results"]:
                figures.append({"name": f"accuracy/{name}/k{x['k']}", "value": 100 * x["accuracy"], "unit": "%", "source": src})
            figures.append({"name": f"accuracy/{name}/search", "value": r["seconds"]["neighbors"], "unit": "s", "source": src})
            figures.append({"name": f"accuracy/{name}/queries_per_second", "value": r["queries_per_second"],
                            "unit": "queries/s", "source": src})
        if "peak_resident_mib" in r:
            figures.append({"name": f"accuracy/{name}/peak_resident_memory", "value": r["peak_resident_mib"],
                            "unit": "MiB", "source": src})
    return figures


def instruction_figures(counts):
    if not counts:
        return []
    return [{"name": f"instructions/{w['name']}", "value": w["instructions"], "unit": "instructions",
             "source": "instruction_counts.json"} for w in counts["workloads"] if w["instructions"] is not None]


# The peers whose versions the suites record in their context.
PEERS = ("openblas", "libxsmm", "eigen", "faiss", "torch")


def benchmark_context(folder):
    """The benchmark programs' shared context, plus the reference libraries the suites name."""
    context = None
    for path in sorted(folder.glob("*_bench.json")):
        suite = json.loads(path.read_text())["context"]
        context = context or dict(suite)
        context.update({k: suite[k] for k in PEERS if k in suite})
    torch = folder / "torch_bench.json"
    if context is not None and torch.exists():  # without python3-torch the stage says why instead
        library = json.loads(torch.read_text()).get("context", {}).get("library", "")
        if library.startswith("torch not installed"):
            context["torch_absent"] = library
    return context


# ---- plots ---------------------------------------------------------------------------------

def gemm_plot(folder, plots):
    """GFLOP/s against square size, one panel per thread count, the FMA peak as a line."""
    if not (folder / "gemm_bench.json").exists():
        return None
    runs, peaks = bench_table.gemm_runs_and_peaks(folder)
    squares = {}
    for name, b in runs.items():
        _, kernel, shape, threads = name.split("/")
        m, n, k = shape[:-2].split("x")
        if m == n == k:
            squares.setdefault(threads, {}).setdefault(kernel, []).append((int(m), b["FLOP/s"] / 1e9))
    if not squares:
        return None
    thread_keys = sorted(squares, key=lambda t: int(t.split(":")[1]))
    fig, axes = plt.subplots(1, len(thread_keys), figsize=(6 * len(thread_keys), 4.5), squeeze=False)
    for ax, threads in zip(axes[0], thread_keys):
        for kernel in sorted(squares[threads], key=lambda k: bench_table.KERNEL_ORDER.index(k)):
            points = sorted(squares[threads][kernel])
            ax.plot([p[0] for p in points], [p[1] for p in points], KERNEL_STYLE.get(kernel, "-"), marker="o", label=kernel)
        best = max((k for k in squares[threads] if k.startswith("simd-")), key=bench_table.TARGET_ORDER.index, default=None)
        peak = limits.fma_peak(peaks, best.split("-")[1], threads) if best else None
        if peak:
            ax.axhline(peak / 1e9, color="grey", linewidth=1, label=f"measured FMA peak ({best.split('-')[1]})")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("M = N = K")
        ax.set_ylabel("GFLOP/s")
        ax.set_title(f"SGEMM, {threads.replace(':', ' ')}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save(fig, plots / "gemm_vs_size.png")


SCALING_SUITES = {"gemm_bench": ("GEMM (GFLOP/s)", "gemm/", ("x1024x", "x30x784")),
                  "train_bench": ("training (samples/s)", "train/", ("/b64/h100", "/b64/h30")),
                  "knn_bench": ("k-NN (queries/s)", "knn/", ("",))}


def scaling_series(folder):
    """{suite title: {label: {threads: (rate, disturbed)}}} for the benchmarks that ran on more than
    one thread count, 1 included."""
    panels = {}
    for suite, (title, prefix, shapes) in SCALING_SUITES.items():
        path = folder / f"{suite}.json"
        if not path.exists():
            continue
        _, runs = bench_table.medians(path)
        series = {}
        for name, b in runs.items():
            # The fast variants only: naive, blocked and sse2 would crowd the plot.
            if name.startswith(prefix) and any(s in name for s in shapes) and \
                    not any(slow in name for slow in ("naive", "sse2", "gemm/blocked", "train/blocked")):
                label, threads = name[len(prefix):].rsplit("/threads:", 1)
                series.setdefault(label, {})[int(threads)] = (b.get("items_per_second") or b.get("FLOP/s"), b["disturbed"])
        series = {k: v for k, v in series.items() if len(v) > 1 and 1 in v}
        if series:
            panels[title] = series
    return panels


def scaling_plot(folder, plots):
    """One panel per suite, its own legend under it; a speed-up with a disturbed end is ringed."""
    panels = scaling_series(folder)
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 6.4), squeeze=False)
    markers = "osD^v<>ph*"
    for ax, (title, series) in zip(axes[0], panels.items()):
        top = max(max(v) for v in series.values())
        ax.plot([1, top], [1, top], color="grey", linewidth=0.8, label="ideal")
        colours = plt.get_cmap("tab20" if len(series) > 10 else "tab10")
        for i, (label, rates) in enumerate(sorted(series.items())):
            threads = sorted(rates)
            base, base_bad = rates[1]
            ups = [rates[t][0] / base for t in threads]
            colour = colours(i % colours.N)
            ax.plot(threads, ups, color=colour, marker=markers[i % len(markers)], label=label)
            for t, up in zip(threads, ups):
                if rates[t][1] or base_bad:
                    ax.plot([t], [up], marker=markers[i % len(markers)], markersize=11, markerfacecolor="none",
                            markeredgecolor="black", markeredgewidth=1.5, linestyle="none")
        ax.set_xticks(sorted({t for v in series.values() for t in v}))
        ax.set_xlabel("threads")
        ax.set_ylabel("speed-up over 1 thread")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    fig.suptitle("Thread scaling, same run; ringed in black: a figure with too few clean repetitions")
    fig.tight_layout()
    return save(fig, plots / "thread_scaling.png")


def training_plot(runs, plots):
    trains = {n: r for n, r in runs.items() if r["command"] == "train"}
    if not trains:
        return None
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
    for name, r in trains.items():
        epochs = [e["epoch"] for e in r["epochs"]]
        loss_ax.plot(epochs, [e["loss"] for e in r["epochs"]], marker=".", label=name)
        acc_ax.plot(epochs, [100 * e["accuracy"] for e in r["epochs"]], marker=".", label=name)
    loss_ax.set_yscale("log")
    loss_ax.set(xlabel="epoch", ylabel="mean training loss", title="Training loss")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    return save(fig, plots / "training.png")


def knn_plot(runs, plots):
    knn = runs.get("knn")
    if not knn:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([x["k"] for x in knn["results"]], [100 * x["accuracy"] for x in knn["results"]], marker="o")
    ax.set(xlabel="k", ylabel="test accuracy (%)", title=f"Exact k-NN on {knn['dataset']} ({knn['weights']} votes)")
    ax.grid(alpha=0.3)
    return save(fig, plots / "knn_accuracy.png")


def confusion_plot(runs, plots):
    matrices = []
    for name, r in runs.items():
        matrix = r["final"]["confusion_matrix"] if r["command"] == "train" else r["confusion_matrix"]
        matrices.append((name if r["command"] == "train" else f"{name}, k = {r['best_k']}", matrix))
    if not matrices:
        return None
    fig, axes = plt.subplots(1, len(matrices), figsize=(5 * len(matrices), 4.6), squeeze=False)
    for ax, (title, matrix) in zip(axes[0], matrices):
        ax.imshow(matrix, cmap="Blues")
        for t, row in enumerate(matrix):
            for p, count in enumerate(row):
                ax.text(p, t, str(count), ha="center", va="center", fontsize=6,
                        color="white" if t == p else "black")
        ax.set(xlabel="predicted", ylabel="true label", title=title, xticks=range(len(matrix)), yticks=range(len(matrix)))
    return save(fig, plots / "confusion.png")


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


# ---- report.md -----------------------------------------------------------------------------

def machine_lines(machine, context):
    m = machine["machine"]
    lines = [f"- CPU: {m['cpu']}, {m['logical_cores']} logical cores; ISA extensions: {' '.join(m['isa_extensions'])}",
             f"- SIMD target used: {m['simd_target']} (supported: {', '.join(machine['supported_targets'])}); "
             f"threads: {m['threads']}",
             f"- Built with {m['compiler']}, OpenMP {m['openmp']}, xsimd {m['xsimd']}, zlib {m['zlib']}; "
             f"simdml {m['simdml_version']} at commit {m['git_commit']}"]
    if context:
        lines.append(f"- Benchmarks on host {context.get('host_name', '?')}: {context.get('num_cpus', '?')} CPUs at "
                     f"{context.get('mhz_per_cpu', '?')} MHz, threads {context.get('simdml_bench_threads', '?')}, "
                     f"started {context.get('date', '?')}")
        references = [context["openblas"]] if "openblas" in context else []  # "OpenBLAS 0.3.21 ... Zen ..."
        references += [f"faiss {context['faiss']}"] if "faiss" in context else []
        if references:
            lines.append("- Reference libraries: " + "; ".join(references))
        absent = [p.strip() for p in context.get("absent_peers", "").split("|") if p.strip()]
        absent += [f"PyTorch: {context['torch_absent']}"] if "torch_absent" in context else []
        if absent:
            lines.append("- Peers this build or machine lacks, so their columns are missing: " + "; ".join(absent))
    return lines


def team_shares(epochs):
    """ "2: 97 %, 1: 3 %": the share of steps each team size ran, over every epoch."""
    steps = {}
    for e in epochs:
        for team, n in e.get("team_steps", {}).items():
            steps[int(team)] = steps.get(int(team), 0) + n
    total = sum(steps.values())
    return ", ".join(f"{t}: {100 * n / total:.0f} %" for t, n in sorted(steps.items(), reverse=True)) if total else "-"


def training_table(runs):
    """Each training run; its median epoch over the clean epochs (all of them when none is)."""
    lines = ["| run | network | epochs | final test accuracy | median epoch | samples/s | team sizes (share of steps) | "
             "weights crc32 |", "|---|---|---|---|---|---|---|---|"]
    for name, r in runs.items():
        if r["command"] != "train":
            continue
        c = r["config"]
        clean = [e["seconds"] for e in r["epochs"] if not e.get("interference", {}).get("disturbed")]
        times = sorted(clean or [e["seconds"] for e in r["epochs"]])
        seconds = times[len(times) // 2]
        mark = "" if clean else " †"
        lines.append(f"| {name} | {'-'.join(map(str, c['layers']))} {','.join(c['hidden_activations'])}, {c['loss']}, "
                     f"batch {c['batch']}, rate {c['learning_rate']:g} | {c['epochs']} | "
                     f"{100 * r['final']['accuracy']:.2f} % ({r['final']['correct']}/{r['final']['total']}) | "
                     f"{seconds:.3f} s{mark} | {c['train_samples'] / seconds:,.0f} | {team_shares(r['epochs'])} | "
                     f"{r['weights_crc32']} |")
    return "\n".join(lines)


def knn_accuracy_table(knn):
    ks = [x["k"] for x in knn["results"]]
    return ("| k | " + " | ".join(map(str, ks)) + " |\n|---|" + "---|" * len(ks) + "\n| accuracy | " +
            " | ".join(f"{100 * x['accuracy']:.2f} %" for x in knn["results"]) + " |\n\n" +
            f"{knn['kernel']} kernel, {knn['machine']['threads']} threads: neighbours of {knn['test_samples']} queries "
            f"among {knn['train_samples']} in {knn['seconds']['neighbors']:.2f} s ({knn['queries_per_second']:,.0f} "
            f"queries/s, {knn['gops']:.1f} GOPS).")


def bench_tables(folder):
    out = []
    for file, make in (("gemm_bench.json", bench_table.gemm_table), ("activation_bench.json", bench_table.activation_table),
                       ("train_bench.json", bench_table.train_table), ("knn_bench.json", bench_table.knn_table)):
        if (folder / file).exists():
            try:
                out.append((file, make(folder)))
            except (KeyError, ValueError, ZeroDivisionError) as e:  # a partial set (a filtered or failed stage)
                out.append((file, f"(table unavailable: {file} lacks {e})"))
    return dict(out)


def commands(folder):
    lines = []
    for log in sorted((folder / "logs").glob("*.log")):
        first = log.read_text().split("\n", 1)[0]
        if first.startswith("$ "):
            lines.append(first[2:])
    return lines


def write_report(folder, machine, runs, accuracy_rows, counts, plots):
    tables = bench_tables(folder)
    context = benchmark_context(folder)
    out = [f"# simdml run, {datetime.date.today().isoformat()}", "", quiet_line(folder, runs), "",
           *machine_lines(machine, context), ""]
    if plt is None:
        out += ["No plots: python3-matplotlib is not installed (the tables are complete without them).", ""]

    out += ["## Against the committed baselines", "",
            "Accuracy runs are bitwise reproducible per SIMD target, so they are compared exactly with "
            "`tests/baselines/accuracy.json` (`python3 -m simdml_run.accuracy_gate`):", "",
            accuracy_gate.markdown(accuracy_rows) if accuracy_rows else "(no accuracy runs in this folder)", ""]
    if counts:
        out += [f"Instruction counts under callgrind (avx2, one thread) against `tests/baselines/instruction_counts.json`, "
                f"threshold {counts['threshold_percent']:g} % (`python3 -m simdml_run.icount_gate`): "
                f"**{'passed' if counts['passed'] else 'changed'}**.", ""]
        out += ["| workload | baseline | now | change | status |", "|---|---:|---:|---:|---|"]
        for w in counts["workloads"]:
            change = f"{w['change_percent']:+.3f} %" if w["change_percent"] is not None else "-"
            fmt = lambda n: f"{n:,}" if n is not None else "-"
            out.append(f"| {w['name']} | {fmt(w['baseline'])} | {fmt(w['instructions'])} | {change} | {w['status']} |")
        out.append("")
    out += ["Wall-clock figures are compared between runs with `python3 -m simdml_run.bench_compare OLD_FOLDER NEW_FOLDER` "
            "(Mann-Whitney U over repetitions), on the same idle machine.", ""]

    out += ["## GEMM", ""]
    if (name := plots.get("gemm")):
        out += [f"![GFLOP/s against size](plots/{name})", ""]
    out += [tables.get("gemm_bench.json", "(no GEMM benchmarks in this run)"), ""]
    if (name := plots.get("scaling")):
        out += ["## Thread scaling", "", f"![speed-up against threads](plots/{name})", ""]
    if "activation_bench.json" in tables:
        out += ["## Activations", "", tables["activation_bench.json"], ""]
    out += ["## Training", ""]
    if (name := plots.get("training")):
        out += [f"![loss and accuracy per epoch](plots/{name})", "", training_table(runs), ""]
    if "train_bench.json" in tables:
        out += [tables["train_bench.json"], ""]
    out += ["## k-NN", ""]
    if (name := plots.get("knn")):
        out += [f"![accuracy against k](plots/{name})", "", knn_accuracy_table(runs["knn"]), ""]
    if (folder / "iris_regions.svg").exists():
        out += ["k-NN's decision regions on iris's petal features, k from cross-validation:", "",
                "![k-NN decision regions on iris](iris_regions.svg)", ""]
    if "knn_bench.json" in tables:
        out += [tables["knn_bench.json"], ""]
    if (name := plots.get("confusion")):
        out += ["## Confusion matrices", "", "Rows are true labels, columns predictions.", "",
                f"![confusion matrices](plots/{name})", ""]
    out += ["## Reproduce", "", "Each stage's command (its output is in `logs/`):", "", "```sh", *commands(folder), "```", ""]
    write_output(folder / "report.md", "\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--baselines", default=str(Path(__file__).resolve().parents[2] / "tests" / "baselines"))
    args = parser.parse_args()
    folder = Path(args.folder)
    machine = read_json(folder / "machine.json")
    if machine is None:
        sys.exit(f"report: {folder}/machine.json is missing: is this a simdml run results folder?")
    runs = {p.stem: json.loads(p.read_text()) for p in sorted((folder / "accuracy").glob("*.json"))}
    accuracy_rows = accuracy_gate.compare(folder, Path(args.baselines) / "accuracy.json") if runs else []
    counts = read_json(folder / "instruction_counts.json")

    plots = {}
    if plt is not None:
        plots_dir = folder / "plots"
        plots_dir.mkdir(exist_ok=True)
        plots = {"gemm": gemm_plot(folder, plots_dir), "scaling": scaling_plot(folder, plots_dir),
                 "training": training_plot(runs, plots_dir), "knn": knn_plot(runs, plots_dir),
                 "confusion": confusion_plot(runs, plots_dir)}

    results = {"schema": "simdml-results/1", "machine": machine["machine"],
               "supported_targets": machine["supported_targets"], "benchmark_context": benchmark_context(folder),
               "accuracy_gate": accuracy_rows, "instruction_gate": counts,
               "figures": accuracy_figures(runs) + benchmark_figures(folder) + instruction_figures(counts)}
    write_output(folder / "results.json", json.dumps(results, indent=1) + "\n")
    write_report(folder, machine, runs, accuracy_rows, counts, plots)
    print(f"wrote {folder / 'results.json'} ({len(results['figures'])} figures), {folder / 'report.md'} and "
          f"{sum(1 for p in plots.values() if p)} plots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
