// The list of activation kernel sets, and dispatch to the active target.
#include <array>

#include "activations/reference.hpp"
#include "activations/targets.hpp"
#include "simdml/activations.hpp"

namespace simdml {

using namespace activation_detail;

namespace {

// The sets are defined in their own translation units, so the list is built on first use.
const KernelRegistry<ElementwiseKernels>& registry() {
  static const std::array<ElementwiseKernels, 4> sets{reference, simd_sse2, simd_avx2, simd_avx512};
  static const KernelRegistry<ElementwiseKernels> list{"activation", sets, activation_variant_name};
  return list;
}

}  // namespace

std::string_view activation_variant_name(ActivationVariant variant) {
  switch (variant) {
    case ActivationVariant::reference:
      return "reference";
    case ActivationVariant::simd:
      return "simd";
  }
  return "unknown";
}

const KernelRegistry<ElementwiseKernels>& activation_registry() { return registry(); }
std::span<const ElementwiseKernels> activation_kernel_sets() { return registry().kernels(); }
const ElementwiseKernels& reference_activations() { return reference; }
const ElementwiseKernels& activations() { return registry().dispatched(ActivationVariant::simd); }
const ElementwiseKernels& activation_kernels(std::string_view name) {
  return registry().find(name);
}

}  // namespace simdml
