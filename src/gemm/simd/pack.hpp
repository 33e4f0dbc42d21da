// Packing: copy blocks of op(A) and op(B) into the panel layouts the micro-kernel reads, zero-padded
// to whole tiles. Handles both transpositions, so the loops above never look at them again.
#pragma once

#include <algorithm>
#include <cstdint>

#include "blocking.hpp"

namespace {

// op(A)[i0 : i0+mc, l0 : l0+kc] -> MR-row panels, each kc x MR: panel[k * MR + i].
template <int MR>
void pack_a(const simdml::GemmProblem& p, std::int64_t i0, std::int64_t mc, std::int64_t l0,
            std::int64_t kc, float* out) {
  for (std::int64_t ir = 0; ir < mc; ir += MR, out += kc * MR) {
    const std::int64_t rows = std::min<std::int64_t>(MR, mc - ir);
    for (std::int64_t i = 0; i < MR; ++i) {
      if (i >= rows) {
        for (std::int64_t k = 0; k < kc; ++k) out[k * MR + i] = 0.0f;
      } else if (p.trans_a == simdml::Trans::no) {
        const float* src = p.a + (i0 + ir + i) * p.lda + l0;
        for (std::int64_t k = 0; k < kc; ++k) out[k * MR + i] = src[k];
      } else {
        const float* src = p.a + l0 * p.lda + (i0 + ir + i);
        for (std::int64_t k = 0; k < kc; ++k) out[k * MR + i] = src[k * p.lda];
      }
    }
  }
}

// op(B)[l0 : l0+kc, j0 + jr : j0 + jr + NR] -> one kc x NR panel: panel[k * NR + j].
template <int NR>
void pack_b_panel(const simdml::GemmProblem& p, std::int64_t l0, std::int64_t kc, std::int64_t j0,
                  float* out) {
  const std::int64_t cols = std::min<std::int64_t>(NR, p.n - j0);
  if (p.trans_b == simdml::Trans::no) {
    for (std::int64_t k = 0; k < kc; ++k) {
      const float* src = p.b + (l0 + k) * p.ldb + j0;
      float* dst = out + k * NR;
      std::copy_n(src, cols, dst);
      std::fill(dst + cols, dst + NR, 0.0f);
    }
  } else {
    for (std::int64_t j = 0; j < NR; ++j) {
      if (j >= cols) {
        for (std::int64_t k = 0; k < kc; ++k) out[k * NR + j] = 0.0f;
        continue;
      }
      const float* src = p.b + (j0 + j) * p.ldb + l0;
      for (std::int64_t k = 0; k < kc; ++k) out[k * NR + j] = src[k];
    }
  }
}

}  // namespace
