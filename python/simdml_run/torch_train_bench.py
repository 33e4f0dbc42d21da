"""PyTorch, the peer users train these networks with, on train_bench's configurations: one epoch of
mini-batch SGD per iteration of network.py's network (784-h-10, sigmoid hidden and output layers,
quadratic cost, rate 3.0) on 2,560 MNIST-shaped images, batches 10, 64 and 256, 30 and 100 hidden
units; and Nielsen's 20,000-image epoch at batch 10. Every (configuration, threads) pair is
repeated, in a random interleaved order, and written in Google Benchmark's JSON layout
(torch/train/b10/h30/threads:1, nielsen_epoch/...) so that the report sets it beside train_bench.

    python3 -m simdml_run.torch_train_bench --out torch_bench.json [--threads 1,2] [--repetitions 3]

OMP_WAIT_POLICY=PASSIVE is set before torch loads: with libgomp's default spinning, its 2-thread
runs slowed down badly between the many small parallel regions of a batch-10 step. Without torch
(Debian's python3-torch) it writes a file with no benchmarks that says so, and succeeds."""
import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

from . import clean_figures
from .interference import Probe
from .output_file import write_output

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:
    import torch
except ImportError:
    torch = None

SAMPLES, NIELSEN_SAMPLES, RATE = 2560, 20000, 3.0


def dataset(samples, seed=1):
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (samples, 784), generator=generator, dtype=torch.uint8)
    return pixels.float() / 255.0, torch.randint(0, 10, (samples,), generator=generator)


def network(hidden):
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.Sigmoid(),
                               torch.nn.Linear(hidden, 10), torch.nn.Sigmoid())


def epoch_seconds(net, optimizer, x, onehot, batch):
    """One shuffled epoch: network.py's cost 1/2 ||a - y||^2, averaged over the batch."""
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for first in range(0, len(x), batch):
        rows = order[first:first + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = 0.5 * ((net(x[rows]) - onehot[rows]) ** 2).sum() / len(rows)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def write(path, document):
    """Whole or not at all, as every output of simdml's (python/simdml_run/output_file.py)."""
    write_output(path, json.dumps(document, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", default=os.environ.get("SIMDML_BENCH_THREADS", "1,2"))
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds after which no further round of disturbed repetitions starts")
    args = parser.parse_args()
    if torch is None:
        write(args.out, {"context": {"library": "torch not installed (apt install python3-torch)"},
                         "benchmarks": []})
        print("torch_train_bench: PyTorch is not installed; no peer figures (apt install python3-torch)")
        return
    threads = [int(t) for t in args.threads.split(",")]
    cases = [(f"torch/train/b{b}/h{h}", b, h, SAMPLES) for b in (10, 64, 256) for h in (30, 100)]
    cases.append(("torch/nielsen_epoch/20000x784-30-10/b10", 10, 30, NIELSEN_SAMPLES))
    runs = [(case, t, r) for case in cases for t in threads for r in range(args.repetitions)]
    random.Random(1).shuffle(runs)
    data = {samples: dataset(samples) for samples in (SAMPLES, NIELSEN_SAMPLES)}
    results = []

    def measure(runs, round_number):
        for (name, batch, hidden, samples), t, repetition in runs:
            torch.set_num_threads(t)
            x, labels = data[samples]
            onehot = torch.nn.functional.one_hot(labels, 10).float()
            net = network(hidden)
            optimizer = torch.optim.SGD(net.parameters(), lr=RATE)
            epoch_seconds(net, optimizer, x[:batch * 4], onehot[:batch * 4], batch)  # warm-up
            probe = Probe()
            seconds = epoch_seconds(net, optimizer, x, onehot, batch)
            counters = probe.stop(t)
            results.append({"name": f"{name}/threads:{t}", "run_name": f"{name}/threads:{t}",
                            "run_type": "iteration", "repetition_index": repetition, "threads": t,
                            "iterations": 1, "real_time": seconds * 1e9, "cpu_time": seconds * 1e9,
                            "time_unit": "ns", "items_per_second": samples / seconds,
                            "repetitions": args.repetitions, **counters,
                            **({"remeasure_round": round_number} if round_number else {})})

    # As simdml_run.measure does for the benchmark programs: what lacks clean repetitions runs
    # again, up to two more rounds within the budget.
    start = time.monotonic()
    measure(runs, 0)
    for round_number in (1, 2):
        needed = clean_figures.clean_needed(args.repetitions)
        again = [(case, t, r) for case in cases for t in threads for r in range(args.repetitions)
                 if sum(not clean_figures.is_disturbed(e) for e in results
                        if e["run_name"] == f"{case[0]}/threads:{t}") < needed]
        if not again or time.monotonic() - start > args.budget:
            break
        print(f"torch_train_bench: round {round_number}: {len(again)} disturbed repetition(s) again")
        measure(again, round_number)
    benchmarks = []
    for (name, _, _, _), t in ((case, t) for case in cases for t in threads):
        entries = [r for r in results if r["run_name"] == f"{name}/threads:{t}"]
        median = clean_figures.summarize(entries)["real_time"]  # of the clean repetitions
        samples = NIELSEN_SAMPLES if "nielsen" in name else SAMPLES
        benchmarks += entries
        benchmarks.append({"name": f"{name}/threads:{t}_median", "run_name": f"{name}/threads:{t}",
                           "run_type": "aggregate", "aggregate_name": "median", "threads": t,
                           "iterations": len(entries), "real_time": median, "cpu_time": median,
                           "time_unit": "ns", "items_per_second": samples / (median * 1e-9)})
    context = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host_name": platform.node(),
               "library": f"torch {torch.__version__}", "torch": f"PyTorch {torch.__version__}", "torch_config": torch.__config__.parallel_info(),
               "omp_wait_policy": os.environ["OMP_WAIT_POLICY"], "num_cpus": os.cpu_count()}
    write(args.out, {"context": context, "benchmarks": benchmarks})
    for b in benchmarks:
        if b["run_type"] == "aggregate":
            print(f"{b['run_name']:<50} {b['real_time'] * 1e-6:10.2f} ms  {b['items_per_second']:12.0f} samples/s")


if __name__ == "__main__":
    main()
