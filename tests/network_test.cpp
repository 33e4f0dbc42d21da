// Backpropagation and SGD: numerical gradient checks, the textbook gates and XOR, one step
// computed by hand, and the reproducibility contract (bitwise equal runs, 1 to 4 threads).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "in_process_cluster.hpp"
#include "simdml/network.hpp"

namespace simdml {
namespace {

struct Batch {
  std::vector<float> x;
  std::vector<std::int32_t> labels;
  std::int64_t rows;
};

Batch random_batch(std::int64_t rows, std::int64_t features, int classes, std::uint64_t seed) {
  Rng rng(seed);
  Batch b{std::vector<float>(static_cast<std::size_t>(rows * features)),
          std::vector<std::int32_t>(static_cast<std::size_t>(rows)), rows};
  for (float& v : b.x) v = static_cast<float>(rng.uniform());
  for (auto& l : b.labels)
    l = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(classes)));
  return b;
}

Dataset random_dataset(std::int64_t samples, std::int64_t features, int classes,
                       std::uint64_t seed) {
  Batch b = random_batch(samples, features, classes, seed);
  Dataset d;
  d.name = "synthetic";
  d.samples = samples, d.features = features, d.classes = classes;
  d.x = std::move(b.x);
  d.labels = std::move(b.labels);
  return d;
}

// --- gradients -------------------------------------------------------------------------------

struct GradientCase {
  Activation hidden;
  Loss loss;
};

class GradientCheck : public ::testing::TestWithParam<GradientCase> {};

// Central differences on every weight and bias of a 5-4-3-3 network. The loss is computed in
// float, so the numerical derivative carries an error of about (loss rounding) / eps ~ 1e-6 / 1e-3
// plus eps^2 * (third derivative) ~ 1e-6; the tolerance leaves a margin of ~10 over both.
TEST_P(GradientCheck, BackpropMatchesCentralDifferences) {
  const auto [hidden, loss] = GetParam();
  Network net = make_network({5, 4, 3, 3}, {hidden, hidden}, loss, Init::xavier, 3);
  for (Layer& layer : net.layers)
    for (float& b : layer.biases) b = 0.1f;  // keep ReLU units away from their kink
  const Batch batch = random_batch(4, 5, 3, 17);
  Trainer trainer(net, TrainingOptions{}, Compute{});
  const Gradients analytic = trainer.gradients(batch.x.data(), batch.labels.data(), batch.rows);

  const float eps = 1e-3f;
  const auto numeric = [&](float& parameter) {
    const float saved = parameter;
    parameter = saved + eps;
    const double up = trainer.gradients(batch.x.data(), batch.labels.data(), batch.rows).loss;
    parameter = saved - eps;
    const double down = trainer.gradients(batch.x.data(), batch.labels.data(), batch.rows).loss;
    parameter = saved;
    return (up - down) / (2.0 * static_cast<double>(eps));
  };
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    for (std::size_t i = 0; i < net.layers[l].weights.size(); ++i) {
      const double g = analytic.weights[l][i];
      EXPECT_NEAR(numeric(net.layers[l].weights[i]), g, 1e-3 + 1e-2 * std::fabs(g))
          << "layer " << l << " weight " << i;
    }
    for (std::size_t j = 0; j < net.layers[l].biases.size(); ++j) {
      const double g = analytic.biases[l][j];
      EXPECT_NEAR(numeric(net.layers[l].biases[j]), g, 1e-3 + 1e-2 * std::fabs(g))
          << "layer " << l << " bias " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryActivationAndLoss, GradientCheck,
                         ::testing::Values(GradientCase{Activation::sigmoid, Loss::quadratic},
                                           GradientCase{Activation::tanh, Loss::quadratic},
                                           GradientCase{Activation::relu, Loss::quadratic},
                                           GradientCase{Activation::sigmoid, Loss::cross_entropy},
                                           GradientCase{Activation::tanh, Loss::cross_entropy},
                                           GradientCase{Activation::relu, Loss::cross_entropy}),
                         [](const auto& test) {
                           return std::string(activation_name(test.param.hidden)) + "_" +
                                  (test.param.loss == Loss::quadratic ? "quadratic"
                                                                      : "cross_entropy");
                         });

// --- the textbook programs -------------------------------------------------------------------

// Nielsen's chapter 1 perceptron, the network's ancestor: fires (1) when w . x + b > 0.
struct Perceptron {
  std::vector<float> weights;
  float bias = 0.0f;
  int fire(const std::vector<float>& x) const {
    if (x.size() != weights.size()) throw std::invalid_argument("input size differs from weights");
    float sum = bias;
    for (std::size_t i = 0; i < x.size(); ++i) sum += weights[i] * x[i];
    return sum > 0.0f ? 1 : 0;
  }
};

TEST(Perceptron, FixedWeightsComputeTheGates) {
  const Perceptron nand{{-2.0f, -2.0f}, 3.0f};  // Nielsen, chapter 1
  const Perceptron and_gate{{1.0f, 1.0f}, -1.5f};
  const Perceptron or_gate{{1.0f, 1.0f}, -0.5f};
  for (int a = 0; a <= 1; ++a)
    for (int b = 0; b <= 1; ++b) {
      const std::vector<float> x{static_cast<float>(a), static_cast<float>(b)};
      EXPECT_EQ(nand.fire(x), !(a && b)) << a << b;
      EXPECT_EQ(and_gate.fire(x), a && b) << a << b;
      EXPECT_EQ(or_gate.fire(x), a || b) << a << b;
    }
  EXPECT_THROW(nand.fire({1.0f}), std::invalid_argument);
}

// XOR is not linearly separable: a hidden layer must learn it.
void expect_learns_xor(Activation hidden, Loss loss, float rate) {
  Network net = make_network({2, 4, 2}, {hidden}, loss, Init::xavier, 5);
  const std::vector<float> x{0, 0, 0, 1, 1, 0, 1, 1};
  const std::vector<std::int32_t> y{0, 1, 1, 0};
  TrainingOptions sgd;
  sgd.learning_rate = rate;
  sgd.batch_size = 4;
  Trainer trainer(net, sgd, Compute{});
  for (int step = 0; step < 3000; ++step) trainer.step(x.data(), y.data(), 4);
  Dataset data;
  data.name = "xor", data.samples = 4, data.features = 2, data.classes = 2, data.x = x,
  data.labels = y;
  const Evaluation e = evaluate(net, data, Compute{});
  EXPECT_EQ(e.correct, 4) << activation_name(hidden);
}

TEST(Xor, TanhNetworkWithSoftmaxLearnsIt) {
  expect_learns_xor(Activation::tanh, Loss::cross_entropy, 0.5f);
}
TEST(Xor, SigmoidNetworkWithQuadraticCostLearnsIt) {
  expect_learns_xor(Activation::sigmoid, Loss::quadratic, 3.0f);
}

// One sample, one sigmoid unit, quadratic cost: delta = (a - y) a (1 - a); w -= rate * delta * x.
TEST(Sgd, OneStepEqualsTheHandComputedUpdate) {
  for (const float decay : {0.0f, 0.1f}) {
    Network net = make_network({2, 1}, {}, Loss::quadratic, Init::normal, 1);
    net.layers[0].weights = {0.3f, -0.2f};
    net.layers[0].biases = {0.1f};
    const std::vector<float> x{0.5f, -1.0f};
    const std::int32_t label = 0;  // one output, so the target is 1
    TrainingOptions sgd;
    sgd.learning_rate = 3.0f;
    sgd.batch_size = 1;
    sgd.weight_decay = decay;
    Trainer(net, sgd, Compute{}).step(x.data(), &label, 1);

    const double z = 0.3 * 0.5 + -0.2 * -1.0 + 0.1, a = 1.0 / (1.0 + std::exp(-z));
    const double delta = (a - 1.0) * a * (1.0 - a);
    const double keep = 1.0 - 3.0 * decay;
    EXPECT_NEAR(net.layers[0].weights[0], keep * 0.3 - 3.0 * delta * 0.5, 1e-6) << decay;
    EXPECT_NEAR(net.layers[0].weights[1], keep * -0.2 - 3.0 * delta * -1.0, 1e-6) << decay;
    EXPECT_NEAR(net.layers[0].biases[0], 0.1 - 3.0 * delta, 1e-6)
        << decay;  // biases are not decayed
  }
}

// Momentum: v1 = -rate g1, w1 = w0 + v1; v2 = mu v1 - rate g2, w2 = w1 + v2.
TEST(Sgd, MomentumAccumulatesVelocity) {
  Network plain = make_network({3, 2}, {}, Loss::cross_entropy, Init::xavier, 2);
  Network heavy = plain;
  const Batch batch = random_batch(2, 3, 2, 9);
  TrainingOptions sgd;
  sgd.learning_rate = 0.5f;
  sgd.batch_size = 2;
  Trainer plain_trainer(plain, sgd, Compute{});
  const Gradients g1 = plain_trainer.gradients(batch.x.data(), batch.labels.data(), 2);
  TrainingOptions with_momentum = sgd;
  with_momentum.momentum = 0.9f;
  Trainer heavy_trainer(heavy, with_momentum, Compute{});
  const std::vector<float> w0 = heavy.layers[0].weights;
  heavy_trainer.step(batch.x.data(), batch.labels.data(), 2);
  const Gradients g2 = heavy_trainer.gradients(batch.x.data(), batch.labels.data(), 2);
  const std::vector<float> w1 = heavy.layers[0].weights;
  heavy_trainer.step(batch.x.data(), batch.labels.data(), 2);
  for (std::size_t i = 0; i < w0.size(); ++i) {
    const double v1 = -0.5 * g1.weights[0][i], v2 = 0.9 * v1 - 0.5 * g2.weights[0][i];
    EXPECT_NEAR(w1[i], w0[i] + v1, 1e-6);
    EXPECT_NEAR(heavy.layers[0].weights[i], w0[i] + v1 + v2, 1e-6);
  }
}

// --- reproducibility -------------------------------------------------------------------------

struct TrainedRun {
  Network net;
  std::vector<double> losses;
};

// Two epochs of a 784-hidden...-10 network; momentum 0.5 unless `options` says otherwise.
// With `adapt`, the team's size may change from window to window (Compute::adapt_team); the
// sizes that ran go to `team_steps`.
TrainedRun train_network(int threads, std::vector<std::int64_t> sizes,
                         std::vector<Activation> hidden, Loss loss, TrainingOptions options,
                         const Dataset& data, bool adapt = false,
                         std::map<int, std::int64_t>* team_steps = nullptr) {
  TrainedRun run{make_network(std::move(sizes), std::move(hidden), loss, Init::he, 8), {}};
  Rng shuffle(8, kShuffleStream);
  Compute compute;
  compute.threads = threads;
  compute.adapt_team = adapt;
  Trainer trainer(run.net, options, compute);
  for (int epoch = 0; epoch < 2; ++epoch) run.losses.push_back(trainer.epoch(data, shuffle));
  if (team_steps != nullptr) *team_steps = trainer.steps_by_team();
  return run;
}

TrainingOptions sgd_options(std::int64_t batch) {
  TrainingOptions sgd;
  sgd.learning_rate = 0.05f;
  sgd.batch_size = batch;
  sgd.momentum = 0.5f;
  return sgd;
}

TrainingOptions adam_options(std::int64_t batch) {
  TrainingOptions adam;
  adam.optimizer = Optimizer::adam;
  adam.learning_rate = 1e-3f;
  adam.batch_size = batch;
  adam.weight_decay = 1e-4f;
  return adam;
}

TrainedRun train_run(int threads, std::int64_t batch, std::int64_t hidden, Loss loss,
                     Activation act, const Dataset& data = random_dataset(700, 784, 10, 4)) {
  return train_network(threads, {784, hidden, 10}, {act}, loss, sgd_options(batch), data);
}

void expect_bitwise_equal(const TrainedRun& a, const TrainedRun& b) {
  ASSERT_EQ(a.losses.size(), b.losses.size());
  for (std::size_t i = 0; i < a.losses.size(); ++i)
    EXPECT_EQ(std::memcmp(&a.losses[i], &b.losses[i], sizeof(double)), 0) << "epoch " << i;
  for (std::size_t l = 0; l < a.net.layers.size(); ++l) {
    const Layer &x = a.net.layers[l], &y = b.net.layers[l];
    EXPECT_EQ(std::memcmp(x.weights.data(), y.weights.data(), x.weights.size() * 4), 0)
        << "layer " << l;
    EXPECT_EQ(std::memcmp(x.biases.data(), y.biases.data(), x.biases.size() * 4), 0)
        << "layer " << l;
  }
}

TEST(Determinism, RunsRepeatBitForBit) {
  expect_bitwise_equal(train_run(1, 10, 30, Loss::quadratic, Activation::sigmoid),
                       train_run(1, 10, 30, Loss::quadratic, Activation::sigmoid));
}

// Batch 256 x 100 hidden units is large enough for the GEMMs to really use every thread. Odd
// teams split the GEMMs' rows and the batch gather unevenly, so 3 is checked beside 2 and 4.
TEST(Determinism, AnyThreadCountGivesTheSameBits) {
  const auto relu = train_run(1, 256, 100, Loss::cross_entropy, Activation::relu);
  const auto sigmoid = train_run(1, 10, 30, Loss::quadratic, Activation::sigmoid);
  for (int threads : {2, 3, 4}) {
    SCOPED_TRACE("threads=" + std::to_string(threads));
    expect_bitwise_equal(relu, train_run(threads, 256, 100, Loss::cross_entropy, Activation::relu));
    expect_bitwise_equal(sigmoid, train_run(threads, 10, 30, Loss::quadratic, Activation::sigmoid));
  }
}

// The team's other configurations: Adam (with L2), a deeper network (its extra barriers), tanh,
// and batches of one row and of the whole set, on teams of 1 to 4 (and 7, more than the units of
// a 30-unit layer can use). Batches of 16 rows a thread or more take the row schedule (adam relu
// on 2 to 4 threads, deep tanh relu on 2, the whole set on all), the others the unit schedule.
TEST(Determinism, EveryConfigurationGivesTheSameBitsOnAnyTeam) {
  const Dataset data = random_dataset(300, 784, 10, 6);
  struct Case {
    std::string name;
    std::vector<std::int64_t> sizes;
    std::vector<Activation> hidden;
    Loss loss;
    TrainingOptions options;
  };
  const Case cases[] = {
      {"adam relu", {784, 100, 10}, {Activation::relu}, Loss::cross_entropy, adam_options(64)},
      {"adam sigmoid quadratic",
       {784, 30, 10},
       {Activation::sigmoid},
       Loss::quadratic,
       adam_options(10)},
      {"deep tanh relu",
       {784, 40, 20, 10},
       {Activation::tanh, Activation::relu},
       Loss::cross_entropy,
       sgd_options(32)},
      {"batch 1", {784, 30, 10}, {Activation::sigmoid}, Loss::quadratic, sgd_options(1)},
      {"whole set", {784, 50, 10}, {Activation::relu}, Loss::cross_entropy, sgd_options(300)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const TrainedRun one = train_network(1, c.sizes, c.hidden, c.loss, c.options, data);
    for (int threads : {2, 3, 4, 7}) {
      SCOPED_TRACE("threads=" + std::to_string(threads));
      expect_bitwise_equal(one, train_network(threads, c.sizes, c.hidden, c.loss, c.options, data));
    }
  }
}

// Trainer::gradients on a team: the same bits as on one thread, on both schedules (10 rows:
// shares of units; 64: shares of rows).
// These tests ask for exact team sizes: threads_for_now must not cut them while another program
// loads the machine (ctest sets this too; read at the first call).
const int kFixedThreads = setenv("SIMDML_FIXED_THREADS", "1", 0);

// A team that changes size between windows of one epoch (the tuner tries every size in its first
// windows) trains the bits of a fixed team, on both schedules.
TEST(Determinism, ATeamThatChangesSizeMidEpochGivesTheSameBits) {
  const Dataset data = random_dataset(2000, 784, 10, 4);
  struct Case {
    std::int64_t batch, hidden;
  };
  for (const Case c : {Case{10, 30}, Case{64, 100}}) {
    SCOPED_TRACE("batch " + std::to_string(c.batch));
    const TrainedRun fixed = train_network(1, {784, c.hidden, 10}, {Activation::relu},
                                           Loss::cross_entropy, adam_options(c.batch), data);
    for (int threads : {2, 4}) {
      std::map<int, std::int64_t> team_steps;
      const TrainedRun adapted =
          train_network(threads, {784, c.hidden, 10}, {Activation::relu}, Loss::cross_entropy,
                        adam_options(c.batch), data, true, &team_steps);
      EXPECT_GE(team_steps.size(), 2u) << threads << " threads";
      expect_bitwise_equal(fixed, adapted);
    }
  }
  // Sliced steps (slices summed across the job) switch too, a step at a time.
  TrainingOptions sliced = adam_options(64);
  sliced.slices = 2;
  const TrainedRun fixed =
      train_network(1, {784, 100, 10}, {Activation::relu}, Loss::cross_entropy, sliced, data);
  std::map<int, std::int64_t> team_steps;
  const TrainedRun adapted = train_network(2, {784, 100, 10}, {Activation::relu},
                                           Loss::cross_entropy, sliced, data, true, &team_steps);
  EXPECT_GE(team_steps.size(), 2u);
  expect_bitwise_equal(fixed, adapted);
}

TEST(Determinism, GradientsAreTheSameOnAnyTeam) {
  for (const std::int64_t rows : {10, 64}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    const Batch b = random_batch(rows, 784, 10, 9);
    const auto gradients = [&](int threads) {
      Network net =
          make_network({784, 40, 10}, {Activation::relu}, Loss::cross_entropy, Init::he, 2);
      Compute compute;
      compute.threads = threads;
      return Trainer(net, sgd_options(rows), compute).gradients(b.x.data(), b.labels.data(), rows);
    };
    const Gradients one = gradients(1), two = gradients(2);
    EXPECT_EQ(one.loss, two.loss);
    EXPECT_EQ(one.weights, two.weights);
    EXPECT_EQ(one.biases, two.biases);
  }
}

// --- data-parallel steps (TrainingOptions::slices) ------------------------------------------

// Two epochs with `slices` slices per batch on `ranks` ranks (simulated by threads, each with a
// team of `threads`); every rank's network, which must all be the same.
std::vector<TrainedRun> train_on_ranks(int ranks, int threads, std::vector<std::int64_t> sizes,
                                       std::vector<Activation> hidden, Loss loss,
                                       TrainingOptions options, const Dataset& data) {
  std::vector<TrainedRun> runs(static_cast<std::size_t>(ranks));
  testing::InProcessJob(ranks).run([&](Cluster& cluster) {
    TrainedRun& run = runs[std::size_t(cluster.rank())];
    run.net = make_network(sizes, hidden, loss, Init::he, 8);
    Rng shuffle(8, kShuffleStream);
    Compute compute;
    compute.threads = threads;
    compute.cluster = &cluster;
    Trainer trainer(run.net, options, compute);
    for (int epoch = 0; epoch < 2; ++epoch) run.losses.push_back(trainer.epoch(data, shuffle));
  });
  return runs;
}

// 4 slices: one process, 2 and 4 ranks, and 2 threads a rank give the same bits, for Nielsen's
// network (batch 10: slices of 2 and 3 rows, a last batch of 5), ReLU with Adam and L2, and SGD
// with momentum on a batch the row schedule takes.
TEST(Slices, AnyRankCountTrainsTheSameBits) {
  const Dataset data = random_dataset(205, 784, 10, 12);
  struct Case {
    std::string name;
    std::vector<std::int64_t> sizes;
    Activation hidden;
    Loss loss;
    TrainingOptions options;
  };
  TrainingOptions nielsen;
  nielsen.learning_rate = 3.0f;
  nielsen.batch_size = 10;
  const Case cases[] = {
      {"nielsen", {784, 30, 10}, Activation::sigmoid, Loss::quadratic, nielsen},
      {"adam relu", {784, 40, 10}, Activation::relu, Loss::cross_entropy, adam_options(64)},
      {"momentum relu", {784, 40, 10}, Activation::relu, Loss::cross_entropy, sgd_options(128)},
  };
  for (Case c : cases) {
    SCOPED_TRACE(c.name);
    c.options.slices = 4;
    const TrainedRun alone = train_network(1, c.sizes, {c.hidden}, c.loss, c.options, data);
    for (const auto& [ranks, threads] : {std::pair{2, 1}, {4, 1}, {2, 2}}) {
      SCOPED_TRACE(std::to_string(ranks) + " ranks, " + std::to_string(threads) + " threads");
      for (const TrainedRun& run :
           train_on_ranks(ranks, threads, c.sizes, {c.hidden}, c.loss, c.options, data))
        expect_bitwise_equal(alone, run);
    }
  }
}

// Slices change the order of the batch's sums, so the bits, but not what is learned.
TEST(Slices, TrainLikeOneSlice) {
  const Dataset data = random_dataset(400, 784, 10, 13);
  TrainingOptions options = adam_options(32);
  const TrainedRun one =
      train_network(1, {784, 30, 10}, {Activation::relu}, Loss::cross_entropy, options, data);
  options.slices = 3;
  const TrainedRun three =
      train_network(1, {784, 30, 10}, {Activation::relu}, Loss::cross_entropy, options, data);
  EXPECT_NE(one.losses, three.losses);
  for (std::size_t e = 0; e < one.losses.size(); ++e)
    EXPECT_NEAR(three.losses[e], one.losses[e], 1e-4 * one.losses[e]);
}

TEST(Slices, RanksNeedAsManySlices) {
  testing::InProcessJob(2).run([](Cluster& cluster) {
    Network net = make_network({4, 3, 2}, {Activation::relu}, Loss::cross_entropy, Init::he, 1);
    Compute compute;
    compute.cluster = &cluster;
    EXPECT_THROW(Trainer(net, TrainingOptions{}, compute), std::invalid_argument);
    TrainingOptions two;
    two.slices = 2;
    EXPECT_NO_THROW(Trainer(net, two, compute));
  });
  TrainingOptions none;
  none.slices = 0;
  Network net = make_network({4, 3, 2}, {Activation::relu}, Loss::cross_entropy, Init::he, 1);
  EXPECT_THROW(Trainer(net, none, Compute{}), std::invalid_argument);
}

// The optimizer's state lives in the Trainer: two epochs on one Trainer are not two fresh starts.
TEST(Adam, StateCarriesOverBetweenEpochs) {
  const Dataset data = random_dataset(100, 784, 10, 7);
  const TrainedRun together = train_network(1, {784, 30, 10}, {Activation::relu},
                                            Loss::cross_entropy, adam_options(10), data);
  TrainedRun apart{
      make_network({784, 30, 10}, {Activation::relu}, Loss::cross_entropy, Init::he, 8), {}};
  Rng shuffle(8, kShuffleStream);
  for (int epoch = 0; epoch < 2; ++epoch) {
    Trainer fresh(apart.net, adam_options(10), Compute{});
    apart.losses.push_back(fresh.epoch(data, shuffle));
    EXPECT_EQ(fresh.steps(), 10);
  }
  EXPECT_EQ(together.losses[0], apart.losses[0]);
  EXPECT_NE(together.losses[1], apart.losses[1]);
}

// A throw on one thread of the team (here the progress callback, on thread 0) stops the whole
// team at its next barrier and reaches the caller; the trainer stays usable. On both schedules:
// shares of units (batch 10) and of rows (batch 64).
TEST(Training, AFailureInTheTeamReachesTheCaller) {
  const Dataset data = random_dataset(200, 784, 10, 8);
  for (const std::int64_t batch : {10, 64}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    Network net = make_network({784, 64, 10}, {Activation::relu}, Loss::cross_entropy, Init::he, 1);
    Compute compute;
    compute.threads = 2;
    Trainer trainer(net, sgd_options(batch), compute);
    EXPECT_EQ(trainer.team(), 2);
    Rng shuffle(1, kShuffleStream);
    int calls = 0;
    const auto cancel = [&calls](std::int64_t done, std::int64_t) {
      if (++calls == 3) throw std::runtime_error("cancelled after " + std::to_string(done));
    };
    try {
      trainer.epoch(data, shuffle, cancel);
      FAIL() << "the callback's exception should reach the caller";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "cancelled after " + std::to_string(3 * batch));
    }
    EXPECT_TRUE(find_non_finite(net).empty());
    EXPECT_NO_THROW(trainer.epoch(data, shuffle));
  }
}

// Training gathers an image's rows from its pixel bytes, scaling them on the way; it must learn
// exactly what it learns from the loader's floats (a dataset without pixels).
TEST(Determinism, ImagesTrainTheSameFromPixelsOrFromFloats) {
  Dataset images = random_dataset(700, 784, 10, 4);
  Rng rng(5);
  images.pixels.resize(images.x.size());
  for (std::uint8_t& p : images.pixels) p = static_cast<std::uint8_t>(rng.below(256));
  for (std::size_t i = 0; i < images.x.size(); ++i)
    images.x[i] = static_cast<float>(images.pixels[i]) / 255.0f;
  Dataset floats = images;
  floats.pixels.clear();
  for (int threads : {1, 2})
    expect_bitwise_equal(train_run(threads, 10, 30, Loss::quadratic, Activation::sigmoid, images),
                         train_run(threads, 10, 30, Loss::quadratic, Activation::sigmoid, floats));
}

TEST(Determinism, InitializationIsPinned) {
  const Network a = make_network({3, 2}, {}, Loss::quadratic, Init::normal, 1);
  const Network b = make_network({3, 2}, {}, Loss::quadratic, Init::normal, 1);
  EXPECT_EQ(a.layers[0].weights, b.layers[0].weights);
  EXPECT_NE(a.layers[0].weights,
            make_network({3, 2}, {}, Loss::quadratic, Init::normal, 2).layers[0].weights);
  // He scales N(0, 1) by sqrt(2 / inputs) and zeroes the biases.
  const Network he = make_network({3, 2}, {}, Loss::quadratic, Init::he, 1);
  EXPECT_FLOAT_EQ(he.layers[0].weights[0],
                  static_cast<float>(Rng(1, kInitStream).normal() * std::sqrt(2.0 / 3.0)));
  EXPECT_EQ(he.layers[0].biases, std::vector<float>(2, 0.0f));
}

// --- bad input -------------------------------------------------------------------------------

// A learning rate of 1000 on network.py's configuration: the loss stays finite (sigmoids
// saturate) but the weights explode; the guard stops it. Likewise for ReLU + softmax.
void expect_divergence_caught(Activation act, Loss loss, Init init) {
  const Dataset data = random_dataset(200, 20, 10, 6);
  Network net = make_network({20, 30, 10}, {act}, loss, init, 1);
  const DivergenceGuard guard(net);
  TrainingOptions sgd;
  sgd.learning_rate = 1000.0f;
  sgd.batch_size = 10;
  Rng shuffle(1, kShuffleStream);
  Trainer trainer(net, sgd, Compute{});
  try {
    for (int epoch = 1; epoch <= 3; ++epoch) {
      trainer.epoch(data, shuffle);
      guard.check(net, epoch, sgd.learning_rate);
    }
    FAIL() << "a learning rate of 1000 should be caught";
  } catch (const TrainingDiverged& e) {
    EXPECT_NE(std::string(e.what()).find("training diverged in epoch 1"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("learning rate 1000 is too high"), std::string::npos)
        << e.what();
  }
}

TEST(Training, DivergenceStopsWithAMessage) {
  expect_divergence_caught(Activation::sigmoid, Loss::quadratic, Init::normal);
  expect_divergence_caught(Activation::relu, Loss::cross_entropy, Init::he);
}

TEST(Training, NonFiniteWeightsAreDivergence) {
  Network net = make_network({3, 2}, {}, Loss::quadratic, Init::normal, 1);
  const DivergenceGuard guard(net);
  guard.check(net, 1, 0.1f);  // a healthy network passes
  net.layers[0].weights[4] = std::nanf("");
  EXPECT_THROW(guard.check(net, 2, 0.1f), TrainingDiverged);
  EXPECT_NE(find_non_finite(net).find("layer 1 weight (1, 1) is nan"), std::string::npos)
      << find_non_finite(net);
}

TEST(Training, RejectsBadOptionsAndShapes) {
  TrainingOptions sgd;
  sgd.batch_size = 0;
  EXPECT_THROW(validate_training(sgd), std::invalid_argument);
  sgd = {};
  sgd.learning_rate = -1.0f;
  EXPECT_THROW(validate_training(sgd), std::invalid_argument);
  sgd.learning_rate = std::nanf("");
  EXPECT_THROW(validate_training(sgd), std::invalid_argument);
  sgd = {};
  sgd.momentum = 1.0f;
  EXPECT_THROW(validate_training(sgd), std::invalid_argument);
  TrainingOptions adam = adam_options(10);
  adam.momentum = 0.9f;  // Adam's momentum is beta1
  EXPECT_THROW(validate_training(adam), std::invalid_argument);
  adam = adam_options(10);
  adam.beta2 = 1.0f;
  EXPECT_THROW(validate_training(adam), std::invalid_argument);
  adam = adam_options(10);
  adam.epsilon = 0.0f;
  EXPECT_THROW(validate_training(adam), std::invalid_argument);
  EXPECT_THROW(make_network({784}, {}, Loss::quadratic, Init::normal, 1), std::invalid_argument);
  EXPECT_THROW(make_network({784, 0, 10}, {Activation::relu}, Loss::quadratic, Init::normal, 1),
               std::invalid_argument);
  EXPECT_THROW(make_network({784, 30, 10}, {}, Loss::quadratic, Init::normal, 1),
               std::invalid_argument);
  Network net = make_network({5, 3}, {}, Loss::quadratic, Init::normal, 1);
  const Dataset wrong = random_dataset(10, 4, 3, 1);
  Rng shuffle(1);
  Trainer trainer(net, TrainingOptions{}, Compute{});
  EXPECT_THROW(trainer.epoch(wrong, shuffle), std::invalid_argument);
  EXPECT_THROW(evaluate(net, wrong, Compute{}), std::invalid_argument);
  const std::vector<float> x(5);
  const std::int32_t label = 0;
  EXPECT_THROW(trainer.step(x.data(), &label, 0), std::invalid_argument);
  sgd = {};
  sgd.batch_size = 0;
  EXPECT_THROW(Trainer(net, sgd, Compute{}), std::invalid_argument);
}

TEST(Evaluation, CountsEverySampleOnce) {
  const Dataset data = random_dataset(1000, 12, 4, 2);
  const Network net =
      make_network({12, 8, 4}, {Activation::tanh}, Loss::cross_entropy, Init::xavier, 3);
  const Evaluation e = evaluate(net, data, Compute{});
  std::int64_t sum = 0, diagonal = 0;
  for (std::size_t i = 0; i < e.confusion.size(); ++i) {
    sum += e.confusion[i];
    if (i % 5 == 0) diagonal += e.confusion[i];
  }
  EXPECT_EQ(sum, 1000);
  EXPECT_EQ(diagonal, e.correct);
  // Softmax outputs are probabilities.
  std::vector<float> out(4);
  predict(net, data.row(0), 1, out.data(), Compute{});
  EXPECT_NEAR(out[0] + out[1] + out[2] + out[3], 1.0f, 1e-6f);
}

}  // namespace
}  // namespace simdml
