// The generator is part of the reproducibility contract: its outputs are pinned here, so a change
// that would alter every seeded run fails loudly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "simdml/random.hpp"

namespace simdml {
namespace {

// Values from an independent Python transcription of splitmix64 + xoshiro256** (the reference C).
TEST(Rng, FirstOutputsMatchTheReferenceAlgorithm) {
  Rng a(1);
  EXPECT_EQ(a.next(), 0xb3f2af6d0fc710c5ull);
  EXPECT_EQ(a.next(), 0x853b559647364ceaull);
  EXPECT_EQ(a.next(), 0x92f89756082a4514ull);
  Rng b(42, 2);
  EXPECT_EQ(b.next(), 0x89dceac19500853cull);
  EXPECT_EQ(b.next(), 0x58984a03acde1401ull);
}

TEST(Rng, StreamsDiffer) {
  Rng a(7, kInitStream), b(7, kShuffleStream);
  EXPECT_NE(a.next(), b.next());
}

TEST(Rng, UniformStaysInTheHalfOpenUnitInterval) {
  Rng rng(3);
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Rng, BelowIsInRangeAndCoversIt) {
  Rng rng(5);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const auto v = rng.below(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
  }
  // Each count is Binomial(70000, 1/7): mean 10000, sd 92. Six sd is a failure, not noise.
  for (int c : counts) EXPECT_NEAR(c, 10000, 6 * 92);
  EXPECT_THROW(rng.below(0), std::invalid_argument);
}

TEST(Rng, NormalHasUnitMomentsAndIsPinned) {
  Rng rng(11);
  const int n = 200000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x, sum_sq += x * x;
  }
  const double mean = sum / n, variance = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(n));  // 5 standard errors
  EXPECT_NEAR(variance, 1.0, 5.0 * std::sqrt(2.0 / n));
  // Same seed, same numbers, bit for bit.
  Rng a(99), b(99);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.normal(), b.normal());
}

TEST(PortableLog, AgreesWithTheCLibraryToAboutOneUlp) {
  Rng rng(13);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    // Arguments across the polar method's range (0, 1) and beyond, log-uniformly spread.
    const double x = std::exp((rng.uniform() - 0.7) * 80.0);
    const double expected = std::log(x), got = portable_log(x);
    const double ulp =
        std::nextafter(std::fabs(expected), std::numeric_limits<double>::infinity()) -
        std::fabs(expected);
    worst = std::max(worst, std::fabs(got - expected) / ulp);
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(portable_log(1.0), 0.0);
}

TEST(RandomPermutation, IsAPermutationAndDeterministic) {
  Rng a(21), b(21);
  const auto p = random_permutation(1000, a);
  EXPECT_EQ(p, random_permutation(1000, b));
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i);
  EXPECT_NE(p, sorted);
  EXPECT_TRUE(random_permutation(0, a).empty());
}

}  // namespace
}  // namespace simdml
