// The activation kernels compiled for the sse2 target; CMake gives only this file its -march level.
#include "activations/kernels.hpp"
#include "activations/targets.hpp"

namespace simdml::activation_detail {

constinit const ElementwiseKernels simd_sse2 =
    ActivationKernelsFor<xsimd::sse2>::table("simd-sse2", Isa::sse2);

}  // namespace simdml::activation_detail
