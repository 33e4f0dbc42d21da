// What the training and evaluation commands print and write: epoch lines, the confusion matrix,
// and the --json report with the machine it ran on.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/json.hpp"
#include "simdml/data.hpp"
#include "simdml/network.hpp"

namespace simdml::cli {

// The machine and the build as a "machine" object: CPU, its ISA extensions, the SIMD target used,
// threads (of each rank), the job's ranks and transport, kernels, compiler, library versions,
// simdml version and git commit.
void write_machine(Json& json, const Compute& compute);
void write_confusion(Json& json, const std::vector<std::int64_t>& confusion, std::int64_t classes);
// The process's peak resident memory so far, in MiB (getrusage), for the memory figures reports
// state.
double peak_resident_mib();
// CRC-32 of the network's parameters as 8 hex digits (see parameters_crc32).
std::string weights_checksum(const Network& net);
// Rows are true labels, columns predictions.
void print_confusion(const std::vector<std::int64_t>& confusion, std::int64_t classes);
std::string describe_network(
    const Network& net);  // "784-30-10, hidden sigmoid, sigmoid outputs + quadratic cost"

class TrainReport {
 public:
  TrainReport(const NamedDataset& data, const Network& net, const TrainingOptions& sgd, int epochs,
              std::uint64_t seed, const Compute& compute, std::string init);
  void print_header(bool validation);
  // phases: the epoch's share of Trainer::slice_phases, for sliced training.
  void add_epoch(int epoch, double loss, const std::optional<Evaluation>& checked, double seconds,
                 const std::optional<Trainer::SlicePhases>& phases = std::nullopt);
  void set_final(const Evaluation& evaluation, std::string set);
  std::string json() const;

 private:
  struct Epoch {
    int epoch;
    double loss, seconds;
    std::optional<Evaluation> checked;
    std::optional<Trainer::SlicePhases> phases;
  };
  const Epoch* best_epoch() const;
  const NamedDataset& data_;
  const Network& net_;
  TrainingOptions sgd_;
  int epochs_;
  std::uint64_t seed_;
  Compute compute_;
  std::string init_;
  std::string checked_set_ = "test";
  std::vector<Epoch> history_;
  std::optional<Evaluation> final_;
  std::string final_set_;
};

}  // namespace simdml::cli
