// Register and cache blocking for each target. Only target translation units include this.
//
//   MR x NR  the register tile: MR * NR / W accumulators plus NR / W loads of B and one broadcast
//            of A must fit in the vector register file (16 registers below AVX-512, 32 with it).
//   KC       the depth of one block; fixed for all targets so that each element of C is summed in
//            the same order everywhere (see gemm.hpp). A KC x NR panel of B (16 KiB for AVX2)
//            stays in L1 while the micro-kernel sweeps the MR-row panels of A.
//            That holds while the panel takes at most half of L1. AVX-512's 12 x 32 tile makes it
//            32 KiB, two thirds of a 48 KiB L1, so that target turns the macro-kernel's loops
//            round (kInL1): an MR x KC panel of A (12 KiB) stays in L1 and B streams past it.
//   MC       rows of A packed at once: an MC x KC block (168 KiB for AVX2) stays in L2.
//   NC       columns of B packed at once. With the B micro-panel in L1, a KC x NC panel (4 MiB
//            for AVX2) stays in the shared L3. With the A micro-panel in L1, B streams from L2 or
//            L3 once per MR rows of A, and a narrower panel means packing A again more often; 1024
//            columns (1 MiB) was the best measured (docs/experiments.md#e11).
//   grain    kFlopsPerExtraThread: the work that pays for waking one more thread (see loops.hpp).
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstdint>

#include "simdml/gemm.hpp"

namespace {

// The packed micro-panel the macro-kernel keeps in L1 while it sweeps the other operand's.
enum class InL1 {
  b_micro_panel,  // BLIS's order: for each NR panel of B, every MR panel of A
  a_micro_panel,  // for each MR panel of A, every NR panel of B
};

template <class Arch>
struct Blocking;

template <>
struct Blocking<xsimd::sse2> {
  static constexpr int kMr = 6, kVectorsPerRow = 2;  // 6 x 8 tile: 12 accumulators
  static constexpr std::int64_t kMc = 96, kNc = 4096;
  static constexpr InL1 kInL1 = InL1::b_micro_panel;
  static constexpr double kFlopsPerExtraThread = 2.0e5;  // AVX2's; not measured apart
};

template <>
struct Blocking<xsimd::fma3<xsimd::avx2>> {
  static constexpr int kMr = 6, kVectorsPerRow = 2;  // 6 x 16 tile: 12 accumulators
  static constexpr std::int64_t kMc = 168, kNc = 4080;
  static constexpr InL1 kInL1 = InL1::b_micro_panel;
  // Small network GEMMs gain from a second spinning thread (docs/experiments.md#e06, #e35).
  static constexpr double kFlopsPerExtraThread = 2.0e5;
};

template <>
struct Blocking<xsimd::avx512bw> {
  static constexpr int kMr = 12, kVectorsPerRow = 2;  // 12 x 32 tile: 24 accumulators
  // The A micro-panel stays in L1 (docs/experiments.md#e10); NC 1024 is the best measured across
  // CPUs for that order (#e08, #e11).
  static constexpr std::int64_t kMc = 144, kNc = 1024;
  static constexpr InL1 kInL1 = InL1::a_micro_panel;
  // Below this a split's halves of C crossing cores cost more than the second thread gains
  // (docs/experiments.md#e07, #e09).
  static constexpr double kFlopsPerExtraThread = 3.5e6;
};

template <class Arch>
struct Tile : Blocking<Arch> {
  using Vector = xsimd::batch<float, Arch>;
  static constexpr int kWidth = static_cast<int>(Vector::size);
  static constexpr int kNr = Blocking<Arch>::kVectorsPerRow * kWidth;
  static constexpr std::int64_t kKc = simdml::kGemmKc;
  static_assert(Blocking<Arch>::kMc % Blocking<Arch>::kMr == 0, "MC must hold whole MR panels");
  static_assert(Blocking<Arch>::kNc % kNr == 0, "NC must hold whole NR panels");
};

}  // namespace
