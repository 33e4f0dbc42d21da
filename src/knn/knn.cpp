// The list of k-NN kernels, dispatch by name and target, and the checks every variant relies on.
#include <array>
#include <limits>
#include <stdexcept>
#include <string>

#include "variants.hpp"

namespace simdml {

using namespace knn_detail;

std::span<const KnnKernel> knn_kernels() {
  // int8 kernels from least to most capable: dispatch takes the last one the CPU can run.
  static constexpr std::array<KnnKernel, 7> kernels{{
      {"naive", KnnVariant::naive, Isa::sse2, Extension::none, naive_knn},
      {"blocked", KnnVariant::blocked, Isa::sse2, Extension::none, blocked_knn},
      {"int8-sse2", KnnVariant::int8, Isa::sse2, Extension::none, int8_knn_sse2},
      {"int8-avx2", KnnVariant::int8, Isa::avx2, Extension::none, int8_knn_avx2},
      {"int8-avx512", KnnVariant::int8, Isa::avx512, Extension::none, int8_knn_avx512},
      {"int8-avx512vnni", KnnVariant::int8, Isa::avx512, Extension::avx512vnni, int8_knn_avx512vnni},
      {"int8-amx", KnnVariant::int8, Isa::avx512, Extension::amx_int8, int8_knn_amx},
  }};
  return kernels;
}

bool knn_kernel_supported(const KnnKernel& kernel) {
  return isa_supported(kernel.isa) && extension_supported(kernel.extension);
}

std::string_view knn_variant_name(KnnVariant variant) {
  switch (variant) {
    case KnnVariant::naive:
      return "naive";
    case KnnVariant::blocked:
      return "blocked";
    case KnnVariant::int8:
      return "int8";
  }
  return "?";
}

const KnnKernel& knn_kernel(KnnVariant variant) {
  const Isa target = active_isa();
  const KnnKernel* chosen = nullptr;
  for (const KnnKernel& k : knn_kernels())
    if (k.variant == variant && (variant != KnnVariant::int8 || (k.isa == target && knn_kernel_supported(k))))
      chosen = &k;
  if (chosen != nullptr) return *chosen;
  throw std::logic_error("no k-NN kernel for variant " + std::string(knn_variant_name(variant)));
}

const KnnKernel& knn_kernel(std::string_view name) {
  for (KnnVariant v : {KnnVariant::naive, KnnVariant::blocked, KnnVariant::int8})
    if (name == knn_variant_name(v)) return knn_kernel(v);
  for (const KnnKernel& k : knn_kernels()) {
    if (k.name != name) continue;
    if (!knn_kernel_supported(k)) {
      const std::string needs = k.extension == Extension::none ? std::string(isa_name(k.isa))
                                                               : std::string(extension_name(k.extension));
      throw std::invalid_argument("k-NN kernel " + std::string(name) + " needs " + needs +
                                  ", which this CPU does not support");
    }
    return k;
  }
  std::string valid = "naive, blocked, int8";
  for (const KnnKernel& k : knn_kernels())
    if (k.variant == KnnVariant::int8) valid += ", " + std::string(k.name);
  throw std::invalid_argument("unknown k-NN variant '" + std::string(name) + "' (valid: " + valid + ")");
}

double exact_distance(const Dataset& train, std::int64_t train_row, const Dataset& queries, std::int64_t query_row) {
  const std::int64_t features = train.features;
  if (pixel_metric(train, queries))
    return static_cast<double>(pixel_distance(queries.pixels.data() + query_row * features,
                                              train.pixels.data() + train_row * features, features)) /
           kPixelScale;
  return float_distance(queries.row(query_row), train.row(train_row), features);
}

Neighbors find_neighbors(const KnnKernel& kernel, const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  if (search.k < 1) throw std::invalid_argument("k must be at least 1, not " + std::to_string(search.k));
  if (search.k > train.samples)
    throw std::invalid_argument("k = " + std::to_string(search.k) + " is larger than the training set (" + train.name +
                                ": " + std::to_string(train.samples) + " rows)");
  if (train.samples > std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument(train.name + " has more training rows than 32-bit indices can name");
  if (train.features != queries.features)
    throw std::invalid_argument("the training set has " + std::to_string(train.features) + " features per row but " +
                                queries.name + " has " + std::to_string(queries.features));
  if (search.threads < 1) throw std::invalid_argument("threads must be at least 1");
  if (queries.samples == 0) return empty_neighbors(0, search.k);
  return kernel.run(train, queries, search);
}

}  // namespace simdml
