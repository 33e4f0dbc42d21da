#include "job.hpp"

#include <zlib.h>

#include <stdexcept>

#include "git_commit.hpp"
#include "simdml/dispatch.hpp"

namespace simdml::cli {
namespace {

Cluster* current = nullptr;

template <class T>
std::uint32_t crc_of(std::uint32_t crc, const std::vector<T>& v) {
  const auto* bytes = reinterpret_cast<const Bytef*>(v.data());
  std::size_t left = v.size() * sizeof(T);
  while (left > 0) {
    const auto piece = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    crc = static_cast<std::uint32_t>(crc32(crc, bytes, piece));
    bytes += piece, left -= piece;
  }
  return crc;
}

std::string data_description(const std::vector<const Dataset*>& data) {
  std::string out;
  for (const Dataset* d : data) {
    std::uint32_t crc = crc_of(0, d->pixels.empty() ? std::vector<std::uint8_t>() : d->pixels);
    if (d->pixels.empty()) crc = crc_of(crc, d->x);
    crc = crc_of(crc, d->labels);
    out += d->name + " " + std::to_string(d->samples) + "x" + std::to_string(d->features) +
           " crc32 " + std::to_string(crc) + "; ";
  }
  return out;
}

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
                    const std::vector<const Dataset*>& data) {
  if (!job().distributed()) return;
  const std::string differences =
      compare_across_ranks(job(), {{"build", std::string(SIMDML_VERSION) + " " + SIMDML_GIT_COMMIT},
                                   {"simd target", std::string(isa_name(active_isa()))},
                                   {"options", options_description(command, words)},
                                   {"data", data_description(data)}});
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
