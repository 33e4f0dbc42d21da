// The activation kernels compiled for the sse2 target; CMake gives only this file its -march level.
#include "kernels.hpp"
#include "targets.hpp"

namespace simdml::activation_detail {

constinit const ActivationKernels simd_sse2 =
    ActivationKernelsFor<xsimd::sse2>::table("simd-sse2", Isa::sse2);

}  // namespace simdml::activation_detail
