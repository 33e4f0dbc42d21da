// k-NN on the ranks of a job: shards of the training set merged exactly, or shares of the queries.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "knn/variants.hpp"

namespace simdml {
namespace {

using Clock = std::chrono::steady_clock;
using knn_detail::seconds_since;

// One rank's lists as bytes: its k, then every query's indices, then their distances, then its
// two counters.
std::vector<std::byte> pack(const Neighbors& n) {
  const std::int64_t header[3] = {n.k, n.exact_fallbacks, n.exact_pairs};
  const std::size_t index_bytes = n.index.size() * sizeof(std::int32_t),
                    distance_bytes = n.distance.size() * sizeof(double);
  std::vector<std::byte> out(sizeof header + index_bytes + distance_bytes);
  std::memcpy(out.data(), header, sizeof header);
  if (index_bytes > 0) std::memcpy(out.data() + sizeof header, n.index.data(), index_bytes);
  if (distance_bytes > 0)
    std::memcpy(out.data() + sizeof header + index_bytes, n.distance.data(), distance_bytes);
  return out;
}

Neighbors unpack(const std::vector<std::byte>& bytes, std::int64_t queries) {
  Neighbors n;
  std::int64_t header[3];
  std::memcpy(header, bytes.data(), sizeof header);
  n.queries = queries;
  n.k = static_cast<int>(header[0]);
  n.exact_fallbacks = header[1], n.exact_pairs = header[2];
  const auto slots = static_cast<std::size_t>(queries * n.k);
  if (bytes.size() != sizeof header + slots * (sizeof(std::int32_t) + sizeof(double)))
    throw std::runtime_error("k-NN merge: a rank sent lists of the wrong size");
  n.index.resize(slots);
  n.distance.resize(slots);
  std::memcpy(n.index.data(), bytes.data() + sizeof header, slots * sizeof(std::int32_t));
  std::memcpy(n.distance.data(), bytes.data() + sizeof header + slots * sizeof(std::int32_t),
              slots * sizeof(double));
  return n;
}

// The k nearest of every query over all ranks' lists, by (distance, index): the order of a
// one-process search.
void merge_lists(const std::vector<Neighbors>& parts, Neighbors& out) {
  std::vector<std::pair<double, std::int32_t>> candidates;
  for (std::int64_t q = 0; q < out.queries; ++q) {
    candidates.clear();
    for (const Neighbors& p : parts)
      for (int i = 0; i < p.k; ++i) {
        const auto at = static_cast<std::size_t>(q * p.k + i);
        candidates.emplace_back(p.distance[at], p.index[at]);
      }
    std::partial_sort(candidates.begin(), candidates.begin() + out.k, candidates.end());
    for (int i = 0; i < out.k; ++i) {
      const auto at = static_cast<std::size_t>(q * out.k + i);
      out.distance[at] = candidates[std::size_t(i)].first;
      out.index[at] = candidates[std::size_t(i)].second;
    }
  }
}

}  // namespace

std::string_view knn_sharding_name(KnnSharding sharding) {
  return sharding == KnnSharding::training ? "training" : "queries";
}

std::optional<KnnSharding> parse_knn_sharding(std::string_view name) {
  if (name == "training") return KnnSharding::training;
  if (name == "queries") return KnnSharding::queries;
  return std::nullopt;
}

Neighbors find_neighbors_sharded(const KnnKernel& kernel, const Dataset& shard,
                                 std::int64_t first_row, std::int64_t total_rows,
                                 const Dataset& queries, const KnnSearch& search,
                                 Cluster& cluster) {
  knn_detail::check_k_and_rows(search.k, total_rows, shard.name);
  if (first_row < 0 || first_row + shard.samples > total_rows)
    throw std::invalid_argument("the shard's rows lie outside the training set");
  Neighbors mine = knn_detail::empty_neighbors(queries.samples, 0, 0);
  if (shard.samples > 0) {
    mine =
        find_neighbors(kernel, shard, queries,
                       KnnSearch{static_cast<int>(std::min<std::int64_t>(search.k, shard.samples)),
                                 search.threads});
    for (std::int32_t& i : mine.index) i += static_cast<std::int32_t>(first_row);
  }
  Clock::time_point start = Clock::now();
  std::vector<Neighbors> parts;
  for (const std::vector<std::byte>& bytes : cluster.all_gather(pack(mine)))
    parts.push_back(unpack(bytes, queries.samples));
  const double exchange_s = seconds_since(start);
  start = Clock::now();
  Neighbors out = knn_detail::empty_neighbors(queries.samples, search.k, 0);
  out.exact_pairs = 0;
  for (const Neighbors& p : parts) {
    out.exact_pairs += p.exact_pairs;
    out.exact_fallbacks += p.exact_fallbacks;
  }
  merge_lists(parts, out);
  out.phases = mine.phases;
  out.phases.push_back({"exchange", exchange_s});
  out.phases.push_back({"merge", seconds_since(start)});
  return out;
}

Neighbors find_neighbors_for_query_share(const KnnKernel& kernel, const Dataset& train,
                                         const Dataset& queries, const KnnSearch& search,
                                         Cluster& cluster) {
  knn_detail::check_k_and_rows(search.k, train.samples, train.name);
  const Share own = rank_share(queries.samples, cluster.size(), cluster.rank());
  const Neighbors mine =
      find_neighbors(kernel, train, slice_rows(queries, own.begin, own.end), search);
  const Clock::time_point start = Clock::now();
  const std::vector<std::vector<std::byte>> all = cluster.all_gather(pack(mine));
  Neighbors out = knn_detail::empty_neighbors(queries.samples, search.k, 0);
  out.exact_pairs = 0;
  for (int r = 0; r < cluster.size(); ++r) {
    const Share share = rank_share(queries.samples, cluster.size(), r);
    const Neighbors part = unpack(all[std::size_t(r)], share.size());
    if (part.k != search.k) throw std::runtime_error("k-NN gather: a rank searched another k");
    std::copy(part.index.begin(), part.index.end(), out.index.begin() + share.begin * search.k);
    std::copy(part.distance.begin(), part.distance.end(),
              out.distance.begin() + share.begin * search.k);
    out.exact_pairs += part.exact_pairs;
    out.exact_fallbacks += part.exact_fallbacks;
  }
  out.phases = mine.phases;
  out.phases.push_back({"exchange", seconds_since(start)});
  return out;
}

}  // namespace simdml
