// The activation kernels compiled for the avx512 target; CMake gives only this file its -march
// level.
#include "activations/kernels.hpp"
#include "activations/targets.hpp"

namespace simdml::activation_detail {

constinit const ElementwiseKernels simd_avx512 =
    ActivationKernelsFor<xsimd::avx512bw>::table("simd-avx512", Isa::avx512);

}  // namespace simdml::activation_detail
