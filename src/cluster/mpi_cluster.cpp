// The MPI Cluster: the byte movements of cluster.hpp on MPI's world communicator.
#include "cluster/mpi_cluster.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>

namespace simdml {
namespace {

// MPI counts are ints: longer messages are refused rather than cut.
int message_count(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(INT_MAX))
    throw std::length_error("a message of " + std::to_string(bytes) +
                            " bytes is longer than MPI's int counts allow");
  return static_cast<int>(bytes);
}

// MPI's int counts and displacements for the byte counts of the messages sent.
void to_mpi_counts(std::span<const std::size_t> bytes, std::vector<int>& counts,
                   std::vector<int>& displacements) {
  counts.clear(), displacements.clear();
  std::size_t at = 0;
  for (std::size_t b : bytes) {
    counts.push_back(message_count(b));
    displacements.push_back(message_count(at));
    at += b;
  }
  message_count(at);
}

// Received counts into displacements and RankBytes' offsets, its buffer sized for them.
void receive_layout(const std::vector<int>& counts, std::vector<int>& displacements,
                    RankBytes& out) {
  displacements.clear();
  out.offset.assign(1, 0);
  for (int c : counts) {
    displacements.push_back(message_count(out.offset.back()));
    out.offset.push_back(out.offset.back() + static_cast<std::size_t>(c));
  }
  out.bytes.resize(out.offset.back());
}

class MpiWorld final : public Cluster {
 public:
  MpiWorld(int& argc, char**& argv) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    description_ = mpi_library_version();
  }
  ~MpiWorld() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string description() const override { return description_; }

  void all_gather(std::span<const std::byte> mine, RankBytes& out) override {
    const int count = message_count(mine.size());
    receive_counts_.resize(static_cast<std::size_t>(size_));
    MPI_Allgather(&count, 1, MPI_INT, receive_counts_.data(), 1, MPI_INT, MPI_COMM_WORLD);
    receive_layout(receive_counts_, receive_at_, out);
    MPI_Allgatherv(mine.data(), count, MPI_BYTE, out.bytes.data(), receive_counts_.data(),
                   receive_at_.data(), MPI_BYTE, MPI_COMM_WORLD);
  }

  void all_to_all(std::span<const std::byte> sent, std::span<const std::size_t> counts,
                  RankBytes& out) override {
    if (counts.size() != static_cast<std::size_t>(size_))
      throw std::invalid_argument("all_to_all needs a count for every rank");
    to_mpi_counts(counts, send_counts_, send_at_);
    receive_counts_.resize(static_cast<std::size_t>(size_));
    MPI_Alltoall(send_counts_.data(), 1, MPI_INT, receive_counts_.data(), 1, MPI_INT,
                 MPI_COMM_WORLD);
    receive_layout(receive_counts_, receive_at_, out);
    MPI_Alltoallv(sent.data(), send_counts_.data(), send_at_.data(), MPI_BYTE, out.bytes.data(),
                  receive_counts_.data(), receive_at_.data(), MPI_BYTE, MPI_COMM_WORLD);
  }

  void broadcast(std::span<std::byte> data, int root) override {
    constexpr std::size_t kPiece = std::size_t{1} << 30;
    for (std::size_t at = 0; at < data.size(); at += kPiece)
      MPI_Bcast(data.data() + at, message_count(std::min(kPiece, data.size() - at)), MPI_BYTE, root,
                MPI_COMM_WORLD);
  }

  [[noreturn]] void abort(int status) override {
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);  // MPI_Abort does not return; this only satisfies [[noreturn]]
  }

 private:
  int rank_ = 0, size_ = 1;
  std::string description_;
  // MPI's count arrays, kept between calls.
  std::vector<int> send_counts_, send_at_, receive_counts_, receive_at_;
};

}  // namespace

std::string mpi_library_version() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  const std::string text(version, static_cast<std::size_t>(length));
  return text.substr(0, text.find_first_of(",\n"));
}

std::unique_ptr<Cluster> open_mpi_world(int& argc, char**& argv) {
  return std::make_unique<MpiWorld>(argc, argv);
}

}  // namespace simdml
