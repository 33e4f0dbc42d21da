// Element access for the plain C++ variants (naive, blocked). Baseline code only: never include
// it from a per-target translation unit.
#pragma once

#include "simdml/gemm.hpp"

namespace simdml::gemm_detail {

// Element (row, col) of op(A) and op(B), for the plain C++ variants.
inline float op_a(const GemmProblem& p, std::int64_t row, std::int64_t col) {
  return p.trans_a == Trans::no ? p.a[row * p.lda + col] : p.a[col * p.lda + row];
}
inline float op_b(const GemmProblem& p, std::int64_t row, std::int64_t col) {
  return p.trans_b == Trans::no ? p.b[row * p.ldb + col] : p.b[col * p.ldb + row];
}

}  // namespace simdml::gemm_detail
