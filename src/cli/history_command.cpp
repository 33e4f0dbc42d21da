// simdml history: the regression history is a program over what simdml run writes, in Python
// beside the report (simdml_run.history, sqlite3); this command hands it the arguments as they are.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/installation.hpp"

namespace simdml::cli {

int run_history(const std::vector<std::string_view>& args) {
  const Installation installation = locate_installation();
  std::vector<std::string> words =
      installation.python_module("history", std::vector<std::string>(args.begin(), args.end()));
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  setenv("PYTHONPATH", installation.python_path().c_str(), 1);
  std::fflush(stdout);
  execv(words.front().c_str(), argv.data());
  throw std::runtime_error("cannot start " + words.front() + ": " + std::strerror(errno));
}

}  // namespace simdml::cli
