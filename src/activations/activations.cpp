// The list of activation kernel sets, and dispatch to the active target.
#include <array>

#include "reference.hpp"
#include "simdml/activations.hpp"
#include "targets.hpp"

namespace simdml {

using namespace activation_detail;

std::span<const ActivationKernels> activation_kernel_sets() {
  static const std::array<ActivationKernels, 4> sets{reference, simd_sse2, simd_avx2, simd_avx512};
  return sets;
}

const ActivationKernels& reference_activations() { return reference; }

const ActivationKernels& activations() {
  switch (active_isa()) {
    case Isa::sse2:
      return simd_sse2;
    case Isa::avx2:
      return simd_avx2;
    case Isa::avx512:
      return simd_avx512;
  }
  return simd_sse2;
}

}  // namespace simdml
