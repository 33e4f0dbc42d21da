// Datasets: IDX (MNIST-format) and CSV files, named datasets under a data root, splits.
//
// Every loader validates strictly and throws DataError naming the file and what is wrong with it;
// nothing is returned half-read. Pixels become floats in [0, 1] (byte / 255).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace simdml {

// A data file that cannot be used (missing, unreadable, truncated, corrupt, inconsistent).
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Which rows a load keeps: of the first `limit` rows (all when < 0; at most all), the share
// [kept * part / parts, kept * (part + 1) / parts) -- rank_share's cut (cluster.hpp), one rank's
// shard of a dataset. The default keeps every row.
struct RowPart {
  int part = 0, parts = 1;
  std::int64_t limit = -1;
};

// The contents of an unsigned-byte IDX file: dims[0] x dims[1] x ... values, row-major; of the
// rows [first_row, first_row + rows) of dimension 0 only, when read_idx was asked for a part.
struct IdxArray {
  std::vector<std::int64_t> dims;  // the file's, whatever part was read
  std::vector<std::uint8_t> values;
  std::int64_t first_row = 0, rows = 0;
  std::uint32_t crc32 = 0;  // zlib's CRC-32 of every value in the file, kept or not
};

// The most values one IDX file may promise (4 GiB): more is treated as a corrupt header.
inline constexpr std::int64_t kMaxIdxValues = std::int64_t{1} << 32;

// Reads an IDX file, gzip-compressed or raw (told apart by content, not by name). The header is
// big-endian: two zero bytes, the element type (only 0x08, unsigned byte, is accepted), the number
// of dimensions (1 to 4), then each dimension as a uint32. Errors: a missing, unreadable or
// directory path, or one that is not a regular file (a FIFO would never end); an empty file; bad
// magic; a dimension product above kMaxIdxValues; fewer bytes than the header promises (raw or
// inside the gzip stream); a corrupt or unfinished gzip stream; bytes after the promised data, or
// after the gzip stream (concatenated gzip members are one stream, as gzip reads them). With a
// part, the whole file is still read and checked (gzip streams cannot seek) but only its rows are
// kept, so memory holds a part of a file too large for it. Throws std::invalid_argument unless
// 0 <= part < parts.
IdxArray read_idx(const std::filesystem::path& path, const RowPart& part = {});

// Rows of features with one integer class label each.
struct Dataset {
  std::string name;  // e.g. "mnist train"
  std::int64_t samples = 0;
  std::int64_t features = 0;
  int classes = 0;
  std::int64_t image_height = 0, image_width = 0;  // 0 unless every row is an image
  std::vector<float> x;                            // samples x features, row-major
  // Image data only: the bytes behind x (x = pixels / 255, as unit_from_bytes computes it).
  // Training and the int8 k-NN read them in place of x, so code that changes x must clear them.
  std::vector<std::uint8_t> pixels;
  std::vector<std::int32_t> labels;  // each in [0, classes)
  // Names where the source gives them, else empty: the columns of a CSV header, and the classes of
  // a named dataset (iris's species, Fashion-MNIST's garments, MNIST's digits).
  std::vector<std::string> feature_names, class_names;

  const float* row(std::int64_t i) const { return x.data() + i * features; }
  bool is_image() const { return image_height > 0; }
};

// Where a part of an IDX dataset lies: rows [first_row, first_row + its samples) of the
// `limited_rows` its part's limit keeps, and the CRC-32 of both files' values (images, then
// labels), the same for any part.
struct IdxSource {
  std::int64_t first_row = 0, limited_rows = 0;
  std::uint32_t crc32 = 0;
};

// An IDX image file (count x height x width) with its label file (count), or a part of their
// rows. Throws DataError when the file holds no images, images of no pixels, the counts differ or
// any label is >= classes.
Dataset load_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                         int classes, std::string name, const RowPart& part = {},
                         IdxSource* source = nullptr);

// The most classes a dataset may have: labels are numbered 0 to kMaxClasses - 1. Evaluations keep
// a classes x classes confusion matrix per k, so a stray large label must be an error, not a
// request for gigabytes.
inline constexpr int kMaxClasses = 256;

// A CSV table of numbers (UTF-8, a byte-order mark allowed): an optional header row, then rows
// whose last column is an integer label from 0 to kMaxClasses - 1 and whose other columns are
// finite numbers within float's range ("+5" is read as 5). The first row is a header when none of
// its fields is a number; one that mixes names and numbers is an error. classes is the largest
// label + 1. Throws DataError naming the line for ragged rows, non-numbers, bad labels, a mixed
// first row, or a file without data rows, and naming the file when it is not a regular file.
Dataset load_csv_dataset(const std::filesystem::path& path, std::string name);

// zlib's CRC-32 of a dataset's values (its pixel bytes when it has them, else its floats), then
// its labels: equal datasets, equal CRCs, whichever machine loaded them.
std::uint32_t dataset_crc32(const Dataset& data);

// Rows [begin, end) of a dataset, as a dataset of their own.
Dataset slice_rows(const Dataset& data, std::int64_t begin, std::int64_t end);
// The given rows, in the given order (cross-validation folds). Throws std::invalid_argument for a
// row outside the dataset.
Dataset select_rows(const Dataset& data, std::span<const std::int64_t> rows);

// A training set, and the test set that comes with it (absent for single-table data like iris).
struct NamedDataset {
  std::string name;
  Dataset train;
  std::optional<Dataset> test;
  std::filesystem::path source;              // the folder the files came from
  std::vector<std::filesystem::path> files;  // the files read, for outputs that must spare them
  // train holds rows [train_first_row, train_first_row + train.samples) of the train_rows that
  // the part's limit keeps: 0 and train.samples for a whole load.
  std::int64_t train_first_row = 0, train_rows = 0;
  std::uint32_t crc32 = 0;  // of every file's values, in load order: the same for any part
};

// The known dataset names: "mnist", "fashion-mnist", "iris".
std::span<const std::string_view> dataset_names();

// The data root: the --data value when given, else $SIMDML_DATA, else ./data.
std::filesystem::path resolve_data_root(const std::optional<std::string>& flag);

// Loads a named dataset from <root>/<name>/ (MNIST-format files, .gz or raw; iris/iris.csv).
// fashion-mnist is also found in /usr/share/datasets/fashion-mnist (Debian's package). Throws
// DataError for an unknown name, or for missing files with a message that says how to get them.
// With a part, train holds only that part's rows (MNIST-format files are read through, keeping
// them; iris is read whole and cut), and the test set is whole.
NamedDataset load_named_dataset(std::string_view name, const std::filesystem::path& root,
                                const RowPart& train_part = {});

// Whether load_named_dataset would find the dataset's files under root (their contents unchecked).
bool dataset_available(std::string_view name, const std::filesystem::path& root);

// Moves a stratified random `fraction` of train's rows into a new validation set, as
// scikit-learn's train_test_split(stratify=labels) does: ceil(fraction x rows) rows in all, each
// class contributing its share (largest remainders, then lower classes, take the rows left over),
// the rows of each class drawn by a permutation from Rng(seed, kValidationStream). Both sets keep
// their rows in the original order. Throws std::invalid_argument unless 0 < fraction < 1 leaves
// at least one row on each side.
Dataset split_validation(Dataset& train, double fraction, std::uint64_t seed);

}  // namespace simdml
