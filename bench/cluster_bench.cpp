// The job's exchanges under mpirun: fixed_tree_sum (a reduce-scatter and an all-gather in the
// slice tree's order) and a plain all_gather, by message size, beside a copy of the same bytes. Run
// it as
//   mpirun -np 2 build/bench/cluster_bench
// Every rank runs every benchmark for a fixed number of iterations (the collectives keep them in
// step; Google Benchmark's adaptive count would differ between ranks and hang them); rank 0
// reports. The latency and bandwidth the scaling model in docs/scaling.md is calibrated with.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "cluster/mpi_cluster.hpp"
#include "interference_counters.hpp"

namespace {

simdml::Cluster* world = nullptr;

// One vector of `floats` for each of 2 slices per rank, summed in the slice tree.
void tree_sum(benchmark::State& state) {
  const simdml::bench::InterferenceCounters counters(state, 1);  // each rank is one thread
  const auto floats = static_cast<std::size_t>(state.range(0));
  const int ranks = world->size();
  const std::int64_t slices = 2 * ranks;
  simdml::FixedTreeSum sum(*world, slices);
  std::vector<std::vector<float>> mine(2, std::vector<float>(floats, 1.0f));
  std::vector<float> total;
  for (auto _ : state) {
    sum(mine, total);  // mine now holds partial sums: the same work at every iteration
    benchmark::DoNotOptimize(total.data());
  }
  state.counters["bytes_per_rank"] = static_cast<double>(floats * sizeof(float));
  state.counters["GB/s"] = benchmark::Counter(
      static_cast<double>(floats * sizeof(float)) * static_cast<double>(state.iterations()) / 1e9,
      benchmark::Counter::kIsRate);
}

void all_gather(benchmark::State& state) {
  const simdml::bench::InterferenceCounters counters(state, 1);  // each rank is one thread
  const std::vector<std::byte> mine(static_cast<std::size_t>(state.range(0)));
  simdml::RankBytes all;
  for (auto _ : state) {
    world->all_gather(mine, all);
    benchmark::DoNotOptimize(all.bytes.data());
  }
  state.counters["bytes_per_rank"] = static_cast<double>(state.range(0));
}

// The yardstick: copying the same bytes within one rank (what shared memory moves at best).
void copy(benchmark::State& state) {
  const simdml::bench::InterferenceCounters counters(state, 1);  // each rank is one thread
  const auto bytes = static_cast<std::size_t>(state.range(0)) * sizeof(float);
  const std::vector<std::byte> from(bytes, std::byte{1});
  std::vector<std::byte> to(bytes);
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(bytes) * static_cast<double>(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
}

// 89,216 floats: 784-100-10's gradient as sliced_step lays it out (784 x 112 + 100 weights of the
// padded hidden layer, 100 x 10 + 10 of the output layer, roughly); 2^20: about twelve times it.
BENCHMARK(tree_sum)
    ->Arg(1)
    ->Arg(1024)
    ->Arg(16384)
    ->Arg(89216)
    ->Arg(1 << 20)
    ->Iterations(300)
    ->UseRealTime();
BENCHMARK(copy)->Arg(89216)->Arg(1 << 20)->Iterations(300)->UseRealTime();
BENCHMARK(all_gather)->Arg(8)->Arg(1024)->Arg(65536)->Arg(1 << 20)->Iterations(300)->UseRealTime();

class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  // Each rank would shuffle the benchmarks its own way and meet the others in another collective.
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).find("random_interleaving") != std::string_view::npos) {
      std::fprintf(stderr,
                   "cluster_bench: every rank must run the benchmarks in one order; "
                   "use --benchmark_repetitions without random interleaving\n");
      return 2;
    }
  const std::unique_ptr<simdml::Cluster> job = simdml::open_mpi_world(argc, argv);
  world = job.get();
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("ranks", std::to_string(job->size()));
  benchmark::AddCustomContext("transport", job->description());
  if (job->rank() == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    Silent silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
