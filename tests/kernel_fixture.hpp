// What the kernel-list tests share: a fixture that skips kernels this CPU cannot run, test names
// taken from the kernel's name ("simd-avx2" -> "simd_avx2"; GoogleTest allows no '-'), and edge
// sizes derived from each kernel's tile.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "simdml/kernel_registry.hpp"

namespace simdml::testing {

template <class Kernel>
class KernelTest : public ::testing::TestWithParam<Kernel> {
 protected:
  void SetUp() override {
    const Kernel& k = this->GetParam();
    if (!runs_here(k))
      GTEST_SKIP() << k.name << " needs " << isa_name(k.isa) << " or an extension this CPU lacks";
  }
};

template <class Kernel>
std::string kernel_param_name(const ::testing::TestParamInfo<Kernel>& param_info) {
  std::string name(param_info.param.name);
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

// Sizes that cut a tile dimension t below, at and above it: t - 1, t, t + 1, and 2t + 1 (a whole
// tile and a ragged one). 1 and 2 are always in.
inline std::vector<std::int64_t> edge_sizes(std::span<const int> tile_dimensions) {
  std::vector<std::int64_t> sizes{1, 2};
  for (const std::int64_t t : tile_dimensions)
    if (t > 0)
      for (const std::int64_t size : {t - 1, t, t + 1, 2 * t + 1})
        if (size >= 1) sizes.push_back(size);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

// The edge sizes of one dimension of a kernel's tile (&OutputTile::rows or ::columns). A kernel
// without a tile (the textbook loops) is cut at the edges of every tile in its list.
template <class Kernel>
std::vector<std::int64_t> tile_edges(const Kernel& kernel, std::span<const Kernel> list,
                                     int OutputTile::*dimension) {
  std::vector<int> dimensions{kernel.tile.*dimension};
  if (dimensions[0] == 0)
    for (const Kernel& k : list) dimensions.push_back(k.tile.*dimension);
  return edge_sizes(dimensions);
}

}  // namespace simdml::testing
