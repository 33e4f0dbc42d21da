// Fully-connected networks and mini-batch SGD (Nielsen's network.py and its ReLU + softmax
// successors), built on the library's GEMM and activation kernels.
//
// Layout: a mini-batch is `rows` x features, row-major, one sample per row. Layer l holds weights
// outputs x inputs (network.py's weights[l]) and biases, so z = a_prev * W^T + b.
//
// Reproducibility: given a seed, every number here is fixed. Initialization draws from Rng
// (random.hpp); every sum has a fixed order (GEMM: K order only; bias gradients and losses: row
// order), so weights, losses and accuracies are bitwise identical run to run and for any thread
// count on the same dispatch target.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "simdml/activations.hpp"
#include "simdml/cluster.hpp"
#include "simdml/data.hpp"
#include "simdml/gemm.hpp"
#include "simdml/metrics.hpp"
#include "simdml/random.hpp"

namespace simdml {

enum class Activation { sigmoid, tanh, relu };  // of a hidden layer
enum class Loss {
  quadratic,      // sigmoid outputs, C = 1/2 ||a - y||^2 (network.py)
  cross_entropy,  // softmax outputs, C = -log a[label]
};
enum class Init {
  normal,  // weights and biases N(0, 1) (network.py)
  xavier,  // weights N(0, 2 / (inputs + outputs)), biases 0 (Glorot)
  he,      // weights N(0, 2 / inputs), biases 0 (for ReLU)
};

std::string_view activation_name(Activation a);
std::string_view loss_name(Loss l);
std::string_view init_name(Init i);
std::optional<Activation> parse_activation(std::string_view name);
std::optional<Loss> parse_loss(std::string_view name);  // "quadratic", "cross-entropy"
std::optional<Init> parse_init(std::string_view name);

struct Layer {
  std::int64_t inputs = 0, outputs = 0;
  std::vector<float> weights;  // outputs x inputs
  std::vector<float> biases;   // outputs
};

struct Network {
  std::vector<std::int64_t> sizes;  // inputs, hidden sizes..., outputs
  std::vector<Activation> hidden;   // one per hidden layer
  Loss loss = Loss::quadratic;
  std::vector<Layer> layers;  // sizes.size() - 1 of them

  std::int64_t inputs() const { return sizes.front(); }
  std::int64_t outputs() const { return sizes.back(); }
};

// Checks the shape: at least two sizes, each from 1 to 1,000,000, one activation per hidden layer.
// Throws std::invalid_argument saying what is wrong.
void validate_architecture(const std::vector<std::int64_t>& sizes,
                           const std::vector<Activation>& hidden);

// A freshly initialized network. Draw order: layer by layer, weights row-major, then biases, from
// Rng(seed, kInitStream).
Network make_network(std::vector<std::int64_t> sizes, std::vector<Activation> hidden, Loss loss,
                     Init init, std::uint64_t seed);

// Where the arithmetic runs: which GEMM kernel and activation kernels, on how many threads (of
// each process), on which processes.
struct Compute {
  const GemmKernel* gemm = nullptr;                // nullptr: the dispatched simd kernel
  const ElementwiseKernels* activation = nullptr;  // nullptr: the dispatched simd kernels
  int threads = 1;
  // Training may run fewer than `threads` when that is faster now (a core taken by another
  // process), trying the sizes again and again; the weights are the same for any team.
  bool adapt_team = false;
  Cluster* cluster = nullptr;  // nullptr: this process alone (training's ranks; see slices)
};

// The update rule of each mini-batch step.
enum class Optimizer {
  sgd,   // w <- w - rate * g, with optional momentum (network.py; momentum as Keras and PyTorch)
  adam,  // Kingma and Ba's Adam with bias correction, as PyTorch computes it (AdamCoefficients)
};
std::string_view optimizer_name(Optimizer o);
std::optional<Optimizer> parse_optimizer(std::string_view name);  // "sgd", "adam"

struct TrainingOptions {
  Optimizer optimizer = Optimizer::sgd;
  float learning_rate = 3.0f;
  std::int64_t batch_size = 10;
  float momentum = 0.0f;      // sgd: v <- momentum * v - rate * g; w <- w + v
  float weight_decay = 0.0f;  // L2: g += weight_decay * w (weights only, not biases)
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // adam
  // Data-parallel steps: every mini-batch is cut into `slices` nearly equal runs of rows, slice s
  // holding rows [rows * s / slices, rows * (s + 1) / slices); each slice's gradient is summed
  // over its rows, the slice gradients are added in a fixed tree (fixed_tree_sum), and the rule
  // is applied to the total. The ranks of a Compute::cluster share the slices out (each rank
  // needs slices >= ranks), so 1, 2 or 4 ranks, and one process with the same slices, train the
  // same bits. 1: today's step, the update fused into the gradient's GEMM (other bits than any
  // slices > 1).
  std::int64_t slices = 1;
};

// CRC-32 (zlib's) of every parameter's bytes, layer by layer, weights then biases, as little-endian
// floats: a fingerprint that changes when any weight changes by one bit. Accuracy gates compare it
// with a committed value because training is bitwise reproducible.
std::uint32_t parameters_crc32(const Network& net);

// Throws std::invalid_argument unless rate > 0 and finite, batch >= 1, 0 <= momentum < 1 (and 0
// for adam), weight decay >= 0 and finite, 0 <= beta1, beta2 < 1, epsilon > 0 and finite, and
// 1 <= slices <= kMaxSlices.
inline constexpr std::int64_t kMaxSlices = 4096;
void validate_training(const TrainingOptions& options);

// Gradients of the mean loss over a batch, laid out like the network's layers.
struct Gradients {
  double loss = 0.0;
  std::vector<std::vector<float>> weights, biases;
};

// Called after each mini-batch with (samples done, samples in the epoch).
using ProgressCallback = std::function<void(std::int64_t, std::int64_t)>;

// Trains one network with one set of options: the buffers, the team of threads and the optimizer's
// state (momentum's velocity, Adam's moments and step count), which carry over from one step and
// one epoch to the next.
//
// Threads: one team for a window of steps (a whole epoch unless Compute::adapt_team), on one of two
// schedules per mini-batch. Below 16 rows a thread (the unit schedule), each thread owns a fixed
// share of every hidden layer's units (forward, backward and update) and every thread computes the
// output layer alike: two barriers per mini-batch for one hidden layer, two more per further one.
// From 16 rows a thread (the row schedule), each thread carries its share of the batch's rows
// forward and back through every layer, then updates its share of every layer's weight rows and
// biases: two barriers at any depth. No sum is ever split between threads, so the weights are
// bitwise the same for any thread count and either schedule. A network without a hidden layer
// trains on one thread. Sliced steps (TrainingOptions::slices > 1, or the ranks of
// Compute::cluster) run the team on one slice of the batch at a time, then sum the slices'
// gradients across the job.
class Trainer {
 public:
  Trainer(Network& net, const TrainingOptions& options, Compute compute);  // validates both
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // One epoch over `train` in an order drawn from `shuffle` (network.py shuffles every epoch; the
  // last batch may be smaller). Returns the mean training loss over the epoch. An image dataset's
  // rows are read from its pixel bytes (the same values as x; see Dataset). Throws
  // TrainingDiverged when a batch's loss is not finite (see also DivergenceGuard), leaving the
  // network as that batch's update left it.
  double epoch(const Dataset& train, Rng& shuffle, const ProgressCallback& progress = {});
  // One step on a batch of any size; returns its mean loss (computed before the update).
  double step(const float* x, const std::int32_t* labels, std::int64_t rows);
  // The batch's mean loss and its gradients, leaving the network and the optimizer unchanged
  // (the gradient of one slice: the whole batch summed as an unsliced step sums it).
  Gradients gradients(const float* x, const std::int32_t* labels, std::int64_t rows);

  // Threads in the team (at most Compute::threads: a share is at least 16 units); with
  // Compute::adapt_team, the team the last window of steps ran.
  int team() const;
  // Steps each team size has run so far: one entry unless Compute::adapt_team.
  std::map<int, std::int64_t> steps_by_team() const;
  // Wall seconds of the sliced steps so far, by phase: this rank's slice gradients, the exchange
  // (the tree sum across ranks, waiting for the slowest rank included), and the update.
  struct SlicePhases {
    double gradients = 0.0, exchange = 0.0, update = 0.0;
  };
  SlicePhases slice_phases() const;
  // Steps taken so far (Adam's t).
  std::int64_t steps() const;

  struct Workspace;  // defined in src/nn/workspace.hpp

 private:
  // TrainingOptions::slices > 1, or ranks to share the slices with (src/nn/sliced_step.cpp).
  bool sliced() const;
  double sliced_step(const float* x, const std::int32_t* labels, std::int64_t rows);
  double sliced_epoch(const Dataset& train, Rng& shuffle, const ProgressCallback& progress);

  Network& net_;
  TrainingOptions options_;
  std::unique_ptr<Workspace> work_;
};

// The network's outputs (sigmoid activations or softmax probabilities) for `rows` inputs, as
// computed: weights large enough to overflow float give NaN or infinite outputs.
void predict(const Network& net, const float* x, std::int64_t rows, float* outputs,
             const Compute& compute);

// Accuracy and confusion matrix; the prediction is the largest output (the lowest index on ties).
// Throws std::domain_error when an output is NaN or infinite: no class can be read from it.
Evaluation evaluate(const Network& net, const Dataset& data, const Compute& compute);

// Training stopped because the loss or the weights stopped being finite.
struct TrainingDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The first non-finite weight or bias, described ("layer 2 weight (3, 17) is nan"); empty if none.
std::string find_non_finite(const Network& net);

// Catches training that has blown up even where the loss stays finite: sigmoid and tanh saturate
// and ReLUs die, so a learning rate of 1000 gives a finite loss and chance accuracy while the
// weights grow. Measured on MNIST: healthy runs change a layer's RMS weight by 1.2-2x; rate 1000
// grows it 28x (network.py's sigmoid net) to 10^4x and more (ReLU nets). check() throws
// TrainingDiverged once some layer's RMS exceeds kMaxGrowth times max(its initial RMS, 0.1), or
// anything is NaN or infinite.
class DivergenceGuard {
 public:
  static constexpr double kMaxGrowth = 10.0;
  explicit DivergenceGuard(const Network& initial);
  void check(const Network& net, int epoch, float learning_rate) const;

 private:
  std::vector<double> initial_rms_;
};

}  // namespace simdml
