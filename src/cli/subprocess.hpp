// Running another program and reading its output line by line (simdml run's stages).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace simdml::cli {

// Runs argv[0] (a path) with argv, extra environment variables set on top of ours, and its stdout
// and stderr joined into one pipe; calls on_line for each line it prints (without the newline)
// and returns its exit status, or 128 + the signal that ended it. Throws std::runtime_error when
// the program cannot be started. While it runs, SIGINT and SIGTERM sent to us are passed on to it
// (Ctrl-C on a terminal reaches both anyway) and remembered: see interrupted().
int run_program(const std::vector<std::string>& argv,
                const std::map<std::string, std::string>& environment,
                const std::function<void(std::string_view)>& on_line);

// Whether SIGINT or SIGTERM arrived while a program ran (the caller then stops and cleans up).
bool interrupted();

}  // namespace simdml::cli
