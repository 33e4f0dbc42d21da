// The public GEMM entry: argument checks, the cases that need no multiplication, and the one list
// of kernels that dispatch, tests and benchmarks share.
#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

#include "gemm/simd/register_tiles.hpp"
#include "gemm/variants.hpp"
#include "simdml/gemm.hpp"
#include "simdml/interference.hpp"

namespace simdml {
namespace {

using namespace gemm_detail;

constexpr Extension kNone = Extension::none;
constexpr std::array<GemmKernel, 5> kKernels{{
    {"naive", GemmVariant::naive, Isa::sse2, kNone, {}, naive_gemm},
    {"blocked", GemmVariant::blocked, Isa::sse2, kNone, {}, blocked_gemm},
    {"simd-sse2", GemmVariant::simd, Isa::sse2, kNone, kTileSse2, simd_gemm_sse2, simd_tile_sse2},
    {"simd-avx2", GemmVariant::simd, Isa::avx2, kNone, kTileAvx2, simd_gemm_avx2, simd_tile_avx2},
    {"simd-avx512", GemmVariant::simd, Isa::avx512, kNone, kTileAvx512, simd_gemm_avx512,
     simd_tile_avx512},
}};

constexpr KernelRegistry<GemmKernel> kRegistry{"GEMM", kKernels, gemm_variant_name};

[[noreturn]] void reject(const std::string& what) { throw std::invalid_argument("sgemm: " + what); }

void require(bool ok, const char* what) {
  if (!ok) reject(what);
}

// The messages are only built on failure: sgemm sits in training's inner loop.
void validate(const GemmProblem& p) {
  if (p.m < 0 || p.n < 0 || p.k < 0)
    reject("negative size (m=" + std::to_string(p.m) + ", n=" + std::to_string(p.n) +
           ", k=" + std::to_string(p.k) + ")");
  const auto check_ld = [](std::int64_t ld, std::int64_t row_length, const char* name) {
    if (ld < std::max<std::int64_t>(1, row_length))
      reject(std::string(name) + "=" + std::to_string(ld) + " is smaller than a stored row (" +
             std::to_string(row_length) + ")");
  };
  if (p.m == 0 || p.n == 0) return;
  check_ld(p.ldc, p.n, "ldc");
  if (p.c == nullptr) reject("C is null");
  if (p.k == 0 || p.alpha == 0.0f) return;
  check_ld(p.lda, p.trans_a == Trans::no ? p.k : p.m, "lda");
  check_ld(p.ldb, p.trans_b == Trans::no ? p.n : p.k, "ldb");
  if (p.a == nullptr || p.b == nullptr) reject("A or B is null");
}

// C = beta * C without reading C when beta is 0 (BLAS: C may then hold NaN).
void scale_c(const GemmProblem& p) {
  for (std::int64_t i = 0; i < p.m; ++i) {
    float* row = p.c + i * p.ldc;
    if (p.beta == 0.0f)
      std::fill(row, row + p.n, 0.0f);
    else if (p.beta != 1.0f)
      for (std::int64_t j = 0; j < p.n; ++j) row[j] *= p.beta;
  }
}

}  // namespace

std::string_view gemm_variant_name(GemmVariant variant) {
  switch (variant) {
    case GemmVariant::naive:
      return "naive";
    case GemmVariant::blocked:
      return "blocked";
    case GemmVariant::simd:
      return "simd";
  }
  return "unknown";
}

const KernelRegistry<GemmKernel>& gemm_registry() { return kRegistry; }
std::span<const GemmKernel> gemm_kernels() { return kRegistry.kernels(); }
const GemmKernel& gemm_kernel(GemmVariant variant) { return kRegistry.dispatched(variant); }
const GemmKernel& gemm_kernel(std::string_view name) { return kRegistry.find(name); }

void sgemm(const GemmKernel& kernel, const GemmProblem& problem, const GemmExecution& execution) {
  validate(problem);
  require(execution.threads >= 1, "thread count must be at least 1");
  kRegistry.require_runs_here(kernel);
  if (problem.m == 0 || problem.n == 0) return;
  if (problem.k == 0 || problem.alpha == 0.0f) {
    scale_c(problem);
    return;
  }
  // Fewer threads while another process holds a core: the result is the same bits for any count.
  GemmExecution now = execution;
  now.threads = threads_for_now(execution.threads);
  kernel.run(problem, now);
}

void sgemm(Trans trans_a, Trans trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
           float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
           float beta, float* c, std::int64_t ldc, int threads) {
  sgemm(gemm_kernel(GemmVariant::simd),
        GemmProblem{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc},
        GemmExecution{threads, GemmPath::automatic});
}

}  // namespace simdml
