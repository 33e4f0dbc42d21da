#include "nn/forward.hpp"

#include <algorithm>
#include <cmath>

namespace simdml::nn {

Kernels resolve(const Compute& compute) {
  return {compute.gemm != nullptr ? *compute.gemm : gemm_kernel(GemmVariant::simd),
          compute.activation != nullptr ? *compute.activation : activations(),
          std::max(1, compute.threads)};
}

void check_features(const Network& net, const Dataset& data) {
  if (data.features != net.inputs())
    throw std::invalid_argument(data.name + " has " + std::to_string(data.features) +
                                " features; the network takes " + std::to_string(net.inputs()));
  if (data.classes > net.outputs())
    throw std::invalid_argument(data.name + " has " + std::to_string(data.classes) +
                                " classes; the network has " + std::to_string(net.outputs()) +
                                " outputs");
}

ForwardBuffers::ForwardBuffers(const Network& net, std::int64_t max_rows) {
  for (const Layer& layer : net.layers)
    out.emplace_back(static_cast<std::size_t>(max_rows * layer.outputs));
  if (net.loss == Loss::cross_entropy)
    logits.resize(static_cast<std::size_t>(max_rows * net.outputs()));
}

void affine(const Layer& layer, Weights w, Rows in, std::int64_t rows, UnitRange units, Rows z,
            const GemmKernel& gemm, const GemmExecution& execution) {
  // The biases are copied into every row first, so the GEMM adds onto them; units past the
  // layer's (training's padding, whose weights are zero) get zero.
  const std::int64_t real_end = std::max(units.begin, std::min(units.end, layer.outputs));
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = z.row(r);
    std::copy(layer.biases.begin() + units.begin, layer.biases.begin() + real_end,
              row + units.begin);
    std::fill(row + real_end, row + units.end, 0.0f);
  }
  GemmProblem p;
  p.trans_b = w.layout;
  p.m = rows, p.n = units.size(), p.k = layer.inputs;
  p.a = in.data, p.lda = in.ld;
  p.b = w.data + (w.layout == Trans::yes ? units.begin * w.ld : units.begin), p.ldb = w.ld;
  p.beta = 1.0f;
  p.c = z.data + units.begin, p.ldc = z.ld;
  sgemm(gemm, p, execution);
}

namespace {

// f on each row's units; whole rows at once when the units are all of them.
template <class Kernel>
void on_rows(Rows z, std::int64_t rows, UnitRange units, Kernel kernel) {
  if (units.begin == 0 && units.end == z.ld) {
    kernel(0, static_cast<std::size_t>(rows * z.ld));
    return;
  }
  for (std::int64_t r = 0; r < rows; ++r)
    kernel(r * z.ld + units.begin, static_cast<std::size_t>(units.size()));
}

UnaryKernel forward_kernel(Activation a, const ElementwiseKernels& act) {
  switch (a) {
    case Activation::sigmoid:
      return act.sigmoid;
    case Activation::tanh:
      return act.tanh;
    case Activation::relu:
      return act.relu;
  }
  return act.sigmoid;
}

BackwardKernel backward_kernel(Activation a, const ElementwiseKernels& act) {
  switch (a) {
    case Activation::sigmoid:
      return act.sigmoid_backward;
    case Activation::tanh:
      return act.tanh_backward;
    case Activation::relu:
      return act.relu_backward;
  }
  return act.sigmoid_backward;
}

}  // namespace

void activate(Activation a, const ElementwiseKernels& act, Rows z, std::int64_t rows,
              UnitRange units) {
  const UnaryKernel f = forward_kernel(a, act);
  on_rows(z, rows, units, [&](std::int64_t at, std::size_t n) { f(z.data + at, z.data + at, n); });
}

void activation_backward(Activation a, const ElementwiseKernels& act, Rows y, Rows delta,
                         std::int64_t rows, UnitRange units) {
  const BackwardKernel f = backward_kernel(a, act);
  on_rows(delta, rows, units, [&](std::int64_t at, std::size_t n) {
    f(y.data + at, delta.data + at, delta.data + at, n);
  });
}

void forward(const Network& net, const float* x, std::int64_t rows, const Kernels& kernels,
             ForwardBuffers& buffers) {
  const float* in = x;
  const std::size_t last = net.layers.size() - 1;
  for (std::size_t l = 0; l <= last; ++l) {
    const Layer& layer = net.layers[l];
    const UnitRange all{0, layer.outputs};
    const Rows out{buffers.out[l].data(), layer.outputs};
    const bool softmax = l == last && net.loss == Loss::cross_entropy;
    const Rows z = softmax ? Rows{buffers.logits.data(), layer.outputs} : out;
    affine(layer, {layer.weights.data(), layer.inputs, Trans::yes},
           {const_cast<float*>(in), layer.inputs}, rows, all, z, kernels.gemm,
           layer_execution(layer, rows, kernels, GemmSplit::columns));
    if (l < last)
      activate(net.hidden[l], kernels.act, out, rows, all);
    else if (!softmax)
      kernels.act.sigmoid(out.data, out.data, static_cast<std::size_t>(rows * layer.outputs));
    else
      kernels.act.softmax_rows(z.data, out.data, static_cast<std::size_t>(rows),
                               static_cast<std::size_t>(layer.outputs));
    in = out.data;
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

double batch_loss(const Network& net, const float* outputs, const float* logits,
                  const std::int32_t* labels, std::int64_t rows) {
  const std::int64_t classes = net.outputs();
  const double total = net.loss == Loss::quadratic
                           ? quadratic_loss_sum(outputs, labels, rows, classes)
                           : cross_entropy_loss_sum(logits, labels, rows, classes);
  return total / static_cast<double>(rows);
}

}  // namespace simdml::nn
