// Packing of byte rows (pixels, or quantized projections) into the layouts of kernels.hpp, shared
// by the int8 k-NN and the pruned k-NN's bound pass.
#pragma once

#include <cstdint>
#include <vector>

#include "knn/int8/kernels.hpp"

namespace simdml::knn_detail {

// `rows` rows of `features` bytes, row r at data + r * features.
struct ByteRows {
  const std::uint8_t* data;
  std::int64_t rows, features;
  const std::uint8_t* row(std::int64_t r) const { return data + r * features; }
};

// Words per packed row: whole words of F features, padded with zero words to a multiple of
// `multiple` (the kernel's query row block B, or more).
std::int64_t packed_words(std::int64_t features, const Int8Kernels& kernels, std::int64_t multiple);

// Training rows in panels of `panel_rows` (NR for the tile kernel; 1 gives each row its own
// contiguous words), with their squared norms, each less 2 * offset * (the row's byte sum): the
// query offset's share of the dot product, folded in (kernels.hpp).
struct PackedTrain {
  std::int64_t panel_rows = 0, words = 0, features_per_word = 0;
  std::vector<std::uint8_t> panels;
  std::vector<std::int32_t> norms;  // one per padded row; 0 for padding
  // The first byte of the panel that starts at training row `row` (a multiple of panel_rows).
  const std::uint8_t* panel(std::int64_t row) const {
    return panels.data() + row * words * features_per_word;
  }
};

PackedTrain pack_train(ByteRows train, const Int8Kernels& kernels, std::int64_t panel_rows,
                       std::int64_t words, int threads);

// Query rows first ... first + rows - 1 in panels of `panel_rows` queries: word
// ((w / B) * panel_rows + i) * B + w % B of a panel holds features F w ... of its query i, minus
// the offset, as F signed fields (kernels.hpp). `words_out` holds ceil(rows / panel_rows) panels
// of panel_rows * words words and is zeroed first; norms_out[i] = |q_i|^2.
void pack_queries(ByteRows queries, std::int64_t first, std::int64_t rows,
                  const Int8Kernels& kernels, std::int64_t panel_rows, std::int64_t words,
                  std::int32_t* words_out, std::int32_t* norms_out);

}  // namespace simdml::knn_detail
