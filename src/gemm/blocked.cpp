// Cache blocking in plain C++: the first step beyond the naive loop, and the one a reader learns
// the most from. Three changes, each for the cache:
//   1. the i-k-j loop order, so the innermost loop runs along contiguous rows of B and C (the
//      compiler vectorizes it for the baseline target);
//   2. blocks of op(B) copied into a contiguous buffer that stays in L2 while a block of rows of C
//      is updated, which also makes transposed B as fast as untransposed;
//   3. blocks of K so the copied block of B fits in L2 (256 x 256 floats = 256 KiB).
#include <algorithm>
#include <vector>

#include "gemm/element_access.hpp"
#include "gemm/variants.hpp"

namespace simdml::gemm_detail {
namespace {

constexpr std::int64_t kRowBlock = 64;
constexpr std::int64_t kDepthBlock = 256;
constexpr std::int64_t kColBlock = 256;

void scale_rows(const GemmProblem& p, std::int64_t i0, std::int64_t i1) {
  for (std::int64_t i = i0; i < i1; ++i) {
    float* row = p.c + i * p.ldc;
    if (p.beta == 0.0f)
      std::fill(row, row + p.n, 0.0f);
    else
      for (std::int64_t j = 0; j < p.n; ++j) row[j] *= p.beta;
  }
}

// C[i0:i1, j0:j0+nb] += alpha * op(A)[i0:i1, l0:l0+kb] * block, block being op(B) copied row-major.
void update_block(const GemmProblem& p, const float* block, std::int64_t i0, std::int64_t i1,
                  std::int64_t l0, std::int64_t kb, std::int64_t j0, std::int64_t nb) {
  for (std::int64_t i = i0; i < i1; ++i) {
    float* c_row = p.c + i * p.ldc + j0;
    for (std::int64_t l = 0; l < kb; ++l) {
      const float a = p.alpha * op_a(p, i, l0 + l);
      const float* b_row = block + l * nb;
      for (std::int64_t j = 0; j < nb; ++j) c_row[j] += a * b_row[j];
    }
  }
}

}  // namespace

void blocked_gemm(const GemmProblem& p, const GemmExecution& exec) {
  const std::int64_t row_blocks = (p.m + kRowBlock - 1) / kRowBlock;
#pragma omp parallel num_threads(exec.threads) if (exec.threads > 1)
  {
    std::vector<float> block(static_cast<std::size_t>(kDepthBlock * kColBlock));
#pragma omp for schedule(static)
    for (std::int64_t rb = 0; rb < row_blocks; ++rb) {
      const std::int64_t i0 = rb * kRowBlock, i1 = std::min(p.m, i0 + kRowBlock);
      scale_rows(p, i0, i1);
      for (std::int64_t j0 = 0; j0 < p.n; j0 += kColBlock) {
        const std::int64_t nb = std::min(kColBlock, p.n - j0);
        for (std::int64_t l0 = 0; l0 < p.k; l0 += kDepthBlock) {
          const std::int64_t kb = std::min(kDepthBlock, p.k - l0);
          for (std::int64_t l = 0; l < kb; ++l)
            for (std::int64_t j = 0; j < nb; ++j) block[l * nb + j] = op_b(p, l0 + l, j0 + j);
          update_block(p, block.data(), i0, i1, l0, kb, j0, nb);
        }
      }
    }
  }
}

}  // namespace simdml::gemm_detail
