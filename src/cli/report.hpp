// What the training and evaluation commands print and write: epoch lines, the confusion matrix,
// and the --json report with the machine it ran on.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/json.hpp"
#include "simdml/data.hpp"
#include "simdml/interference.hpp"
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

// {"foreign_cores", "steal_cores", "taken_cores", "own_utilization", "disturbed"}: what else the
// machine did during a timed phase (simdml/interference.hpp); nothing where it was not observed.
void write_interference(Json& json, std::string_view key, const Interference& interference);

// How one epoch's time was spent: its wall seconds, the sliced phases, the steps each team size
// ran, and what else the machine did meanwhile.
struct EpochTiming {
  double seconds = 0.0;
  std::optional<Trainer::SlicePhases> phases;
  std::map<int, std::int64_t> team_steps;
  Interference interference;
};

class TrainReport {
 public:
  TrainReport(const NamedDataset& data, const Network& net, const TrainingOptions& sgd, int epochs,
              std::uint64_t seed, const Compute& compute, std::string init);
  void print_header(bool validation);
  void add_epoch(int epoch, double loss, const std::optional<Evaluation>& checked,
                 const EpochTiming& timing);
  void set_final(const Evaluation& evaluation, std::string set);
  std::string json() const;

 private:
  struct Epoch {
    int epoch;
    double loss;
    std::optional<Evaluation> checked;
    EpochTiming timing;
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
