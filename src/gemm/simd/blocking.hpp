// Register and cache blocking for each target. Only target translation units include this.
//
//   MR x NR  the register tile: MR * NR / W accumulators plus NR / W loads of B and one broadcast
//            of A must fit in the vector register file (16 registers below AVX-512, 32 with it).
//   KC       the depth of one block; fixed for all targets so that each element of C is summed in
//            the same order everywhere (see gemm.hpp). A KC x NR panel of B (16 KiB for AVX2)
//            stays in L1 while the micro-kernel sweeps the MR-row panels of A.
//   MC       rows of A packed at once: an MC x KC block (168 KiB for AVX2) stays in L2.
//   NC       columns of B packed at once: a KC x NC panel (4 MiB for AVX2) stays in the shared L3.
//            AVX-512 packs 1 MiB, one Zen 5 L2: at 2048 x 2048 the 2 MiB panel ran 5 % slower on
//            one thread and 9 % on two (NC 512 and 768 were slower still).
//   grain    kFlopsPerExtraThread: the work that pays for waking one more thread (see loops.hpp).
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstdint>

#include "simdml/gemm.hpp"

namespace {

template <class Arch>
struct Blocking;

template <>
struct Blocking<xsimd::sse2> {
  static constexpr int kMr = 6, kVectorsPerRow = 2;  // 6 x 8 tile: 12 accumulators
  static constexpr std::int64_t kMc = 96, kNc = 4096;
  static constexpr double kFlopsPerExtraThread = 2.0e5;  // AVX2's; not measured apart
};

template <>
struct Blocking<xsimd::fma3<xsimd::avx2>> {
  static constexpr int kMr = 6, kVectorsPerRow = 2;  // 6 x 16 tile: 12 accumulators
  static constexpr std::int64_t kMc = 168, kNc = 4080;
  // Zen 3, 1 -> 2 threads: 10x30x784 1.64x faster with spinning threads, 2x slower when passive.
  static constexpr double kFlopsPerExtraThread = 2.0e5;
};

template <>
struct Blocking<xsimd::avx512bw> {
  static constexpr int kMr = 12, kVectorsPerRow = 2;  // 12 x 32 tile: 24 accumulators
  static constexpr std::int64_t kMc = 144, kNc = 1024;
  // Zen 5: at 2e5, batch-10 training ran 0.84x as fast on 2 threads as on 1 (the 30x784x10 weight
  // update split, its halves crossing cores every step); 6e5 and 1.2e6 gave 0.95 to 1.0x.
  static constexpr double kFlopsPerExtraThread = 1.0e6;
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
