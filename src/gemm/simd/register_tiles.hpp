// Each simd target's register tile, MR x NR floats of C, where the kernel list (gemm.cpp), built
// for the baseline target, can read it. Each target_<isa>.cpp checks its Tile against its entry.
#pragma once

#include "simdml/kernel_registry.hpp"

namespace simdml::gemm_detail {

inline constexpr OutputTile kTileSse2{6, 8};      // 12 accumulators of 4 lanes
inline constexpr OutputTile kTileAvx2{6, 16};     // 12 accumulators of 8 lanes
inline constexpr OutputTile kTileAvx512{12, 32};  // 24 accumulators of 16 lanes

}  // namespace simdml::gemm_detail
