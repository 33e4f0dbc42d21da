// Activations (and the pixel scaling, unit_from_bytes): the scalar reference (std::exp based)
// beside each simd target and, when built with Eigen, Eigen 3.4's array functions for the same
// targets (eigen-<isa>), per function, at n = 1e3 and 1e5 (in cache) and 1e7 (from memory),
// with a plain copy as the memory-bandwidth yardstick for the 1e7 runs. Single-threaded: these
// kernels run inside a caller's parallel loop.
// underflow/...: exp and sigmoid of inputs in [-100, -90), whose results are denormal, with IEEE
// arithmetic and with flush-to-zero (set_flush_denormals), the cost that option removes.
//
//   ./build/bench/activation_bench --benchmark_filter='/100000$'
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench_main.hpp"
#include "simdml/activations.hpp"
#include "simdml/dispatch.hpp"
#ifdef SIMDML_HAVE_EIGEN
#include "eigen/activations.hpp"
#endif

namespace simdml::bench {
namespace {

std::vector<float> inputs(std::size_t n) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

// Bytes moved per element: each array read once and the output written once.
std::string benchmark_name(std::string_view function, std::string_view rest) {
  std::string name(function);
  name.append(rest);
  return name;
}

void set_rates(benchmark::State& state, std::size_t n, int arrays) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * n * sizeof(float) * arrays));
}

void register_unary(std::string_view function, const std::string& suffix, UnaryKernel kernel,
                    std::size_t n) {
  benchmark::RegisterBenchmark(benchmark_name(function, suffix).c_str(),
                               observed(1, [kernel, n](benchmark::State& st) {
                                 const auto x = inputs(n);
                                 std::vector<float> y(n);
                                 for (auto _ : st) {
                                   kernel(x.data(), y.data(), n);
                                   benchmark::ClobberMemory();
                                 }
                                 set_rates(st, n, 2);
                               }));
}

void register_backward(std::string_view function, const std::string& suffix, BackwardKernel kernel,
                       std::size_t n) {
  benchmark::RegisterBenchmark(benchmark_name(function, suffix).c_str(),
                               observed(1, [kernel, n](benchmark::State& st) {
                                 const auto y = inputs(n), dy = inputs(n);
                                 std::vector<float> dx(n);
                                 for (auto _ : st) {
                                   kernel(y.data(), dy.data(), dx.data(), n);
                                   benchmark::ClobberMemory();
                                 }
                                 set_rates(st, n, 3);
                               }));
}

// "/<set>/<n>". Appended, not concatenated: `"/" + std::to_string(n)` trips GCC 12's false
// -Wrestrict (its bug 105651).
std::string set_suffix(std::string_view set, std::size_t n) {
  std::string suffix = "/";
  suffix.append(set).append("/").append(std::to_string(n));
  return suffix;
}

// The functions every set has, simdml's and its peers' alike, under one naming.
template <class Set>
void register_common(const Set& set, const std::string& suffix, std::size_t n) {
  const std::pair<const char*, UnaryKernel> unary[] = {
      {"exp", set.exp}, {"sigmoid", set.sigmoid}, {"tanh", set.tanh}, {"relu", set.relu}};
  for (auto [name, kernel] : unary) register_unary(name, suffix, kernel, n);
  const std::pair<const char*, BackwardKernel> backward[] = {
      {"sigmoid_backward", set.sigmoid_backward},
      {"tanh_backward", set.tanh_backward},
      {"relu_backward", set.relu_backward}};
  for (auto [name, kernel] : backward) register_backward(name, suffix, kernel, n);
}

void register_set(const ElementwiseKernels& set, std::size_t n) {
  const std::string suffix = set_suffix(set.name, n);
  register_common(set, suffix, n);
  // Softmax over rows of 10 classes, the shape a classifier's output layer has.
  benchmark::RegisterBenchmark(benchmark_name("softmax10", suffix).c_str(),
                               observed(1, [kernel = set.softmax_rows, n](benchmark::State& st) {
                                 const auto x = inputs(n);
                                 std::vector<float> y(n);
                                 for (auto _ : st) {
                                   kernel(x.data(), y.data(), n / 10, 10);
                                   benchmark::ClobberMemory();
                                 }
                                 set_rates(st, n, 2);
                               }));
  // Pixel bytes to floats: one byte read and four written per element.
  benchmark::RegisterBenchmark(
      benchmark_name("unit_from_bytes", suffix).c_str(),
      observed(1, [kernel = set.unit_from_bytes, n](benchmark::State& st) {
        std::vector<std::uint8_t> x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<std::uint8_t>(i * 37);
        std::vector<float> y(n);
        for (auto _ : st) {
          kernel(x.data(), y.data(), n);
          benchmark::ClobberMemory();
        }
        st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n));
        st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * n * (1 + sizeof(float))));
      }));
}

void register_underflow(const ElementwiseKernels& set) {
  constexpr std::size_t n = 100000;
  const std::pair<const char*, UnaryKernel> unary[] = {{"exp", set.exp}, {"sigmoid", set.sigmoid}};
  for (auto [name, kernel] : unary)
    for (const bool flush : {false, true}) {
      const std::string label = "underflow/" + std::string(name) + "/" + std::string(set.name) +
                                (flush ? "/ftz" : "/ieee");
      benchmark::RegisterBenchmark(
          label.c_str(), observed(1, [kernel, flush](benchmark::State& st) {
            std::vector<float> x(n), y(n);
            for (std::size_t i = 0; i < n; ++i)
              x[i] = -100.0f + 10.0f * static_cast<float>(i % 1000) / 1000.0f;
            set_flush_denormals(flush, 1);
            for (auto _ : st) {
              kernel(x.data(), y.data(), n);
              benchmark::ClobberMemory();
            }
            set_flush_denormals(false, 1);
            set_rates(st, n, 2);
          }));
    }
}

// The bandwidth yardsticks, counted as the kernels are (one array read, one written): glibc's
// memcpy, a loop of plain loads and stores (the access the kernels make: the store misses read
// the line first), and non-temporal stores (which skip that read). Their best is the limit a
// streaming kernel is set against; memcpy alone is slower than an activation at n = 1e7 on Zen 4
// (docs/experiments.md#e76). Each has the unary kernels' signature and is timed as one.

void copy_memcpy(const float* x, float* y, std::size_t n) { std::memcpy(y, x, n * sizeof(float)); }

void copy_stream(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_loadu_ps(x + i));
  for (; i < n; ++i) y[i] = x[i];
}

void copy_nontemporal(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i < n && reinterpret_cast<std::uintptr_t>(y + i) % 16 != 0; ++i) y[i] = x[i];
  for (; i + 4 <= n; i += 4) _mm_stream_ps(y + i, _mm_loadu_ps(x + i));
  for (; i < n; ++i) y[i] = x[i];
  _mm_sfence();
}

void register_copies(std::size_t n) {
  const std::pair<const char*, UnaryKernel> copies[] = {
      {"memory", copy_memcpy}, {"stream", copy_stream}, {"nontemporal", copy_nontemporal}};
  for (auto [how, copy] : copies) register_unary("copy", set_suffix(how, n), copy, n);
}

}  // namespace

void register_benchmarks() {
#ifdef SIMDML_HAVE_EIGEN
  benchmark::AddCustomContext("eigen", "Eigen " + std::string(eigen_version()));
#endif
  for (const ElementwiseKernels& set : activation_kernel_sets())
    if (runs_here(set) && set.variant == ActivationVariant::simd) register_underflow(set);
  for (std::size_t n : {std::size_t{1000}, std::size_t{100000}, std::size_t{10000000}}) {
    register_copies(n);
    for (const ElementwiseKernels& set : activation_kernel_sets())
      if (runs_here(set)) register_set(set, n);
#ifdef SIMDML_HAVE_EIGEN
    for (const EigenActivations& set : eigen_activation_sets())
      if (runs_here(set)) register_common(set, set_suffix(set.name, n), n);
#endif
  }
}

}  // namespace simdml::bench
