#include "cli/run_stages.hpp"

#include <algorithm>
#include <filesystem>

#include "simdml/data.hpp"

namespace simdml::cli {
namespace {

std::string path(const std::filesystem::path& p) { return p.string(); }

// The reproducible accuracy runs: the textbook programs, fixed seed, on the accuracy target so
// that their results can be compared with tests/baselines/accuracy.json bit for bit.
struct AccuracyRun {
  const char* name;
  std::string title;
  std::vector<std::string> args;
  const char* summary_prefix;
};

AccuracyRun adam_run(int seed) {
  static const char* const names[] = {"adam-seed1", "adam-seed2", "adam-seed3"};
  return {names[seed - 1],
          "784-100-10 ReLU + softmax cross-entropy, He init, Adam (rate 0.001), batch 64, 10 "
          "epochs, seed " +
              std::to_string(seed),
          {"train", "--layers", "784,100,10", "--activation", "relu", "--loss", "cross-entropy",
           "--init", "he", "--optimizer", "adam", "--eta", "0.001", "--batch", "64", "--epochs",
           "10", "--seed", std::to_string(seed)},
          "final"};
}

std::vector<AccuracyRun> accuracy_runs() {
  return {
      {"nielsen",
       "Nielsen's network.py: 784-30-10 sigmoid, quadratic cost, batch 10, rate 3.0, 30 epochs",
       {"train", "--layers", "784,30,10", "--activation", "sigmoid", "--loss", "quadratic",
        "--init", "normal", "--batch", "10", "--eta", "3.0", "--epochs", "30", "--seed", "1"},
       "final"},
      {"relu",
       "784-100-10 ReLU + softmax cross-entropy, He init, batch 64, rate 0.1, 10 epochs",
       {"train", "--layers", "784,100,10", "--activation", "relu", "--loss", "cross-entropy",
        "--init", "he", "--batch", "64", "--eta", "0.1", "--epochs", "10", "--seed", "1"},
       "final"},
      // The configuration PyTorch's Adam reaches 96.13 / 96.45 / 96.63 % with on MNIST 20k/10k
      // over seeds 1 to 3: three seeds, to show the band rather than one draw.
      adam_run(1),
      adam_run(2),
      adam_run(3),
      {"knn", "exact k-NN on the pixels, k = 1 to 10", {"knn", "--k", "1-10"}, "best k"},
  };
}

// Google Benchmark filters per mode: quick is a smoke test, standard the report's set (every
// variant, sizes up to 1024), full every benchmark.
struct BenchmarkSet {
  const char* suite;
  const char* quick;
  const char* standard;
};

// gemm_bench's FMA peak (fma_peak/) is the denominator of "% of peak", measured interleaved with
// the GEMMs; peak_bench, which measures only that, is left out.
constexpr BenchmarkSet kBenchmarkSets[] = {
    {"gemm_bench", "/(64x64|256x256)x|/100x30x784|^fma_peak/",
     "/(64|128|256|512|1024)x|x(10|30|100|784)x|^fma_peak/"},
    {"activation_bench", "^(copy|exp|sigmoid|softmax10)/.*/100000$",
     "/(100000|10000000)$|^underflow/"},
    {"train_bench", "train/(blocked|simd-[a-z0-9]+)/b64/h100", "/b(10|64)/h(30|100)/|nielsen"},
    {"knn_bench", "knn/DATASET-.*(int8-avx|faiss)", "knn/DATASET-"},
};

std::string bench_filter(const BenchmarkSet& set, RunMode mode, const std::string& dataset) {
  std::string filter = mode == RunMode::full    ? "."
                       : mode == RunMode::quick ? set.quick
                                                : set.standard;
  if (const auto at = filter.find("DATASET"); at != std::string::npos)
    filter.replace(at, 7, dataset);
  return filter;
}

// Thread counts benchmarked: 1 and all (the full sweep adds the powers of two between).
// Appended piecewise: `"," + std::to_string(t)` trips GCC 12's false -Wrestrict (its bug 105651).
std::string bench_threads(const RunSettings& s) {
  std::string out = "1";
  const auto append = [&out](int t) { out.append(",").append(std::to_string(t)); };
  for (int t = 2; t < s.threads; t *= 2)
    if (s.mode == RunMode::full) append(t);
  if (s.threads > 1) append(s.threads);
  return out;
}

// Seconds each benchmark program may spend measuring again what interference spoilt
// (python/simdml_run/measure.py): on a quiet machine none of it is used.
const char* remeasure_budget(RunMode mode) {
  return mode == RunMode::quick ? "30" : mode == RunMode::full ? "300" : "120";
}

// The program runs under simdml_run.measure, which repeats the benchmarks whose repetitions were
// disturbed and writes the JSON.
Stage benchmark_stage(const RunSettings& s, const BenchmarkSet& set) {
  const bool quick = s.mode == RunMode::quick;
  const std::string json = std::string(set.suite) + ".json";
  Stage stage{set.suite,
              std::string("benchmark ") + set.suite,
              s.installation.python_module("measure", {"--out", path(s.out / json), "--budget",
                                                       remeasure_budget(s.mode), "--"}),
              {},
              "measured:",
              json};
  stage.argv.insert(
      stage.argv.end(),
      {path(s.installation.programs / "bench" / set.suite),
       "--benchmark_filter=" + bench_filter(set, s.mode, s.dataset),
       std::string("--benchmark_min_time=") + (quick                     ? "0.05"
                                               : s.mode == RunMode::full ? "0.2"
                                                                         : "0.1"),
       std::string("--benchmark_repetitions=") + (quick ? "1" : "3"),
       // Repetitions interleaved at random so that drift hits every variant alike;
       // the JSON keeps every repetition for bench_compare's rank test.
       "--benchmark_enable_random_interleaving=true", "--benchmark_display_aggregates_only=true"});
  stage.environment["PYTHONPATH"] = s.installation.python_path();
  stage.environment["SIMDML_BENCH_THREADS"] = bench_threads(s);
  if (s.data_root) stage.environment["SIMDML_DATA"] = *s.data_root;
  return stage;
}

// A module of the simdml_run package (installation.hpp), with the package on PYTHONPATH.
Stage python_stage(const RunSettings& s, std::string name, std::string title,
                   std::string_view module, std::vector<std::string> args,
                   std::string summary_prefix, std::string output) {
  Stage stage{std::move(name),
              std::move(title),
              s.installation.python_module(module, std::move(args)),
              {},
              std::move(summary_prefix),
              std::move(output)};
  stage.environment["PYTHONPATH"] = s.installation.python_path();
  return stage;
}

// PyTorch on train_bench's configurations, right after it: the peer's seconds per epoch beside
// simdml's, on the same machine minutes apart (the script interleaves its own repetitions).
Stage torch_stage(const RunSettings& s) {
  Stage stage = python_stage(
      s, "torch_bench", "PyTorch peer on the training configurations", "torch_train_bench",
      {"--out", path(s.out / "torch_bench.json"), "--repetitions", "3"}, "", "torch_bench.json");
  stage.environment["SIMDML_BENCH_THREADS"] = bench_threads(s);
  return stage;
}

}  // namespace

std::vector<std::string> benchmark_suites() {
  std::vector<std::string> names;
  for (const BenchmarkSet& set : kBenchmarkSets) names.emplace_back(set.suite);
  return names;
}

std::vector<Stage> plan_stages(const RunSettings& s) {
  const std::string simdml = path(s.installation.simdml), threads = std::to_string(s.threads);
  std::vector<Stage> stages;
  stages.push_back({"machine",
                    "machine and build",
                    {simdml, "info", "--threads", threads, "--json", path(s.out / "machine.json")},
                    {},
                    "simd target used",
                    "machine.json"});
  if (s.accuracy)
    for (const AccuracyRun& run : accuracy_runs()) {
      const std::string json = "accuracy/" + std::string(run.name) + ".json";
      Stage stage{run.name, run.title, {simdml}, {}, run.summary_prefix, json};
      stage.argv.insert(stage.argv.end(), run.args.begin(), run.args.end());
      stage.argv.insert(stage.argv.end(), {"--dataset", s.dataset, "--threads",
                                           s.automatic_threads ? "auto" : threads, "--isa",
                                           s.accuracy_isa, "--json", path(s.out / json)});
      if (s.data_root) stage.argv.insert(stage.argv.end(), {"--data", *s.data_root});
      stages.push_back(std::move(stage));
    }
  if (s.accuracy &&
      std::filesystem::exists(simdml::resolve_data_root(s.data_root) / "iris" / "iris.csv")) {
    // The k-NN tutorial's picture: iris's decision regions (petal features, the CV's best k).
    Stage plot{"iris_regions",    "k-NN decision regions on iris", {simdml}, {}, "plot",
               "iris_regions.svg"};
    plot.argv.insert(plot.argv.end(), {"knn", "--dataset", "iris", "--threads", threads, "--plot",
                                       path(s.out / "iris_regions.svg")});
    if (s.data_root) plot.argv.insert(plot.argv.end(), {"--data", *s.data_root});
    stages.push_back(std::move(plot));
  }
  if (s.benchmarks)
    for (const BenchmarkSet& set : kBenchmarkSets)
      if (s.suites.empty() ||
          std::find(s.suites.begin(), s.suites.end(), set.suite) != s.suites.end()) {
        stages.push_back(benchmark_stage(s, set));
        if (std::string_view(set.suite) == "train_bench" && s.mode != RunMode::quick)
          stages.push_back(torch_stage(s));
      }
  if (s.instructions)
    stages.push_back(python_stage(
        s, "instructions",
        "instruction counts under callgrind (avx2) against the committed baseline", "icount_gate",
        {"--build", path(s.installation.programs), "--baseline",
         path(s.installation.baselines / "instruction_counts.json"), "--json",
         path(s.out / "instruction_counts.json"), "--report-only"},
        "instruction counts", "instruction_counts.json"));
  if (s.report)
    stages.push_back(python_stage(s, "report", "results.json, report.md and plots", "report",
                                  {path(s.out), "--baselines", path(s.installation.baselines)},
                                  "wrote", "report.md"));
  if (s.history)
    stages.push_back(python_stage(s, "history",
                                  "record the run in the history database " + *s.history, "history",
                                  {"add", "--db", *s.history, path(s.out)}, "", ""));
  return stages;
}

}  // namespace simdml::cli
