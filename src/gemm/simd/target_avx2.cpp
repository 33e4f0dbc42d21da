// The simd GEMM compiled for the avx2 target; CMake gives only this file its -march level.
#include "gemm/simd/loops.hpp"
#include "gemm/simd/register_tiles.hpp"
#include "gemm/variants.hpp"

namespace simdml::gemm_detail {

static_assert(Tile<xsimd::fma3<xsimd::avx2>>::kMr == kTileAvx2.rows &&
                  Tile<xsimd::fma3<xsimd::avx2>>::kNr == kTileAvx2.columns,
              "the kernel list publishes this target's tile");

void simd_gemm_avx2(const GemmProblem& p, const GemmExecution& exec) {
  simd_gemm<xsimd::fma3<xsimd::avx2>>(p, exec);
}

}  // namespace simdml::gemm_detail
