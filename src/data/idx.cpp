// The IDX reader: one gzFile path for raw and gzip files alike (zlib passes raw bytes through).
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "simdml/activations.hpp"
#include "simdml/data.hpp"

namespace simdml {
namespace {

struct GzCloser {
  void operator()(gzFile file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw DataError(path.string() + ": " + what);
}

GzFile open_readable(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) fail(path, "no such file");
  if (std::filesystem::is_directory(status)) fail(path, "is a directory, not a file");
  errno = 0;
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file)
    fail(path,
         std::string("cannot open: ") + (errno != 0 ? std::strerror(errno) : "out of memory"));
  return file;
}

// Reads up to `size` bytes; returns how many arrived. A corrupt gzip stream is an error here, a
// short read (truncation) is the caller's to report.
std::size_t read_some(gzFile file, const std::filesystem::path& path, std::uint8_t* out,
                      std::size_t size) {
  std::size_t total = 0;
  while (total < size) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(size - total, 1u << 30));
    const int got = gzread(file, out + total, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      fail(path, std::string("corrupt gzip data (") + message + ")");
    }
    if (got == 0) break;
    total += static_cast<std::size_t>(got);
  }
  // zlib reports a stream cut short as Z_BUF_ERROR only once the data runs out.
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  if (code != Z_OK && code != Z_BUF_ERROR)
    fail(path, std::string("corrupt gzip data (") + message + ")");
  return total;
}

std::int64_t read_header_dims(gzFile file, const std::filesystem::path& path,
                              std::vector<std::int64_t>& dims) {
  std::array<std::uint8_t, 4> magic{};
  const std::size_t got = read_some(file, path, magic.data(), magic.size());
  if (got == 0) fail(path, "empty file");
  if (got < 4 || magic[0] != 0 || magic[1] != 0)
    fail(path, "not an IDX file (bad magic; expected 00 00 <type> <ndims>)");
  if (magic[2] != 0x08)
    fail(path, "IDX element type 0x" + std::to_string(magic[2]) +
                   " is not supported (only 0x08, unsigned byte)");
  if (magic[3] < 1 || magic[3] > 4)
    fail(path, "IDX header has " + std::to_string(magic[3]) + " dimensions (1 to 4 supported)");
  std::int64_t product = 1;
  for (int d = 0; d < magic[3]; ++d) {
    std::array<std::uint8_t, 4> word{};
    if (read_some(file, path, word.data(), word.size()) < 4) fail(path, "truncated IDX header");
    const std::int64_t size =
        (std::int64_t{word[0]} << 24) | (word[1] << 16) | (word[2] << 8) | word[3];
    dims.push_back(size);
    // Checked before multiplying, so the product never overflows.
    if (size != 0 && product > kMaxIdxValues / size)
      fail(path, "IDX dimensions promise more than " + std::to_string(kMaxIdxValues) +
                     " values (corrupt header?)");
    product *= size;
  }
  return product;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path, const RowPart& part) {
  if (part.parts < 1 || part.part < 0 || part.part >= part.parts)
    throw std::invalid_argument("read_idx: part " + std::to_string(part.part) + " of " +
                                std::to_string(part.parts));
  GzFile file = open_readable(path);
  IdxArray array;
  const std::int64_t count = read_header_dims(file.get(), path, array.dims);
  const std::int64_t total_rows = array.dims[0];
  const std::int64_t row_values = total_rows == 0 ? 0 : count / total_rows;
  const std::int64_t limited = part.limit < 0 ? total_rows : std::min(total_rows, part.limit);
  array.first_row = limited * part.part / part.parts;
  array.rows = limited * (part.part + 1) / part.parts - array.first_row;
  const std::int64_t keep_begin = array.first_row * row_values,
                     keep_end = keep_begin + array.rows * row_values;
  // Chunks end at the kept range's edges, so each is kept or skipped whole. The kept values grow
  // as data arrives, so a lying header cannot make us allocate gigabytes up front.
  constexpr std::int64_t kChunk = std::int64_t{1} << 24;
  std::vector<std::uint8_t> skipped;
  uLong crc = crc32(0L, Z_NULL, 0);
  std::int64_t have = 0;
  while (have < count) {
    std::int64_t end = std::min(have + kChunk, count);
    if (have < keep_begin) end = std::min(end, keep_begin);
    if (have < keep_end) end = std::min(end, keep_end);
    const std::int64_t want = end - have;
    std::uint8_t* into;
    if (have >= keep_begin && have < keep_end) {
      array.values.resize(static_cast<std::size_t>(have - keep_begin + want));
      into = array.values.data() + (have - keep_begin);
    } else {
      skipped.resize(static_cast<std::size_t>(want));
      into = skipped.data();
    }
    const std::size_t got = read_some(file.get(), path, into, static_cast<std::size_t>(want));
    crc = crc32(crc, into, static_cast<uInt>(got));
    have += static_cast<std::int64_t>(got);
    if (static_cast<std::int64_t>(got) < want)
      fail(path, "truncated: the header promises " + std::to_string(count) +
                     " values, the file holds " + std::to_string(have));
  }
  std::uint8_t extra = 0;
  if (read_some(file.get(), path, &extra, 1) != 0)
    fail(path, "has data after the " + std::to_string(count) + " values its header promises");
  array.crc32 = static_cast<std::uint32_t>(crc);
  return array;
}

Dataset load_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                         int classes, std::string name, const RowPart& part, IdxSource* source) {
  IdxArray image_array = read_idx(images, part);
  if (image_array.dims.size() != 3)
    fail(images, "expected 3 dimensions (count, rows, columns), found " +
                     std::to_string(image_array.dims.size()));
  // Labels are one byte a row: read and checked whole, so every part reports the same errors.
  IdxArray label_array = read_idx(labels);
  if (label_array.dims.size() != 1)
    fail(labels, "expected 1 dimension (count), found " + std::to_string(label_array.dims.size()));
  if (image_array.dims[0] != label_array.dims[0])
    fail(labels, "holds " + std::to_string(label_array.dims[0]) + " labels but " +
                     images.filename().string() + " holds " + std::to_string(image_array.dims[0]) +
                     " images");
  Dataset data;
  data.name = std::move(name);
  data.samples = image_array.rows;
  data.image_height = image_array.dims[1];
  data.image_width = image_array.dims[2];
  data.features = data.image_height * data.image_width;
  data.classes = classes;
  for (std::size_t i = 0; i < label_array.values.size(); ++i)
    if (label_array.values[i] >= classes)
      fail(labels, "label " + std::to_string(label_array.values[i]) + " at index " +
                       std::to_string(i) + " is outside 0.." + std::to_string(classes - 1));
  const auto first = static_cast<std::size_t>(image_array.first_row);
  data.labels.assign(label_array.values.begin() + static_cast<std::ptrdiff_t>(first),
                     label_array.values.begin() + static_cast<std::ptrdiff_t>(first) +
                         static_cast<std::ptrdiff_t>(data.samples));
  if (source != nullptr) {
    const std::int64_t total = image_array.dims[0];
    source->first_row = image_array.first_row;
    source->limited_rows = part.limit < 0 ? total : std::min(total, part.limit);
    source->crc32 = static_cast<std::uint32_t>(crc32_combine(
        image_array.crc32, label_array.crc32, static_cast<z_off_t>(label_array.values.size())));
  }
  data.pixels = std::move(image_array.values);
  data.x.resize(data.pixels.size());
  activations().unit_from_bytes(data.pixels.data(), data.x.data(), data.pixels.size());
  return data;
}

}  // namespace simdml
