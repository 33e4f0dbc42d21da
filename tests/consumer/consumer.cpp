// Calls the GEMM and the k-NN of an installed simdml; exits 0 when both give the known answers.
#include <cstdio>
#include <string>
#include <vector>

#include "simdml/gemm.hpp"
#include "simdml/knn.hpp"

int main() {
  // C = A B with A 2 x 3 and B 3 x 2.
  const std::vector<float> a{1, 2, 3, 4, 5, 6}, b{7, 8, 9, 10, 11, 12};
  std::vector<float> c(4);
  simdml::sgemm(simdml::Trans::no, simdml::Trans::no, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f,
                c.data(), 2, simdml::default_thread_count());
  if (c != std::vector<float>{58, 64, 139, 154}) return 1;

  // Four training points on a line, two classes; the query at 2.9 is nearest to 3.
  simdml::Dataset train;
  train.name = "line", train.samples = 4, train.features = 1, train.classes = 2;
  train.x = {0, 1, 3, 4}, train.labels = {0, 0, 1, 1};
  simdml::Dataset query = train;
  query.name = "query", query.samples = 1, query.x = {2.9f}, query.labels = {1};
  const simdml::Neighbors nearest =
      simdml::find_neighbors(simdml::knn_kernel("blocked"), train, query, simdml::KnnSearch{1, 1});
  if (nearest.index[0] != 2) return 2;

  std::printf("gemm %s, k-NN %s: ok\n", std::string(simdml::gemm_kernel("simd").name).c_str(),
              std::string(simdml::knn_kernel("blocked").name).c_str());
  return 0;
}
