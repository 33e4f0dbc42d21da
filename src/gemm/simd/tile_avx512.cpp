// The simd micro-kernel on one tile, compiled for the avx512 target, for its tester
// (GemmTileFunction in gemm.hpp). The same templates as target_avx512.cpp, instantiated in a unit
// of their own.
#include "gemm/simd/microkernel.hpp"
#include "gemm/variants.hpp"

namespace simdml::gemm_detail {
void simd_tile_avx512(std::int64_t rows, std::int64_t kc, const float* a, const float* b,
                      float alpha, float beta, float* c, std::int64_t ldc, std::int64_t n_valid) {
  simd_tile<xsimd::avx512bw>(rows, kc, a, b, alpha, beta, c, ldc, n_valid);
}

}  // namespace simdml::gemm_detail
