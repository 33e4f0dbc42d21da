// The simd GEMM compiled for the avx2 target; CMake gives only this file its -march level.
#include "../variants.hpp"
#include "loops.hpp"

namespace simdml::gemm_detail {

void simd_gemm_avx2(const GemmProblem& p, const GemmExecution& exec) {
  simd_gemm<xsimd::fma3<xsimd::avx2>>(p, exec);
}

}  // namespace simdml::gemm_detail
