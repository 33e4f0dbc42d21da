// The unit schedule of a training step, for batches below kRowsPerThread rows a thread.
//
// Thread t owns share(l, t) of every hidden layer l's units: their columns of the layer's outputs
// and deltas, their rows of its weights, their biases; and, of the output layer, the weight columns
// that meet its share of the last hidden layer. It computes the forward pass, the backward pass and
// the update of what it owns. The output layer is small (a classifier's 10 units), so every thread
// computes its forward pass and delta alike, into buffers of its own, rather than meet once more.
// One step of a network with one hidden layer is then
//
//   A  hidden outputs, own columns               barrier S1 (the whole hidden layer is needed)
//   B  output layer (every thread alike); gather own rows of the next batch
//                                                barrier S2 (no thread reads the output weights
//                                                or the next batch any more)
//   C  own columns of the delta handed down; own columns of the output weights; own rows of the
//      hidden weights; thread 0 also the output biases and the batch's loss
//
// and nothing of C is read by another thread before the next step's S1. Deeper networks add two
// barriers per further hidden layer (its delta must be whole before it is handed down, and the
// weights it was handed down through must be read by all before they change).
//
#include "nn/thread_step.hpp"

namespace simdml::nn {

bool ThreadStep::hidden_forward(const float* x, std::int64_t rows) {
  for (std::size_t l = 0; l < w_.hidden.size(); ++l) {
    if (l > 0 && !sync_.barrier(t_)) return false;
    sync_.work(t_, [&] {
      const UnitRange own = share(l);
      const Rows out = w_.hidden[l].out_rows();
      affine(net_.layers[l], weights(l), input(l, x), rows, own, out, w_.kernels.gemm, {1});
      activate(net_.hidden[l], w_.kernels.act, out, rows, own);
    });
  }
  return sync_.barrier(t_);
}

void ThreadStep::output_forward(const float* x, const std::int32_t* labels, std::int64_t rows) {
  output_layer(input(net_.layers.size() - 1, x), mine_, 0, labels, rows);
}

bool ThreadStep::backward(const float* x, std::int64_t rows) {
  const std::size_t last = net_.layers.size() - 1;
  sync_.work(t_, [&] { output_layer_backward(x, rows); });
  for (std::size_t l = last - 1; l >= 1 && l < last; --l) {
    if (!sync_.barrier(t_)) return false;  // delta of hidden layer l is whole
    sync_.work(t_, [&] { hand_down(l, rows); });
    if (!sync_.barrier(t_)) return false;  // every thread has read W_l
    sync_.work(t_, [&] { update_hidden(l, x, rows); });
  }
  if (last >= 1) sync_.work(t_, [&] { update_hidden(0, x, rows); });
  // The updates above read every column of the hidden outputs below them, which the next
  // step's forward pass overwrites.
  return last < 2 || sync_.barrier(t_);
}

void ThreadStep::output_layer_backward(const float* x, std::int64_t rows) {
  const std::size_t last = net_.layers.size() - 1;
  Layer& layer = net_.layers[last];
  const Rows delta{mine_.delta.data(), layer.outputs};
  const UnitRange all_outputs{0, layer.outputs};
  const UnitRange own = last == 0 ? UnitRange{0, layer.inputs} : valid(last - 1);
  if (last > 0) {  // own columns of the delta handed down, before the weights change
    HiddenLayer& below = w_.hidden[last - 1];
    multiply_down(last, delta, all_outputs, own, below.delta_rows(), rows);
    activation_backward(net_.hidden[last - 1], w_.kernels.act, below.out_rows(), below.delta_rows(),
                        rows, own);
  }
  weight_gradient(last, delta, all_outputs, input(last, x), own, rows);
  if (t_ == 0) {
    column_sums(delta, rows, all_outputs, mine_.sums.data());
    rule_.update_biases(layer, layer_state(last), all_outputs, mine_.sums.data(), w_.kernels.act);
  }
}

// Hidden layer l hands its (whole) delta down to own columns of layer l - 1.
void ThreadStep::hand_down(std::size_t l, std::int64_t rows) {
  HiddenLayer &h = w_.hidden[l], &below = w_.hidden[l - 1];
  const UnitRange own_below = valid(l - 1);
  multiply_down(l, h.delta_rows(), {0, net_.layers[l].outputs}, own_below, below.delta_rows(),
                rows);
  activation_backward(net_.hidden[l - 1], w_.kernels.act, below.out_rows(), below.delta_rows(),
                      rows, own_below);
}

// Own rows of hidden layer l's weights and own biases.
void ThreadStep::update_hidden(std::size_t l, const float* x, std::int64_t rows) {
  Layer& layer = net_.layers[l];
  HiddenLayer& h = w_.hidden[l];
  weight_gradient(l, h.delta_rows(), share(l), input(l, x), {0, layer.inputs}, rows);
  const UnitRange own = valid(l);
  column_sums(h.delta_rows(), rows, own, mine_.sums.data());
  rule_.update_biases(layer, layer_state(l), own, mine_.sums.data(), w_.kernels.act);
}

}  // namespace simdml::nn
