// What every benchmark program shares: the machine context recorded in each report, the thread
// counts to sweep, and a main() that registers the suite's benchmarks.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <string>
#include <vector>

#include "simdml/interference.hpp"

namespace simdml::bench {

// Sets the counters of what else the machine did while a benchmark function ran, when it
// returns: foreign_cores, steal_cores, taken_cores, own_utilization and disturbed (0 or 1), per
// repetition, so that a reader of the JSON can drop or re-measure the disturbed ones.
class InterferenceCounters {
 public:
  InterferenceCounters(benchmark::State& state, int threads) : state_(state), threads_(threads) {}
  InterferenceCounters(const InterferenceCounters&) = delete;
  InterferenceCounters& operator=(const InterferenceCounters&) = delete;
  ~InterferenceCounters();

 private:
  benchmark::State& state_;
  int threads_;
  InterferenceProbe probe_;
};

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
