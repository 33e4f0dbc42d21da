// The per-target pieces of the int8 k-NN: a register-blocked tile of exact integer distances, and
// the scan that finds the next candidate in a row of them. The driver (int8.cpp) owns packing,
// tiling, threads and the top-k lists; only these two functions differ between targets.
#pragma once

#include <cstdint>

#include "simdml/dispatch.hpp"

namespace simdml::knn_detail {

struct Int8Kernels {
  Isa isa;
  int rows;  // MR: queries per tile
  int cols;  // NR: training rows per tile

  // Contract: for i < MR, j < NR,
  //   dist[i * ldd + j] = query_norms[i] + train_norms[j] - 2 * sum over f of q_i[f] * t_j[f]
  // exactly, in int32 (the caller keeps every distance below 2^31).
  //   query_panel: word (p * MR + i) holds features 2p and 2p + 1 of query i as two int16
  //                (low half first); pairs past the features and rows past the queries are 0.
  //   train_panel: byte (p * NR + j) * 2 + h holds feature 2p + h of training row j, 0 past the
  //                features or the rows.
  // Every element of the MR x NR tile is written, also those of padding rows.
  void (*distance_tile)(std::int64_t pairs, const std::int32_t* query_panel, const std::uint8_t* train_panel,
                        const std::int32_t* query_norms, const std::int32_t* train_norms, std::int32_t* dist,
                        std::int64_t ldd);

  // The first j in [from, n) with d[j] <= bound, or n.
  std::int64_t (*find_at_most)(const std::int32_t* d, std::int64_t from, std::int64_t n, std::int32_t bound);
};

extern const Int8Kernels int8_sse2;
extern const Int8Kernels int8_avx2;
extern const Int8Kernels int8_avx512;

}  // namespace simdml::knn_detail
