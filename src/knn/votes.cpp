// Turning neighbours into classes: votes, the k sweep, cross-validation.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "simdml/knn.hpp"
#include "simdml/random.hpp"

namespace simdml {

std::string_view knn_weights_name(KnnWeights weights) {
  return weights == KnnWeights::uniform ? "uniform" : "distance";
}

std::optional<KnnWeights> parse_knn_weights(std::string_view name) {
  if (name == "uniform") return KnnWeights::uniform;
  if (name == "distance") return KnnWeights::distance;
  return std::nullopt;
}

std::string_view knn_ties_name(KnnTies ties) {
  return ties == KnnTies::nearest ? "nearest" : "lowest-class";
}

std::optional<KnnTies> parse_knn_ties(std::string_view name) {
  if (name == "nearest") return KnnTies::nearest;
  if (name == "lowest-class") return KnnTies::lowest_class;
  return std::nullopt;
}

namespace {

// Each neighbour's weight. Distance weights are 1 / Euclidean distance; when some neighbours sit
// at distance 0 they take all the weight, one each (scikit-learn's rule), instead of infinity.
std::vector<double> vote_weights(std::span<const double> squared, KnnWeights weights) {
  std::vector<double> w(squared.size(), 1.0);
  if (weights == KnnWeights::uniform) return w;
  const bool exact_match = std::find(squared.begin(), squared.end(), 0.0) != squared.end();
  for (std::size_t i = 0; i < squared.size(); ++i)
    w[i] = exact_match ? (squared[i] == 0.0 ? 1.0 : 0.0) : 1.0 / std::sqrt(squared[i]);
  return w;
}

}  // namespace

std::int32_t knn_vote(const Neighbors& neighbors, std::int64_t query, int k,
                      std::span<const std::int32_t> train_labels, int classes, KnnVoting voting) {
  if (k < 1 || k > neighbors.k)
    throw std::invalid_argument("cannot vote with k = " + std::to_string(k) + " from " +
                                std::to_string(neighbors.k) + " neighbours");
  const auto index = neighbors.indices_of(query).first(static_cast<std::size_t>(k));
  const std::vector<double> w = vote_weights(
      neighbors.distances_of(query).first(static_cast<std::size_t>(k)), voting.weights);
  std::vector<double> score(static_cast<std::size_t>(classes), 0.0);
  for (int i = 0; i < k; ++i)
    score[static_cast<std::size_t>(train_labels[static_cast<std::size_t>(index[i])])] += w[i];
  const auto top = std::max_element(score.begin(), score.end());  // the first: the lowest class
  if (voting.ties == KnnTies::lowest_class) return static_cast<std::int32_t>(top - score.begin());
  const double best = *top;
  for (int i = 0; i < k; ++i) {  // the nearest neighbour whose class has the best score
    const std::int32_t label = train_labels[static_cast<std::size_t>(index[i])];
    if (score[static_cast<std::size_t>(label)] == best) return label;
  }
  return train_labels[static_cast<std::size_t>(index[0])];
}

std::vector<Evaluation> score_neighbors(const Neighbors& neighbors, std::span<const int> ks,
                                        const Dataset& train, const Dataset& queries,
                                        KnnVoting voting) {
  return score_neighbors(neighbors, ks, train.labels, train.classes, queries, voting);
}

std::vector<Evaluation> score_neighbors(const Neighbors& neighbors, std::span<const int> ks,
                                        std::span<const std::int32_t> train_labels,
                                        int train_classes, const Dataset& queries,
                                        KnnVoting voting) {
  const int classes = std::max(train_classes, queries.classes);
  std::vector<Evaluation> scores;
  for (int k : ks) {
    Evaluation e(classes);
    for (std::int64_t q = 0; q < queries.samples; ++q)
      e.add(queries.labels[static_cast<std::size_t>(q)],
            knn_vote(neighbors, q, k, train_labels, classes, voting));
    scores.push_back(std::move(e));
  }
  return scores;
}

CrossValidation cross_validate(const KnnKernel& kernel, const Dataset& data, int folds,
                               std::span<const int> ks, KnnVoting voting, std::uint64_t seed,
                               int threads, Cluster& cluster) {
  if (folds < 2 || folds > data.samples)
    throw std::invalid_argument(
        "cross-validation needs 2 <= folds <= " + std::to_string(data.samples) + " (the rows of " +
        data.name + "), not " + std::to_string(folds));
  if (ks.empty()) throw std::invalid_argument("cross-validation needs at least one k");
  const int max_k = *std::max_element(ks.begin(), ks.end());
  const std::int64_t largest_fold = (data.samples + folds - 1) / folds;
  if (max_k > data.samples - largest_fold)
    throw std::invalid_argument("k = " + std::to_string(max_k) +
                                " is larger than a training part of " + std::to_string(folds) +
                                "-fold cross-validation (" +
                                std::to_string(data.samples - largest_fold) + " rows)");
  Rng rng(seed, kSplitStream);
  const std::vector<std::int64_t> order = random_permutation(data.samples, rng);
  CrossValidation cv{std::vector<int>(ks.begin(), ks.end()),
                     std::vector<std::int64_t>(ks.size(), 0), data.samples, 0};
  const Share own = rank_share(folds, cluster.size(), cluster.rank());
  for (int f = static_cast<int>(own.begin); f < own.end; ++f) {
    const std::int64_t begin = data.samples * f / folds, end = data.samples * (f + 1) / folds;
    std::vector<std::int64_t> held(order.begin() + begin, order.begin() + end);
    std::vector<std::int64_t> rest(order.begin(), order.begin() + begin);
    rest.insert(rest.end(), order.begin() + end, order.end());
    std::sort(held.begin(), held.end());
    std::sort(rest.begin(), rest.end());  // ties go to the lower original row
    const Dataset train = select_rows(data, rest), test = select_rows(data, held);
    const Neighbors neighbors = find_neighbors(kernel, train, test, KnnSearch{max_k, threads});
    const std::vector<Evaluation> scores = score_neighbors(neighbors, ks, train, test, voting);
    for (std::size_t i = 0; i < ks.size(); ++i) cv.errors[i] += scores[i].total - scores[i].correct;
  }
  if (cluster.distributed()) {
    const std::vector<std::int64_t> all = all_gather_concat(cluster, cv.errors);
    for (std::size_t i = 0; i < ks.size(); ++i) {
      cv.errors[i] = 0;
      for (std::size_t r = 0; r < all.size() / ks.size(); ++r)
        cv.errors[i] += all[r * ks.size() + i];
    }
  }
  cv.best_k = cv.ks[0];
  std::int64_t fewest = cv.errors[0];
  for (std::size_t i = 1; i < ks.size(); ++i)
    if (cv.errors[i] < fewest || (cv.errors[i] == fewest && cv.ks[i] < cv.best_k)) {
      fewest = cv.errors[i];
      cv.best_k = cv.ks[i];
    }
  return cv;
}

}  // namespace simdml
