// A double-precision GEMM reference with a per-element error bound, shared by the GEMM tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "simdml/gemm.hpp"

namespace simdml::testing {

// A stored matrix with padding past each row, filled with values in [-1, 1).
struct Matrix {
  std::int64_t rows = 0, cols = 0, ld = 0;
  std::vector<float> data;

  Matrix(std::int64_t r, std::int64_t c, std::int64_t pad, std::mt19937& rng, float fill_padding)
      : rows(r),
        cols(c),
        ld(std::max<std::int64_t>(1, c + pad)),
        data(static_cast<std::size_t>(std::max<std::int64_t>(1, r * ld)), fill_padding) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (std::int64_t i = 0; i < r; ++i)
      for (std::int64_t j = 0; j < c; ++j) data[i * ld + j] = dist(rng);
  }
  float& at(std::int64_t i, std::int64_t j) { return data[i * ld + j]; }
};

struct Expected {
  std::vector<double> value;  // the exact result, up to double rounding
  std::vector<double> bound;  // the largest error a float GEMM may make, per element
};

// value = alpha * op(A) op(B) + beta * C0 in double; bound = gamma * (|alpha| |op(A)| |op(B)| +
// |beta C0|) with gamma = (k + 3) u: the classic worst case for any summation order of k products,
// plus the rounding of alpha, beta and the final combine.
inline Expected reference_gemm(const GemmProblem& p, const std::vector<float>& c0) {
  Expected e;
  e.value.resize(static_cast<std::size_t>(p.m * p.n));
  e.bound.resize(e.value.size());
  const double gamma = static_cast<double>(p.k + 3) * std::ldexp(1.0, -24);
  const auto a_at = [&](std::int64_t i, std::int64_t l) {
    return static_cast<double>(p.trans_a == Trans::no ? p.a[i * p.lda + l] : p.a[l * p.lda + i]);
  };
  const auto b_at = [&](std::int64_t l, std::int64_t j) {
    return static_cast<double>(p.trans_b == Trans::no ? p.b[l * p.ldb + j] : p.b[j * p.ldb + l]);
  };
  for (std::int64_t i = 0; i < p.m; ++i) {
    for (std::int64_t j = 0; j < p.n; ++j) {
      double sum = 0.0, magnitude = 0.0;
      for (std::int64_t l = 0; l < p.k && p.alpha != 0.0f; ++l) {
        const double prod = a_at(i, l) * b_at(l, j);
        sum += prod;
        magnitude += std::fabs(prod);
      }
      const double c_old = p.beta == 0.0f ? 0.0 : c0[i * p.ldc + j];
      const std::size_t idx = static_cast<std::size_t>(i * p.n + j);
      e.value[idx] = p.alpha * sum + p.beta * c_old;
      e.bound[idx] = gamma * (std::fabs(p.alpha) * magnitude + std::fabs(p.beta * c_old)) +
                     std::numeric_limits<float>::denorm_min();
    }
  }
  return e;
}

// Checks C against the reference and that padding past each row of C is untouched.
inline void expect_matches(const GemmProblem& p, const std::vector<float>& c, const Expected& e,
                           const std::vector<float>& c0) {
  int failures = 0;
  for (std::int64_t i = 0; i < p.m && failures < 5; ++i) {
    for (std::int64_t j = 0; j < p.ldc && failures < 5; ++j) {
      const float got = c[i * p.ldc + j];
      if (j >= p.n) {
        if (!(got == c0[i * p.ldc + j] || (std::isnan(got) && std::isnan(c0[i * p.ldc + j])))) {
          ADD_FAILURE() << "padding of C changed at (" << i << ", " << j << ")";
          ++failures;
        }
        continue;
      }
      const std::size_t idx = static_cast<std::size_t>(i * p.n + j);
      const double err = std::fabs(got - e.value[idx]);
      if (!(err <= e.bound[idx])) {
        ADD_FAILURE() << "C(" << i << ", " << j << ") = " << got << ", expected " << e.value[idx]
                      << " within " << e.bound[idx] << " (m=" << p.m << " n=" << p.n << " k=" << p.k
                      << ")";
        ++failures;
      }
    }
  }
}

}  // namespace simdml::testing
