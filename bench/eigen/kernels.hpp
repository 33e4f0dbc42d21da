// The Eigen peer's kernels. Each target unit includes this after renaming Eigen's namespace
// (SIMDML_EIGEN_NAMESPACE): Eigen's templates compiled with different -march flags would otherwise
// be one symbol to the linker, which keeps one copy, possibly the AVX-512 one, for every caller
// (docs/design.md, "One definition per target").
#pragma once

#include <cstddef>

#define Eigen SIMDML_EIGEN_NAMESPACE
#include <Eigen/Core>

#include "activations.hpp"

namespace simdml::bench {
namespace {

using Array = Eigen::Array<float, Eigen::Dynamic, 1>;
using In = Eigen::Map<const Array>;
using Out = Eigen::Map<Array>;
using Index = Eigen::Index;

// What a user of Eigen writes: one array expression per function.
struct EigenKernels {
  static void exp(const float* x, float* y, std::size_t n) {
    Out(y, Index(n)) = In(x, Index(n)).exp();
  }
  static void sigmoid(const float* x, float* y, std::size_t n) {
    Out(y, Index(n)) = In(x, Index(n)).logistic();
  }
  static void tanh(const float* x, float* y, std::size_t n) {
    Out(y, Index(n)) = In(x, Index(n)).tanh();
  }
  static void relu(const float* x, float* y, std::size_t n) {
    Out(y, Index(n)) = In(x, Index(n)).max(0.0f);
  }
  static void sigmoid_backward(const float* y, const float* dy, float* dx, std::size_t n) {
    const In s(y, Index(n));
    Out(dx, Index(n)) = In(dy, Index(n)) * (s * (1.0f - s));
  }
  static void tanh_backward(const float* y, const float* dy, float* dx, std::size_t n) {
    Out(dx, Index(n)) = In(dy, Index(n)) * (1.0f - In(y, Index(n)).square());
  }
  static void relu_backward(const float* y, const float* dy, float* dx, std::size_t n) {
    Out(dx, Index(n)) = (In(y, Index(n)) > 0.0f).select(In(dy, Index(n)), 0.0f);
  }

  static constexpr EigenActivations table(std::string_view name, Isa isa) {
    return {name, isa,  Extension::none,  exp,           sigmoid,
            tanh, relu, sigmoid_backward, tanh_backward, relu_backward};
  }
};

}  // namespace
}  // namespace simdml::bench
