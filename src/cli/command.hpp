// What every subcommand shares: its arguments, and the usage error it throws.
#pragma once

#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "simdml/data.hpp"
#include "simdml/network.hpp"

namespace simdml::cli {

// A mistake on the command line: main() prints it with the subcommand's usage and exits with 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One option a command accepts: its name without "--", and how its value is written in the usage
// ("N", "FILE", "sgd|adam"); an empty value makes it a switch.
struct Option {
  std::string_view name;
  std::string_view value;
};

// "--name value" options and "--name" switches, as the command's option list declares them; any
// other word, and any option given twice, is a usage error.
class Arguments {
 public:
  Arguments(std::vector<std::string_view> words, std::span<const Option> accepted);

  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string fallback) const;
  long long get_int(std::string_view name, long long fallback, long long min, long long max) const;
  // A finite number in [min, max]; anything else (NaN, inf, text) is a usage error.
  double get_double(std::string_view name, double fallback, double min, double max) const;
  bool has(std::string_view name) const;
  // The words as given, for the job's check that every rank was started alike.
  const std::vector<std::string_view>& words() const { return words_; }

 private:
  std::vector<std::string_view> words_;
  std::map<std::string, std::string, std::less<>> values_;
};

// Wall-clock seconds since `start` (a std::chrono::steady_clock reading), for phase timings.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "a,b,c" -> {"a", "b", "c"}; empty items are kept (the caller's parser rejects them).
std::vector<std::string_view> split_list(std::string_view text);

// A subcommand. Its option list is the one source of both what it accepts and its usage text.
struct Command {
  std::string_view name;
  std::string_view summary;
  std::span<const Option> options;
  std::string_view note;  // a line under the usage, or empty
  int (*run)(const Arguments& args);
  // history: every word, --help included, goes to simdml_run.history, which parses them itself.
  int (*run_words)(const std::vector<std::string_view>& words) = nullptr;

  // "simdml train [--dataset mnist|fashion-mnist|iris] [--data DIR] ...", wrapped at 100 columns.
  std::string usage() const;
};

// Options several commands share (src/cli/options.cpp).
void apply_isa_option(const Arguments& args);   // --isa caps the SIMD target
int thread_option(const Arguments& args);       // --threads, default OMP_NUM_THREADS or all cores
bool automatic_threads(const Arguments& args);  // --threads auto, or none: training adapts its team
// --isa, --threads, --gemm, and --flush-denormals (or SIMDML_FLUSH_DENORMALS=1): flush-to-zero.
Compute compute_options(const Arguments& args);
// --dataset (default mnist), --data; only `train_part`'s training rows.
NamedDataset dataset_option(const Arguments& args, const RowPart& train_part = {});
// Rows [0, --NAME) of a dataset when the option is given (a usage error if above its size).
void apply_limit_option(const Arguments& args, std::string_view name, Dataset& data);
// One line naming what the kernels run on: "simd target avx2, 2 threads, gemm simd-avx2".
std::string compute_summary(const Compute& compute);
// Throws now, with the error writing would give at the end, when an output option names a file
// that cannot be written (see write_file_atomically); a usage error when one is empty or two name
// the same file.
void check_output_options(const Arguments& args, std::initializer_list<std::string_view> names);
// A usage error when an output option names one of the files the command reads.
void check_outputs_spare_inputs(const Arguments& args,
                                std::initializer_list<std::string_view> names,
                                const std::vector<std::filesystem::path>& inputs);
// Writes the report to --json FILE, atomically, when the option is given.
void write_json_option(const Arguments& args, const std::string& json);

int run_info(const Arguments& args);
int run_train(const Arguments& args);
int run_evaluate(const Arguments& args);
int run_predict(const Arguments& args);
int run_knn(const Arguments& args);
int run_main_job(const Arguments& args);
int run_history(const std::vector<std::string_view>& words);

}  // namespace simdml::cli
