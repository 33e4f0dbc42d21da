// Real MNIST for the tests that need it: under SIMDML_DATA when that folder holds mnist/, else
// absent, and the tests skip with kNoRealMnist, which says how to get the files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>

namespace simdml::testing {

inline constexpr const char* kNoRealMnist =
    "SIMDML_DATA does not hold mnist/: scripts/setup.sh downloads MNIST into ./data (then run with "
    "SIMDML_DATA=$PWD/data), or point SIMDML_DATA at a folder holding mnist/";

// The data root when it holds mnist/.
inline std::optional<std::filesystem::path> real_mnist_root() {
  const char* root = std::getenv("SIMDML_DATA");
  if (root == nullptr || !std::filesystem::exists(std::filesystem::path(root) / "mnist"))
    return std::nullopt;
  return std::filesystem::path(root);
}

}  // namespace simdml::testing
