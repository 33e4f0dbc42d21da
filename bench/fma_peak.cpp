// The FMA peak each report's "% of peak" is measured against, per target and thread count.
// peak_bench runs it alone; gemm_bench registers it beside the GEMMs, so that with random
// interleaving the peak and the kernels share the run's clock speed (it drifts by 10 % or more
// within minutes on a shared host).
#include <omp.h>

#include "bench_main.hpp"
#include "simdml/peak.hpp"

namespace simdml::bench {

void register_fma_peak_benchmarks() {
  constexpr std::int64_t kIterations = 1 << 20;
  for (Isa isa : kAllIsas) {
    if (!isa_supported(isa)) continue;
    for (int threads : thread_counts()) {
      register_timed(
          "fma_peak/" + std::string(isa_name(isa)), threads, [=](benchmark::State& state) {
            std::int64_t flops = 0;
            for (auto _ : state) {
#pragma omp parallel num_threads(threads) reduction(+ : flops)
              flops += run_fma_peak_loop(isa, kIterations);
            }
            state.counters["FLOP/s"] =
                benchmark::Counter(static_cast<double>(flops), benchmark::Counter::kIsRate);
          });
    }
  }
}

}  // namespace simdml::bench
