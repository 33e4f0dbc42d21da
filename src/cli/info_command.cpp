// simdml info: what the kernels will run with on this machine, and what built them.
#include <xsimd/config/xsimd_config.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "command.hpp"
#include "simdml/activations.hpp"
#include "simdml/gemm.hpp"

namespace simdml::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ' ';
    out += item;
  }
  return out;
}

std::string supported_targets() {
  std::string out;
  for (Isa isa : kAllIsas)
    if (isa_supported(isa)) {
      if (!out.empty()) out += ' ';
      out += isa_name(isa);
    }
  return out;
}

}  // namespace

int run_info(const std::vector<std::string_view>& words) {
  const Arguments args(words, {"isa", "threads"}, {});
  if (const auto isa = args.get("isa")) {
    const auto parsed = parse_isa(*isa);
    if (!parsed) throw UsageError("--isa must be sse2, avx2 or avx512");
    set_isa_cap(parsed);
  }
  const int threads = static_cast<int>(args.get_int("threads", default_thread_count(), 1, 1024));
  const CpuInfo& cpu = cpu_info();
  const char* cap = std::getenv("SIMDML_ISA");

  std::printf("simdml %s\n", SIMDML_VERSION);
  std::printf("cpu:              %s (%s), %u logical cores\n", cpu.model.c_str(), cpu.vendor.c_str(),
              std::thread::hardware_concurrency());
  std::printf("isa extensions:   %s\n", join(cpu.features).c_str());
  std::printf("simd targets:     %s supported; best %s\n", supported_targets().c_str(),
              std::string(isa_name(best_supported_isa())).c_str());
  std::printf("simd target used: %s%s\n", std::string(isa_name(active_isa())).c_str(),
              cap != nullptr && *cap != '\0' ? (std::string(" (capped by SIMDML_ISA=") + cap + ")").c_str() : "");
  std::printf("gemm kernel:      %s\n", std::string(gemm_kernel(GemmVariant::simd).name).c_str());
  std::printf("activations:      %s\n", std::string(activations().name).c_str());
  std::printf("openmp threads:   %d (OpenMP %d)\n", threads, _OPENMP);
  std::printf("compiler:         GCC %s\n", __VERSION__);
  std::printf("xsimd:            %d.%d.%d\n", XSIMD_VERSION_MAJOR, XSIMD_VERSION_MINOR,
              XSIMD_VERSION_PATCH);
  return 0;
}

}  // namespace simdml::cli
