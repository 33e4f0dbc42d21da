// The int8 k-NN driver: packs the pixels for the target's tile kernel, walks tiles of queries x
// training rows, and feeds each tile's exact distances straight into the queries' top-k lists.
//
// Loops, outermost first (BLIS-like, with the top-k selection where BLIS would update C):
//   query tiles     (kQueryTiles x MR queries; OpenMP; packed once per tile, ~150 KB stays in L2)
//   training chunks (kChunkPanels x NR rows; a chunk of distances, <= 100 KB, stays in L2)
//   training panels (NR rows x all features; stays in L1 while every query panel passes over it)
//   query panels    (MR queries) -> distance_tile
// then each query scans its row of the chunk for candidates below its current k-th distance.
// Training rows arrive in increasing index order, so equal distances keep the lower index.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "../topk.hpp"
#include "../variants.hpp"
#include "kernels.hpp"

namespace simdml::knn_detail {
namespace {

constexpr std::int64_t kQueryPanelsPerTile = 16;
constexpr std::int64_t kChunkPanels = 16;

// Images up to 128 x 128 (and a little more): every distance and 2 x dot product stays below 2^31.
constexpr std::int64_t kMaxFeatures = (std::int64_t{1} << 31) / (2 * 255 * 255);

std::int64_t round_up(std::int64_t n, std::int64_t to) { return (n + to - 1) / to * to; }

// Training rows in NR-row panels (layout in kernels.hpp), with their squared norms.
struct PackedTrain {
  std::vector<std::uint8_t> panels;
  std::vector<std::int32_t> norms;  // one per padded row; 0 for padding
};

PackedTrain pack_train(const Dataset& train, const Int8Kernels& kernels, std::int64_t pairs, int threads) {
  const std::int64_t nr = kernels.cols, rows = round_up(train.samples, nr), features = train.features;
  PackedTrain packed{std::vector<std::uint8_t>(static_cast<std::size_t>(rows * pairs * 2), 0),
                     std::vector<std::int32_t>(static_cast<std::size_t>(rows), 0)};
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t row = 0; row < train.samples; ++row) {
    const std::uint8_t* src = train.pixels.data() + row * features;
    std::uint8_t* dst = packed.panels.data() + (row / nr) * nr * pairs * 2 + (row % nr) * 2;
    std::int32_t norm = 0;
    for (std::int64_t f = 0; f < features; ++f) {
      dst[(f / 2) * nr * 2 + (f % 2)] = src[f];
      norm += std::int32_t{src[f]} * src[f];
    }
    packed.norms[static_cast<std::size_t>(row)] = norm;
  }
  return packed;
}

class QueryTile {
 public:
  QueryTile(const Dataset& train, const Dataset& queries, const Int8Kernels& kernels, const PackedTrain& packed, int k)
      : train_(train), queries_(queries), kernels_(kernels), packed_(packed), k_(k),
        pairs_((train.features + 1) / 2),
        tile_rows_(kQueryPanelsPerTile * kernels.rows),
        chunk_cols_(kChunkPanels * kernels.cols),
        query_words_(static_cast<std::size_t>(tile_rows_ * pairs_)),
        query_norms_(static_cast<std::size_t>(tile_rows_)),
        dist_(static_cast<std::size_t>(tile_rows_ * chunk_cols_)),
        top_dist_(static_cast<std::size_t>(tile_rows_ * k)),
        top_index_(static_cast<std::size_t>(tile_rows_ * k)) {}

  std::int64_t tile_rows() const { return tile_rows_; }

  void run(std::int64_t first, std::int64_t rows, Neighbors& out) {
    pack_queries(first, rows);
    std::vector<TopK<std::int32_t>> lists;
    for (std::int64_t i = 0; i < rows; ++i) lists.emplace_back(k_, top_dist_.data() + i * k_, top_index_.data() + i * k_);
    for (std::int64_t c0 = 0; c0 < train_.samples; c0 += chunk_cols_) {
      const std::int64_t cols = std::min(chunk_cols_, train_.samples - c0);
      chunk_distances(rows, c0, cols);
      for (std::int64_t i = 0; i < rows; ++i)
        offer_candidates(dist_.data() + i * chunk_cols_, cols, c0, lists[static_cast<std::size_t>(i)], kernels_.find_at_most);
    }
    for (std::int64_t i = 0; i < rows; ++i)
      for (int s = 0; s < k_; ++s) {
        const TopK<std::int32_t>& list = lists[static_cast<std::size_t>(i)];
        out.index[static_cast<std::size_t>((first + i) * k_ + s)] = list.index(s);
        out.distance[static_cast<std::size_t>((first + i) * k_ + s)] = static_cast<double>(list.distance(s)) / kPixelScale;
      }
  }

 private:
  // Query rows in MR-row panels (layout in kernels.hpp), zero past the last query.
  void pack_queries(std::int64_t first, std::int64_t rows) {
    const int mr = kernels_.rows;
    std::fill(query_words_.begin(), query_words_.end(), 0);
    std::fill(query_norms_.begin(), query_norms_.end(), 0);
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::uint8_t* q = queries_.pixels.data() + (first + i) * queries_.features;
      std::int32_t* panel = query_words_.data() + (i / mr) * pairs_ * mr + i % mr;
      std::int32_t norm = 0;
      for (std::int64_t f = 0; f < queries_.features; ++f) {
        panel[(f / 2) * mr] |= std::int32_t{q[f]} << (16 * (f % 2));
        norm += std::int32_t{q[f]} * q[f];
      }
      query_norms_[static_cast<std::size_t>(i)] = norm;
    }
  }

  void chunk_distances(std::int64_t rows, std::int64_t c0, std::int64_t cols) {
    const int mr = kernels_.rows, nr = kernels_.cols;
    const std::int64_t query_panels = (rows + mr - 1) / mr, train_panels = (cols + nr - 1) / nr;
    for (std::int64_t jr = 0; jr < train_panels; ++jr) {
      const std::int64_t row0 = c0 + jr * nr;
      const std::uint8_t* b = packed_.panels.data() + row0 * pairs_ * 2;
      for (std::int64_t ir = 0; ir < query_panels; ++ir)
        kernels_.distance_tile(pairs_, query_words_.data() + ir * pairs_ * mr, b, query_norms_.data() + ir * mr,
                               packed_.norms.data() + row0, dist_.data() + ir * mr * chunk_cols_ + jr * nr, chunk_cols_);
    }
  }

  const Dataset& train_;
  const Dataset& queries_;
  const Int8Kernels& kernels_;
  const PackedTrain& packed_;
  int k_;
  std::int64_t pairs_, tile_rows_, chunk_cols_;
  std::vector<std::int32_t> query_words_, query_norms_, dist_, top_dist_, top_index_;
};

Neighbors int8_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  if (!pixel_metric(train, queries))
    throw std::invalid_argument("the int8 k-NN needs pixel data (IDX images); " + train.name + " and " + queries.name +
                                " are not both images: use blocked or naive");
  if (train.features > kMaxFeatures)
    throw std::invalid_argument("the int8 k-NN handles at most " + std::to_string(kMaxFeatures) + " pixels per image, not " +
                                std::to_string(train.features));
  const PackedTrain packed = pack_train(train, kernels, (train.features + 1) / 2, search.threads);
  Neighbors out = empty_neighbors(queries.samples, search.k);
#pragma omp parallel num_threads(search.threads)
  {
    QueryTile tile(train, queries, kernels, packed, search.k);
    const std::int64_t step = tile.tile_rows(), tiles = (queries.samples + step - 1) / step;
#pragma omp for schedule(dynamic)
    for (std::int64_t t = 0; t < tiles; ++t) tile.run(t * step, std::min(step, queries.samples - t * step), out);
  }
  return out;
}

}  // namespace

Neighbors int8_knn_sse2(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return int8_knn(int8_sse2, train, queries, search);
}
Neighbors int8_knn_avx2(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return int8_knn(int8_avx2, train, queries, search);
}
Neighbors int8_knn_avx512(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return int8_knn(int8_avx512, train, queries, search);
}

}  // namespace simdml::knn_detail
