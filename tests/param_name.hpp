// Test names from a kernel's name: "simd-avx2" -> "simd_avx2" (GoogleTest allows no '-').
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace simdml::testing {

template <class Kernel>
std::string kernel_param_name(const ::testing::TestParamInfo<Kernel>& param_info) {
  std::string name(param_info.param.name);
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

}  // namespace simdml::testing
