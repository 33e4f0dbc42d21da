// k-NN: every kernel of the list returns exactly the naive reference's neighbours (indices, order
// and distances) on data built to tie, on shapes around every tile edge, on float data and on real
// MNIST; the result does not depend on the thread count; votes, the k sweep and cross-validation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "kernel_fixture.hpp"
#include "knn_data.hpp"
#include "real_data.hpp"
#include "simdml/knn.hpp"
#include "simdml/random.hpp"

namespace simdml {

// Test names and failure messages show the kernel by name, not as bytes.
inline void PrintTo(const KnnKernel& kernel, std::ostream* os) { *os << kernel.name; }

namespace {

using KnnKernelTest = testing::KernelTest<KnnKernel>;

// Training sizes below, at and above every tile width (8 to 512 rows per chunk), query counts
// around the query tiles (6 to 256), odd feature counts, k from 1 to the whole training set.
TEST_P(KnnKernelTest, MatchesTheReferenceOnTiesAndTileEdges) {
  struct Shape {
    std::int64_t train, queries, features;
    int levels, k;
  };
  for (const Shape s : {Shape{1, 1, 1, 2, 1}, Shape{7, 5, 3, 2, 7}, Shape{33, 13, 7, 2, 5},
                        Shape{100, 97, 16, 3, 10}, Shape{515, 200, 15, 2, 9},
                        Shape{1030, 263, 64, 4, 17}, Shape{257, 31, 784, 256, 3}}) {
    SCOPED_TRACE(::testing::Message() << s.train << " training rows, " << s.queries << " queries, "
                                      << s.features << " features, k " << s.k);
    const Dataset train = synthetic_images(s.train, s.features, s.levels, 1);
    const Dataset queries = synthetic_images(s.queries, s.features, s.levels, 2);
    expect_same_neighbors(reference(train, queries, s.k),
                          find_neighbors(GetParam(), train, queries, KnnSearch{s.k, 2}));
  }
}

// Query counts around the kernel's tile rows and training sizes around its tile columns (int8: the
// register tile; blocked: the distance tile), on data built to tie. naive is the reference itself.
TEST_P(KnnKernelTest, MatchesTheReferenceAroundItsOwnTile) {
  const OutputTile tile = GetParam().tile;
  if (tile.rows == 0) GTEST_SKIP() << GetParam().name << " has no tile: it is the reference";
  for (const std::int64_t queries : testing::edge_sizes(std::vector<int>{tile.rows}))
    for (const std::int64_t train : testing::edge_sizes(std::vector<int>{tile.columns})) {
      SCOPED_TRACE(::testing::Message() << train << " training rows, " << queries << " queries");
      const Dataset t = synthetic_images(train, 3, 2, 7), q = synthetic_images(queries, 3, 2, 8);
      const int k = static_cast<int>(std::min<std::int64_t>(3, train));
      expect_same_neighbors(reference(t, q, k), find_neighbors(GetParam(), t, q, KnnSearch{k, 2}));
    }
}

TEST_P(KnnKernelTest, ResultDoesNotDependOnThreadCount) {
  const Dataset train = synthetic_images(700, 50, 3, 3), queries = synthetic_images(600, 50, 3, 4);
  const Neighbors one = find_neighbors(GetParam(), train, queries, KnnSearch{9, 1});
  for (int threads : {2, 3, 7})
    expect_same_neighbors(one, find_neighbors(GetParam(), train, queries, KnnSearch{9, threads}));
}

TEST_P(KnnKernelTest, FloatDataMatchesTheReferenceOrIsRefused) {
  const Dataset train = synthetic_floats(300, 5, 5), queries = synthetic_floats(70, 5, 6);
  if (GetParam().variant == KnnVariant::int8) {
    EXPECT_THROW(find_neighbors(GetParam(), train, queries, KnnSearch{3, 1}),
                 std::invalid_argument);
    return;
  }
  expect_same_neighbors(reference(train, queries, 11),
                        find_neighbors(GetParam(), train, queries, KnnSearch{11, 2}));
}

INSTANTIATE_TEST_SUITE_P(EveryKernel, KnnKernelTest,
                         ::testing::ValuesIn(knn_kernels().begin(), knn_kernels().end()),
                         testing::kernel_param_name<KnnKernel>);

TEST(KnnReference, TiesGoToTheLowerTrainingIndex) {
  Dataset train = synthetic_images(6, 2, 2, 1);
  train.pixels = {0, 0, 10, 0,  0, 10,
                  0, 0, 10, 10, 0, 10};  // rows 0 and 3 coincide; 1, 2, 5 are equidistant from 0
  for (std::size_t i = 0; i < train.pixels.size(); ++i)
    train.x[i] = static_cast<float>(train.pixels[i]) / 255.0f;
  const Dataset query = slice_rows(train, 0, 1);
  const Neighbors n = reference(train, query, 5);
  EXPECT_EQ(std::vector<std::int32_t>(n.index.begin(), n.index.end()),
            (std::vector<std::int32_t>{0, 3, 1, 2, 5}));
  EXPECT_EQ(n.distance[2], 100.0 / (255.0 * 255.0));
}

// Identical training rows tie all distances, so the blocked variant's float candidates cannot be
// certified: it must notice and fall back to the exact search (and still be right).
TEST(KnnBlocked, FallsBackToExactSearchWhenCandidatesTie) {
  Dataset train = synthetic_images(200, 20, 2, 1);
  for (std::int64_t r = 1; r < train.samples; ++r)
    for (std::int64_t f = 0; f < train.features; ++f) {
      train.pixels[static_cast<std::size_t>(r * 20 + f)] =
          train.pixels[static_cast<std::size_t>(f)];
      train.x[static_cast<std::size_t>(r * 20 + f)] = train.x[static_cast<std::size_t>(f)];
    }
  const Dataset queries = synthetic_images(10, 20, 2, 2);
  const Neighbors blocked = find_neighbors(knn_kernel("blocked"), train, queries, KnnSearch{4, 2});
  EXPECT_EQ(blocked.exact_fallbacks, 10);
  expect_same_neighbors(reference(train, queries, 4), blocked);
}

TEST(KnnSearchArguments, BadInputGetsAClearError) {
  const Dataset train = synthetic_images(10, 4, 2, 1), queries = synthetic_images(3, 4, 2, 2);
  const Dataset wider = synthetic_images(3, 5, 2, 2);
  for (const KnnKernel& kernel : knn_kernels()) {
    if (!runs_here(kernel)) continue;
    EXPECT_THROW(find_neighbors(kernel, train, queries, KnnSearch{0, 1}), std::invalid_argument);
    EXPECT_THROW(find_neighbors(kernel, train, queries, KnnSearch{11, 1}), std::invalid_argument);
    EXPECT_THROW(find_neighbors(kernel, train, wider, KnnSearch{1, 1}), std::invalid_argument);
    EXPECT_THROW(find_neighbors(kernel, train, queries, KnnSearch{1, 0}), std::invalid_argument);
    EXPECT_EQ(find_neighbors(kernel, train, queries, KnnSearch{10, 1}).index.size(),
              30u);  // k = all rows is fine
  }
  EXPECT_THROW(knn_kernel("fast"), std::invalid_argument);
  EXPECT_EQ(knn_kernel("int8").isa, active_isa());
}

// --- votes -------------------------------------------------------------------------------------

// One query whose neighbours have the given labels and squared distances, nearest first.
struct Vote {
  Neighbors neighbors;
  std::vector<std::int32_t> labels;
  Vote(std::vector<std::int32_t> labels_, std::vector<double> distances)
      : labels(std::move(labels_)) {
    neighbors.queries = 1;
    neighbors.k = static_cast<int>(labels.size());
    neighbors.distance = std::move(distances);
    for (int i = 0; i < neighbors.k; ++i) neighbors.index.push_back(i);
  }
  std::int32_t winner(int k, KnnWeights w, KnnTies ties = KnnTies::nearest) const {
    return knn_vote(neighbors, 0, k, labels, 4, KnnVoting{w, ties});
  }
};

TEST(KnnVote, UniformMajorityAndTiesGoToTheNearestTiedClass) {
  const Vote v({2, 1, 1, 2, 3}, {1, 2, 3, 4, 5});
  EXPECT_EQ(v.winner(1, KnnWeights::uniform), 2);
  EXPECT_EQ(v.winner(2, KnnWeights::uniform), 2);  // 2 and 1 tie; 2 is nearer
  EXPECT_EQ(v.winner(3, KnnWeights::uniform), 1);
  EXPECT_EQ(v.winner(4, KnnWeights::uniform), 2);  // 2:2 tie, the nearest is a 2
  EXPECT_EQ(v.winner(5, KnnWeights::uniform), 2);
  EXPECT_EQ(v.winner(2, KnnWeights::uniform, KnnTies::lowest_class), 1);  // scikit-learn's rule
  EXPECT_EQ(v.winner(4, KnnWeights::uniform, KnnTies::lowest_class), 1);
  EXPECT_EQ(v.winner(3, KnnWeights::uniform, KnnTies::lowest_class), 1);  // no tie: the same winner
}

TEST(KnnVote, DistanceWeightsAreInverseEuclideanDistances) {
  // Squared distances 1, 4, 4: weights 1, 1/2, 1/2. Class 1 gets 1, class 0 gets 1: a tie, nearest
  // wins.
  EXPECT_EQ(Vote({1, 0, 0}, {1, 4, 4}).winner(3, KnnWeights::distance), 1);
  // Squared 4, 1, 1 (not sorted on purpose: weights follow distances, not ranks): class 0 gets 2 >
  // 1/2.
  EXPECT_EQ(Vote({1, 0, 0}, {4, 1, 1}).winner(3, KnnWeights::distance), 0);
  // Uniform would say 0 here; one close neighbour outweighs two far ones.
  const Vote far({3, 0, 0}, {1, 100, 100});
  EXPECT_EQ(far.winner(3, KnnWeights::uniform), 0);
  EXPECT_EQ(far.winner(3, KnnWeights::distance), 3);
}

TEST(KnnVote, ZeroDistancesTakeAllTheWeight) {
  const Vote v({1, 2, 2, 2}, {0, 0.5, 0.5, 0.5});
  EXPECT_EQ(v.winner(4, KnnWeights::distance), 1);  // no division by zero, no NaN
  EXPECT_EQ(v.winner(4, KnnWeights::uniform), 2);
  EXPECT_EQ(Vote({1, 2, 2}, {0, 0, 1}).winner(3, KnnWeights::distance),
            1);  // two at 0 tie 1:1, nearest wins
}

TEST(KnnVote, RejectsKBeyondTheNeighbours) {
  EXPECT_THROW(Vote({1}, {1}).winner(2, KnnWeights::uniform), std::invalid_argument);
}

// --- the k sweep and cross-validation
// -------------------------------------------------------------

TEST(KnnSweep, EveryKScoresAsASeparateSearch) {
  const Dataset train = synthetic_images(400, 30, 3, 7), queries = synthetic_images(120, 30, 3, 8);
  const KnnKernel& kernel = knn_kernel("int8");
  const std::vector<int> ks{1, 2, 5, 9};
  for (KnnWeights w : {KnnWeights::uniform, KnnWeights::distance}) {
    const std::vector<Evaluation> sweep = score_neighbors(
        find_neighbors(kernel, train, queries, KnnSearch{9, 2}), ks, train, queries, KnnVoting{w});
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const Neighbors alone = find_neighbors(kernel, train, queries, KnnSearch{ks[i], 2});
      const std::vector<Evaluation> single =
          score_neighbors(alone, std::vector<int>{ks[i]}, train, queries, KnnVoting{w});
      EXPECT_EQ(sweep[i].correct, single[0].correct) << "k " << ks[i];
      EXPECT_EQ(sweep[i].confusion, single[0].confusion) << "k " << ks[i];
      EXPECT_EQ(sweep[i].total, 120);
    }
  }
}

// Two well separated clusters of 30: small k makes no error. k = 50 votes with the whole training
// part, so a query loses whenever its fold holds more than half of its own cluster (seed 1 deals
// uneven folds). k larger than a training part is refused.
TEST(KnnCrossValidation, FoldsCoverEveryRowOnceAndPickTheBestK) {
  Dataset data = synthetic_floats(60, 2, 9);
  for (std::int64_t r = 0; r < 60; ++r) {
    data.labels[static_cast<std::size_t>(r)] = r < 30 ? 0 : 1;
    data.x[static_cast<std::size_t>(2 * r)] += r < 30 ? -100.0f : 100.0f;
  }
  const std::vector<int> ks{1, 3, 50};
  const CrossValidation cv = cross_validate(knn_kernel("blocked"), data, 6, ks, KnnVoting{}, 1, 2);
  EXPECT_EQ(cv.samples, 60);
  EXPECT_EQ(cv.errors[0], 0);
  EXPECT_EQ(cv.errors[1], 0);
  EXPECT_GT(cv.errors[2], 0);
  EXPECT_EQ(cv.best_k, 1);
  EXPECT_EQ(cv.errors, cross_validate(knn_kernel("naive"), data, 6, ks, KnnVoting{}, 1, 1).errors);
  EXPECT_THROW(cross_validate(knn_kernel("naive"), data, 1, ks, KnnVoting{}, 1, 1),
               std::invalid_argument);
  EXPECT_THROW(cross_validate(knn_kernel("naive"), data, 61, ks, KnnVoting{}, 1, 1),
               std::invalid_argument);
  EXPECT_THROW(
      cross_validate(knn_kernel("naive"), data, 6, std::vector<int>{51}, KnnVoting{}, 1, 1),
      std::invalid_argument);
}

// Leave-one-out equals a direct count: each row against all others.
TEST(KnnCrossValidation, LeaveOneOutMatchesADirectCount) {
  const Dataset data = synthetic_images(40, 6, 3, 11);
  const CrossValidation cv =
      cross_validate(knn_kernel("naive"), data, 40, std::vector<int>{1}, KnnVoting{}, 5, 1);
  std::int64_t errors = 0;
  for (std::int64_t r = 0; r < 40; ++r) {
    std::vector<std::int64_t> rest;
    for (std::int64_t o = 0; o < 40; ++o)
      if (o != r) rest.push_back(o);
    const Dataset train = select_rows(data, rest), query = slice_rows(data, r, r + 1);
    const Neighbors n = reference(train, query, 1);
    errors += train.labels[static_cast<std::size_t>(n.index[0])] != query.labels[0];
  }
  EXPECT_EQ(cv.errors[0], errors);
}

// --- real MNIST ---------------------------------------------------------------------------------

class KnnMnist : public ::testing::TestWithParam<KnnKernel> {
 protected:
  static void SetUpTestSuite() {
    const auto root = testing::real_mnist_root();
    if (!root) return;
    const NamedDataset mnist = load_named_dataset("mnist", *root);
    train_ = new Dataset(slice_rows(mnist.train, 0, 3000));
    queries_ = new Dataset(slice_rows(*mnist.test, 0, 300));
    expected_ =
        new Neighbors(find_neighbors(knn_kernel("naive"), *train_, *queries_, KnnSearch{10, 2}));
  }
  static void TearDownTestSuite() {
    delete train_;
    delete queries_;
    delete expected_;
    train_ = queries_ = nullptr;
    expected_ = nullptr;
  }
  void SetUp() override {
    if (train_ == nullptr) GTEST_SKIP() << testing::kNoRealMnist;
    if (!runs_here(GetParam())) GTEST_SKIP() << GetParam().name << " cannot run on this CPU";
  }
  static Dataset* train_;
  static Dataset* queries_;
  static Neighbors* expected_;
};

Dataset* KnnMnist::train_ = nullptr;
Dataset* KnnMnist::queries_ = nullptr;
Neighbors* KnnMnist::expected_ = nullptr;

TEST_P(KnnMnist, ExactlyTheReferenceNeighbours) {
  const Neighbors n = find_neighbors(GetParam(), *train_, *queries_, KnnSearch{10, 2});
  expect_same_neighbors(*expected_, n);
  EXPECT_EQ(n.exact_fallbacks, 0);  // MNIST's float distances are far from ties
}

INSTANTIATE_TEST_SUITE_P(EveryKernel, KnnMnist,
                         ::testing::ValuesIn(knn_kernels().begin(), knn_kernels().end()),
                         testing::kernel_param_name<KnnKernel>);

}  // namespace
}  // namespace simdml
