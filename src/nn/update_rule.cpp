#include "nn/update_rule.hpp"

#include <algorithm>
#include <cmath>

namespace simdml::nn {
namespace {

LineVector zeros(std::size_t n) { return LineVector(n, 0.0f); }

// Adam's constants for step t, from the options' floats in double, each rounded to float once.
AdamCoefficients adam_coefficients(const TrainingOptions& o, std::int64_t t) {
  const double beta1 = o.beta1, beta2 = o.beta2;
  const auto steps = static_cast<double>(t);
  AdamCoefficients c;
  c.beta1 = o.beta1;
  c.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  c.beta2 = o.beta2;
  c.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  c.epsilon = o.epsilon;
  c.step_size = static_cast<float>(o.learning_rate / (1.0 - std::pow(beta1, steps)));
  c.root_correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, steps)));
  c.weight_decay = o.weight_decay;
  return c;
}

}  // namespace

void TransposedWeights::load(const Layer& layer) {
  inputs = layer.inputs, outputs = layer.outputs;
  ld = std::max(ld, outputs);
  values.assign(static_cast<std::size_t>(inputs * ld), 0.0f);
  for (std::int64_t o = 0; o < outputs; ++o)
    for (std::int64_t i = 0; i < inputs; ++i)
      *at(i, o) = layer.weights[std::size_t(o * inputs + i)];
}

void TransposedWeights::store(const LineVector& m, std::vector<float>& w) const {
  for (std::int64_t i = 0; i < inputs; ++i)
    for (std::int64_t o = 0; o < outputs; ++o)
      w[std::size_t(o * inputs + i)] = m[std::size_t(i * ld + o)];
}

void TransposedWeights::store(Layer& layer) const { store(values, layer.weights); }

std::vector<LayerState> make_rule_state(const std::vector<TransposedWeights>& weights,
                                        const TrainingOptions& options, bool store) {
  std::vector<LayerState> states(weights.size());
  const bool momentum = options.optimizer == Optimizer::sgd && options.momentum > 0.0f;
  const bool adam = options.optimizer == Optimizer::adam;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    const auto w = static_cast<std::size_t>(weights[l].inputs * weights[l].ld);
    const auto b = static_cast<std::size_t>(weights[l].outputs);
    LayerState& s = states[l];
    if (momentum || adam) s.first_w = zeros(w), s.first_b = zeros(b);
    if (adam) s.second_w = zeros(w), s.second_b = zeros(b);
    if (adam || store) s.gradient_w = zeros(w), s.gradient_b = zeros(b);
  }
  return states;
}

UpdateRule::UpdateRule(const TrainingOptions& options, std::int64_t step, std::int64_t rows,
                       bool store)
    : options_(options) {
  const float inverse_rows = 1.0f / static_cast<float>(rows);
  if (store)
    kind_ = Kind::store;
  else if (options.optimizer == Optimizer::adam)
    kind_ = Kind::adam;
  else
    kind_ = options.momentum > 0.0f ? Kind::momentum : Kind::sgd;
  const bool descends = kind_ == Kind::sgd || kind_ == Kind::momentum;
  alpha_ = descends ? -options.learning_rate / static_cast<float>(rows) : inverse_rows;
  if (kind_ == Kind::adam) adam_ = adam_coefficients(options, step);
}

UpdateRule::GemmOutput UpdateRule::weight_gemm(TransposedWeights& w, LayerState& state) const {
  switch (kind_) {
    case Kind::store:
    case Kind::adam:
      return {state.gradient_w.data(), alpha_, 0.0f};
    case Kind::sgd:
      return {w.values.data(), alpha_, 1.0f - options_.learning_rate * options_.weight_decay};
    case Kind::momentum:
      return {state.first_w.data(), alpha_, options_.momentum};
  }
  return {nullptr, 0.0f, 0.0f};
}

void UpdateRule::finish_weights(TransposedWeights& w, LayerState& state, const WeightShare& share,
                                const ElementwiseKernels& act) const {
  if (kind_ != Kind::momentum && kind_ != Kind::adam) return;
  const float shrink = options_.learning_rate * options_.weight_decay;
  for (std::int64_t r = share.row0; r < share.row0 + share.rows; ++r) {
    const auto at = static_cast<std::size_t>(r * w.ld + share.col0);
    const auto n = static_cast<std::size_t>(share.cols);
    float* weights = w.values.data() + at;
    if (kind_ == Kind::adam) {
      act.adam_update(adam_, state.gradient_w.data() + at, weights, state.first_w.data() + at,
                      state.second_w.data() + at, n);
      continue;
    }
    float* v = state.first_w.data() + at;
    if (options_.weight_decay > 0.0f)
      for (std::size_t i = 0; i < n; ++i) v[i] -= shrink * weights[i];
    for (std::size_t i = 0; i < n; ++i) weights[i] += v[i];
  }
}

void UpdateRule::update_biases(Layer& layer, LayerState& state, UnitRange units, const float* sums,
                               const ElementwiseKernels& act) const {
  const auto n = static_cast<std::size_t>(units.size());
  const auto at = static_cast<std::size_t>(units.begin);
  float* b = layer.biases.data() + at;
  switch (kind_) {
    case Kind::store:
      for (std::size_t j = 0; j < n; ++j) state.gradient_b[at + j] = alpha_ * sums[j];
      break;
    case Kind::sgd:
      for (std::size_t j = 0; j < n; ++j) b[j] += alpha_ * sums[j];
      break;
    case Kind::momentum: {
      float* vb = state.first_b.data() + at;
      for (std::size_t j = 0; j < n; ++j) {
        vb[j] = options_.momentum * vb[j] + alpha_ * sums[j];
        b[j] += vb[j];
      }
      break;
    }
    case Kind::adam: {
      float* g = state.gradient_b.data() + at;
      for (std::size_t j = 0; j < n; ++j) g[j] = alpha_ * sums[j];
      AdamCoefficients no_decay = adam_;  // L2 is on the weights only
      no_decay.weight_decay = 0.0f;
      act.adam_update(no_decay, g, b, state.first_b.data() + at, state.second_b.data() + at, n);
      break;
    }
  }
}

void UpdateRule::apply_gradient(Layer& layer, TransposedWeights& w, LayerState& state,
                                const float* gradient_w, const float* gradient_b,
                                const ElementwiseKernels& act) const {
  const GemmOutput target = weight_gemm(w, state);
  const std::size_t n = w.values.size();
  if (target.beta == 0.0f)  // as the GEMM: beta = 0 never reads C
    for (std::size_t i = 0; i < n; ++i) target.c[i] = target.alpha * gradient_w[i];
  else
    for (std::size_t i = 0; i < n; ++i)
      target.c[i] = target.alpha * gradient_w[i] + target.beta * target.c[i];
  finish_weights(w, state, {0, w.inputs, 0, w.ld}, act);
  update_biases(layer, state, {0, layer.outputs}, gradient_b, act);
}

}  // namespace simdml::nn
