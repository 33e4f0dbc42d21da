// Fuzz target: the model-file loader (.npz: zip container, .npy headers, shapes, version). Any
// input must give a Network or a ModelFileError (the loader's one error type), never another
// exception, a crash or a read out of bounds.
#include <cstdint>

#include "memory_file.hpp"
#include "simdml/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const simdml::fuzz::MemoryFile file(data, size);
  try {
    const simdml::Network net = simdml::load_model(file.path());
    (void)net;
  } catch (const simdml::ModelFileError&) {
  }
  return 0;
}
