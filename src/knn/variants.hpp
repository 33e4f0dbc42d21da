// The k-NN variants behind the public API, and what they share. find_neighbors() validates the
// problem first, so every variant may assume 1 <= k <= train.samples, equal feature counts and
// threads >= 1.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "knn/int8/int8.hpp"
#include "knn/int8/kernels.hpp"
#include "knn/pruned/pruned.hpp"
#include "simdml/knn.hpp"

namespace simdml::knn_detail {

// blocked's tiles: 256 queries x 2048 training rows of float distances (2 MiB per thread), large
// enough that the GEMM's packing of each training tile is spread over many queries.
inline constexpr OutputTile kBlockedTile{256, 2048};

// Throws std::invalid_argument unless 1 <= k <= rows and rows fit 32-bit indices; `name` names
// the training set in the message.
void check_k_and_rows(int k, std::int64_t rows, const std::string& name);

// Wall seconds since `start`, for Neighbors::phases.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Image distances are integers over pixel bytes; they are reported divided by this.
inline constexpr double kPixelScale = 255.0 * 255.0;

// True when the exact distance is the integer one over pixel bytes (both sets carry pixels).
inline bool pixel_metric(const Dataset& train, const Dataset& queries) {
  return !train.pixels.empty() && !queries.pixels.empty();
}

// Exact squared distances (the definition in knn.hpp), unscaled for pixels.
std::int64_t pixel_distance(const std::uint8_t* a, const std::uint8_t* b, std::int64_t features);
double float_distance(const float* a, const float* b, std::int64_t features);

// Neighbors sized for the problem, every slot unset, exact_pairs = queries x train_rows (every
// distance exact; variants that compute fewer set their own count).
Neighbors empty_neighbors(std::int64_t queries, int k, std::int64_t train_rows);

// The exact k nearest training rows of one query by the textbook method: every distance, then a
// partial sort. `distances` and `order` are scratch of train.samples elements each.
void exact_search(const Dataset& train, const Dataset& queries, std::int64_t query, int k,
                  double* distances, std::int32_t* order, Neighbors& out);

Neighbors naive_knn(const Dataset& train, const Dataset& queries, const KnnSearch& search);
Neighbors blocked_knn(const Dataset& train, const Dataset& queries, const KnnSearch& search);

// One target's int8 kernels bound to a search, as the kernel list's plain functions.
template <const Int8Kernels& kKernels>
Neighbors int8_on(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return int8_knn(kKernels, train, queries, search);
}
template <const Int8Kernels& kKernels>
Neighbors pruned_on(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return pruned_knn(kKernels, train, queries, search);
}
template <const Int8Kernels& kKernels>
Neighbors adaptive_on(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return adaptive_knn(kKernels, train, queries, search);
}

}  // namespace simdml::knn_detail
