// The pruned k-NN: exact neighbours from far fewer exact distances, by a lower bound that skips
// the training rows which cannot be neighbours.
//
// Fit (once per call, counted in the time): an orthonormal basis P of the training set's leading
// principal subspace (basis.hpp) in two blocks, P1 (the bound's components) and P2 (the next
// ones), every row projected on both and quantized to bytes, each block on its own byte scale
// (projection.hpp), and every row's distance from the basis's span. Then, per panel of MR queries
// (the int8 tile's rows; OpenMP over panels):
//   bounds  the int8 tile kernel computes Q = |u_q - u_t|^2 for the P1 bytes of the panel's
//           queries and every training row, exactly, into a per-thread MR x N buffer, while each
//           query keeps its `seed_count` best rows by bound;
//   seeds   their exact distances fill the query's top-k list; its k-th distance tau caps the
//           distance of every true neighbour;
//   refine  a vector scan of the query's bounds finds every row whose Q is at most limit(tau)
//           (the first test); each of them passes a second, sharper test (below) or is dropped;
//   exact   the survivors' exact distances are offered; tau only falls, and both tests with it.
// A row that is never checked failed a test for a tau at least the final k-th distance, so it is
// farther than the k-th neighbour (proofs below): the list is exactly naive's, indices, order and
// distances, for any offer order, thread count and target.
//
// Why Q > limit(tau) proves D > tau. D is the exact distance as knn.hpp defines it (the pixel
// bytes' integer distance / 255^2, or the float features' distance), x_q and x_t the exact rows.
//   1. |P (x_q - x_t)|^2 <= gram_bound D: gram_bound bounds the largest eigenvalue of P P^T for
//      the float P in use (basis.cpp), so the bound needs no exact orthonormality.
//   2. Each row's bytes u stand for the point y^ = centre + (u - 128) scale, and its slack is
//      >= |y^ - P x| (projection.cpp: the quantization gap, the GEMM's and the byte / 255
//      rounding). Since y^_q - y^_t = scale (u_q - u_t) and the kernel's Q is exact,
//      |P (x_q - x_t)| >= scale sqrt(Q) - slack_q - slack_t, by the triangle inequality.
//   3. So D > tau whenever scale sqrt(Q) - slack_q - slack_max > sqrt(gram_bound tau'), that is
//      Q > ((sqrt(gram_bound tau') + slack_q + slack_max) / scale)^2, where tau' = tau (1 + (d +
//      2) 2^-52) covers the reference's own double rounding (a row whose computed distance is at
//      most tau has exact distance at most tau'). limit() evaluates that in double, rounded up by
//      a relative 2^-40, far above its few ulps of error, and takes the floor.
// Why the second test's refined_bound > tau' proves D > tau. Let Pi be the orthogonal projector on
// the span of P's rows and x = x_q - x_t. Then D = |Pi x|^2 + |(I - Pi) x|^2 exactly, and
//   4. |Pi x|^2 >= |P x|^2 / gram_bound = (|P1 x|^2 + |P2 x|^2) / gram_bound, and step 2 bounds
//      each block's |P_b x| from below by scale_b sqrt(Q_b) - slack_q,b - slack_t,b, now with the
//      training row's own slack (Q2 from row_dot on the P2 bytes, exact in int32).
//   5. |(I - Pi) x| >= | |(I - Pi) x_q| - |(I - Pi) x_t| | (the triangle inequality), and each
//      row's |(I - Pi) x| lies in [low, high] (projection.cpp: |x|^2 less |Pi x|^2, which
//      gram_low and gram_bound tie to the projection's norm), so the gap between the two
//      intervals bounds it from below.
//   refined_bound sums the two, each term rounded toward zero by a relative 2^-50 and the sum by
//   2^-46, far above their few roundings; the training rows' slacks and intervals are stored as
//   floats rounded outward. A row is skipped when that bound exceeds tau'.
// Equal distances: a row is skipped only when its distance is strictly above tau, so rows that tie
// with the k-th are always checked and the lower index wins, as everywhere.
#include "knn/pruned/pruned.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/run_tasks.hpp"
#include "knn/int8/packing.hpp"
#include "knn/pruned/basis.hpp"
#include "knn/pruned/projection.hpp"
#include "knn/topk.hpp"
#include "knn/variants.hpp"

namespace simdml::knn_detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int32_t kNoLimit = std::numeric_limits<std::int32_t>::max() - 1;
constexpr std::int32_t kChecked = std::numeric_limits<std::int32_t>::max();  // above every limit
constexpr std::int64_t kChunkPanels = 16;
constexpr std::int64_t kPrefetchRows = 6;    // exact checks fetch this many rows ahead
constexpr std::int64_t kPrefetchRefine = 8;  // the refine test, this many
// Images whose integer distances stay below 2^31 (int8.cpp's limit); larger ones use double.
constexpr std::int64_t kMaxIntegerFeatures = (std::int64_t{1} << 31) / (2 * 255 * 255);

// Rows offered exactly before the scan: enough that tau starts near its final value.
int seed_count(int k, std::int64_t train_rows) {
  return static_cast<int>(std::min<std::int64_t>(train_rows, 2 * std::int64_t{k} + 8));
}

// The training pixels as row_dot reads them, in place: a row's read runs up to exact_words words
// past its start, into the next row, where the query's zero words cancel it. Only the last rows,
// whose reads would leave the array, are copied with zero padding.
struct ExactRows {
  const std::uint8_t* pixels = nullptr;
  std::int64_t features = 0, row_bytes = 0, tail_first = 0;
  std::vector<std::uint8_t> tail;
  std::vector<std::int32_t> norms;  // |t|^2 - 2 offset sum(t), as pack_train folds them
  const std::uint8_t* row(std::int64_t r) const {
    return r < tail_first ? pixels + r * features : tail.data() + (r - tail_first) * row_bytes;
  }
};

// |t|^2 - 2 offset sum(t) of a row of bytes: its part of the int8 distance. A function of its own
// rather than a loop in a lambda: through captured references, every byte read would reload them.
std::int32_t offset_norm(const std::uint8_t* t, std::int64_t d, std::int32_t offset) {
  std::int32_t norm = 0, sum = 0;
  for (std::int64_t f = 0; f < d; ++f) {
    norm += std::int32_t{t[f]} * t[f];
    sum += t[f];
  }
  return norm - 2 * offset * sum;
}

ExactRows exact_rows(const Dataset& train, const Int8Kernels& kernels, std::int64_t words,
                     int threads) {
  const std::int64_t n = train.samples, d = train.features;
  ExactRows rows{train.pixels.data(), d, words * kernels.features_per_word, 0, {}, {}};
  rows.tail_first = std::max<std::int64_t>(0, n - (rows.row_bytes + d - 1) / d);
  rows.tail.assign(static_cast<std::size_t>((n - rows.tail_first) * rows.row_bytes), 0);
  for (std::int64_t r = rows.tail_first; r < n; ++r)
    std::copy_n(train.pixels.data() + r * d, d,
                rows.tail.data() + (r - rows.tail_first) * rows.row_bytes);
  rows.norms.resize(static_cast<std::size_t>(n));
  const std::int32_t offset = kernels.query_offset;
  run_tasks(threads, n, [&](std::int64_t r) {
    rows.norms[static_cast<std::size_t>(r)] = offset_norm(train.pixels.data() + r * d, d, offset);
  });
  return rows;
}

// What the refine test reads of a training row besides its second-block bytes, rounded outward
// to float (slacks and the residual's upper bound up, its lower bound down).
struct RefineRow {
  float slack = 0.0f, refine_slack = 0.0f, residual_low = 0.0f, residual_high = 0.0f;
  std::int32_t norm = 0;  // the second block's |t|^2 - 2 offset sum(t)
};

float rounded_up(double x) {
  const float f = static_cast<float>(x);
  return static_cast<double>(f) >= x ? f : std::nextafter(f, std::numeric_limits<float>::max());
}
float rounded_down(double x) {
  const float f = static_cast<float>(x);
  return static_cast<double>(f) <= x ? f : std::nextafter(f, -std::numeric_limits<float>::max());
}

// Everything fitted on the training set.
struct Index {
  Index(const Dataset& train_set, const Dataset& query_set, const Int8Kernels& int8, int k_,
        bool rounding_margin)
      : train(train_set),
        queries(query_set),
        kernels(int8),
        k(k_),
        seeds(seed_count(k_, train_set.samples)),
        margin(rounding_margin) {}

  const Dataset& train;
  const Dataset& queries;
  const Int8Kernels& kernels;
  int k, seeds;
  bool margin;
  Basis basis;
  int bound_components = 0, refine_components = 0;  // the basis's first and second blocks
  Quantizer quantizer;
  QuantizedRows train_rows, query_rows;
  std::int64_t bound_words = 0, padded_train = 0;
  // The second test (refine): the second block's bytes and every row's slacks and residual norms.
  Quantizer refine_quantizer;
  QuantizedRows query_refine;
  ResidualNorms query_residual;
  std::int64_t refine_words = 0, refine_row_bytes = 0;
  std::vector<std::uint8_t> refine_bytes;  // training rows of refine_row_bytes, zero padded
  std::vector<RefineRow> refine_rows;
  PackedTrain bound_panels;  // the training rows' bytes in NR-row panels
  bool integer_exact = false;
  std::int64_t exact_words = 0;
  ExactRows exact_rows;  // integer_exact only
};

// The largest Q that may still hide a row at distance <= tau from a query with this slack (the
// header's step 3).
std::int32_t limit(const Index& ix, double tau, double query_slack) {
  double t;
  if (ix.margin) {
    const double d = static_cast<double>(ix.train.features);
    const double reach = std::sqrt(ix.basis.gram_bound * tau * (1.0 + (d + 2.0) * 0x1p-52)) +
                         query_slack + ix.train_rows.slack_max;
    t = reach / ix.quantizer.scale;
    t = t * t * (1.0 + 0x1p-40);
  } else {
    t = tau / (ix.quantizer.scale * ix.quantizer.scale);
  }
  return t >= static_cast<double>(kNoLimit) ? kNoLimit : static_cast<std::int32_t>(std::floor(t));
}

// One thread's panel of queries.
// Distance: the exact distance in the lists' units, std::int32_t for images (the pixel bytes'
// integer distance, reported / 255^2), else double (knn.hpp's float distance).
template <class Distance>
class PanelSearch {
  static constexpr bool kInteger = std::is_integral_v<Distance>;

 public:
  explicit PanelSearch(const Index& ix)
      : ix_(ix),
        mr_(ix.kernels.rows),
        query_words_(static_cast<std::size_t>(mr_ * ix.bound_words)),
        query_norms_(static_cast<std::size_t>(mr_)),
        bounds_(static_cast<std::size_t>(mr_ * ix.padded_train)),
        seed_bounds_(static_cast<std::size_t>(mr_ * ix.seeds)),
        seed_indices_(static_cast<std::size_t>(mr_ * ix.seeds)),
        exact_words_(static_cast<std::size_t>(mr_ * ix.exact_words)),
        exact_norms_(static_cast<std::size_t>(mr_)),
        refine_words_(static_cast<std::size_t>(mr_ * ix.refine_words)),
        refine_norms_(static_cast<std::size_t>(mr_)),
        best_(static_cast<std::size_t>(ix.k)),
        best_indices_(static_cast<std::size_t>(ix.k)),
        hits_(static_cast<std::size_t>(ix.train.samples)),
        survivor_bounds_(static_cast<std::size_t>(ix.train.samples)) {}

  std::int64_t panel_rows() const { return mr_; }
  double bound_seconds = 0.0, refine_seconds = 0.0, exact_seconds = 0.0;
  std::int64_t exact_pairs = 0;

  void run(std::int64_t first, std::int64_t rows, Neighbors& out) {
    const Clock::time_point start = Clock::now();
    std::vector<TopK<std::int32_t>> seeds = bound_pass(first, rows);
    const Clock::time_point bounds_done = Clock::now();
    bound_seconds += std::chrono::duration<double>(bounds_done - start).count();
    if constexpr (kInteger)
      pack_queries(ByteRows{ix_.queries.pixels.data(), ix_.queries.samples, ix_.queries.features},
                   first, rows, ix_.kernels, 1, ix_.exact_words, exact_words_.data(),
                   exact_norms_.data());
    if (ix_.refine_words > 0)
      pack_queries(
          ByteRows{ix_.query_refine.bytes.data(), ix_.queries.samples, ix_.refine_components},
          first, rows, ix_.kernels, 1, ix_.refine_words, refine_words_.data(),
          refine_norms_.data());
    for (std::int64_t i = 0; i < rows; ++i)
      check(first, i, seeds[static_cast<std::size_t>(i)], out);
    exact_seconds += seconds_since(bounds_done) - refine_seconds_now_;
    refine_seconds += refine_seconds_now_;
    refine_seconds_now_ = 0.0;
  }

 private:
  // Every bound of the panel into bounds_, and each query's best rows by bound.
  std::vector<TopK<std::int32_t>> bound_pass(std::int64_t first, std::int64_t rows) {
    const Int8Kernels& kernels = ix_.kernels;
    pack_queries(ByteRows{ix_.query_rows.bytes.data(), ix_.queries.samples, ix_.bound_components},
                 first, rows, kernels, mr_, ix_.bound_words, query_words_.data(),
                 query_norms_.data());
    std::vector<TopK<std::int32_t>> seeds;
    for (std::int64_t i = 0; i < rows; ++i)
      seeds.emplace_back(ix_.seeds, seed_bounds_.data() + i * ix_.seeds,
                         seed_indices_.data() + i * ix_.seeds);
    const std::int64_t n = ix_.train.samples, nr = kernels.cols, chunk = kChunkPanels * nr;
    for (std::int64_t c0 = 0; c0 < n; c0 += chunk) {
      const std::int64_t cols = std::min(chunk, n - c0);
      for (std::int64_t row0 = c0; row0 < c0 + cols; row0 += nr)
        kernels.distance_tile(ix_.bound_words, query_words_.data(), ix_.bound_panels.panel(row0),
                              query_norms_.data(), ix_.bound_panels.norms.data() + row0,
                              bounds_.data() + row0, ix_.padded_train);
      for (std::int64_t i = 0; i < rows; ++i)
        offer_candidates(bounds_.data() + i * ix_.padded_train + c0, cols, c0,
                         seeds[static_cast<std::size_t>(i)], kernels.find_at_most);
    }
    return seeds;
  }

  Distance exact(std::int64_t query, std::int64_t panel_row, std::int32_t train_row) const {
    if constexpr (kInteger) {
      const std::int32_t dot =
          ix_.kernels.row_dot(ix_.exact_words, exact_words_.data() + panel_row * ix_.exact_words,
                              ix_.exact_rows.row(train_row));
      return exact_norms_[static_cast<std::size_t>(panel_row)] +
             ix_.exact_rows.norms[static_cast<std::size_t>(train_row)] - 2 * dot;
    } else {
      return exact_distance(ix_.train, train_row, ix_.queries, query);
    }
  }

  static double real_distance(Distance d) {
    if constexpr (kInteger)
      return static_cast<double>(d) / kPixelScale;
    else
      return d;
  }

  // tau' of the header's step 3, in the distance's real units: at least the exact distance of
  // every row whose computed distance is at most kth.
  double reach(Distance kth) const {
    return real_distance(kth) * (1.0 + (static_cast<double>(ix_.train.features) + 2.0) * 0x1p-52);
  }

  // The refine test's lower bound on the distance between query `first + i` and training row j,
  // whose first-block Q is q1 (the header's second test). Each term is rounded toward zero by
  // more than its few roundings.
  double refined_bound(std::int64_t query, std::int64_t i, std::int32_t j, std::int32_t q1) const {
    constexpr double kDown = 1.0 - 0x1p-50, kUp = 1.0 + 0x1p-50;
    const RefineRow& t = ix_.refine_rows[static_cast<std::size_t>(j)];
    const auto q = static_cast<std::size_t>(query);
    const double first =
        std::max(0.0, ix_.quantizer.scale * std::sqrt(static_cast<double>(q1)) * kDown -
                          (ix_.query_rows.slack[q] + t.slack) * kUp);
    double second = 0.0;
    if (ix_.refine_words > 0) {
      const std::int32_t dot =
          ix_.kernels.row_dot(ix_.refine_words, refine_words_.data() + i * ix_.refine_words,
                              ix_.refine_bytes.data() + j * ix_.refine_row_bytes);
      const std::int32_t q2 = refine_norms_[static_cast<std::size_t>(i)] + t.norm - 2 * dot;
      second =
          std::max(0.0, ix_.refine_quantizer.scale * std::sqrt(static_cast<double>(q2)) * kDown -
                            (ix_.query_refine.slack[q] + t.refine_slack) * kUp);
    }
    const double gap = std::max({0.0, ix_.query_residual.low[q] - t.residual_high,
                                 t.residual_low - ix_.query_residual.high[q]}) *
                       kDown;
    return ((first * first + second * second) / ix_.basis.gram_bound + gap * gap) * (1.0 - 0x1p-46);
  }

  // Seeds, then the two tests and the exact checks, for query `first + i`; its neighbours go
  // straight into out.
  void check(std::int64_t first, std::int64_t i, const TopK<std::int32_t>& seeds, Neighbors& out) {
    const std::int64_t query = first + i;
    std::int32_t* bounds = bounds_.data() + i * ix_.padded_train;
    TopK<Distance> best(ix_.k, best_.data(), best_indices_.data());
    for (int s = 0; s < seeds.size(); ++s) {
      if (s + kPrefetchRows < seeds.size()) prefetch_row(seeds.index(s + kPrefetchRows));
      best.offer(exact(query, i, seeds.index(s)), seeds.index(s));
      bounds[seeds.index(s)] = kChecked;
    }
    const Clock::time_point refine_start = Clock::now();
    const double slack = ix_.query_rows.slack[static_cast<std::size_t>(query)];
    Distance kth = best.distance(ix_.k - 1);
    std::int32_t bound = limit(ix_, real_distance(kth), slack);
    double tau = reach(kth);
    // First test: the rows the seeds' limit lets through, by a vector scan of the bounds.
    const std::int64_t n = ix_.train.samples;
    std::int64_t hits = 0;
    for (std::int64_t j = ix_.kernels.find_at_most(bounds, 0, n, bound); j < n;
         j = ix_.kernels.find_at_most(bounds, j + 1, n, bound))
      hits_[static_cast<std::size_t>(hits++)] = static_cast<std::int32_t>(j);
    // Second test: those whose refined bound is at most tau' survive, with that bound.
    std::int64_t survivors = 0;
    for (std::int64_t h = 0; h < hits; ++h) {
      if (h + kPrefetchRefine < hits)
        prefetch_refine(hits_[static_cast<std::size_t>(h + kPrefetchRefine)]);
      const std::int32_t j = hits_[static_cast<std::size_t>(h)];
      const double lower = ix_.margin ? refined_bound(query, i, j, bounds[j]) : 0.0;
      if (lower > tau) continue;
      hits_[static_cast<std::size_t>(survivors)] = j;
      survivor_bounds_[static_cast<std::size_t>(survivors++)] = lower;
    }
    refine_seconds_now_ += seconds_since(refine_start);
    // The survivors' exact distances, each row's bytes fetched a few rows ahead (they are
    // scattered over the training set); both tests again with tau as it falls.
    std::int64_t checked = seeds.size();
    for (std::int64_t h = 0; h < survivors; ++h) {
      if (h + kPrefetchRows < survivors)
        prefetch_row(hits_[static_cast<std::size_t>(h + kPrefetchRows)]);
      const std::int32_t j = hits_[static_cast<std::size_t>(h)];
      if (bounds[j] > bound || survivor_bounds_[static_cast<std::size_t>(h)] > tau) continue;
      best.offer(exact(query, i, j), j);
      ++checked;
      if (best.distance(ix_.k - 1) != kth) {
        kth = best.distance(ix_.k - 1);
        bound = limit(ix_, real_distance(kth), slack);
        tau = reach(kth);
      }
    }
    exact_pairs += checked;
    for (int s = 0; s < ix_.k; ++s) {
      out.index[static_cast<std::size_t>(query * ix_.k + s)] = best.index(s);
      out.distance[static_cast<std::size_t>(query * ix_.k + s)] = real_distance(best.distance(s));
    }
  }

  void prefetch_refine(std::int32_t row) const {
    __builtin_prefetch(ix_.refine_rows.data() + row);
    if (ix_.refine_row_bytes > 0)
      __builtin_prefetch(ix_.refine_bytes.data() + row * ix_.refine_row_bytes);
  }

  void prefetch_row(std::int32_t row) const {
    if constexpr (kInteger) {
      const std::uint8_t* bytes = ix_.exact_rows.row(row);
      for (std::int64_t b = 0; b < ix_.exact_words * ix_.kernels.features_per_word; b += 64)
        __builtin_prefetch(bytes + b);
    } else {
      const float* x = ix_.train.row(row);
      for (std::int64_t f = 0; f < ix_.train.features; f += 16) __builtin_prefetch(x + f);
    }
  }

  const Index& ix_;
  std::int64_t mr_;
  std::vector<std::int32_t> query_words_, query_norms_, bounds_, seed_bounds_, seed_indices_,
      exact_words_, exact_norms_, refine_words_, refine_norms_;
  std::vector<Distance> best_;
  std::vector<std::int32_t> best_indices_, hits_;
  std::vector<double> survivor_bounds_;
  double refine_seconds_now_ = 0.0;
};

std::int64_t round_up(std::int64_t n, std::int64_t to) { return (n + to - 1) / to * to; }

// Basis, quantized rows and packed panels: the fit and project phases.
// The refine test's training rows: the second block's bytes in row_dot's layout, and RefineRow.
void build_refine_rows(Index& ix, const std::vector<float>& train_projection, int threads) {
  const std::int64_t n = ix.train.samples, p2 = ix.refine_components;
  const QuantizedRows refine =
      p2 > 0 ? quantize(ix.basis, ix.refine_quantizer, ix.train, train_projection, threads)
             : QuantizedRows{{}, std::vector<double>(static_cast<std::size_t>(n), 0.0), 0.0};
  const ResidualNorms residual = residual_norms(ix.basis, ix.train, train_projection, threads);
  ix.refine_words = p2 > 0 ? packed_words(p2, ix.kernels, kRowDotWords) : 0;
  ix.refine_row_bytes = ix.refine_words * ix.kernels.features_per_word;
  ix.refine_bytes.assign(static_cast<std::size_t>(n * ix.refine_row_bytes), 0);
  ix.refine_rows.resize(static_cast<std::size_t>(n));
  run_tasks(threads, n, [&](std::int64_t r) {
    std::uint8_t* bytes = ix.refine_bytes.data() + r * ix.refine_row_bytes;
    std::copy_n(refine.bytes.data() + r * p2, p2, bytes);
    RefineRow& row = ix.refine_rows[static_cast<std::size_t>(r)];
    row.slack = rounded_up(ix.train_rows.slack[static_cast<std::size_t>(r)]);
    row.refine_slack = rounded_up(refine.slack[static_cast<std::size_t>(r)]);
    row.residual_low = rounded_down(residual.low[static_cast<std::size_t>(r)]);
    row.residual_high = rounded_up(residual.high[static_cast<std::size_t>(r)]);
    row.norm = offset_norm(bytes, p2, ix.kernels.query_offset);
  });
}

void build_index(Index& ix, int threads, Neighbors& out) {
  const Clock::time_point start = Clock::now();
  ix.basis = fit_basis(ix.train, ix.bound_components + ix.refine_components, threads);
  ix.bound_components = std::min(ix.bound_components, ix.basis.components);
  ix.refine_components = ix.basis.components - ix.bound_components;
  const Clock::time_point fitted = Clock::now();
  const int p = ix.basis.components, p1 = ix.bound_components, p2 = ix.refine_components;
  const std::vector<float> train_projection = project(ix.basis, ix.train, threads);
  const std::vector<float> query_projection = project(ix.basis, ix.queries, threads);
  ix.quantizer = fit_quantizer(train_projection, p, 0, p1);
  ix.train_rows = quantize(ix.basis, ix.quantizer, ix.train, train_projection, threads);
  ix.query_rows = quantize(ix.basis, ix.quantizer, ix.queries, query_projection, threads);
  if (p2 > 0) {
    ix.refine_quantizer = fit_quantizer(train_projection, p, p1, p2);
    ix.query_refine =
        quantize(ix.basis, ix.refine_quantizer, ix.queries, query_projection, threads);
  }
  ix.query_residual = residual_norms(ix.basis, ix.queries, query_projection, threads);
  build_refine_rows(ix, train_projection, threads);
  ix.bound_words = packed_words(p1, ix.kernels, ix.kernels.query_row_words);
  ix.padded_train = round_up(ix.train.samples, ix.kernels.cols);
  ix.bound_panels = pack_train(ByteRows{ix.train_rows.bytes.data(), ix.train.samples, p1},
                               ix.kernels, ix.kernels.cols, ix.bound_words, threads);
  if (ix.integer_exact) {
    ix.exact_words = packed_words(ix.train.features, ix.kernels, kRowDotWords);
    ix.exact_rows = exact_rows(ix.train, ix.kernels, ix.exact_words, threads);
  }
  out.phases.push_back({"fit", std::chrono::duration<double>(fitted - start).count()});
  out.phases.push_back({"project", seconds_since(fitted)});
}

template <class Distance>
void search(const Index& ix, int threads, Neighbors& out) {
  const Clock::time_point start = Clock::now();
  double bound_seconds = 0.0, refine_seconds = 0.0, exact_seconds = 0.0;
  std::int64_t exact_pairs = 0;
#pragma omp parallel num_threads(threads) \
    reduction(+ : bound_seconds, refine_seconds, exact_seconds, exact_pairs)
  {
    PanelSearch<Distance> panel(ix);
    const std::int64_t step = panel.panel_rows(), panels = (ix.queries.samples + step - 1) / step;
#pragma omp for schedule(dynamic)
    for (std::int64_t p = 0; p < panels; ++p)
      panel.run(p * step, std::min(step, ix.queries.samples - p * step), out);
    bound_seconds = panel.bound_seconds;
    refine_seconds = panel.refine_seconds;
    exact_seconds = panel.exact_seconds;
    exact_pairs = panel.exact_pairs;
  }
  // The search's wall time, shared between its phases as the threads' time was.
  const double wall = seconds_since(start), busy = bound_seconds + refine_seconds + exact_seconds;
  const auto share = [&](double seconds) { return busy > 0.0 ? wall * seconds / busy : 0.0; };
  out.phases.push_back({"bounds", share(bound_seconds)});
  out.phases.push_back({"refine", share(refine_seconds)});
  out.phases.push_back({"exact", share(exact_seconds)});
  out.exact_pairs = exact_pairs;
}

}  // namespace

Neighbors pruned_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                     const KnnSearch& search_options, const PrunedOptions& options) {
  Index ix(train, queries, kernels, search_options.k, options.rounding_margin);
  ix.bound_components = options.components;
  ix.refine_components = options.refine_components;
  ix.integer_exact = pixel_metric(train, queries) && train.features <= kMaxIntegerFeatures;
  Neighbors out = empty_neighbors(queries.samples, search_options.k, train.samples);
  build_index(ix, search_options.threads, out);
  if (ix.integer_exact)
    search<std::int32_t>(ix, search_options.threads, out);
  else
    search<double>(ix, search_options.threads, out);
  return out;
}

Neighbors pruned_knn_sse2(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return pruned_knn(int8_sse2, train, queries, search);
}
Neighbors pruned_knn_avx2(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return pruned_knn(int8_avx2, train, queries, search);
}
Neighbors pruned_knn_avx512(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return pruned_knn(int8_avx512, train, queries, search);
}
Neighbors pruned_knn_avx512vnni(const Dataset& train, const Dataset& queries,
                                const KnnSearch& search) {
  return pruned_knn(int8_avx512vnni, train, queries, search);
}
Neighbors pruned_knn_amx(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  return pruned_knn(int8_amx, train, queries, search);
}

}  // namespace simdml::knn_detail
