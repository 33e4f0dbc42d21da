// k-NN throughput: exact k = 7 neighbours of the 10,000 test images among MNIST's 20,000 training
// images (the first 20,000 of MNIST's, or all 60,000), Fashion-MNIST's 60,000, and 2,000 uniform
// noise images among 20,000 (where no bound prunes), for every kernel
// of the list and, when Debian's libfaiss-dev was found at configure time, faiss's IndexFlatL2
// beside them. Counters: queries/s (items) and OP/s, counting a multiply and an add per feature of
// every query x training pair (2 Q N K), whether computed or, for pruned, skipped by its bound;
// pruned and adaptive also report exact_share, their phases' seconds and whether adaptive fell back
// to brute force. The naive loops run on the first 200
// queries only (rates stay comparable). Datasets come from SIMDML_DATA (else ./data); a missing one
// is reported and skipped.
//
//   SIMDML_DATA=$PWD/data ./build/bench/knn_bench --benchmark_filter='mnist'
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_main.hpp"
#include "simdml/knn.hpp"
#include "synthetic_images.hpp"

#ifdef SIMDML_HAVE_FAISS
#include <cblas.h>
#include <faiss/IndexFlat.h>
#include <omp.h>
#endif

namespace simdml::bench {
namespace {

constexpr int kNeighbors = 7;
constexpr std::int64_t kNaiveQueries = 200;

struct Problem {
  std::string name;  // "mnist-20000x10000"
  Dataset train, queries;
};

void set_counters(benchmark::State& state, const Problem& p, std::int64_t queries) {
  state.SetItemsProcessed(state.iterations() * queries);
  const double ops = 2.0 * static_cast<double>(queries) * static_cast<double>(p.train.samples) *
                     static_cast<double>(p.train.features);
  state.counters["OP/s"] = benchmark::Counter(ops, benchmark::Counter::kIsIterationInvariantRate);
}

void knn_benchmark(benchmark::State& state, const Problem& p, const KnnKernel& kernel,
                   int threads) {
  const Dataset queries =
      kernel.variant == KnnVariant::naive ? slice_rows(p.queries, 0, kNaiveQueries) : p.queries;
  Neighbors last;
  for (auto _ : state) {
    last = find_neighbors(kernel, p.train, queries, KnnSearch{kNeighbors, threads});
    benchmark::DoNotOptimize(last.index.data());
  }
  set_counters(state, p, queries.samples);
  // pruned: the share of the pairs whose distance it computed, and its phases' seconds (the last
  // iteration's).
  if (kernel.variant == KnnVariant::pruned || kernel.variant == KnnVariant::adaptive) {
    state.counters["exact_share"] =
        static_cast<double>(last.exact_pairs) /
        (static_cast<double>(queries.samples) * static_cast<double>(p.train.samples));
    for (const KnnPhase& phase : last.phases)
      state.counters[std::string(phase.name) + "_s"] = phase.seconds;
    state.counters["fell_back"] = last.fallback.empty() ? 0.0 : 1.0;
  }
}

#ifdef SIMDML_HAVE_FAISS
// faiss's exact L2 search on the same float features: the library users reach for.
void faiss_benchmark(benchmark::State& state, const Problem& p, int threads) {
  faiss::IndexFlatL2 index(static_cast<faiss::Index::idx_t>(p.train.features));
  index.add(p.train.samples, p.train.x.data());
  std::vector<float> distances(static_cast<std::size_t>(p.queries.samples * kNeighbors));
  std::vector<faiss::Index::idx_t> labels(distances.size());
  omp_set_num_threads(threads);       // faiss's own loops
  openblas_set_num_threads(threads);  // the sgemm it calls runs on OpenBLAS's threads
  for (auto _ : state) {
    index.search(p.queries.samples, p.queries.x.data(), kNeighbors, distances.data(),
                 labels.data());
    benchmark::DoNotOptimize(labels.data());
  }
  set_counters(state, p, p.queries.samples);
}
#endif

std::unique_ptr<Problem> load_problem(std::string_view dataset) {
  try {
    NamedDataset d = load_named_dataset(dataset, resolve_data_root(std::nullopt));
    auto p = std::make_unique<Problem>();
    p->name = std::string(dataset) + "-" + std::to_string(d.train.samples) + "x" +
              std::to_string(d.test->samples);
    p->train = std::move(d.train);
    p->queries = std::move(*d.test);
    return p;
  } catch (const DataError& e) {
    std::fprintf(stderr, "knn_bench: skipping %.*s: %s\n", static_cast<int>(dataset.size()),
                 dataset.data(), e.what());
    return nullptr;
  }
}

// Uniform noise, 20,000 x 2,000 images: nothing a bound can prune, where the adaptive search must
// fall back to brute force at little cost.
std::shared_ptr<const Problem> noise_problem() {
  auto p = std::make_shared<Problem>();
  p->name = "noise-20000x2000";
  p->train = synthetic_images(20000, 71);
  p->queries = synthetic_images(2000, 72);
  return p;
}

}  // namespace

void register_benchmarks() {
#ifdef SIMDML_HAVE_FAISS
  benchmark::AddCustomContext("faiss", std::to_string(FAISS_VERSION_MAJOR) + "." +
                                           std::to_string(FAISS_VERSION_MINOR) + "." +
                                           std::to_string(FAISS_VERSION_PATCH) + ", sgemm from " +
                                           openblas_get_config());
#endif
  std::vector<std::shared_ptr<const Problem>> problems;
  for (std::string_view dataset : {"mnist", "fashion-mnist"})
    if (std::shared_ptr<const Problem> problem = load_problem(dataset)) problems.push_back(problem);
  problems.push_back(noise_problem());
  for (const std::shared_ptr<const Problem>& problem : problems) {
    for (const KnnKernel& kernel : knn_kernels()) {
      if (!runs_here(kernel)) continue;
      for (int threads : thread_counts())
        register_timed("knn/" + problem->name + "/" + std::string(kernel.name), threads,
                       [problem, &kernel, threads](benchmark::State& s) {
                         knn_benchmark(s, *problem, kernel, threads);
                       });
    }
#ifdef SIMDML_HAVE_FAISS
    for (int threads : thread_counts())
      register_timed(
          "knn/" + problem->name + "/faiss-IndexFlatL2", threads,
          [problem, threads](benchmark::State& s) { faiss_benchmark(s, *problem, threads); });
#endif
  }
}

}  // namespace simdml::bench
