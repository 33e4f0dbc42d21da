// NumPy's .npz container: a zip archive of .npy arrays. Enough of both formats to write arrays
// that np.load reads (without pickle) and to read them back, checking every offset and size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace simdml::io {

// One array: its dtype string as NumPy writes it ("<f4", "<i8", "<U7"), C-order shape, raw bytes.
struct NpyArray {
  std::string descr;
  std::vector<std::int64_t> shape;
  std::string bytes;
  std::int64_t count() const;
};

struct NpzError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// name (without ".npy") -> array, in name order.
using NpzArchive = std::map<std::string, NpyArray>;

// The archive as bytes: stored (uncompressed) entries, fixed timestamps, so equal arrays give
// equal files.
std::string encode_npz(const NpzArchive& archive);

// Reads an archive written by encode_npz or by NumPy (np.savez or np.savez_compressed). Throws
// NpzError naming `source` for anything truncated, inconsistent or unsupported.
NpzArchive decode_npz(const std::string& bytes, const std::string& source);

}  // namespace simdml::io
