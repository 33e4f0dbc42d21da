// The simd GEMM compiled for the avx512 target; CMake gives only this file its -march level.
#include "../variants.hpp"
#include "loops.hpp"

namespace simdml::gemm_detail {

void simd_gemm_avx512(const GemmProblem& p, const GemmExecution& exec) {
  simd_gemm<xsimd::avx512bw>(p, exec);
}

}  // namespace simdml::gemm_detail
