// The job this program runs in: this process alone, or the ranks mpirun started (cluster.hpp).
// main() opens it; the commands read it to share work, and only rank 0 prints and writes files.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "simdml/cluster.hpp"
#include "simdml/data.hpp"

namespace simdml::cli {

Cluster& job();
void set_job(Cluster& cluster);
// Rank 0 writes every output file and prints the report; the other ranks write nothing.
inline bool writes_outputs() { return job().rank() == 0; }

// An error every rank meets together (so none waits for another): rank 0 reports it and all exit.
struct JobMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Ranks that would compute different things stop together, before any work, naming what differs:
// the build, the SIMD target, the options (the command words, --threads aside: the results do not
// depend on it) or the data (the CRC-32 of the dataset's files, whatever part a rank keeps).
// Throws JobMismatch with the differences on every rank; a single process always passes.
void check_same_job(std::string_view command, const std::vector<std::string_view>& words,
                    const NamedDataset& data);

// One line for reports: "1 process" or "4 MPI ranks (Open MPI v4.1.4)".
std::string job_summary();

}  // namespace simdml::cli
