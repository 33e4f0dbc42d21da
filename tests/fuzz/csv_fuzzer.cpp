// Fuzz target: the CSV loader (numeric features, an integer label column). Any input must give a
// Dataset or a DataError, never a crash or a read out of bounds.
#include <cstdint>

#include "memory_file.hpp"
#include "simdml/data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const simdml::fuzz::MemoryFile file(data, size);
  try {
    const simdml::Dataset set = simdml::load_csv_dataset(file.path(), "fuzz");
    (void)set;
  } catch (const simdml::DataError&) {
  }
  return 0;
}
