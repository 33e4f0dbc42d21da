// GEMM: every kernel in the shared list beside OpenBLAS, shape by shape, so each ratio comes from
// one run, and the FMA peak (fma_peak/...) beside them for "% of peak". FLOP/s is 2 M N K per
// call; UseRealTime because the kernels run OpenMP teams.
//
//   ./build/bench/gemm_bench --benchmark_filter='/1024x|fma_peak' --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true
#include <cblas.h>

#include <chrono>
#include <cstdlib>
#include <random>
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

void run_simdml(benchmark::State& state, const GemmKernel& measured, const Shape& s, int threads) {
  Operands ops(s);
  const GemmProblem p = ops.problem(s);
  const GemmKernel kernel = as_run(measured);
  for (auto _ : state) {
    sgemm(kernel, p, {threads});
    benchmark::ClobberMemory();
  }
  set_rate(state, s);
}

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

// The naive loop needs seconds per call from 1024 on; it is measured up to there.
bool worth_running(const GemmKernel& kernel, const Shape& s) {
  if (!runs_here(kernel)) return false;
  const double flops = 2.0 * static_cast<double>(s.m * s.n * s.k);
  return kernel.variant != GemmVariant::naive || flops <= 2.2e9;
}

}  // namespace

void register_benchmarks() {
  benchmark::AddCustomContext("openblas",
                              openblas_get_config());  // version, target core, threading
  // OpenBLAS picks its kernels for the CPU unless OPENBLAS_CORETYPE names others (some images set
  // Haswell: AVX2 kernels on an AVX-512 machine, half its speed there). Say which it was.
  const char* forced_core = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext("openblas_coretype",
                              forced_core != nullptr
                                  ? std::string(forced_core) + " (forced by OPENBLAS_CORETYPE)"
                                  : "detected by OpenBLAS");
  std::vector<Shape> shapes;
  for (std::int64_t size : {64, 128, 256, 512, 1024, 2048})
    shapes.push_back({size, size, size, Trans::no, Trans::no});
  // The products a [784, 30|100, 10] network trains with, weights stored out x in: forward
  // X W^T (NT), weight gradient dZ^T X (TN), at batch 10, 100 and 256.
  shapes.push_back({10, 30, 784, Trans::no, Trans::yes});
  shapes.push_back({100, 30, 784, Trans::no, Trans::yes});
  shapes.push_back({256, 30, 784, Trans::no, Trans::yes});
  shapes.push_back({30, 784, 10, Trans::yes, Trans::no});
  shapes.push_back({30, 784, 256, Trans::yes, Trans::no});
  shapes.push_back({784, 100, 100, Trans::yes, Trans::no});

  for (const Shape& s : shapes) {
    for (int threads : thread_counts()) {
      for (const GemmKernel& kernel : gemm_kernels()) {
        if (!worth_running(kernel, s)) continue;
        register_timed(
            "gemm/" + std::string(kernel.name) + "/" + s.name(), threads,
            [&kernel, s, threads](benchmark::State& st) { run_simdml(st, kernel, s, threads); })
            ->Unit(benchmark::kMicrosecond);
      }
      register_timed("gemm/openblas/" + s.name(), threads, [s, threads](benchmark::State& st) {
        run_openblas(st, s, threads);
      })->Unit(benchmark::kMicrosecond);
    }
  }
  register_fma_peak_benchmarks();  // "% of peak" against a peak measured in the same run
}

}  // namespace simdml::bench
