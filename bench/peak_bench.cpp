// The FMA peak each report's "% of peak" is measured against, per target and thread count.
#include <omp.h>

#include "bench_main.hpp"
#include "simdml/peak.hpp"

namespace simdml::bench {

void register_benchmarks() {
  constexpr std::int64_t kIterations = 1 << 20;
  for (Isa isa : kAllIsas) {
    if (!isa_supported(isa)) continue;
    for (int threads : thread_counts()) {
      register_timed("fma_peak/" + std::string(isa_name(isa)), threads, [=](benchmark::State& state) {
        std::int64_t flops = 0;
        for (auto _ : state) {
#pragma omp parallel num_threads(threads) reduction(+ : flops)
          flops += run_fma_peak_loop(isa, kIterations);
        }
        state.counters["FLOP/s"] = benchmark::Counter(
            static_cast<double>(flops), benchmark::Counter::kIsRate);
      });
    }
  }
}

}  // namespace simdml::bench
