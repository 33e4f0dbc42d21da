// Register and cache blocking for each target. Only target translation units include this.
//
//   MR x NR  the register tile: MR * NR / W accumulators plus NR / W loads of B and one broadcast
//            of A must fit in the vector register file (16 registers below AVX-512, 32 with it).
//   KC       the depth of one block; fixed for all targets so that each element of C is summed in
//            the same order everywhere (see gemm.hpp). A KC x NR panel of B (16 KiB for AVX2)
//            stays in L1 while the micro-kernel sweeps the MR-row panels of A.
//            That holds while the panel takes at most half of L1. AVX-512's 12 x 32 tile makes it
//            32 KiB, two thirds of a 48 KiB L1, so that target turns the macro-kernel's loops
//            round (kInL1): an MR x KC panel of A (12 KiB) stays in L1 and B streams from L2.
//   MC       rows of A packed at once: an MC x KC block (168 KiB for AVX2) stays in L2.
//   NC       columns of B packed at once. With the B micro-panel in L1, a KC x NC panel (4 MiB
//            for AVX2) stays in the shared L3. With the A micro-panel in L1, B streams from L2, so
//            the panel is sized at run time to half the L2 that dispatch reports (see panel_columns).
//   grain    kFlopsPerExtraThread: the work that pays for waking one more thread (see loops.hpp).
#pragma once

#include <xsimd/xsimd.hpp>

#include <algorithm>
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
  // 142 -> 148. NC (half of its 2 MiB L2: 1024) beat 512 and 2048 by 3 % and 7 % at 2048^3.
  // Zen 5 (1 MiB L2, so NC 512) has not run this order.
  static constexpr std::int64_t kMc = 144, kNc = 4096;  // kNc: the cap on the L2-sized panel
  static constexpr InL1 kInL1 = InL1::a_micro_panel;
  // Zen 5: at 2e5, batch-10 training ran 0.84x as fast on 2 threads as on 1 (the 30x784x10 weight
  // update split, its halves crossing cores every step); 6e5 and 1.2e6 gave 0.95 to 1.0x.
  // Emerald Rapids moves lines between cores more slowly: at 1e6, batch 64 with 30 hidden units
  // ran 0.82x on 2 threads (its 3 MFLOP GEMMs split); at 3.5e6 every training shape is 1.00x or better.
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

  // NC for this CPU: the fixed kNc, or with B streaming from L2, as many whole NR panels as fill
  // half the L2 (the other half holds A's block and C's lines), between 4 panels and kNc.
  static std::int64_t panel_columns() {
    if constexpr (Blocking<Arch>::kInL1 == InL1::b_micro_panel) {
      return Blocking<Arch>::kNc;
    } else {
      static const std::int64_t columns = [] {
        const std::int64_t reported = simdml::cpu_info().l2_bytes;
        const std::int64_t l2_bytes = reported > 0 ? reported : std::int64_t{1} << 20;
        const std::int64_t panels = l2_bytes / 2 / (kKc * kNr * std::int64_t{sizeof(float)});
        return std::clamp<std::int64_t>(panels, 4, Blocking<Arch>::kNc / kNr) * kNr;
      }();
      return columns;
    }
  }
};

}  // namespace
