// The MPI Cluster: the byte movements of cluster.hpp on MPI's world communicator.
#include "cluster/mpi_cluster.hpp"

#include <mpi.h>

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

// Displacements for counts, checked against int overflow.
std::vector<int> displacements(const std::vector<int>& counts) {
  std::vector<int> out(counts.size(), 0);
  std::size_t at = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    out[i] = message_count(at);
    at += static_cast<std::size_t>(counts[i]);
  }
  message_count(at);
  return out;
}

std::vector<std::vector<std::byte>> split(const std::vector<std::byte>& all,
                                          const std::vector<int>& counts,
                                          const std::vector<int>& at) {
  std::vector<std::vector<std::byte>> out(counts.size());
  for (std::size_t r = 0; r < counts.size(); ++r)
    out[r].assign(all.begin() + at[r], all.begin() + at[r] + counts[r]);
  return out;
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

  std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> mine) override {
    const int count = message_count(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_));
    MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    const std::vector<int> at = displacements(counts);
    std::vector<std::byte> all(static_cast<std::size_t>(at.back()) +
                               static_cast<std::size_t>(counts.back()));
    MPI_Allgatherv(mine.data(), count, MPI_BYTE, all.data(), counts.data(), at.data(), MPI_BYTE,
                   MPI_COMM_WORLD);
    return split(all, counts, at);
  }

  std::vector<std::vector<std::byte>> all_to_all(
      const std::vector<std::vector<std::byte>>& to_rank) override {
    if (to_rank.size() != static_cast<std::size_t>(size_))
      throw std::invalid_argument("all_to_all needs one message per rank");
    std::vector<int> send_counts, receive_counts(static_cast<std::size_t>(size_));
    std::vector<std::byte> sent;
    for (const std::vector<std::byte>& m : to_rank) {
      send_counts.push_back(message_count(m.size()));
      sent.insert(sent.end(), m.begin(), m.end());
    }
    MPI_Alltoall(send_counts.data(), 1, MPI_INT, receive_counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    const std::vector<int> send_at = displacements(send_counts),
                           receive_at = displacements(receive_counts);
    std::vector<std::byte> all(static_cast<std::size_t>(receive_at.back()) +
                               static_cast<std::size_t>(receive_counts.back()));
    MPI_Alltoallv(sent.data(), send_counts.data(), send_at.data(), MPI_BYTE, all.data(),
                  receive_counts.data(), receive_at.data(), MPI_BYTE, MPI_COMM_WORLD);
    return split(all, receive_counts, receive_at);
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
