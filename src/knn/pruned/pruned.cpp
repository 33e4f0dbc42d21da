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
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/run_tasks.hpp"
#include "knn/int8/int8.hpp"
#include "knn/int8/packing.hpp"
#include "knn/pruned/basis.hpp"
#include "knn/pruned/projection.hpp"
#include "knn/pruned/seed_pool.hpp"
#include "knn/topk.hpp"
#include "knn/variants.hpp"

namespace simdml::knn_detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int32_t kNoLimit = std::numeric_limits<std::int32_t>::max() - 1;
constexpr std::int32_t kChecked = std::numeric_limits<std::int32_t>::max();  // above every limit
constexpr std::int64_t kChunkPanels = 16;
constexpr std::int64_t kPrefetchRows = 6;  // exact checks fetch this many rows ahead
// A thread's block of queries, in panels of MR, whose first-test survivors are swept together.
constexpr std::int64_t kBlockPanels = 32;
// The fallbacks' thresholds (docs/experiments.md#e81): MNIST spreads over 27 directions,
// Fashion-MNIST over 7, uniform noise over 193; their first tests pass 0.9 %, 2.0 % and all.
constexpr double kMaxSpreadDirections = 100.0;
constexpr double kMaxFirstTestShare = 0.05;
// The pilot: a fixed number of blocks, so that the decision does not depend on the thread count.
constexpr std::int64_t kPilotBlocks = 2;
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
  std::int64_t sweep_pairs = kSweepPairs;
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

// One thread's block of queries (kBlockPanels panels of MR). Per panel, the bound pass and each
// query's seeds; every row a query's first test lets through becomes a pending pair. The pairs
// are then sorted by training row and swept in row order: the second test, then the exact
// distance, so each training row is read once per sweep, in address order, however many queries
// check it (the scattered reads cost 150 ns a check, docs/experiments.md#e80).
// Distance: the exact distance in the lists' units, std::int32_t for images (the pixel bytes'
// integer distance, reported / 255^2), else double (knn.hpp's float distance).
template <class Distance>
class BlockSearch {
  static constexpr bool kInteger = std::is_integral_v<Distance>;

 public:
  explicit BlockSearch(const Index& ix)
      : ix_(ix),
        mr_(ix.kernels.rows),
        block_(kBlockPanels * mr_),
        query_words_(static_cast<std::size_t>(mr_ * ix.bound_words)),
        query_norms_(static_cast<std::size_t>(mr_)),
        bounds_(static_cast<std::size_t>(mr_ * ix.padded_train)),
        exact_words_(static_cast<std::size_t>(block_ * ix.exact_words)),
        exact_norms_(static_cast<std::size_t>(block_)),
        refine_words_(static_cast<std::size_t>(block_ * ix.refine_words)),
        refine_norms_(static_cast<std::size_t>(block_)),
        best_(static_cast<std::size_t>(block_ * ix.k)),
        best_indices_(static_cast<std::size_t>(block_ * ix.k)),
        tau_(static_cast<std::size_t>(block_)),
        limit_(static_cast<std::size_t>(block_)),
        pair_row_(static_cast<std::size_t>(ix.sweep_pairs + ix.train.samples + kCollectSlack)),
        pair_query_(pair_row_.size()),
        pair_bound_(pair_row_.size()),
        sorted_query_(pair_row_.size()),
        sorted_bound_(pair_row_.size()),
        row_start_(static_cast<std::size_t>(ix.train.samples + 1)) {
    for (std::int64_t i = 0; i < mr_; ++i)
      pools_.emplace_back(ix.seeds, kChunkPanels * ix.kernels.cols);
    seed_rows_.resize(static_cast<std::size_t>(mr_));
  }

  std::int64_t block_rows() const { return block_; }
  double bound_seconds = 0.0, seed_seconds = 0.0, check_seconds = 0.0;
  std::int64_t exact_pairs = 0, first_test_pairs = 0;

  void run(std::int64_t first, std::int64_t rows, Neighbors& out) {
    first_ = first;
    pack_block(rows);
    lists_.clear();
    for (std::int64_t i = 0; i < rows; ++i)
      lists_.emplace_back(ix_.k, best_.data() + i * ix_.k, best_indices_.data() + i * ix_.k);
    for (std::int64_t p0 = 0; p0 < rows; p0 += mr_) {
      const std::int64_t panel = std::min(mr_, rows - p0);
      Clock::time_point start = Clock::now();
      bound_pass(first + p0, panel);
      const Clock::time_point bounds_done = Clock::now();
      bound_seconds += std::chrono::duration<double>(bounds_done - start).count();
      const double swept_before = check_seconds;
      for (std::int64_t i = 0; i < panel; ++i) {
        // The pair arrays hold sweep_pairs and one query's worth more.
        if (pending_ >= ix_.sweep_pairs) sweep();
        seed_and_scan(p0 + i, i);
      }
      seed_seconds += seconds_since(bounds_done) - (check_seconds - swept_before);
    }
    sweep();
    for (std::int64_t i = 0; i < rows; ++i)
      for (int s = 0; s < ix_.k; ++s) {
        const auto at = static_cast<std::size_t>((first + i) * ix_.k + s);
        out.index[at] = lists_[static_cast<std::size_t>(i)].index(s);
        out.distance[at] = real_distance(lists_[static_cast<std::size_t>(i)].distance(s));
      }
  }

 private:
  // The block's queries in row_dot's layout: their pixels for the exact distances, their second
  // block's bytes for the second test.
  void pack_block(std::int64_t rows) {
    if constexpr (kInteger)
      pack_queries(ByteRows{ix_.queries.pixels.data(), ix_.queries.samples, ix_.queries.features},
                   first_, rows, ix_.kernels, 1, ix_.exact_words, exact_words_.data(),
                   exact_norms_.data());
    if (ix_.refine_words > 0)
      pack_queries(
          ByteRows{ix_.query_refine.bytes.data(), ix_.queries.samples, ix_.refine_components},
          first_, rows, ix_.kernels, 1, ix_.refine_words, refine_words_.data(),
          refine_norms_.data());
  }

  // Every bound of the panel into bounds_, and each query's best rows by bound into seed_rows_.
  void bound_pass(std::int64_t first, std::int64_t rows) {
    const Int8Kernels& kernels = ix_.kernels;
    pack_queries(ByteRows{ix_.query_rows.bytes.data(), ix_.queries.samples, ix_.bound_components},
                 first, rows, kernels, mr_, ix_.bound_words, query_words_.data(),
                 query_norms_.data());
    for (std::int64_t i = 0; i < rows; ++i) pools_[static_cast<std::size_t>(i)].clear();
    const std::int64_t n = ix_.train.samples, nr = kernels.cols, chunk = kChunkPanels * nr;
    for (std::int64_t c0 = 0; c0 < n; c0 += chunk) {
      const std::int64_t cols = std::min(chunk, n - c0);
      for (std::int64_t row0 = c0; row0 < c0 + cols; row0 += nr)
        kernels.distance_tile(ix_.bound_words, query_words_.data(), ix_.bound_panels.panel(row0),
                              query_norms_.data(), ix_.bound_panels.norms.data() + row0,
                              bounds_.data() + row0, ix_.padded_train);
      for (std::int64_t i = 0; i < rows; ++i)
        pools_[static_cast<std::size_t>(i)].offer(bounds_.data() + i * ix_.padded_train + c0, cols,
                                                  c0, kernels);
    }
    for (std::int64_t i = 0; i < rows; ++i)
      pools_[static_cast<std::size_t>(i)].finish(seed_rows_[static_cast<std::size_t>(i)]);
  }

  // The exact distance of the block's query q to training row j.
  Distance exact(std::int64_t q, std::int32_t j) const {
    if constexpr (kInteger) {
      const std::int32_t dot = ix_.kernels.row_dot(
          ix_.exact_words, exact_words_.data() + q * ix_.exact_words, ix_.exact_rows.row(j));
      return exact_norms_[static_cast<std::size_t>(q)] +
             ix_.exact_rows.norms[static_cast<std::size_t>(j)] - 2 * dot;
    } else {
      return exact_distance(ix_.train, j, ix_.queries, first_ + q);
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

  // Offers d for the block's query q, then brings its tau' and first-test limit down with its
  // k-th distance.
  void offer(std::int64_t q, Distance d, std::int32_t j) {
    TopK<Distance>& list = lists_[static_cast<std::size_t>(q)];
    const bool was_full = list.size() == ix_.k;
    const Distance before = was_full ? list.distance(ix_.k - 1) : Distance{};
    list.offer(d, j);
    if (list.size() == ix_.k && (!was_full || list.distance(ix_.k - 1) != before)) {
      const Distance kth = list.distance(ix_.k - 1);
      tau_[static_cast<std::size_t>(q)] = reach(kth);
      limit_[static_cast<std::size_t>(q)] = limit(
          ix_, real_distance(kth), ix_.query_rows.slack[static_cast<std::size_t>(first_ + q)]);
    }
  }

  // The block's query q (panel row i): its seeds exactly, then every row its first test lets
  // through as a pending pair.
  void seed_and_scan(std::int64_t q, std::int64_t i) {
    std::int32_t* bounds = bounds_.data() + i * ix_.padded_train;
    const std::vector<std::int32_t>& seeds = seed_rows_[static_cast<std::size_t>(i)];
    const auto count = static_cast<std::int64_t>(seeds.size());
    for (std::int64_t s = 0; s < count; ++s) {
      if (s + kPrefetchRows < count)
        prefetch_row(seeds[static_cast<std::size_t>(s + kPrefetchRows)]);
      const std::int32_t row = seeds[static_cast<std::size_t>(s)];
      offer(q, exact(q, row), row);
      bounds[row] = kChecked;
    }
    exact_pairs += count;
    const std::int64_t passed =
        ix_.kernels.collect_at_most(bounds, ix_.train.samples, limit_[static_cast<std::size_t>(q)],
                                    pair_row_.data() + pending_, pair_bound_.data() + pending_);
    std::fill_n(pair_query_.begin() + pending_, passed, static_cast<std::int32_t>(q));
    pending_ += passed;
    first_test_pairs += count + passed;
  }

  // The pending pairs in training-row order (a counting sort), each through the second test with
  // its query's tau as it stands, and the exact distance of those that pass.
  void sweep() {
    if (pending_ == 0) return;
    const Clock::time_point start = Clock::now();
    const std::int64_t n = ix_.train.samples;
    std::fill(row_start_.begin(), row_start_.end(), 0);
    for (std::int64_t p = 0; p < pending_; ++p) ++row_start_[pair_row_[p] + 1];
    for (std::int64_t r = 0; r < n; ++r) row_start_[r + 1] += row_start_[r];
    for (std::int64_t p = 0; p < pending_; ++p) {
      const auto at = static_cast<std::size_t>(row_start_[pair_row_[p]]++);
      sorted_query_[at] = pair_query_[p];
      sorted_bound_[at] = pair_bound_[p];
    }
    // row_start_[r] now ends row r's pairs; row r - 1's end is where they start.
    std::int64_t begin = 0, checked = 0;
    for (std::int32_t r = 0; r < n; ++r) {
      const std::int64_t end = row_start_[r];
      if (end == begin) continue;
      if (r + kPrefetchRows < n) prefetch_row(r + static_cast<std::int32_t>(kPrefetchRows));
      for (std::int64_t p = begin; p < end; ++p) {
        const std::int32_t q = sorted_query_[p], q1 = sorted_bound_[p];
        if (q1 > limit_[q]) continue;
        if (ix_.margin && refined_bound(q, r, q1) > tau_[q]) continue;
        offer(q, exact(q, r), r);
        ++checked;
      }
      begin = end;
    }
    exact_pairs += checked;
    pending_ = 0;
    check_seconds += seconds_since(start);
  }

  // The second test's lower bound on the distance between the block's query q and training row j,
  // whose first-block Q is q1 (the header's steps 4 and 5). Each term is rounded toward zero by
  // more than its few roundings.
  double refined_bound(std::int64_t q, std::int32_t j, std::int32_t q1) const {
    constexpr double kDown = 1.0 - 0x1p-50, kUp = 1.0 + 0x1p-50;
    const RefineRow& t = ix_.refine_rows[static_cast<std::size_t>(j)];
    const auto query = static_cast<std::size_t>(first_ + q);
    const double first =
        std::max(0.0, ix_.quantizer.scale * std::sqrt(static_cast<double>(q1)) * kDown -
                          (ix_.query_rows.slack[query] + t.slack) * kUp);
    double second = 0.0;
    if (ix_.refine_words > 0) {
      const std::int32_t dot =
          ix_.kernels.row_dot(ix_.refine_words, refine_words_.data() + q * ix_.refine_words,
                              ix_.refine_bytes.data() + j * ix_.refine_row_bytes);
      const std::int32_t q2 = refine_norms_[static_cast<std::size_t>(q)] + t.norm - 2 * dot;
      second =
          std::max(0.0, ix_.refine_quantizer.scale * std::sqrt(static_cast<double>(q2)) * kDown -
                            (ix_.query_refine.slack[query] + t.refine_slack) * kUp);
    }
    const double gap = std::max({0.0, ix_.query_residual.low[query] - t.residual_high,
                                 t.residual_low - ix_.query_residual.high[query]}) *
                       kDown;
    return ((first * first + second * second) / ix_.basis.gram_bound + gap * gap) * (1.0 - 0x1p-46);
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
  std::int64_t mr_, block_, first_ = 0, pending_ = 0;
  std::vector<SeedPool> pools_;                       // per panel row
  std::vector<std::vector<std::int32_t>> seed_rows_;  // per panel row
  std::vector<std::int32_t> query_words_, query_norms_, bounds_, exact_words_, exact_norms_,
      refine_words_, refine_norms_;
  std::vector<Distance> best_;
  std::vector<std::int32_t> best_indices_;
  std::vector<TopK<Distance>> lists_;
  std::vector<double> tau_;
  std::vector<std::int32_t> limit_;
  std::vector<std::int32_t> pair_row_, pair_query_, pair_bound_, sorted_query_, sorted_bound_;
  std::vector<std::int64_t> row_start_;
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

std::string decimals(double x, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, x);
  return text;
}

// What the threads' blocks spent and counted.
struct SearchTotals {
  double bound_seconds = 0.0, seed_seconds = 0.0, check_seconds = 0.0;
  std::int64_t exact_pairs = 0, first_test_pairs = 0, queries = 0;
};

// Blocks first_block ... last_block - 1 of the queries, on `threads` threads.
template <class Distance>
SearchTotals search_blocks(const Index& ix, int threads, std::int64_t first_block,
                           std::int64_t last_block, Neighbors& out) {
  double bound_seconds = 0.0, seed_seconds = 0.0, check_seconds = 0.0;
  std::int64_t exact_pairs = 0, first_test_pairs = 0;
#pragma omp parallel num_threads(threads) \
    reduction(+ : bound_seconds, seed_seconds, check_seconds, exact_pairs, first_test_pairs)
  {
    BlockSearch<Distance> block(ix);
    const std::int64_t step = block.block_rows();
#pragma omp for schedule(dynamic)
    for (std::int64_t b = first_block; b < last_block; ++b)
      block.run(b * step, std::min(step, ix.queries.samples - b * step), out);
    bound_seconds = block.bound_seconds;
    seed_seconds = block.seed_seconds;
    check_seconds = block.check_seconds;
    exact_pairs = block.exact_pairs;
    first_test_pairs = block.first_test_pairs;
  }
  const std::int64_t rows = kBlockPanels * ix.kernels.rows;
  return {bound_seconds,    seed_seconds,
          check_seconds,    exact_pairs,
          first_test_pairs, std::min(last_block * rows, ix.queries.samples) - first_block * rows};
}

// Every query, or with fall_back kPilotBlocks first: where their first test passes more than
// kMaxFirstTestShare of the pairs, the rest go to the int8 brute force.
template <class Distance>
void search(const Index& ix, const KnnSearch& options, Neighbors& out) {
  const Clock::time_point start = Clock::now();
  const std::int64_t rows = kBlockPanels * ix.kernels.rows,
                     blocks = (ix.queries.samples + rows - 1) / rows;
  // Float data has no int8 brute force to fall back to.
  const std::int64_t pilot =
      options.fall_back && ix.integer_exact ? std::min(kPilotBlocks, blocks) : blocks;
  SearchTotals totals = search_blocks<Distance>(ix, options.threads, 0, pilot, out);
  double brute_seconds = 0.0;
  if (pilot < blocks) {
    const double share = static_cast<double>(totals.first_test_pairs) /
                         (static_cast<double>(totals.queries) * ix.train.samples);
    if (share > kMaxFirstTestShare) {
      const Clock::time_point brute_start = Clock::now();
      const std::int64_t begin = pilot * rows;
      const Neighbors rest = int8_knn(ix.kernels, ix.train,
                                      slice_rows(ix.queries, begin, ix.queries.samples), options);
      std::copy(rest.index.begin(), rest.index.end(), out.index.begin() + begin * ix.k);
      std::copy(rest.distance.begin(), rest.distance.end(), out.distance.begin() + begin * ix.k);
      totals.exact_pairs += rest.exact_pairs;
      out.fallback = "the first test passed " + decimals(share * 100.0, 1) +
                     " % of the pilot's pairs (pruning pays below " +
                     decimals(kMaxFirstTestShare * 100.0, 0) +
                     " %): " + std::to_string(ix.queries.samples - begin) + " of " +
                     std::to_string(ix.queries.samples) + " queries by brute force";
      brute_seconds = seconds_since(brute_start);
    } else {
      const SearchTotals rest = search_blocks<Distance>(ix, options.threads, pilot, blocks, out);
      totals.bound_seconds += rest.bound_seconds;
      totals.seed_seconds += rest.seed_seconds;
      totals.check_seconds += rest.check_seconds;
      totals.exact_pairs += rest.exact_pairs;
    }
  }
  // The pruned search's wall time, shared between its phases as the threads' time was.
  const double wall = seconds_since(start) - brute_seconds,
               busy = totals.bound_seconds + totals.seed_seconds + totals.check_seconds;
  const auto share = [&](double seconds) { return busy > 0.0 ? wall * seconds / busy : 0.0; };
  out.phases.push_back({"bounds", share(totals.bound_seconds)});
  out.phases.push_back({"seeds", share(totals.seed_seconds)});
  out.phases.push_back({"checks", share(totals.check_seconds)});
  if (brute_seconds > 0.0) out.phases.push_back({"brute", brute_seconds});
  out.exact_pairs = totals.exact_pairs;
}

}  // namespace

Neighbors pruned_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                     const KnnSearch& search_options, const PrunedOptions& options) {
  Index ix(train, queries, kernels, search_options.k, options.rounding_margin);
  ix.bound_components = options.components;
  ix.refine_components = options.refine_components;
  ix.sweep_pairs = options.sweep_pairs;
  ix.integer_exact = pixel_metric(train, queries) && train.features <= kMaxIntegerFeatures;
  // The gate before any fit: data spread over too many directions for 64 to bound.
  if (search_options.fall_back && ix.integer_exact) {
    const double spread = spread_directions(train, search_options.threads);
    if (spread > kMaxSpreadDirections) {
      Neighbors out = int8_knn(kernels, train, queries, search_options);
      out.fallback = "the training set spreads over " + decimals(spread, 0) +
                     " directions (pruning pays up to " + decimals(kMaxSpreadDirections, 0) +
                     "): every query by brute force";
      return out;
    }
  }
  Neighbors out = empty_neighbors(queries.samples, search_options.k, train.samples);
  build_index(ix, search_options.threads, out);
  if (ix.integer_exact)
    search<std::int32_t>(ix, search_options, out);
  else
    search<double>(ix, search_options, out);
  return out;
}

// adaptive: the pruned search that falls back to brute force (KnnSearch::fall_back).
Neighbors adaptive_knn(const Int8Kernels& kernels, const Dataset& train, const Dataset& queries,
                       const KnnSearch& search) {
  KnnSearch falling_back = search;
  falling_back.fall_back = true;
  return pruned_knn(kernels, train, queries, falling_back);
}

}  // namespace simdml::knn_detail
