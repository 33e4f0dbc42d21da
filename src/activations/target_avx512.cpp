// The activation kernels compiled for the avx512 target; CMake gives only this file its -march
// level.
#include "kernels.hpp"
#include "targets.hpp"

namespace simdml::activation_detail {

constinit const ActivationKernels simd_avx512 =
    ActivationKernelsFor<xsimd::avx512bw>::table("simd-avx512", Isa::avx512);

}  // namespace simdml::activation_detail
