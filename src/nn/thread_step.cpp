// What both schedules of a step use: the output layer, the weight gradient into the update rule's
// target, the product that hands a delta down, and the accessors of the team's buffers.
#include "nn/thread_step.hpp"

#include <algorithm>

namespace simdml::nn {
namespace {

// dLoss/dz of the output layer, from its outputs a: (a - y) * a(1 - a) for sigmoid + quadratic,
// a - y for softmax + cross-entropy (y one-hot).
void output_delta(const Network& net, const float* a, const std::int32_t* labels, std::int64_t rows,
                  const ElementwiseKernels& act, float* delta) {
  const std::int64_t classes = net.outputs();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < classes; ++j)
      delta[r * classes + j] = a[r * classes + j] - (j == labels[r] ? 1.0f : 0.0f);
  if (net.loss == Loss::quadratic)
    act.sigmoid_backward(a, delta, delta, static_cast<std::size_t>(rows * classes));
}

}  // namespace

void column_sums(Rows delta, std::int64_t rows, UnitRange units, float* sums) {
  std::fill(sums, sums + units.size(), 0.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = delta.row(r) + units.begin;
    for (std::int64_t j = 0; j < units.size(); ++j) sums[j] += row[j];
  }
}

// The output layer's outputs and delta for `rows` rows of its input, into rows [first, ...) of `o`.
void ThreadStep::output_layer(Rows in, ThreadBuffers& o, std::int64_t first,
                              const std::int32_t* labels, std::int64_t rows) {
  const std::size_t last = net_.layers.size() - 1;
  const Layer& layer = net_.layers[last];
  const bool softmax = net_.loss == Loss::cross_entropy;
  const Rows out = from_row({o.out.data(), layer.outputs}, first);
  const Rows z = softmax ? from_row({o.logits.data(), layer.outputs}, first) : out;
  affine(layer, weights(last), in, rows, {0, layer.outputs}, z, w_.kernels.gemm, {1});
  const auto n = static_cast<std::size_t>(rows * layer.outputs);
  if (softmax)
    w_.kernels.act.softmax_rows(z.data, out.data, static_cast<std::size_t>(rows),
                                static_cast<std::size_t>(layer.outputs));
  else
    w_.kernels.act.sigmoid(out.data, out.data, n);
  output_delta(net_, out.data, labels, rows, w_.kernels.act,
               from_row(output_delta_rows(o), first).data);
}

double ThreadStep::batch_loss(const ThreadBuffers& output, const std::int32_t* labels,
                              std::int64_t rows) const {
  return nn::batch_loss(net_, output.out.data(), output.logits.data(), labels, rows);
}

UnitRange ThreadStep::valid(std::size_t hidden_layer) const {
  const UnitRange s = share(hidden_layer);
  const std::int64_t units = net_.layers[hidden_layer].outputs;
  return {std::min(s.begin, units), std::min(s.end, units)};
}

Weights ThreadStep::weights(std::size_t l) const {
  const TransposedWeights& t = w_.weights[l];
  return {t.values.data(), t.ld, Trans::no};
}

Rows ThreadStep::input(std::size_t l, const float* x) const {
  if (l == 0) return {const_cast<float*>(x), net_.inputs()};
  HiddenLayer& h = w_.hidden[l - 1];
  return {h.out.data(), h.ld};
}

// The rule's target for layer l += in[:, in_cols]^T * delta[:, delta_cols] over the batch: the
// share (in_cols x delta_cols) of the transposed weights.
void ThreadStep::weight_gradient(std::size_t l, Rows delta, UnitRange delta_cols, Rows in,
                                 UnitRange in_cols, std::int64_t rows) {
  TransposedWeights& t = w_.weights[l];
  LayerState& state = layer_state(l);
  const UpdateRule::GemmOutput target = rule_.weight_gemm(t, state);
  GemmProblem g;
  g.trans_a = Trans::yes;
  g.m = in_cols.size(), g.n = delta_cols.size(), g.k = rows;
  g.a = in.data + in_cols.begin, g.lda = in.ld;
  g.b = delta.data + delta_cols.begin, g.ldb = delta.ld;
  g.alpha = target.alpha, g.beta = target.beta;
  g.c = target.c + in_cols.begin * t.ld + delta_cols.begin, g.ldc = t.ld;
  sgemm(w_.kernels.gemm, g, {1});
  rule_.finish_weights(t, state,
                       {in_cols.begin, in_cols.size(), delta_cols.begin, delta_cols.size()},
                       w_.kernels.act);
}

// below[:, cols] = delta[:, delta_cols] * W[delta_cols, cols] for the weights of layer l: W^T's
// rows [cols), read transposed.
void ThreadStep::multiply_down(std::size_t l, Rows delta, UnitRange delta_cols, UnitRange cols,
                               Rows below, std::int64_t rows) {
  const TransposedWeights& t = w_.weights[l];
  GemmProblem down;
  down.trans_b = Trans::yes;
  down.m = rows, down.n = cols.size(), down.k = delta_cols.size();
  down.a = delta.data + delta_cols.begin, down.lda = delta.ld;
  down.b = t.values.data() + cols.begin * t.ld + delta_cols.begin, down.ldb = t.ld;
  down.c = below.data + cols.begin, down.ldc = below.ld;
  sgemm(w_.kernels.gemm, down, {1});
}

double team_step(Network& net, Trainer::Workspace& w, const UpdateRule& rule, const float* x,
                 const std::int32_t* labels, std::int64_t rows) {
  double loss = 0.0;
  run_team(w.team, [&](int t, TeamSync& sync) {
    ThreadStep(net, w, rule, t, sync)
        .run(
            x, labels, rows, [] {}, [&](double l) { loss = l; });
  });
  return loss;
}

}  // namespace simdml::nn
