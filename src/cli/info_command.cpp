// simdml info: what the kernels will run with on this machine, and what built them.
#include <zlib.h>
#include <xsimd/config/xsimd_config.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli/command.hpp"
#include "cli/job.hpp"
#ifdef SIMDML_WITH_MPI
#include "cluster/mpi_cluster.hpp"
#endif
#include "cli/json.hpp"
#include "cli/report.hpp"
#include "git_commit.hpp"
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

std::vector<std::string> supported_targets() {
  std::vector<std::string> out;
  for (Isa isa : kAllIsas)
    if (isa_supported(isa)) out.emplace_back(isa_name(isa));
  return out;
}

std::string mpi_support() {
#ifdef SIMDML_WITH_MPI
  return "built with " + mpi_library_version();
#else
  return "not built in";
#endif
}

std::string info_json(int threads) {
  Json j;
  j.begin_object().field("command", "info");
  write_machine(j, Compute{nullptr, nullptr, threads});
  j.array("supported_targets", supported_targets())
      .field("best_target", isa_name(best_supported_isa()))
      .field("mpi", mpi_support());
  j.end_object();
  return j.str();
}

}  // namespace

int run_info(const Arguments& args) {
  apply_isa_option(args);
  const int threads = thread_option(args);
  const CpuInfo& cpu = cpu_info();
  const char* cap = std::getenv("SIMDML_ISA");

  std::printf("simdml %s\n", SIMDML_VERSION);
  std::printf("cpu:              %s (%s), %u logical cores\n", cpu.model.c_str(),
              cpu.vendor.c_str(), std::thread::hardware_concurrency());
  std::printf("isa extensions:   %s\n", join(cpu.features).c_str());
  std::printf("simd targets:     %s supported; best %s\n", join(supported_targets()).c_str(),
              std::string(isa_name(best_supported_isa())).c_str());
  std::printf("simd target used: %s%s\n", std::string(isa_name(active_isa())).c_str(),
              cap != nullptr && *cap != '\0'
                  ? (std::string(" (capped by SIMDML_ISA=") + cap + ")").c_str()
                  : "");
  std::printf("gemm kernel:      %s\n", std::string(gemm_kernel(GemmVariant::simd).name).c_str());
  std::printf("activations:      %s\n", std::string(activations().name).c_str());
  std::printf("openmp threads:   %d (OpenMP %d)\n", threads, _OPENMP);
  std::printf("mpi:              %s; this job: %s\n", mpi_support().c_str(), job_summary().c_str());
  std::printf("compiler:         GCC %s\n", __VERSION__);
  std::printf("xsimd:            %d.%d.%d\n", XSIMD_VERSION_MAJOR, XSIMD_VERSION_MINOR,
              XSIMD_VERSION_PATCH);
  std::printf("zlib:             %s\n", zlibVersion());
  std::printf("git commit:       %s\n", SIMDML_GIT_COMMIT);
  write_json_option(args, info_json(threads));
  return 0;
}

}  // namespace simdml::cli
