// The single-process job, shares, the fixed-order sum across ranks and the job check.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
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
  std::vector<std::vector<std::byte>> all_gather(std::span<const std::byte> mine) override {
    return {std::vector<std::byte>(mine.begin(), mine.end())};
  }
  std::vector<std::vector<std::byte>> all_to_all(
      const std::vector<std::vector<std::byte>>& to_rank) override {
    return to_rank;
  }
  void broadcast(std::span<std::byte>, int) override {}
  [[noreturn]] void abort(int status) override { std::exit(status); }
};

// The slice tree of fixed_tree_sum over rank shares of the slices.
class SliceTree {
 public:
  SliceTree(std::int64_t slices, int ranks) : slices_(slices), ranks_(ranks) {}

  int owner(std::int64_t slice) const {
    int r = 0;
    while (r + 1 < ranks_ && rank_share(slices_, ranks_, r + 1).begin <= slice) ++r;
    return r;
  }
  bool within_one_rank(std::int64_t lo, std::int64_t hi) const {
    return owner(lo) == owner(hi - 1);
  }
  // The largest nodes that lie inside one rank's share, left to right, and whose rank they are.
  std::vector<std::pair<Share, int>> rank_nodes() const {
    std::vector<std::pair<Share, int>> out;
    collect(0, slices_, out);
    return out;
  }

 private:
  void collect(std::int64_t lo, std::int64_t hi, std::vector<std::pair<Share, int>>& out) const {
    if (within_one_rank(lo, hi)) {
      out.push_back({{lo, hi}, owner(lo)});
      return;
    }
    const std::int64_t mid = (lo + hi) / 2;
    collect(lo, mid, out);
    collect(mid, hi, out);
  }
  std::int64_t slices_;
  int ranks_;
};

void add_into(std::vector<float>& sum, const std::vector<float>& more) {
  for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += more[i];
}

// sum(lo, hi) of this rank's vectors (slice s at mine[s - first]), left in mine[lo - first].
void sum_locally(std::vector<std::vector<float>>& mine, std::int64_t first, std::int64_t lo,
                 std::int64_t hi) {
  if (hi - lo == 1) return;
  const std::int64_t mid = (lo + hi) / 2;
  sum_locally(mine, first, lo, mid);
  sum_locally(mine, first, mid, hi);
  add_into(mine[std::size_t(lo - first)], mine[std::size_t(mid - first)]);
}

// sum(lo, hi) of one part of the vector, above the rank nodes, whose values `known` holds.
std::vector<float> sum_above(const SliceTree& tree,
                             const std::map<std::int64_t, std::vector<float>>& known,
                             std::int64_t lo, std::int64_t hi) {
  if (tree.within_one_rank(lo, hi)) return known.at(lo);
  const std::int64_t mid = (lo + hi) / 2;
  std::vector<float> sum = sum_above(tree, known, lo, mid);
  add_into(sum, sum_above(tree, known, mid, hi));
  return sum;
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

std::vector<float> fixed_tree_sum(Cluster& cluster, std::int64_t slices,
                                  std::vector<std::vector<float>> mine) {
  const int ranks = cluster.size(), me = cluster.rank();
  const Share own = rank_share(slices, ranks, me);
  if (slices < 1 || static_cast<std::int64_t>(mine.size()) != own.size())
    throw std::invalid_argument("fixed_tree_sum: rank " + std::to_string(me) + " holds " +
                                std::to_string(mine.size()) + " vectors for " +
                                std::to_string(own.size()) + " slices");
  const std::vector<std::int64_t> lengths = all_gather_concat(
      cluster, std::vector<std::int64_t>{mine.empty() ? -1 : std::int64_t(mine[0].size())});
  std::int64_t n = -1;
  for (std::int64_t length : lengths) n = std::max(n, length);
  for (std::size_t r = 0; r < lengths.size(); ++r)
    if (lengths[r] != -1 && lengths[r] != n)
      throw std::invalid_argument("fixed_tree_sum: rank " + std::to_string(r) +
                                  " sums vectors of another length");
  for (const std::vector<float>& v : mine)
    if (static_cast<std::int64_t>(v.size()) != n)
      throw std::invalid_argument("fixed_tree_sum: vectors of different lengths");

  const SliceTree tree(slices, ranks);
  const std::vector<std::pair<Share, int>> nodes = tree.rank_nodes();
  for (const auto& [node, owner] : nodes)
    if (owner == me) sum_locally(mine, own.begin, node.begin, node.end);
  if (ranks == 1) return std::move(mine[0]);

  // Part p of the vector is summed above the rank nodes on rank p.
  const auto part = [&](int p) { return rank_share(n, ranks, p); };
  std::vector<std::vector<std::byte>> to_rank(static_cast<std::size_t>(ranks));
  for (int p = 0; p < ranks; ++p) {
    const Share s = part(p);
    for (const auto& [node, owner] : nodes) {
      if (owner != me) continue;
      const float* v = mine[std::size_t(node.begin - own.begin)].data() + s.begin;
      const auto* bytes = reinterpret_cast<const std::byte*>(v);
      to_rank[std::size_t(p)].insert(to_rank[std::size_t(p)].end(), bytes,
                                     bytes + s.size() * std::int64_t(sizeof(float)));
    }
  }
  const std::vector<std::vector<std::byte>> received = cluster.all_to_all(to_rank);
  const Share mine_part = part(me);
  std::map<std::int64_t, std::vector<float>> known;  // rank node's first slice -> its values
  std::vector<std::size_t> offset(static_cast<std::size_t>(ranks), 0);
  for (const auto& [node, owner] : nodes) {
    const std::vector<std::byte>& from = received[std::size_t(owner)];
    const auto bytes = static_cast<std::size_t>(mine_part.size()) * sizeof(float);
    if (offset[std::size_t(owner)] + bytes > from.size())
      throw std::invalid_argument("fixed_tree_sum: rank " + std::to_string(owner) +
                                  " sent too little");
    std::vector<float> values(static_cast<std::size_t>(mine_part.size()));
    if (bytes > 0) std::memcpy(values.data(), from.data() + offset[std::size_t(owner)], bytes);
    offset[std::size_t(owner)] += bytes;
    known.emplace(node.begin, std::move(values));
  }
  return all_gather_concat(cluster, sum_above(tree, known, 0, slices));
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
