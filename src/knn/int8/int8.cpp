// The int8 k-NN driver: packs the pixels for the target's tile kernel, walks tiles of queries x
// training rows, and feeds each tile's exact distances straight into the queries' top-k lists.
//
// Loops, outermost first (BLIS-like, with the top-k selection where BLIS would update C):
//   query tiles     (up to 16 panels of MR queries, at most 160 rows; OpenMP; packed once per tile,
//                    ~150 KB stays in L2)
//   training chunks (kChunkPanels x NR rows; a chunk of distances, <= 330 KB, stays in L2)
//   training panels (NR rows x all features; stays in L1 while every query panel passes over it)
//   query panels    (MR queries) -> distance_tile
// then each query scans its row of the chunk for candidates below its current k-th distance.
// Training rows arrive in increasing index order, so equal distances keep the lower index.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "knn/int8/int8.hpp"
#include "knn/int8/kernels.hpp"
#include "knn/int8/packing.hpp"
#include "knn/topk.hpp"
#include "knn/variants.hpp"

namespace simdml::knn_detail {
namespace {

constexpr std::int64_t kQueryPanelsPerTile = 16;
// The row cap matters for AMX's 32-row panels: 16 of them made a 1 MiB distance chunk, which with
// the query tile filled a 2 MiB L2.
constexpr std::int64_t kMaxQueryTileRows = 160;
constexpr std::int64_t kChunkPanels = 16;

// Images up to 128 x 128 (and a little more): every distance and 2 x dot product stays below 2^31.
constexpr std::int64_t kMaxFeatures = (std::int64_t{1} << 31) / (2 * 255 * 255);

class QueryTile {
 public:
  QueryTile(const Dataset& train, const Dataset& queries, const Int8Kernels& kernels,
            const PackedTrain& packed, int k)
      : train_(train),
        queries_(queries),
        kernels_(kernels),
        packed_(packed),
        k_(k),
        words_(packed.words),
        tile_rows_(
            std::clamp<std::int64_t>(kMaxQueryTileRows / kernels.rows, 1, kQueryPanelsPerTile) *
            kernels.rows),
        chunk_cols_(kChunkPanels * kernels.cols),
        query_words_(static_cast<std::size_t>(tile_rows_ * words_)),
        query_norms_(static_cast<std::size_t>(tile_rows_)),
        dist_(static_cast<std::size_t>(tile_rows_ * chunk_cols_)),
        top_dist_(static_cast<std::size_t>(tile_rows_ * k)),
        top_index_(static_cast<std::size_t>(tile_rows_ * k)) {}

  std::int64_t tile_rows() const { return tile_rows_; }

  void run(std::int64_t first, std::int64_t rows, Neighbors& out) {
    pack_queries(first, rows);
    std::vector<TopK<std::int32_t>> lists;
    for (std::int64_t i = 0; i < rows; ++i)
      lists.emplace_back(k_, top_dist_.data() + i * k_, top_index_.data() + i * k_);
    for (std::int64_t c0 = 0; c0 < train_.samples; c0 += chunk_cols_) {
      const std::int64_t cols = std::min(chunk_cols_, train_.samples - c0);
      chunk_distances(rows, c0, cols);
      for (std::int64_t i = 0; i < rows; ++i)
        offer_candidates(dist_.data() + i * chunk_cols_, cols, c0,
                         lists[static_cast<std::size_t>(i)], kernels_.find_at_most);
    }
    for (std::int64_t i = 0; i < rows; ++i)
      for (int s = 0; s < k_; ++s) {
        const TopK<std::int32_t>& list = lists[static_cast<std::size_t>(i)];
        out.index[static_cast<std::size_t>((first + i) * k_ + s)] = list.index(s);
        out.distance[static_cast<std::size_t>((first + i) * k_ + s)] =
            static_cast<double>(list.distance(s)) / kPixelScale;
      }
  }

 private:
  void pack_queries(std::int64_t first, std::int64_t rows) {
    knn_detail::pack_queries(ByteRows{queries_.pixels.data(), queries_.samples, queries_.features},
                             first, rows, kernels_, kernels_.rows, words_, query_words_.data(),
                             query_norms_.data());
  }

  void chunk_distances(std::int64_t rows, std::int64_t c0, std::int64_t cols) {
    const int mr = kernels_.rows, nr = kernels_.cols;
    const std::int64_t query_panels = (rows + mr - 1) / mr, train_panels = (cols + nr - 1) / nr;
    for (std::int64_t jr = 0; jr < train_panels; ++jr) {
      const std::int64_t row0 = c0 + jr * nr;
      const std::uint8_t* b = packed_.panel(row0);
      for (std::int64_t ir = 0; ir < query_panels; ++ir)
        kernels_.distance_tile(words_, query_words_.data() + ir * words_ * mr, b,
                               query_norms_.data() + ir * mr, packed_.norms.data() + row0,
                               dist_.data() + ir * mr * chunk_cols_ + jr * nr, chunk_cols_);
    }
  }

  const Dataset& train_;
  const Dataset& queries_;
  const Int8Kernels& kernels_;
  const PackedTrain& packed_;
  int k_;
  std::int64_t words_, tile_rows_, chunk_cols_;
  std::vector<std::int32_t> query_words_, query_norms_, dist_, top_dist_, top_index_;
};

}  // namespace

Neighbors int8_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                   const KnnSearch& search) {
  if (!pixel_metric(train, queries))
    throw std::invalid_argument("the int8 k-NN needs pixel data (IDX images); " + train.name +
                                " and " + queries.name +
                                " are not both images: use blocked or naive");
  if (train.features > kMaxFeatures)
    throw std::invalid_argument("the int8 k-NN handles at most " + std::to_string(kMaxFeatures) +
                                " pixels per image, not " + std::to_string(train.features));
  const ByteRows pixels{train.pixels.data(), train.samples, train.features};
  const PackedTrain packed =
      pack_train(pixels, kernels, kernels.cols,
                 packed_words(train.features, kernels, kernels.query_row_words), search.threads);
  Neighbors out = empty_neighbors(queries.samples, search.k, train.samples);
#pragma omp parallel num_threads(search.threads)
  {
    QueryTile tile(train, queries, kernels, packed, search.k);
    const std::int64_t step = tile.tile_rows(), tiles = (queries.samples + step - 1) / step;
#pragma omp for schedule(dynamic)
    for (std::int64_t t = 0; t < tiles; ++t)
      tile.run(t * step, std::min(step, queries.samples - t * step), out);
  }
  return out;
}

}  // namespace simdml::knn_detail
