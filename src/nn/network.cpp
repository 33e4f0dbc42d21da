// Network construction and the names of its options.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <utility>

#include <zlib.h>

#include "nn/divergence.hpp"
#include "simdml/network.hpp"

namespace simdml {
namespace {

template <class Enum>
using NameTable = std::array<std::pair<Enum, std::string_view>, 3>;

constexpr NameTable<Activation> kActivations = {
    {{Activation::sigmoid, "sigmoid"}, {Activation::tanh, "tanh"}, {Activation::relu, "relu"}}};
constexpr std::array<std::pair<Loss, std::string_view>, 2> kLosses = {
    {{Loss::quadratic, "quadratic"}, {Loss::cross_entropy, "cross-entropy"}}};
constexpr std::array<std::pair<Optimizer, std::string_view>, 2> kOptimizers = {
    {{Optimizer::sgd, "sgd"}, {Optimizer::adam, "adam"}}};
constexpr NameTable<Init> kInits = {
    {{Init::normal, "normal"}, {Init::xavier, "xavier"}, {Init::he, "he"}}};

template <class Table, class Enum>
std::string_view name_in(const Table& table, Enum value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "unknown";
}

template <class Table>
auto parse_in(const Table& table, std::string_view name)
    -> std::optional<typename Table::value_type::first_type> {
  for (const auto& [v, n] : table)
    if (n == name) return v;
  return std::nullopt;
}

constexpr std::int64_t kMaxLayerSize = 1'000'000;

}  // namespace

std::string_view activation_name(Activation a) { return name_in(kActivations, a); }
std::string_view loss_name(Loss l) { return name_in(kLosses, l); }
std::string_view init_name(Init i) { return name_in(kInits, i); }
std::optional<Activation> parse_activation(std::string_view name) {
  return parse_in(kActivations, name);
}
std::optional<Loss> parse_loss(std::string_view name) { return parse_in(kLosses, name); }
std::optional<Init> parse_init(std::string_view name) { return parse_in(kInits, name); }
std::string_view optimizer_name(Optimizer o) { return name_in(kOptimizers, o); }
std::optional<Optimizer> parse_optimizer(std::string_view name) {
  return parse_in(kOptimizers, name);
}

void validate_architecture(const std::vector<std::int64_t>& sizes,
                           const std::vector<Activation>& hidden) {
  if (sizes.size() < 2)
    throw std::invalid_argument("a network needs at least an input and an output size");
  for (std::int64_t size : sizes)
    if (size < 1 || size > kMaxLayerSize)
      throw std::invalid_argument("layer size " + std::to_string(size) + " is outside 1.." +
                                  std::to_string(kMaxLayerSize));
  if (hidden.size() != sizes.size() - 2)
    throw std::invalid_argument(std::to_string(sizes.size() - 2) +
                                " hidden layers need as many activations, got " +
                                std::to_string(hidden.size()));
}

Network make_network(std::vector<std::int64_t> sizes, std::vector<Activation> hidden, Loss loss,
                     Init init, std::uint64_t seed) {
  validate_architecture(sizes, hidden);
  Network net{std::move(sizes), std::move(hidden), loss, {}};
  Rng rng(seed, kInitStream);
  for (std::size_t l = 0; l + 1 < net.sizes.size(); ++l) {
    Layer layer{net.sizes[l], net.sizes[l + 1], {}, {}};
    double scale = 1.0;
    if (init == Init::xavier)
      scale = std::sqrt(2.0 / static_cast<double>(layer.inputs + layer.outputs));
    if (init == Init::he) scale = std::sqrt(2.0 / static_cast<double>(layer.inputs));
    layer.weights.resize(static_cast<std::size_t>(layer.inputs * layer.outputs));
    for (float& w : layer.weights) w = static_cast<float>(rng.normal() * scale);
    layer.biases.resize(static_cast<std::size_t>(layer.outputs));
    for (float& b : layer.biases)
      b = init == Init::normal ? static_cast<float>(rng.normal()) : 0.0f;
    net.layers.push_back(std::move(layer));
  }
  return net;
}

void validate_training(const TrainingOptions& o) {
  const auto finite_at_least = [](float v, float low) { return v >= low && std::isfinite(v); };
  if (!(o.learning_rate > 0.0f) || !std::isfinite(o.learning_rate))
    throw std::invalid_argument("the learning rate must be a positive finite number");
  if (o.batch_size < 1) throw std::invalid_argument("the batch size must be at least 1");
  if (!(o.momentum >= 0.0f && o.momentum < 1.0f))
    throw std::invalid_argument("momentum must be in [0, 1)");
  if (!finite_at_least(o.weight_decay, 0.0f))
    throw std::invalid_argument("weight decay must be a finite number >= 0");
  if (o.slices < 1 || o.slices > kMaxSlices)
    throw std::invalid_argument("the slice count must be from 1 to " + std::to_string(kMaxSlices));
  if (o.optimizer != Optimizer::adam) return;
  if (o.momentum != 0.0f) throw std::invalid_argument("momentum is an SGD option; Adam's is beta1");
  if (!(o.beta1 >= 0.0f && o.beta1 < 1.0f) || !(o.beta2 >= 0.0f && o.beta2 < 1.0f))
    throw std::invalid_argument("Adam's beta1 and beta2 must be in [0, 1)");
  if (!(o.epsilon > 0.0f) || !std::isfinite(o.epsilon))
    throw std::invalid_argument("Adam's epsilon must be a positive finite number");
}

std::string find_non_finite(const Network& net) {
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const Layer& layer = net.layers[l];
    for (std::size_t i = 0; i < layer.weights.size(); ++i)
      if (!std::isfinite(layer.weights[i]))
        return "layer " + std::to_string(l + 1) + " weight (" + std::to_string(i / layer.inputs) +
               ", " + std::to_string(i % layer.inputs) + ") is " + std::to_string(layer.weights[i]);
    for (std::size_t j = 0; j < layer.biases.size(); ++j)
      if (!std::isfinite(layer.biases[j]))
        return "layer " + std::to_string(l + 1) + " bias " + std::to_string(j) + " is " +
               std::to_string(layer.biases[j]);
  }
  return {};
}

namespace {

double rms(const std::vector<float>& values) {
  double sum = 0.0;
  for (float v : values) sum += static_cast<double>(v) * v;
  return values.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(values.size()));
}

}  // namespace

DivergenceGuard::DivergenceGuard(const Network& initial) {
  for (const Layer& layer : initial.layers)
    initial_rms_.push_back(std::max(rms(layer.weights), 0.1));
}

std::string nn::rate_advice(float learning_rate) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", static_cast<double>(learning_rate));
  return " (the learning rate " + std::string(rate) + " is too high for this network)";
}

void DivergenceGuard::check(const Network& net, int epoch, float learning_rate) const {
  const std::string advice = nn::rate_advice(learning_rate);
  if (const std::string bad = find_non_finite(net); !bad.empty())
    throw TrainingDiverged("training diverged in epoch " + std::to_string(epoch) + ": " + bad +
                           advice);
  for (std::size_t l = 0; l < net.layers.size() && l < initial_rms_.size(); ++l) {
    const double now = rms(net.layers[l].weights);
    if (now > kMaxGrowth * initial_rms_[l]) {
      char growth[160];
      std::snprintf(growth, sizeof growth,
                    "the RMS weight of layer %zu grew from %.3g to %.3g (over %gx)", l + 1,
                    initial_rms_[l], now, kMaxGrowth);
      throw TrainingDiverged("training diverged in epoch " + std::to_string(epoch) + ": " + growth +
                             advice);
    }
  }
}

std::uint32_t parameters_crc32(const Network& net) {
  static_assert(std::endian::native == std::endian::little,
                "the checksum is defined on little-endian bytes");
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto add = [&crc](const std::vector<float>& values) {
    crc =
        crc32_z(crc, reinterpret_cast<const Bytef*>(values.data()), values.size() * sizeof(float));
  };
  for (const Layer& layer : net.layers) {
    add(layer.weights);
    add(layer.biases);
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace simdml
