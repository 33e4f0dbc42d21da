// Where simdml run finds the programs and files it starts: beside the build it came from, or
// under the prefix it was installed to (cmake/install.cmake gives the layout).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace simdml::cli {

struct Installation {
  std::filesystem::path simdml;     // this program
  std::filesystem::path programs;   // holds bench/ (the benchmark programs)
  std::filesystem::path python;     // holds the simdml_run package (report, gates, history)
  std::filesystem::path baselines;  // accuracy.json, instruction_counts.json

  // The command line that runs simdml_run.<module> with `args`: the Python simdml was
  // configured with (SIMDML_PYTHON, Debian's /usr/bin/python3 by default, whose packages the
  // modules import), -m, and the module. The package is found through python_path().
  std::vector<std::string> python_module(std::string_view module,
                                         std::vector<std::string> args) const;
  // PYTHONPATH for those commands: the package's folder, before any the caller had.
  std::string python_path() const;
};

// Installed when <prefix>/share/simdml/python/simdml_run/ exists next to <prefix>/bin/simdml;
// else the build tree: bench/ beside the program, python/ and the baselines in the source tree.
Installation locate_installation();

}  // namespace simdml::cli
