// Backpropagation on whole mini-batches: per layer, one GEMM hands the delta down and one applies
// (or stores) the weight gradient; the activation kernels supply the derivatives.
#include <algorithm>

#include "nn/forward.hpp"

namespace simdml {
namespace {

// dLoss/dz of the output layer, from its outputs a: (a - y) * a(1 - a) for sigmoid + quadratic,
// a - y for softmax + cross-entropy (y one-hot).
void output_delta(const Network& net, const float* a, const std::int32_t* labels, std::int64_t rows,
                  const ActivationKernels& act, float* delta) {
  const std::int64_t classes = net.outputs();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < classes; ++j)
      delta[r * classes + j] = a[r * classes + j] - (j == labels[r] ? 1.0f : 0.0f);
  if (net.loss == Loss::quadratic)
    act.sigmoid_backward(a, delta, delta, static_cast<std::size_t>(rows * classes));
}

void activation_backward(Activation a, const ActivationKernels& act, const float* y, float* delta,
                         std::size_t n) {
  switch (a) {
    case Activation::sigmoid:
      act.sigmoid_backward(y, delta, delta, n);
      break;
    case Activation::tanh:
      act.tanh_backward(y, delta, delta, n);
      break;
    case Activation::relu:
      act.relu_backward(y, delta, delta, n);
      break;
  }
}

// sums[j] = sum over rows of delta[r][j], in row order.
void column_sums(const float* delta, std::int64_t rows, std::int64_t cols, float* sums) {
  std::fill(sums, sums + cols, 0.0f);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < cols; ++j) sums[j] += delta[r * cols + j];
}

}  // namespace

// What the backward pass does with each layer's gradient: store it (as the batch mean) or take an
// SGD step. Both are the one GEMM C = alpha * delta^T * in + beta * C:
//   store:              C = G, alpha = 1 / rows,     beta = 0
//   SGD:                C = W, alpha = -rate / rows, beta = 1 - rate * decay   (no extra pass over
//   W) SGD with momentum:  C = V, alpha = -rate / rows, beta = momentum; then V -= rate * decay *
//   W; W += V
struct Trainer::Update {
  const SgdOptions* sgd = nullptr;  // nullptr: store into `gradients`
  Gradients* gradients = nullptr;
};

struct Trainer::Workspace {
  nn::Kernels kernels;
  nn::ForwardBuffers forward;
  std::vector<std::vector<float>> delta;                   // per layer: dLoss/dz, rows x outputs
  std::vector<std::vector<float>> velocity_w, velocity_b;  // momentum, allocated on first use
  std::vector<float> bias_sums;
};

Trainer::Trainer(Network& net, std::int64_t max_rows, Compute compute)
    : net_(net), max_rows_(max_rows) {
  if (max_rows < 1) throw std::invalid_argument("a batch needs at least one row");
  work_.reset(
      new Workspace{nn::resolve(compute), nn::ForwardBuffers(net, max_rows), {}, {}, {}, {}});
  for (const Layer& layer : net.layers)
    work_->delta.emplace_back(static_cast<std::size_t>(max_rows * layer.outputs));
}

Trainer::~Trainer() = default;

double Trainer::forward_and_output_delta(const float* x, const std::int32_t* labels,
                                         std::int64_t rows) {
  if (rows < 1 || rows > max_rows_)
    throw std::invalid_argument("batch of " + std::to_string(rows) +
                                " rows; this trainer takes 1 to " + std::to_string(max_rows_));
  nn::forward(net_, x, rows, work_->kernels, work_->forward);
  output_delta(net_, work_->forward.out.back().data(), labels, rows, work_->kernels.act,
               work_->delta.back().data());
  return nn::batch_loss(net_, work_->forward, labels, rows);
}

void Trainer::backward(const float* x, std::int64_t rows, const Update& update) {
  const nn::Kernels& k = work_->kernels;
  const SgdOptions* sgd = update.sgd;
  for (std::size_t l = net_.layers.size(); l-- > 0;) {
    Layer& layer = net_.layers[l];
    const float* in = l == 0 ? x : work_->forward.out[l - 1].data();
    const float* delta = work_->delta[l].data();

    // Hand the delta down first: it needs this layer's weights before they change.
    if (l > 0) {
      GemmProblem down;
      down.m = rows, down.n = layer.inputs, down.k = layer.outputs;
      down.a = delta, down.lda = layer.outputs;
      down.b = layer.weights.data(), down.ldb = layer.inputs;
      down.c = work_->delta[l - 1].data(), down.ldc = layer.inputs;
      sgemm(k.gemm, down, {k.threads});
      activation_backward(net_.hidden[l - 1], k.act, in, work_->delta[l - 1].data(),
                          static_cast<std::size_t>(rows * layer.inputs));
    }

    GemmProblem grad;
    grad.trans_a = Trans::yes;
    grad.m = layer.outputs, grad.n = layer.inputs, grad.k = rows;
    grad.a = delta, grad.lda = layer.outputs;
    grad.b = in, grad.ldb = layer.inputs;
    grad.ldc = layer.inputs;
    if (sgd == nullptr) {
      grad.c = update.gradients->weights[l].data();
      grad.alpha = 1.0f / static_cast<float>(rows);
      grad.beta = 0.0f;
    } else {
      grad.alpha = -sgd->learning_rate / static_cast<float>(rows);
      const bool momentum = sgd->momentum > 0.0f;
      grad.c = momentum ? work_->velocity_w[l].data() : layer.weights.data();
      grad.beta = momentum ? sgd->momentum : 1.0f - sgd->learning_rate * sgd->weight_decay;
    }
    sgemm(k.gemm, grad, nn::layer_execution(layer, rows, k, GemmSplit::rows));

    work_->bias_sums.resize(static_cast<std::size_t>(layer.outputs));
    column_sums(delta, rows, layer.outputs, work_->bias_sums.data());
    update_biases(l, update, grad.alpha);
  }
}

// Biases follow the weights' rule without decay; the momentum case also finishes the weights.
void Trainer::update_biases(std::size_t l, const Update& update, float alpha) {
  Layer& layer = net_.layers[l];
  const std::vector<float>& sums = work_->bias_sums;
  const SgdOptions* sgd = update.sgd;
  if (sgd == nullptr) {
    for (std::size_t j = 0; j < sums.size(); ++j) update.gradients->biases[l][j] = alpha * sums[j];
  } else if (sgd->momentum > 0.0f) {
    std::vector<float>& w = layer.weights;
    std::vector<float>& v = work_->velocity_w[l];
    if (sgd->weight_decay > 0.0f) {
      const float shrink = sgd->learning_rate * sgd->weight_decay;
      for (std::size_t i = 0; i < w.size(); ++i) v[i] -= shrink * w[i];
    }
    for (std::size_t i = 0; i < w.size(); ++i) w[i] += v[i];
    std::vector<float>& vb = work_->velocity_b[l];
    for (std::size_t j = 0; j < sums.size(); ++j) {
      vb[j] = sgd->momentum * vb[j] + alpha * sums[j];
      layer.biases[j] += vb[j];
    }
  } else {
    for (std::size_t j = 0; j < sums.size(); ++j) layer.biases[j] += alpha * sums[j];
  }
}

double Trainer::step(const float* x, const std::int32_t* labels, std::int64_t rows,
                     const SgdOptions& sgd) {
  if (sgd.momentum > 0.0f && work_->velocity_w.empty()) {
    for (const Layer& layer : net_.layers) {
      work_->velocity_w.emplace_back(layer.weights.size(), 0.0f);
      work_->velocity_b.emplace_back(layer.biases.size(), 0.0f);
    }
  }
  const double loss = forward_and_output_delta(x, labels, rows);
  backward(x, rows, Update{&sgd, nullptr});
  return loss;
}

Gradients Trainer::gradients(const float* x, const std::int32_t* labels, std::int64_t rows) {
  Gradients g;
  for (const Layer& layer : net_.layers) {
    g.weights.emplace_back(layer.weights.size());
    g.biases.emplace_back(layer.biases.size());
  }
  g.loss = forward_and_output_delta(x, labels, rows);
  backward(x, rows, Update{nullptr, &g});
  return g;
}

}  // namespace simdml
