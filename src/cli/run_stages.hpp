// What simdml run runs: the accuracy runs and the benchmark sets of each mode, as a list of
// stages (programs with arguments). One list, so README, CI's accuracy gate and the report agree.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/installation.hpp"

namespace simdml::cli {

enum class RunMode { quick, standard, full };

struct RunSettings {
  RunMode mode = RunMode::standard;
  std::string dataset;                   // mnist or fashion-mnist
  std::string dataset_choice;            // why that one ("found under data")
  std::optional<std::string> data_root;  // --data, passed on when given
  int threads = 1;
  bool automatic_threads = true;  // --threads auto or none: the accuracy runs' training adapts
  std::string accuracy_isa;   // the target the accuracy runs use ("avx2": the baselines' target)
  std::filesystem::path out;  // the results folder
  Installation installation;  // where simdml, bench/, the Python package and baselines are
  bool accuracy = true, benchmarks = true, instructions = true, report = true;
  std::vector<std::string> suites;     // --suites: the benchmark programs to run (empty: all)
  std::optional<std::string> history;  // --history FILE: record the run there at the end
};

struct Stage {
  std::string name;               // logs/<name>.log
  std::string title;              // what the progress display shows
  std::vector<std::string> argv;  // argv[0] is a path
  std::map<std::string, std::string> environment;
  std::string summary_prefix;  // the output line starting with this is shown when done
  std::string output;          // else this: the file the stage writes
};

std::vector<Stage> plan_stages(const RunSettings& settings);
std::vector<std::string> benchmark_suites();  // gemm_bench, activation_bench, ...

}  // namespace simdml::cli
