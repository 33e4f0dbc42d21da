#include "cli/report.hpp"

#include "cli/job.hpp"

#include <sys/resource.h>
#include <zlib.h>
#include <xsimd/config/xsimd_config.hpp>

#include <cstdio>
#include <thread>

#include "cli/command.hpp"
#include "git_commit.hpp"

namespace simdml::cli {

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

std::string weights_checksum(const Network& net) {
  char text[16];
  std::snprintf(text, sizeof text, "%08x", parameters_crc32(net));
  return text;
}

void write_machine(Json& json, const Compute& compute) {
  const CpuInfo& cpu = cpu_info();
  json.key("machine").begin_object();
  json.field("cpu", cpu.model).field("cpu_vendor", cpu.vendor);
  json.field("logical_cores", static_cast<std::int64_t>(std::thread::hardware_concurrency()));
  json.array("isa_extensions", cpu.features);
  json.field("simd_target", isa_name(active_isa()));
  json.field("threads", compute.threads);
  json.field("ranks", job().size()).field("transport", job().description());
  json.field("flush_denormals", flush_denormals());
  json.field("gemm",
             compute.gemm != nullptr ? compute.gemm->name : gemm_kernel(GemmVariant::simd).name);
  json.field("activations",
             compute.activation != nullptr ? compute.activation->name : activations().name);
  json.field("compiler", "GCC " __VERSION__);
  json.field("openmp", _OPENMP);
  json.field("xsimd", std::to_string(XSIMD_VERSION_MAJOR) + "." +
                          std::to_string(XSIMD_VERSION_MINOR) + "." +
                          std::to_string(XSIMD_VERSION_PATCH));
  json.field("zlib", zlibVersion());
  json.field("simdml_version", SIMDML_VERSION);
  json.field("git_commit", SIMDML_GIT_COMMIT);
  json.field("build_type", SIMDML_BUILD_TYPE);
  json.end_object();
}

void write_confusion(Json& json, const std::vector<std::int64_t>& confusion, std::int64_t classes) {
  json.key("confusion_matrix").begin_array();
  for (std::int64_t t = 0; t < classes; ++t) {
    json.begin_array();
    for (std::int64_t p = 0; p < classes; ++p)
      json.value(confusion[static_cast<std::size_t>(t * classes + p)]);
    json.end_array();
  }
  json.end_array();
}

void print_confusion(const std::vector<std::int64_t>& confusion, std::int64_t classes) {
  std::printf("confusion matrix (rows: true label, columns: predicted)\n      ");
  for (std::int64_t p = 0; p < classes; ++p) std::printf("%6lld", static_cast<long long>(p));
  std::printf("\n");
  for (std::int64_t t = 0; t < classes; ++t) {
    std::printf("%6lld", static_cast<long long>(t));
    for (std::int64_t p = 0; p < classes; ++p)
      std::printf("%6lld",
                  static_cast<long long>(confusion[static_cast<std::size_t>(t * classes + p)]));
    std::printf("\n");
  }
}

std::string describe_network(const Network& net) {
  std::string text;
  for (std::int64_t size : net.sizes) (text += text.empty() ? "" : "-") += std::to_string(size);
  std::string hidden;
  for (Activation a : net.hidden) (hidden += hidden.empty() ? "" : ",") += activation_name(a);
  if (!hidden.empty()) text += ", hidden " + hidden;
  return text + (net.loss == Loss::quadratic ? ", sigmoid outputs + quadratic cost"
                                             : ", softmax outputs + cross-entropy");
}

TrainReport::TrainReport(const NamedDataset& data, const Network& net, const TrainingOptions& sgd,
                         int epochs, std::uint64_t seed, const Compute& compute, std::string init)
    : data_(data),
      net_(net),
      sgd_(sgd),
      epochs_(epochs),
      seed_(seed),
      compute_(compute),
      init_(std::move(init)) {}

void TrainReport::print_header(bool validation) {
  if (validation) checked_set_ = "validation";
  const Dataset& train = data_.train;
  std::printf(
      "dataset  %s from %s: %lld training samples, %s (%lld features, %d classes)\n",
      data_.name.c_str(), data_.source.c_str(), static_cast<long long>(train.samples),
      data_.test ? (std::to_string(data_.test->samples) + " test samples").c_str() : "no test set",
      static_cast<long long>(train.features), train.classes);
  std::printf("network  %s, init %s, seed %llu\n", describe_network(net_).c_str(), init_.c_str(),
              static_cast<unsigned long long>(seed_));
  if (sgd_.optimizer == Optimizer::adam)
    std::printf(
        "adam     batch %lld, learning rate %g, beta1 %g, beta2 %g, epsilon %g, L2 %g, %d epochs\n",
        static_cast<long long>(sgd_.batch_size), sgd_.learning_rate, sgd_.beta1, sgd_.beta2,
        sgd_.epsilon, sgd_.weight_decay, epochs_);
  else
    std::printf("sgd      batch %lld, learning rate %g, momentum %g, L2 %g, %d epochs\n",
                static_cast<long long>(sgd_.batch_size), sgd_.learning_rate, sgd_.momentum,
                sgd_.weight_decay, epochs_);
  if (sgd_.slices > 1 || job().distributed())
    std::printf("slices   %lld per mini-batch, shared by %s\n", static_cast<long long>(sgd_.slices),
                job_summary().c_str());
  std::printf("compute  %s\n", compute_summary(compute_).c_str());
  std::fflush(stdout);
}

void write_interference(Json& json, std::string_view key, const Interference& i) {
  if (!i.observed) return;
  json.key(key).begin_object();
  json.field("foreign_cores", i.foreign_cores()).field("steal_cores", i.steal_cores());
  json.field("taken_cores", i.taken_cores()).field("own_utilization", i.own_utilization());
  json.field("disturbed", i.disturbed()).end_object();
}

namespace {

// "": one team size; else "  teams 2: 97 %, 1: 3 %" (of the epoch's steps).
std::string team_summary(const std::map<int, std::int64_t>& team_steps) {
  if (team_steps.size() < 2) return "";
  std::int64_t total = 0;
  for (const auto& [team, steps] : team_steps) total += steps;
  std::string out = "  teams";
  for (auto it = team_steps.rbegin(); it != team_steps.rend(); ++it) {
    char part[48];
    std::snprintf(part, sizeof part, "%s %d: %.0f %%", it == team_steps.rbegin() ? "" : ",",
                  it->first, 100.0 * static_cast<double>(it->second) / static_cast<double>(total));
    out += part;
  }
  return out;
}

}  // namespace

void TrainReport::add_epoch(int epoch, double loss, const std::optional<Evaluation>& checked,
                            const EpochTiming& timing) {
  history_.push_back({epoch, loss, checked, timing});
  const double rate = static_cast<double>(data_.train.samples) / timing.seconds;
  std::string accuracy;
  if (checked) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "  %s accuracy %6.2f %% (%lld/%lld)", checked_set_.c_str(),
                  100.0 * checked->accuracy(), static_cast<long long>(checked->correct),
                  static_cast<long long>(checked->total));
    accuracy = buffer;
  }
  const std::string disturbed =
      timing.interference.disturbed() ? "  [" + timing.interference.describe() + "]" : "";
  std::printf("epoch %*d/%d  loss %.6f%s  %.3f s  %.0f samples/s%s%s\n",
              static_cast<int>(std::to_string(epochs_).size()), epoch, epochs_, loss,
              accuracy.c_str(), timing.seconds, rate, team_summary(timing.team_steps).c_str(),
              disturbed.c_str());
  if (timing.phases)
    std::printf("         slices: gradients %.3f s, exchange %.3f s, update %.3f s\n",
                timing.phases->gradients, timing.phases->exchange, timing.phases->update);
  std::fflush(stdout);
}

// The first epoch with the highest accuracy on the checked set, if any epoch was checked.
const TrainReport::Epoch* TrainReport::best_epoch() const {
  const Epoch* best = nullptr;
  for (const Epoch& e : history_)
    if (e.checked && (best == nullptr || e.checked->accuracy() > best->checked->accuracy()))
      best = &e;
  return best;
}

void TrainReport::set_final(const Evaluation& evaluation, std::string set) {
  final_ = evaluation;
  final_set_ = std::move(set);
  std::printf("final %s accuracy %.2f %% (%lld/%lld), weights crc32 %s\n", final_set_.c_str(),
              100.0 * evaluation.accuracy(), static_cast<long long>(evaluation.correct),
              static_cast<long long>(evaluation.total), weights_checksum(net_).c_str());
  // The accuracy moves by a point from epoch to epoch under plain SGD; say where it peaked. The
  // model is still the last epoch's: choosing an epoch by its test accuracy would fit the test set.
  if (const Epoch* best = best_epoch(); best != nullptr && best->epoch != history_.back().epoch)
    std::printf("best     %s accuracy %.2f %% at epoch %d (the model is the last epoch's)\n",
                checked_set_.c_str(), 100.0 * best->checked->accuracy(), best->epoch);
  std::printf("memory   peak resident %.0f MiB\n", peak_resident_mib());
}

std::string TrainReport::json() const {
  Json j;
  j.begin_object();
  j.field("command", "train");
  j.key("config").begin_object();
  j.field("dataset", data_.name).field("data_source", data_.source.string());
  j.field("train_samples", data_.train.samples);
  j.array("layers", net_.sizes);
  std::vector<std::string> hidden;
  for (Activation a : net_.hidden) hidden.emplace_back(activation_name(a));
  j.array("hidden_activations", hidden);
  j.field("loss", loss_name(net_.loss)).field("init", init_);
  j.field("epochs", epochs_).field("batch", sgd_.batch_size).field("slices", sgd_.slices);
  j.field("optimizer", optimizer_name(sgd_.optimizer));
  j.field("learning_rate", static_cast<double>(sgd_.learning_rate))
      .field("momentum", static_cast<double>(sgd_.momentum));
  j.field("l2", static_cast<double>(sgd_.weight_decay))
      .field("seed", static_cast<std::int64_t>(seed_));
  if (sgd_.optimizer == Optimizer::adam)
    j.field("beta1", static_cast<double>(sgd_.beta1))
        .field("beta2", static_cast<double>(sgd_.beta2))
        .field("epsilon", static_cast<double>(sgd_.epsilon));
  j.end_object();
  write_machine(j, compute_);
  j.field("accuracy_set", checked_set_);
  j.key("epochs").begin_array();
  for (const Epoch& e : history_) {
    j.begin_object().field("epoch", e.epoch).field("loss", e.loss);
    if (e.checked) j.field("accuracy", e.checked->accuracy()).field("correct", e.checked->correct);
    const EpochTiming& t = e.timing;
    j.field("seconds", t.seconds)
        .field("samples_per_second", static_cast<double>(data_.train.samples) / t.seconds);
    if (t.phases)
      j.key("phase_seconds")
          .begin_object()
          .field("gradients", t.phases->gradients)
          .field("exchange", t.phases->exchange)
          .field("update", t.phases->update)
          .end_object();
    j.key("team_steps").begin_object();
    for (const auto& [team, steps] : t.team_steps) j.field(std::to_string(team), steps);
    j.end_object();
    write_interference(j, "interference", t.interference);
    j.end_object();
  }
  j.end_array();
  if (final_) {
    j.key("final").begin_object();
    j.field("set", final_set_).field("accuracy", final_->accuracy());
    j.field("correct", final_->correct).field("total", final_->total);
    write_confusion(j, final_->confusion, net_.outputs());
    j.end_object();
  }
  if (const Epoch* best = best_epoch()) {
    j.key("best_epoch").begin_object();
    j.field("epoch", best->epoch)
        .field("accuracy", best->checked->accuracy())
        .field("correct", best->checked->correct);
    j.end_object();
  }
  j.field("weights_crc32", weights_checksum(net_));
  j.field("peak_resident_mib", peak_resident_mib());
  j.end_object();
  return j.str();
}

}  // namespace simdml::cli
