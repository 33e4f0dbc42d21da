// The textbook triple loop: one dot product per element of C. It is the baseline every other
// variant is measured against, so it stays exactly as a first course would write it.
#include "gemm/element_access.hpp"
#include "gemm/variants.hpp"

namespace simdml::gemm_detail {

void naive_gemm(const GemmProblem& p, const GemmExecution& exec) {
#pragma omp parallel for num_threads(exec.threads) if (exec.threads > 1) schedule(static)
  for (std::int64_t i = 0; i < p.m; ++i) {
    for (std::int64_t j = 0; j < p.n; ++j) {
      float sum = 0.0f;
      for (std::int64_t l = 0; l < p.k; ++l) sum += op_a(p, i, l) * op_b(p, l, j);
      float& c = p.c[i * p.ldc + j];
      c = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * c;
    }
  }
}

}  // namespace simdml::gemm_detail
