// The int8 k-NN's driver on one target's kernels: the brute force the pruned search falls back to.
#pragma once

#include "knn/int8/kernels.hpp"
#include "simdml/knn.hpp"

namespace simdml::knn_detail {

Neighbors int8_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                   const KnnSearch& search);

}  // namespace simdml::knn_detail
