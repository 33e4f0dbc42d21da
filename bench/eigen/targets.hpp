// The per-target Eigen sets, defined one per target translation unit.
#pragma once

#include "activations.hpp"

namespace simdml::bench::eigen_detail {

extern const EigenActivations eigen_sse2;
extern const EigenActivations eigen_avx2;
extern const EigenActivations eigen_avx512;

}  // namespace simdml::bench::eigen_detail
