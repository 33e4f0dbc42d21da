#!/usr/bin/env python3
"""The time model of docs/scaling.md: data-parallel training and sharded k-NN on P nodes.

    research/scaling_model.py                 # the tables of docs/scaling.md, from the calibration below
    research/scaling_model.py --check         # the model against what was measured on 2 ranks here

Training, one rank per node, batch B cut into S = P slices:
    step(P) = B / P * t_sample + t_update + allreduce(P)
    allreduce(P) = 2 (P - 1) / P * bytes * beta + 2 (P - 1) * alpha + 3 * ceil(log2 P) * alpha
The first two terms are a ring allreduce's (simdml's fixed-tree sum moves the same bytes: a
reduce-scatter, then an all-gather). The last is the three small all-gathers of a step (the
vectors' lengths, the loss, and the counts of the all-to-all), by recursive doubling.
t_update, the optimizer on every weight, is done by every rank and does not shrink.

k-NN, the training rows sharded (N rows, Q queries, k neighbours):
    knn(P) = load + N * Q / (P * r) + (P - 1) * Q * k * 12 * beta + ceil(log2 P) * alpha
             + Q * P * k * t_merge
Every rank inflates the whole gzip file (load does not shrink), searches N / P rows, gathers
every rank's lists (12 bytes a neighbour) and merges Q * P * k candidates.
"""
import argparse
import math

# Calibration, measured on 2026-12-02 (commit of this script's introduction) on the 2-core Zen 5
# EPYC of docs/results/zen5-epyc-2c.md: 1 rank = 1 thread, Open MPI 4.1.4 over shared memory.
# See docs/scaling.md for the commands.
NETWORKS = {
    # t_sample: gradient + row gather per sample, 1 thread, slices of 128 rows (train --slices 2);
    # t_update: the optimizer per step; bytes: the gradient as sliced_step sends it.
    "nielsen 784-30-10": {"t_sample": 0.705e-6, "t_update": 2.0e-6, "bytes": 25448 * 4},
    "relu 784-100-10": {"t_sample": 2.0e-6, "t_update": 7.0e-6, "bytes": 89216 * 4},
}
SHARED_MEMORY = {"alpha": 0.45e-6, "beta": 1 / 5.35e9}  # cluster_bench: tree_sum/1, tree_sum/89216
LINKS = {
    # Assumed, not measured here: MPI over TCP on 10 Gb/s Ethernet, and RDMA on 100 Gb/s, each at
    # 90 % of the line rate.
    "10 Gb/s": {"alpha": 20e-6, "beta": 1 / (0.9 * 10e9 / 8)},
    "100 Gb/s": {"alpha": 2e-6, "beta": 1 / (0.9 * 100e9 / 8)},
}
KNN = {
    "rate": 4.6e8,  # pairs/s of one int8-avx512vnni rank (Fashion-MNIST, 2 ranks of 1 thread)
    "t_merge": 6.4e-9,  # per candidate (the merge phase: 0.9 ms for 10,000 x 2 x 7)
    "inflate": 4.0e8,  # bytes/s of gzip IDX read (Fashion's 47 MB training file in 0.12 s)
}
RANKS = [1, 2, 4, 8, 16, 32, 64]


def allreduce(p, nbytes, link):
    if p == 1:
        return 0.0
    latency = 2 * (p - 1) * link["alpha"] + 3 * math.ceil(math.log2(p)) * link["alpha"]
    return 2 * (p - 1) / p * nbytes * link["beta"] + latency


def step(p, batch, net, link):
    return batch / p * net["t_sample"] + net["t_update"] + allreduce(p, net["bytes"], link)


def knn(p, rows, queries, k, features, link):
    load = rows * features / KNN["inflate"]
    search = rows * queries / (p * KNN["rate"])
    gather = (p - 1) * queries * k * 12 * link["beta"] + math.ceil(math.log2(p)) * link["alpha"] if p > 1 else 0
    merge = queries * p * k * KNN["t_merge"] if p > 1 else 0.0
    return load + search + gather + merge, load


def training_table():
    out = []
    for name, net in NETWORKS.items():
        for batch in (256, 1024):
            out.append(f"\n**{name}, batch {batch}**: speed-up over one node (communication's share of the step)\n")
            out.append("| link | " + " | ".join(f"P = {p}" for p in RANKS[1:]) + " |")
            out.append("|---|" + "---|" * (len(RANKS) - 1))
            one = step(1, batch, net, LINKS["10 Gb/s"])
            for link_name, link in LINKS.items():
                cells = []
                for p in RANKS[1:]:
                    t = step(p, batch, net, link)
                    cells.append(f"{one / t:.1f}x ({100 * allreduce(p, net['bytes'], link) / t:.0f} %)")
                out.append(f"| {link_name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def knn_table():
    rows, queries, k, features = 600_000, 10_000, 7, 784
    out = [f"\n**k-NN, {rows:,} training rows x {queries:,} queries, k = {k}**: seconds (speed-up; share of it reading the file)\n"]
    out.append("| link | " + " | ".join(f"P = {p}" for p in RANKS) + " |")
    out.append("|---|" + "---|" * len(RANKS))
    for link_name, link in LINKS.items():
        one, _ = knn(1, rows, queries, k, features, link)
        cells = []
        for p in RANKS:
            t, load = knn(p, rows, queries, k, features, link)
            cells.append(f"{t:.2f} ({one / t:.1f}x; {100 * load / t:.0f} %)")
        out.append(f"| {link_name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def check():
    """The model on shared memory at P = 2 against the epochs measured here (79 steps of 256)."""
    measured = {"nielsen 784-30-10": 9.5e-3, "relu 784-100-10": 25.1e-3}  # median epoch, 2 ranks
    for name, net in NETWORKS.items():
        predicted = 79 * step(2, 256, net, SHARED_MEMORY)
        print(f"{name}: predicted {predicted * 1e3:.1f} ms an epoch on 2 ranks, measured "
              f"{measured[name] * 1e3:.1f} ms ({predicted / measured[name]:.2f}x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare the model with the 2-rank measurements")
    args = parser.parse_args()
    if args.check:
        check()
        return
    print(training_table())
    print(knn_table())


if __name__ == "__main__":
    main()
