#!/usr/bin/python3
"""Checks on the library's machine code that hold on any CPU, including one without AVX-512.

usage: object_code_test.py OBJECT...   (the simdml library's object files)

1. Every floating-point kernel built for an FMA target (avx2, avx512) contains packed fused
   multiply-adds of that target's width. xsimd 8.1 has no FMA for AVX-512 and silently computes
   x * y + z there; this is the check that would have caught it on a machine that cannot run the
   AVX-512 code.
2. Nothing outside the avx2 and avx512 translation units (and avx512vnni and amx, extensions of
   avx512) uses a ymm or zmm register: code that runs before dispatch, and the sse2 fallback, must run on
   any x86-64.
"""
import re
import subprocess
import sys
import unittest
from pathlib import Path

# Folders whose target_<isa> units hold float kernels (the int8 k-NN kernels multiply integers).
FLOAT_KERNELS = ("gemm/simd", "activations", "kernels")  # the FMA-peak loop is kernels/target_*
WIDE_TARGETS = {"avx2": "ymm", "avx512": "zmm"}
# Targets whose code may use ymm/zmm registers: the wide targets and their extensions.
WIDE_REGISTER_TARGETS = {*WIDE_TARGETS, "avx512vnni", "amx"}
PACKED_FMA = re.compile(r"\bvfn?m(add|sub)\d{3}ps\b.*%(?P<reg>[xyz]mm)")
WIDE_REGISTER = re.compile(r"%[yz]mm\d")


def disassembly(path):
    return subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(path)], check=True,
                          capture_output=True, text=True).stdout


def target_of(path):
    """'avx2', 'avx512', 'sse2' for a per-target object (target_<isa>.cpp, or the GEMM's
    tile_<isa>.cpp), else None."""
    m = re.fullmatch(r"(?:target|tile)_(\w+)\.cpp\.o(bj)?", path.name)
    return m.group(1) if m else None


class ObjectCode(unittest.TestCase):
    objects = []

    def test_fma_targets_fuse_their_multiply_adds(self):
        checked = 0
        for path in self.objects:
            isa = target_of(path)
            if isa not in WIDE_TARGETS or not any(f"/{d}/" in path.as_posix() for d in FLOAT_KERNELS):
                continue
            widths = [m.group("reg") for m in PACKED_FMA.finditer(disassembly(path))]
            self.assertIn(WIDE_TARGETS[isa], widths, f"{path}: no packed FMA on {WIDE_TARGETS[isa]} registers")
            checked += 1
        self.assertGreaterEqual(checked, len(FLOAT_KERNELS) * len(WIDE_TARGETS), "float kernel objects not all found")

    def test_no_wide_registers_outside_the_wide_targets(self):
        for path in self.objects:
            if target_of(path) in WIDE_REGISTER_TARGETS:
                continue
            lines = [l for l in disassembly(path).splitlines() if WIDE_REGISTER.search(l)]
            self.assertEqual([], lines[:3], f"{path} uses ymm/zmm registers outside a wide target")


if __name__ == "__main__":
    ObjectCode.objects = [Path(p) for p in sys.argv[1:]]
    if not ObjectCode.objects:
        sys.exit(__doc__)
    unittest.main(argv=sys.argv[:1], verbosity=1)
