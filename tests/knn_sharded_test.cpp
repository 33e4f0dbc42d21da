// k-NN on the ranks of a job (simulated by threads, in_process_cluster.hpp): training shards
// merged, or shares of the queries, give exactly the one-process neighbours for every kernel, on
// data built to tie, with shards smaller than k, and on real MNIST; cross-validation too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "in_process_cluster.hpp"
#include "kernel_fixture.hpp"
#include "knn_data.hpp"
#include "real_data.hpp"
#include "simdml/knn.hpp"

namespace simdml {

inline void PrintTo(const KnnKernel& kernel, std::ostream* os) { *os << kernel.name; }

namespace {

using KnnShardedTest = testing::KernelTest<KnnKernel>;

// Every rank's result of the search on `ranks` ranks, training rows sharded or queries shared.
std::vector<Neighbors> search_on_ranks(int ranks, KnnSharding sharding, const KnnKernel& kernel,
                                       const Dataset& train, const Dataset& queries, int k) {
  std::vector<Neighbors> results(static_cast<std::size_t>(ranks));
  testing::InProcessJob(ranks).run([&](Cluster& cluster) {
    Neighbors& out = results[std::size_t(cluster.rank())];
    if (sharding == KnnSharding::queries) {
      out = find_neighbors_for_query_share(kernel, train, queries, {k, 1}, cluster);
      return;
    }
    const Share own = rank_share(train.samples, cluster.size(), cluster.rank());
    out = find_neighbors_sharded(kernel, slice_rows(train, own.begin, own.end), own.begin,
                                 train.samples, queries, {k, 1}, cluster);
  });
  return results;
}

void expect_one_process_result(const KnnKernel& kernel, const Dataset& train,
                               const Dataset& queries, int k) {
  const Neighbors alone = find_neighbors(kernel, train, queries, {k, 1});
  expect_same_neighbors(reference(train, queries, k), alone);
  for (KnnSharding sharding : {KnnSharding::training, KnnSharding::queries})
    for (int ranks = 1; ranks <= 4; ++ranks) {
      SCOPED_TRACE(std::string(knn_sharding_name(sharding)) + " sharded over " +
                   std::to_string(ranks) + " ranks");
      for (const Neighbors& n : search_on_ranks(ranks, sharding, kernel, train, queries, k))
        expect_same_neighbors(alone, n);
    }
}

TEST_P(KnnShardedTest, SameNeighboursAsOneProcessOnTies) {
  const Dataset train = synthetic_images(515, 15, 2, 1), queries = synthetic_images(97, 15, 2, 2);
  expect_one_process_result(GetParam(), train, queries, 9);
}

// 4 ranks of 2 or 3 rows each, for 7 neighbours: every shard holds fewer than k.
TEST_P(KnnShardedTest, ShardsSmallerThanK) {
  const Dataset train = synthetic_images(10, 4, 2, 3), queries = synthetic_images(5, 4, 2, 4);
  expect_one_process_result(GetParam(), train, queries, 7);
}

TEST_P(KnnShardedTest, FloatDataOrRefused) {
  if (GetParam().variant == KnnVariant::int8) GTEST_SKIP() << "int8 takes images only";
  const Dataset train = synthetic_floats(300, 5, 5), queries = synthetic_floats(70, 5, 6);
  expect_one_process_result(GetParam(), train, queries, 11);
}

INSTANTIATE_TEST_SUITE_P(EveryKernel, KnnShardedTest,
                         ::testing::ValuesIn(knn_kernels().begin(), knn_kernels().end()),
                         testing::kernel_param_name<KnnKernel>);

TEST(KnnSharded, RealMnistOnThreeRanks) {
  const auto root = testing::real_mnist_root();
  if (!root) GTEST_SKIP() << testing::kNoRealMnist;
  const NamedDataset mnist = load_named_dataset("mnist", *root);
  const Dataset train = slice_rows(mnist.train, 0, 3000), queries = slice_rows(*mnist.test, 0, 300);
  for (KnnVariant v : {KnnVariant::int8, KnnVariant::pruned, KnnVariant::adaptive}) {
    const KnnKernel& kernel = knn_kernel(v);
    SCOPED_TRACE(kernel.name);
    const Neighbors alone = find_neighbors(kernel, train, queries, {10, 2});
    for (KnnSharding sharding : {KnnSharding::training, KnnSharding::queries})
      for (const Neighbors& n : search_on_ranks(3, sharding, kernel, train, queries, 10))
        expect_same_neighbors(alone, n);
  }
}

TEST(KnnSharded, CrossValidationOnRanksCountsTheSameErrors) {
  const Dataset data = synthetic_images(150, 6, 3, 9);
  const std::vector<int> ks = {1, 3, 5, 7};
  const CrossValidation alone =
      cross_validate(knn_kernel("naive"), data, 7, ks, {}, 4, 1, single_process());
  for (int ranks : {2, 3, 4})
    testing::InProcessJob(ranks).run([&](Cluster& cluster) {
      const CrossValidation cv =
          cross_validate(knn_kernel("naive"), data, 7, ks, {}, 4, 1, cluster);
      EXPECT_EQ(cv.errors, alone.errors);
      EXPECT_EQ(cv.best_k, alone.best_k);
    });
}

TEST(KnnSharded, BadProblemsGetAClearError) {
  const Dataset train = synthetic_images(10, 4, 2, 3), queries = synthetic_images(5, 4, 2, 4);
  const KnnKernel& naive = knn_kernel("naive");
  EXPECT_THROW(find_neighbors_sharded(naive, train, 0, 10, queries, {11, 1}, single_process()),
               std::invalid_argument);  // k above the whole training set
  EXPECT_THROW(find_neighbors_sharded(naive, train, 5, 10, queries, {3, 1}, single_process()),
               std::invalid_argument);  // the shard runs past the training set
  EXPECT_THROW(find_neighbors_for_query_share(naive, train, queries, {0, 1}, single_process()),
               std::invalid_argument);
}

}  // namespace
}  // namespace simdml
