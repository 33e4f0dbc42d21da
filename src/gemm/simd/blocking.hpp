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
//            columns (1 MiB) was the best measured on both CPUs that ran this order (below).
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
  // Zen 3, 1 -> 2 threads: 10x30x784 1.64x faster with spinning threads, 2x slower when passive.
  static constexpr double kFlopsPerExtraThread = 2.0e5;
};

template <>
struct Blocking<xsimd::avx512bw> {
  static constexpr int kMr = 12, kVectorsPerRow = 2;  // 12 x 32 tile: 24 accumulators
  // Emerald Rapids, 1 thread, A micro-panel in L1 against B's: 2048^3 133 -> 147 GFLOP/s, 1024^3
  // 142 -> 148. There NC 1024 (half its 2 MiB L2) beat 512 and 2048 by 3 % and 7 % at 2048^3.
  // Zen 4 (1 MiB L2; 512-bit FMAs at half Emerald Rapids' rate, so B may come from L3): NC 1024
  // beat 512 by 2 % on 1 and 2 threads at 2048^3; 2048 was another 2 % faster there. Zen 5 has
  // not run this order.
  static constexpr std::int64_t kMc = 144, kNc = 1024;
  static constexpr InL1 kInL1 = InL1::a_micro_panel;
  // Zen 5: at 2e5, batch-10 training ran 0.84x as fast on 2 threads as on 1 (the 30x784x10 weight
  // update split, its halves crossing cores every step); 6e5 and 1.2e6 gave 0.95 to 1.0x.
  // Emerald Rapids moves lines between cores more slowly: at 1e6, batch 64 with 30 hidden units
  // ran 0.82x on 2 threads (its 3 MFLOP GEMMs split); at 3.5e6 every training shape is 1.00x or
  // better.
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
