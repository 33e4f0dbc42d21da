// Eigen 3.4's array functions as the activation benchmark's peer: the same signatures as simdml's
// kernels, one set per target, each compiled with that target's flags (target_<isa>.cpp).
#pragma once

#include <span>
#include <string_view>

#include "simdml/activations.hpp"
#include "simdml/dispatch.hpp"

namespace simdml::bench {

struct EigenActivations {
  std::string_view name;  // "eigen-sse2", "eigen-avx2", "eigen-avx512"
  Isa isa;
  Extension extension = Extension::none;
  UnaryKernel exp, sigmoid, tanh, relu;
  BackwardKernel sigmoid_backward, tanh_backward, relu_backward;
};

// Every compiled set; runs_here() tells which this CPU can run.
std::span<const EigenActivations> eigen_activation_sets();

// "3.4.0": the version of the Eigen headers the sets were compiled with.
std::string_view eigen_version();

}  // namespace simdml::bench
