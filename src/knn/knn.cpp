// The list of k-NN kernels, dispatch by name and target, and the checks every variant relies on.
#include <array>
#include <limits>
#include <stdexcept>
#include <string>

#include "knn/int8/register_tiles.hpp"
#include "knn/variants.hpp"

namespace simdml {

using namespace knn_detail;

namespace {

constexpr Extension kNone = Extension::none;
// int8 and pruned kernels from least to most capable: dispatch takes the last one the CPU can run.
// pruned's tile is its bound pass's: the int8 tile of the same target.
constexpr std::array<KnnKernel, 17> kKernels{{
    {"naive", KnnVariant::naive, Isa::sse2, kNone, {}, naive_knn},
    {"blocked", KnnVariant::blocked, Isa::sse2, kNone, kBlockedTile, blocked_knn},
    {"int8-sse2", KnnVariant::int8, Isa::sse2, kNone, kInt8TileSse2, int8_on<int8_sse2>},
    {"int8-avx2", KnnVariant::int8, Isa::avx2, kNone, kInt8TileAvx2, int8_on<int8_avx2>},
    {"int8-avx512", KnnVariant::int8, Isa::avx512, kNone, kInt8TileAvx512, int8_on<int8_avx512>},
    {"int8-avx512vnni", KnnVariant::int8, Isa::avx512, Extension::avx512vnni, kInt8TileAvx512Vnni,
     int8_on<int8_avx512vnni>},
    {"int8-amx", KnnVariant::int8, Isa::avx512, Extension::amx_int8, kInt8TileAmx,
     int8_on<int8_amx>},
    {"pruned-sse2", KnnVariant::pruned, Isa::sse2, kNone, kInt8TileSse2, pruned_on<int8_sse2>},
    {"pruned-avx2", KnnVariant::pruned, Isa::avx2, kNone, kInt8TileAvx2, pruned_on<int8_avx2>},
    {"pruned-avx512", KnnVariant::pruned, Isa::avx512, kNone, kInt8TileAvx512,
     pruned_on<int8_avx512>},
    {"pruned-avx512vnni", KnnVariant::pruned, Isa::avx512, Extension::avx512vnni,
     kInt8TileAvx512Vnni, pruned_on<int8_avx512vnni>},
    {"pruned-amx", KnnVariant::pruned, Isa::avx512, Extension::amx_int8, kInt8TileAmx,
     pruned_on<int8_amx>},
    {"adaptive-sse2", KnnVariant::adaptive, Isa::sse2, kNone, kInt8TileSse2,
     adaptive_on<int8_sse2>},
    {"adaptive-avx2", KnnVariant::adaptive, Isa::avx2, kNone, kInt8TileAvx2,
     adaptive_on<int8_avx2>},
    {"adaptive-avx512", KnnVariant::adaptive, Isa::avx512, kNone, kInt8TileAvx512,
     adaptive_on<int8_avx512>},
    {"adaptive-avx512vnni", KnnVariant::adaptive, Isa::avx512, Extension::avx512vnni,
     kInt8TileAvx512Vnni, adaptive_on<int8_avx512vnni>},
    {"adaptive-amx", KnnVariant::adaptive, Isa::avx512, Extension::amx_int8, kInt8TileAmx,
     adaptive_on<int8_amx>},
}};

constexpr KernelRegistry<KnnKernel> kRegistry{"k-NN", kKernels, knn_variant_name};

}  // namespace

std::string_view knn_variant_name(KnnVariant variant) {
  switch (variant) {
    case KnnVariant::naive:
      return "naive";
    case KnnVariant::blocked:
      return "blocked";
    case KnnVariant::int8:
      return "int8";
    case KnnVariant::pruned:
      return "pruned";
    case KnnVariant::adaptive:
      return "adaptive";
  }
  return "unknown";
}

const KernelRegistry<KnnKernel>& knn_registry() { return kRegistry; }
std::span<const KnnKernel> knn_kernels() { return kRegistry.kernels(); }
const KnnKernel& knn_kernel(KnnVariant variant) { return kRegistry.dispatched(variant); }
const KnnKernel& knn_kernel(std::string_view name) { return kRegistry.find(name); }

double exact_distance(const Dataset& train, std::int64_t train_row, const Dataset& queries,
                      std::int64_t query_row) {
  const std::int64_t features = train.features;
  if (pixel_metric(train, queries))
    return static_cast<double>(pixel_distance(queries.pixels.data() + query_row * features,
                                              train.pixels.data() + train_row * features,
                                              features)) /
           kPixelScale;
  return float_distance(queries.row(query_row), train.row(train_row), features);
}

namespace knn_detail {

void check_k_and_rows(int k, std::int64_t rows, const std::string& name) {
  if (k < 1) throw std::invalid_argument("k must be at least 1, not " + std::to_string(k));
  if (k > rows)
    throw std::invalid_argument("k = " + std::to_string(k) + " is larger than the training set (" +
                                name + ": " + std::to_string(rows) + " rows)");
  if (rows > std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument(name + " has more training rows than 32-bit indices can name");
}

}  // namespace knn_detail

Neighbors find_neighbors(const KnnKernel& kernel, const Dataset& train, const Dataset& queries,
                         const KnnSearch& search) {
  knn_detail::check_k_and_rows(search.k, train.samples, train.name);
  if (train.features != queries.features)
    throw std::invalid_argument("the training set has " + std::to_string(train.features) +
                                " features per row but " + queries.name + " has " +
                                std::to_string(queries.features));
  if (search.threads < 1) throw std::invalid_argument("threads must be at least 1");
  kRegistry.require_runs_here(kernel);
  if (queries.samples == 0) return empty_neighbors(0, search.k, train.samples);
  return kernel.run(train, queries, search);
}

}  // namespace simdml
