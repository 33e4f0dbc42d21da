// What the kernel-list tests share: a fixture that skips kernels this CPU cannot run, and test
// names taken from the kernel's name ("simd-avx2" -> "simd_avx2"; GoogleTest allows no '-').
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "simdml/dispatch.hpp"

namespace simdml::testing {

// True when this CPU can run the kernel. A kernel list with extensions (k-NN's) has its own
// predicate; the others need only their target.
template <class Kernel>
bool runs_here(const Kernel& k) {
  if constexpr (requires { knn_kernel_supported(k); })
    return knn_kernel_supported(k);
  else
    return isa_supported(k.isa);
}

template <class Kernel>
class KernelTest : public ::testing::TestWithParam<Kernel> {
 protected:
  void SetUp() override {
    const Kernel& k = this->GetParam();
    if (!runs_here(k)) GTEST_SKIP() << k.name << " needs " << isa_name(k.isa) << " or an extension this CPU lacks";
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
