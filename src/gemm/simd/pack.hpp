// Packing: copy blocks of op(A) and op(B) into the panel layouts the micro-kernel reads, padded to
// whole tiles with copies of the last valid row or column (their results are discarded, and copying
// never reads outside the operand). Handles both transpositions, so the loops above never look at
// them again. Writes are sequential; a transposing copy goes through 4x4 or 8x8 register
// transposes.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "gemm/simd/blocking.hpp"
#include "gemm/simd/lanes.hpp"

namespace {

// The W x W block src[0..W)[k .. k+W) transposed in registers, W = 4 (SSE) or 8 (AVX): cols[c]
// holds the W rows' elements at k + c.
template <int W>
struct Transpose;

template <>
struct Transpose<4> {
  using Reg = __m128;
  static void block(const float* const* src, std::int64_t k, Reg (&cols)[4]) {
    for (int i = 0; i < 4; ++i) cols[i] = _mm_loadu_ps(src[i] + k);
    _MM_TRANSPOSE4_PS(cols[0], cols[1], cols[2], cols[3]);
  }
  static void store(float* dst, Reg r) { _mm_storeu_ps(dst, r); }
};

#ifdef __AVX__
template <>
struct Transpose<8> {
  using Reg = __m256;
  static void block(const float* const* src, std::int64_t k, Reg (&cols)[8]) {
    Reg r[8], t[8], u[8];
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
      cols[c] = _mm256_permute2f128_ps(u[c], u[c + 4], 0x20);
      cols[c + 4] = _mm256_permute2f128_ps(u[c], u[c + 4], 0x31);
    }
  }
  static void store(float* dst, Reg r) { _mm256_storeu_ps(dst, r); }
};
#endif

// Transposing pack of `count` source rows (count a multiple of W, each kc long) into columns:
// out[k * ld_out + j] = rows[j][k].
template <int W>
void transpose_rows(const float* const* rows, std::int64_t count, std::int64_t kc, float* out,
                    std::int64_t ld_out) {
  using X = Transpose<W>;
  std::int64_t k = 0;
  for (; k + W <= kc; k += W)
    for (std::int64_t j = 0; j < count; j += W) {
      typename X::Reg cols[W];
      X::block(rows + j, k, cols);
      for (int c = 0; c < W; ++c) X::store(out + (k + c) * ld_out + j, cols[c]);
    }
  for (; k < kc; ++k)
    for (std::int64_t j = 0; j < count; ++j) out[k * ld_out + j] = rows[j][k];
}

// The transpose width a target uses: 4 with SSE only, 8 from AVX on.
template <class Arch>
constexpr int kTransposeWidth = Tile<Arch>::kWidth == 4 ? 4 : 8;

// A's MR rows are transposed in blocks of W (the transpose width), the rows past MR being copies
// of the last one. Each block column is stored whole, in increasing address order, so its padding
// lanes land on the next column's first rows and are overwritten by them. The last column's padding
// runs this many floats past the panel, into the next panel (written later) or a buffer's spare
// end.
template <class Arch>
constexpr int kTransposeGroups =
    (Tile<Arch>::kMr + kTransposeWidth<Arch> - 1) / kTransposeWidth<Arch>;
template <class Arch>
constexpr std::int64_t kPackASlack =
    kTransposeGroups<Arch>* kTransposeWidth<Arch> - Tile<Arch>::kMr;

// src[i][0 : kc] for the panel's rows (kTransposeGroups * W pointers) -> out[k * MR + i].
template <class Arch>
void pack_a_rows(const float* const* src, std::int64_t kc, float* out) {
  constexpr int MR = Tile<Arch>::kMr, W = kTransposeWidth<Arch>, G = kTransposeGroups<Arch>;
  using X = Transpose<W>;
  std::int64_t k = 0;
  for (; k + W <= kc; k += W) {
    typename X::Reg cols[G][W];
    for (int g = 0; g < G; ++g) X::block(src + g * W, k, cols[g]);
    for (int c = 0; c < W; ++c)
      for (int g = 0; g < G; ++g) X::store(out + (k + c) * MR + g * W, cols[g][c]);
  }
  for (; k < kc; ++k)
    for (int i = 0; i < MR; ++i) out[k * MR + i] = src[i][k];
}

// op(A)[i0 : i0+mc, l0 : l0+kc] -> MR-row panels, each kc x MR: panel[k * MR + i]. `out` has
// kPackASlack floats to spare after the last panel.
template <class Arch>
void pack_a(const simdml::GemmProblem& p, std::int64_t i0, std::int64_t mc, std::int64_t l0,
            std::int64_t kc, float* out) {
  constexpr int MR = Tile<Arch>::kMr, W = kTransposeWidth<Arch>, G = kTransposeGroups<Arch>;
  for (std::int64_t ir = 0; ir < mc; ir += MR, out += kc * MR) {
    const std::int64_t rows = std::min<std::int64_t>(MR, mc - ir);
    std::int64_t row[G * W];
    for (std::int64_t i = 0; i < G * W; ++i) row[i] = i0 + ir + std::min(i, rows - 1);
    if (p.trans_a == simdml::Trans::yes) {  // stored K x M: op(A)'s column k is stored row k
      const float* src = p.a + l0 * p.lda;
      if (rows == MR) {  // the panel's MR elements of each stored row are contiguous
        for (std::int64_t k = 0; k < kc; ++k, src += p.lda)
          std::memcpy(out + k * MR, src + row[0], MR * sizeof(float));  // inlined: a fixed size
        continue;
      }
      for (std::int64_t k = 0; k < kc; ++k, src += p.lda)
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) out[k * MR + i] = src[row[i]];
    } else {
      const float* src[G * W];
      for (int i = 0; i < G * W; ++i) src[i] = p.a + row[i] * p.lda + l0;
      pack_a_rows<Arch>(src, kc, out);
    }
  }
}

// The first `cols` (1..width-1) floats of each of kc rows, ld apart -> kc rows of `width` (NR, or
// one vector for a narrow panel), the columns past cols holding copies of the last valid one:
// whole vectors, the one cut by the edge masked. SSE2 has no masked loads, and its 8-float rows
// copy faster element by element than through a buffer.
template <class Arch>
void pack_ragged_rows(const float* src, std::int64_t ld, std::int64_t kc, std::int64_t cols,
                      std::int64_t width, float* out) {
  using T = Tile<Arch>;
  using V = typename T::Vector;
  constexpr int W = T::kWidth;
  if constexpr (W == 4) {
    for (std::int64_t k = 0; k < kc; ++k, src += ld, out += width)
      for (std::int64_t j = 0; j < width; ++j) out[j] = src[std::min(j, cols - 1)];
  } else {
    const std::int64_t whole = cols / W;    // vectors of valid columns only
    const PartialVector<V> edge(cols % W);  // the vector the edge cuts, if any
    const std::int64_t vectors = width / W;
    for (std::int64_t k = 0; k < kc; ++k, src += ld, out += width) {
      const V last(src[cols - 1]);
      for (std::int64_t v = 0; v < vectors; ++v) {
        V x = last;  // past the edge
        if (v < whole)
          x = V::load_unaligned(src + v * W);
        else if (v == whole && cols % W != 0)
          x = edge.load_or(src + v * W, last);
        x.store_unaligned(out + v * W);
      }
    }
  }
}

// op(B)[l0 : l0+kc, j0 : j0+width] -> one kc x width panel: panel[k * width + j]. width is NR, or
// one vector when the panel's valid columns fit in one (the narrow kernel reads no more: a
// 16-column share of a layer then packs half as much).
template <class Arch, std::int64_t width = Tile<Arch>::kNr>
void pack_b_panel(const simdml::GemmProblem& p, std::int64_t l0, std::int64_t kc, std::int64_t j0,
                  float* out) {
  const std::int64_t cols = std::min<std::int64_t>(width, p.n - j0);
  if (p.trans_b == simdml::Trans::no) {  // rows of op(B) are contiguous
    const float* src = p.b + l0 * p.ldb + j0;
    if (cols < width) return pack_ragged_rows<Arch>(src, p.ldb, kc, cols, width, out);
    for (std::int64_t k = 0; k < kc; ++k, src += p.ldb) {
#pragma GCC unroll 4
      for (std::int64_t j = 0; j < width; ++j) out[k * width + j] = src[j];
    }
    return;
  }
  // Stored N x K: column j of op(B) is stored row j0 + j, contiguous in k.
  const float* rows[width];
  for (std::int64_t j = 0; j < width; ++j)
    rows[j] = p.b + (j0 + std::min(j, cols - 1)) * p.ldb + l0;
  transpose_rows<kTransposeWidth<Arch>>(rows, width, kc, out, width);
}

}  // namespace
