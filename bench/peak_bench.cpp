// The FMA peak alone (see fma_peak.cpp); gemm_bench also runs it beside the GEMMs.
#include "bench_main.hpp"

namespace simdml::bench {

void register_benchmarks() { register_fma_peak_benchmarks(); }

}  // namespace simdml::bench
