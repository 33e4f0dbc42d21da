// What a Trainer keeps between steps: the team's plan, the shared activations and deltas, the
// weights in training's layout and the update rule's state. Shared by the Trainer (trainer.cpp),
// the team's step (thread_step.hpp) and the sliced step (sliced_step.cpp).
#pragma once

#include <memory>
#include <vector>

#include "nn/forward.hpp"
#include "nn/team.hpp"
#include "nn/team_tuner.hpp"
#include "nn/update_rule.hpp"
#include "simdml/network.hpp"

namespace simdml {
namespace nn {

// One hidden layer's outputs and deltas, shared by the team. Rows are padded to whole cache lines
// (16 floats): the threads' shares never meet in one line, and every product on a share runs on
// whole vectors, reading its operands in place (docs/experiments.md#e66). The padding units have
// zero weights in and out and zero deltas, so they stay zero and change nothing.
struct HiddenLayer {
  std::int64_t ld = 0;
  nn::LineVector out, delta;
  Rows out_rows() { return {out.data(), ld}; }
  Rows delta_rows() { return {delta.data(), ld}; }
};

// One thread's copy of the output layer, and its scratch for bias sums.
struct ThreadBuffers {
  std::vector<float> logits, out, delta, sums;
};

}  // namespace nn

struct Trainer::Workspace {
  Workspace(const nn::Kernels& k, Cluster& c) : kernels(k), cluster(c) {}
  nn::Kernels kernels;
  Cluster& cluster;      // the ranks that share each sliced step
  int team = 1;          // the team the next steps run on
  int largest_team = 1;  // what the buffers are sized for
  nn::TeamTuner tuner{1, false};
  std::vector<std::vector<nn::UnitRange>> shares;  // [hidden layer][thread] of `team`
  std::vector<nn::HiddenLayer> hidden;
  std::vector<nn::ThreadBuffers> threads;
  nn::ThreadBuffers batch_output;  // the output layer of the row schedule, split by rows
  std::vector<nn::TransposedWeights> weights;  // the network's, transposed while a call trains
  std::vector<nn::LayerState> state, store_state;
  Trainer::SlicePhases slice_phases;
  // The sliced step's buffers, kept from step to step: this rank's slice gradients (flattened:
  // every layer's weights, then its biases), their sum, and the tree sum's own.
  std::vector<std::vector<float>> slice_gradients;
  std::vector<float> gradient_total;
  std::unique_ptr<FixedTreeSum> tree_sum;
  std::int64_t rows_capacity = 0;
  std::int64_t steps = 0;

  void ensure_rows(const Network& net, std::int64_t rows);
  // Cuts every hidden layer's units for a team of `size` (at most largest_team).
  void set_team(const Network& net, int size);
  // The tuner's next window of at most `remaining` steps, on no more threads than the machine
  // leaves free (threads_for_now), its team's shares cut.
  nn::TeamTuner::Window next_window(const Network& net, std::int64_t remaining);

  // The network's weights into training's layout for one call, and back after it, whatever it
  // ends with (a diverged epoch leaves the network as its last update left it).
  template <class Call>
  void with_weights(Network& net, bool write_back, Call call) {
    for (std::size_t l = 0; l < net.layers.size(); ++l) weights[l].load(net.layers[l]);
    const auto store = [&] {
      if (write_back)
        for (std::size_t l = 0; l < net.layers.size(); ++l) weights[l].store(net.layers[l]);
    };
    try {
      call();
    } catch (...) {
      store();
      throw;
    }
    store();
  }
};

}  // namespace simdml
