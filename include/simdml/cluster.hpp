// The processes of one job (MPI's ranks, or this process alone) and the data moved between them.
//
// simdml's algorithms take a Cluster as a parameter and move data only through it. No sum is ever
// left to the transport: MPI's reductions do not fix their order (Open MPI and MPICH have added
// floats in different orders on different ranks). Every sum across processes is fixed_tree_sum's,
// in an order fixed by the slice count alone, so 1, 2 or 4 ranks give the same bits.
//
// The library itself never links MPI: the program supplies an MPI-backed Cluster
// (src/cluster/mpi_cluster.hpp) when it was built with MPI and started by mpirun.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace simdml {

// Bytes from every rank, back to back in rank order: rank r's are [offset[r], offset[r + 1]).
// Kept by callers from one exchange to the next, so that a step's messages reuse its buffers.
struct RankBytes {
  std::vector<std::byte> bytes;
  std::vector<std::size_t> offset;
  std::span<const std::byte> of(int rank) const {
    return {bytes.data() + offset[std::size_t(rank)],
            offset[std::size_t(rank) + 1] - offset[std::size_t(rank)]};
  }
};

class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // What transport it is: "single process", "Open MPI 4.1.4", ...
  virtual std::string description() const = 0;

  // Every rank's bytes (their sizes may differ), in rank order, on every rank, into `out`.
  virtual void all_gather(std::span<const std::byte> mine, RankBytes& out) = 0;
  // `sent` holds counts[r] bytes for each rank r in turn (counts.size() == size()); `out`
  // receives what each rank sent this one.
  virtual void all_to_all(std::span<const std::byte> sent, std::span<const std::size_t> counts,
                          RankBytes& out) = 0;
  // root's bytes into `data` on every rank (the same size everywhere).
  virtual void broadcast(std::span<std::byte> data, int root) = 0;
  // Ends every process of the job with this exit status: for a rank that cannot go on, which the
  // others would otherwise wait for forever.
  [[noreturn]] virtual void abort(int status) = 0;

  bool distributed() const { return size() > 1; }
  // all_gather into a fresh vector per rank, for exchanges off the hot path.
  std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> mine) {
    RankBytes out;
    all_gather(mine, out);
    std::vector<std::vector<std::byte>> each;
    for (int r = 0; r < size(); ++r) each.emplace_back(out.of(r).begin(), out.of(r).end());
    return each;
  }
};

// The job of this process alone.
Cluster& single_process();

// The number of processes an MPI launcher (mpirun, mpiexec, srun) started this one among, from
// what Open MPI, MPICH and PMIx leave in the environment; 0 when no launcher started it.
int launcher_world_size();

// Contiguous shares of `count` items over the ranks: [count * r / ranks, count * (r + 1) / ranks).
struct Share {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};
Share rank_share(std::int64_t count, int ranks, int rank);

// Typed helpers over the byte interface.
template <class T>
std::span<const std::byte> as_bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}
template <class T>
std::vector<T> from_bytes(const std::vector<std::byte>& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) __builtin_memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}
// Every rank's vector concatenated in rank order.
template <class T>
std::vector<T> all_gather_concat(Cluster& cluster, const std::vector<T>& mine) {
  std::vector<T> out;
  for (const std::vector<std::byte>& part : cluster.all_gather(as_bytes_of(mine))) {
    const std::vector<T> values = from_bytes<T>(part);
    out.insert(out.end(), values.begin(), values.end());
  }
  return out;
}

// The sum of `slices` float vectors of equal length n, added in one fixed binary tree:
//   sum(lo, hi) = sum(lo, mid) + sum(mid, hi), mid = (lo + hi) / 2, and sum(s, s + 1) = v_s.
// Rank r holds the vectors of slices rank_share(slices, size, r) in `mine`, in slice order (it
// may hold none). Every rank gets the total, and its bits depend on the vectors and `slices`
// only, never on the rank count: a node inside one rank's share is added there; the nodes above
// are added, a 1/size-th of the vector on each rank, from the values each rank sends it (one
// all_to_all); then the parts are gathered (one all_gather). Throws std::invalid_argument when
// the ranks' lengths or counts disagree.
class FixedTreeSum {
 public:
  FixedTreeSum(Cluster& cluster, std::int64_t slices);
  // `mine` is left holding partial sums; `total` (resized) the sum. Buffers are kept between
  // calls: a step's exchange allocates nothing once the sizes are steady.
  void operator()(std::vector<std::vector<float>>& mine, std::vector<float>& total);

 private:
  void check_lengths(const std::vector<std::vector<float>>& mine, std::int64_t& n);
  void sum_above(std::int64_t lo, std::int64_t hi, std::size_t depth, float* out);
  bool within_one_rank(std::int64_t lo, std::int64_t hi) const;

  Cluster& cluster_;
  std::int64_t slices_;
  std::vector<int> owner_;                                    // of each slice
  std::vector<std::pair<std::int64_t, std::int64_t>> nodes_;  // the rank nodes, left to right
  std::vector<std::size_t> node_at_;  // each rank node's offset in received_
  std::size_t part_floats_ = 0;
  std::vector<std::byte> sent_;
  std::vector<std::size_t> counts_;
  RankBytes lengths_, received_, gathered_;
  std::vector<std::vector<float>> scratch_;  // one per tree depth, for right children
  std::vector<float> part_;
};
// One sum with fresh buffers.
std::vector<float> fixed_tree_sum(Cluster& cluster, std::int64_t slices,
                                  std::vector<std::vector<float>> mine);

// Checks that every rank describes the same job (the build, the options, the data): each rank
// passes the named parts of its description; returns "" when all agree, else one line per part
// that differs ("data: rank 1 differs from rank 0"), the same on every rank.
std::string compare_across_ranks(Cluster& cluster,
                                 const std::vector<std::pair<std::string, std::string>>& parts);

}  // namespace simdml
