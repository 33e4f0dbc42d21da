// A mini-batch's rows, gathered from a shuffled order into one contiguous block (batches.cpp).
#pragma once

#include <cstdint>

#include "nn/forward.hpp"
#include "simdml/activations.hpp"
#include "simdml/data.hpp"

namespace simdml::nn {

// Rows [share) of a mini-batch of `data` in `order`, into x and labels at the same rows.
void gather_rows(const Dataset& data, const std::int64_t* order, UnitRange share,
                 const ElementwiseKernels& act, float* x, std::int32_t* labels);

// Starts fetching into L2 the rows [share) of a mini-batch in `order`, a step before their gather.
void prefetch_rows(const Dataset& data, const std::int64_t* order, UnitRange share);

}  // namespace simdml::nn
