// Packing: copy blocks of op(A) and op(B) into the panel layouts the micro-kernel reads, padded to
// whole tiles with copies of the last valid row or column (their results are discarded, and copying
// never reads outside the operand). Handles both transpositions, so the loops above never look at them again. Writes
// are sequential; a transposing copy goes through 4x4 or 8x8 register transposes.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "blocking.hpp"

namespace {

// dst[k * ld_dst + j] = src[j][k] for j, k < 4 (SSE) or 8 (AVX): W rows become W columns.
template <int W>
void transpose_block(const float* const* src, std::int64_t k, float* dst, std::int64_t ld_dst) {
  if constexpr (W == 4) {
    __m128 r0 = _mm_loadu_ps(src[0] + k), r1 = _mm_loadu_ps(src[1] + k);
    __m128 r2 = _mm_loadu_ps(src[2] + k), r3 = _mm_loadu_ps(src[3] + k);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(dst + 0 * ld_dst, r0);
    _mm_storeu_ps(dst + 1 * ld_dst, r1);
    _mm_storeu_ps(dst + 2 * ld_dst, r2);
    _mm_storeu_ps(dst + 3 * ld_dst, r3);
  } else {
#ifdef __AVX__
    static_assert(W == 8);
    __m256 r[8], t[8], u[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src[i] + k);
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
    }
    for (int i = 0; i < 8; i += 4) {
      u[i + 0] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));      // column 0 | 4
      u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));      // column 1 | 5
      u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));  // column 2 | 6
      u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));  // column 3 | 7
    }
    for (int c = 0; c < 4; ++c) {
      _mm256_storeu_ps(dst + c * ld_dst, _mm256_permute2f128_ps(u[c], u[c + 4], 0x20));
      _mm256_storeu_ps(dst + (c + 4) * ld_dst, _mm256_permute2f128_ps(u[c], u[c + 4], 0x31));
    }
#endif
  }
}

// Transposing pack of `count` source rows (count a multiple of W, each kc long) into columns.
template <int W>
void transpose_rows(const float* const* rows, std::int64_t count, std::int64_t kc, float* out,
                    std::int64_t ld_out) {
  std::int64_t k = 0;
  for (; k + W <= kc; k += W)
    for (std::int64_t j = 0; j < count; j += W) transpose_block<W>(rows + j, k, out + k * ld_out + j, ld_out);
  for (; k < kc; ++k)
    for (std::int64_t j = 0; j < count; ++j) out[k * ld_out + j] = rows[j][k];
}

// The transpose width a target uses: 4 with SSE only, 8 from AVX on.
template <class Arch>
constexpr int kTransposeWidth = Tile<Arch>::kWidth == 4 ? 4 : 8;

// op(A)[i0 : i0+mc, l0 : l0+kc] -> MR-row panels, each kc x MR: panel[k * MR + i].
template <class Arch>
void pack_a(const simdml::GemmProblem& p, std::int64_t i0, std::int64_t mc, std::int64_t l0,
            std::int64_t kc, float* out) {
  constexpr int MR = Tile<Arch>::kMr;
  for (std::int64_t ir = 0; ir < mc; ir += MR, out += kc * MR) {
    const std::int64_t rows = std::min<std::int64_t>(MR, mc - ir);
    std::int64_t row[MR];
    for (std::int64_t i = 0; i < MR; ++i) row[i] = i0 + ir + std::min(i, rows - 1);
    if (p.trans_a == simdml::Trans::yes) {  // stored K x M: op(A)'s column k is stored row k
      const float* src = p.a + l0 * p.lda;
      for (std::int64_t k = 0; k < kc; ++k, src += p.lda)
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) out[k * MR + i] = src[row[i]];
    } else {
      const float* src[MR];
      for (int i = 0; i < MR; ++i) src[i] = p.a + row[i] * p.lda + l0;
      for (std::int64_t k = 0; k < kc; ++k)
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) out[k * MR + i] = src[i][k];
    }
  }
}

// op(B)[l0 : l0+kc, j0 : j0+NR] -> one kc x NR panel: panel[k * NR + j].
template <class Arch>
void pack_b_panel(const simdml::GemmProblem& p, std::int64_t l0, std::int64_t kc, std::int64_t j0,
                  float* out) {
  constexpr int NR = Tile<Arch>::kNr;
  const std::int64_t cols = std::min<std::int64_t>(NR, p.n - j0);
  if (p.trans_b == simdml::Trans::no) {  // rows of op(B) are contiguous
    const float* src = p.b + l0 * p.ldb + j0;
    for (std::int64_t k = 0; k < kc; ++k, src += p.ldb) {
      float* dst = out + k * NR;
      if (cols == NR) {
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) dst[j] = src[j];
      } else {
        for (std::int64_t j = 0; j < NR; ++j) dst[j] = src[std::min(j, cols - 1)];
      }
    }
    return;
  }
  // Stored N x K: column j of op(B) is stored row j0 + j, contiguous in k.
  const float* rows[NR];
  for (std::int64_t j = 0; j < NR; ++j) rows[j] = p.b + (j0 + std::min(j, cols - 1)) * p.ldb + l0;
  transpose_rows<kTransposeWidth<Arch>>(rows, NR, kc, out, NR);
}

}  // namespace
