// The simd GEMM compiled for the avx512 target; CMake gives only this file its -march level.
#include "gemm/simd/loops.hpp"
#include "gemm/simd/register_tiles.hpp"
#include "gemm/variants.hpp"

namespace simdml::gemm_detail {

static_assert(Tile<xsimd::avx512bw>::kMr == kTileAvx512.rows &&
                  Tile<xsimd::avx512bw>::kNr == kTileAvx512.columns,
              "the kernel list publishes this target's tile");

void simd_gemm_avx512(const GemmProblem& p, const GemmExecution& exec) {
  simd_gemm<xsimd::avx512bw>(p, exec);
}

}  // namespace simdml::gemm_detail
