// The job's data movement and its fixed-order sum: the same bits for any rank count, checked on
// ranks simulated by threads (in_process_cluster.hpp); the MPI transport itself is checked end to
// end under mpirun (mpi_test.cpp, mpi_cli_test.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "in_process_cluster.hpp"
#include "simdml/cluster.hpp"
#include "simdml/random.hpp"

namespace simdml {
namespace {

using testing::InProcessJob;

// Values whose sums depend on their order: magnitudes from 1e-3 to 1e5, both signs.
std::vector<std::vector<float>> slice_vectors(std::int64_t slices, std::size_t n) {
  Rng rng(11);
  std::vector<std::vector<float>> v(static_cast<std::size_t>(slices), std::vector<float>(n));
  for (auto& slice : v)
    for (float& x : slice)
      x = static_cast<float>((rng.uniform() - 0.5) * std::pow(10.0, 8.0 * rng.uniform() - 3.0));
  return v;
}

// fixed_tree_sum on `ranks` simulated ranks; returns every rank's result.
std::vector<std::vector<float>> tree_sum_on(int ranks, const std::vector<std::vector<float>>& all) {
  const auto slices = static_cast<std::int64_t>(all.size());
  std::vector<std::vector<float>> results(static_cast<std::size_t>(ranks));
  InProcessJob(ranks).run([&](Cluster& cluster) {
    const Share own = rank_share(slices, cluster.size(), cluster.rank());
    std::vector<std::vector<float>> mine(all.begin() + own.begin, all.begin() + own.end);
    results[std::size_t(cluster.rank())] = fixed_tree_sum(cluster, slices, std::move(mine));
  });
  return results;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(RankShare, CoversEveryItemOnceInOrder) {
  for (int ranks = 1; ranks <= 7; ++ranks) {
    std::int64_t next = 0;
    for (int r = 0; r < ranks; ++r) {
      const Share s = rank_share(23, ranks, r);
      EXPECT_EQ(s.begin, next);
      EXPECT_GE(s.size(), 23 / ranks);
      EXPECT_LE(s.size(), 23 / ranks + 1);
      next = s.end;
    }
    EXPECT_EQ(next, 23);
  }
}

// The tree of 5 slices is (v0 + v1) + (v2 + (v3 + v4)); other orders give other floats here.
TEST(FixedTreeSum, AddsInTheDocumentedTree) {
  const std::vector<std::vector<float>> v = {{1e8f}, {1.0f}, {-1e8f}, {1.0f}, {1.0f}};
  const std::vector<float> sum = fixed_tree_sum(single_process(), 5, v);
  const float expected = (v[0][0] + v[1][0]) + (v[2][0] + (v[3][0] + v[4][0]));
  const float left_to_right = (((v[0][0] + v[1][0]) + v[2][0]) + v[3][0]) + v[4][0];
  ASSERT_NE(expected, left_to_right);  // the check below can tell the orders apart
  EXPECT_EQ(sum, std::vector<float>{expected});
}

TEST(FixedTreeSum, SameBitsForAnyRankCount) {
  for (std::int64_t slices : {1, 2, 3, 4, 5, 8, 9}) {
    const auto v = slice_vectors(slices, 1003);  // not a multiple of any rank count
    const std::vector<float> alone = fixed_tree_sum(single_process(), slices, v);
    for (int ranks = 1; ranks <= 5; ++ranks) {
      SCOPED_TRACE("slices " + std::to_string(slices) + ", ranks " + std::to_string(ranks));
      for (const std::vector<float>& on_rank : tree_sum_on(ranks, v))
        EXPECT_TRUE(same_bits(alone, on_rank));
    }
  }
}

TEST(FixedTreeSum, RefusesVectorsOfDifferentLengths) {
  EXPECT_THROW(fixed_tree_sum(single_process(), 2, {{1.0f, 2.0f}, {1.0f}}), std::invalid_argument);
  EXPECT_THROW(fixed_tree_sum(single_process(), 3, {{1.0f}, {1.0f}}), std::invalid_argument);
  EXPECT_THROW(InProcessJob(2).run([](Cluster& cluster) {
    std::vector<std::vector<float>> mine = {std::vector<float>(cluster.rank() == 0 ? 4 : 5, 1.0f)};
    fixed_tree_sum(cluster, 2, std::move(mine));
  }),
               std::invalid_argument);
}

TEST(CompareAcrossRanks, NamesThePartThatDiffers) {
  std::vector<std::string> reports(3);
  InProcessJob(3).run([&](Cluster& cluster) {
    const std::string data = cluster.rank() == 2 ? "other file" : "mnist";
    reports[std::size_t(cluster.rank())] =
        compare_across_ranks(cluster, {{"options", "--k 3"}, {"data", data}});
  });
  for (const std::string& r : reports) EXPECT_EQ(r, "data: rank 2 differs from rank 0\n");
  InProcessJob(2).run([](Cluster& cluster) {
    EXPECT_EQ(compare_across_ranks(cluster, {{"options", "same"}}), "");
  });
}

TEST(AllGatherConcat, JoinsRanksInOrder) {
  InProcessJob(3).run([](Cluster& cluster) {
    const std::vector<int> mine(static_cast<std::size_t>(cluster.rank() + 1), cluster.rank());
    EXPECT_EQ(all_gather_concat(cluster, mine), (std::vector<int>{0, 1, 1, 2, 2, 2}));
  });
}

}  // namespace
}  // namespace simdml
