// The pruned k-NN beyond what every kernel is checked for in knn_test.cpp: k from 1 to the whole
// training set, 1, 2, 3 and 7 threads on every target the CPU has, data where the bound prunes
// nothing, what it reports (exact pairs, phases), and a case showing that its rounding margin is
// needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "kernel_fixture.hpp"
#include "knn/int8/kernels.hpp"
#include "knn/pruned/pruned.hpp"
#include "knn/pruned/seed_pool.hpp"
#include "knn_data.hpp"

namespace simdml {

inline void PrintTo(const KnnKernel& kernel, std::ostream* os) { *os << kernel.name; }

namespace {

std::vector<KnnKernel> pruned_kernels() {
  std::vector<KnnKernel> kernels;
  for (const KnnKernel& kernel : knn_kernels())
    if (kernel.variant == KnnVariant::pruned) kernels.push_back(kernel);
  return kernels;
}

// The int8 kernels a pruned-X entry runs on: int8-X's.
const knn_detail::Int8Kernels& int8_kernels_of(const KnnKernel& kernel) {
  const std::string target = std::string(kernel.name).substr(std::string("pruned-").size());
  if (target == "sse2") return knn_detail::int8_sse2;
  if (target == "avx2") return knn_detail::int8_avx2;
  if (target == "avx512") return knn_detail::int8_avx512;
  if (target == "avx512vnni") return knn_detail::int8_avx512vnni;
  return knn_detail::int8_amx;
}

// 64-pixel images in 2^bits clusters: row r copies prototype r % 2^bits, whose pixel f is 200 or 0
// by bit f % bits, plus noise below 20.
Dataset clustered_images(std::int64_t samples, int bits, std::uint64_t seed) {
  Dataset d = synthetic_images(samples, 64, 2, seed);
  Rng rng(seed + 1);
  for (std::int64_t r = 0; r < d.samples; ++r)
    for (std::int64_t f = 0; f < d.features; ++f) {
      const std::size_t at = static_cast<std::size_t>(r * d.features + f);
      const int prototype = static_cast<int>(r % (1 << bits)), bit = (prototype >> (f % bits)) & 1;
      d.pixels[at] = static_cast<std::uint8_t>(bit * 200 + rng.below(20));
      d.x[at] = static_cast<float>(d.pixels[at]) / 255.0f;
    }
  return d;
}

class KnnPruned : public ::testing::TestWithParam<KnnKernel> {
 protected:
  void SetUp() override {
    if (!runs_here(GetParam())) GTEST_SKIP() << GetParam().name << " cannot run on this CPU";
  }
  Neighbors run(const Dataset& train, const Dataset& queries, int k, int threads = 1) const {
    return find_neighbors(GetParam(), train, queries, KnnSearch{k, threads});
  }
};

TEST_P(KnnPruned, EveryKFromOneToTheWholeTrainingSet) {
  const Dataset train = synthetic_images(97, 40, 4, 11), queries = synthetic_images(13, 40, 4, 12);
  for (int k : {1, 2, 7, 48, 96, 97}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    expect_same_neighbors(reference(train, queries, k), run(train, queries, k));
  }
}

TEST_P(KnnPruned, ManySeedsOverManyChunks) {
  // k = 16 and 40: 40 and 88 seeds, above the list's 32, gathered over 3,000 rows (six chunks).
  const Dataset train = synthetic_images(3000, 64, 16, 31),
                queries = synthetic_images(40, 64, 16, 32);
  for (int k : {16, 40}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    expect_same_neighbors(reference(train, queries, k), run(train, queries, k));
  }
}

TEST_P(KnnPruned, SameNeighboursFor1_2_3And7Threads) {
  const Dataset train = synthetic_images(700, 64, 16, 21),
                queries = synthetic_images(90, 64, 16, 22);
  const Neighbors expected = reference(train, queries, 5);
  for (int threads : {1, 2, 3, 7}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    const Neighbors n = run(train, queries, 5, threads);
    expect_same_neighbors(expected, n);
    EXPECT_EQ(n.exact_pairs, run(train, queries, 5, 1).exact_pairs);
  }
}

// Uniform noise and all-equal rows: the bound separates nothing, so nearly every pair (all of
// them for equal rows) is checked exactly, and the answer must still be the reference's.
TEST_P(KnnPruned, ExactWhereTheBoundPrunesNothing) {
  const Dataset noise = synthetic_images(400, 100, 256, 31),
                noise_q = synthetic_images(40, 100, 256, 32);
  expect_same_neighbors(reference(noise, noise_q, 7), run(noise, noise_q, 7, 2));

  Dataset equal = synthetic_images(300, 50, 2, 33);
  std::fill(equal.pixels.begin(), equal.pixels.end(), std::uint8_t{128});
  std::fill(equal.x.begin(), equal.x.end(), 128.0f / 255.0f);
  const Dataset equal_q = slice_rows(equal, 0, 20);
  const Neighbors n = run(equal, equal_q, 7, 2);
  expect_same_neighbors(reference(equal, equal_q, 7), n);
  EXPECT_EQ(n.exact_pairs, equal.samples * equal_q.samples);
}

TEST_P(KnnPruned, FloatDataHasTheReferenceNeighbours) {
  const Dataset train = synthetic_floats(500, 12, 41), queries = synthetic_floats(60, 12, 42);
  for (int k : {1, 9})
    expect_same_neighbors(reference(train, queries, k), run(train, queries, k, 2));
}

TEST_P(KnnPruned, ReportsItsExactPairsAndPhases) {
  // 8 clusters, so the bound prunes most pairs.
  const Dataset train = clustered_images(2000, 3, 51);
  const Dataset queries = slice_rows(train, 0, 100);
  const Neighbors n = run(train, queries, 3);
  expect_same_neighbors(reference(train, queries, 3), n);
  EXPECT_LT(n.exact_pairs, train.samples * queries.samples / 2);
  EXPECT_GE(n.exact_pairs, 3 * queries.samples);
  ASSERT_EQ(n.phases.size(), 5u);
  for (const KnnPhase& phase : n.phases) EXPECT_GE(phase.seconds, 0.0) << phase.name;
}

// The second test (a second block of components, each row's own slack, the residual norms) only
// ever removes rows from the exact checks: the same neighbours as without it, from fewer exact
// distances. Smooth images (a random walk along each row) spread their variance over more than the
// first block's 64 components, as real images do.
TEST_P(KnnPruned, SecondTestChecksFewerRowsAndFindsTheSame) {
  Dataset train = synthetic_images(1500, 256, 2, 61);
  Rng rng(62);
  for (std::int64_t r = 0; r < train.samples; ++r) {
    int level = static_cast<int>(rng.below(256));
    for (std::int64_t f = 0; f < train.features; ++f) {
      level = std::clamp(level + static_cast<int>(rng.below(41)) - 20, 0, 255);
      const std::size_t at = static_cast<std::size_t>(r * train.features + f);
      train.pixels[at] = static_cast<std::uint8_t>(level);
      train.x[at] = static_cast<float>(level) / 255.0f;
    }
  }
  const Dataset queries = slice_rows(train, 0, 60);
  const knn_detail::Int8Kernels& kernels = int8_kernels_of(GetParam());
  const KnnSearch search{5, 2};
  const Neighbors refined = knn_detail::pruned_knn(kernels, train, queries, search);
  const Neighbors first_only = knn_detail::pruned_knn(
      kernels, train, queries, search, knn_detail::PrunedOptions{.refine_components = 0});
  const Neighbors expected = reference(train, queries, 5);
  expect_same_neighbors(expected, refined);
  expect_same_neighbors(expected, first_only);
  EXPECT_LT(refined.exact_pairs, first_only.exact_pairs);
}

// A block's pending pairs swept whenever 100 have gathered: on noise over 784 pixels nothing is
// pruned, so every query brings hundreds and each block sweeps many times.
TEST_P(KnnPruned, SweepsWheneverThePendingPairsFillUp) {
  const Dataset train = synthetic_images(500, 784, 256, 91),
                queries = synthetic_images(300, 784, 256, 92);
  const knn_detail::Int8Kernels& kernels = int8_kernels_of(GetParam());
  const Neighbors often = knn_detail::pruned_knn(kernels, train, queries, KnnSearch{7, 2},
                                                 knn_detail::PrunedOptions{.sweep_pairs = 100});
  expect_same_neighbors(reference(train, queries, 7), often);
  EXPECT_GT(often.exact_pairs, train.samples * queries.samples / 2);
}

// The adaptive kernel of the same target: the pruned search, or the brute force where a sample
// shows that pruning cannot pay.
const KnnKernel& adaptive_of(const KnnKernel& pruned) {
  return knn_kernel("adaptive-" + std::string(pruned.name).substr(std::string("pruned-").size()));
}

// Noise over 784 pixels spreads over ~190 directions: brute force before any fit.
TEST_P(KnnPruned, AdaptiveFallsBackOnWideNoiseBeforeFitting) {
  const Dataset train = synthetic_images(600, 784, 256, 81),
                queries = synthetic_images(300, 784, 256, 82);
  const Neighbors n = find_neighbors(adaptive_of(GetParam()), train, queries, KnnSearch{7, 2});
  expect_same_neighbors(reference(train, queries, 7), n);
  EXPECT_NE(n.fallback.find("directions"), std::string::npos) << n.fallback;
  EXPECT_EQ(n.exact_pairs, train.samples * queries.samples);
}

// Noise over 100 pixels passes the gate (~70 directions), but the pilot block's first test
// passes nearly every pair: the rest go to brute force, with the same neighbours.
TEST_P(KnnPruned, AdaptiveFallsBackAfterItsPilot) {
  const Dataset train = synthetic_images(2000, 100, 256, 83),
                queries = synthetic_images(1200, 100, 256, 84);
  for (int threads : {1, 2}) {
    const Neighbors n =
        find_neighbors(adaptive_of(GetParam()), train, queries, KnnSearch{5, threads});
    expect_same_neighbors(reference(train, queries, 5), n);
    EXPECT_NE(n.fallback.find("pilot"), std::string::npos) << n.fallback;
    EXPECT_EQ(n.phases.back().name, "brute");
  }
}

// Float features have no int8 brute force: adaptive keeps pruning where the pilot would give up.
TEST_P(KnnPruned, AdaptiveOnFloatsStaysPruned) {
  const Dataset train = synthetic_floats(1500, 100, 87), queries = synthetic_floats(800, 100, 88);
  const Neighbors n = find_neighbors(adaptive_of(GetParam()), train, queries, KnnSearch{4, 2});
  expect_same_neighbors(reference(train, queries, 4), n);
  EXPECT_TRUE(n.fallback.empty()) << n.fallback;
}

// Where the bound prunes (64 clusters of images: a query's own cluster is 1.6 % of the rows),
// adaptive is the pruned search, pair for pair.
TEST_P(KnnPruned, AdaptivePrunesWhereItPays) {
  const Dataset train = clustered_images(3000, 6, 85);
  const Dataset queries = slice_rows(train, 0, 1000);
  const Neighbors adaptive =
      find_neighbors(adaptive_of(GetParam()), train, queries, KnnSearch{3, 2});
  const Neighbors pruned = run(train, queries, 3, 2);
  EXPECT_TRUE(adaptive.fallback.empty()) << adaptive.fallback;
  expect_same_neighbors(pruned, adaptive);
  EXPECT_EQ(adaptive.exact_pairs, pruned.exact_pairs);
}

// The seeds, as a list (up to kListSeeds) and as a pool: the smallest bounds, lower rows first on
// ties, offered in chunks of every size, with many equal bounds.
TEST(SeedPool, TheSmallestBoundsByBoundThenRow) {
  std::mt19937 rng(41);
  std::uniform_int_distribution<std::int32_t> value(0, 300);
  std::vector<std::int32_t> bounds(5000);
  for (auto& b : bounds) b = value(rng);
  for (const int seeds : {1, 10, knn_detail::kListSeeds, knn_detail::kListSeeds + 1, 100})
    for (const std::int64_t chunk : {7, 512}) {
      std::vector<std::pair<std::int32_t, std::int32_t>> sorted;
      for (std::size_t r = 0; r < bounds.size(); ++r)
        sorted.emplace_back(bounds[r], static_cast<std::int32_t>(r));
      std::sort(sorted.begin(), sorted.end());
      std::vector<std::int32_t> expected;
      for (int s = 0; s < seeds; ++s)
        expected.push_back(sorted[static_cast<std::size_t>(s)].second);
      knn_detail::SeedPool pool(seeds, chunk);
      pool.clear();
      const auto n = static_cast<std::int64_t>(bounds.size());
      for (std::int64_t c0 = 0; c0 < n; c0 += chunk)
        pool.offer(bounds.data() + c0, std::min(chunk, n - c0), c0, knn_detail::int8_sse2);
      std::vector<std::int32_t> rows;
      pool.finish(rows);
      EXPECT_EQ(rows, expected) << seeds << " seeds, chunks of " << chunk;
    }
}

INSTANTIATE_TEST_SUITE_P(EveryTarget, KnnPruned, ::testing::ValuesIn(pruned_kernels()),
                         testing::kernel_param_name<KnnKernel>);

Dataset one_feature(std::vector<float> values) {
  Dataset d;
  d.name = "one feature";
  d.samples = static_cast<std::int64_t>(values.size());
  d.features = 1;
  d.classes = 1;
  d.x = std::move(values);
  d.labels.assign(d.x.size(), 0);
  return d;
}

// Without its margin (the quantization gap, float rounding, the basis's departure from
// orthonormality) the threshold skips rows that are neighbours. One feature, so the basis is +-1
// and the byte step is 1: the query 0.4 and ten rows at -0.45 share a byte, the true neighbour 0.9
// (distance 0.25) is one step away. The ten rows are the k = 1 search's seeds (2k + 8 = 10); their
// distance 0.7225 is under one step squared, so the margin-free limit skips the neighbour.
TEST(KnnPrunedMargin, IsNeededForExactness) {
  std::vector<float> rows{-127.0f, 127.0f};
  rows.insert(rows.end(), 10, -0.45f);
  rows.push_back(0.9f);
  const Dataset train = one_feature(rows), queries = one_feature({0.4f});
  const knn_detail::Int8Kernels& kernels = knn_detail::int8_sse2;
  const KnnSearch search{1, 1};
  const Neighbors expected = reference(train, queries, 1);
  ASSERT_EQ(expected.index[0], 12);
  expect_same_neighbors(expected, knn_detail::pruned_knn(kernels, train, queries, search));
  const Neighbors unsafe = knn_detail::pruned_knn(
      kernels, train, queries, search, knn_detail::PrunedOptions{.rounding_margin = false});
  EXPECT_NE(unsafe.index[0], 12) << "the margin-free threshold found the neighbour";
}

}  // namespace
}  // namespace simdml
