// What the kernel-list tests share: a fixture that skips kernels this CPU cannot run, and test
// names taken from the kernel's name ("simd-avx2" -> "simd_avx2"; GoogleTest allows no '-').
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "simdml/dispatch.hpp"

namespace simdml::testing {

template <class Kernel>
class KernelTest : public ::testing::TestWithParam<Kernel> {
 protected:
  void SetUp() override {
    const Kernel& k = this->GetParam();
    if (!isa_supported(k.isa))
      GTEST_SKIP() << k.name << " needs " << isa_name(k.isa) << ", which this CPU lacks";
  }
};

template <class Kernel>
std::string kernel_param_name(const ::testing::TestParamInfo<Kernel>& param_info) {
  std::string name(param_info.param.name);
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

}  // namespace simdml::testing
