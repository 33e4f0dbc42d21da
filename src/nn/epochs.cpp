// Epochs, prediction and evaluation over whole datasets.
#include <algorithm>
#include <cmath>

#include "nn/divergence.hpp"
#include "nn/forward.hpp"
#include "parallel/run_tasks.hpp"

namespace simdml {
namespace {

// Rows per forward pass when only predicting: large enough to keep the GEMM efficient and
// threaded, small enough for the outputs to stay in cache. Results do not depend on it.
constexpr std::int64_t kPredictRows = 512;

template <class Visit>
void forward_in_chunks(const Network& net, const float* x, std::int64_t rows,
                       const Compute& compute, Visit visit) {
  const nn::Kernels kernels = nn::resolve(compute);
  nn::ForwardBuffers buffers(net, std::min(rows, kPredictRows));
  for (std::int64_t start = 0; start < rows; start += kPredictRows) {
    const std::int64_t n = std::min(kPredictRows, rows - start);
    nn::forward(net, x + start * net.inputs(), n, kernels, buffers);
    visit(start, n, buffers);
  }
}

void check_features(const Network& net, const Dataset& data) {
  if (data.features != net.inputs())
    throw std::invalid_argument(data.name + " has " + std::to_string(data.features) +
                                " features; the network takes " + std::to_string(net.inputs()));
  if (data.classes > net.outputs())
    throw std::invalid_argument(data.name + " has " + std::to_string(data.classes) +
                                " classes; the network has " + std::to_string(net.outputs()) +
                                " outputs");
}

std::string number_name(double value) {
  return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
}

// Copies the mini-batch's shuffled rows into one contiguous block for the GEMMs. A batch of 256
// MNIST rows is 800 KB, whose copy is serial work worth 15 % of a single-threaded step, so large
// batches are gathered by the whole team (a pure copy: the bits do not depend on who copies).
// Smaller ones stay on one thread, where waking a second would cost more than it saves.
//
// Images are gathered from their pixel bytes, scaled as the loader scaled x (the same bits): a
// quarter of the bytes to fetch from memory (with prefetch_batch, Nielsen's epoch ~6 % faster).
constexpr std::int64_t kParallelGatherBytes = 256 * 1024;

void gather_batch(const Dataset& data, const std::int64_t* order, std::int64_t rows,
                  const nn::Kernels& kernels, float* x, std::int32_t* labels) {
  const auto features = static_cast<std::size_t>(data.features);
  const auto copy_row = [&](std::int64_t r) {
    const std::int64_t i = order[r];
    if (data.pixels.empty())
      std::copy_n(data.row(i), features, x + r * data.features);
    else
      kernels.act.unit_from_bytes(data.pixels.data() + i * data.features, x + r * data.features,
                                  features);
    labels[r] = data.labels[static_cast<std::size_t>(i)];
  };
  const std::int64_t bytes = rows * data.features * static_cast<std::int64_t>(sizeof(float));
  run_tasks(bytes >= kParallelGatherBytes ? kernels.threads : 1, rows, copy_row);
}

// Starts fetching the next mini-batch's rows into L2 while this one trains. They lie scattered over
// the dataset, where no hardware prefetcher finds them, so each would cost the gather a trip to
// memory. Capped so that a large batch does not push its own working set out of L2.
constexpr std::int64_t kPrefetchBytes = 64 * 1024;

// A volatile asm statement, not __builtin_prefetch: GCC 12 counts a prefetch as free of side
// effects, and its dead-code elimination deleted the whole loop below (no prefetch was left in
// the object file).
void prefetch_line_to_l2(const char* p) { asm volatile("prefetcht1 %0" : : "m"(*p)); }

void prefetch_batch(const Dataset& data, const std::int64_t* order, std::int64_t rows) {
  const bool images = !data.pixels.empty();  // the gather's source: pixel bytes, else the floats
  const char* base = images ? reinterpret_cast<const char*>(data.pixels.data())
                            : reinterpret_cast<const char*>(data.x.data());
  const std::int64_t row_bytes = data.features * (images ? 1 : std::int64_t{sizeof(float)});
  if (row_bytes == 0) return;
  for (std::int64_t r = 0; r < rows && (r + 1) * row_bytes <= kPrefetchBytes; ++r) {
    const char* row = base + order[r] * row_bytes;
    for (std::int64_t offset = 0; offset < row_bytes; offset += 64)
      prefetch_line_to_l2(row + offset);
    prefetch_line_to_l2(row + row_bytes - 1);  // the last line, when the row starts mid-line
  }
}

}  // namespace

void predict(const Network& net, const float* x, std::int64_t rows, float* outputs,
             const Compute& compute) {
  if (rows <= 0) return;
  forward_in_chunks(
      net, x, rows, compute, [&](std::int64_t start, std::int64_t n, const nn::ForwardBuffers& b) {
        std::copy_n(b.out.back().data(), n * net.outputs(), outputs + start * net.outputs());
      });
}

Evaluation evaluate(const Network& net, const Dataset& data, const Compute& compute) {
  check_features(net, data);
  const std::int64_t classes = net.outputs();
  Evaluation e(static_cast<int>(classes));
  forward_in_chunks(net, data.x.data(), data.samples, compute,
                    [&](std::int64_t start, std::int64_t n, const nn::ForwardBuffers& b) {
                      for (std::int64_t r = 0; r < n; ++r) {
                        const float* out = b.out.back().data() + r * classes;
                        const auto predicted = std::max_element(out, out + classes) - out;
                        const std::int32_t truth = data.labels[static_cast<std::size_t>(start + r)];
                        e.add(truth, static_cast<std::int32_t>(predicted));
                      }
                    });
  return e;
}

double train_epoch(Network& net, const Dataset& train, const SgdOptions& sgd, Rng& shuffle,
                   const Compute& compute, const ProgressCallback& progress) {
  validate_sgd(sgd);
  check_features(net, train);
  if (train.samples == 0) throw std::invalid_argument(train.name + " has no samples to train on");
  const std::vector<std::int64_t> order = random_permutation(train.samples, shuffle);
  const std::int64_t batch = std::min(sgd.batch_size, train.samples);
  Trainer trainer(net, batch, compute);
  const nn::Kernels kernels = nn::resolve(compute);
  // Mini-batches alternate between two buffers. On more than one thread the forward product splits
  // the batch's rows between the threads and the weight update its columns, so each core ends a
  // step holding lines of x that the other gathered, and a gather into those lines waits for the
  // other core to give each one up. A buffer's lines are a whole step older when it comes round
  // again, with the other buffer's traffic in between, so fewer of them wait
  // (docs/experiments.md#e31). An epoch of one batch needs only one buffer.
  const auto batch_floats = static_cast<std::size_t>(batch * train.features);
  std::vector<float> x_buffers[2] = {std::vector<float>(batch_floats),
                                     std::vector<float>(batch < train.samples ? batch_floats : 0)};
  std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
  double total = 0.0;
  for (std::int64_t start = 0; start < train.samples; start += batch) {
    const std::int64_t rows = std::min(batch, train.samples - start);
    std::vector<float>& x = x_buffers[(start / batch) % 2];
    gather_batch(train, order.data() + start, rows, kernels, x.data(), labels.data());
    if (start + rows < train.samples)
      prefetch_batch(train, order.data() + start + rows,
                     std::min(batch, train.samples - start - rows));
    const double loss = trainer.step(x.data(), labels.data(), rows, sgd);
    if (!std::isfinite(loss))
      throw TrainingDiverged("training diverged: the loss became " + number_name(loss) +
                             " at mini-batch " + std::to_string(start / batch + 1) +
                             nn::rate_advice(sgd.learning_rate));
    total += loss * static_cast<double>(rows);
    if (progress) progress(start + rows, train.samples);
  }
  return total / static_cast<double>(train.samples);
}

}  // namespace simdml
