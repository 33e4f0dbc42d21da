// MNIST-shaped images for the benchmarks that train (train_bench, instruction_counts): random
// pixel bytes and their floats, as the IDX loader makes them, so training gathers bytes as it
// does from MNIST. Speed does not depend on the values.
#pragma once

#include <cstdint>

#include "simdml/activations.hpp"
#include "simdml/data.hpp"
#include "simdml/random.hpp"

namespace simdml::bench {

inline Dataset synthetic_images(std::int64_t samples, std::uint64_t seed) {
  Dataset d;
  d.name = "synthetic";
  d.samples = samples, d.classes = 10, d.image_height = 28, d.image_width = 28;
  d.features = d.image_height * d.image_width;
  Rng rng(seed);
  d.pixels.resize(static_cast<std::size_t>(samples * d.features));
  for (std::uint8_t& p : d.pixels) p = static_cast<std::uint8_t>(rng.below(256));
  d.x.resize(d.pixels.size());
  activations().unit_from_bytes(d.pixels.data(), d.x.data(), d.pixels.size());
  d.labels.resize(static_cast<std::size_t>(samples));
  for (auto& l : d.labels) l = static_cast<std::int32_t>(rng.below(10));
  return d;
}

}  // namespace simdml::bench
