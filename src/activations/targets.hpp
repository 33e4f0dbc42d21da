// The per-target kernel tables, defined one per target translation unit.
#pragma once

#include "simdml/activations.hpp"

namespace simdml::activation_detail {

extern const ElementwiseKernels simd_sse2;
extern const ElementwiseKernels simd_avx2;
extern const ElementwiseKernels simd_avx512;

}  // namespace simdml::activation_detail
