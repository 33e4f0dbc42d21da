#!/usr/bin/env python3
"""Thread counts against a taken core: simdml train and knn with --threads 1, 2 and auto (the
default), interleaved round by round, with or without a busy loop pinned to one core.

    python3 scripts/busy_core_check.py --simdml build/simdml --busy-core 1 --rounds 5

Prints each configuration's median epoch (train) or search (knn) seconds, its ratio to --threads 1,
and the weights' CRCs, which must all agree. Reads data from SIMDML_DATA or --data.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

# simdml train's defaults (30 epochs), as a user runs it.
TRAIN = {
    "nielsen": [],
    "relu-b64": ["--layers", "784,100,10", "--activation", "relu", "--loss",
                 "cross-entropy", "--init", "he", "--batch", "64", "--eta", "0.1"],
    "sliced": ["--layers", "784,100,10", "--activation", "relu", "--loss",
               "cross-entropy", "--init", "he", "--batch", "64", "--eta", "0.1", "--slices", "2"],
}
KNN = ["--k", "7"]


def run(simdml, command, args, threads, data):
    extra = ["--data", data] if data else []
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "report.json")
        out = subprocess.run([simdml, command, *args, "--threads", threads, *extra, "--json", report],
                             check=True, capture_output=True, text=True).stdout
        result = json.loads(open(report).read())
    if command == "train":
        return statistics.median(e["seconds"] for e in result["epochs"]), result["weights_crc32"]
    seconds = float(re.search(r"neighbours ([0-9.]+) s", out).group(1))
    return seconds, None


def busy_loop(core):
    return subprocess.Popen(["taskset", "-c", str(core), "sh", "-c", "while :; do :; done"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simdml", default="build/simdml")
    parser.add_argument("--data", default=os.environ.get("SIMDML_DATA"))
    parser.add_argument("--busy-core", type=int, help="pin a busy loop to this core meanwhile")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,2,auto")
    args = parser.parse_args()
    threads = args.threads.split(",")
    loop = busy_loop(args.busy_core) if args.busy_core is not None else None
    try:
        time.sleep(0.2)
        results = {}
        for _ in range(args.rounds):
            for name, config in [*TRAIN.items(), ("knn", None)]:
                for t in threads:
                    command, extra = ("knn", KNN) if config is None else ("train", config)
                    results.setdefault((name, t), []).append(run(args.simdml, command, extra, t, args.data))
    finally:
        if loop:
            loop.kill()
    print(f"{'busy loop on core ' + str(args.busy_core) if loop else 'no busy loop'}, "
          f"{args.rounds} interleaved rounds, medians")
    ok = True
    for name in [*TRAIN, "knn"]:
        base = statistics.median(s for s, _ in results[(name, "1")]) if "1" in threads else None
        for t in threads:
            runs = results[(name, t)]
            median = statistics.median(s for s, _ in runs)
            crcs = sorted({c for _, c in runs if c})
            ratio = f"  {median / base:.3f}x of --threads 1" if base else ""
            print(f"  {name:9s} --threads {t:4s} {median:.4f} s{ratio}  "
                  f"{'crc ' + ','.join(crcs) if crcs else ''}")
        crcs = {c for t in threads for _, c in results[(name, t)] if c}
        if len(crcs) > 1:
            print(f"  {name}: weights differ between runs: {sorted(crcs)}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
