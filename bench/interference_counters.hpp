// The counters every benchmark repetition carries: what else the machine did while it ran
// (include/simdml/interference.hpp). Header-only, for cluster_bench too, which has its own main().
#pragma once

#include <benchmark/benchmark.h>

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
  ~InterferenceCounters() {
    const Interference i = probe_.stop(threads_);
    if (!i.observed) return;
    state_.counters["foreign_cores"] = i.foreign_cores();
    state_.counters["steal_cores"] = i.steal_cores();
    state_.counters["taken_cores"] = i.taken_cores();
    state_.counters["own_utilization"] = i.own_utilization();
    state_.counters["disturbed"] = i.disturbed() ? 1.0 : 0.0;
  }

 private:
  benchmark::State& state_;
  int threads_;
  InterferenceProbe probe_;
};

}  // namespace simdml::bench
