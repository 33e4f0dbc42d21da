#include "cli/installation.hpp"

#include <cstdlib>

#include <stdexcept>
#include <string>
#include <system_error>

namespace simdml::cli {

namespace fs = std::filesystem;

namespace {

fs::path executable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the simdml executable: " + ec.message());
  return self;
}

// The prefix an installed program at <prefix>/<bindir>/simdml sits under.
fs::path prefix_of(const fs::path& program) {
  fs::path prefix = program.parent_path();
  for (const auto& part : fs::path(SIMDML_INSTALL_BINDIR))
    if (!part.empty()) prefix = prefix.parent_path();
  return prefix;
}

}  // namespace

Installation locate_installation() {
  const fs::path program = executable();
  const fs::path prefix = prefix_of(program);
  const fs::path data = prefix / SIMDML_INSTALL_DATADIR;
  if (fs::exists(data / "python" / "simdml_run" / "report.py"))
    return {program, prefix / SIMDML_INSTALL_PROGRAMDIR, data / "python", data / "baselines"};
  const fs::path source = SIMDML_SOURCE_DIR;
  return {program, program.parent_path(), source / "python", source / "tests" / "baselines"};
}

std::vector<std::string> Installation::python_module(std::string_view module,
                                                     std::vector<std::string> args) const {
  std::vector<std::string> argv{SIMDML_PYTHON, "-m", "simdml_run."};
  argv.back().append(module);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string Installation::python_path() const {
  std::string path = python.string();
  if (const char* before = std::getenv("PYTHONPATH"); before != nullptr && *before != '\0')
    path.append(":").append(before);
  return path;
}

}  // namespace simdml::cli
