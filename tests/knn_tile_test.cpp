// Each int8 k-NN kernel set's pieces alone (src/knn/int8/kernels.hpp), on panels built here from
// the layout their contract states: the distance tile for word counts below, at and above the
// row-dot block, features that do not fill the last word, partial tiles (padding rows), strided
// output with guards, and the extremes of the byte range; row_dot on whole rows; the candidate
// scan at every start and end. Each result is checked exactly against integer arithmetic here.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernel_fixture.hpp"
#include "knn/int8/kernels.hpp"
#include "simdml/knn.hpp"

namespace simdml {
namespace {

using knn_detail::Int8Kernels;
using knn_detail::kRowDotWords;

struct Int8Set {
  const char* name;  // the k-NN kernel list's entry that runs it
  const Int8Kernels* kernels;
};

const Int8Set kSets[] = {{"int8-sse2", &knn_detail::int8_sse2},
                         {"int8-avx2", &knn_detail::int8_avx2},
                         {"int8-avx512", &knn_detail::int8_avx512},
                         {"int8-avx512vnni", &knn_detail::int8_avx512vnni},
                         {"int8-amx", &knn_detail::int8_amx}};

constexpr std::int32_t kGuard = -7777777;

std::int64_t round_up(std::int64_t n, std::int64_t to) { return (n + to - 1) / to * to; }

// A word of F fields of 32 / F bits, the first lowest, from signed values.
std::int32_t pack_word(const std::vector<int>& fields) {
  const int bits = 32 / static_cast<int>(fields.size());
  std::uint32_t word = 0;
  for (std::size_t h = 0; h < fields.size(); ++h)
    word |= (static_cast<std::uint32_t>(fields[h]) & ((1u << bits) - 1u)) << (bits * h);
  return static_cast<std::int32_t>(word);
}

class Int8TileTest : public ::testing::TestWithParam<Int8Set> {
 protected:
  void SetUp() override {
    for (const KnnKernel& k : knn_kernels())
      if (k.name == GetParam().name && !runs_here(k))
        GTEST_SKIP() << k.name << " cannot run on this CPU";
  }
  const Int8Kernels& k() const { return *GetParam().kernels; }

  // One tile: `queries` (<= MR) and `rows` (<= NR) of `features` bytes drawn from [lo, hi], the
  // rest padding; checks every element of the MR x NR tile and the guards around it.
  void check_tile(std::int64_t features, std::int64_t queries, std::int64_t rows, int lo, int hi,
                  std::int64_t pad) {
    SCOPED_TRACE(::testing::Message()
                 << GetParam().name << ": " << features << " features, " << queries << " of "
                 << k().rows << " queries, " << rows << " of " << k().cols
                 << " training rows, bytes " << lo << ".." << hi << ", ldd +" << pad);
    const std::int64_t mr = k().rows, nr = k().cols, f = k().features_per_word,
                       b = k().query_row_words, offset = k().query_offset;
    const std::int64_t words = round_up((features + f - 1) / f, b);
    std::mt19937 rng(static_cast<std::uint32_t>(features * 31 + queries * 7 + rows));
    std::uniform_int_distribution<int> byte(lo, hi);
    std::uniform_int_distribution<std::int32_t> norm(0, 1 << 20);
    // q[i][x] and t[j][x] for every feature slot; padding (rows, features) stays 0.
    std::vector<std::vector<int>> q(static_cast<std::size_t>(mr),
                                    std::vector<int>(static_cast<std::size_t>(words * f)));
    std::vector<std::vector<int>> t(static_cast<std::size_t>(nr),
                                    std::vector<int>(static_cast<std::size_t>(words * f)));
    for (std::int64_t i = 0; i < queries; ++i)
      for (std::int64_t x = 0; x < features; ++x)
        q[static_cast<std::size_t>(i)][static_cast<std::size_t>(x)] = byte(rng);
    for (std::int64_t j = 0; j < rows; ++j)
      for (std::int64_t x = 0; x < features; ++x)
        t[static_cast<std::size_t>(j)][static_cast<std::size_t>(x)] = byte(rng);
    std::vector<std::int32_t> query_panel(static_cast<std::size_t>(words * mr));
    std::vector<std::uint8_t> train_panel(static_cast<std::size_t>(words * nr * f));
    for (std::int64_t w = 0; w < words; ++w) {
      for (std::int64_t i = 0; i < mr; ++i) {
        std::vector<int> fields;
        for (std::int64_t h = 0; h < f; ++h) {
          const std::int64_t x = w * f + h;
          fields.push_back(i < queries && x < features
                               ? q[static_cast<std::size_t>(i)][static_cast<std::size_t>(x)] -
                                     offset
                               : 0);
        }
        query_panel[static_cast<std::size_t>(((w / b) * mr + i) * b + w % b)] = pack_word(fields);
      }
      for (std::int64_t j = 0; j < nr; ++j)
        for (std::int64_t h = 0; h < f; ++h)
          train_panel[static_cast<std::size_t>((w * nr + j) * f + h)] = static_cast<std::uint8_t>(
              t[static_cast<std::size_t>(j)][static_cast<std::size_t>(w * f + h)]);
    }
    std::vector<std::int32_t> query_norms(static_cast<std::size_t>(mr)),
        train_norms(static_cast<std::size_t>(nr));
    for (auto& n : query_norms) n = norm(rng);
    for (auto& n : train_norms) n = norm(rng);
    const std::int64_t ldd = nr + pad;
    std::vector<std::int32_t> dist(static_cast<std::size_t>((mr + 1) * ldd), kGuard);
    k().distance_tile(words, query_panel.data(), train_panel.data(), query_norms.data(),
                      train_norms.data(), dist.data(), ldd);
    for (std::int64_t i = 0; i <= mr; ++i)
      for (std::int64_t j = 0; j < ldd; ++j) {
        const std::int32_t got = dist[static_cast<std::size_t>(i * ldd + j)];
        if (i == mr || j >= nr) {
          ASSERT_EQ(got, kGuard) << "dist(" << i << ", " << j << ") outside the tile was written";
          continue;
        }
        std::int64_t dot = 0;
        for (std::int64_t x = 0; x < words * f; ++x) {
          const bool real = i < queries && x < features;
          dot +=
              std::int64_t{
                  real ? q[static_cast<std::size_t>(i)][static_cast<std::size_t>(x)] - offset : 0} *
              t[static_cast<std::size_t>(j)][static_cast<std::size_t>(x)];
        }
        const std::int64_t expected = std::int64_t{query_norms[static_cast<std::size_t>(i)]} +
                                      train_norms[static_cast<std::size_t>(j)] - 2 * dot;
        ASSERT_EQ(got, expected) << "dist(" << i << ", " << j << ")";
      }
  }
};

// Word counts below, at and above kRowDotWords, and MNIST's 784 features.
TEST_P(Int8TileTest, DistanceTileOverWordCounts) {
  const std::int64_t f = k().features_per_word;
  for (const std::int64_t features :
       {f, 2 * f, kRowDotWords * f - f, kRowDotWords * f, kRowDotWords * f + 1, std::int64_t{784}})
    check_tile(features, k().rows, k().cols, 0, 255, 0);
}

// Features that end inside a word, partial tiles (their padding rows still written), strided
// output with guards between the rows.
TEST_P(Int8TileTest, DistanceTileEdges) {
  for (const std::int64_t features : {std::int64_t{1}, std::int64_t{3}, std::int64_t{50}})
    for (const std::int64_t queries : {std::int64_t{1}, std::int64_t{k().rows}})
      for (const std::int64_t rows : {std::int64_t{1}, std::int64_t{k().cols - 1}})
        check_tile(features, queries, rows, 0, 255, 5);
}

// All-255 rows: the largest products, where a lane's arithmetic would first overflow or saturate
// (pmaddwd's pairs, vpdpbusd's signed operand), and all-zero rows.
TEST_P(Int8TileTest, DistanceTileAtTheExtremes) {
  check_tile(784, k().rows, k().cols, 255, 255, 0);
  check_tile(784, k().rows, k().cols, 0, 0, 3);
  check_tile(784, k().rows, k().cols, 254, 255, 0);
}

TEST_P(Int8TileTest, RowDotIsTheExactSum) {
  const std::int64_t f = k().features_per_word, offset = k().query_offset;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::int64_t words : {kRowDotWords, 2 * kRowDotWords, 13 * kRowDotWords})
    for (const int extreme : {-1, 0, 255}) {
      std::vector<int> q(static_cast<std::size_t>(words * f)),
          t(static_cast<std::size_t>(words * f));
      for (std::size_t x = 0; x < q.size(); ++x) {
        q[x] = extreme < 0 ? byte(rng) : extreme;
        t[x] = extreme < 0 ? byte(rng) : extreme;
      }
      std::vector<std::int32_t> query_words(static_cast<std::size_t>(words));
      std::vector<std::uint8_t> train_row(t.begin(), t.end());
      std::int64_t expected = 0;
      for (std::int64_t w = 0; w < words; ++w) {
        std::vector<int> fields;
        for (std::int64_t h = 0; h < f; ++h) {
          const std::size_t x = static_cast<std::size_t>(w * f + h);
          fields.push_back(q[x] - static_cast<int>(offset));
          expected += std::int64_t{q[x] - offset} * t[x];
        }
        query_words[static_cast<std::size_t>(w)] = pack_word(fields);
      }
      EXPECT_EQ(k().row_dot(words, query_words.data(), train_row.data()), expected)
          << GetParam().name << ": " << words << " words, bytes " << extreme;
    }
}

TEST_P(Int8TileTest, FindAtMostAtEveryStartAndEnd) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<std::int32_t> value(0, 1000);
  std::vector<std::int32_t> d(static_cast<std::size_t>(100));
  for (auto& v : d) v = value(rng);
  for (std::int64_t n = 0; n <= 100; n += 7)
    for (std::int64_t from = 0; from <= n; ++from)
      for (const std::int32_t bound : {-1, 10, 500, 1000}) {
        std::int64_t expected = from;
        while (expected < n && d[static_cast<std::size_t>(expected)] > bound) ++expected;
        ASSERT_EQ(k().find_at_most(d.data(), from, n, bound), expected)
            << GetParam().name << ": from " << from << " to " << n << ", bound " << bound;
      }
}

TEST_P(Int8TileTest, CollectAtMostKeepsEveryPassingElementInOrder) {
  std::mt19937 rng(10);
  std::uniform_int_distribution<std::int32_t> value(-5, 1000);
  std::vector<std::int32_t> d(static_cast<std::size_t>(100));
  for (auto& v : d) v = value(rng);
  for (std::int64_t n = 0; n <= 100; n += 3)
    for (const std::int32_t bound : {-10, 0, 10, 500, 1000}) {
      std::vector<std::int32_t> expected_rows, expected_values;
      for (std::int64_t j = 0; j < n; ++j)
        if (d[static_cast<std::size_t>(j)] <= bound) {
          expected_rows.push_back(static_cast<std::int32_t>(j));
          expected_values.push_back(d[static_cast<std::size_t>(j)]);
        }
      const auto room = static_cast<std::size_t>(n + knn_detail::kCollectSlack);
      std::vector<std::int32_t> rows(room, -7), values(room, -7);
      const std::int64_t count =
          k().collect_at_most(d.data(), n, bound, rows.data(), values.data());
      ASSERT_EQ(count, static_cast<std::int64_t>(expected_rows.size()))
          << GetParam().name << ": n " << n << ", bound " << bound;
      rows.resize(static_cast<std::size_t>(count));
      values.resize(static_cast<std::size_t>(count));
      EXPECT_EQ(rows, expected_rows) << GetParam().name << ": n " << n << ", bound " << bound;
      EXPECT_EQ(values, expected_values) << GetParam().name << ": n " << n << ", bound " << bound;
    }
}

INSTANTIATE_TEST_SUITE_P(EverySet, Int8TileTest, ::testing::ValuesIn(kSets),
                         [](const ::testing::TestParamInfo<Int8Set>& param) {
                           std::string name = param.param.name;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace simdml
