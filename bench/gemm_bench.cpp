// GEMM: every kernel in the shared list beside OpenBLAS and, when built with it, libxsmm (the
// small-matrix specialist; one thread, on the shapes its JIT has a kernel for), shape by shape, so
// each ratio comes from one run, and the FMA peak (fma_peak/...) beside them for "% of peak".
// FLOP/s is 2 M N K per call; UseRealTime because the kernels run OpenMP teams.
//
//   ./build/bench/gemm_bench --benchmark_filter='/1024x|fma_peak' --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true
#ifdef SIMDML_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef SIMDML_HAVE_LIBXSMM
#include <libxsmm.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include "bench_main.hpp"
#include "simdml/gemm.hpp"

namespace simdml::bench {
namespace {

struct Shape {
  std::int64_t m, n, k;
  Trans ta, tb;
  std::string name() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) +
           (ta == Trans::yes ? "T" : "N") + (tb == Trans::yes ? "T" : "N");
  }
};

struct Operands {
  std::vector<float> a, b, c;
  explicit Operands(const Shape& s)
      : a(static_cast<std::size_t>(s.m * s.k)),
        b(static_cast<std::size_t>(s.k * s.n)),
        c(static_cast<std::size_t>(s.m * s.n)) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& v : a) v = dist(rng);
    for (float& v : b) v = dist(rng);
  }
  GemmProblem problem(const Shape& s) {
    return {s.ta,     s.tb,
            s.m,      s.n,
            s.k,      1.0f,
            a.data(), s.ta == Trans::no ? s.k : s.m,
            b.data(), s.tb == Trans::no ? s.n : s.k,
            0.0f,     c.data(),
            s.n};
  }
};

void set_rate(benchmark::State& state, const Shape& s) {
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(s.m * s.n * s.k),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

#ifdef SIMDML_SLOWED_KERNEL
// A test build (gemm_bench_slowed, tests/history_e2e_test.py): the kernel named
// SIMDML_SLOWED_KERNEL spins SIMDML_SLOWED_MICROSECONDS after every call, a regression of known
// size for the history's check to find.
GemmFunction g_unslowed = nullptr;
void slowed_run(const GemmProblem& p, const GemmExecution& e) {
  g_unslowed(p, e);
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::microseconds(SIMDML_SLOWED_MICROSECONDS);
  while (std::chrono::steady_clock::now() < until) {
  }
}

GemmKernel as_run(const GemmKernel& kernel) {
  if (kernel.name != SIMDML_SLOWED_KERNEL) return kernel;
  g_unslowed = kernel.run;
  GemmKernel slowed = kernel;
  slowed.run = slowed_run;
  return slowed;
}
#else
const GemmKernel& as_run(const GemmKernel& kernel) { return kernel; }
#endif

void run_simdml(benchmark::State& state, const GemmKernel& measured, const Shape& s, int threads,
                GemmPath path = GemmPath::automatic) {
  Operands ops(s);
  const GemmProblem p = ops.problem(s);
  const GemmKernel kernel = as_run(measured);
  for (auto _ : state) {
    sgemm(kernel, p, {threads, path});
    benchmark::ClobberMemory();
  }
  set_rate(state, s);
}

// SIMDML_BENCH_GEMM_PATHS=1 adds gemm_path/<kernel>/<packed|unpacked>/<shape>: the simd kernels
// with the path forced, for the rule that picks one by shape (prefer_unpacked in loops.hpp).
bool forced_paths_wanted() {
  const char* enabled = std::getenv("SIMDML_BENCH_GEMM_PATHS");
  return enabled != nullptr && std::string_view(enabled) == "1";
}

void register_forced_paths(const GemmKernel& kernel, const Shape& s, int threads) {
  if (kernel.variant != GemmVariant::simd) return;
  for (const auto& [label, path] :
       {std::pair{"packed", GemmPath::packed}, std::pair{"unpacked", GemmPath::unpacked}})
    register_timed("gemm_path/" + std::string(kernel.name) + "/" + label + "/" + s.name(), threads,
                   [&kernel, s, threads, path = path](benchmark::State& st) {
                     run_simdml(st, kernel, s, threads, path);
                   })
        ->Unit(benchmark::kMicrosecond);
}

#ifdef SIMDML_HAVE_OPENBLAS
void run_openblas(benchmark::State& state, const Shape& s, int threads) {
  Operands ops(s);
  const GemmProblem p = ops.problem(s);
  openblas_set_num_threads(threads);
  const auto t = [](Trans x) { return x == Trans::yes ? CblasTrans : CblasNoTrans; };
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, t(p.trans_a), t(p.trans_b), static_cast<int>(p.m),
                static_cast<int>(p.n), static_cast<int>(p.k), p.alpha, p.a, static_cast<int>(p.lda),
                p.b, static_cast<int>(p.ldb), p.beta, p.c, static_cast<int>(p.ldc));
    benchmark::ClobberMemory();
  }
  set_rate(state, s);
}
#endif

#ifdef SIMDML_HAVE_LIBXSMM
// libxsmm is column-major: row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, the
// operands swapped, each keeping its transpose flag. Its JIT kernel for the shape, or null where
// libxsmm 1.17 generates none (transposed A in its terms: row-major NT and TT).
libxsmm_smmfunction libxsmm_kernel(const Shape& s) {
  const int flags = (s.tb == Trans::yes ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) |
                    (s.ta == Trans::yes ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
  const libxsmm_blasint lda = s.tb == Trans::no ? s.n : s.k;
  const libxsmm_blasint ldb = s.ta == Trans::no ? s.k : s.m;
  const libxsmm_blasint ldc = s.n;
  const float alpha = 1.0f, beta = 0.0f;
  return libxsmm_smmdispatch(s.n, s.m, s.k, &lda, &ldb, &ldc, &alpha, &beta, &flags, nullptr);
}

// Fails the run unless C matches a double-precision product within a bound derived from K, so a
// peer that computes something else cannot post a rate.
bool matches_reference(benchmark::State& state, const Shape& s, Operands& ops) {
  const GemmProblem p = ops.problem(s);
  for (std::int64_t i = 0; i < s.m; ++i)
    for (std::int64_t j = 0; j < s.n; ++j) {
      double want = 0, magnitude = 0;
      for (std::int64_t l = 0; l < s.k; ++l) {
        const double a = p.trans_a == Trans::no ? p.a[i * p.lda + l] : p.a[l * p.lda + i];
        const double b = p.trans_b == Trans::no ? p.b[l * p.ldb + j] : p.b[j * p.ldb + l];
        want += a * b;
        magnitude += std::abs(a * b);
      }
      const double bound = 2.0 * static_cast<double>(s.k) * 0x1p-24 * magnitude;
      if (std::abs(p.c[i * p.ldc + j] - want) > bound) {
        state.SkipWithError("libxsmm's result differs from the reference");
        return false;
      }
    }
  return true;
}

void run_libxsmm(benchmark::State& state, const Shape& s, libxsmm_smmfunction kernel) {
  Operands ops(s);
  const GemmProblem p = ops.problem(s);
  kernel(p.b, p.a, p.c);
  if (!matches_reference(state, s, ops)) return;
  for (auto _ : state) {
    kernel(p.b, p.a, p.c);
    benchmark::ClobberMemory();
  }
  set_rate(state, s);
}

// One thread (its kernels are single calls), and only where its JIT has a kernel: elsewhere
// libxsmm_sgemm hands the call to the BLAS it links, which is OpenBLAS again.
void register_libxsmm(const Shape& s) {
  const libxsmm_smmfunction kernel = libxsmm_kernel(s);
  if (kernel == nullptr) return;
  register_timed("gemm/libxsmm/" + s.name(), 1, [s, kernel](benchmark::State& st) {
    run_libxsmm(st, s, kernel);
  })->Unit(benchmark::kMicrosecond);
}

// libxsmm's JIT covers small matrices; from 256 on it is a BLAS's domain (and its generated code
// has no cache blocking).
bool libxsmm_size(const Shape& s) { return s.m * s.n * s.k <= 784 * 256 * 100; }
#endif

// The naive loop needs seconds per call from 1024 on; it is measured up to there.
bool worth_running(const GemmKernel& kernel, const Shape& s) {
  if (!runs_here(kernel)) return false;
  const double flops = 2.0 * static_cast<double>(s.m * s.n * s.k);
  return kernel.variant != GemmVariant::naive || flops <= 2.2e9;
}

}  // namespace

void register_benchmarks() {
#ifdef SIMDML_HAVE_OPENBLAS
  benchmark::AddCustomContext("openblas",
                              openblas_get_config());  // version, target core, threading
#endif
#ifdef SIMDML_HAVE_LIBXSMM
  libxsmm_init();
  benchmark::AddCustomContext(
      "libxsmm", std::string(LIBXSMM_CONFIG_VERSION) + ", JIT for " + libxsmm_get_target_arch());
#endif
  // OpenBLAS picks its kernels for the CPU unless OPENBLAS_CORETYPE names others (some images set
  // Haswell: AVX2 kernels on an AVX-512 machine, half its speed there). Say which it was.
#ifdef SIMDML_HAVE_OPENBLAS
  const char* forced_core = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext("openblas_coretype",
                              forced_core != nullptr
                                  ? std::string(forced_core) + " (forced by OPENBLAS_CORETYPE)"
                                  : "detected by OpenBLAS");
#endif
  const bool forced_paths = forced_paths_wanted();
  std::vector<Shape> shapes;
  for (std::int64_t size : {32, 64, 128, 256, 512, 1024, 2048})
    shapes.push_back({size, size, size, Trans::no, Trans::no});
  // The products a [784, 30|100, 10] network predicts with, weights stored out x in: X W^T (NT),
  // at batch 10, 100 and 256; and the weight gradient dZ^T X (TN) in that layout.
  shapes.push_back({10, 30, 784, Trans::no, Trans::yes});
  shapes.push_back({100, 30, 784, Trans::no, Trans::yes});
  shapes.push_back({256, 30, 784, Trans::no, Trans::yes});
  shapes.push_back({30, 784, 10, Trans::yes, Trans::no});
  shapes.push_back({30, 784, 256, Trans::yes, Trans::no});
  shapes.push_back({784, 100, 100, Trans::yes, Trans::no});
  // The products training runs, with the weights held transposed (in x out): forward X W (NN) at
  // batch 10, 64 and 256, and the weight gradient X^T dZ (TN).
  for (std::int64_t batch : {10, 64, 256})
    for (std::int64_t hidden : {30, 100})
      shapes.push_back({batch, hidden, 784, Trans::no, Trans::no});
  shapes.push_back({784, 30, 10, Trans::yes, Trans::no});
  shapes.push_back({784, 100, 64, Trans::yes, Trans::no});
  shapes.push_back({784, 30, 256, Trans::yes, Trans::no});

  for (const Shape& s : shapes) {
    for (int threads : thread_counts()) {
      for (const GemmKernel& kernel : gemm_kernels()) {
        if (!worth_running(kernel, s)) continue;
        register_timed(
            "gemm/" + std::string(kernel.name) + "/" + s.name(), threads,
            [&kernel, s, threads](benchmark::State& st) { run_simdml(st, kernel, s, threads); })
            ->Unit(benchmark::kMicrosecond);
        if (forced_paths) register_forced_paths(kernel, s, threads);
      }
#ifdef SIMDML_HAVE_OPENBLAS
      register_timed("gemm/openblas/" + s.name(), threads, [s, threads](benchmark::State& st) {
        run_openblas(st, s, threads);
      })->Unit(benchmark::kMicrosecond);
#endif
    }
#ifdef SIMDML_HAVE_LIBXSMM
    if (libxsmm_size(s)) register_libxsmm(s);
#endif
  }
  register_fma_peak_benchmarks();  // "% of peak" against a peak measured in the same run
}

}  // namespace simdml::bench
