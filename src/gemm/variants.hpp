// The GEMM kernels behind the public API. sgemm() validates the problem and handles the trivial
// cases first, so every kernel may assume: m, n, k > 0, alpha != 0, leading dimensions valid.
#pragma once

#include "simdml/gemm.hpp"

namespace simdml::gemm_detail {

void naive_gemm(const GemmProblem& p, const GemmExecution& exec);
void blocked_gemm(const GemmProblem& p, const GemmExecution& exec);

// One instantiation of simd/loops.hpp per target, each in its own translation unit.
void simd_gemm_sse2(const GemmProblem& p, const GemmExecution& exec);
void simd_gemm_avx2(const GemmProblem& p, const GemmExecution& exec);
void simd_gemm_avx512(const GemmProblem& p, const GemmExecution& exec);

}  // namespace simdml::gemm_detail
