// The per-target pieces of the int8 k-NN: a register-blocked tile of exact integer distances, and
// the scan that finds the next candidate in a row of them. The driver (int8.cpp) owns packing,
// tiling, threads and the top-k lists; only these two functions differ between targets.
#pragma once

#include <cstdint>

#include "simdml/dispatch.hpp"

namespace simdml::knn_detail {

// row_dot's words come in multiples of this: every target's vector, and AMX's row block.
inline constexpr std::int64_t kRowDotWords = 16;

struct Int8Kernels {
  Isa isa;
  int rows;  // MR: queries per tile
  int cols;  // NR: training rows per tile
  // F: features per 32-bit word. 2: int16 pairs (pmaddwd); 4: byte quads (VNNI's vpdpbusd).
  int features_per_word;
  // 0, or 128 where the multiply needs one signed operand (vpdpbusd: u8 x s8): query bytes are
  // stored as q - 128, and the caller folds the difference, -2 * 128 * sum of t, into the
  // training rows' norms.
  int query_offset;
  // B: consecutive words of one query the kernel reads as a row (AMX tiles: 16 words, 64 bytes);
  // 1 for the kernels that broadcast one word at a time. Rows are padded with zero words to a
  // multiple of B, the training rows too.
  int query_row_words;

  // Contract: for i < MR, j < NR,
  //   dist[i * ldd + j] = query_norms[i] + train_norms[j] - 2 * sum over f of (q_i[f] - offset) *
  //   t_j[f]
  // exactly, in int32 (the caller keeps every term below 2^31).
  //   query_panel: word ((w / B) * MR + i) * B + w % B holds features F w ... F w + F - 1 of
  //                query i, minus the offset, as F signed fields of 32 / F bits (the first
  //                lowest); fields past the features and rows past the queries hold 0.
  //   train_panel: byte (w * NR + j) * F + h holds feature F w + h of training row j, 0 past the
  //                features or the rows.
  // Every element of the MR x NR tile is written, also those of padding rows.
  void (*distance_tile)(std::int64_t words, const std::int32_t* query_panel,
                        const std::uint8_t* train_panel, const std::int32_t* query_norms,
                        const std::int32_t* train_norms, std::int32_t* dist, std::int64_t ldd);

  // sum over f of (q[f] - offset) * t[f] for one query and one training row, exactly: query_words
  // holds the query's words in order (a panel of one row), train_row the row's bytes in order
  // (F per word), both zero past the features; words is a multiple of kRowDotWords.
  std::int32_t (*row_dot)(std::int64_t words, const std::int32_t* query_words,
                          const std::uint8_t* train_row);

  // The first j in [from, n) with d[j] <= bound, or n.
  std::int64_t (*find_at_most)(const std::int32_t* d, std::int64_t from, std::int64_t n,
                               std::int32_t bound);

  // Every j in [0, n) with d[j] <= bound, in increasing order: j to rows, d[j] to values; returns
  // their count. rows and values need room for n + kCollectSlack: a target may write whole vectors
  // past the last kept element (values there are unspecified).
  std::int64_t (*collect_at_most)(const std::int32_t* d, std::int64_t n, std::int32_t bound,
                                  std::int32_t* rows, std::int32_t* values);
};

inline constexpr std::int64_t kCollectSlack = 16;

extern const Int8Kernels int8_sse2;
extern const Int8Kernels int8_avx2;
extern const Int8Kernels int8_avx512;
extern const Int8Kernels int8_avx512vnni;
extern const Int8Kernels int8_amx;

}  // namespace simdml::knn_detail
