// Under mpirun (ctest runs it on 1, 2 and 4 ranks): the job's real MPI transport gives the
// one-process results, bit for bit, for the tree sum, sharded k-NN in both modes and sliced
// training. Every rank runs every test; the exit status is the same on all of them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cluster/mpi_cluster.hpp"
#include "knn_data.hpp"
#include "simdml/knn.hpp"
#include "simdml/network.hpp"

namespace simdml {
namespace {

Cluster* world = nullptr;

TEST(MpiJob, TreeSumHasTheOneProcessBits) {
  for (std::int64_t slices : {4, 5, 8}) {
    if (slices < world->size()) continue;
    Rng rng(3);
    std::vector<std::vector<float>> all(static_cast<std::size_t>(slices), std::vector<float>(999));
    for (auto& v : all)
      for (float& x : v) x = static_cast<float>((rng.uniform() - 0.5) * 1e4 * rng.uniform());
    const Share own = rank_share(slices, world->size(), world->rank());
    const std::vector<float> on_job = fixed_tree_sum(
        *world, slices,
        std::vector<std::vector<float>>(all.begin() + own.begin, all.begin() + own.end));
    const std::vector<float> alone = fixed_tree_sum(single_process(), slices, all);
    EXPECT_EQ(std::memcmp(on_job.data(), alone.data(), alone.size() * sizeof(float)), 0);
  }
}

void expect_sharded_equals_alone(const Dataset& train, const Dataset& queries, int k) {
  for (KnnVariant v : {KnnVariant::naive, KnnVariant::blocked, KnnVariant::int8, KnnVariant::pruned,
                       KnnVariant::adaptive}) {
    if (v == KnnVariant::int8 && !train.is_image()) continue;
    const KnnKernel& kernel = knn_kernel(v);
    SCOPED_TRACE(kernel.name);
    const Neighbors alone = find_neighbors(kernel, train, queries, {k, 1});
    expect_same_neighbors(reference(train, queries, k), alone);
    const Share own = rank_share(train.samples, world->size(), world->rank());
    expect_same_neighbors(
        alone, find_neighbors_sharded(kernel, slice_rows(train, own.begin, own.end), own.begin,
                                      train.samples, queries, {k, 1}, *world));
    expect_same_neighbors(alone,
                          find_neighbors_for_query_share(kernel, train, queries, {k, 1}, *world));
  }
}

TEST(MpiJob, ShardedKnnHasTheOneProcessNeighboursOnTies) {
  expect_sharded_equals_alone(synthetic_images(515, 15, 2, 1), synthetic_images(97, 15, 2, 2), 9);
  expect_sharded_equals_alone(synthetic_images(6, 4, 2, 3), synthetic_images(5, 4, 2, 4), 5);
  expect_sharded_equals_alone(synthetic_floats(300, 5, 5), synthetic_floats(70, 5, 6), 11);
}

TEST(MpiJob, ShardedKnnHasTheOneProcessNeighboursOnMnist) {
  const char* root = std::getenv("SIMDML_DATA");
  if (root == nullptr || !std::filesystem::exists(std::filesystem::path(root) / "mnist"))
    GTEST_SKIP() << "SIMDML_DATA does not hold mnist/";
  const NamedDataset mnist = load_named_dataset("mnist", root);
  expect_sharded_equals_alone(slice_rows(mnist.train, 0, 1000), slice_rows(*mnist.test, 0, 100), 7);
}

std::vector<Network> train_both(std::vector<std::int64_t> sizes, Activation hidden, Loss loss,
                                TrainingOptions options) {
  Rng data_rng(5);
  Dataset data;
  data.name = "synthetic";
  data.samples = 130, data.features = sizes.front(), data.classes = 10;
  for (std::int64_t i = 0; i < data.samples * data.features; ++i)
    data.x.push_back(static_cast<float>(data_rng.uniform()));
  for (std::int64_t r = 0; r < data.samples; ++r)
    data.labels.push_back(static_cast<std::int32_t>(data_rng.below(10)));
  std::vector<Network> nets;
  for (Cluster* cluster : {world, &single_process()}) {
    nets.push_back(make_network(sizes, {hidden}, loss, Init::he, 2));
    Compute compute;
    compute.cluster = cluster;
    Trainer trainer(nets.back(), options, compute);
    Rng shuffle(2, kShuffleStream);
    for (int epoch = 0; epoch < 2; ++epoch) trainer.epoch(data, shuffle);
  }
  return nets;
}

TEST(MpiJob, SlicedTrainingHasTheOneProcessBits) {
  TrainingOptions nielsen;
  nielsen.batch_size = 10, nielsen.slices = 4;
  TrainingOptions adam;
  adam.optimizer = Optimizer::adam, adam.learning_rate = 1e-3f, adam.batch_size = 64,
  adam.slices = 4;
  for (const auto& nets : {train_both({784, 30, 10}, Activation::sigmoid, Loss::quadratic, nielsen),
                           train_both({784, 40, 10}, Activation::relu, Loss::cross_entropy, adam)})
    EXPECT_EQ(parameters_crc32(nets[0]), parameters_crc32(nets[1]));
}

}  // namespace
}  // namespace simdml

int main(int argc, char** argv) {
  const std::unique_ptr<simdml::Cluster> world = simdml::open_mpi_world(argc, argv);
  simdml::world = world.get();
  ::testing::InitGoogleTest(&argc, argv);
  if (world->rank() != 0)  // one report: rank 0's
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any = 0;
  for (const auto& bytes : world->all_gather(std::as_bytes(std::span<const int>(&failed, 1))))
    any |= static_cast<int>(bytes[0]);
  if (world->rank() == 0)
    std::printf("%d ranks: %s\n", world->size(), any ? "a rank failed" : "every rank passed");
  return any;
}
