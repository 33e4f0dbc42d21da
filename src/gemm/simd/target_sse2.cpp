// The simd GEMM compiled for the sse2 target; CMake gives only this file its -march level.
#include "gemm/simd/loops.hpp"
#include "gemm/simd/register_tiles.hpp"
#include "gemm/variants.hpp"

namespace simdml::gemm_detail {

static_assert(Tile<xsimd::sse2>::kMr == kTileSse2.rows &&
                  Tile<xsimd::sse2>::kNr == kTileSse2.columns,
              "the kernel list publishes this target's tile");

void simd_gemm_sse2(const GemmProblem& p, const GemmExecution& exec) {
  simd_gemm<xsimd::sse2>(p, exec);
}

}  // namespace simdml::gemm_detail
