// One thread's part of one training step on the team, on one of two schedules: the unit schedule
// (unit_schedule.cpp) for small batches, the row schedule (row_schedule.cpp) from kRowsPerThread
// rows a thread. What both use -- the output layer, the weight gradient, the product that hands a
// delta down -- is in thread_step.cpp.
//
// Every GEMM here is one thread's, on its share; the GEMM's value of an element depends on K alone
// (docs/design.md, "Numerics"), so a share computes the bits the whole product would, and the
// weights are the same for any team and either schedule.
#pragma once

#include <cstdint>

#include "nn/workspace.hpp"

namespace simdml::nn {

// The row schedule from this many rows a thread (row_schedule.cpp).
inline constexpr std::int64_t kRowsPerThread = 16;

// Rows [begin, end) of a batch of `rows` that thread t of `team` owns: in the row schedule, and
// when it gathers a batch.
inline UnitRange row_share(std::int64_t rows, int team, int t) {
  return {rows * t / team, rows * (t + 1) / team};
}

class ThreadStep {
 public:
  ThreadStep(Network& net, Trainer::Workspace& w, const UpdateRule& rule, int t, TeamSync& sync)
      : net_(net), w_(w), rule_(rule), t_(t), sync_(sync), mine_(w.threads[std::size_t(t)]) {}

  // The whole step on either schedule. `between` runs on every thread once, between two barriers
  // (the epoch gathers the next batch there, into the buffer the previous step read); `on_loss` on
  // thread 0 with the batch's mean loss, before any thread starts the next step. False when the
  // team has stopped.
  template <class Between, class OnLoss>
  bool run(const float* x, const std::int32_t* labels, std::int64_t rows, Between between,
           OnLoss on_loss) {
    if (w_.team > 1 && rows >= kRowsPerThread * w_.team) {
      sync_.work(t_, [&] { rows_forward_backward(x, labels, rows); });
      if (!sync_.barrier(t_)) return false;  // B1
      sync_.work(t_, [&] {
        rows_update(x, rows);
        between();
        if (t_ == 0) on_loss(batch_loss(w_.batch_output, labels, rows));
      });
      return sync_.barrier(t_);  // B2
    }
    if (!hidden_forward(x, rows)) return false;
    sync_.work(t_, [&] {
      output_forward(x, labels, rows);
      between();
    });
    if (!sync_.barrier(t_)) return false;
    if (!backward(x, rows)) return false;
    if (t_ == 0) sync_.work(t_, [&] { on_loss(batch_loss(mine_, labels, rows)); });
    return true;
  }

 private:
  // The unit schedule (unit_schedule.cpp). A: the hidden layers' own columns, ending at S1;
  // B: the output layer into this thread's buffers; C and the further barriers of deeper
  // networks. The two that meet at barriers return false when the team has stopped.
  bool hidden_forward(const float* x, std::int64_t rows);
  void output_forward(const float* x, const std::int32_t* labels, std::int64_t rows);
  bool backward(const float* x, std::int64_t rows);
  void output_layer_backward(const float* x, std::int64_t rows);
  void hand_down(std::size_t l, std::int64_t rows);
  void update_hidden(std::size_t l, const float* x, std::int64_t rows);

  // The row schedule (row_schedule.cpp). R1: own rows forward and back through every layer;
  // R2: own rows of every layer's transposed weights, own biases.
  void rows_forward_backward(const float* x, const std::int32_t* labels, std::int64_t rows);
  void rows_update(const float* x, std::int64_t rows);

  // Both (thread_step.cpp).
  void output_layer(Rows in, ThreadBuffers& o, std::int64_t first, const std::int32_t* labels,
                    std::int64_t rows);
  void weight_gradient(std::size_t l, Rows delta, UnitRange delta_cols, Rows in, UnitRange in_cols,
                       std::int64_t rows);
  void multiply_down(std::size_t l, Rows delta, UnitRange delta_cols, UnitRange cols, Rows below,
                     std::int64_t rows);
  double batch_loss(const ThreadBuffers& output, const std::int32_t* labels,
                    std::int64_t rows) const;
  Rows output_delta_rows(ThreadBuffers& o) const { return {o.delta.data(), net_.outputs()}; }
  // This thread's share of hidden layer l's units, padding included (see HiddenLayer)...
  UnitRange share(std::size_t hidden_layer) const {
    return w_.shares[hidden_layer][static_cast<std::size_t>(t_)];
  }
  // ... and its real units.
  UnitRange valid(std::size_t hidden_layer) const;
  Weights weights(std::size_t l) const;
  // Layer l's input: the batch, or the hidden layer below.
  Rows input(std::size_t l, const float* x) const;
  LayerState& layer_state(std::size_t l) const {
    return rule_.stores() ? w_.store_state[l] : w_.state[l];
  }

  Network& net_;
  Trainer::Workspace& w_;
  const UpdateRule& rule_;
  int t_;
  TeamSync& sync_;
  ThreadBuffers& mine_;
};

// One step of `rule` by the team on `rows` rows (a store rule: the gradients into store_state,
// normalized as the rule says); returns the batch's mean loss. The weights must be in training's
// layout (inside Workspace::with_weights).
double team_step(Network& net, Trainer::Workspace& w, const UpdateRule& rule, const float* x,
                 const std::int32_t* labels, std::int64_t rows);

// sums[j - units.begin] = sum over rows of delta[r][j] for j in units, in row order.
void column_sums(Rows delta, std::int64_t rows, UnitRange units, float* sums);

// Rows r >= first of a matrix.
inline Rows from_row(Rows m, std::int64_t first) { return {m.row(first), m.ld}; }

}  // namespace simdml::nn
