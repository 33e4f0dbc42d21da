// The activation kernels compiled for the avx2 target; CMake gives only this file its -march level.
#include "activations/kernels.hpp"
#include "activations/targets.hpp"

namespace simdml::activation_detail {

constinit const ElementwiseKernels simd_avx2 =
    ActivationKernelsFor<xsimd::fma3<xsimd::avx2>>::table("simd-avx2", Isa::avx2);

}  // namespace simdml::activation_detail
