#include "knn/int8/packing.hpp"

#include <algorithm>

#include "kernels/run_tasks.hpp"

namespace simdml::knn_detail {
namespace {

std::int64_t round_up(std::int64_t n, std::int64_t to) { return (n + to - 1) / to * to; }

// One row into its panel; returns its |t|^2 - 2 offset sum(t). F, the kernel's features per word,
// is a constant: the copy loop unrolls into whole words. A function of its own rather than a loop
// in run_tasks' lambda: the byte stores may alias anything, so captured references would be
// reloaded after each (+8.5 % instructions on the int8 k-NN workload).
template <std::int64_t F>
std::int32_t pack_row(const std::uint8_t* src, std::int64_t features, std::int64_t nr,
                      std::int32_t query_offset, std::uint8_t* word) {
  std::int32_t norm = 0, sum = 0;
  for (std::int64_t f = 0; f < features; f += F, word += nr * F)
    for (std::int64_t h = 0; h < F && f + h < features; ++h) {
      word[h] = src[f + h];
      norm += std::int32_t{src[f + h]} * src[f + h];
      sum += src[f + h];
    }
  return norm - 2 * query_offset * sum;
}

template <std::int64_t F>
void pack_train_rows(ByteRows train, std::int32_t query_offset, PackedTrain& packed, int threads) {
  const std::int64_t nr = packed.panel_rows, row_bytes = packed.words * F;
  run_tasks(threads, train.rows, [&](std::int64_t row) {
    packed.norms[static_cast<std::size_t>(row)] =
        pack_row<F>(train.row(row), train.features, nr, query_offset,
                    packed.panels.data() + (row / nr) * nr * row_bytes + (row % nr) * F);
  });
}

}  // namespace

std::int64_t packed_words(std::int64_t features, const Int8Kernels& kernels,
                          std::int64_t multiple) {
  return round_up((features + kernels.features_per_word - 1) / kernels.features_per_word, multiple);
}

PackedTrain pack_train(ByteRows train, const Int8Kernels& kernels, std::int64_t panel_rows,
                       std::int64_t words, int threads) {
  const std::int64_t rows = round_up(train.rows, panel_rows);
  PackedTrain packed{panel_rows, words, kernels.features_per_word,
                     std::vector<std::uint8_t>(
                         static_cast<std::size_t>(rows * words * kernels.features_per_word), 0),
                     std::vector<std::int32_t>(static_cast<std::size_t>(rows), 0)};
  if (kernels.features_per_word == 4)
    pack_train_rows<4>(train, kernels.query_offset, packed, threads);
  else
    pack_train_rows<2>(train, kernels.query_offset, packed, threads);
  return packed;
}

void pack_queries(ByteRows queries, std::int64_t first, std::int64_t rows,
                  const Int8Kernels& kernels, std::int64_t panel_rows, std::int64_t words,
                  std::int32_t* words_out, std::int32_t* norms_out) {
  const std::int64_t mr = panel_rows, f_per_word = kernels.features_per_word,
                     features = queries.features, row_words = kernels.query_row_words;
  const int field_bits = static_cast<int>(32 / f_per_word);
  const std::uint32_t field_mask =
      (std::uint32_t{1} << field_bits) - 1;  // F >= 2: fields below 32 bits
  const std::int64_t panels = (rows + mr - 1) / mr;
  std::fill(words_out, words_out + panels * mr * words, 0);
  std::fill(norms_out, norms_out + panels * mr, 0);
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::uint8_t* q = queries.row(first + i);
    // Word by word along the row: B words together, then on to the row's next block.
    std::int32_t* word = words_out + (i / mr) * words * mr + (i % mr) * row_words;
    std::int64_t in_block = 0;
    std::int32_t norm = 0;
    for (std::int64_t f = 0; f < features; f += f_per_word) {
      std::uint32_t bits = 0;
      for (std::int64_t h = 0; h < f_per_word && f + h < features; ++h) {
        const std::int32_t pixel = q[f + h];
        bits |= (static_cast<std::uint32_t>(pixel - kernels.query_offset) & field_mask)
                << (field_bits * h);
        norm += pixel * pixel;
      }
      *word++ = static_cast<std::int32_t>(bits);
      if (++in_block == row_words) {
        in_block = 0;
        word += (mr - 1) * row_words;
      }
    }
    norms_out[i] = norm;
  }
}

}  // namespace simdml::knn_detail
