#!/usr/bin/python3
"""Every file the tree names must exist: paths and file names in comments, docs and scripts.

    scripts/check_references.py [--root DIR]

Looks in src/, include/, tests/, bench/, scripts/, docs/, cmake/, .ci/, .github/, README.md,
CMakeLists.txt and .clang-format, at what git tracks there, for
  - paths from the repository's own folders (`src/nn/trainer.cpp`, `tests/fuzz/corpus`): they
    must exist;
  - include-style paths (`simdml/gemm.hpp`, `nn/forward.hpp`): they must exist under include/,
    src/ or tests/;
  - markdown links to local files: they must exist relative to the page;
  - bare file names of the tree's own kinds (`trainer.cpp`, `history_db.py`) in prose -- comments
    of code, docs outside code blocks -- where a file name is a claim about the tree; string
    literals name files that code creates. Some tracked file must have that name, unless it is
    one the programs or the build write, or another project's (GENERATED, SYSTEM).
Prints each reference that points nowhere as FILE:LINE: NAME and exits 1 if there is one.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOTS = ("src/", "include/", "tests/", "bench/", "scripts/", "docs/", "cmake/", ".ci/", ".github/", "README.md",
         "CMakeLists.txt", ".clang-format")
TREE_FOLDERS = ("src", "include", "tests", "bench", "scripts", "docs", "cmake", ".ci", ".github")
INCLUDE_ROOTS = ("include", "src", "tests")
EXTENSIONS = ("cpp", "hpp", "h", "py", "sh", "md", "cmake", "yml", "yaml", "txt")
# Files the programs, the build or the tools write, and files of other projects: named, not tracked.
GENERATED = {"git_commit.hpp", "report.md", "results.json", "machine.json", "index.html", "CMakeLists.txt.user", "sblat3.out",
             "compile_commands.json", "instruction_counts.json", "CPackConfig.cmake", "LastTestsFailed.log",
             "callgrind.out", "check.json", "summary.md", "history.db", "iris.csv", "simdmlConfig.cmake",
             "simdml-blas.pc", "simdml.pc", "network.py", "mnist_loader.py", "format_test.sh"}
SYSTEM = {"cblas.h", "omp.h", "zlib.h", "mpi.h", "benchmark.h", "gtest.h", "xsimd.hpp", "immintrin.h",
          "cpuid.h", "Eigen", "faiss", "libxsmm.h", "sleef.h", "torch", "sqlite3.h", "cblas_sgemm.c",
          "cblas_globals.c", "cblas_xerbla.c", "c_sblat3.f", "sblat3.f", "c_xerbla.c", "loops.hpp.orig"}

PATH = re.compile(r"(?<![\w/.~$-])((?:\.ci|\.github|src|include|tests|bench|scripts|docs|cmake)/[\w.+-]+(?:/[\w.+<>*-]+)*)")
INCLUDE = re.compile(r'#include\s+"([^"]+)"')
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
BUILD_OUTPUTS = {"bench/instruction_counts"}  # programs the build makes, named by their path in it
BARE = re.compile(r"(?<![\w/.${}-])([A-Za-z_][\w-]*\.(?:" + "|".join(EXTENSIONS) + r"))\b(?![\w/(])")


def tracked(root):
    out = subprocess.run(["git", "-C", str(root), "ls-files"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def checked_files(files):
    return [f for f in files if f.startswith(ROOTS) and "/corpus/" not in f and not f.endswith((".npz", ".gz"))]


def exists_in_tree(root, path, names):
    """A path exists as a file or folder, or names a glob or a pattern (a '<...>' or '*' part)."""
    if "<" in path or "*" in path:
        return True
    path = path.rstrip(".,:;")
    return (root / path).exists() or any(n == path or n.startswith(path + "/") for n in names)


def prose(name, lines):
    """(line number, the part of the line that is prose): comments in code, text outside fenced
    code blocks in markdown."""
    fenced = False
    for number, line in enumerate(lines, 1):
        if name.endswith(".md"):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced:  # an inline command line names the user's own files
                yield number, re.sub(r"`[^`]*\s[^`]*`", "", line)
            continue
        marker = "//" if name.endswith((".cpp", ".hpp", ".h", ".c")) else "#"  # also CMake, YAML, shell
        at = line.find(marker)
        if at >= 0 and not line.lstrip().startswith("#include"):
            yield number, line[at:]
        elif name.endswith(".py") and line.strip() and not re.search(r"[=()\[\]{}]", line):
            yield number, line  # docstring text


def problems(root):
    files = tracked(root)
    basenames = {Path(f).name for f in files} | {Path(f).parent.name for f in files}
    found = []
    for name in checked_files(files):
        path = root / name
        try:
            lines = path.read_text().splitlines()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for number, line in enumerate(lines, 1):
            for m in PATH.finditer(line):
                ref = m.group(1).rstrip(".,:;)'`\"")
                if ref not in BUILD_OUTPUTS and not exists_in_tree(root, ref, files):
                    found.append((name, number, ref))
            for m in INCLUDE.finditer(line):
                ref = m.group(1)
                if ref not in GENERATED and not any((root / base / ref).exists() for base in INCLUDE_ROOTS) and \
                        not (path.parent / ref).exists():
                    found.append((name, number, ref))
            if name.endswith(".md"):
                for m in LINK.finditer(line):
                    ref = m.group(1)
                    if re.match(r"^[a-z]+:", ref):
                        continue
                    if not (path.parent / ref).exists():
                        found.append((name, number, ref))
        for number, text in prose(name, lines):
            for m in BARE.finditer(text):
                ref = m.group(1)
                if ref not in basenames and ref not in GENERATED and ref not in SYSTEM:
                    found.append((name, number, ref))
    return sorted(set(found))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    found = problems(args.root)
    for name, number, ref in found:
        print(f"{name}:{number}: {ref} points nowhere")
    print(f"{len(found)} references point nowhere" if found else "every reference resolves")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
