// The blocked k-NN: float distances by GEMM tile by tile, a short candidate list per query, then an
// exact re-ranking that a rounding-error bound certifies.
//
// Why the certificate holds. Let d be a pair's exact distance and f its float distance, with
// |f - d| <= E for every training row of a query. Let L be the query's list: its `depth` smallest
// f, sorted, f_k the k-th and f_last the last. The k rows with the smallest f all have d <= f_k +
// E, so the k-th smallest exact distance is at most f_k + E, and every true neighbour has f <= f_k
// + 2E. A row outside L has f >= f_last, so when f_last > f_k + 2E no true neighbour is outside L,
// and re-ranking L exactly gives the exact answer. Otherwise the query is searched exactly (rare:
// the float error is far below MNIST's gaps between neighbours).
//
// The bound. The GEMM sums K products with one rounding each (|error| <= K u |q| |t| for the dot
// product, u = 2^-24), the norms and the final |q|^2 - 2 q.t + |t|^2 add a few roundings of
// magnitude <= (|q| + |t|)^2, and pixel features carry the rounding of byte / 255. All of it is
// below (K + 16) * 2^-23 * (|q| + |t|_max)^2, twice the sum of those terms.
#include <algorithm>
#include <cmath>
#include <vector>

#include "knn/topk.hpp"
#include "knn/variants.hpp"
#include "simdml/gemm.hpp"

namespace simdml::knn_detail {
namespace {

constexpr std::int64_t kQueryTile = kBlockedTile.rows;
constexpr std::int64_t kTrainTile = kBlockedTile.columns;

// Candidates kept per query: enough that the certificate rarely fails.
int candidate_depth(int k, std::int64_t train_rows) {
  return static_cast<int>(std::min<std::int64_t>(train_rows, 2 * std::int64_t{k} + 16));
}

std::vector<float> squared_norms(const Dataset& data) {
  std::vector<float> norms(static_cast<std::size_t>(data.samples));
  for (std::int64_t i = 0; i < data.samples; ++i) {
    double sum = 0.0;
    for (std::int64_t f = 0; f < data.features; ++f)
      sum += static_cast<double>(data.row(i)[f]) * data.row(i)[f];
    norms[static_cast<std::size_t>(i)] = static_cast<float>(sum);
  }
  return norms;
}

// The first j >= from with d[j] <= bound, or n. Blocks of 16 are tested without branches, which
// the compiler turns into vector compares; most blocks hold no candidate.
std::int64_t find_at_most(const float* d, std::int64_t from, std::int64_t n, float bound) {
  std::int64_t j = from;
  for (; j + 16 <= n; j += 16) {
    bool any = false;
    for (int v = 0; v < 16; ++v) any |= d[j + v] <= bound;
    if (any) break;
  }
  for (; j < n; ++j)
    if (d[j] <= bound) return j;
  return n;
}

struct Problem {
  const Dataset& train;
  const Dataset& queries;
  int k, depth;
  std::vector<float> train_norms, query_norms;
  float train_norm_max;  // the largest |t|, not squared
};

// One thread's tile of queries: float candidates, then exact re-ranking or exact search.
class QueryTile {
 public:
  explicit QueryTile(const Problem& p)
      : p_(p),
        distances_(static_cast<std::size_t>(kQueryTile * kTrainTile)),
        list_distances_(static_cast<std::size_t>(kQueryTile * p.depth)),
        list_indices_(static_cast<std::size_t>(kQueryTile * p.depth)),
        exact_(static_cast<std::size_t>(p.train.samples)),
        order_(static_cast<std::size_t>(p.train.samples)) {}

  // Returns how many queries needed the exact search.
  std::int64_t run(std::int64_t first, std::int64_t rows, Neighbors& out) {
    std::vector<TopK<float>> lists;
    for (std::int64_t i = 0; i < rows; ++i)
      lists.emplace_back(p_.depth, list_distances_.data() + i * p_.depth,
                         list_indices_.data() + i * p_.depth);
    for (std::int64_t t0 = 0; t0 < p_.train.samples; t0 += kTrainTile) {
      const std::int64_t cols = std::min(kTrainTile, p_.train.samples - t0);
      float_distances(first, rows, t0, cols);
      for (std::int64_t i = 0; i < rows; ++i)
        offer_candidates(distances_.data() + i * kTrainTile, cols, t0,
                         lists[static_cast<std::size_t>(i)], find_at_most);
    }
    std::int64_t fallbacks = 0;
    for (std::int64_t i = 0; i < rows; ++i)
      fallbacks += !rerank(first + i, lists[static_cast<std::size_t>(i)], out);
    return fallbacks;
  }

 private:
  // distances_[i][j] = |q_i|^2 - 2 q_i.t_j + |t_j|^2 in float.
  void float_distances(std::int64_t first, std::int64_t rows, std::int64_t t0, std::int64_t cols) {
    const std::int64_t features = p_.train.features;
    GemmProblem g;
    g.trans_b = Trans::yes;
    g.m = rows, g.n = cols, g.k = features;
    g.alpha = -2.0f;
    g.a = p_.queries.row(first), g.lda = features;
    g.b = p_.train.row(t0), g.ldb = features;
    g.c = distances_.data(), g.ldc = kTrainTile;
    sgemm(gemm_kernel(GemmVariant::simd), g, GemmExecution{.threads = 1});
    for (std::int64_t i = 0; i < rows; ++i) {
      float* row = distances_.data() + i * kTrainTile;
      const float qn = p_.query_norms[static_cast<std::size_t>(first + i)];
      const float* tn = p_.train_norms.data() + t0;
      for (std::int64_t j = 0; j < cols; ++j) row[j] = (row[j] + qn) + tn[j];
    }
  }

  // True when the list provably holds every true neighbour (the header comment's argument).
  bool certified(std::int64_t query, const TopK<float>& list) const {
    if (list.size() == p_.train.samples) return true;
    const double reach =
        static_cast<double>(std::sqrt(p_.query_norms[static_cast<std::size_t>(query)])) +
        p_.train_norm_max;
    const double error = static_cast<double>(p_.train.features + 16) * 0x1p-23 * reach * reach;
    return static_cast<double>(list.distance(list.size() - 1)) >
           static_cast<double>(list.distance(p_.k - 1)) + 2.0 * error;
  }

  // Exact neighbours from the certified list, written straight into the query's slots of out;
  // false (after an exact search) when the list cannot be certified.
  bool rerank(std::int64_t query, const TopK<float>& list, Neighbors& out) {
    if (!certified(query, list)) {
      exact_search(p_.train, p_.queries, query, p_.k, exact_.data(), order_.data(), out);
      return false;
    }
    TopK<double> best(p_.k, out.distance.data() + query * p_.k, out.index.data() + query * p_.k);
    for (int c = 0; c < list.size(); ++c)
      best.offer(exact_distance(p_.train, list.index(c), p_.queries, query), list.index(c));
    return true;
  }

  const Problem& p_;
  std::vector<float> distances_, list_distances_;
  std::vector<std::int32_t> list_indices_;
  std::vector<double> exact_;
  std::vector<std::int32_t> order_;
};

}  // namespace

Neighbors blocked_knn(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  Problem p{train,
            queries,
            search.k,
            candidate_depth(search.k, train.samples),
            squared_norms(train),
            squared_norms(queries),
            0.0f};
  p.train_norm_max = std::sqrt(*std::max_element(p.train_norms.begin(), p.train_norms.end()));
  Neighbors out = empty_neighbors(queries.samples, search.k, train.samples);
  const std::int64_t tiles = (queries.samples + kQueryTile - 1) / kQueryTile;
  std::int64_t fallbacks = 0;
#pragma omp parallel num_threads(search.threads) reduction(+ : fallbacks)
  {
    QueryTile tile(p);
#pragma omp for schedule(dynamic)
    for (std::int64_t t = 0; t < tiles; ++t)
      fallbacks +=
          tile.run(t * kQueryTile, std::min(kQueryTile, queries.samples - t * kQueryTile), out);
  }
  out.exact_fallbacks = fallbacks;
  // Certified queries re-rank their list exactly; the others compute every distance.
  out.exact_pairs = (queries.samples - fallbacks) * p.depth + fallbacks * train.samples;
  return out;
}

}  // namespace simdml::knn_detail
