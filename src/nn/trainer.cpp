// Mini-batch training on a team of threads that stays together for a whole epoch.
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
// A batch of at least kRowsPerThread rows a thread takes the row schedule instead: thread t owns a
// contiguous share of the batch's rows through the forward and backward passes (every layer, all
// units), and a share of each layer's inputs (its rows of the transposed weights) and of its
// units' biases for the update:
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
// Every GEMM here is one thread's, on its share; the GEMM's value of an element depends on K alone
// (docs/design.md, "Numerics"), so a share computes the bits the whole product would, and the
// weights are the same for any team and either schedule.
#include <algorithm>
#include <cmath>

#include "nn/divergence.hpp"
#include "nn/workspace.hpp"

namespace simdml {
namespace {

using nn::HiddenLayer;
using nn::Rows;
using nn::ThreadBuffers;
using nn::UnitRange;

// dLoss/dz of the output layer, from its outputs a: (a - y) * a(1 - a) for sigmoid + quadratic,
// a - y for softmax + cross-entropy (y one-hot).
void output_delta(const Network& net, const float* a, const std::int32_t* labels, std::int64_t rows,
                  const ActivationKernels& act, float* delta) {
  const std::int64_t classes = net.outputs();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < classes; ++j)
      delta[r * classes + j] = a[r * classes + j] - (j == labels[r] ? 1.0f : 0.0f);
  if (net.loss == Loss::quadratic)
    act.sigmoid_backward(a, delta, delta, static_cast<std::size_t>(rows * classes));
}

// sums[j - units.begin] = sum over rows of delta[r][j] for j in units, in row order.
void column_sums(Rows delta, std::int64_t rows, UnitRange units, float* sums) {
  std::fill(sums, sums + units.size(), 0.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = delta.row(r) + units.begin;
    for (std::int64_t j = 0; j < units.size(); ++j) sums[j] += row[j];
  }
}

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

namespace {

// A team is worth one thread per 16-unit share of the widest hidden layer, at most.
int plan_team(const Network& net, int threads) {
  if (net.layers.size() < 2) return 1;
  std::int64_t pieces = 1;
  for (std::size_t l = 0; l + 1 < net.layers.size(); ++l)
    pieces = std::max(pieces, (net.layers[l].outputs + nn::kShareQuantum - 1) / nn::kShareQuantum);
  return static_cast<int>(std::min<std::int64_t>(pieces, nn::available_team(std::max(1, threads))));
}

// The row schedule from this many rows a thread (see the top).
constexpr std::int64_t kRowsPerThread = 16;

// Rows [begin, end) of a batch of `rows` that thread t of `team` owns: in the row schedule, and
// when it gathers a batch.
UnitRange row_share(std::int64_t rows, int team, int t) {
  return {rows * t / team, rows * (t + 1) / team};
}

// Rows r >= first of a matrix.
Rows from_row(Rows m, std::int64_t first) { return {m.row(first), m.ld}; }

// One thread's part of one step: the phases of the comment at the top, for batch (x, labels).
class ThreadStep {
 public:
  ThreadStep(Network& net, Trainer::Workspace& w, const nn::UpdateRule& rule, int t,
             nn::TeamSync& sync)
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

  // A: the hidden layers' own columns, ending at S1. False when the team has stopped.
  bool hidden_forward(const float* x, std::int64_t rows) {
    for (std::size_t l = 0; l < w_.hidden.size(); ++l) {
      if (l > 0 && !sync_.barrier(t_)) return false;
      sync_.work(t_, [&] {
        const UnitRange own = share(l);
        const Rows out = w_.hidden[l].out_rows();
        nn::affine(net_.layers[l], weights(l), input(l, x), rows, own, out, w_.kernels.gemm, {1});
        nn::activate(net_.hidden[l], w_.kernels.act, out, rows, own);
      });
    }
    return sync_.barrier(t_);
  }

  // B: the output layer into this thread's buffers.
  void output_forward(const float* x, const std::int32_t* labels, std::int64_t rows) {
    output_layer(input(net_.layers.size() - 1, x), mine_, 0, labels, rows);
  }

  // The output layer's outputs and delta for `rows` rows of its input, into rows [first, ...) of
  // `o`.
  void output_layer(Rows in, ThreadBuffers& o, std::int64_t first, const std::int32_t* labels,
                    std::int64_t rows) {
    const std::size_t last = net_.layers.size() - 1;
    const Layer& layer = net_.layers[last];
    const bool softmax = net_.loss == Loss::cross_entropy;
    const Rows out = from_row({o.out.data(), layer.outputs}, first);
    const Rows z = softmax ? from_row({o.logits.data(), layer.outputs}, first) : out;
    nn::affine(layer, weights(last), in, rows, {0, layer.outputs}, z, w_.kernels.gemm, {1});
    const auto n = static_cast<std::size_t>(rows * layer.outputs);
    if (softmax)
      w_.kernels.act.softmax_rows(z.data, out.data, static_cast<std::size_t>(rows),
                                  static_cast<std::size_t>(layer.outputs));
    else
      w_.kernels.act.sigmoid(out.data, out.data, n);
    output_delta(net_, out.data, labels, rows, w_.kernels.act,
                 from_row(output_delta_rows(o), first).data);
  }

  Rows output_delta_rows(ThreadBuffers& o) const { return {o.delta.data(), net_.outputs()}; }

  double batch_loss(const ThreadBuffers& output, const std::int32_t* labels,
                    std::int64_t rows) const {
    return nn::batch_loss(net_, output.out.data(), output.logits.data(), labels, rows);
  }

  // R1: own rows through every layer, forward, then the deltas back down; the weights are only
  // read.
  void rows_forward_backward(const float* x, const std::int32_t* labels, std::int64_t rows) {
    const UnitRange mine = row_share(rows, w_.team, t_);
    const std::int64_t n = mine.size();
    if (n == 0) return;
    const std::size_t last = net_.layers.size() - 1;
    for (std::size_t l = 0; l < last; ++l) {
      HiddenLayer& h = w_.hidden[l];
      const Rows out = from_row(h.out_rows(), mine.begin);
      nn::affine(net_.layers[l], weights(l), from_row(input(l, x), mine.begin), n, {0, h.ld}, out,
                 w_.kernels.gemm, {1});
      nn::activate(net_.hidden[l], w_.kernels.act, out, n, {0, h.ld});
    }
    ThreadBuffers& o = w_.batch_output;
    output_layer(from_row(input(last, x), mine.begin), o, mine.begin, labels + mine.begin, n);
    Rows delta = from_row(output_delta_rows(o), mine.begin);
    for (std::size_t l = last; l >= 1; --l) {
      HiddenLayer& below = w_.hidden[l - 1];
      const Rows below_delta = from_row(below.delta_rows(), mine.begin);
      const UnitRange units{0, net_.layers[l - 1].outputs};
      multiply_down(l, delta, {0, net_.layers[l].outputs}, units, below_delta, n);
      nn::activation_backward(net_.hidden[l - 1], w_.kernels.act,
                              from_row(below.out_rows(), mine.begin), below_delta, n, units);
      delta = below_delta;
    }
  }

  // R2: own rows of every layer's transposed weights (a share of its inputs), own biases: a
  // share of each hidden layer's units, and the output layer's on thread 0.
  void rows_update(const float* x, std::int64_t rows) {
    const std::size_t last = net_.layers.size() - 1;
    for (std::size_t l = 0; l <= last; ++l) {
      Layer& layer = net_.layers[l];
      const UnitRange in = nn::unit_share(layer.inputs, w_.team, t_);
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

  // C (and the further barriers of deeper networks). False when the team has stopped.
  bool backward(const float* x, std::int64_t rows) {
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

 private:
  // This thread's share of hidden layer l's units, padding included (see HiddenLayer)...
  UnitRange share(std::size_t hidden_layer) const {
    return w_.shares[hidden_layer][static_cast<std::size_t>(t_)];
  }
  // ... and its real units.
  UnitRange valid(std::size_t hidden_layer) const {
    const UnitRange s = share(hidden_layer);
    const std::int64_t units = net_.layers[hidden_layer].outputs;
    return {std::min(s.begin, units), std::min(s.end, units)};
  }
  nn::Weights weights(std::size_t l) const {
    const nn::TransposedWeights& t = w_.weights[l];
    return {t.values.data(), t.ld, Trans::no};
  }
  // Layer l's input: the batch, or the hidden layer below.
  Rows input(std::size_t l, const float* x) const {
    if (l == 0) return {const_cast<float*>(x), net_.inputs()};
    HiddenLayer& h = w_.hidden[l - 1];
    return {h.out.data(), h.ld};
  }

  // The rule's target for layer l += in[:, in_cols]^T * delta[:, delta_cols] over the batch: the
  // share (in_cols x delta_cols) of the transposed weights.
  void weight_gradient(std::size_t l, Rows delta, UnitRange delta_cols, Rows in, UnitRange in_cols,
                       std::int64_t rows) {
    nn::TransposedWeights& t = w_.weights[l];
    nn::LayerState& state = layer_state(l);
    const nn::UpdateRule::GemmOutput target = rule_.weight_gemm(t, state);
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

  nn::LayerState& layer_state(std::size_t l) const {
    return rule_.stores() ? w_.store_state[l] : w_.state[l];
  }

  void output_layer_backward(const float* x, std::int64_t rows) {
    const std::size_t last = net_.layers.size() - 1;
    Layer& layer = net_.layers[last];
    const Rows delta{mine_.delta.data(), layer.outputs};
    const UnitRange all_outputs{0, layer.outputs};
    const UnitRange own = last == 0 ? UnitRange{0, layer.inputs} : valid(last - 1);
    if (last > 0) {  // own columns of the delta handed down, before the weights change
      HiddenLayer& below = w_.hidden[last - 1];
      multiply_down(last, delta, all_outputs, own, below.delta_rows(), rows);
      nn::activation_backward(net_.hidden[last - 1], w_.kernels.act, below.out_rows(),
                              below.delta_rows(), rows, own);
    }
    weight_gradient(last, delta, all_outputs, input(last, x), own, rows);
    if (t_ == 0) {
      column_sums(delta, rows, all_outputs, mine_.sums.data());
      rule_.update_biases(layer, layer_state(last), all_outputs, mine_.sums.data(), w_.kernels.act);
    }
  }

  // below[:, cols] = delta[:, delta_cols] * W[delta_cols, cols] for the weights of layer l: W^T's
  // rows [cols), read transposed.
  void multiply_down(std::size_t l, Rows delta, UnitRange delta_cols, UnitRange cols, Rows below,
                     std::int64_t rows) {
    const nn::TransposedWeights& t = w_.weights[l];
    GemmProblem down;
    down.trans_b = Trans::yes;
    down.m = rows, down.n = cols.size(), down.k = delta_cols.size();
    down.a = delta.data + delta_cols.begin, down.lda = delta.ld;
    down.b = t.values.data() + cols.begin * t.ld + delta_cols.begin, down.ldb = t.ld;
    down.c = below.data + cols.begin, down.ldc = below.ld;
    sgemm(w_.kernels.gemm, down, {1});
  }

  // Hidden layer l hands its (whole) delta down to own columns of layer l - 1.
  void hand_down(std::size_t l, std::int64_t rows) {
    HiddenLayer &h = w_.hidden[l], &below = w_.hidden[l - 1];
    const UnitRange own_below = valid(l - 1);
    multiply_down(l, h.delta_rows(), {0, net_.layers[l].outputs}, own_below, below.delta_rows(),
                  rows);
    nn::activation_backward(net_.hidden[l - 1], w_.kernels.act, below.out_rows(),
                            below.delta_rows(), rows, own_below);
  }

  // Own rows of hidden layer l's weights and own biases.
  void update_hidden(std::size_t l, const float* x, std::int64_t rows) {
    Layer& layer = net_.layers[l];
    HiddenLayer& h = w_.hidden[l];
    weight_gradient(l, h.delta_rows(), share(l), input(l, x), {0, layer.inputs}, rows);
    const UnitRange own = valid(l);
    column_sums(h.delta_rows(), rows, own, mine_.sums.data());
    rule_.update_biases(layer, layer_state(l), own, mine_.sums.data(), w_.kernels.act);
  }

  Network& net_;
  Trainer::Workspace& w_;
  const nn::UpdateRule& rule_;
  int t_;
  nn::TeamSync& sync_;
  ThreadBuffers& mine_;
};

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
  w.team = plan_team(net, compute.threads);
  for (std::size_t l = 0; l + 1 < net.layers.size(); ++l) {
    const std::int64_t units = net.layers[l].outputs;
    std::vector<UnitRange> shares;
    const std::int64_t padded = nn::round_up_to_share(units);
    for (int t = 0; t < w.team; ++t) shares.push_back(nn::unit_share(padded, w.team, t));
    w.shares.push_back(std::move(shares));
    w.hidden.push_back({padded, {}, {}});
  }
  w.threads.resize(static_cast<std::size_t>(w.team));
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
  w.with_weights(net, !rule.stores(), [&] { loss = team_step(net, w, rule, x, labels, rows); });
  return loss;
}

}  // namespace

double team_step(Network& net, Trainer::Workspace& w, const nn::UpdateRule& rule, const float* x,
                 const std::int32_t* labels, std::int64_t rows) {
  double loss = 0.0;
  nn::run_team(w.team, [&](int t, nn::TeamSync& sync) {
    ThreadStep(net, w, rule, t, sync)
        .run(
            x, labels, rows, [] {}, [&](double l) { loss = l; });
  });
  return loss;
}

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

void throw_diverged(double loss, std::int64_t batch, float learning_rate) {
  throw TrainingDiverged("training diverged: the loss became " + number_name(loss) +
                         " at mini-batch " + std::to_string(batch) +
                         nn::rate_advice(learning_rate));
}

// Copies rows [share) of a mini-batch's shuffled rows into one contiguous block for the GEMMs (a
// pure copy: the bits do not depend on who copies). Images are gathered from their pixel bytes,
// scaled as the loader scaled x (the same bits): a quarter of the bytes to fetch from memory
// (with prefetch_rows, Nielsen's epoch ~6 % faster).
void gather_rows(const Dataset& data, const std::int64_t* order, nn::UnitRange share,
                 const ActivationKernels& act, float* x, std::int32_t* labels) {
  const auto features = static_cast<std::size_t>(data.features);
  for (std::int64_t r = share.begin; r < share.end; ++r) {
    const std::int64_t i = order[r];
    if (data.pixels.empty())
      std::copy_n(data.row(i), features, x + r * data.features);
    else
      act.unit_from_bytes(data.pixels.data() + i * data.features, x + r * data.features, features);
    labels[r] = data.labels[static_cast<std::size_t>(i)];
  }
}

namespace {

// Starts fetching rows a step before they are gathered. They lie scattered over the dataset, where
// no hardware prefetcher finds them, so each would cost the gather a trip to memory. Capped per
// thread so that a large batch does not push its own working set out of L2.
constexpr std::int64_t kPrefetchBytes = 64 * 1024;

// A volatile asm statement, not __builtin_prefetch: GCC 12 counts a prefetch as free of side
// effects, and its dead-code elimination deleted the whole loop below (no prefetch was left in
// the object file).
void prefetch_line_to_l2(const char* p) { asm volatile("prefetcht1 %0" : : "m"(*p)); }

void prefetch_rows(const Dataset& data, const std::int64_t* order, UnitRange share) {
  const bool images = !data.pixels.empty();  // the gather's source: pixel bytes, else the floats
  const char* base = images ? reinterpret_cast<const char*>(data.pixels.data())
                            : reinterpret_cast<const char*>(data.x.data());
  const std::int64_t row_bytes = data.features * (images ? 1 : std::int64_t{sizeof(float)});
  if (row_bytes == 0) return;
  for (std::int64_t r = share.begin;
       r < share.end && (r - share.begin + 1) * row_bytes <= kPrefetchBytes; ++r) {
    const char* row = base + order[r] * row_bytes;
    for (std::int64_t offset = 0; offset < row_bytes; offset += 64)
      prefetch_line_to_l2(row + offset);
    prefetch_line_to_l2(row + row_bytes - 1);  // the last line, when the row starts mid-line
  }
}

}  // namespace

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
    const UnitRange share = row_share(rows_of(b), w.team, t);
    gather_rows(train, order.data() + b * batch, share, w.kernels.act, x_buffers[b % 2].data(),
                label_buffers[b % 2].data());
    if (b + 1 < batches)
      prefetch_rows(train, order.data() + (b + 1) * batch, row_share(rows_of(b + 1), w.team, t));
  };

  double total = 0.0;
  const std::int64_t first_step = w.steps;
  w.with_weights(net_, true, [&] {
    nn::run_team(w.team, [&](int t, nn::TeamSync& sync) {
      sync.work(t, [&] { gather(0, t); });
      if (!sync.barrier(t)) return;
      for (std::int64_t b = 0; b < batches; ++b) {
        const std::int64_t rows = rows_of(b);
        const float* x = x_buffers[b % 2].data();
        const std::int32_t* labels = label_buffers[b % 2].data();
        const nn::UpdateRule rule(options_, first_step + b + 1, rows);
        const auto gather_next = [&] {
          if (b + 1 < batches) gather(b + 1, t);
        };
        // On thread 0; a throw is seen by the others at the next barrier, after this update.
        const auto account = [&](double loss) {
          if (!std::isfinite(loss)) throw_diverged(loss, b + 1, options_.learning_rate);
          total += loss * static_cast<double>(rows);
          if (progress) progress(b * batch + rows, train.samples);
        };
        if (!ThreadStep(net_, w, rule, t, sync).run(x, labels, rows, gather_next, account)) return;
      }
    });
  });
  w.steps = first_step + batches;
  return total / static_cast<double>(train.samples);
}

}  // namespace simdml
