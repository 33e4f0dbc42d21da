// The int8 k-NN kernels as templates over a target's integer vector operations (Ops); each
// target_<isa>.cpp supplies Ops and instantiates them. Internal linkage keeps every target's copy
// apart.
//
// The arithmetic: a 32-bit lane holds the dot product of one query with one training row, exact.
// Each step multiplies one broadcast query word by the same features of NR training rows and adds
// the products into the lanes, in one of two ways:
//   PairWords: two features per word. Pixels are widened to int16 and multiplied pairwise with
//              multiply-add-pairs (pmaddwd: two int16 x int16 products summed into one int32).
//   Ops itself (VNNI): four features per word, byte by byte, summed into the lane in one
//              instruction (vpdpbusd), which wants one operand signed (see kernels.hpp).
#pragma once

#include <cstdint>

#include "knn/int8/kernels.hpp"

namespace simdml::knn_detail {
namespace {

// The pmaddwd targets' step, on top of their Ops (widen_pairs, madd, add).
template <class Ops>
struct PairWords : Ops {
  using V = typename Ops::Vector;
  static constexpr int kFeaturesPerWord = 2, kQueryOffset = 0;
  static V load_train(const std::uint8_t* p) { return Ops::widen_pairs(p); }
  static V dot_add(V acc, V query_word, V train) {
    return Ops::add(acc, Ops::madd(query_word, train));
  }
};

// The first distance in d[from, n) at most `bound`, or n: the candidate scan after each tile.
// Needs only Ops' kLanes, load and any_at_most, so a kernel whose distances come from elsewhere
// (AMX's tiles) can still use it.
template <class Ops>
struct CandidateScan {
  static std::int64_t find_at_most(const std::int32_t* d, std::int64_t from, std::int64_t n,
                                   std::int32_t bound) {
    std::int64_t j = from;
    for (; j + Ops::kLanes <= n; j += Ops::kLanes)
      if (Ops::any_at_most(Ops::load(d + j), bound)) break;
    for (; j < n; ++j)
      if (d[j] <= bound) return j;
    return n;
  }

  // A whole pass, without a call per element kept: targets with a compress (Ops::compress_at_most)
  // store each vector's kept lanes in one step, with no branch; the others test a vector at once.
  static std::int64_t collect_at_most(const std::int32_t* d, std::int64_t n, std::int32_t bound,
                                      std::int32_t* rows, std::int32_t* values) {
    std::int64_t count = 0, j = 0;
    for (; j + Ops::kLanes <= n; j += Ops::kLanes) {
      const auto v = Ops::load(d + j);
      if constexpr (requires { Ops::compress_at_most(v, bound, 0, rows, values); }) {
        count += Ops::compress_at_most(v, bound, static_cast<std::int32_t>(j), rows + count,
                                       values + count);
      } else {
        if (!Ops::any_at_most(v, bound)) continue;
        for (std::int64_t l = j; l < j + Ops::kLanes; ++l)
          if (d[l] <= bound) {
            rows[count] = static_cast<std::int32_t>(l);
            values[count++] = d[l];
          }
      }
    }
    for (; j < n; ++j)
      if (d[j] <= bound) {
        rows[count] = static_cast<std::int32_t>(j);
        values[count++] = d[j];
      }
    return count;
  }
};

// One query against one training row, both in plain word order (kernels.hpp's row_dot): two
// accumulators, so consecutive multiply-adds do not wait on each other.
template <class Ops>
struct RowDot {
  using V = typename Ops::Vector;
  static constexpr std::int64_t kStep = Ops::kLanes;
  static_assert(kRowDotWords % kStep == 0);

  static std::int32_t row_dot(std::int64_t words, const std::int32_t* q, const std::uint8_t* t) {
    constexpr std::int64_t F = Ops::kFeaturesPerWord;
    V acc0 = Ops::zero(), acc1 = Ops::zero();
    std::int64_t w = 0;
    for (; w + 2 * kStep <= words; w += 2 * kStep) {
      acc0 = Ops::dot_add(acc0, Ops::load(q + w), Ops::load_train(t + w * F));
      acc1 = Ops::dot_add(acc1, Ops::load(q + w + kStep), Ops::load_train(t + (w + kStep) * F));
    }
    if (w < words) acc0 = Ops::dot_add(acc0, Ops::load(q + w), Ops::load_train(t + w * F));
    return Ops::reduce_add(Ops::add(acc0, acc1));
  }
};

template <class Ops>
struct Int8Tile {
  using V = typename Ops::Vector;
  static constexpr int kLanes = Ops::kLanes;
  static constexpr int kVectors = 2;  // per tile row
  static constexpr int MR = Ops::kRows;
  static constexpr int NR = kLanes * kVectors;

  static constexpr int F = Ops::kFeaturesPerWord;

  static void distance_tile(std::int64_t words, const std::int32_t* a, const std::uint8_t* b,
                            const std::int32_t* qn, const std::int32_t* tn, std::int32_t* dist,
                            std::int64_t ldd) {
    V acc[MR][kVectors];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < kVectors; ++v) acc[i][v] = Ops::zero();
#pragma GCC unroll 2
    for (std::int64_t w = 0; w < words; ++w) {
      const V b0 = Ops::load_train(b), b1 = Ops::load_train(b + F * kLanes);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const V ai = Ops::broadcast(a[i]);
        acc[i][0] = Ops::dot_add(acc[i][0], ai, b0);
        acc[i][1] = Ops::dot_add(acc[i][1], ai, b1);
      }
      a += MR;
      b += F * NR;
    }
    const V tn0 = Ops::load(tn), tn1 = Ops::load(tn + kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const V qi = Ops::broadcast(qn[i]);
      Ops::store(dist + i * ldd, Ops::sub(Ops::add(qi, tn0), Ops::add(acc[i][0], acc[i][0])));
      Ops::store(dist + i * ldd + kLanes,
                 Ops::sub(Ops::add(qi, tn1), Ops::add(acc[i][1], acc[i][1])));
    }
  }

  static constexpr Int8Kernels table(Isa isa) {
    return {isa,
            MR,
            NR,
            F,
            Ops::kQueryOffset,
            1,
            distance_tile,
            RowDot<Ops>::row_dot,
            CandidateScan<Ops>::find_at_most,
            CandidateScan<Ops>::collect_at_most};
  }
};

}  // namespace
}  // namespace simdml::knn_detail
