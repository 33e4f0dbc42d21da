// The IDX reader: raw and gzip files through one stream of bytes (IdxInput).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "simdml/activations.hpp"
#include "simdml/data.hpp"

namespace simdml {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw DataError(path.string() + ": " + what);
}

// The bytes of an IDX file, raw or gzip-compressed (told apart by gzip's magic bytes, not by the
// name). Concatenated gzip members read as one stream, as gzip(1) reads them; any other bytes after
// the last member are an error, where zlib's gzread would drop them silently. Only regular files:
// a FIFO or a device has no end a reader can rely on.
class IdxInput {
 public:
  explicit IdxInput(const std::filesystem::path& path) : path_(path), buffer_(kBufferBytes) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) fail(path, "no such file");
      fail(path, std::string("cannot open: ") + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) fail(path, "is a directory, not a file");
    if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file (a FIFO, a device or a socket)");
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
    refill();
    gzip_ = available() >= 2 && next_[0] == 0x1f && next_[1] == 0x8b;
    if (gzip_ && inflateInit2(&stream_, 15 + 16) != Z_OK) {  // +16: the gzip wrapper only
      ::close(fd_);
      fail(path, "zlib could not start (out of memory)");
    }
  }
  ~IdxInput() {
    if (gzip_) inflateEnd(&stream_);
    ::close(fd_);
  }
  IdxInput(const IdxInput&) = delete;
  IdxInput& operator=(const IdxInput&) = delete;

  // Up to `size` bytes; fewer only where the data ends (a truncation is the caller's to report).
  std::size_t read(std::uint8_t* out, std::size_t size) {
    return gzip_ ? inflate_into(out, size) : copy_into(out, size);
  }

  // After the last promised byte: nothing may follow, and a gzip stream must end with its trailer.
  void expect_end(std::int64_t promised) {
    std::uint8_t extra = 0;
    if (read(&extra, 1) != 0)
      fail(path_, "has data after the " + std::to_string(promised) + " values its header promises");
    if (gzip_ && !member_ended_)
      fail(path_, "truncated gzip data (the stream ends before its length and CRC)");
  }

 private:
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 16;

  std::size_t available() const { return static_cast<std::size_t>(end_ - next_); }

  // Up to `room` bytes of the file at `into`, through interruptions; 0 at its end.
  std::size_t read_file(std::uint8_t* into, std::size_t room) {
    ssize_t got = 0;
    do got = ::read(fd_, into, room);
    while (got < 0 && errno == EINTR);
    if (got < 0) fail(path_, std::string("read error: ") + std::strerror(errno));
    return static_cast<std::size_t>(got);
  }

  // More bytes from the file into the buffer; false at its end.
  bool refill() {
    next_ = buffer_.data();
    end_ = next_ + read_file(buffer_.data(), buffer_.size());
    return end_ > next_;
  }

  std::size_t copy_into(std::uint8_t* out, std::size_t size) {
    std::size_t done = 0;
    while (done < size && (available() > 0 || refill())) {
      const std::size_t n = std::min(size - done, available());
      std::memcpy(out + done, next_, n);
      next_ += n, done += n;
    }
    return done;
  }

  std::size_t inflate_into(std::uint8_t* out, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      if (available() == 0 && !refill()) break;
      if (member_ended_) {  // another member follows, or bytes that do not belong
        if (available() < 2) keep_and_refill();
        if (available() < 2 || next_[0] != 0x1f || next_[1] != 0x8b)
          fail(path_, "has data after the end of its gzip stream");
        inflateReset(&stream_);
        member_ended_ = false;
      }
      const auto in = static_cast<uInt>(std::min<std::size_t>(available(), 1u << 30));
      const auto room = static_cast<uInt>(std::min<std::size_t>(size - done, 1u << 30));
      stream_.next_in = next_;
      stream_.avail_in = in;
      stream_.next_out = out + done;
      stream_.avail_out = room;
      const int status = inflate(&stream_, Z_NO_FLUSH);
      next_ += in - stream_.avail_in;
      done += room - stream_.avail_out;
      if (status == Z_STREAM_END) {
        member_ended_ = true;
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        fail(path_, std::string("corrupt gzip data (") +
                        (stream_.msg != nullptr ? stream_.msg : "inflate failed") + ")");
      }
    }
    return done;
  }

  // The unread bytes moved to the buffer's front and more read behind them (a gzip magic split
  // across two reads of the file).
  void keep_and_refill() {
    const std::size_t kept = available();
    std::memmove(buffer_.data(), next_, kept);
    next_ = buffer_.data();
    end_ = next_ + kept + read_file(buffer_.data() + kept, buffer_.size() - kept);
  }

  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::uint8_t> buffer_;
  std::uint8_t *next_ = nullptr, *end_ = nullptr;  // the unread part of the buffer
  bool gzip_ = false, member_ended_ = false;
  z_stream stream_{};
};

// "0x0c (int32)": an IDX element type as its header byte, in hex, with the name the format gives.
std::string element_type_text(std::uint8_t type) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", type);
  const char* name = type == 0x08   ? "unsigned byte"
                     : type == 0x09 ? "signed byte"
                     : type == 0x0B ? "int16"
                     : type == 0x0C ? "int32"
                     : type == 0x0D ? "float32"
                     : type == 0x0E ? "float64"
                                    : "not an IDX type";
  return std::string(hex) + " (" + name + ")";
}

std::int64_t read_header_dims(IdxInput& file, const std::filesystem::path& path,
                              std::vector<std::int64_t>& dims) {
  std::array<std::uint8_t, 4> magic{};
  const std::size_t got = file.read(magic.data(), magic.size());
  if (got == 0) fail(path, "empty file");
  if (got < 4 || magic[0] != 0 || magic[1] != 0)
    fail(path, "not an IDX file (bad magic; expected 00 00 <type> <ndims>)");
  if (magic[2] != 0x08)
    fail(path, "IDX element type " + element_type_text(magic[2]) +
                   " is not supported (only 0x08, unsigned byte)");
  if (magic[3] < 1 || magic[3] > 4)
    fail(path, "IDX header has " + std::to_string(magic[3]) + " dimensions (1 to 4 supported)");
  std::int64_t product = 1;
  for (int d = 0; d < magic[3]; ++d) {
    std::array<std::uint8_t, 4> word{};
    if (file.read(word.data(), word.size()) < 4) fail(path, "truncated IDX header");
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
  IdxInput file(path);
  IdxArray array;
  const std::int64_t count = read_header_dims(file, path, array.dims);
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
    const std::size_t got = file.read(into, static_cast<std::size_t>(want));
    crc = crc32(crc, into, static_cast<uInt>(got));
    have += static_cast<std::int64_t>(got);
    if (static_cast<std::int64_t>(got) < want)
      fail(path, "truncated: the header promises " + std::to_string(count) +
                     " values, the file holds " + std::to_string(have));
  }
  file.expect_end(count);
  array.crc32 = static_cast<std::uint32_t>(crc);
  return array;
}

Dataset load_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                         int classes, std::string name, const RowPart& part, IdxSource* source) {
  IdxArray image_array = read_idx(images, part);
  if (image_array.dims.size() != 3)
    fail(images, "expected 3 dimensions (count, rows, columns), found " +
                     std::to_string(image_array.dims.size()));
  if (image_array.dims[0] == 0) fail(images, "holds no images");
  if (image_array.dims[1] == 0 || image_array.dims[2] == 0)
    fail(images, "its images are " + std::to_string(image_array.dims[1]) + "x" +
                     std::to_string(image_array.dims[2]) + ": no pixels");
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
