// The Trainer: its team and buffers, one step or one epoch at a time. The step itself is
// ThreadStep's (thread_step.hpp: the unit and the row schedules); the epoch gathers each next
// mini-batch on the team while the current one trains (batches.hpp); sliced steps, whose slices'
// gradients are summed across the job, are sliced_step.cpp's.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "nn/batches.hpp"
#include "nn/divergence.hpp"
#include "nn/thread_step.hpp"
#include "simdml/interference.hpp"

namespace simdml {
namespace {

using nn::HiddenLayer;
using nn::ThreadBuffers;
using nn::UnitRange;

std::string number_name(double value) {
  return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
}

}  // namespace

void Trainer::Workspace::ensure_rows(const Network& net, std::int64_t rows) {
  if (rows <= rows_capacity) return;
  for (HiddenLayer& h : hidden) {
    h.out.assign(static_cast<std::size_t>(rows * h.ld), 0.0f);
    h.delta.assign(static_cast<std::size_t>(rows * h.ld), 0.0f);
  }
  const auto outputs = static_cast<std::size_t>(rows * net.outputs());
  std::int64_t widest = 0;
  for (const Layer& layer : net.layers) widest = std::max(widest, layer.outputs);
  const auto size_output = [&](ThreadBuffers& b) {
    b.out.assign(outputs, 0.0f);
    b.delta.assign(outputs, 0.0f);
    if (net.loss == Loss::cross_entropy) b.logits.assign(outputs, 0.0f);
  };
  size_output(batch_output);
  for (ThreadBuffers& b : threads) {
    size_output(b);
    b.sums.assign(static_cast<std::size_t>(widest), 0.0f);
  }
  rows_capacity = rows;
}

void Trainer::Workspace::set_team(const Network& net, int size) {
  team = size;
  shares.clear();
  for (std::size_t l = 0; l + 1 < net.layers.size(); ++l) {
    std::vector<UnitRange> cut;
    for (int t = 0; t < team; ++t) cut.push_back(nn::unit_share(hidden[l].ld, team, t));
    shares.push_back(std::move(cut));
  }
}

nn::TeamTuner::Window Trainer::Workspace::next_window(const Network& net, std::int64_t remaining) {
  const nn::TeamTuner::Window window =
      tuner.next(remaining, tuner.adaptive() ? threads_for_now(largest_team) : largest_team);
  set_team(net, window.team);
  return window;
}

namespace {

// A team is worth one thread per 16-unit share of the widest hidden layer, at most.
int plan_team(const Network& net, int threads) {
  if (net.layers.size() < 2) return 1;
  std::int64_t pieces = 1;
  for (std::size_t l = 0; l + 1 < net.layers.size(); ++l)
    pieces = std::max(pieces, (net.layers[l].outputs + nn::kShareQuantum - 1) / nn::kShareQuantum);
  return static_cast<int>(std::min<std::int64_t>(pieces, nn::available_team(std::max(1, threads))));
}

}  // namespace

Trainer::Trainer(Network& net, const TrainingOptions& options, Compute compute)
    : net_(net),
      options_(options),
      work_(new Workspace(nn::resolve(compute),
                          compute.cluster != nullptr ? *compute.cluster : single_process())) {
  validate_training(options);
  if (compute.threads < 1) throw std::invalid_argument("the thread count must be at least 1");
  const int ranks = work_->cluster.size();
  if (ranks > options.slices)
    throw std::invalid_argument("training on " + std::to_string(ranks) +
                                " ranks needs at least as many slices, got " +
                                std::to_string(options.slices));
  Workspace& w = *work_;
  w.largest_team = plan_team(net, compute.threads);
  w.tuner = nn::TeamTuner(w.largest_team, compute.adapt_team);
  for (std::size_t l = 0; l + 1 < net.layers.size(); ++l)
    w.hidden.push_back({nn::round_up_to_share(net.layers[l].outputs), {}, {}});
  w.set_team(net, w.largest_team);
  w.threads.resize(static_cast<std::size_t>(w.largest_team));
  // A hidden layer's transposed weights are split by columns like its outputs, padded alike.
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    nn::TransposedWeights t;
    t.ld = l < w.hidden.size() ? w.hidden[l].ld : net.layers[l].outputs;
    t.load(net.layers[l]);
    w.weights.push_back(std::move(t));
  }
  w.state = nn::make_rule_state(w.weights, options);
}

Trainer::~Trainer() = default;

int Trainer::team() const { return work_->team; }
std::map<int, std::int64_t> Trainer::steps_by_team() const { return work_->tuner.steps_by_team(); }
std::int64_t Trainer::steps() const { return work_->steps; }
Trainer::SlicePhases Trainer::slice_phases() const { return work_->slice_phases; }

namespace {

void check_batch(std::int64_t rows) {
  if (rows < 1)
    throw std::invalid_argument("a batch needs at least one row, got " + std::to_string(rows));
}

// One batch on the team with `rule`; returns the batch's mean loss.
double one_batch(Network& net, Trainer::Workspace& w, const nn::UpdateRule& rule, const float* x,
                 const std::int32_t* labels, std::int64_t rows) {
  double loss = 0.0;
  w.with_weights(net, !rule.stores(), [&] { loss = nn::team_step(net, w, rule, x, labels, rows); });
  return loss;
}

}  // namespace

bool Trainer::sliced() const { return options_.slices > 1 || work_->cluster.distributed(); }

double Trainer::step(const float* x, const std::int32_t* labels, std::int64_t rows) {
  check_batch(rows);
  Workspace& w = *work_;
  w.ensure_rows(net_, rows);
  if (sliced()) {
    double loss = 0.0;
    w.with_weights(net_, true, [&] { loss = sliced_step(x, labels, rows); });
    return loss;
  }
  const double loss =
      one_batch(net_, w, nn::UpdateRule(options_, w.steps + 1, rows), x, labels, rows);
  ++w.steps;
  return loss;
}

Gradients Trainer::gradients(const float* x, const std::int32_t* labels, std::int64_t rows) {
  check_batch(rows);
  Workspace& w = *work_;
  w.ensure_rows(net_, rows);
  if (w.store_state.empty()) w.store_state = nn::make_rule_state(w.weights, options_, true);
  Gradients g;
  g.loss = one_batch(net_, w, nn::UpdateRule(options_, w.steps + 1, rows, true), x, labels, rows);
  for (std::size_t l = 0; l < net_.layers.size(); ++l) {
    g.weights.emplace_back(net_.layers[l].weights.size());
    w.weights[l].store(w.store_state[l].gradient_w, g.weights.back());
    g.biases.emplace_back(w.store_state[l].gradient_b.begin(), w.store_state[l].gradient_b.end());
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
// Epochs.

void nn::throw_diverged(double loss, std::int64_t batch, float learning_rate) {
  throw TrainingDiverged("training diverged: the loss became " + number_name(loss) +
                         " at mini-batch " + std::to_string(batch) +
                         nn::rate_advice(learning_rate));
}

double Trainer::epoch(const Dataset& train, Rng& shuffle, const ProgressCallback& progress) {
  nn::check_features(net_, train);
  if (train.samples == 0) throw std::invalid_argument(train.name + " has no samples to train on");
  if (sliced()) return sliced_epoch(train, shuffle, progress);
  const std::vector<std::int64_t> order = random_permutation(train.samples, shuffle);
  const std::int64_t batch = std::min(options_.batch_size, train.samples);
  const std::int64_t batches = (train.samples + batch - 1) / batch;
  Workspace& w = *work_;
  w.ensure_rows(net_, batch);
  // Mini-batches alternate between two buffers: the next batch is gathered while this one is in
  // use. And a buffer's lines are a whole step older when it comes round again, so fewer of them
  // are still held by the other core's cache when they are written (docs/experiments.md#e31).
  const auto batch_floats = static_cast<std::size_t>(batch * train.features);
  std::vector<float> x_buffers[2] = {std::vector<float>(batch_floats),
                                     std::vector<float>(batches > 1 ? batch_floats : 0)};
  std::vector<std::int32_t> label_buffers[2] = {std::vector<std::int32_t>(std::size_t(batch)),
                                                std::vector<std::int32_t>(std::size_t(batch))};
  const auto rows_of = [&](std::int64_t b) { return std::min(batch, train.samples - b * batch); };
  const auto gather = [&](std::int64_t b, int t) {
    const UnitRange share = nn::row_share(rows_of(b), w.team, t);
    nn::gather_rows(train, order.data() + b * batch, share, w.kernels.act, x_buffers[b % 2].data(),
                    label_buffers[b % 2].data());
    if (b + 1 < batches)
      nn::prefetch_rows(train, order.data() + (b + 1) * batch,
                        nn::row_share(rows_of(b + 1), w.team, t));
  };

  double total = 0.0;
  const std::int64_t first_step = w.steps;
  // The steps run in windows, each on the team the tuner picks (one window without adapt_team).
  // A window ends after its last step gathered the next batch, so the next begins with it. Past
  // its deadline, thread 0 stops the team after the current step: a trial of a team whose member
  // has lost its core costs a few steps, not the whole window.
  std::int64_t done = 0;                       // steps the window completed; thread 0's
  std::chrono::steady_clock::time_point warm;  // when its warm-up steps ended; thread 0's
  const auto run_window = [&](std::int64_t begin, std::int64_t end, std::int64_t warmup,
                              std::chrono::steady_clock::time_point deadline) {
    nn::run_team(w.team, [&](int t, nn::TeamSync& sync) {
      if (begin == 0) {
        sync.work(t, [&] { gather(0, t); });
        if (!sync.barrier(t)) return;
      }
      for (std::int64_t b = begin; b < end; ++b) {
        const std::int64_t rows = rows_of(b);
        const float* x = x_buffers[b % 2].data();
        const std::int32_t* labels = label_buffers[b % 2].data();
        const nn::UpdateRule rule(options_, first_step + b + 1, rows);
        const auto gather_next = [&] {
          if (b + 1 < batches) gather(b + 1, t);
        };
        // On thread 0 after the step's updates; the others see a throw or a stop at their next
        // barrier, before any of them changes what a step leaves behind.
        const auto account = [&](double loss) {
          if (!std::isfinite(loss)) nn::throw_diverged(loss, b + 1, options_.learning_rate);
          total += loss * static_cast<double>(rows);
          done = b - begin + 1;
          if (done == warmup) warm = std::chrono::steady_clock::now();
          if (progress) progress(b * batch + rows, train.samples);
          if (b + 1 < end && deadline != std::chrono::steady_clock::time_point::max() &&
              std::chrono::steady_clock::now() > deadline)
            sync.stop(t);
        };
        if (!nn::ThreadStep(net_, w, rule, t, sync).run(x, labels, rows, gather_next, account))
          return;
      }
    });
  };
  w.with_weights(net_, true, [&] {
    for (std::int64_t begin = 0; begin < batches;) {
      const nn::TeamTuner::Window window = w.next_window(net_, batches - begin);
      const auto start = std::chrono::steady_clock::now();
      // (start + duration::max() would wrap round to the past.)
      const auto deadline = window.deadline == std::chrono::steady_clock::duration::max()
                                ? std::chrono::steady_clock::time_point::max()
                                : start + window.deadline;
      run_window(begin, begin + window.steps, window.warmup, deadline);
      const auto end = std::chrono::steady_clock::now();
      // A window that ended within its warm-up is timed whole.
      const bool warmed = window.warmup > 0 && done > window.warmup;
      w.tuner.record(window, done, warmed ? done - window.warmup : done,
                     std::chrono::duration<double>(end - (warmed ? warm : start)).count());
      begin += done;
    }
  });
  w.steps = first_step + batches;
  return total / static_cast<double>(train.samples);
}

}  // namespace simdml
