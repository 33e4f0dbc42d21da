// Data built for the k-NN tests (ties, duplicates, float features) and the exact comparison every
// k-NN test makes against the naive reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "simdml/knn.hpp"
#include "simdml/random.hpp"

namespace simdml {
namespace {

// Image-like data: `levels` distinct pixel values (few levels: many exactly equal distances),
// with every third row a copy of an earlier one (duplicate points).
Dataset synthetic_images(std::int64_t rows, std::int64_t features, int levels, std::uint64_t seed,
                         int classes = 3) {
  Dataset d;
  d.name = "synthetic";
  d.samples = rows;
  d.features = features;
  d.classes = classes;
  d.image_height = 1;
  d.image_width = features;
  Rng rng(seed);
  for (std::int64_t r = 0; r < rows; ++r) {
    const bool copy = r % 3 == 2;
    for (std::int64_t f = 0; f < features; ++f) {
      const std::uint8_t v =
          copy ? d.pixels[static_cast<std::size_t>((r / 2) * features + f)]
               : static_cast<std::uint8_t>(rng.below(static_cast<std::uint64_t>(levels)) *
                                           (255 / std::max(1, levels - 1)));
      d.pixels.push_back(v);
      d.x.push_back(static_cast<float>(v) / 255.0f);
    }
    d.labels.push_back(static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(classes))));
  }
  return d;
}

// Float data without pixels (iris-like): normal features on a coarse grid, so distances tie too.
Dataset synthetic_floats(std::int64_t rows, std::int64_t features, std::uint64_t seed) {
  Dataset d;
  d.name = "floats";
  d.samples = rows;
  d.features = features;
  d.classes = 2;
  Rng rng(seed);
  for (std::int64_t i = 0; i < rows * features; ++i)
    d.x.push_back(std::round(4.0f * rng.normal()) / 4.0f);
  for (std::int64_t r = 0; r < rows; ++r) d.labels.push_back(static_cast<std::int32_t>(r % 2));
  return d;
}

void expect_same_neighbors(const Neighbors& expected, const Neighbors& actual) {
  ASSERT_EQ(expected.queries, actual.queries);
  ASSERT_EQ(expected.k, actual.k);
  for (std::int64_t q = 0; q < expected.queries; ++q) {
    for (int i = 0; i < expected.k; ++i) {
      const std::size_t at = static_cast<std::size_t>(q * expected.k + i);
      ASSERT_EQ(expected.index[at], actual.index[at]) << "query " << q << ", neighbour " << i;
      ASSERT_EQ(expected.distance[at], actual.distance[at]) << "query " << q << ", neighbour " << i;
    }
  }
}

Neighbors reference(const Dataset& train, const Dataset& queries, int k) {
  return find_neighbors(knn_kernel("naive"), train, queries, KnnSearch{k, 1});
}

}  // namespace
}  // namespace simdml
