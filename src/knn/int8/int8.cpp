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

#include "../topk.hpp"
#include "../variants.hpp"
#include "kernels.hpp"

namespace simdml::knn_detail {
namespace {

constexpr std::int64_t kQueryPanelsPerTile = 16;
// The row cap matters for AMX's 32-row panels: 16 of them made a 1 MiB distance chunk, which with
// the query tile filled a 2 MiB L2.
constexpr std::int64_t kMaxQueryTileRows = 160;
constexpr std::int64_t kChunkPanels = 16;

// Images up to 128 x 128 (and a little more): every distance and 2 x dot product stays below 2^31.
constexpr std::int64_t kMaxFeatures = (std::int64_t{1} << 31) / (2 * 255 * 255);

std::int64_t round_up(std::int64_t n, std::int64_t to) { return (n + to - 1) / to * to; }

// Words per row, padded to whole query row blocks (see kernels.hpp).
std::int64_t words_per_row(const Dataset& data, const Int8Kernels& kernels) {
  return round_up((data.features + kernels.features_per_word - 1) / kernels.features_per_word,
                  kernels.query_row_words);
}

// Training rows in NR-row panels (layout in kernels.hpp), with their squared norms, each less
// 2 * offset * (the row's pixel sum): the query offset's share of the dot product, folded in.
struct PackedTrain {
  std::vector<std::uint8_t> panels;
  std::vector<std::int32_t> norms;  // one per padded row; 0 for padding
};

// F, the kernel's features per word, as a constant: the copy loop unrolls into whole words.
template <std::int64_t F>
PackedTrain pack_train(const Dataset& train, const Int8Kernels& kernels, int threads) {
  const std::int64_t nr = kernels.cols, rows = round_up(train.samples, nr),
                     features = train.features;
  constexpr std::int64_t f_per_word = F;
  const std::int64_t row_bytes = words_per_row(train, kernels) * f_per_word;
  PackedTrain packed{std::vector<std::uint8_t>(static_cast<std::size_t>(rows * row_bytes), 0),
                     std::vector<std::int32_t>(static_cast<std::size_t>(rows), 0)};
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t row = 0; row < train.samples; ++row) {
    const std::uint8_t* src = train.pixels.data() + row * features;
    std::uint8_t* word =
        packed.panels.data() + (row / nr) * nr * row_bytes + (row % nr) * f_per_word;
    std::int32_t norm = 0, sum = 0;
    for (std::int64_t f = 0; f < features; f += f_per_word, word += nr * f_per_word)
      for (std::int64_t h = 0; h < f_per_word && f + h < features; ++h) {
        word[h] = src[f + h];
        norm += std::int32_t{src[f + h]} * src[f + h];
        sum += src[f + h];
      }
    packed.norms[static_cast<std::size_t>(row)] = norm - 2 * kernels.query_offset * sum;
  }
  return packed;
}

class QueryTile {
 public:
  QueryTile(const Dataset& train, const Dataset& queries, const Int8Kernels& kernels,
            const PackedTrain& packed, int k)
      : train_(train),
        queries_(queries),
        kernels_(kernels),
        packed_(packed),
        k_(k),
        words_(words_per_row(train, kernels)),
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
  // Query rows in MR-row panels (layout in kernels.hpp), zero past the last query. Each feature
  // is a field of 32 / F bits holding the two's-complement bits of q - offset.
  void pack_queries(std::int64_t first, std::int64_t rows) {
    const std::int64_t mr = kernels_.rows, f_per_word = kernels_.features_per_word,
                       features = queries_.features;
    const std::int64_t row_words = kernels_.query_row_words;
    const int field_bits = static_cast<int>(32 / f_per_word);
    const std::uint32_t field_mask =
        (std::uint32_t{1} << field_bits) - 1;  // F >= 2: fields below 32 bits
    std::fill(query_words_.begin(), query_words_.end(), 0);
    std::fill(query_norms_.begin(), query_norms_.end(), 0);
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::uint8_t* q = queries_.pixels.data() + (first + i) * features;
      // Word by word along the row: B words together, then on to the row's next block.
      std::int32_t* word = query_words_.data() + (i / mr) * words_ * mr + (i % mr) * row_words;
      std::int64_t in_block = 0;
      std::int32_t norm = 0;
      for (std::int64_t f = 0; f < features; f += f_per_word) {
        std::uint32_t bits = 0;
        for (std::int64_t h = 0; h < f_per_word && f + h < features; ++h) {
          const std::int32_t pixel = q[f + h];
          bits |= (static_cast<std::uint32_t>(pixel - kernels_.query_offset) & field_mask)
                  << (field_bits * h);
          norm += pixel * pixel;
        }
        *word++ = static_cast<std::int32_t>(bits);
        if (++in_block == row_words) {
          in_block = 0;
          word += (mr - 1) * row_words;
        }
      }
      query_norms_[static_cast<std::size_t>(i)] = norm;
    }
  }

  void chunk_distances(std::int64_t rows, std::int64_t c0, std::int64_t cols) {
    const int mr = kernels_.rows, nr = kernels_.cols;
    const std::int64_t query_panels = (rows + mr - 1) / mr, train_panels = (cols + nr - 1) / nr;
    for (std::int64_t jr = 0; jr < train_panels; ++jr) {
      const std::int64_t row0 = c0 + jr * nr;
      const std::uint8_t* b = packed_.panels.data() + row0 * words_ * kernels_.features_per_word;
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

Neighbors int8_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                   const KnnSearch& search) {
  if (!pixel_metric(train, queries))
    throw std::invalid_argument("the int8 k-NN needs pixel data (IDX images); " + train.name +
                                " and " + queries.name +
                                " are not both images: use blocked or naive");
  if (train.features > kMaxFeatures)
    throw std::invalid_argument("the int8 k-NN handles at most " + std::to_string(kMaxFeatures) +
                                " pixels per image, not " + std::to_string(train.features));
  const PackedTrain packed = kernels.features_per_word == 4
                                 ? pack_train<4>(train, kernels, search.threads)
                                 : pack_train<2>(train, kernels, search.threads);
  Neighbors out = empty_neighbors(queries.samples, search.k);
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
Neighbors int8_knn_avx512vnni(const Dataset& train, const Dataset& queries,
                              const KnnSearch& search) {
  return int8_knn(int8_avx512vnni, train, queries, search);
}
Neighbors int8_knn_amx(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return int8_knn(int8_amx, train, queries, search);
}

}  // namespace simdml::knn_detail
