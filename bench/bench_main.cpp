#include "bench_main.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "simdml/dispatch.hpp"

namespace simdml::bench {

std::vector<int> thread_counts() {
  const char* text = std::getenv("SIMDML_BENCH_THREADS");
  std::vector<int> counts;
  std::stringstream in(text != nullptr && *text != '\0' ? text : "1,2");
  for (std::string item; std::getline(in, item, ',');) {
    const int t = std::atoi(item.c_str());
    if (t < 1 || t > 1024)
      throw std::invalid_argument("SIMDML_BENCH_THREADS: bad count '" + item + "'");
    counts.push_back(t);
  }
  return counts;
}

std::function<void(benchmark::State&)> observed(int threads,
                                                std::function<void(benchmark::State&)> body) {
  return [threads, body = std::move(body)](benchmark::State& state) {
    const InterferenceCounters counters(state, threads);
    body(state);
  };
}

benchmark::internal::Benchmark* register_timed(const std::string& name, int threads,
                                               std::function<void(benchmark::State&)> body) {
  return benchmark::RegisterBenchmark((name + "/threads:" + std::to_string(threads)).c_str(),
                                      observed(threads, std::move(body)))
      ->UseRealTime();
}

namespace {

void add_context() {
  const CpuInfo& cpu = cpu_info();
  std::string features;
  for (const auto& f : cpu.features) {
    if (!features.empty()) features += ' ';
    features += f;
  }
  benchmark::AddCustomContext("simdml_cpu", cpu.model);
  benchmark::AddCustomContext("simdml_isa_extensions", features);
  benchmark::AddCustomContext("simdml_simd_target", std::string(isa_name(active_isa())));
  benchmark::AddCustomContext("simdml_default_threads", std::to_string(default_thread_count()));
  std::string threads;
  for (int t : thread_counts()) {
    if (!threads.empty()) threads += ',';
    threads += std::to_string(t);
  }
  benchmark::AddCustomContext("simdml_bench_threads", threads);
  benchmark::AddCustomContext("simdml_compiler", "GCC " __VERSION__);
  benchmark::AddCustomContext("simdml_version", SIMDML_VERSION);
  // The peers this build lacks and why ("OpenBLAS: apt install libopenblas-dev|"), for the report.
  if (*SIMDML_ABSENT_PEERS != '\0')
    benchmark::AddCustomContext("absent_peers", SIMDML_ABSENT_PEERS);
}

}  // namespace
}  // namespace simdml::bench

int main(int argc, char** argv) {
  // OpenBLAS's worker threads keep spinning for about 2^28 cycles after each call, stealing a
  // core from whatever benchmark runs next (on 2 cores that halves a 2-thread simd run). The
  // library reads OPENBLAS_THREAD_TIMEOUT when it loads, before main, so set it and start again.
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT") == nullptr) {
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    simdml::bench::add_context();
    simdml::bench::register_benchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
