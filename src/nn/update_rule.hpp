// How one step changes a layer's parameters: SGD (plain or with momentum), Adam, or no change but
// the gradient stored (Trainer::gradients). Every rule starts from the one weight-gradient GEMM
//   C = alpha * delta^T * in + beta * C
// written where the rule wants it, and each thread applies the rule to its own share of a layer.
// The weights are held transposed while training (TransposedWeights), and so is every matrix here:
//   store:              C = G, alpha = 1 / rows,     beta = 0
//   SGD:                C = W, alpha = -rate / rows, beta = 1 - rate * decay (no extra pass over W)
//   SGD with momentum:  C = V, alpha = -rate / rows, beta = momentum; then V -= rate * decay * W,
//                       W += V
//   Adam:               C = G, alpha = 1 / rows,     beta = 0; then the Adam kernel on (G, W, M, V)
// A sliced step (TrainingOptions::slices) computes G with the store rule, slice by slice, and
// applies the rule to their sum with apply_gradient.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/team.hpp"
#include "simdml/network.hpp"

namespace simdml::nn {

// A layer's weights as training holds them: W^T, inputs x ld (ld >= outputs, the columns past
// outputs zero), so that the forward product reads them in place instead of transposing W at
// every step (docs/experiments.md#e66).
struct TransposedWeights {
  std::int64_t inputs = 0, outputs = 0, ld = 0;
  LineVector values;
  float* at(std::int64_t input, std::int64_t output) { return values.data() + input * ld + output; }
  void load(const Layer& layer);   // values = W^T
  void store(Layer& layer) const;  // W = values^T
  // w = m^T for a matrix m laid out like `values` (a gradient of these weights).
  void store(const LineVector& m, std::vector<float>& w) const;
};

// A rectangle of a TransposedWeights matrix: inputs [row0, row0 + rows), outputs [col0, ...).
struct WeightShare {
  std::int64_t row0, rows, col0, cols;
};

// What a rule keeps for one layer between steps, laid out like its TransposedWeights: momentum's
// velocity in `first`, Adam's moments in `first` and `second`; and the gradient (Adam, store).
struct LayerState {
  LineVector first_w, second_w, first_b, second_b, gradient_w, gradient_b;
};

// The state a rule needs for every layer, zeroed; `store` adds the gradient of the store rule.
std::vector<LayerState> make_rule_state(const std::vector<TransposedWeights>& weights,
                                        const TrainingOptions& options, bool store = false);

class UpdateRule {
 public:
  // The rule for step `step` (1-based: Adam's t) on a batch of `rows`; `store`: leave the
  // parameters and write the mean gradients into the state's gradient buffers instead.
  UpdateRule(const TrainingOptions& options, std::int64_t step, std::int64_t rows,
             bool store = false);

  struct GemmOutput {
    float* c;  // the whole matrix (ld of the weights); the share's offset is added by the caller
    float alpha, beta;
  };
  bool stores() const { return kind_ == Kind::store; }
  GemmOutput weight_gemm(TransposedWeights& w, LayerState& state) const;
  // After the GEMM has written the share: the rest of the rule there.
  void finish_weights(TransposedWeights& w, LayerState& state, const WeightShare& share,
                      const ElementwiseKernels& act) const;
  // Biases [units) from the batch's sums of delta over rows (sums[j] for unit units.begin + j).
  void update_biases(Layer& layer, LayerState& state, UnitRange units, const float* sums,
                     const ElementwiseKernels& act) const;
  // The whole rule from a gradient already summed (sliced steps; construct the rule with rows = 1
  // when the gradient is the batch's mean): C = alpha * G + beta * C on every element (the GEMM's
  // epilogue, here with two roundings; beta = 0 never reads C), then finish_weights and biases.
  void apply_gradient(Layer& layer, TransposedWeights& w, LayerState& state,
                      const float* gradient_w, const float* gradient_b,
                      const ElementwiseKernels& act) const;

 private:
  enum class Kind { store, sgd, momentum, adam };
  Kind kind_;
  const TrainingOptions& options_;
  float alpha_;
  AdamCoefficients adam_;
};

}  // namespace simdml::nn
