// The options that several commands share, parsed and checked in one place.
#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "command.hpp"
#include "job.hpp"
#include "simdml/atomic_file.hpp"

namespace simdml::cli {

void apply_isa_option(const Arguments& args) {
  if (const auto isa = args.get("isa")) {
    const auto parsed = parse_isa(*isa);
    if (!parsed) throw UsageError("--isa must be sse2, avx2 or avx512");
    set_isa_cap(parsed);
  }
}

int thread_option(const Arguments& args) {
  return static_cast<int>(args.get_int("threads", default_thread_count(), 1, 1024));
}

Compute compute_options(const Arguments& args) {
  apply_isa_option(args);
  Compute compute;
  compute.threads = thread_option(args);
  const char* env = std::getenv("SIMDML_FLUSH_DENORMALS");
  if (args.has("flush-denormals") || (env != nullptr && std::string_view(env) == "1"))
    set_flush_denormals(true, compute.threads);
  try {
    compute.gemm = &gemm_kernel(args.get_or("gemm", "simd"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--gemm: ") + e.what());
  }
  compute.activation = &activations();
  return compute;
}

std::string compute_summary(const Compute& compute) {
  return "simd target " + std::string(isa_name(active_isa())) + ", " +
         std::to_string(compute.threads) + (compute.threads == 1 ? " thread" : " threads") +
         (job().distributed() ? " on each of " + job_summary() : std::string()) + ", gemm " +
         std::string(compute.gemm != nullptr ? compute.gemm->name
                                             : gemm_kernel(GemmVariant::simd).name) +
         ", activations " +
         std::string(compute.activation != nullptr ? compute.activation->name
                                                   : activations().name) +
         (flush_denormals() ? ", denormals flushed to zero" : "");
}

NamedDataset dataset_option(const Arguments& args, const RowPart& train_part) {
  const std::string name = args.get_or("dataset", "mnist");
  const auto names = dataset_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string known;
    for (std::size_t i = 0; i < names.size(); ++i)
      known += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
    throw UsageError("--dataset must be " + known + ", got '" + name + "'");
  }
  return load_named_dataset(name, resolve_data_root(args.get("data")), train_part);
}

void apply_limit_option(const Arguments& args, std::string_view name, Dataset& data) {
  if (!args.has(name)) return;
  const long long limit = args.get_int(name, data.samples, 1, data.samples);
  data = slice_rows(data, 0, limit);
}

void check_output_options(const Arguments& args, std::initializer_list<std::string_view> names) {
  if (!writes_outputs()) return;
  for (const std::string_view name : names)
    if (const auto path = args.get(name)) check_writable(*path);
}

void write_json_option(const Arguments& args, const std::string& json) {
  if (!writes_outputs()) return;
  if (const auto path = args.get("json")) write_file_atomically(*path, json);
}

}  // namespace simdml::cli
