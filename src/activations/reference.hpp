#pragma once

#include "simdml/activations.hpp"

namespace simdml::activation_detail {

extern const ElementwiseKernels reference;

}  // namespace simdml::activation_detail
