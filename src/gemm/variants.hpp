// The GEMM kernels behind the public API. sgemm() validates the problem and handles the trivial
// cases first, so every kernel may assume: m, n, k > 0, alpha != 0, leading dimensions valid.
#pragma once

#include "simdml/gemm.hpp"

namespace simdml::gemm_detail {

void naive_gemm(const GemmProblem& p, const GemmExecution& exec);
void blocked_gemm(const GemmProblem& p, const GemmExecution& exec);

// One instantiation of simd/loops.hpp per target, each in its own translation unit: the whole
// GEMM, and its micro-kernel on one tile (GemmTileFunction's contract).
void simd_gemm_sse2(const GemmProblem& p, const GemmExecution& exec);
void simd_gemm_avx2(const GemmProblem& p, const GemmExecution& exec);
void simd_gemm_avx512(const GemmProblem& p, const GemmExecution& exec);
void simd_tile_sse2(std::int64_t rows, std::int64_t kc, const float* a, const float* b, float alpha,
                    float beta, float* c, std::int64_t ldc, std::int64_t n_valid);
void simd_tile_avx2(std::int64_t rows, std::int64_t kc, const float* a, const float* b, float alpha,
                    float beta, float* c, std::int64_t ldc, std::int64_t n_valid);
void simd_tile_avx512(std::int64_t rows, std::int64_t kc, const float* a, const float* b,
                      float alpha, float beta, float* c, std::int64_t ldc, std::int64_t n_valid);

}  // namespace simdml::gemm_detail
