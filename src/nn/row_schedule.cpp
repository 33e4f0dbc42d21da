// The row schedule of a training step, from kRowsPerThread rows a thread.
//
// Thread t owns a contiguous share of the batch's rows through the forward and backward passes
// (every layer, all units), and a share of each layer's inputs (its rows of the transposed
// weights) and of its units' biases for the update:
//
//   R1  own rows: forward and backward through every layer; reads the weights only
//                                                barrier B1 (every row's deltas are whole)
//   R2  own rows of every layer's transposed weights, own biases; gather own rows of the next
//      batch; thread 0 also the output biases and the batch's loss
//                                                barrier B2 (the weights are whole again)
//
// whatever the depth. A product on 16 units is broadcast-bound (one FMA per broadcast element of
// A): from batch 64 on, 2 threads trained 1.1-1.3x faster on shares of rows than on shares of
// units, the other core's weight rows fetched at every step included (docs/experiments.md#e70).
//
#include "nn/thread_step.hpp"

namespace simdml::nn {

void ThreadStep::rows_forward_backward(const float* x, const std::int32_t* labels,
                                       std::int64_t rows) {
  const UnitRange mine = row_share(rows, w_.team, t_);
  const std::int64_t n = mine.size();
  if (n == 0) return;
  const std::size_t last = net_.layers.size() - 1;
  for (std::size_t l = 0; l < last; ++l) {
    HiddenLayer& h = w_.hidden[l];
    const Rows out = from_row(h.out_rows(), mine.begin);
    affine(net_.layers[l], weights(l), from_row(input(l, x), mine.begin), n, {0, h.ld}, out,
           w_.kernels.gemm, {1});
    activate(net_.hidden[l], w_.kernels.act, out, n, {0, h.ld});
  }
  ThreadBuffers& o = w_.batch_output;
  output_layer(from_row(input(last, x), mine.begin), o, mine.begin, labels + mine.begin, n);
  Rows delta = from_row(output_delta_rows(o), mine.begin);
  for (std::size_t l = last; l >= 1; --l) {
    HiddenLayer& below = w_.hidden[l - 1];
    const Rows below_delta = from_row(below.delta_rows(), mine.begin);
    const UnitRange units{0, net_.layers[l - 1].outputs};
    multiply_down(l, delta, {0, net_.layers[l].outputs}, units, below_delta, n);
    activation_backward(net_.hidden[l - 1], w_.kernels.act, from_row(below.out_rows(), mine.begin),
                        below_delta, n, units);
    delta = below_delta;
  }
}

// A share of each hidden layer's units gets its biases, and the output layer's go to thread 0.
void ThreadStep::rows_update(const float* x, std::int64_t rows) {
  const std::size_t last = net_.layers.size() - 1;
  for (std::size_t l = 0; l <= last; ++l) {
    Layer& layer = net_.layers[l];
    const UnitRange in = unit_share(layer.inputs, w_.team, t_);
    const bool output = l == last;
    const Rows delta = output ? output_delta_rows(w_.batch_output) : w_.hidden[l].delta_rows();
    const UnitRange columns{0, output ? layer.outputs : w_.hidden[l].ld};
    if (in.size() > 0) weight_gradient(l, delta, columns, input(l, x), in, rows);
    const UnitRange own = output ? UnitRange{0, t_ == 0 ? layer.outputs : 0} : valid(l);
    if (own.size() == 0) continue;
    column_sums(delta, rows, own, mine_.sums.data());
    rule_.update_biases(layer, layer_state(l), own, mine_.sums.data(), w_.kernels.act);
  }
}

}  // namespace simdml::nn
