// The FMA throughput loop for one target. Twelve independent accumulator chains cover the FMA
// latency (4 cycles) times the number of FMA pipes (2) with room to spare, so throughput, not
// latency, bounds the loop.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstdint>

#include "kernels/fused.hpp"

namespace {

template <class Arch>
std::int64_t fma_peak_loop(std::int64_t iterations) {
  using V = xsimd::batch<float, Arch>;
  constexpr int kChains = 12;
  V acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = V(static_cast<float>(i));
  const V scale(0.9999999f), shift(1.0e-7f);
  for (std::int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = fused::fma(acc[i], scale, shift);
  }
  V sum(0.0f);
  for (int i = 0; i < kChains; ++i) sum += acc[i];
  volatile float sink = xsimd::hadd(sum);  // keeps the loop from being optimized away
  (void)sink;
  return iterations * kChains * static_cast<std::int64_t>(V::size) * 2;
}

}  // namespace
