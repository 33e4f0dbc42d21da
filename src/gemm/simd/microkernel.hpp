// The register-tile micro-kernel and its two ways of reading A.
//
// Contract: for an MR x NR tile of C, acc(i, j) = sum over k < kc of A(i, k) * B(k, j), one fused
// multiply-add per k in increasing k, accumulators starting at zero. Then, for i < m_valid and
// j < n_valid only, C(i, j) = alpha * acc(i, j) + beta * C(i, j); beta == 0 never reads C.
//   A(i, k): from an A panel (below). Rows i >= m_valid may hold anything finite; they are computed
//            and thrown away.
//   B(k, j) = b[k * rs_b + j]: NR floats must be readable at every k. Packed panels are zero-padded
//            to NR; the unpacked path only passes full-width columns of B in place.
// Edge tiles run the same vector code into a local tile, then copy the valid part.
#pragma once

#include <algorithm>
#include <cstdint>

#include "blocking.hpp"

namespace {

// A packed MR x kc panel: element (i, k) at data[k * MR + i].
template <int MR>
struct PackedA {
  const float* data;
  float at(int i) const { return data[i]; }
  void next() { data += MR; }
};

// A read where it lies: element (i, k) at row[i][k * col_stride]. Rows past m_valid repeat the
// last valid row, so nothing outside op(A) is ever read.
template <int MR>
struct StridedA {
  const float* row[MR];
  std::int64_t col_stride;

  StridedA(const float* first, std::int64_t row_stride, std::int64_t col_stride_,
           std::int64_t m_valid)
      : col_stride(col_stride_) {
    for (int i = 0; i < MR; ++i) row[i] = first + std::min<std::int64_t>(i, m_valid - 1) * row_stride;
  }
  float at(int i) const { return *row[i]; }
  void next() {
    for (int i = 0; i < MR; ++i) row[i] += col_stride;
  }
};

template <class Arch>
struct TileStore {
  using T = Tile<Arch>;
  using V = typename T::Vector;
  static constexpr int MR = T::kMr, NV = T::kVectorsPerRow, W = T::kWidth, NR = T::kNr;

  // C = alpha * acc + beta * C on whole vectors; the one formula both full and edge tiles use.
  static void combine(const V (&acc)[MR][NV], float alpha, float beta, float* c, std::int64_t ldc) {
    const V va(alpha), vb(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* dst = c + i * ldc + v * W;
        V r = va * acc[i][v];
        if (beta != 0.0f) r = xsimd::fma(vb, V::load_unaligned(dst), r);
        r.store_unaligned(dst);
      }
    }
  }

  static void store(const V (&acc)[MR][NV], float alpha, float beta, float* c, std::int64_t ldc,
                    std::int64_t m_valid, std::int64_t n_valid) {
    if (m_valid == MR && n_valid == NR) {
      combine(acc, alpha, beta, c, ldc);
      return;
    }
    alignas(64) float tile[MR * NR] = {};
    for (std::int64_t i = 0; beta != 0.0f && i < m_valid; ++i)
      std::copy_n(c + i * ldc, n_valid, tile + i * NR);
    combine(acc, alpha, beta, tile, NR);
    for (std::int64_t i = 0; i < m_valid; ++i) std::copy_n(tile + i * NR, n_valid, c + i * ldc);
  }
};

template <class Arch, class APanel>
void microkernel(std::int64_t kc, APanel a, const float* b, std::int64_t rs_b, float alpha, float beta,
                 float* c, std::int64_t ldc, std::int64_t m_valid, std::int64_t n_valid) {
  using T = Tile<Arch>;
  using V = typename T::Vector;
  constexpr int MR = T::kMr, NV = T::kVectorsPerRow, W = T::kWidth;

  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V(0.0f);

  for (std::int64_t k = 0; k < kc; ++k) {
    V bk[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bk[v] = V::load_unaligned(b + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const V ai(a.at(i));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = xsimd::fma(ai, bk[v], acc[i][v]);
    }
    a.next();
    b += rs_b;
  }
  TileStore<Arch>::store(acc, alpha, beta, c, ldc, m_valid, n_valid);
}

}  // namespace
