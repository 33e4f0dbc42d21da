// What every benchmark program shares: the machine context recorded in each report, the thread
// counts to sweep, and a main() that registers the suite's benchmarks.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <string>
#include <vector>

#include "interference_counters.hpp"

namespace simdml::bench {

// `body` run under InterferenceCounters for `threads` threads.
std::function<void(benchmark::State&)> observed(int threads,
                                                std::function<void(benchmark::State&)> body);

// Thread counts to run OpenMP benchmarks with: SIMDML_BENCH_THREADS="1,2,4" or, by default, 1
// and 2.
std::vector<int> thread_counts();

// "<name>/threads:<t>" with real time: the wall clock is what OpenMP code costs.
benchmark::internal::Benchmark* register_timed(const std::string& name, int threads,
                                               std::function<void(benchmark::State&)> body);

// "fma_peak/<target>/threads:<t>": the FMA throughput peak of every target the CPU runs, for each
// thread count, as the FLOP/s counter (fma_peak.cpp).
void register_fma_peak_benchmarks();

// Each benchmark program defines this; main() calls it after recording the context.
void register_benchmarks();

}  // namespace simdml::bench
