// simdml knn: exact k-NN on a named dataset. Either the test set classified for every k of a list
// (accuracy per k, the best k's confusion matrix, time of each phase) or, with --cv, k-fold
// cross-validation of the training set (error per k, the best k).
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "cli/command.hpp"
#include "cli/job.hpp"
#include "cli/json.hpp"
#include "cli/knn_plot.hpp"
#include "cli/report.hpp"
#include "simdml/knn.hpp"

namespace simdml::cli {
namespace {

using Clock = std::chrono::steady_clock;

int parse_k(std::string_view text, const std::string& whole) {
  int k = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (error != std::errc() || end != text.data() + text.size() || k < 1 || k > 1'000'000)
    throw UsageError(
        "--k must list values from 1 to 1000000 (\"1,3,5\" or a range \"1-31\"), got '" + whole +
        "'");
  return k;
}

// --k 1,3,5,7 or 1-31 or both mixed; sorted, without repeats.
std::vector<int> k_values(const Arguments& args, std::string_view fallback) {
  const std::string text = args.get_or("k", std::string(fallback));
  std::vector<int> ks;
  for (std::string_view item : split_list(text)) {
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      ks.push_back(parse_k(item, text));
      continue;
    }
    const int first = parse_k(item.substr(0, dash), text),
              last = parse_k(item.substr(dash + 1), text);
    if (last < first || last - first > 10'000)
      throw UsageError("--k range '" + std::string(item) + "' is empty or too long");
    for (int k = first; k <= last; ++k) ks.push_back(k);
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

// --variant auto (adaptive for images, blocked otherwise) or a kernel name.
const KnnKernel& variant_option(const Arguments& args, const Dataset& train) {
  const std::string name = args.get_or("variant", "auto");
  if (name == "auto")
    return knn_kernel(train.is_image() ? KnnVariant::adaptive : KnnVariant::blocked);
  try {
    return knn_kernel(name);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--variant: ") + e.what());
  }
}

KnnVoting voting_option(const Arguments& args) {
  const auto weights = parse_knn_weights(args.get_or("weights", "uniform"));
  if (!weights) throw UsageError("--weights must be uniform or distance");
  const auto ties = parse_knn_ties(args.get_or("ties", "nearest"));
  if (!ties) throw UsageError("--ties must be nearest or lowest-class");
  return {*weights, *ties};
}

std::string describe(KnnVoting voting) {
  return std::string(knn_weights_name(voting.weights)) + " votes, ties to the " +
         (voting.ties == KnnTies::nearest ? "nearest neighbour's class" : "lowest class");
}

// What this process holds of the training set: every row, or under mpirun with --shard training
// (the default there) its rank's shard, which it read from the files alone (load_named_dataset).
struct TrainingRows {
  std::int64_t first = 0, total = 0;
  std::vector<std::int32_t> labels;     // every row's, for the votes
  std::optional<KnnSharding> sharding;  // --shard, or its default under mpirun
  bool sharded = false;                 // this process holds only its shard
};

std::optional<KnnSharding> sharding_option(const Arguments& args) {
  if (!job().distributed() && !args.has("shard")) return std::nullopt;
  const auto sharding = parse_knn_sharding(args.get_or("shard", "training"));
  if (!sharding) throw UsageError("--shard must be training or queries");
  return sharding;
}

Neighbors search_neighbors(const KnnKernel& kernel, const Dataset& train, const TrainingRows& rows,
                           const Dataset& test, const KnnSearch& search) {
  if (rows.sharded)
    return find_neighbors_sharded(kernel, train, rows.first, rows.total, test, search, job());
  if (rows.sharding == KnnSharding::queries)
    return find_neighbors_for_query_share(kernel, train, test, search, job());
  return find_neighbors(kernel, train, test, search);
}

void check_k_fits(const std::vector<int>& ks, std::int64_t rows, const std::string& what) {
  if (ks.back() > rows)
    throw UsageError("k = " + std::to_string(ks.back()) + " is larger than " + what + " (" +
                     std::to_string(rows) + " rows)");
}

void write_setup(Json& j, const Arguments& args, const NamedDataset& data, const Dataset& train,
                 std::int64_t train_rows, const KnnKernel& kernel, KnnVoting voting, int threads) {
  j.field("command", "knn").field("dataset", data.name).field("source", data.source.string());
  j.field("train_samples", train_rows)
      .field("features", train.features)
      .field("classes", train.classes);
  j.field("variant", knn_variant_name(kernel.variant))
      .field("kernel", kernel.name)
      .field("weights", knn_weights_name(voting.weights));
  j.field("ties", knn_ties_name(voting.ties));
  if (job().distributed() || args.has("shard")) j.field("shard", args.get_or("shard", "training"));
  write_machine(j, Compute{nullptr, nullptr, threads});
}

int run_cross_validation(const Arguments& args, const NamedDataset& data, const Dataset& train,
                         const KnnKernel& kernel, int threads, double load_s) {
  if (train.samples < 2)
    throw UsageError(data.name + " has " + std::to_string(train.samples) +
                     " row; cross-validation needs at least 2");
  const auto folds = static_cast<int>(args.get_int("cv", 10, 2, train.samples));
  const std::vector<int> ks = k_values(args, "1-31");
  check_k_fits(ks, train.samples - (train.samples + folds - 1) / folds,
               "a training part of the folds");
  const KnnVoting voting = voting_option(args);
  const auto seed =
      static_cast<std::uint64_t>(args.get_int("seed", 1, 0, std::numeric_limits<long long>::max()));
  const Clock::time_point start = Clock::now();
  const InterferenceProbe probe;
  const CrossValidation cv = cross_validate(kernel, train, folds, ks, voting, seed, threads, job());
  const double cv_s = seconds_since(start);
  const Interference cv_load = probe.stop(threads);
  std::printf("%d-fold cross-validation, folds shuffled with seed %llu, %s\n", folds,
              static_cast<unsigned long long>(seed), describe(voting).c_str());
  std::printf("    k   error    wrong\n");
  for (std::size_t i = 0; i < ks.size(); ++i)
    std::printf("%5d  %6.2f %%  %lld/%lld%s\n", ks[i], 100.0 * cv.error_rate(i),
                static_cast<long long>(cv.errors[i]), static_cast<long long>(cv.samples),
                ks[i] == cv.best_k ? "  <- best" : "");
  std::printf("best k = %d; time: load %.2f s, cross-validation %.2f s%s\n", cv.best_k, load_s,
              cv_s, cv_load.disturbed() ? ("  [" + cv_load.describe() + "]").c_str() : "");
  Json j;
  j.begin_object();
  write_setup(j, args, data, train, train.samples, kernel, voting, threads);
  j.field("folds", folds)
      .field("seed", static_cast<std::int64_t>(seed))
      .key("errors")
      .begin_array();
  for (std::size_t i = 0; i < ks.size(); ++i)
    j.begin_object()
        .field("k", ks[i])
        .field("errors", cv.errors[i])
        .field("error_rate", cv.error_rate(i))
        .end_object();
  j.end_array().field("best_k", cv.best_k);
  j.key("seconds")
      .begin_object()
      .field("load", load_s)
      .field("cross_validation", cv_s)
      .end_object();
  j.key("interference").begin_object();
  write_interference(j, "cross_validation", cv_load);
  j.end_object();
  j.end_object();
  write_json_option(args, j.str());
  return 0;
}

int run_test_set(const Arguments& args, const NamedDataset& data, const Dataset& train,
                 const TrainingRows& rows, const KnnKernel& kernel, int threads, double load_s) {
  if (!data.test)
    throw UsageError(data.name + " has no test set; use --cv FOLDS to cross-validate it");
  const Dataset& test = *data.test;
  const std::vector<int> ks = k_values(args, "1,3,5,7");
  check_k_fits(ks, rows.total, "the training set");
  const KnnVoting voting = voting_option(args);

  Clock::time_point start = Clock::now();
  const InterferenceProbe probe;
  const Neighbors neighbors = search_neighbors(kernel, train, rows, test, {ks.back(), threads});
  const double search_s = seconds_since(start);
  const Interference search_load = probe.stop(threads);
  start = Clock::now();
  const std::vector<Evaluation> scores =
      score_neighbors(neighbors, ks, rows.labels, train.classes, test, voting);
  const double vote_s = seconds_since(start);

  std::size_t best = 0;
  for (std::size_t i = 1; i < ks.size(); ++i)
    if (scores[i].correct > scores[best].correct) best = i;
  const double ops = 2.0 * static_cast<double>(test.samples) * static_cast<double>(rows.total) *
                     static_cast<double>(train.features);
  const double queries_per_s = static_cast<double>(test.samples) / search_s,
               gops = ops / search_s * 1e-9;

  std::printf("    k   accuracy  correct\n");
  for (std::size_t i = 0; i < ks.size(); ++i)
    std::printf("%5d  %6.2f %%   %lld/%lld%s\n", ks[i], 100.0 * scores[i].accuracy(),
                static_cast<long long>(scores[i].correct), static_cast<long long>(scores[i].total),
                i == best ? "  <- best" : "");
  std::printf("best k = %d, %s\n", ks[best], describe(voting).c_str());
  print_confusion(scores[best].confusion, scores[best].classes);
  std::printf("time     load %.2f s, neighbours %.3f s (%.0f queries/s, %.1f GOPS), votes %.3f s\n",
              load_s, search_s, queries_per_s, gops, vote_s);
  if (search_load.disturbed())
    std::printf("machine  neighbours %s\n", search_load.describe().c_str());
  std::printf("memory   peak resident %.0f MiB\n", peak_resident_mib());
  if (kernel.variant == KnnVariant::blocked)
    std::printf("exact    %lld of %lld queries needed the exact fallback search\n",
                static_cast<long long>(neighbors.exact_fallbacks),
                static_cast<long long>(test.samples));
  const double exact_share = static_cast<double>(neighbors.exact_pairs) /
                             (static_cast<double>(test.samples) * static_cast<double>(rows.total));
  std::printf("exact    %.3f %% of the query x training pairs had their distance computed\n",
              100.0 * exact_share);
  if (kernel.variant == KnnVariant::adaptive)
    std::printf("search   %s\n", neighbors.fallback.empty()
                                     ? "pruned: a sample showed that the bounds pay"
                                     : ("brute force: " + neighbors.fallback).c_str());
  if (!neighbors.phases.empty()) {
    std::printf("phases  ");
    for (const KnnPhase& phase : neighbors.phases)
      std::printf(" %.*s %.3f s", static_cast<int>(phase.name.size()), phase.name.data(),
                  phase.seconds);
    std::printf("\n");
  }

  Json j;
  j.begin_object();
  write_setup(j, args, data, train, rows.total, kernel, voting, threads);
  j.field("test_samples", test.samples).key("results").begin_array();
  for (std::size_t i = 0; i < ks.size(); ++i)
    j.begin_object()
        .field("k", ks[i])
        .field("accuracy", scores[i].accuracy())
        .field("correct", scores[i].correct)
        .field("total", scores[i].total)
        .end_object();
  j.end_array().field("best_k", ks[best]);
  write_confusion(j, scores[best].confusion, scores[best].classes);
  j.key("seconds")
      .begin_object()
      .field("load", load_s)
      .field("neighbors", search_s)
      .field("votes", vote_s);
  for (const KnnPhase& phase : neighbors.phases)
    j.field("neighbors_" + std::string(phase.name), phase.seconds);
  j.end_object();
  j.key("interference").begin_object();
  write_interference(j, "neighbors", search_load);
  j.end_object();
  j.field("queries_per_second", queries_per_s)
      .field("gops", gops)
      .field("exact_fallbacks", neighbors.exact_fallbacks)
      .field("exact_pairs", neighbors.exact_pairs)
      .field("exact_share", exact_share);
  if (kernel.variant == KnnVariant::adaptive) j.field("fallback", neighbors.fallback);
  j.field("peak_resident_mib", peak_resident_mib());
  j.end_object();
  write_json_option(args, j.str());
  return 0;
}

// Options that would be ignored in the mode the others choose are refused, not dropped silently.
void check_option_combinations(const Arguments& args) {
  const auto refuse_beside = [&](std::string_view mode,
                                 std::initializer_list<std::string_view> names,
                                 std::string_view why) {
    for (const std::string_view name : names)
      if (args.has(name))
        throw UsageError("--" + std::string(name) + " does nothing with --" + std::string(mode) +
                         " (" + std::string(why) + ")");
  };
  if (args.has("plot"))
    refuse_beside("plot", {"k", "weights", "ties", "json", "test-limit", "cv", "shard"},
                  "it draws one k's regions on the training rows: --plot-k, --plot-features");
  else
    for (const std::string_view name : {"plot-features", "plot-k"})
      if (args.has(name)) throw UsageError("--" + std::string(name) + " needs --plot");
  if (args.has("cv"))
    refuse_beside("cv", {"test-limit", "shard"},
                  "cross-validation reads the training rows only and shares its folds");
  if (args.has("seed") && !args.has("cv") && !args.has("plot"))
    throw UsageError(
        "--seed shuffles the folds of --cv or --plot; a test-set search draws nothing");
}

}  // namespace

int run_knn(const Arguments& args) {
  check_option_combinations(args);
  apply_isa_option(args);
  const int threads = thread_option(args);
  check_output_options(args, {"json", "plot"});
  // Cross-validation and the plot need every row on every rank; a test-set search under mpirun
  // shards the training rows unless told to share the queries.
  TrainingRows rows;
  rows.sharding = sharding_option(args);
  rows.sharded = rows.sharding == KnnSharding::training && !args.has("cv") && !args.has("plot");
  RowPart part;
  if (rows.sharded)
    part = {job().rank(), job().size(),
            args.has("train-limit") ? args.get_int("train-limit", 0, 1, INT64_MAX) : -1};
  const Clock::time_point start = Clock::now();
  NamedDataset data = dataset_option(args, part);
  const double load_s = seconds_since(start);
  check_outputs_spare_inputs(args, {"json", "plot"}, data.files);
  Dataset& train = data.train;
  if (rows.sharded) {
    if (args.has("train-limit")) args.get_int("train-limit", 0, 1, data.train_rows);  // as below
    rows.first = data.train_first_row, rows.total = data.train_rows;
    rows.labels = all_gather_concat(job(), train.labels);
  } else {
    apply_limit_option(args, "train-limit", train);
    rows.total = train.samples;
    rows.labels = train.labels;
  }
  if (data.test) apply_limit_option(args, "test-limit", *data.test);
  const KnnKernel& kernel = variant_option(args, train);
  check_same_job("knn", args.words(), data);
  std::printf(
      "dataset  %s from %s: %lld training rows%s, %s (%lld features, %d classes)\n",
      data.name.c_str(), data.source.c_str(), static_cast<long long>(rows.total),
      rows.sharded ? (" (" + std::to_string(train.samples) + " on each rank)").c_str() : "",
      data.test ? (std::to_string(data.test->samples) + " test rows").c_str() : "no test set",
      static_cast<long long>(train.features), train.classes);
  std::printf("compute  k-NN %s, simd target %s, %d %s%s\n", std::string(kernel.name).c_str(),
              std::string(isa_name(active_isa())).c_str(), threads,
              threads == 1 ? "thread" : "threads",
              job().distributed() ? (" on each of " + job_summary()).c_str() : "");
  std::fflush(stdout);
  if (args.has("plot")) {
    if (job().distributed()) throw UsageError("--plot draws on one process; run it without mpirun");
    // The plot's mesh and points are float features: the variant must take them.
    const KnnKernel& plot_kernel = args.has("variant") ? kernel : knn_kernel(KnnVariant::blocked);
    return draw_decision_regions(args, train, plot_kernel, threads);
  }
  return args.has("cv") ? run_cross_validation(args, data, train, kernel, threads, load_s)
                        : run_test_set(args, data, train, rows, kernel, threads, load_s);
}

}  // namespace simdml::cli
