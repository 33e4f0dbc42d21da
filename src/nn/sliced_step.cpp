// Data-parallel steps (TrainingOptions::slices): each rank computes the gradients of its slices of
// the mini-batch, the job adds them in a fixed tree, and every rank applies the rule to the same
// total, so every rank holds the same weights after every step.
//
//   for each own slice s:  G_s = (1 / rows) sum over the slice's rows (the team's store rule)
//   G = fixed_tree_sum(G_0 .. G_{S-1})           (cluster.hpp: the order depends on S alone)
//   the rule on G, on every rank alike            (UpdateRule::apply_gradient)
//
// The batch's loss is the slices' (mean * rows) added in slice order, in double.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "kernels/run_tasks.hpp"
#include "nn/batches.hpp"
#include "nn/divergence.hpp"
#include "nn/thread_step.hpp"

namespace simdml {
namespace {

// Every layer's weight gradient (training's transposed layout, padding included), then its bias
// gradient, one after the other.
std::size_t gradient_floats(const Trainer::Workspace& w) {
  std::size_t n = 0;
  for (std::size_t l = 0; l < w.weights.size(); ++l)
    n += w.weights[l].values.size() + static_cast<std::size_t>(w.weights[l].outputs);
  return n;
}

void flatten_gradients(const Trainer::Workspace& w, std::vector<float>& flat) {
  flat.resize(gradient_floats(w));
  float* at = flat.data();
  for (const nn::LayerState& s : w.store_state) {
    at = std::copy(s.gradient_w.begin(), s.gradient_w.end(), at);
    at = std::copy(s.gradient_b.begin(), s.gradient_b.end(), at);
  }
}

// The rows of the batch this rank gathers: those of its slices.
nn::UnitRange own_rows(std::int64_t rows, std::int64_t slices, const Cluster& cluster) {
  const Share own = rank_share(slices, cluster.size(), cluster.rank());
  if (own.size() == 0) return {0, 0};
  return {rank_share(rows, static_cast<int>(slices), static_cast<int>(own.begin)).begin,
          rank_share(rows, static_cast<int>(slices), static_cast<int>(own.end - 1)).end};
}

// The rows on the team, a contiguous share each (a pure copy: the bits do not depend on who
// copies). On one thread it cost 4 % of a batch-256 ReLU epoch on 2 (docs/experiments.md#e73).
void gather_own_rows(const Dataset& data, const std::int64_t* order, nn::UnitRange rows,
                     const Trainer::Workspace& w, float* x, std::int32_t* labels) {
  const int team = w.team;
  run_tasks(team, team, [&](std::int64_t t) {
    const nn::UnitRange share = nn::row_share(rows.size(), team, static_cast<int>(t));
    nn::gather_rows(data, order, {rows.begin + share.begin, rows.begin + share.end}, w.kernels.act,
                    x, labels);
  });
}

using Clock = std::chrono::steady_clock;

// Seconds from `start` to now, added to `phase`; returns now.
Clock::time_point lap(Clock::time_point start, double& phase) {
  const Clock::time_point now = Clock::now();
  phase += std::chrono::duration<double>(now - start).count();
  return now;
}

}  // namespace

double Trainer::sliced_step(const float* x, const std::int32_t* labels, std::int64_t rows) {
  Workspace& w = *work_;
  if (w.store_state.empty()) w.store_state = nn::make_rule_state(w.weights, options_, true);
  const std::int64_t slices = options_.slices;
  const Share own = rank_share(slices, w.cluster.size(), w.cluster.rank());
  const nn::UpdateRule mean_gradient(options_, w.steps + 1, rows, true);
  if (!w.tree_sum) w.tree_sum = std::make_unique<FixedTreeSum>(w.cluster, slices);
  w.slice_gradients.resize(static_cast<std::size_t>(own.size()));
  Clock::time_point start = Clock::now();
  std::vector<double> loss_sums;
  for (std::int64_t s = own.begin; s < own.end; ++s) {
    std::vector<float>& gradient = w.slice_gradients[std::size_t(s - own.begin)];
    const Share part = rank_share(rows, static_cast<int>(slices), static_cast<int>(s));
    if (part.size() == 0) {  // a last batch with fewer rows than slices
      gradient.assign(gradient_floats(w), 0.0f);
      loss_sums.push_back(0.0);
      continue;
    }
    const double mean = nn::team_step(net_, w, mean_gradient, x + part.begin * net_.inputs(),
                                      labels + part.begin, part.size());
    flatten_gradients(w, gradient);
    loss_sums.push_back(mean * static_cast<double>(part.size()));
  }
  start = lap(start, w.slice_phases.gradients);
  (*w.tree_sum)(w.slice_gradients, w.gradient_total);
  const std::vector<float>& total = w.gradient_total;
  double loss = 0.0;
  for (double sum : all_gather_concat(w.cluster, loss_sums)) loss += sum;
  start = lap(start, w.slice_phases.exchange);

  const nn::UpdateRule rule(options_, w.steps + 1, 1);  // G is already the batch's mean
  const float* g = total.data();
  for (std::size_t l = 0; l < net_.layers.size(); ++l) {
    const float* g_b = g + w.weights[l].values.size();
    rule.apply_gradient(net_.layers[l], w.weights[l], w.state[l], g, g_b, w.kernels.act);
    g = g_b + net_.layers[l].outputs;
  }
  lap(start, w.slice_phases.update);
  ++w.steps;
  return loss / static_cast<double>(rows);
}

double Trainer::sliced_epoch(const Dataset& train, Rng& shuffle, const ProgressCallback& progress) {
  const std::vector<std::int64_t> order = random_permutation(train.samples, shuffle);
  const std::int64_t batch = std::min(options_.batch_size, train.samples);
  const std::int64_t batches = (train.samples + batch - 1) / batch;
  Workspace& w = *work_;
  w.ensure_rows(net_, batch);
  std::vector<float> x(static_cast<std::size_t>(batch * train.features));
  std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
  double total = 0.0;
  w.with_weights(net_, true, [&] {
    for (std::int64_t b = 0; b < batches; ++b) {
      const std::int64_t rows = std::min(batch, train.samples - b * batch);
      gather_own_rows(train, order.data() + b * batch, own_rows(rows, options_.slices, w.cluster),
                      w, x.data(), labels.data());
      // Each step on the team the tuner picks (Compute::adapt_team), a window of one step.
      const nn::TeamTuner::Window window = w.next_window(net_, 1);
      const Clock::time_point start = Clock::now();
      const double loss = sliced_step(x.data(), labels.data(), rows);
      w.tuner.record(window, 1, 1, std::chrono::duration<double>(Clock::now() - start).count());
      if (!std::isfinite(loss)) nn::throw_diverged(loss, b + 1, options_.learning_rate);
      total += loss * static_cast<double>(rows);
      if (progress) progress(b * batch + rows, train.samples);
    }
  });
  return total / static_cast<double>(train.samples);
}

}  // namespace simdml
