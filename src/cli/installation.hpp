// Where simdml run finds the programs and files it starts: beside the build it came from, or
// under the prefix it was installed to (cmake/install.cmake gives the layout).
#pragma once

#include <filesystem>

namespace simdml::cli {

struct Installation {
  std::filesystem::path simdml;     // this program
  std::filesystem::path programs;   // holds bench/ (the benchmark programs)
  std::filesystem::path scripts;    // report.py, icount_gate.py, ...
  std::filesystem::path baselines;  // accuracy.json, instruction_counts.json
};

// Installed when <prefix>/share/simdml/scripts/report.py exists next to <prefix>/bin/simdml;
// else the build tree: bench/ beside the program, scripts and baselines in the source tree.
Installation locate_installation();

}  // namespace simdml::cli
