// The register-tile micro-kernel and its three ways of reading A: packed, or in place by rows or
// columns.
//
// Contract: for a ROWS x NR tile of C (ROWS <= MR), acc(i, j) = sum over k < kc of A(i, k) B(k, j),
// one multiply-add per k in increasing k (fused where the target has FMA; fused.hpp),
// accumulators starting at zero. Then, for j < n_valid only, C(i, j) = alpha * acc(i, j) +
// beta * C(i, j); beta == 0 never reads C. GemmTileFunction (gemm.hpp) states it for callers.
//   A(i, k): from an A panel (below); only rows i < ROWS are read.
//   B(k, j) = b[k * rs_b + j]: NR floats at every k, the last vector read through `b_last`: a
//            whole vector (a packed strip, whose columns j >= n_valid copy the last valid column;
//            see pack.hpp), or only its valid lanes, the rest zero (a ragged B read in place).
//            Results in columns j >= n_valid are computed and thrown away.
// Ragged rows get a kernel with fewer rows (no wasted FMAs). Ragged columns compute whole vectors
// and move only the valid lanes of the last one in and out of C (masked moves from AVX on); when
// they fit one vector, a kernel one vector wide does it (a 100-column C's last panel holds 4
// columns: 8 lanes of work, not 16). Every width sums each element in the same order, so the
// results do not depend on which kernel ran.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "gemm/simd/blocking.hpp"
#include "gemm/simd/lanes.hpp"
#include "kernels/fused.hpp"

namespace {

// A packed MR x kc panel: element (i, k) at data[k * MR + i].
template <int MR>
struct PackedA {
  const float* data;
  float at(int i) const { return data[i]; }
  void next() { data += MR; }
};

// A read where it lies (the unpacked path), in one of two layouts. Each keeps one moving index,
// not MR: the k loop then spends one add per step on A instead of one per row.

// op(A) untransposed: element (i, k) at row[i][k], the tile's rows each contiguous in k.
template <int MR>
struct RowsOfA {
  const float* row[MR];
  std::int64_t k = 0;

  RowsOfA(const float* first, std::int64_t lda, std::int64_t rows) {
    for (int i = 0; i < MR; ++i) row[i] = first + std::min<std::int64_t>(i, rows - 1) * lda;
  }
  float at(int i) const { return row[i][k]; }
  void next() { ++k; }
};

// op(A) transposed (A stored K x M): element (i, k) at column[k * lda + i], the tile's elements
// at each k contiguous.
struct ColumnsOfA {
  const float* column;
  std::int64_t lda;

  float at(int i) const { return column[i]; }
  void next() { column += lda; }
};

template <class Arch, int ROWS, int NV>
struct TileStore {
  using T = Tile<Arch>;
  using V = typename T::Vector;
  static constexpr int W = T::kWidth, NR = NV * W;  // NR: the columns this kernel computes

  // C = alpha * acc + beta * C on every row, the last vector of each moved by `last`; the one
  // formula full and ragged tiles share.
  template <class LastVector>
  static void combine(const V (&acc)[ROWS][NV], float alpha, float beta, float* c, std::int64_t ldc,
                      const LastVector& last) {
    const V va(alpha), vb(beta);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* dst = c + i * ldc + v * W;
        V r = va * acc[i][v];
        if (v + 1 < NV) {
          if (beta != 0.0f) r = fused::fma(vb, V::load_unaligned(dst), r);
          r.store_unaligned(dst);
        } else {
          if (beta != 0.0f) r = fused::fma(vb, last.load(dst), r);
          last.store(dst, r);
        }
      }
    }
  }

  // Columns [0, n_valid) of the tile; n_valid > (NV - 1) * W (see with_tile_width).
  static void store(const V (&acc)[ROWS][NV], float alpha, float beta, float* c, std::int64_t ldc,
                    std::int64_t n_valid) {
    if (n_valid == NR)
      combine(acc, alpha, beta, c, ldc, WholeVector<V>{});
    else
      combine(acc, alpha, beta, c, ldc, PartialVector<V>(n_valid - (NV - 1) * W));
  }
};

// NV vectors per row: T::kVectorsPerRow for a whole panel, fewer for a narrow last panel.
template <class Arch, int ROWS, int NV, class APanel, class BLast>
void microkernel(std::int64_t kc, APanel a, const float* b, std::int64_t rs_b, const BLast& b_last,
                 float alpha, float beta, float* c, std::int64_t ldc, std::int64_t n_valid) {
  using T = Tile<Arch>;
  using V = typename T::Vector;
  constexpr int W = T::kWidth;

  // C is touched only after the k loop; start fetching its rows now so the store does not wait.
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i) {
    __builtin_prefetch(c + i * ldc, 1);
    __builtin_prefetch(c + i * ldc + NV * W - 1, 1);
  }
  V acc[ROWS][NV];
#pragma GCC unroll 16
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V(0.0f);

#pragma GCC unroll 4
  for (std::int64_t k = 0; k < kc; ++k) {
    V bk[NV];
#pragma GCC unroll 4
    for (int v = 0; v + 1 < NV; ++v) bk[v] = V::load_unaligned(b + v * W);
    bk[NV - 1] = b_last.load(b + (NV - 1) * W);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
      const V ai(a.at(i));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = fused::fma(ai, bk[v], acc[i][v]);
    }
    a.next();
    b += rs_b;
  }
  TileStore<Arch, ROWS, NV>::store(acc, alpha, beta, c, ldc, n_valid);
}

// Runs the micro-kernel instantiated for exactly `rows` (1..MR) rows.
template <class Arch, int NV, class APanel, class BLast, int... Rows>
void microkernel_rows(std::integer_sequence<int, Rows...>, std::int64_t rows, std::int64_t kc,
                      const APanel& a, const float* b, std::int64_t rs_b, const BLast& b_last,
                      float alpha, float beta, float* c, std::int64_t ldc, std::int64_t n_valid) {
  (void)((rows == Rows + 1 &&
          (microkernel<Arch, Rows + 1, NV>(kc, a, b, rs_b, b_last, alpha, beta, c, ldc, n_valid),
           true)) ||
         ...);
}

// Runs the kernel NV vectors wide on a tile of `rows` (1..MR) rows.
template <class Arch, int NV, class APanel, class BLast>
void run_tile(std::int64_t rows, std::int64_t kc, const APanel& a, const float* b,
              std::int64_t rs_b, const BLast& b_last, float alpha, float beta, float* c,
              std::int64_t ldc, std::int64_t n_valid) {
  constexpr int MR = Tile<Arch>::kMr;
  if (rows == MR)  // the hot case, without the search
    microkernel<Arch, MR, NV>(kc, a, b, rs_b, b_last, alpha, beta, c, ldc, n_valid);
  else
    microkernel_rows<Arch, NV>(std::make_integer_sequence<int, MR - 1>{}, rows, kc, a, b, rs_b,
                               b_last, alpha, beta, c, ldc, n_valid);
}

// Calls sweep(std::integral_constant<int, NV>) with the kernel width a panel of n_valid columns
// needs: one vector when they fit in one, else the whole panel. Decided once per panel, outside
// the loops over its tiles.
template <class Arch, class Sweep>
void with_tile_width(std::int64_t n_valid, Sweep sweep) {
  using T = Tile<Arch>;
  static_assert(T::kVectorsPerRow == 2, "the narrow edge kernel is half a panel");
  if (n_valid <= T::kWidth)
    sweep(std::integral_constant<int, 1>{});
  else
    sweep(std::integral_constant<int, T::kVectorsPerRow>{});
}

// The micro-kernel on one tile of packed panels, as the packed macro-kernel runs it
// (GemmTileFunction's contract in gemm.hpp). Instantiated only in tile_<isa>.cpp.
template <class Arch>
void simd_tile(std::int64_t rows, std::int64_t kc, const float* a, const float* b, float alpha,
               float beta, float* c, std::int64_t ldc, std::int64_t n_valid) {
  using T = Tile<Arch>;
  with_tile_width<Arch>(n_valid, [&](auto width) {
    run_tile<Arch, decltype(width)::value>(rows, kc, PackedA<T::kMr>{a}, b, T::kNr,
                                           WholeVector<typename T::Vector>{}, alpha, beta, c, ldc,
                                           n_valid);
  });
}

}  // namespace
