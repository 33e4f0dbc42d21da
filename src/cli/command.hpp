// What every subcommand shares: its arguments, and the usage error it throws.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace simdml::cli {

// A mistake on the command line: main() prints it with the subcommand's usage and exits with 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "--name value" options and "--name" switches. Every name must be declared by the subcommand;
// anything else is a usage error.
class Arguments {
 public:
  Arguments(std::vector<std::string_view> words, std::set<std::string, std::less<>> options,
            std::set<std::string, std::less<>> switches);

  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string fallback) const;
  long long get_int(std::string_view name, long long fallback, long long min, long long max) const;
  bool has(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

struct Command {
  std::string_view name;
  std::string_view summary;
  std::string_view usage;
  int (*run)(const std::vector<std::string_view>& args);
};

int run_info(const std::vector<std::string_view>& args);

}  // namespace simdml::cli
