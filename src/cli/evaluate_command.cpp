// simdml evaluate and simdml predict: a saved model on a named dataset.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "cli/command.hpp"
#include "cli/json.hpp"
#include "cli/report.hpp"
#include "simdml/model_file.hpp"

namespace simdml::cli {
namespace {

// --split test (default, when the dataset has one) or train.
const Dataset& chosen_split(const Arguments& args, NamedDataset& data) {
  const std::string split = args.get_or("split", data.test ? "test" : "train");
  if (split == "train") return data.train;
  if (split != "test") throw UsageError("--split must be test or train");
  if (!data.test) throw UsageError(data.name + " has no test set; use --split train");
  return *data.test;
}

void check_model_fits(const Network& net, const Dataset& data) {
  if (net.inputs() != data.features || net.outputs() < data.classes)
    throw UsageError("the model takes " + std::to_string(net.inputs()) + " features and has " +
                     std::to_string(net.outputs()) + " outputs; " + data.name + " has " +
                     std::to_string(data.features) + " features and " +
                     std::to_string(data.classes) + " classes");
}

std::string required(const Arguments& args, std::string_view name) {
  const auto value = args.get(name);
  if (!value) throw UsageError("--" + std::string(name) + " is required");
  return *value;
}

// The image in the terminal, two characters per pixel, darker to lighter ink.
void draw_image(const Dataset& data, std::int64_t index) {
  constexpr std::string_view kShades = " .:-=+*#%@";
  for (std::int64_t y = 0; y < data.image_height; ++y) {
    std::string line;
    for (std::int64_t x = 0; x < data.image_width; ++x) {
      const float v = data.row(index)[y * data.image_width + x];
      const auto shade = static_cast<std::size_t>(
          std::clamp(v, 0.0f, 1.0f) * static_cast<float>(kShades.size() - 1) + 0.5f);
      line.append(2, kShades[shade]);
    }
    std::printf("  |%s|\n", line.c_str());
  }
}

}  // namespace

int run_evaluate(const Arguments& args) {
  const Compute compute = compute_options(args);
  check_output_options(args, {"json"});
  const Network net = load_model(required(args, "model"));
  NamedDataset data = dataset_option(args);
  std::vector<std::filesystem::path> inputs = data.files;
  inputs.emplace_back(required(args, "model"));
  check_outputs_spare_inputs(args, {"json"}, inputs);
  Dataset set = chosen_split(args, data);
  apply_limit_option(args, "limit", set);
  check_model_fits(net, set);
  const Evaluation e = evaluate(net, set, compute);
  std::printf("model    %s\n", describe_network(net).c_str());
  std::printf("dataset  %s (%lld samples)\ncompute  %s\n", set.name.c_str(),
              static_cast<long long>(set.samples), compute_summary(compute).c_str());
  std::printf("accuracy %.2f %% (%lld/%lld)\n", 100.0 * e.accuracy(),
              static_cast<long long>(e.correct), static_cast<long long>(e.total));
  print_confusion(e.confusion, net.outputs());
  Json j;
  j.begin_object()
      .field("command", "evaluate")
      .field("model", required(args, "model"))
      .field("dataset", set.name);
  write_machine(j, compute);
  j.field("accuracy", e.accuracy()).field("correct", e.correct).field("total", e.total);
  write_confusion(j, e.confusion, net.outputs());
  j.end_object();
  write_json_option(args, j.str());
  return 0;
}

int run_predict(const Arguments& args) {
  apply_isa_option(args);
  const Network net = load_model(required(args, "model"));
  NamedDataset data = dataset_option(args);
  const Dataset& set = chosen_split(args, data);
  check_model_fits(net, set);
  if (set.samples == 0) throw UsageError(set.name + " is empty");
  const std::int64_t index = args.get_int("index", 0, 0, set.samples - 1);
  std::vector<float> outputs(static_cast<std::size_t>(net.outputs()));
  predict(net, set.row(index), 1, outputs.data(), Compute{});
  for (std::size_t c = 0; c < outputs.size(); ++c)
    if (!std::isfinite(outputs[c]))
      throw std::domain_error("the model's output " + std::to_string(c) + " for sample " +
                              std::to_string(index) +
                              " is not finite (its weights overflow float)");
  const auto predicted = std::max_element(outputs.begin(), outputs.end()) - outputs.begin();
  if (set.is_image()) draw_image(set, index);
  std::printf("%s sample %lld: label %d, predicted %lld%s\n", set.name.c_str(),
              static_cast<long long>(index), set.labels[static_cast<std::size_t>(index)],
              static_cast<long long>(predicted),
              predicted == set.labels[static_cast<std::size_t>(index)] ? " (correct)" : " (wrong)");
  std::printf("%s\n",
              net.loss == Loss::cross_entropy ? "probabilities (softmax):" : "outputs (sigmoid):");
  for (std::size_t c = 0; c < outputs.size(); ++c)
    std::printf("  %2zu  %.4f  %s\n", c, outputs[c],
                std::string(static_cast<std::size_t>(outputs[c] * 40.0f + 0.5f), '#').c_str());
  return 0;
}

}  // namespace simdml::cli
