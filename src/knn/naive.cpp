// The textbook k-NN, kept as the reference and the benchmark baseline; also the exact search the
// blocked variant falls back to.
#include <algorithm>
#include <numeric>
#include <vector>

#include "knn/variants.hpp"

namespace simdml::knn_detail {

std::int64_t pixel_distance(const std::uint8_t* a, const std::uint8_t* b, std::int64_t features) {
  std::int64_t sum = 0;
  for (std::int64_t f = 0; f < features; ++f) {
    const std::int64_t d = std::int64_t{a[f]} - std::int64_t{b[f]};
    sum += d * d;
  }
  return sum;
}

double float_distance(const float* a, const float* b, std::int64_t features) {
  double sum = 0.0;
  for (std::int64_t f = 0; f < features; ++f) {
    const double d = static_cast<double>(a[f]) - static_cast<double>(b[f]);
    sum += d * d;
  }
  return sum;
}

Neighbors empty_neighbors(std::int64_t queries, int k, std::int64_t train_rows) {
  Neighbors out;
  out.queries = queries;
  out.k = k;
  out.exact_pairs = queries * train_rows;
  out.index.assign(static_cast<std::size_t>(queries * k), -1);
  out.distance.assign(static_cast<std::size_t>(queries * k), 0.0);
  return out;
}

void exact_search(const Dataset& train, const Dataset& queries, std::int64_t query, int k,
                  double* distances, std::int32_t* order, Neighbors& out) {
  const std::int64_t n = train.samples, features = train.features;
  if (pixel_metric(train, queries)) {
    const std::uint8_t* q = queries.pixels.data() + query * features;
    for (std::int64_t j = 0; j < n; ++j)
      distances[j] =
          static_cast<double>(pixel_distance(q, train.pixels.data() + j * features, features)) /
          kPixelScale;
  } else {
    const float* q = queries.row(query);
    for (std::int64_t j = 0; j < n; ++j) distances[j] = float_distance(q, train.row(j), features);
  }
  std::iota(order, order + n, 0);
  std::partial_sort(order, order + k, order + n, [distances](std::int32_t a, std::int32_t b) {
    return distances[a] < distances[b] || (distances[a] == distances[b] && a < b);
  });
  for (int i = 0; i < k; ++i) {
    out.index[static_cast<std::size_t>(query * k + i)] = order[i];
    out.distance[static_cast<std::size_t>(query * k + i)] = distances[order[i]];
  }
}

Neighbors naive_knn(const Dataset& train, const Dataset& queries, const KnnSearch& search) {
  Neighbors out = empty_neighbors(queries.samples, search.k, train.samples);
#pragma omp parallel num_threads(search.threads)
  {
    std::vector<double> distances(static_cast<std::size_t>(train.samples));
    std::vector<std::int32_t> order(static_cast<std::size_t>(train.samples));
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t q = 0; q < queries.samples; ++q)
      exact_search(train, queries, q, search.k, distances.data(), order.data(), out);
  }
  return out;
}

}  // namespace simdml::knn_detail
