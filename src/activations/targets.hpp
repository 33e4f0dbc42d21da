// The per-target kernel tables, defined one per target translation unit.
#pragma once

#include "simdml/activations.hpp"

namespace simdml::activation_detail {

extern const ActivationKernels simd_sse2;
extern const ActivationKernels simd_avx2;
extern const ActivationKernels simd_avx512;

}  // namespace simdml::activation_detail
