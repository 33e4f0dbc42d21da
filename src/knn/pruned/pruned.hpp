// The pruned k-NN's entry point with the options only tests change.
#pragma once

#include "knn/int8/kernels.hpp"
#include "simdml/knn.hpp"

namespace simdml::knn_detail {

// Components of the bound: MNIST's and Fashion-MNIST's measured balance of bound work against
// exact checks (docs/experiments.md#e65).
inline constexpr int kPrunedComponents = 64;
// Components of the refine test's second block: the next 64 principal directions, on their own
// (four times finer) byte scale. docs/experiments.md#e80.
inline constexpr int kRefineComponents = 64;

// Pending (query, row) pairs that start a sweep before a block of queries ends: 12 bytes each,
// twice, per thread.
inline constexpr std::int64_t kSweepPairs = std::int64_t{1} << 19;

struct PrunedOptions {
  int components = kPrunedComponents;
  int refine_components = kRefineComponents;
  std::int64_t sweep_pairs = kSweepPairs;
  // false drops every rounding and quantization term from the pruning threshold: only the test
  // that shows they are needed does that.
  bool rounding_margin = true;
};

Neighbors pruned_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                     const KnnSearch& search, const PrunedOptions& options = {});

// pruned_knn that falls back to int8 brute force where pruning cannot pay (KnnSearch::fall_back).
Neighbors adaptive_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                       const KnnSearch& search);

}  // namespace simdml::knn_detail
