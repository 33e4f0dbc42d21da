#include "io/npz.hpp"

#include <zlib.h>

#include <cctype>
#include <charconv>
#include <limits>

namespace simdml::io {
namespace {

// --- little-endian fields --------------------------------------------------------------------

void put16(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

// A bounds-checked cursor over the archive's bytes.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& source) : bytes_(bytes), source_(source) {}
  [[noreturn]] void fail(const std::string& what) const { throw NpzError(source_ + ": " + what); }
  void need(std::size_t at, std::size_t size, const char* what) const {
    if (at > bytes_.size() || size > bytes_.size() - at)
      fail(std::string("truncated (") + what + " runs past the end)");
  }
  std::uint32_t u16(std::size_t at) const {
    need(at, 2, "a field");
    return byte(at) | byte(at + 1) << 8;
  }
  std::uint32_t u32(std::size_t at) const { return u16(at) | u16(at + 2) << 16; }
  std::string str(std::size_t at, std::size_t size, const char* what) const {
    need(at, size, what);
    return bytes_.substr(at, size);
  }
  std::size_t size() const { return bytes_.size(); }
  const std::string& source() const { return source_; }

 private:
  std::uint32_t byte(std::size_t at) const { return static_cast<unsigned char>(bytes_[at]); }
  const std::string& bytes_;
  const std::string& source_;
};

constexpr std::uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50,
                        kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kDosDate1980 = 0x0021;  // 1980-01-01: fixed, so files are reproducible

std::uint32_t crc_of(const std::string& data) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// --- npy -------------------------------------------------------------------------------------

std::int64_t item_size(const std::string& descr) {
  if (descr == "<f4") return 4;
  if (descr == "<i8") return 8;
  if (descr.size() > 2 && descr.compare(0, 2, "<U") == 0) {
    std::int64_t chars = 0;
    const auto [end, error] = std::from_chars(descr.data() + 2, descr.data() + descr.size(), chars);
    if (error == std::errc() && end == descr.data() + descr.size() && chars > 0 && chars < 4096)
      return 4 * chars;
  }
  return 0;
}

std::string encode_npy(const NpyArray& array) {
  std::string shape = "(";
  for (std::int64_t d : array.shape) shape += std::to_string(d) + ", ";
  if (array.shape.size() > 1) shape.resize(shape.size() - 2);  // (n,) keeps its comma
  if (array.shape.size() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header =
      "{'descr': '" + array.descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  put16(out, static_cast<std::uint32_t>(header.size()));
  return out + header + array.bytes;
}

// The header dict NumPy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const Reader& reader) : text_(text), reader_(reader) {}

  void parse(NpyArray& array) {
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (skip_space(), peek() != '}') {
      const std::string key = quoted();
      expect(':');
      skip_space();
      if (key == "descr") {
        array.descr = quoted();
        has_descr = true;
      } else if (key == "fortran_order") {
        if (word() != "False") reader_.fail("arrays in Fortran order are not supported");
        has_order = true;
      } else if (key == "shape") {
        array.shape = tuple();
        has_shape = true;
      } else {
        reader_.fail("unexpected key '" + key + "' in an npy header");
      }
      skip_space();
      if (peek() == ',') ++at_;
    }
    if (!has_descr || !has_order || !has_shape)
      reader_.fail("npy header lacks descr, fortran_order or shape");
  }

 private:
  char peek() const {
    if (at_ >= text_.size()) reader_.fail("npy header ends early");
    return text_[at_];
  }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) reader_.fail(std::string("malformed npy header (expected '") + c + "')");
    ++at_;
  }
  std::string quoted() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') reader_.fail("malformed npy header (expected a string)");
    const std::size_t end = text_.find(quote, at_ + 1);
    if (end == std::string_view::npos) reader_.fail("malformed npy header (unterminated string)");
    std::string s(text_.substr(at_ + 1, end - at_ - 1));
    at_ = end + 1;
    return s;
  }
  std::string word() {
    const std::size_t start = at_;
    while (at_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[at_]))) ++at_;
    return std::string(text_.substr(start, at_ - start));
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> dims;
    expect('(');
    while (skip_space(), peek() != ')') {
      std::int64_t d = -1;
      const auto [end, error] = std::from_chars(text_.data() + at_, text_.data() + text_.size(), d);
      if (error != std::errc() || d < 0 || d > (std::int64_t{1} << 40))
        reader_.fail("malformed npy shape");
      at_ = static_cast<std::size_t>(end - text_.data());
      dims.push_back(d);
      skip_space();
      if (peek() == ',') ++at_;
    }
    ++at_;
    if (dims.size() > 8) reader_.fail("npy array has more than 8 dimensions");
    return dims;
  }

  std::string_view text_;
  const Reader& reader_;
  std::size_t at_ = 0;
};

NpyArray decode_npy(const std::string& data, const Reader& archive, const std::string& name) {
  const std::string source = name + ".npy";
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0)
    archive.fail(source + " is not an npy array");
  const std::string npy_source = archive.source() + ": " + source;
  const Reader npy(data, npy_source);
  const int major = static_cast<unsigned char>(data[6]);
  std::size_t header_size = 0, header_at = 0;
  if (major == 1) {
    header_size = npy.u16(8), header_at = 10;
  } else if (major == 2 || major == 3) {
    header_size = npy.u32(8), header_at = 12;
  } else {
    archive.fail(source + " has npy format version " + std::to_string(major) +
                 " (1 to 3 supported)");
  }
  NpyArray array;
  const std::string header = npy.str(header_at, header_size, "the npy header");
  HeaderParser(header, archive).parse(array);
  const std::int64_t item = item_size(array.descr);
  if (item == 0) archive.fail(source + " has dtype '" + array.descr + "'; expected <f4, <i8 or <U");
  std::int64_t count = 1;
  for (std::int64_t d : array.shape) {
    if (d != 0 && count > (std::numeric_limits<std::int64_t>::max() / item) / d)
      archive.fail(source + " shape overflows");
    count *= d;
  }
  const std::size_t data_at = header_at + header_size;
  if (data.size() - data_at != static_cast<std::size_t>(count * item))
    archive.fail(source + " holds " + std::to_string(data.size() - data_at) +
                 " data bytes; its shape needs " + std::to_string(count * item));
  array.bytes = data.substr(data_at);
  return array;
}

// --- zip -------------------------------------------------------------------------------------

// Deflate expands at most 1032-fold (a 258-byte match per 2-bit code, roughly), so a member that
// claims more is corrupt.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

std::string inflate_raw(const std::string& compressed, std::size_t size, const Reader& archive,
                        const std::string& name) {
  std::string out(size, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) archive.fail("zlib inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(size);
  const int status = inflate(&stream, Z_FINISH);
  const std::size_t produced = stream.total_out;
  inflateEnd(&stream);
  if (status != Z_STREAM_END || produced != size)
    archive.fail(name + " has corrupt compressed data");
  return out;
}

std::size_t find_end_of_directory(const Reader& r) {
  if (r.size() < 22) r.fail("truncated or not a zip archive (too short)");
  const std::size_t lowest = r.size() > 22 + 65535 ? r.size() - 22 - 65535 : 0;
  for (std::size_t at = r.size() - 22 + 1; at-- > lowest;)
    if (r.u32(at) == kEndOfDirectory) return at;
  r.fail("truncated or not a zip archive (no end-of-directory record)");
}

}  // namespace

std::int64_t NpyArray::count() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::string encode_npz(const NpzArchive& archive) {
  std::string out, directory;
  for (const auto& [name, array] : archive) {
    const std::string file = name + ".npy";
    const std::string data = encode_npy(array);
    if (data.size() > 0xFFFFFFF0u || out.size() > 0xFFFFFFF0u - data.size())
      throw NpzError(file + " is too large for a zip archive without zip64");
    const std::uint32_t crc = crc_of(data), offset = static_cast<std::uint32_t>(out.size());
    const auto size = static_cast<std::uint32_t>(data.size());
    const auto common = [&](std::string& s) {
      put16(s, 20), put16(s, 0), put16(s, 0), put16(s, 0),
          put16(s, kDosDate1980);  // version, flags, stored, time, date
      put32(s, crc), put32(s, size), put32(s, size);
      put16(s, static_cast<std::uint32_t>(file.size())), put16(s, 0);  // name length, extra length
    };
    put32(out, kLocalHeader);
    common(out);
    out += file;
    out += data;
    put32(directory, kCentralHeader);
    put16(directory, 20);  // made by
    common(directory);
    put16(directory, 0), put16(directory, 0), put16(directory, 0),
        put32(directory, 0);  // comment, disk, attributes
    put32(directory, offset);
    directory += file;
  }
  const auto directory_at = static_cast<std::uint32_t>(out.size());
  out += directory;
  put32(out, kEndOfDirectory);
  put16(out, 0), put16(out, 0);
  put16(out, static_cast<std::uint32_t>(archive.size())),
      put16(out, static_cast<std::uint32_t>(archive.size()));
  put32(out, static_cast<std::uint32_t>(directory.size())), put32(out, directory_at), put16(out, 0);
  return out;
}

NpzArchive decode_npz(const std::string& bytes, const std::string& source) {
  const Reader r(bytes, source);
  const std::size_t end = find_end_of_directory(r);
  const std::uint32_t entries = r.u16(end + 10), directory_size = r.u32(end + 12),
                      directory_at = r.u32(end + 16);
  if (directory_at == 0xFFFFFFFF || entries == 0xFFFF) r.fail("zip64 archives are not supported");
  if (static_cast<std::size_t>(directory_at) + directory_size > end)
    r.fail("truncated or corrupt zip directory");
  NpzArchive archive;
  std::size_t at = directory_at;
  for (std::uint32_t e = 0; e < entries; ++e) {
    if (r.u32(at) != kCentralHeader) r.fail("corrupt zip directory");
    const std::uint32_t flags = r.u16(at + 8), method = r.u16(at + 10), crc = r.u32(at + 16);
    const std::uint32_t stored_size = r.u32(at + 20), size = r.u32(at + 24);
    const std::uint32_t name_size = r.u16(at + 28), extra_size = r.u16(at + 30),
                        comment_size = r.u16(at + 32);
    const std::uint32_t local_at = r.u32(at + 42);
    const std::string file = r.str(at + 46, name_size, "a file name");
    at += 46 + name_size + extra_size + comment_size;
    if (flags & 1) r.fail(file + " is encrypted");
    if (method != 0 && method != 8)
      r.fail(file + " uses zip method " + std::to_string(method) +
             " (stored or deflate supported)");
    if (file.size() < 5 || file.compare(file.size() - 4, 4, ".npy") != 0)
      r.fail("unexpected member " + file);
    if (r.u32(local_at) != kLocalHeader) r.fail("corrupt local header for " + file);
    const std::size_t data_at =
        std::size_t{local_at} + 30 + r.u16(local_at + 26) + r.u16(local_at + 28);
    std::string data = r.str(data_at, stored_size, file.c_str());
    if (method == 0 && stored_size != size) r.fail(file + " has inconsistent sizes");
    if (method == 8) {
      if (size > (1u << 31)) r.fail(file + " claims more than 2 GiB uncompressed");
      // Checked before the output buffer is allocated: a few corrupt header bytes must not cost
      // gigabytes of memory.
      if (size > kMaxDeflateRatio * std::uint64_t{stored_size} + 64)
        r.fail(file + " claims " + std::to_string(size) + " bytes uncompressed from " +
               std::to_string(stored_size) +
               " compressed, more than deflate can expand (corrupt file)");
      data = inflate_raw(data, size, r, file);
    }
    if (crc_of(data) != crc) r.fail(file + " fails its CRC check (corrupt file)");
    const std::string name = file.substr(0, file.size() - 4);
    if (!archive.emplace(name, decode_npy(data, r, name)).second)
      r.fail("duplicate member " + file);
  }
  return archive;
}

}  // namespace simdml::io
