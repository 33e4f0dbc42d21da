// Loaders on valid files and on every kind of bad file README's hardening table lists; each error
// must name the file and say what is wrong.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>

#include "real_data.hpp"
#include "simdml/data.hpp"
#include "temp_dir.hpp"

namespace simdml {
namespace {

using testing::TempDir;

std::string idx_bytes(std::vector<std::uint32_t> dims, const std::vector<std::uint8_t>& values,
                      std::uint8_t type = 0x08) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xFF);
  out.append(values.begin(), values.end());
  return out;
}

std::string gzip(const std::string& raw) {
  z_stream s{};
  deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  std::string out(deflateBound(&s, raw.size()), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  s.avail_in = static_cast<uInt>(raw.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

// Three 2x3 images (pixels 0, 10, 20, ...) and their labels.
const std::vector<std::uint8_t> kPixels = [] {
  std::vector<std::uint8_t> v(18);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i * 10);
  return v;
}();
const std::string kImages = idx_bytes({3, 2, 3}, kPixels);
const std::string kLabels = idx_bytes({3}, {7, 0, 9});

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no DataError)";
}

std::string idx_error(const std::string& bytes) {
  TempDir dir;
  const auto file = dir.write("bad-idx", bytes);
  return error_of([&] { read_idx(file); });
}

TEST(Idx, LoadsRawImagesAndLabels) {
  TempDir dir;
  const Dataset d =
      load_idx_dataset(dir.write("img", kImages), dir.write("lbl", kLabels), 10, "tiny");
  EXPECT_EQ(d.samples, 3);
  EXPECT_EQ(d.features, 6);
  EXPECT_EQ(d.image_height, 2);
  EXPECT_EQ(d.image_width, 3);
  EXPECT_EQ(d.labels, (std::vector<std::int32_t>{7, 0, 9}));
  EXPECT_EQ(d.pixels, kPixels);
  EXPECT_FLOAT_EQ(d.x[17], 170.0f / 255.0f);
  EXPECT_EQ(d.x[0], 0.0f);
}

TEST(Idx, GzipAndRawGiveTheSameData) {
  TempDir dir;
  const Dataset raw = load_idx_dataset(dir.write("i", kImages), dir.write("l", kLabels), 10, "raw");
  const Dataset gz = load_idx_dataset(dir.write("i.gz", gzip(kImages)),
                                      dir.write("l.gz", gzip(kLabels)), 10, "gz");
  EXPECT_EQ(raw.x, gz.x);
  EXPECT_EQ(raw.labels, gz.labels);
}

TEST(Idx, RejectsBadMagicTypesAndDimensionCounts) {
  std::string bad_magic = kLabels;
  bad_magic[0] = 1;
  EXPECT_NE(idx_error(bad_magic).find("bad magic"), std::string::npos) << idx_error(bad_magic);
  EXPECT_NE(idx_error("PK\x03\x04 not idx").find("bad magic"), std::string::npos);
  const std::string floats = idx_bytes({1}, {0, 0, 0, 0}, 0x0D);
  EXPECT_NE(idx_error(floats).find("0x0d (float32) is not supported"), std::string::npos)
      << idx_error(floats);
  EXPECT_NE(idx_error(idx_bytes({}, {})).find("0 dimensions"), std::string::npos);
  EXPECT_NE(idx_error(std::string("\0\0\x08\x05", 4)).find("5 dimensions"), std::string::npos);
}

TEST(Idx, ErrorsNameTheFile) {
  TempDir dir;
  const auto file = dir.write("train-images-idx3-ubyte", "");
  const std::string message = error_of([&] { read_idx(file); });
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("empty file"), std::string::npos) << message;
}

TEST(Idx, RejectsTruncatedData) {
  const std::string short_raw = kImages.substr(0, kImages.size() - 1);
  EXPECT_NE(
      idx_error(short_raw).find("truncated: the header promises 18 values, the file holds 17"),
      std::string::npos)
      << idx_error(short_raw);
  EXPECT_NE(idx_error(kImages.substr(0, 9)).find("truncated IDX header"), std::string::npos);
  // A gzip stream cut in the middle: zlib sees the stream end early.
  const std::string gz = gzip(idx_bytes({1000}, std::vector<std::uint8_t>(1000, 3)));
  EXPECT_NE(idx_error(gz.substr(0, gz.size() / 2)), "(no DataError)");
}

TEST(Idx, RejectsCorruptGzip) {
  std::string gz = gzip(kImages);
  for (std::size_t i = 12; i < gz.size() - 8; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5A);
  const std::string message = idx_error(gz);
  EXPECT_NE(message, "(no DataError)");
  // A flipped CRC at the end is caught too.
  std::string bad_crc = gzip(kImages);
  bad_crc[bad_crc.size() - 8] = static_cast<char>(bad_crc[bad_crc.size() - 8] ^ 1);
  EXPECT_NE(idx_error(bad_crc).find("corrupt gzip"), std::string::npos) << idx_error(bad_crc);
}

TEST(Idx, RejectsDimensionsThatOverflowOrExceedTheFile) {
  // 2^32-1 cubed overflows 64 bits: caught before any multiplication overflows or memory is taken.
  const std::string huge = idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {});
  EXPECT_NE(idx_error(huge).find("promise more than"), std::string::npos) << idx_error(huge);
  // 60,000 images promised, 6 pixels present.
  const std::string lying = idx_bytes({60000, 28, 28}, {1, 2, 3, 4, 5, 6});
  EXPECT_NE(idx_error(lying).find("truncated"), std::string::npos) << idx_error(lying);
}

TEST(Idx, RejectsTrailingData) {
  EXPECT_NE(idx_error(kLabels + "x").find("data after the 3 values"), std::string::npos);
}

// zlib's gzread drops what follows a gzip stream; a file with bytes after its stream is damaged.
TEST(Idx, RejectsDataAfterTheGzipStream) {
  for (const std::string& tail : {std::string("x"), std::string(64, '\0'), std::string("\x1f")}) {
    const std::string message = idx_error(gzip(kLabels) + tail);
    EXPECT_NE(message.find("has data after the end of its gzip stream"), std::string::npos)
        << message;
  }
}

// Concatenated gzip members are one stream (gzip -c a b > ab.gz): read whole, as gzip reads them.
TEST(Idx, ReadsConcatenatedGzipMembers) {
  TempDir dir;
  const std::string whole = idx_bytes({3}, {7, 0, 9});
  const auto file = dir.write("two-members.gz", gzip(whole.substr(0, 5)) + gzip(whole.substr(5)));
  EXPECT_EQ(read_idx(file).values, (std::vector<std::uint8_t>{7, 0, 9}));
}

// Every value present but the stream cut before its length and CRC: the data is unverified.
TEST(Idx, RejectsAGzipStreamWithoutItsTrailer) {
  const std::string gz = gzip(kLabels);
  const std::string message = idx_error(gz.substr(0, gz.size() - 8));
  EXPECT_NE(message.find("truncated gzip data"), std::string::npos) << message;
}

TEST(Idx, NamesAnUnsupportedElementTypeInHex) {
  const std::string int32 = idx_error(idx_bytes({1}, {0, 0, 0, 5}, 0x0C));
  EXPECT_NE(int32.find("element type 0x0c (int32) is not supported"), std::string::npos) << int32;
}

TEST(Idx, RejectsImageFilesWithoutImagesOrPixels) {
  TempDir dir;
  const std::string none = error_of([&] {
    load_idx_dataset(dir.write("none", idx_bytes({0, 28, 28}, {})),
                     dir.write("l0", idx_bytes({0}, {})), 10, "x");
  });
  EXPECT_NE(none.find("none: holds no images"), std::string::npos) << none;
  const std::string empty = error_of([&] {
    load_idx_dataset(dir.write("flat", idx_bytes({3, 0, 28}, {})), dir.write("l", kLabels), 10,
                     "x");
  });
  EXPECT_NE(empty.find("flat: its images are 0x28: no pixels"), std::string::npos) << empty;
}

// A FIFO never ends for a reader that waits for its data: refused at once.
TEST(Idx, RefusesWhatIsNotARegularFile) {
  TempDir dir;
  const auto fifo = dir / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string message = error_of([&] { read_idx(fifo); });
  EXPECT_NE(message.find("is not a regular file"), std::string::npos) << message;
}

TEST(Idx, RejectsMissingDirectoryAndUnreadablePaths) {
  TempDir dir;
  EXPECT_NE(error_of([&] { read_idx(dir / "absent"); }).find("no such file"), std::string::npos);
  EXPECT_NE(error_of([&] { read_idx(dir.path()); }).find("is a directory"), std::string::npos);
  if (geteuid() != 0) {  // root reads any file
    const auto file = dir.write("locked", kLabels);
    chmod(file.c_str(), 0);
    EXPECT_NE(error_of([&] { read_idx(file); }).find("cannot open"), std::string::npos);
  }
}

TEST(Idx, RejectsCountMismatchLabelRangeAndShapes) {
  TempDir dir;
  const auto images = dir.write("img", kImages);
  const std::string mismatch = error_of([&] {
    load_idx_dataset(images, dir.write("two", idx_bytes({2}, {1, 2})), 10, "x");
  });
  EXPECT_NE(mismatch.find("holds 2 labels but img holds 3 images"), std::string::npos) << mismatch;
  const std::string range = error_of([&] {
    load_idx_dataset(images, dir.write("ten", idx_bytes({3}, {1, 10, 2})), 10, "x");
  });
  EXPECT_NE(range.find("label 10 at index 1 is outside 0..9"), std::string::npos) << range;
  const std::string swapped =
      error_of([&] { load_idx_dataset(dir.write("l", kLabels), images, 10, "x"); });
  EXPECT_NE(swapped.find("expected 3 dimensions"), std::string::npos) << swapped;
}

// --- CSV -------------------------------------------------------------------------------------

std::string csv_error(const std::string& text) {
  TempDir dir;
  const auto file = dir.write("table.csv", text);
  return error_of([&] { load_csv_dataset(file, "t"); });
}

TEST(Csv, LoadsATableWithOrWithoutAHeader) {
  TempDir dir;
  const Dataset with =
      load_csv_dataset(dir.write("a.csv", "a,b,label\n1.5,2,0\n3,-4e1,2\r\n\n5,6,1\n"), "a");
  EXPECT_EQ(with.samples, 3);
  EXPECT_EQ(with.features, 2);
  EXPECT_EQ(with.classes, 3);
  EXPECT_EQ(with.x, (std::vector<float>{1.5f, 2, 3, -40, 5, 6}));
  EXPECT_EQ(with.labels, (std::vector<std::int32_t>{0, 2, 1}));
  EXPECT_FALSE(with.is_image());
  const Dataset without = load_csv_dataset(dir.write("b.csv", "1.5,2,0\n3,-4e1,2\n5,6,1\n"), "b");
  EXPECT_EQ(without.x, with.x);
}

// A byte-order mark and a leading '+' are parts of a number row, not signs of a header: the first
// row stays data (150 rows, not 149).
TEST(Csv, ByteOrderMarkAndPlusSignDoNotMakeTheFirstRowAHeader) {
  TempDir dir;
  const Dataset bom = load_csv_dataset(dir.write("bom.csv",
                                                 "\xEF\xBB\xBF"
                                                 "1.5,2,0\n3,4,1\n"),
                                       "b");
  EXPECT_EQ(bom.samples, 2);
  EXPECT_EQ(bom.x, (std::vector<float>{1.5f, 2, 3, 4}));
  const Dataset plus = load_csv_dataset(dir.write("plus.csv", "+5.0,2,+1\n3,4,0\n"), "p");
  EXPECT_EQ(plus.samples, 2);
  EXPECT_EQ(plus.x[0], 5.0f);
  EXPECT_EQ(plus.labels[0], 1);
  const Dataset header = load_csv_dataset(dir.write("h.csv",
                                                    "\xEF\xBB\xBF"
                                                    "a,b,label\n1,2,0\n"),
                                          "h");
  EXPECT_EQ(header.samples, 1);
}

TEST(Csv, RejectsAFirstRowOfNamesAndNumbers) {
  const std::string mixed = csv_error("sepal,2.5,label\n1,2,0\n");
  EXPECT_NE(mixed.find(":1: mixes numbers and names"), std::string::npos) << mixed;
}

// A value that is finite as a double but not as a float would become an infinity in the data.
TEST(Csv, RejectsNumbersBeyondFloat) {
  const std::string big = csv_error("1,2,0\n1e39,2,1\n");
  EXPECT_NE(big.find(":2: field 1 '1e39' is beyond float's range"), std::string::npos) << big;
  EXPECT_NE(csv_error("1,-1e39,0\n").find("beyond float's range"), std::string::npos);
}

// Labels index classes x classes confusion matrices: a stray 65535 must not ask for gigabytes.
TEST(Csv, CapsTheClassCount) {
  const std::string huge = csv_error("1,2,0\n3,4,65535\n");
  EXPECT_NE(huge.find(":2: label '65535' is not an integer from 0 to 255"), std::string::npos)
      << huge;
  EXPECT_NE(csv_error("1,2,256\n").find("at most 256"), std::string::npos);
  TempDir dir;
  EXPECT_EQ(load_csv_dataset(dir.write("t.csv", "1,2,255\n"), "t").classes, kMaxClasses);
}

TEST(Csv, RefusesWhatIsNotARegularFile) {
  TempDir dir;
  const auto fifo = dir / "fifo.csv";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string message = error_of([&] { load_csv_dataset(fifo, "f"); });
  EXPECT_NE(message.find("is not a regular file"), std::string::npos) << message;
}

TEST(Csv, RejectsBadTables) {
  EXPECT_NE(csv_error("1,2,0\n3,1\n").find(":2: has 2 fields, expected 3"), std::string::npos)
      << csv_error("1,2,0\n3,1\n");
  EXPECT_NE(csv_error("1,2,0\n3,x,1\n").find(":2: field 2 'x' is not a finite number"),
            std::string::npos);
  EXPECT_NE(csv_error("1,2,0\n3,nan,1\n").find("field 2 'nan' is not a finite number"),
            std::string::npos);
  EXPECT_NE(csv_error("1,2,0\n3,4,1.5\n").find("label '1.5' is not an integer"), std::string::npos);
  EXPECT_NE(csv_error("1,2,-1\n").find("label '-1'"), std::string::npos);
  EXPECT_NE(csv_error("").find("no data rows"), std::string::npos);
  EXPECT_NE(csv_error("a,b,c\n").find("no data rows"), std::string::npos);
  EXPECT_NE(csv_error("1\n2\n").find("needs at least one feature"), std::string::npos);
}

// --- named datasets, slices and splits -------------------------------------------------------

void write_mnist_files(const TempDir& dir, const std::string& folder) {
  std::filesystem::create_directories(dir / folder);
  dir.write(folder + "/train-images-idx3-ubyte", kImages);
  dir.write(folder + "/train-labels-idx1-ubyte.gz", gzip(kLabels));
  dir.write(folder + "/t10k-images-idx3-ubyte.gz",
            gzip(idx_bytes({1, 2, 3}, std::vector<std::uint8_t>(6, 255))));
  dir.write(folder + "/t10k-labels-idx1-ubyte", idx_bytes({1}, {4}));
}

TEST(NamedDatasets, LoadMnistFormatFilesUnderTheRoot) {
  TempDir dir;
  write_mnist_files(dir, "mnist");
  const NamedDataset named = load_named_dataset("mnist", dir.path());
  EXPECT_EQ(named.train.samples, 3);
  ASSERT_TRUE(named.test.has_value());
  EXPECT_EQ(named.test->samples, 1);
  EXPECT_EQ(named.test->x, std::vector<float>(6, 1.0f));
  EXPECT_EQ(named.source, dir / "mnist");
}

// A rank's part of a file: the rows of rank_share's cut, from raw and gzip files alike; the CRC
// covers the whole file whichever part was kept, and the parts put together are the whole.
TEST(Idx, PartsKeepTheirRowsAndSeeTheWholeFile) {
  TempDir dir;
  std::vector<std::uint8_t> values(7 * 4);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::uint8_t>(i);
  for (const std::string& bytes :
       {idx_bytes({7, 2, 2}, values), gzip(idx_bytes({7, 2, 2}, values))}) {
    const auto file = dir.write("seven", bytes);
    const IdxArray whole = read_idx(file);
    for (int parts : {1, 2, 3, 7}) {
      std::vector<std::uint8_t> joined;
      for (int p = 0; p < parts; ++p) {
        const IdxArray part = read_idx(file, {p, parts});
        EXPECT_EQ(part.dims, whole.dims);
        EXPECT_EQ(part.crc32, whole.crc32);
        EXPECT_EQ(part.first_row, 7 * p / parts);
        EXPECT_EQ(part.rows, 7 * (p + 1) / parts - 7 * p / parts);
        joined.insert(joined.end(), part.values.begin(), part.values.end());
      }
      EXPECT_EQ(joined, whole.values);
    }
    const IdxArray limited = read_idx(file, {1, 2, 5});  // rows 2..4 of the first 5
    EXPECT_EQ(limited.first_row, 2);
    EXPECT_EQ(limited.values, std::vector<std::uint8_t>(values.begin() + 8, values.begin() + 20));
    EXPECT_THROW(read_idx(file, {2, 2}), std::invalid_argument);
  }
  // A part still reads and checks the whole file.
  const auto cut = dir.write("cut", idx_bytes({7, 2, 2}, values).substr(0, 30));
  EXPECT_NE(error_of([&] { read_idx(cut, {0, 4}); }).find("truncated"), std::string::npos);
}

TEST(NamedDatasets, APartOfTheTrainingRowsAndTheWholeTestSet) {
  TempDir dir;
  write_mnist_files(dir, "mnist");
  const NamedDataset whole = load_named_dataset("mnist", dir.path());
  const NamedDataset last = load_named_dataset("mnist", dir.path(), {1, 2});
  EXPECT_EQ(last.train_first_row, 1);
  EXPECT_EQ(last.train_rows, 3);
  EXPECT_EQ(last.train.samples, 2);
  EXPECT_EQ(last.train.labels,
            std::vector<std::int32_t>(whole.train.labels.begin() + 1, whole.train.labels.end()));
  EXPECT_EQ(last.test->samples, whole.test->samples);
  EXPECT_EQ(last.crc32, whole.crc32);
}

TEST(NamedDatasets, MissingDataSaysHowToGetIt) {
  TempDir dir;
  const std::string mnist = error_of([&] { load_named_dataset("mnist", dir.path()); });
  EXPECT_NE(mnist.find("scripts/setup.sh"), std::string::npos) << mnist;
  EXPECT_NE(mnist.find("SIMDML_DATA"), std::string::npos) << mnist;
  const std::string iris = error_of([&] { load_named_dataset("iris", dir.path()); });
  EXPECT_NE(iris.find("iris/iris.csv"), std::string::npos) << iris;
  const std::string unknown = error_of([&] { load_named_dataset("cifar", dir.path()); });
  EXPECT_NE(unknown.find("known: mnist, fashion-mnist, iris"), std::string::npos) << unknown;
}

TEST(NamedDatasets, FashionMnistPrefersTheDataRoot) {
  TempDir dir;
  write_mnist_files(dir, "fashion-mnist");
  EXPECT_EQ(load_named_dataset("fashion-mnist", dir.path()).train.samples, 3);
}

TEST(NamedDatasets, IrisIsOneTableWithoutATestSet) {
  TempDir dir;
  std::filesystem::create_directories(dir / "iris");
  dir.write("iris/iris.csv",
            "sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,0\n6.3,3.3,"
            "6.0,2.5,2\n");
  const NamedDataset iris = load_named_dataset("iris", dir.path());
  EXPECT_EQ(iris.train.samples, 2);
  EXPECT_EQ(iris.train.features, 4);
  EXPECT_FALSE(iris.test.has_value());
  // The header names the features; the dataset names its classes, and slices keep both.
  EXPECT_EQ(iris.train.feature_names, (std::vector<std::string>{"sepal_length", "sepal_width",
                                                                "petal_length", "petal_width"}));
  EXPECT_EQ(iris.train.class_names,
            (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(slice_rows(iris.train, 0, 1).feature_names, iris.train.feature_names);
  EXPECT_EQ(slice_rows(iris.train, 0, 1).class_names, iris.train.class_names);
}

// Test images of another shape with the same pixel count (14x56 beside 28x28) are not the same
// kind of image.
TEST(NamedDatasets, TestImagesMustHaveTheTrainingShape) {
  TempDir dir;
  write_mnist_files(dir, "mnist");
  dir.write("mnist/t10k-images-idx3-ubyte.gz",
            gzip(idx_bytes({1, 3, 2}, std::vector<std::uint8_t>(6, 255))));
  const std::string message = error_of([&] { load_named_dataset("mnist", dir.path()); });
  EXPECT_NE(message.find("t10k-images-idx3-ubyte.gz: images are 3x2, the training images 2x3"),
            std::string::npos)
      << message;
}

TEST(NamedDatasets, NameTheFilesTheyRead) {
  TempDir dir;
  write_mnist_files(dir, "mnist");
  const NamedDataset named = load_named_dataset("mnist", dir.path());
  ASSERT_EQ(named.files.size(), 4u);
  EXPECT_EQ(named.files[0], dir / "mnist" / "train-images-idx3-ubyte");
  EXPECT_EQ(named.files[3], dir / "mnist" / "t10k-labels-idx1-ubyte");
}

TEST(NamedDatasets, DataRootComesFromTheFlagThenTheEnvironment) {
  const char* saved = std::getenv("SIMDML_DATA");
  const std::string saved_value = saved ? saved : "";
  setenv("SIMDML_DATA", "/from/env", 1);
  EXPECT_EQ(resolve_data_root(std::string("/from/flag")), "/from/flag");
  EXPECT_EQ(resolve_data_root(std::nullopt), "/from/env");
  unsetenv("SIMDML_DATA");
  EXPECT_EQ(resolve_data_root(std::nullopt), "data");
  if (saved) setenv("SIMDML_DATA", saved_value.c_str(), 1);
}

// A table sorted by class, as iris is: 10 rows of class 0, 20 of class 1, 30 of class 2.
Dataset sorted_by_class() {
  Dataset d;
  d.name = "sorted";
  d.features = 1;
  d.classes = 3;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 10 * (c + 1); ++i) {
      d.x.push_back(static_cast<float>(d.samples));
      d.labels.push_back(c);
      ++d.samples;
    }
  return d;
}

std::vector<int> class_counts(const Dataset& d) {
  std::vector<int> counts(static_cast<std::size_t>(d.classes));
  for (const std::int32_t label : d.labels) ++counts[static_cast<std::size_t>(label)];
  return counts;
}

// The validation rows are a stratified random draw, not the last rows (which on a table sorted by
// class would be one class only), and the seed decides them.
TEST(Splits, ValidationIsAStratifiedDrawOfTheSeed) {
  Dataset train = sorted_by_class();
  const Dataset validation = split_validation(train, 0.2, 1);
  EXPECT_EQ(validation.samples, 12);
  EXPECT_EQ(class_counts(validation), (std::vector<int>{2, 4, 6}));
  EXPECT_EQ(class_counts(train), (std::vector<int>{8, 16, 24}));
  EXPECT_EQ(validation.name, "sorted (validation)");
  // Every row lands on exactly one side, each side in the original order.
  std::vector<float> all = train.x;
  all.insert(all.end(), validation.x.begin(), validation.x.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<float>(i));
  EXPECT_TRUE(std::is_sorted(train.x.begin(), train.x.end()));
  EXPECT_TRUE(std::is_sorted(validation.x.begin(), validation.x.end()));
  // The same seed draws the same rows; another seed other rows.
  Dataset again = sorted_by_class(), other = sorted_by_class();
  EXPECT_EQ(split_validation(again, 0.2, 1).x, validation.x);
  EXPECT_NE(split_validation(other, 0.2, 2).x, validation.x);
}

TEST(Splits, ValidationTakesTheCeilingAndLeftoverRowsGoToLargestRemainders) {
  Dataset train = sorted_by_class();
  // ceil(0.05 x 60) = 3 rows: shares 0.5, 1 and 1.5 -> 0, 1, 1, then one more for class 0 or 2
  // (equal remainders of 0.5: the lower class).
  EXPECT_EQ(class_counts(split_validation(train, 0.05, 1)), (std::vector<int>{1, 1, 1}));
  Dataset small = sorted_by_class();
  EXPECT_EQ(split_validation(small, 0.001, 1).samples, 1);  // ceil: at least one row
}

TEST(Splits, ValidationRefusesFractionsThatLeaveASideEmpty) {
  for (const double fraction : {0.0, 1.0, 0.999, -0.5, 1.5}) {
    Dataset train = sorted_by_class();
    EXPECT_THROW(split_validation(train, fraction, 1), std::invalid_argument) << fraction;
    EXPECT_EQ(train.samples, 60) << fraction;
  }
  TempDir dir;
  Dataset tiny = load_idx_dataset(dir.write("i", kImages), dir.write("l", kLabels), 10, "tiny");
  EXPECT_THROW(slice_rows(tiny, 1, 4), std::invalid_argument);
}

// The real files, when SIMDML_DATA provides them.
TEST(RealData, MnistLoadsWithTheDocumentedShape) {
  const auto root = testing::real_mnist_root();
  if (!root) GTEST_SKIP() << testing::kNoRealMnist;
  const NamedDataset mnist = load_named_dataset("mnist", *root);
  EXPECT_GE(mnist.train.samples, 20000);
  EXPECT_EQ(mnist.test->samples, 10000);
  EXPECT_EQ(mnist.train.features, 784);
  EXPECT_EQ(mnist.train.labels[0], 5);  // the famous first digit
  EXPECT_EQ(mnist.test->labels[0], 7);
}

}  // namespace
}  // namespace simdml
