"""Writes the page of one machine in docs/results/ from a `simdml run` results folder.

    build/simdml run --out results/today
    python3 -m simdml_run.results_page results/today --machine zen4-epyc-2c --readme README.md
                                  # -> docs/results/zen4-epyc-2c.md, and README's current results
    python3 -m simdml_run.results_page --check-readme      # README's current results = the newest page's?

The page names the CPU, the SIMD target, the thread counts, the date and the commit of the run,
states the FMA peak and the copy bandwidth measured in that same run (the limits every figure is
read against), and carries the report's tables and commands. Plots stay in the results folder.
Paths of the machine the run came from become build/ and RESULTS/, so the page can be committed.
A machine's page is replaced by its next run; git keeps the earlier ones. docs/results/README.md,
the index, is rewritten from the pages present. The page opens with a headline table -- the few
figures README shows, each beside its alternative and its limit from the same run -- and README's
"Current results" is the newest page's headline, copied here and checked in CI (--check-readme).
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

from .output_file import write_output

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "docs" / "results"
README = ROOT / "README.md"
# README's "Current results" block lies between these two lines; the page's headline likewise.
BEGIN, END = "<!-- headline: made by simdml_run.results_page -->", "<!-- /headline -->"
MACHINE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A page's line naming its run: the date, then the commit.
PAGE_RUN = re.compile(r"`simdml run` on (\S+), simdml \S+ at commit `([^`]+)`")


def figure(results, name):
    for f in results["figures"]:
        if f["name"] == name:
            return f["value"]
    return None


def copy_limits(results):
    """{n: GB/s}: the best of the copies (memcpy, plain and non-temporal stores) per size."""
    best = {}
    for f in results["figures"]:
        if f["name"].startswith("copy/") and f["name"].endswith(":GB/s") and not f.get("disturbed"):
            n = int(f["name"][:-len(":GB/s")].rsplit("/", 1)[1])
            best[n] = max(best.get(n, 0.0), f["value"])
    return best


def limits(results):
    """The FMA peak per target and thread count, and the copy bandwidth, from the same run."""
    lines = []
    peaks = sorted(f["name"] for f in results["figures"]
                   if f["name"].startswith("fma_peak/") and f["name"].endswith(":GFLOP/s"))
    disturbed = {f["name"] for f in results["figures"] if f.get("disturbed")}
    for name in peaks:
        target, threads = name[len("fma_peak/"):-len(":GFLOP/s")].split("/threads:")
        flag = " † (no clean repetition: not a limit)" if name in disturbed else ""
        lines.append(f"| FMA peak, {target}, {threads} thread{'s' if threads != '1' else ''} "
                     f"| {figure(results, name):.1f} GFLOP/s{flag} |")
    for n, value in sorted(copy_limits(results).items()):
        lines.append(f"| copy bandwidth (best copy), n = {n:,} floats, 1 thread | {value:.1f} GB/s |")
    if not lines:
        return []
    return ["| limit measured in this run | value |", "|---|---|", *lines, ""]


def scrub(text, folder):
    """Cuts this machine's paths: the results folder, then any build folder and source tree."""
    text = text.replace(str(folder.resolve()), "RESULTS")
    text = re.sub(r"(?<![\w.])/[^\s'\"]*?/build(?=[/\s]|$)", "build", text, flags=re.M)
    text = re.sub(r"(?<![\w.])/[^\s'\"]*?/python(?=[\s:]|$)", "python", text, flags=re.M)  # PYTHONPATH
    return re.sub(r"(?<![\w.])/[^\s'\"]*?/(scripts|tests)/", r"\1/", text)


def report_body(report):
    """The report without its title, machine lines (the page states them) and pictures."""
    out, skipping = [], True
    for line in report.splitlines():
        if skipping:
            if line.startswith("## "):
                skipping = False
            else:
                continue
        if line.startswith("!["):
            continue
        out.append(line)
    text = "\n".join(out)
    # A section left with nothing but its heading (the confusion matrices are a picture).
    text = re.sub(r"## Confusion matrices\n+Rows are true labels, columns predictions\.\n+", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def headline(results):
    """The few figures README shows, each beside the alternative measured in the same run and
    against the limit measured there; a figure above its limit is not shown as a share of it."""
    f = {x["name"]: x["value"] for x in results["figures"]}
    # Figures with too few clean repetitions: shown marked, in no ratio or share (clean_figures).
    bad = {x["name"] for x in results["figures"] if x.get("disturbed")}
    ctx = results.get("benchmark_context", {})
    target = results["machine"]["simd_target"]
    simd = f"simd-{target}"
    threads = sorted({int(t) for t in str(ctx.get("simdml_bench_threads", "1")).split(",") if t.isdigit()})
    most = threads[-1] if threads else 1
    rows = []

    def share(value, limit, what, *names):
        if not limit or bad & set(names):
            return ""
        percent = 100 * value / limit
        return f"{percent:.0f} % of {what}" if percent <= 100 else f"above the {what} measured (disturbed)"

    def gemm(label, shape, t, peer="openblas", peer_name="OpenBLAS"):
        name, peer_key = f"gemm/{simd}/{shape}/threads:{t}:GFLOP/s", f"gemm/{peer}/{shape}/threads:{t}:GFLOP/s"
        ours, theirs = f.get(name), f.get(peer_key)
        if ours is None or (theirs is None and peer == "naive"):
            return
        clean = not bad & {name, peer_key}
        rows.append([label, str(t), f"{ours:.1f} GFLOP/s" + ("" if name not in bad else " †"),
                     f"{peer_name} {theirs:.1f}" if theirs else "-", f"{ours / theirs:.2f}x" if theirs and clean else "",
                     share(ours, f.get(f"fma_peak/{target}/threads:{t}:GFLOP/s"), "peak", name)])

    gemm("GEMM 1024^3", "1024x1024x1024NN", 1)
    if most > 1:
        gemm("GEMM 1024^3", "1024x1024x1024NN", most)
    gemm("GEMM 100x30x784 NT (batch-100 forward)", "100x30x784NT", 1)
    gemm("GEMM 10x30x784 NT (batch-10 forward)", "10x30x784NT", 1)
    gemm("GEMM 1024^3, simd against the textbook loop", "1024x1024x1024NN", 1, "naive", "naive")
    def ratio(a, b, a_name, b_name, digits):
        return f"{a / b:.{digits}f}x" if a and b and not bad & {a_name, b_name} else ""

    def mark(text, name):
        return text + (" †" if name in bad else "")

    for function, n in (("exp", "100000"), ("sigmoid", "10000000")):
        ours_key, peer_key = f"{function}/{simd}/{n}:elements/s", f"{function}/eigen-{target}/{n}:elements/s"
        name = "Eigen"
        if peer_key not in f:
            peer_key, name = f"{function}/reference/{n}:elements/s", "scalar"
        ours, peer = f.get(ours_key), f.get(peer_key)
        if ours:
            rows.append([f"{function}, n = {int(n):,}", "1", mark(f"{ours / 1e9:.2f} G elements/s", ours_key),
                         f"{name} {peer / 1e9:.2f}" if peer else "-", ratio(ours, peer, ours_key, peer_key, 2), ""])
    epoch_key, torch_key = "nielsen_epoch/20000x784-30-10/b10/threads:1", "torch/nielsen_epoch/20000x784-30-10/b10/threads:1"
    epoch, torch = f.get(epoch_key), f.get(torch_key)
    if epoch:
        rows.append(["Nielsen's epoch, 20,000 images", "1", mark(f"{epoch:.4f} s", epoch_key),
                     f"PyTorch {torch:.3f} s" if torch else "-", ratio(torch, epoch, torch_key, epoch_key, 1),
                     share(f.get(f"{epoch_key}:GFLOP/s", 0), f.get(f"fma_peak/{target}/threads:1:GFLOP/s"), "peak",
                           epoch_key)])
    problem = "knn/mnist-20000x10000"
    for variant in ("int8", "adaptive"):
        kernels = {n.split("/")[2]: v for n, v in f.items()
                   if n.startswith(f"{problem}/{variant}-") and n.endswith(f"/threads:{most}:queries/s")}
        faiss = f.get(f"{problem}/faiss-IndexFlatL2/threads:{most}")
        if kernels:
            best = max(kernels, key=kernels.get)
            key, faiss_key = f"{problem}/{best}/threads:{most}", f"{problem}/faiss-IndexFlatL2/threads:{most}"
            seconds = f[key]
            rows.append([f"exact k-NN, MNIST 20,000 x 10,000, k = 7, {best}", str(most), mark(f"{seconds:.2f} s", key),
                         f"faiss IndexFlatL2 {faiss:.2f} s" if faiss else "-", ratio(faiss, seconds, faiss_key, key, 1), ""])
    accuracy = [f.get(f"accuracy/{run}/final") for run in ("nielsen", "relu")] + [f.get("accuracy/knn/k4")]
    if all(a is not None for a in accuracy):
        rows.append(["Nielsen's network / ReLU 784-100-10 / k-NN (k = 4), MNIST", "",
                     " / ".join(f"{a:.2f} %" for a in accuracy), "the committed bits",
                     "match" if all(r.get("status") == "match" for r in results.get("accuracy_gate", [])) else "differ",
                     ""])
    m = results["machine"]
    peaks = ", ".join(f"{f[k]:.1f} GFLOP/s on {t} thread{'s' if t > 1 else ''}" for t in threads
                      if (k := f"fma_peak/{target}/threads:{t}:GFLOP/s") in f and k not in bad)
    copy = copy_limits(results).get(10000000)
    lines = [f"From `simdml run` on {ctx.get('date', '')[:10]} at commit `{m['git_commit']}`, on {m['cpu']} "
             f"({m['logical_cores']} logical cores), kernels on the {target} target. Medians of interleaved "
             f"clean repetitions († marks a figure without enough, left out of ratios); limits, the best clean repetition in the same run: FMA peak {peaks or 'not measured'}"
             + (f", copy bandwidth {copy:.1f} GB/s (the best copy, n = 10^7)." if copy else "."),
             "",
             "| what | threads | simdml | the alternative, same run | ratio | of the limit |",
             "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _marked_block(text):
    """Where the headline block of a page or of README starts and ends, markers included, or None."""
    if BEGIN not in text or END not in text:
        return None
    return text.index(BEGIN), text.index(END) + len(END)


def headline_of(text):
    """The headline inside a page's or README's markers, or None."""
    span = _marked_block(text)
    return None if span is None else text[span[0] + len(BEGIN):span[1] - len(END)].strip("\n") + "\n"


def newest_page(out):
    """The page of the newest run (date, then commit as the page states them), and its name."""
    pages = []
    for p in out.glob("*.md"):
        when = PAGE_RUN.search(p.read_text())
        if p.name != "README.md" and when:
            pages.append((when.group(1), p.stem, p))
    return max(pages)[2] if pages else None


def readme_block(out, readme):
    """What README's "Current results" must hold: the newest page's headline and a link to it."""
    page = newest_page(out)
    block = headline_of(page.read_text()) if page else None
    if block is None:
        return None
    link = Path(os.path.relpath(page.resolve(), readme.resolve().parent)).as_posix()
    return f"{BEGIN}\nThe newest page, [{page.stem}]({link}):\n\n{block}{END}"


def readme_now(readme):
    text = readme.read_text()
    span = _marked_block(text)
    return None if span is None else text[span[0]:span[1]]


def update_readme(readme, out):
    """README's "Current results" block made anew from the newest page; False when it has none."""
    block, now = readme_block(out, readme), readme_now(readme)
    if block is None or now is None:
        return False
    if block != now:
        write_output(readme, readme.read_text().replace(now, block))
    return True


def page(folder, machine):
    results = json.loads((folder / "results.json").read_text())
    report = (folder / "report.md").read_text()
    m, ctx = results["machine"], results.get("benchmark_context", {})
    date = ctx.get("date", "")[:10] or "unknown date"
    lines = [
        f"# {machine}",
        "",
        f"`simdml run` on {date}, simdml {m['simdml_version']} at commit `{m['git_commit']}`. "
        f"Generated by `python3 -m simdml_run.results_page`; every ratio below is between kernels of that one run.",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {m['cpu']} ({m['cpu_vendor']}), {m['logical_cores']} logical cores |",
        f"| ISA extensions | {' '.join(m['isa_extensions'])} |",
        f"| SIMD target | {m['simd_target']} (supported: {', '.join(results.get('supported_targets', []))}) |",
        f"| threads | {m['threads']}; benchmarks at {ctx.get('simdml_bench_threads', '?')} |",
        f"| build | {m['compiler']}, OpenMP {m['openmp']}, xsimd {m['xsimd']}, zlib {m['zlib']} |",
    ]
    for peer in ("openblas", "libxsmm", "eigen", "faiss", "torch"):
        if peer in ctx:
            lines.append(f"| {peer} | {ctx[peer]} |")
    lines += ["", *limits(results), "## Headline", "", BEGIN, headline(results).rstrip("\n"), END, "",
              scrub(report_body(report), folder)]
    return "\n".join(lines)


def write_index(out):
    rows = []
    for p in sorted(out.glob("*.md")):
        if p.name == "README.md":
            continue
        text = p.read_text()
        cpu = re.search(r"^\| CPU \| (.*) \|$", text, re.M)
        when = PAGE_RUN.search(text)
        rows.append(f"| [{p.stem}]({p.name}) | {cpu.group(1) if cpu else '?'} | "
                    f"{when.group(1) if when else '?'} | {when.group(2) if when else '?'} |")
    write_output(out / "README.md",
        "# Measured results, one page per machine\n\n"
        "Each page comes from one `simdml run`: written by `python3 -m simdml_run.results_page` (see the main "
        "README, \"Benchmarks and regression tracking\"), or, for runs before that script existed, "
        "transcribed and cut to the figures of code unchanged since. A page names its date and "
        "commit; git keeps its earlier versions.\n\n"
        "| machine | CPU | date | commit |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", help="a results folder written by simdml run")
    parser.add_argument("--machine", help="the page's name: lower case, digits and '-'")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: docs/results/")
    parser.add_argument("--readme", type=Path,
                        help="also copy the newest page's headline into this README's current results")
    parser.add_argument("--check-readme", action="store_true",
                        help="exit 1 unless README's current results are the newest page's headline")
    args = parser.parse_args(argv)
    if args.check_readme:
        args.readme = args.readme or README
        block, now = readme_block(args.out, args.readme), readme_now(args.readme)
        if block is not None and block == now:
            print(f"{args.readme}: its current results are {newest_page(args.out).name}'s headline")
            return 0
        print(f"{args.readme}: its current results are not the newest page's headline; run "
              "python3 -m simdml_run.results_page on the newest results folder, or with no folder "
              "to copy the newest page's headline", file=sys.stderr)
        return 1
    if args.folder is None:
        if args.readme is None:
            parser.error("give a results folder, --readme FILE, or --check-readme")
        if not update_readme(args.readme, args.out):
            parser.error(f"no page in {args.out} has a headline, or {args.readme} has no block for one")
        print(f"{args.readme}: current results from {newest_page(args.out).name}")
        return 0
    if not args.machine or not MACHINE_NAME.match(args.machine):
        parser.error(f"--machine '{args.machine}': use lower case letters, digits and '-'")
    for name in ("results.json", "report.md"):
        if not (args.folder / name).is_file():
            parser.error(f"{args.folder} holds no {name}: is it a folder simdml run wrote?")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{args.machine}.md"
    write_output(target, page(args.folder, args.machine))
    write_index(args.out)
    print(f"wrote {target}")
    if args.readme is not None and update_readme(args.readme, args.out):
        print(f"{args.readme}: current results from {newest_page(args.out).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
