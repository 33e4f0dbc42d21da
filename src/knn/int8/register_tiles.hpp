// Each int8 kernel's register tile, queries x training rows, where the kernel list (knn.cpp), built
// for the baseline target, can read it. Each target_<isa>.cpp checks its table against its entry.
#pragma once

#include "simdml/kernel_registry.hpp"

namespace simdml::knn_detail {

inline constexpr OutputTile kInt8TileSse2{5, 8};         // 4 int32 lanes, 2 vectors a row
inline constexpr OutputTile kInt8TileAvx2{5, 16};        // 8 lanes
inline constexpr OutputTile kInt8TileAvx512{10, 32};     // 16 lanes
inline constexpr OutputTile kInt8TileAvx512Vnni{8, 32};  // 16 lanes, byte quads
inline constexpr OutputTile kInt8TileAmx{32, 32};        // 2 x 2 AMX tiles of 16 x 16

}  // namespace simdml::knn_detail
