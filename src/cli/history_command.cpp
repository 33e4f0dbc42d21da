// simdml history: the regression history is a program over what simdml run writes, in Python
// beside the report (scripts/history.py, sqlite3); this command hands it the arguments as they are.
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
  const std::string script = (locate_installation().scripts / "history.py").string();
  std::vector<std::string> words{script};
  for (std::string_view a : args) words.emplace_back(a);
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execv(script.c_str(), argv.data());
  throw std::runtime_error("cannot start " + script + ": " + std::strerror(errno));
}

}  // namespace simdml::cli
