// Single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, BLAS semantics.
//
// op(A) is M x K and op(B) is K x N; each operand is read transposed or not, with an explicit
// leading dimension (the distance between consecutive rows of the stored matrix).
//
// Contract shared by every variant:
//   - M, N or K may be 0. M or N = 0 returns at once. alpha = 0 or K = 0 only scales C by beta and
//     never reads A or B.
//   - beta = 0 never reads C, so C may hold NaN or garbage.
//   - Negative sizes or leading dimensions smaller than a stored row throw std::invalid_argument
//     before anything is written.
//
// Numerics of the simd variant (what makes it reproducible): every element of C is one FMA chain
// over k in increasing order, cut into blocks of kGemmKc; the first block is combined as
// alpha * acc + beta * C, later ones as alpha * acc + C. That order depends on K alone, so results
// are bitwise identical for any thread count and for the avx2 and avx512 targets (the sse2 target
// has no FMA and rounds each product separately).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "simdml/dispatch.hpp"
#include "simdml/kernel_registry.hpp"

namespace simdml {

enum class Trans : bool { no = false, yes = true };

enum class GemmVariant {
  naive,    // the textbook triple loop
  blocked,  // cache-blocked loops in plain C++
  simd,     // packed panels + register-blocked xsimd micro-kernel + OpenMP
};

// How the simd variant treats its operands. automatic picks by shape alone (never by thread count
// or target), so a given call always takes the same path. Both paths follow the same numerics.
enum class GemmPath { automatic, packed, unpacked };

inline constexpr std::int64_t kGemmKc = 256;  // K block shared by every target (see above)

struct GemmProblem {
  Trans trans_a = Trans::no, trans_b = Trans::no;
  std::int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  const float* a = nullptr;
  std::int64_t lda = 0;
  const float* b = nullptr;
  std::int64_t ldb = 0;
  float beta = 0.0f;
  float* c = nullptr;
  std::int64_t ldc = 0;
};

// Which of C's dimensions a multithreaded call divides between its threads. automatic: the
// kernel's choice. rows or columns: each thread takes one contiguous range of C's rows or columns,
// cut at the same points for both, so that two calls which split the same dimension of one matrix
// give each thread the same part of it. Prediction splits each layer's forward product by C's
// columns, the layer's units; training runs one thread's GEMMs on its own share instead (the
// Trainer's team). A scheduling hint: results never depend on it. The simd variant's unpacked
// path follows it; its packed path and the other variants ignore it.
enum class GemmSplit { automatic, rows, columns };

struct GemmExecution {
  int threads = 1;  // OpenMP threads for this call; 1 runs on the caller's thread
  GemmPath path = GemmPath::automatic;
  GemmSplit split = GemmSplit::automatic;
};

using GemmFunction = void (*)(const GemmProblem&, const GemmExecution&);

// The simd variant's micro-kernel on one register tile, callable alone (tests/gemm_tile_test.cpp
// holds every entry to this contract). With MR x NR the entry's tile, rows <= MR, 0 < n_valid <=
// NR and kc >= 1:
//   acc(i, j) = sum over k < kc of A(i, k) B(k, j), one multiply-add per k in increasing k from
//               zero, in float: fused (one rounding) where the target has FMA, avx2 and avx512; a
//               multiply and an add, each rounded, on sse2;
//   C(i, j) = alpha * acc(i, j), then beta * C(i, j) added the same way unless beta == 0, for
//             i < rows and j < n_valid; beta == 0 never reads C (a NaN there is overwritten).
// A is packed, A(i, k) at a[k * MR + i] (rows >= `rows` are read but not used); B is packed, B(k,
// j) at b[k * NR + j], all NR columns present; C(i, j) at c[i * ldc + j], and nothing else of C is
// read or written.
using GemmTileFunction = void (*)(std::int64_t rows, std::int64_t kc, const float* a,
                                  const float* b, float alpha, float beta, float* c,
                                  std::int64_t ldc, std::int64_t n_valid);

// One entry of the kernel list that dispatch, tests and benchmarks share (kernel_registry.hpp).
struct GemmKernel {
  std::string_view name;  // "naive", "blocked", "simd-sse2", "simd-avx2", "simd-avx512"
  GemmVariant variant;
  Isa isa;              // the target the kernel is compiled for (naive and blocked: sse2)
  Extension extension;  // none for every GEMM kernel
  OutputTile tile;      // the simd micro-kernel's MR x NR register tile; 0 x 0 for the others
  GemmFunction run;
  GemmTileFunction run_tile = nullptr;  // the simd micro-kernel alone; null for the others
};

const KernelRegistry<GemmKernel>& gemm_registry();

// Every compiled kernel, including those this CPU cannot run (check runs_here(kernel)).
std::span<const GemmKernel> gemm_kernels();

// The kernel a variant dispatches to: simd takes active_isa()'s.
const GemmKernel& gemm_kernel(GemmVariant variant);

// Accepts "naive", "blocked", "simd" (dispatched) or a full kernel name such as "simd-avx2".
// Throws std::invalid_argument listing the valid names, or when the CPU cannot run the kernel.
const GemmKernel& gemm_kernel(std::string_view name);

std::string_view gemm_variant_name(GemmVariant variant);

// Validates the problem (see the contract above), handles the trivial cases, then runs kernel.
void sgemm(const GemmKernel& kernel, const GemmProblem& problem,
           const GemmExecution& execution = {});

// The dispatched simd kernel with the BLAS argument order.
void sgemm(Trans trans_a, Trans trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
           float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
           float beta, float* c, std::int64_t ldc, int threads = 1);

}  // namespace simdml
