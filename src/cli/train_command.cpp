// simdml train: mini-batch SGD on a named dataset, one line per epoch, optional model and report.
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli/command.hpp"
#include "cli/job.hpp"
#include "cli/json.hpp"
#include "cli/report.hpp"
#include "simdml/interference.hpp"
#include "simdml/model_file.hpp"

namespace simdml::cli {
namespace {

// --layers 784,30,10; without it: the dataset's features, 30 hidden units, its classes.
std::vector<std::int64_t> layer_sizes(const Arguments& args, const Dataset& train) {
  const auto text = args.get("layers");
  if (!text) return {train.features, 30, train.classes};
  std::vector<std::int64_t> sizes;
  for (std::string_view item : split_list(*text)) {
    std::int64_t size = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), size);
    if (error != std::errc() || end != item.data() + item.size() || size < 1 || size > 1'000'000)
      throw UsageError("--layers must be sizes from 1 to 1000000 separated by commas, got '" +
                       *text + "'");
    sizes.push_back(size);
  }
  if (sizes.size() < 2) throw UsageError("--layers needs at least an input and an output size");
  if (sizes.front() != train.features)
    throw UsageError("--layers starts with " + std::to_string(sizes.front()) + " but " +
                     train.name + " has " + std::to_string(train.features) +
                     " features per sample");
  if (sizes.back() != train.classes)
    throw UsageError("--layers ends with " + std::to_string(sizes.back()) + " but " + train.name +
                     " has " + std::to_string(train.classes) + " classes");
  return sizes;
}

// --activation relu (every hidden layer) or relu,tanh (one per hidden layer).
std::vector<Activation> hidden_activations(const Arguments& args, std::size_t hidden_layers) {
  const std::string text = args.get_or("activation", "sigmoid");
  const auto names = split_list(text);
  if (names.size() != 1 && names.size() != hidden_layers)
    throw UsageError("--activation needs one name or one per hidden layer (" +
                     std::to_string(hidden_layers) + ")");
  std::vector<Activation> out;
  for (std::size_t l = 0; l < hidden_layers; ++l) {
    const auto a = parse_activation(names[names.size() == 1 ? 0 : l]);
    if (!a) throw UsageError("--activation must be sigmoid, tanh or relu, got '" + text + "'");
    out.push_back(*a);
  }
  return out;
}

// --optimizer sgd (network.py's rule; --eta defaults to its 3.0) or adam (--eta 0.001, PyTorch's
// and Keras's default), with --momentum for sgd and --beta1, --beta2, --epsilon for adam.
TrainingOptions training_options(const Arguments& args) {
  TrainingOptions o;
  const auto optimizer = parse_optimizer(args.get_or("optimizer", "sgd"));
  if (!optimizer) throw UsageError("--optimizer must be sgd or adam");
  o.optimizer = *optimizer;
  const bool adam = o.optimizer == Optimizer::adam;
  for (const char* name : {"beta1", "beta2", "epsilon"})
    if (!adam && args.get(name))
      throw UsageError(std::string("--") + name + " needs --optimizer adam");
  if (adam && args.get("momentum"))
    throw UsageError("--momentum is an SGD option; Adam's momentum is --beta1");
  o.batch_size = args.get_int("batch", 10, 1, 1 << 20);
  o.learning_rate = static_cast<float>(args.get_double("eta", adam ? 1e-3 : 3.0, 1e-30, 1e6));
  o.momentum = static_cast<float>(args.get_double("momentum", 0.0, 0.0, 0.999999));
  o.weight_decay = static_cast<float>(args.get_double("l2", 0.0, 0.0, 1e6));
  o.beta1 = static_cast<float>(args.get_double("beta1", 0.9, 0.0, 0.999999));
  o.beta2 = static_cast<float>(args.get_double("beta2", 0.999, 0.0, 0.9999999));
  o.epsilon = static_cast<float>(args.get_double("epsilon", 1e-8, 1e-30, 1.0));
  return o;
}

// --validation F: a stratified, seeded random fraction of the training set (0 < F < 1).
std::optional<Dataset> validation_split(const Arguments& args, Dataset& train, std::uint64_t seed) {
  if (!args.has("validation")) return std::nullopt;
  const std::string text = *args.get("validation");
  const double fraction = args.get_double("validation", 0.0, -1e300, 1e300);  // range: below
  if (fraction <= 0.0 || fraction >= 1.0)
    throw UsageError(
        "--validation takes a fraction of the training set above 0 and below 1, "
        "such as 0.1; got '" +
        text + "'");
  try {
    return split_validation(train, fraction, seed);
  } catch (const std::invalid_argument& e) {
    throw UsageError("--validation " + text + ": " + e.what());
  }
}

// A bar on a terminal, redrawn at each whole percent; nothing when stdout is a file or a pipe, or
// under mpirun (which forwards rank 0's terminal output line by line).
ProgressCallback progress_bar(int epoch, int epochs) {
  if (isatty(STDOUT_FILENO) == 0 || job().distributed()) return {};
  return [epoch, epochs, last = -1](std::int64_t done, std::int64_t total) mutable {
    const int percent = static_cast<int>(100 * done / total);
    if (percent == last) return;
    last = percent;
    std::printf("\r  epoch %d/%d [%-40s] %3d %%", epoch, epochs,
                std::string(static_cast<std::size_t>(percent * 40 / 100), '#').c_str(), percent);
    if (done == total) std::printf("\r%*s\r", 70, "");
    std::fflush(stdout);
  };
}

}  // namespace

int run_train(const Arguments& args) {
  Compute compute = compute_options(args);
  // The machine's load is read from now on, so that the team knows it by the first epoch.
  if (compute.adapt_team) threads_for_now(compute.threads);
  compute.cluster = &job();
  TrainingOptions sgd = training_options(args);
  sgd.slices = args.get_int("slices", 1, 1, kMaxSlices);
  if (sgd.slices < job().size())
    throw UsageError("training on " + std::to_string(job().size()) +
                     " ranks needs --slices of at least " + std::to_string(job().size()) +
                     " (each rank computes whole slices of every mini-batch)");
  const int epochs = static_cast<int>(args.get_int("epochs", 30, 0, 100000));
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1, 0, INT64_MAX));
  const auto loss = parse_loss(args.get_or("loss", "quadratic"));
  if (!loss) throw UsageError("--loss must be quadratic or cross-entropy");
  const auto init = parse_init(args.get_or("init", "normal"));
  if (!init) throw UsageError("--init must be normal, xavier or he");
  check_output_options(args, {"save", "json"});

  NamedDataset data = dataset_option(args);
  check_outputs_spare_inputs(args, {"save", "json"}, data.files);
  apply_limit_option(args, "train-limit", data.train);
  if (data.test)
    apply_limit_option(args, "test-limit", *data.test);
  else if (args.has("test-limit"))
    throw UsageError(data.name + " has no test set for --test-limit to limit");
  const std::optional<Dataset> validation = validation_split(args, data.train, seed);
  const std::vector<std::int64_t> sizes = layer_sizes(args, data.train);
  Network net = make_network(sizes, hidden_activations(args, sizes.size() - 2), *loss, *init, seed);
  const Dataset* monitor = validation ? &*validation : data.test ? &*data.test : nullptr;
  check_same_job("train", args.words(), data);

  TrainReport report(data, net, sgd, epochs, seed, compute, std::string(init_name(*init)));
  report.print_header(validation.has_value());
  Rng shuffle(seed, kShuffleStream);
  const DivergenceGuard guard(net);
  Trainer trainer(net, sgd, compute);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const InterferenceProbe probe;
    const Trainer::SlicePhases before = trainer.slice_phases();
    const std::map<int, std::int64_t> steps_before = trainer.steps_by_team();
    const double train_loss = trainer.epoch(data.train, shuffle, progress_bar(epoch, epochs));
    EpochTiming timing;
    timing.seconds = seconds_since(start);
    timing.interference = probe.stop(compute.threads);
    if (sgd.slices > 1 || job().distributed()) {
      const Trainer::SlicePhases after = trainer.slice_phases();
      timing.phases =
          Trainer::SlicePhases{after.gradients - before.gradients, after.exchange - before.exchange,
                               after.update - before.update};
    }
    for (const auto& [team, steps] : trainer.steps_by_team()) {
      const auto earlier = steps_before.find(team);
      const std::int64_t ran = steps - (earlier == steps_before.end() ? 0 : earlier->second);
      if (ran > 0) timing.team_steps[team] = ran;
    }
    guard.check(net, epoch, sgd.learning_rate);
    const std::optional<Evaluation> checked =
        monitor ? std::optional(evaluate(net, *monitor, compute)) : std::nullopt;
    report.add_epoch(epoch, train_loss, checked, timing);
  }
  if (data.test)
    report.set_final(evaluate(net, *data.test, compute), "test");
  else if (validation)
    report.set_final(evaluate(net, *validation, compute), "validation");
  if (const auto path = args.get("save"); path && writes_outputs()) {
    save_model(net, *path);
    std::printf("saved model to %s\n", path->c_str());
  }
  write_json_option(args, report.json());
  return 0;
}

}  // namespace simdml::cli
