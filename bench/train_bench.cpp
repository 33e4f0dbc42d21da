// Training throughput: one epoch of mini-batch SGD per iteration on synthetic MNIST-shaped images
// (synthetic_images.hpp), network.py's layer types (sigmoid hidden layer, sigmoid outputs +
// quadratic cost), for every GEMM variant, batch size and hidden size, on each thread count.
// Counters: samples/s (items) and the GEMM work as FLOP/s.
//
//   ./build/bench/train_bench --benchmark_filter='simd/b256'
//   ./build/bench/train_bench --benchmark_filter='nielsen_epoch'   # the 20,000-image epoch
#include <string>

#include "bench_main.hpp"
#include "simdml/network.hpp"
#include "synthetic_images.hpp"

namespace simdml::bench {
namespace {

// Multiply-adds x 2 per sample: forward and weight gradient for every layer, and the delta handed
// down for every layer but the first.
double flops_per_sample(const Network& net) {
  double flops = 0;
  for (std::size_t l = 0; l < net.layers.size(); ++l)
    flops +=
        (l == 0 ? 4.0 : 6.0) * static_cast<double>(net.layers[l].inputs * net.layers[l].outputs);
  return flops;
}

void train_benchmark(benchmark::State& state, const GemmKernel& gemm, std::int64_t batch,
                     std::int64_t hidden, std::int64_t samples, int threads) {
  const Dataset data = synthetic_images(samples, 1);
  Network net =
      make_network({784, hidden, 10}, {Activation::sigmoid}, Loss::quadratic, Init::normal, 1);
  TrainingOptions sgd;
  sgd.learning_rate = 3.0f;
  sgd.batch_size = batch;
  Rng shuffle(1, kShuffleStream);
  Compute compute;
  compute.gemm = &gemm;
  compute.threads = threads;
  Trainer trainer(net, sgd, compute);
  for (auto _ : state) benchmark::DoNotOptimize(trainer.epoch(data, shuffle));
  state.SetItemsProcessed(state.iterations() * samples);
  state.counters["FLOP/s"] =
      benchmark::Counter(flops_per_sample(net) * static_cast<double>(samples),
                         benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

void register_benchmarks() {
  for (const GemmKernel& kernel : gemm_kernels()) {
    if (!runs_here(kernel)) continue;
    const bool slow = kernel.variant == GemmVariant::naive;
    for (std::int64_t batch : {10, 64, 256})
      for (std::int64_t hidden : {30, 100, 500}) {
        // Enough samples for several batches; fewer for the naive loops, which take seconds.
        const std::int64_t samples = slow ? 512 : 2560;
        for (int threads : thread_counts()) {
          // Appended, not concatenated: `"/b" + std::to_string(...)` trips GCC 12's false
          // -Wrestrict (its bug 105651).
          std::string name = "train/";
          name.append(kernel.name)
              .append("/b")
              .append(std::to_string(batch))
              .append("/h")
              .append(std::to_string(hidden));
          register_timed(name, threads,
                         [&kernel, batch, hidden, samples, threads](benchmark::State& s) {
                           train_benchmark(s, kernel, batch, hidden, samples, threads);
                         });
        }
      }
  }
  // The textbook speed figure: one epoch of network.py's configuration on 20,000 images.
  for (int threads : thread_counts())
    register_timed("nielsen_epoch/20000x784-30-10/b10", threads, [threads](benchmark::State& s) {
      train_benchmark(s, gemm_kernel(GemmVariant::simd), 10, 30, 20000, threads);
    });
}

}  // namespace simdml::bench
