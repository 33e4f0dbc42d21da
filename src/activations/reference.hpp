#pragma once

#include "simdml/activations.hpp"

namespace simdml::activation_detail {

extern const ActivationKernels reference;

}  // namespace simdml::activation_detail
