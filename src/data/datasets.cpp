// Named datasets under a data root, row slices and the validation split.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "simdml/data.hpp"
#include "simdml/random.hpp"

namespace simdml {
namespace {

constexpr std::array<std::string_view, 3> kNames = {"mnist", "fashion-mnist", "iris"};

// The classes' names, by label, as the datasets' publishers give them.
std::vector<std::string> class_names(std::string_view dataset) {
  if (dataset == "iris") return {"setosa", "versicolor", "virginica"};
  if (dataset == "fashion-mnist")
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
}

// A table with more classes than its publisher named keeps no names.
void name_classes(std::string_view dataset, Dataset& data) {
  std::vector<std::string> names = class_names(dataset);
  if (static_cast<int>(names.size()) < data.classes) return;
  names.resize(static_cast<std::size_t>(data.classes));
  data.class_names = std::move(names);
}
const std::filesystem::path kDebianFashionMnist = "/usr/share/datasets/fashion-mnist";

// <dir>/<stem>.gz, else <dir>/<stem>; empty when neither exists.
std::filesystem::path find_idx_file(const std::filesystem::path& dir, const std::string& stem) {
  std::error_code ec;
  for (const auto& candidate : {dir / (stem + ".gz"), dir / stem})
    if (std::filesystem::exists(candidate, ec)) return candidate;
  return {};
}

bool has_mnist_files(const std::filesystem::path& dir) {
  return !find_idx_file(dir, "train-images-idx3-ubyte").empty();
}

std::string missing_message(std::string_view name, const std::filesystem::path& dir,
                            const std::string& stem) {
  std::string message =
      "dataset " + std::string(name) + " not found: no " + stem + "[.gz] in " + dir.string() + ". ";
  if (name == "fashion-mnist")
    return message + "Install Debian's package (apt-get install dataset-fashion-mnist, files in " +
           kDebianFashionMnist.string() + ") or put the files under <data root>/fashion-mnist/.";
  return message +
         "Run scripts/setup.sh on a machine with internet access (it downloads and md5-checks "
         "MNIST into ./data/mnist), or point --data or SIMDML_DATA at a folder holding mnist/.";
}

NamedDataset load_mnist_format(std::string_view name, const std::filesystem::path& dir,
                               const RowPart& part) {
  // Find all four files first, so a missing one is reported before anything is read.
  std::array<std::filesystem::path, 4> files;
  const std::array<std::string, 4> stems = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  for (std::size_t i = 0; i < files.size(); ++i) {
    files[i] = find_idx_file(dir, stems[i]);
    if (files[i].empty()) throw DataError(missing_message(name, dir, stems[i]));
  }
  NamedDataset named;
  named.name = std::string(name);
  named.source = dir;
  named.files.assign(files.begin(), files.end());
  IdxSource train, test;
  named.train =
      load_idx_dataset(files[0], files[1], 10, std::string(name) + " train", part, &train);
  named.test = load_idx_dataset(files[2], files[3], 10, std::string(name) + " test", {}, &test);
  name_classes(name, named.train);
  name_classes(name, *named.test);
  named.train_first_row = train.first_row;
  named.train_rows = train.limited_rows;
  named.crc32 = train.crc32 ^ (test.crc32 * 0x9E3779B1u);  // both sets' CRCs in one word
  if (named.test->image_height != named.train.image_height ||
      named.test->image_width != named.train.image_width)
    throw DataError(files[2].string() + ": images are " + std::to_string(named.test->image_height) +
                    "x" + std::to_string(named.test->image_width) + ", the training images " +
                    std::to_string(named.train.image_height) + "x" +
                    std::to_string(named.train.image_width));
  return named;
}

template <class T>
uLong crc_of(uLong crc, const std::vector<T>& v) {
  const auto* bytes = reinterpret_cast<const Bytef*>(v.data());
  for (std::size_t left = v.size() * sizeof(T); left > 0;) {
    const auto piece = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    crc = crc32(crc, bytes, piece);
    bytes += piece, left -= piece;
  }
  return crc;
}

}  // namespace

std::uint32_t dataset_crc32(const Dataset& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = data.pixels.empty() ? crc_of(crc, data.x) : crc_of(crc, data.pixels);
  return static_cast<std::uint32_t>(crc_of(crc, data.labels));
}

std::span<const std::string_view> dataset_names() { return kNames; }

std::filesystem::path resolve_data_root(const std::optional<std::string>& flag) {
  if (flag) return *flag;
  if (const char* env = std::getenv("SIMDML_DATA"); env != nullptr && *env != '\0') return env;
  return "data";
}

NamedDataset load_named_dataset(std::string_view name, const std::filesystem::path& root,
                                const RowPart& part) {
  if (name == "mnist") return load_mnist_format(name, root / "mnist", part);
  if (name == "fashion-mnist") {
    const auto local = root / "fashion-mnist";
    return load_mnist_format(name, has_mnist_files(local) ? local : kDebianFashionMnist, part);
  }
  if (name == "iris") {
    const auto path = root / "iris" / "iris.csv";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw DataError("dataset iris not found: expected " + path.string() +
                      " (point --data or SIMDML_DATA at a folder holding iris/iris.csv)");
    NamedDataset named{
        "iris", load_csv_dataset(path, "iris"), std::nullopt, path.parent_path(), {path}};
    name_classes("iris", named.train);
    named.crc32 = dataset_crc32(named.train);
    const std::int64_t rows =
        part.limit < 0 ? named.train.samples : std::min(named.train.samples, part.limit);
    named.train_rows = rows;
    named.train_first_row = rows * part.part / part.parts;
    named.train =
        slice_rows(named.train, named.train_first_row, rows * (part.part + 1) / part.parts);
    return named;
  }
  std::string known;
  for (auto n : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
  throw DataError("unknown dataset '" + std::string(name) + "' (known: " + known + ")");
}

bool dataset_available(std::string_view name, const std::filesystem::path& root) {
  std::error_code ec;
  if (name == "mnist") return has_mnist_files(root / "mnist");
  if (name == "fashion-mnist")
    return has_mnist_files(root / "fashion-mnist") || has_mnist_files(kDebianFashionMnist);
  if (name == "iris") return std::filesystem::exists(root / "iris" / "iris.csv", ec);
  return false;
}

namespace {

Dataset empty_like(const Dataset& data, std::int64_t samples) {
  Dataset out;
  out.name = data.name;
  out.samples = samples;
  out.features = data.features;
  out.classes = data.classes;
  out.image_height = data.image_height;
  out.image_width = data.image_width;
  out.feature_names = data.feature_names;
  out.class_names = data.class_names;
  out.x.reserve(static_cast<std::size_t>(samples * data.features));
  if (!data.pixels.empty()) out.pixels.reserve(static_cast<std::size_t>(samples * data.features));
  out.labels.reserve(static_cast<std::size_t>(samples));
  return out;
}

void append_row(const Dataset& from, std::int64_t row, Dataset& to) {
  const auto first = row * from.features, last = first + from.features;
  to.x.insert(to.x.end(), from.x.begin() + first, from.x.begin() + last);
  if (!from.pixels.empty())
    to.pixels.insert(to.pixels.end(), from.pixels.begin() + first, from.pixels.begin() + last);
  to.labels.push_back(from.labels[static_cast<std::size_t>(row)]);
}

}  // namespace

Dataset slice_rows(const Dataset& data, std::int64_t begin, std::int64_t end) {
  if (begin < 0 || end < begin || end > data.samples)
    throw std::invalid_argument("slice_rows: rows [" + std::to_string(begin) + ", " +
                                std::to_string(end) + ") outside 0.." +
                                std::to_string(data.samples));
  Dataset out = empty_like(data, end - begin);
  for (std::int64_t r = begin; r < end; ++r) append_row(data, r, out);
  return out;
}

Dataset select_rows(const Dataset& data, std::span<const std::int64_t> rows) {
  Dataset out = empty_like(data, static_cast<std::int64_t>(rows.size()));
  for (std::int64_t r : rows) {
    if (r < 0 || r >= data.samples)
      throw std::invalid_argument("select_rows: row " + std::to_string(r) + " outside 0.." +
                                  std::to_string(data.samples));
    append_row(data, r, out);
  }
  return out;
}

namespace {

// How many rows each class gives: its exact share of `total` rounded down, then one more for the
// classes with the largest remainders (the lower class first on equal remainders). Exact in
// integers for rows below 2^31 (the caller's check), so every machine splits alike.
std::vector<std::int64_t> class_shares(const std::vector<std::int64_t>& class_rows,
                                       std::int64_t rows, std::int64_t total) {
  std::vector<std::int64_t> share(class_rows.size());
  std::vector<std::pair<std::int64_t, std::size_t>> remainders;  // (remainder x rows, class)
  std::int64_t given = 0;
  for (std::size_t c = 0; c < class_rows.size(); ++c) {
    share[c] = class_rows[c] * total / rows;
    given += share[c];
    remainders.emplace_back(class_rows[c] * total % rows, c);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; given < total; ++i, ++given) ++share[remainders[i].second];
  return share;
}

}  // namespace

Dataset split_validation(Dataset& train, double fraction, std::uint64_t seed) {
  const std::int64_t rows = train.samples;
  const auto total = static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(rows)));
  if (rows >= (std::int64_t{1} << 31))
    throw std::invalid_argument("a validation split of more than 2^31 rows");
  if (!(fraction > 0.0 && fraction < 1.0) || total < 1 || total >= rows)
    throw std::invalid_argument("a validation fraction of " + std::to_string(fraction) + " takes " +
                                std::to_string(total) + " of " + std::to_string(rows) +
                                " rows; it needs at least 1 and fewer than all");
  std::vector<std::vector<std::int64_t>> by_class(static_cast<std::size_t>(train.classes));
  for (std::int64_t r = 0; r < rows; ++r)
    by_class[static_cast<std::size_t>(train.labels[static_cast<std::size_t>(r)])].push_back(r);
  std::vector<std::int64_t> class_rows;
  for (const auto& members : by_class) class_rows.push_back(std::ssize(members));
  const std::vector<std::int64_t> share = class_shares(class_rows, rows, total);
  std::vector<bool> held_out(static_cast<std::size_t>(rows), false);
  Rng rng(seed, kValidationStream);
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    const std::vector<std::int64_t> order = random_permutation(class_rows[c], rng);
    for (std::int64_t i = 0; i < share[c]; ++i)
      held_out[static_cast<std::size_t>(by_class[c][static_cast<std::size_t>(order[i])])] = true;
  }
  std::vector<std::int64_t> kept, validation_rows;
  for (std::int64_t r = 0; r < rows; ++r)
    (held_out[static_cast<std::size_t>(r)] ? validation_rows : kept).push_back(r);
  Dataset validation = select_rows(train, validation_rows);
  validation.name = train.name + " (validation)";
  train = select_rows(train, kept);
  return validation;
}

}  // namespace simdml
