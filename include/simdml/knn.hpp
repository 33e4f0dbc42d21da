// Exact k-nearest-neighbour classification (squared Euclidean distance).
//
// The neighbours every variant returns are defined exactly, so all variants, targets and thread
// counts agree to the last index:
//   - Distance: for image data (both sets carry pixels) the integer squared distance between the
//     pixel bytes, reported as that integer / 255^2 (the distance between the [0, 1] features);
//     otherwise the squared distance between the float features, summed in double in feature order.
//   - Order: nearest first; equal distances go to the lower training index.
//
// Variants (one list, knn_kernels(), shared by dispatch, tests and benchmarks):
//   naive    every distance of a query, then a partial sort: the textbook program and the
//   reference. blocked  tiles of queries x training rows; distances as |q|^2 - 2 q.t + |t|^2
//   through the
//            library's float GEMM; each query keeps a short list of candidates that is re-ranked
//            with exact distances. A float error bound certifies that the list holds every true
//            neighbour; a query whose list cannot be certified is searched exactly (counted in
//            Neighbors::exact_fallbacks).
//   int8     image data only: the u8 x u8 products are summed exactly in 32-bit integers by a
//            register-blocked SIMD kernel (one per dispatch target), with the top-k selection fused
//            into the distance tiles. Exact by construction.
//   pruned   a lower bound from the training set's leading principal components, quantized so the
//            int8 tile kernels compute it exactly, skips every training row that provably cannot
//            be a neighbour; the rest get exact distances (integer ones for images, with the int8
//            target's SIMD). Exact by a proven rounding margin; the fit is part of every call.
// Every variant tiles the queries and keeps memory bounded: no query x training distance matrix
// is ever stored. Threads split the queries; each query's result is computed by one thread in a
// fixed order, so it does not depend on the thread count.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simdml/cluster.hpp"
#include "simdml/data.hpp"
#include "simdml/dispatch.hpp"
#include "simdml/kernel_registry.hpp"
#include "simdml/metrics.hpp"

namespace simdml {

// adaptive: pruned with KnnSearch::fall_back, the brute force where a sample shows that pruning
// cannot pay; what `simdml knn` runs on images by default.
enum class KnnVariant { naive, blocked, int8, pruned, adaptive };

// A named share of a search's wall time.
struct KnnPhase {
  std::string_view name;
  double seconds = 0.0;
};

// The neighbours of each query, nearest first.
struct Neighbors {
  std::int64_t queries = 0;
  int k = 0;
  std::vector<std::int32_t> index;  // queries x k training rows
  std::vector<double> distance;     // queries x k squared distances (see above)
  std::int64_t exact_fallbacks =
      0;  // blocked: queries searched exactly because the float pass was too close to call
  // (query, training row) pairs whose exact distance was computed: queries x training rows for
  // naive and int8, far fewer for pruned.
  std::int64_t exact_pairs = 0;
  // pruned: fit, project, bounds, seeds, checks; adaptive also brute, where it fell back
  std::vector<KnnPhase> phases;
  // pruned with KnnSearch::fall_back: why some or all queries went to the int8 brute force of
  // the same target instead; empty when none did.
  std::string fallback;

  std::span<const std::int32_t> indices_of(std::int64_t query) const {
    return {index.data() + query * k, static_cast<std::size_t>(k)};
  }
  std::span<const double> distances_of(std::int64_t query) const {
    return {distance.data() + query * k, static_cast<std::size_t>(k)};
  }
};

struct KnnSearch {
  int k = 1;
  int threads = 1;
  // pruned only: where a sample shows that pruning cannot pay (the data's spread over too many
  // directions, or pilot blocks whose first test passes too many pairs), search with the int8
  // brute force of the same target instead, and say so in Neighbors::fallback. The neighbours
  // are the same either way. What `simdml knn` does by default.
  bool fall_back = false;
};

using KnnFunction = Neighbors (*)(const Dataset& train, const Dataset& queries,
                                  const KnnSearch& search);

// One entry of the kernel list (kernel_registry.hpp).
struct KnnKernel {
  std::string_view name;  // "naive", "blocked", "int8-sse2", ..., "int8-amx", "pruned-sse2", ...
  KnnVariant variant;
  Isa isa;  // the target the kernel is compiled for (naive and blocked: sse2; blocked's GEMM is
            // dispatched)
  Extension extension;  // what it needs beyond the target's level (int8-avx512vnni: avx512vnni)
  OutputTile
      tile;  // int8: queries x training rows of the register tile; blocked: of the distance tile
  KnnFunction run;
};

const KernelRegistry<KnnKernel>& knn_registry();
// Every compiled kernel, including those this CPU cannot run (check runs_here(kernel)).
std::span<const KnnKernel> knn_kernels();
// int8, pruned: the most capable kernel of active_isa() whose extension the CPU has.
const KnnKernel& knn_kernel(KnnVariant variant);
// "naive", "blocked", "int8", "pruned" (dispatched) or a full name such as "int8-avx2". Throws
// std::invalid_argument listing the valid names, or when the CPU cannot run the kernel.
const KnnKernel& knn_kernel(std::string_view name);
std::string_view knn_variant_name(KnnVariant variant);

// The k nearest training rows of every query row. Throws std::invalid_argument when k < 1, k is
// larger than the training set, the feature counts differ, threads < 1, the training set has more
// than 2^31 - 1 rows, or the int8 variant gets data without pixels.
Neighbors find_neighbors(const KnnKernel& kernel, const Dataset& train, const Dataset& queries,
                         const KnnSearch& search);

// The exact squared distance between one query and one training row (the definition above).
double exact_distance(const Dataset& train, std::int64_t train_row, const Dataset& queries,
                      std::int64_t query_row);

// The search on the ranks of a job (cluster.hpp), with the neighbours of a one-process
// find_neighbors on the whole training set, exactly: every distance is exact, and the order
// (distance, then index) is total.
enum class KnnSharding {
  training,  // each rank searches its share of the training rows; the lists are merged
  queries,   // each rank searches the whole training set for its share of the queries
};
std::string_view knn_sharding_name(KnnSharding sharding);
std::optional<KnnSharding> parse_knn_sharding(std::string_view name);

// Training rows sharded: this rank holds rows [first_row, first_row + shard.samples) of a
// training set of total_rows rows (its rank_share, or any contiguous cut), and searches them for
// min(k, its rows) neighbours with global indices. The lists are gathered and merged, so every
// rank returns the k nearest of all total_rows for every query. exact_pairs and exact_fallbacks
// are the ranks' sums; phases are this rank's, then "exchange" and "merge". Throws as
// find_neighbors does, k against total_rows.
Neighbors find_neighbors_sharded(const KnnKernel& kernel, const Dataset& shard,
                                 std::int64_t first_row, std::int64_t total_rows,
                                 const Dataset& queries, const KnnSearch& search, Cluster& cluster);
// Queries sharded: every rank holds both sets and searches its rank_share of the queries; every
// rank returns all queries' neighbours.
Neighbors find_neighbors_for_query_share(const KnnKernel& kernel, const Dataset& train,
                                         const Dataset& queries, const KnnSearch& search,
                                         Cluster& cluster);

enum class KnnWeights {
  uniform,   // one vote per neighbour
  distance,  // 1 / distance (Euclidean, not squared); neighbours at distance 0, if any, share all
             // the weight
};
std::string_view knn_weights_name(KnnWeights weights);
std::optional<KnnWeights> parse_knn_weights(std::string_view name);

// Who wins when classes tie on votes.
enum class KnnTies {
  nearest,       // the class of the nearest neighbour among the tied classes
  lowest_class,  // the lowest class label (scikit-learn's rule, to reproduce its figures)
};
std::string_view knn_ties_name(KnnTies ties);
std::optional<KnnTies> parse_knn_ties(std::string_view name);

struct KnnVoting {
  KnnWeights weights = KnnWeights::uniform;
  KnnTies ties = KnnTies::nearest;
};

// The class the k nearest neighbours vote for (k <= neighbors.k).
std::int32_t knn_vote(const Neighbors& neighbors, std::int64_t query, int k,
                      std::span<const std::int32_t> train_labels, int classes, KnnVoting voting);

// Accuracy and confusion matrix for each k in ks, all from one neighbour search (neighbors.k must
// be at least the largest k).
std::vector<Evaluation> score_neighbors(const Neighbors& neighbors, std::span<const int> ks,
                                        const Dataset& train, const Dataset& queries,
                                        KnnVoting voting);
// The same from the training set's labels and class count alone (a rank that holds a shard).
std::vector<Evaluation> score_neighbors(const Neighbors& neighbors, std::span<const int> ks,
                                        std::span<const std::int32_t> train_labels,
                                        int train_classes, const Dataset& queries,
                                        KnnVoting voting);

// k-fold cross-validation on one dataset: the rows are shuffled with the seed and cut into
// `folds` nearly equal folds; each fold is classified by the others, for every k in ks.
struct CrossValidation {
  std::vector<int> ks;
  std::vector<std::int64_t> errors;  // misclassified rows per k, over all folds
  std::int64_t samples = 0;
  int best_k = 0;  // the fewest errors; the smallest such k
  double error_rate(std::size_t i) const {
    return static_cast<double>(errors[i]) / static_cast<double>(samples);
  }
};
// Throws std::invalid_argument unless 2 <= folds <= samples and every k fits the smallest
// training part (samples - the largest fold). On a cluster of several ranks, rank r searches the
// folds rank_share(folds, ranks, r) and the error counts are added up (integers: the same result).
CrossValidation cross_validate(const KnnKernel& kernel, const Dataset& data, int folds,
                               std::span<const int> ks, KnnVoting voting, std::uint64_t seed,
                               int threads, Cluster& cluster = single_process());

}  // namespace simdml
