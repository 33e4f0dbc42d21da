// The options that several commands share, parsed and checked in one place.
#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "cli/command.hpp"
#include "cli/job.hpp"
#include "simdml/atomic_file.hpp"

namespace simdml::cli {

void apply_isa_option(const Arguments& args) {
  if (const auto isa = args.get("isa")) {
    const auto parsed = parse_isa(*isa);
    if (!parsed) throw UsageError("--isa must be sse2, avx2 or avx512");
    set_isa_cap(parsed);
  }
}

bool automatic_threads(const Arguments& args) {
  const auto text = args.get("threads");
  return !text || *text == "auto";
}

int thread_option(const Arguments& args) {
  if (automatic_threads(args)) return default_thread_count();
  return static_cast<int>(args.get_int("threads", default_thread_count(), 1, 1024));
}

Compute compute_options(const Arguments& args) {
  apply_isa_option(args);
  Compute compute;
  compute.threads = thread_option(args);
  compute.adapt_team = automatic_threads(args);
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
         (compute.adapt_team && compute.threads > 1 ? " (training's team chosen as it runs)" : "") +
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
  std::vector<std::pair<std::string_view, std::string>> outputs;
  for (const std::string_view name : names)
    if (const auto path = args.get(name)) {
      if (path->empty()) throw UsageError("--" + std::string(name) + " needs a file name");
      for (const auto& [other, other_path] : outputs)
        if (same_file(*path, other_path))
          throw UsageError("--" + std::string(other) + " and --" + std::string(name) +
                           " name the same file, " + *path);
      outputs.emplace_back(name, *path);
    }
  if (!writes_outputs()) return;
  for (const auto& [name, path] : outputs) check_writable(path);
}

void check_outputs_spare_inputs(const Arguments& args,
                                std::initializer_list<std::string_view> names,
                                const std::vector<std::filesystem::path>& inputs) {
  for (const std::string_view name : names)
    if (const auto path = args.get(name))
      for (const std::filesystem::path& input : inputs)
        if (same_file(*path, input))
          throw UsageError("--" + std::string(name) + " names " + input.string() +
                           ", which this command reads; writing it would destroy the input");
}

void write_json_option(const Arguments& args, const std::string& json) {
  if (!writes_outputs()) return;
  if (const auto path = args.get("json")) write_file_atomically(*path, json);
}

}  // namespace simdml::cli
