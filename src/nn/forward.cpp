#include "nn/forward.hpp"

#include <algorithm>
#include <cmath>

namespace simdml::nn {

Kernels resolve(const Compute& compute) {
  return {compute.gemm != nullptr ? *compute.gemm : gemm_kernel(GemmVariant::simd),
          compute.activation != nullptr ? *compute.activation : activations(),
          std::max(1, compute.threads)};
}

ForwardBuffers::ForwardBuffers(const Network& net, std::int64_t max_rows) {
  for (const Layer& layer : net.layers)
    out.emplace_back(static_cast<std::size_t>(max_rows * layer.outputs));
  if (net.loss == Loss::cross_entropy)
    logits.resize(static_cast<std::size_t>(max_rows * net.outputs()));
}

namespace {

// z = in * W^T + b: the biases are copied into every row first, so the GEMM adds onto them.
void affine(const Layer& layer, const float* in, std::int64_t rows, float* z,
            const Kernels& kernels) {
  for (std::int64_t r = 0; r < rows; ++r)
    std::copy(layer.biases.begin(), layer.biases.end(), z + r * layer.outputs);
  GemmProblem p;
  p.trans_b = Trans::yes;
  p.m = rows, p.n = layer.outputs, p.k = layer.inputs;
  p.a = in, p.lda = layer.inputs;
  p.b = layer.weights.data(), p.ldb = layer.inputs;
  p.beta = 1.0f;
  p.c = z, p.ldc = layer.outputs;
  sgemm(kernels.gemm, p, layer_execution(layer, rows, kernels, GemmSplit::columns));
}

void activate(Activation a, const ActivationKernels& act, float* z, std::size_t n) {
  switch (a) {
    case Activation::sigmoid:
      act.sigmoid(z, z, n);
      break;
    case Activation::tanh:
      act.tanh(z, z, n);
      break;
    case Activation::relu:
      act.relu(z, z, n);
      break;
  }
}

}  // namespace

void forward(const Network& net, const float* x, std::int64_t rows, const Kernels& kernels,
             ForwardBuffers& buffers) {
  const float* in = x;
  const std::size_t last = net.layers.size() - 1;
  for (std::size_t l = 0; l <= last; ++l) {
    const Layer& layer = net.layers[l];
    float* out = buffers.out[l].data();
    const auto n = static_cast<std::size_t>(rows * layer.outputs);
    if (l < last) {
      affine(layer, in, rows, out, kernels);
      activate(net.hidden[l], kernels.act, out, n);
    } else if (net.loss == Loss::quadratic) {
      affine(layer, in, rows, out, kernels);
      kernels.act.sigmoid(out, out, n);
    } else {
      affine(layer, in, rows, buffers.logits.data(), kernels);
      kernels.act.softmax_rows(buffers.logits.data(), out, static_cast<std::size_t>(rows),
                               static_cast<std::size_t>(layer.outputs));
    }
    in = out;
  }
}

namespace {

// Sums in the same order as one loop over all the outputs would. Kept apart from the cross-entropy
// loop, whose libm calls made GCC keep the running total in memory: a store-to-load round trip on
// every output, 10 us per batch of 256 rows, serial work that idled the second thread.
double quadratic_loss_sum(const float* a, const std::int32_t* labels, std::int64_t rows,
                          std::int64_t classes) {
  double total = 0.0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < classes; ++j) {
      const double diff = static_cast<double>(a[r * classes + j]) - (j == labels[r] ? 1.0 : 0.0);
      total += 0.5 * diff * diff;
    }
  return total;
}

// -log softmax(z)[label] = log sum exp(z - max) + max - z[label], stable for any logits.
double cross_entropy_loss_sum(const float* z, const std::int32_t* labels, std::int64_t rows,
                              std::int64_t classes) {
  double total = 0.0;
  for (std::int64_t r = 0; r < rows; ++r, z += classes) {
    const double max = *std::max_element(z, z + classes);
    double sum = 0.0;
    for (std::int64_t j = 0; j < classes; ++j) sum += std::exp(static_cast<double>(z[j]) - max);
    total += std::log(sum) + max - static_cast<double>(z[labels[r]]);
  }
  return total;
}

}  // namespace

double batch_loss(const Network& net, const ForwardBuffers& buffers, const std::int32_t* labels,
                  std::int64_t rows) {
  const std::int64_t classes = net.outputs();
  const double total = net.loss == Loss::quadratic
                           ? quadratic_loss_sum(buffers.out.back().data(), labels, rows, classes)
                           : cross_entropy_loss_sum(buffers.logits.data(), labels, rows, classes);
  return total / static_cast<double>(rows);
}

}  // namespace simdml::nn
