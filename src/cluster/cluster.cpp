// The single-process job, shares, the fixed-order sum across ranks and the job check.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "simdml/cluster.hpp"

namespace simdml {
namespace {

class SingleProcess final : public Cluster {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string description() const override { return "single process"; }
  void all_gather(std::span<const std::byte> mine, RankBytes& out) override {
    out.bytes.assign(mine.begin(), mine.end());
    out.offset = {0, mine.size()};
  }
  void all_to_all(std::span<const std::byte> sent, std::span<const std::size_t>,
                  RankBytes& out) override {
    all_gather(sent, out);
  }
  void broadcast(std::span<std::byte>, int) override {}
  [[noreturn]] void abort(int status) override { std::exit(status); }
};

void add_into(float* sum, const float* more, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) sum[i] += more[i];
}

// sum(lo, hi) of this rank's vectors (slice s at mine[s - first]), left in mine[lo - first].
void sum_locally(std::vector<std::vector<float>>& mine, std::int64_t first, std::int64_t lo,
                 std::int64_t hi) {
  if (hi - lo == 1) return;
  const std::int64_t mid = (lo + hi) / 2;
  sum_locally(mine, first, lo, mid);
  sum_locally(mine, first, mid, hi);
  std::vector<float>& left = mine[std::size_t(lo - first)];
  add_into(left.data(), mine[std::size_t(mid - first)].data(), left.size());
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

Cluster& single_process() {
  static SingleProcess job;
  return job;
}

int launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* value = std::getenv(name); value != nullptr)
      return std::max(1, std::atoi(value));
  return 0;
}

Share rank_share(std::int64_t count, int ranks, int rank) {
  return {count * rank / ranks, count * (rank + 1) / ranks};
}

FixedTreeSum::FixedTreeSum(Cluster& cluster, std::int64_t slices)
    : cluster_(cluster), slices_(slices) {
  if (slices < 1) throw std::invalid_argument("fixed_tree_sum needs at least one slice");
  const int ranks = cluster.size();
  for (std::int64_t s = 0, r = 0; s < slices; ++s) {
    while (r + 1 < ranks && rank_share(slices, ranks, int(r) + 1).begin <= s) ++r;
    owner_.push_back(int(r));
  }
  // The rank nodes: the largest nodes inside one rank's share, left to right.
  const auto collect = [&](auto& self, std::int64_t lo, std::int64_t hi) -> void {
    if (within_one_rank(lo, hi)) {
      nodes_.emplace_back(lo, hi);
      return;
    }
    self(self, lo, (lo + hi) / 2);
    self(self, (lo + hi) / 2, hi);
  };
  collect(collect, 0, slices);
}

bool FixedTreeSum::within_one_rank(std::int64_t lo, std::int64_t hi) const {
  return owner_[std::size_t(lo)] == owner_[std::size_t(hi - 1)];
}

void FixedTreeSum::check_lengths(const std::vector<std::vector<float>>& mine, std::int64_t& n) {
  const int me = cluster_.rank();
  const Share own = rank_share(slices_, cluster_.size(), me);
  if (static_cast<std::int64_t>(mine.size()) != own.size())
    throw std::invalid_argument("fixed_tree_sum: rank " + std::to_string(me) + " holds " +
                                std::to_string(mine.size()) + " vectors for " +
                                std::to_string(own.size()) + " slices");
  for (const std::vector<float>& v : mine)
    if (v.size() != mine[0].size())
      throw std::invalid_argument("fixed_tree_sum: vectors of different lengths");
  const std::int64_t length = mine.empty() ? -1 : static_cast<std::int64_t>(mine[0].size());
  cluster_.all_gather(std::as_bytes(std::span<const std::int64_t>(&length, 1)), lengths_);
  n = -1;
  for (int r = 0; r < cluster_.size(); ++r) {
    std::int64_t theirs = 0;
    std::memcpy(&theirs, lengths_.of(r).data(), sizeof theirs);
    if (theirs != -1 && n != -1 && theirs != n)
      throw std::invalid_argument("fixed_tree_sum: rank " + std::to_string(r) +
                                  " sums vectors of another length");
    n = std::max(n, theirs);
  }
}

// Part of sum(lo, hi) above the rank nodes into `out` (part_floats_ floats).
void FixedTreeSum::sum_above(std::int64_t lo, std::int64_t hi, std::size_t depth, float* out) {
  if (within_one_rank(lo, hi)) {
    const auto node = std::find(nodes_.begin(), nodes_.end(), std::pair{lo, hi}) - nodes_.begin();
    std::memcpy(out, received_.bytes.data() + node_at_[std::size_t(node)],
                part_floats_ * sizeof(float));
    return;
  }
  if (scratch_.size() <= depth) scratch_.resize(depth + 1);
  scratch_[depth].resize(part_floats_);
  sum_above(lo, (lo + hi) / 2, depth + 1, out);
  sum_above((lo + hi) / 2, hi, depth + 1, scratch_[depth].data());
  add_into(out, scratch_[depth].data(), part_floats_);
}

void FixedTreeSum::operator()(std::vector<std::vector<float>>& mine, std::vector<float>& total) {
  const int ranks = cluster_.size(), me = cluster_.rank();
  std::int64_t n = 0;
  check_lengths(mine, n);
  const std::int64_t first = rank_share(slices_, ranks, me).begin;
  for (const auto& [lo, hi] : nodes_)
    if (owner_[std::size_t(lo)] == me) sum_locally(mine, first, lo, hi);
  if (ranks == 1) {
    total.assign(mine[0].begin(), mine[0].end());
    return;
  }
  // Part p of the vector is summed above the rank nodes on rank p.
  counts_.assign(std::size_t(ranks), 0);
  sent_.clear();
  for (int p = 0; p < ranks; ++p) {
    const Share part = rank_share(n, ranks, p);
    for (const auto& [lo, hi] : nodes_) {
      if (owner_[std::size_t(lo)] != me) continue;
      const auto* bytes =
          reinterpret_cast<const std::byte*>(mine[std::size_t(lo - first)].data() + part.begin);
      sent_.insert(sent_.end(), bytes, bytes + part.size() * std::int64_t(sizeof(float)));
      counts_[std::size_t(p)] += std::size_t(part.size()) * sizeof(float);
    }
  }
  cluster_.all_to_all(sent_, counts_, received_);
  part_floats_ = static_cast<std::size_t>(rank_share(n, ranks, me).size());
  node_at_.clear();
  std::vector<std::size_t> next(received_.offset.begin(), received_.offset.end() - 1);
  for (const auto& [lo, hi] : nodes_) {
    const int owner = owner_[std::size_t(lo)];
    node_at_.push_back(next[std::size_t(owner)]);
    next[std::size_t(owner)] += part_floats_ * sizeof(float);
    if (next[std::size_t(owner)] > received_.offset[std::size_t(owner) + 1])
      throw std::invalid_argument("fixed_tree_sum: rank " + std::to_string(owner) +
                                  " sent too little");
  }
  part_.resize(part_floats_);
  sum_above(0, slices_, 0, part_.data());
  cluster_.all_gather(std::as_bytes(std::span<const float>(part_)), gathered_);
  total.resize(static_cast<std::size_t>(n));
  if (gathered_.bytes.size() != total.size() * sizeof(float))
    throw std::invalid_argument("fixed_tree_sum: the ranks' parts do not make up the vector");
  std::memcpy(total.data(), gathered_.bytes.data(), gathered_.bytes.size());
}

std::vector<float> fixed_tree_sum(Cluster& cluster, std::int64_t slices,
                                  std::vector<std::vector<float>> mine) {
  FixedTreeSum sum(cluster, slices);
  std::vector<float> total;
  sum(mine, total);
  return total;
}

std::string compare_across_ranks(Cluster& cluster,
                                 const std::vector<std::pair<std::string, std::string>>& parts) {
  std::vector<std::uint64_t> digests;
  for (const auto& [name, text] : parts) digests.push_back(fnv1a(text));
  digests.push_back(parts.size());
  const std::vector<std::vector<std::byte>> all = cluster.all_gather(as_bytes_of(digests));
  const std::vector<std::uint64_t> first = from_bytes<std::uint64_t>(all[0]);
  std::string differences;
  for (std::size_t r = 1; r < all.size(); ++r) {
    const std::vector<std::uint64_t> theirs = from_bytes<std::uint64_t>(all[r]);
    if (theirs.size() != first.size()) {
      differences +=
          "rank " + std::to_string(r) + " describes its job in other terms than rank 0\n";
      continue;
    }
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (theirs[i] != first[i])
        differences += parts[i].first + ": rank " + std::to_string(r) + " differs from rank 0\n";
  }
  return differences;
}

}  // namespace simdml
