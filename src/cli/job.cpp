#include "cli/job.hpp"

#include <stdexcept>

#include "git_commit.hpp"
#include "simdml/dispatch.hpp"

namespace simdml::cli {
namespace {

Cluster* current = nullptr;

std::string options_description(std::string_view command,
                                const std::vector<std::string_view>& words) {
  std::string out(command);
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "--threads") {
      ++i;
      continue;
    }
    out += ' ';
    out += words[i];
  }
  return out;
}

}  // namespace

Cluster& job() { return current != nullptr ? *current : single_process(); }
void set_job(Cluster& cluster) { current = &cluster; }

void check_same_job(std::string_view command, const std::vector<std::string_view>& words,
                    const NamedDataset& data) {
  if (!job().distributed()) return;
  const std::string differences = compare_across_ranks(
      job(), {{"build", std::string(SIMDML_VERSION) + " " + SIMDML_GIT_COMMIT},
              {"simd target", std::string(isa_name(active_isa()))},
              {"options", options_description(command, words)},
              {"data", data.name + " crc32 " + std::to_string(data.crc32) + ", " +
                           std::to_string(data.train_rows) + " training rows"}});
  if (!differences.empty())
    throw JobMismatch("the ranks do not run the same job:\n" + differences +
                      "every rank needs the same build, --isa, options and data files");
}

std::string job_summary() {
  const int ranks = job().size();
  if (ranks == 1) return "1 process";
  return std::to_string(ranks) + " MPI ranks (" + job().description() + ")";
}

}  // namespace simdml::cli
