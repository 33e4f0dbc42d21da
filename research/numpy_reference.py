#!/usr/bin/python3
"""An independent NumPy implementation of the ReLU network simdml trains, to judge its accuracy.

    research/numpy_reference.py [--dataset fashion-mnist|mnist] [--data DIR] [--seeds 1-16]
                               [--simdml build/simdml]

784-H-10, ReLU hidden layer, softmax + cross-entropy, He-normal weights and zero biases, plain SGD
on the batch-averaged gradient (batch 64, rate 0.1), reshuffled every epoch, 10 epochs, in
float32: the configuration of the ReLU accuracy runs. NumPy's own generator draws the
weights and the order, so no run matches a simdml run bit for bit; what is comparable is the
distribution over seeds. The last epoch's test accuracy moves by about a percentage point from
one epoch (or seed) to the next, so a single run says little about an implementation.

For each seed it prints the last epoch's mean training loss and test accuracy, and the best test
accuracy of any epoch. With --simdml it also trains simdml with the same seeds and compares the two
implementations' distributions of the loss and the last epoch's accuracy (Mann-Whitney U test):
the loss, far less noisy than the accuracy, shows whether they optimize alike. The summary counts
the seeds that reach 87 % both ways, at the last epoch and at any epoch, because "reaches 87 % in
10 epochs" can be read either way.
"""
import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


def read_idx(path):
    """An IDX file (gzip) as a uint8 array of the header's shape."""
    data = gzip.open(path).read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def dataset_dir(name, data_root):
    """Where simdml itself looks: DATA/NAME, SIMDML_DATA/NAME, ./data/NAME, then Debian's copy."""
    root = data_root or os.environ.get("SIMDML_DATA") or "data"
    candidates = [Path(root) / name] + ([FASHION_SYSTEM_DIR] if name == "fashion-mnist" else [])
    for folder in candidates:
        if (folder / "train-images-idx3-ubyte.gz").exists():
            return folder
    sys.exit(f"numpy_reference: no {name} under {' or '.join(map(str, candidates))}")


def load(folder):
    def images(stem):
        return read_idx(folder / f"{stem}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255

    def labels(stem):
        return read_idx(folder / f"{stem}-labels-idx1-ubyte.gz").astype(np.int64)

    return images("train"), labels("train"), images("t10k"), labels("t10k")


def train(data, seed, hidden, epochs, batch, rate):
    """(last epoch's mean training loss, [test accuracy in % after each epoch])."""
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(np.float32)
    w2 = (rng.standard_normal((hidden, 10)) * np.sqrt(2 / hidden)).astype(np.float32)
    b1, b2 = np.zeros(hidden, np.float32), np.zeros(10, np.float32)
    rate = np.float32(rate)
    accuracies = []
    for _ in range(epochs):
        loss = 0.0
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            x, y, n = x_train[rows], y_train[rows], len(rows)
            z1 = x @ w1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ w2 + b2
            e = np.exp(z2 - z2.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            loss += -np.log(p[np.arange(n), y]).sum()
            d2 = p
            d2[np.arange(n), y] -= 1
            d2 /= n
            d1 = (d2 @ w2.T) * (z1 > 0)
            w2 -= rate * (a1.T @ d2)
            b2 -= rate * d2.sum(axis=0)
            w1 -= rate * (x.T @ d1)
            b1 -= rate * d1.sum(axis=0)
        predicted = (np.maximum(x_test @ w1 + b1, 0) @ w2 + b2).argmax(axis=1)
        accuracies.append(100.0 * (predicted == y_test).mean())
    return loss / len(x_train), accuracies


def simdml_run(binary, args, seed):
    """(last epoch's mean training loss, [test accuracy in % after each epoch]) of `simdml train`."""
    command = [binary, "train", "--dataset", args.dataset, "--layers", f"784,{args.hidden},10",
               "--activation", "relu", "--loss", "cross-entropy", "--init", "he", "--batch", str(args.batch),
               "--eta", str(args.rate), "--epochs", str(args.epochs), "--seed", str(seed)]
    if args.data:
        command += ["--data", args.data]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    loss = re.findall(r"^epoch .*?loss ([\d.]+)", out, re.MULTILINE)[-1]
    accuracies = re.findall(r"^epoch .*?test accuracy\s+([\d.]+) %", out, re.MULTILINE)
    return float(loss), [float(a) for a in accuracies]


def seed_range(text):
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def summary(name, losses, runs):
    """runs: each seed's test accuracies, epoch by epoch."""
    last = [accuracies[-1] for accuracies in runs]
    best = [max(accuracies) for accuracies in runs]
    spread = statistics.stdev(last) if len(last) > 1 else 0.0
    return (f"{name}: loss mean {statistics.mean(losses):.4f}; last epoch's test accuracy mean {statistics.mean(last):.2f} %, "
            f"median {statistics.median(last):.2f} %, sd {spread:.2f}, {sum(a >= 87 for a in last)} of {len(last)} seeds >= 87 %; "
            f"best epoch's mean {statistics.mean(best):.2f} %, {sum(a >= 87 for a in best)} of {len(best)} seeds >= 87 % at some epoch")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    parser.add_argument("--data", help="data root (default: SIMDML_DATA, then ./data)")
    parser.add_argument("--seeds", default="1-16", type=seed_range, help="a seed or a range, e.g. 1-16")
    parser.add_argument("--hidden", default=100, type=int)
    parser.add_argument("--epochs", default=10, type=int)
    parser.add_argument("--batch", default=64, type=int)
    parser.add_argument("--rate", default=0.1, type=float)
    parser.add_argument("--simdml", help="also train this simdml binary with the same seeds")
    args = parser.parse_args()

    data = load(dataset_dir(args.dataset, args.data))
    numpy_runs, simdml_runs, numpy_loss, simdml_loss = [], [], [], []
    for seed in args.seeds:
        loss, accuracies = train(data, seed, args.hidden, args.epochs, args.batch, args.rate)
        numpy_loss.append(loss)
        numpy_runs.append(accuracies)
        line = f"seed {seed:3d}  numpy: loss {loss:.4f}, test accuracy {accuracies[-1]:.2f} % (best {max(accuracies):.2f} %)"
        if args.simdml:
            loss, accuracies = simdml_run(args.simdml, args, seed)
            simdml_loss.append(loss)
            simdml_runs.append(accuracies)
            line += f"   simdml: loss {loss:.4f}, test accuracy {accuracies[-1]:.2f} % (best {max(accuracies):.2f} %)"
        print(line, flush=True)
    print(summary("numpy ", numpy_loss, numpy_runs))
    if simdml_runs:
        print(summary("simdml", simdml_loss, simdml_runs))
        if len(numpy_runs) > 1:
            numpy_last = [accuracies[-1] for accuracies in numpy_runs]
            simdml_last = [accuracies[-1] for accuracies in simdml_runs]
            print(f"Mann-Whitney U test, numpy vs simdml: loss p = {mannwhitneyu(numpy_loss, simdml_loss).pvalue:.3f}, "
                  f"last epoch's accuracy p = {mannwhitneyu(numpy_last, simdml_last).pvalue:.3f}")


if __name__ == "__main__":
    main()
