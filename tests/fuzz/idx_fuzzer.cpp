// Fuzz target: the IDX reader (gzip or raw; zlib passes raw bytes through), alone and as an
// image/label pair. Any input must give an IdxArray or a DataError, never a crash, a read out of
// bounds, or an allocation the file cannot back.
#include <cstdint>

#include "memory_file.hpp"
#include "simdml/data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const simdml::fuzz::MemoryFile file(data, size);
  try {
    const simdml::IdxArray array = simdml::read_idx(file.path());
    (void)array;
  } catch (const simdml::DataError&) {
  }
  // The same bytes as the images of a pair whose labels are the bytes again: exercises the
  // dataset checks (counts, label range, image shape) on whatever parsed.
  try {
    const simdml::Dataset set = simdml::load_idx_dataset(file.path(), file.path(), 10, "fuzz");
    (void)set;
  } catch (const simdml::DataError&) {
  }
  return 0;
}
