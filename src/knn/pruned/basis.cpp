// Subspace iteration for the leading principal subspace, with the covariance and each iteration's
// product through the library's float GEMM (the basis only has to be good, not exact: the bound's
// correctness rests on gram_bound, measured on the float rows it is used with).
#include "knn/pruned/basis.hpp"

#include <algorithm>
#include <cmath>

#include "simdml/gemm.hpp"
#include "simdml/random.hpp"

namespace simdml::knn_detail {
namespace {

constexpr int kIterations = 6;
constexpr std::uint64_t kStartSeed = 0x9e3779b97f4a7c15;

// Orthonormalises the p rows of the p x d matrix v (row-major: a basis vector per row) in place:
// modified Gram-Schmidt, twice, in double.
void orthonormalize(std::vector<double>& v, std::int64_t d, int p) {
  for (int pass = 0; pass < 2; ++pass)
    for (int c = 0; c < p; ++c) {
      double* row = v.data() + c * d;
      for (int prev = 0; prev < c; ++prev) {
        const double* earlier = v.data() + prev * d;
        double dot = 0.0;
        for (std::int64_t f = 0; f < d; ++f) dot += earlier[f] * row[f];
        for (std::int64_t f = 0; f < d; ++f) row[f] -= dot * earlier[f];
      }
      double norm = 0.0;
      for (std::int64_t f = 0; f < d; ++f) norm += row[f] * row[f];
      norm = std::sqrt(norm);
      for (std::int64_t f = 0; f < d; ++f) row[f] /= norm;
    }
}

// The covariance's sample: evenly spaced rows, centred, as floats (rows x d).
std::vector<float> centred_sample(const Dataset& train, std::int64_t rows) {
  const std::int64_t d = train.features;
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t f = 0; f < d; ++f) mean[f] += train.row(r * train.samples / rows)[f];
  for (double& m : mean) m /= static_cast<double>(rows);
  std::vector<float> sample(static_cast<std::size_t>(rows * d));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t f = 0; f < d; ++f)
      sample[r * d + f] = static_cast<float>(train.row(r * train.samples / rows)[f] - mean[f]);
  return sample;
}

// max over rows of the sum of |G_ij|, G = P P^T in double, rounded up: Gershgorin's bound on the
// largest eigenvalue. Products of floats are exact in double; the d-term sums err by at most
// d 2^-53 of the sum of |products| <= |P_i| |P_j|, which the factor covers.
double gram_bound(const std::vector<float>& p_rows, int p, std::int64_t d) {
  double bound = 0.0;
  for (int i = 0; i < p; ++i) {
    double row_sum = 0.0;
    for (int j = 0; j < p; ++j) {
      double g = 0.0;
      for (std::int64_t f = 0; f < d; ++f)
        g += static_cast<double>(p_rows[i * d + f]) * p_rows[j * d + f];
      row_sum += std::abs(g);
    }
    bound = std::max(bound, row_sum);
  }
  return bound * (1.0 + static_cast<double>(d + p + 4) * 0x1p-52) + 0x1p-50;
}

}  // namespace

Basis fit_basis(const Dataset& train, int components, int threads) {
  const std::int64_t d = train.features;
  const int p = static_cast<int>(std::min<std::int64_t>(components, d));
  const std::int64_t rows = std::min(train.samples, kBasisSampleRows);
  const std::vector<float> sample = centred_sample(train, rows);
  std::vector<float> cov(static_cast<std::size_t>(d * d));
  sgemm(gemm_kernel(GemmVariant::simd),
        GemmProblem{.trans_a = Trans::yes,
                    .m = d,
                    .n = d,
                    .k = rows,
                    .a = sample.data(),
                    .lda = d,
                    .b = sample.data(),
                    .ldb = d,
                    .c = cov.data(),
                    .ldc = d},
        GemmExecution{.threads = threads});
  // A shift keeps every iterate at full rank (a constant training set has C = 0) and leaves the
  // eigenvectors as they are.
  double trace = 0.0;
  for (std::int64_t f = 0; f < d; ++f) trace += cov[f * d + f];
  const float shift = static_cast<float>(std::max(trace / static_cast<double>(d), 1.0) * 1e-3);
  for (std::int64_t f = 0; f < d; ++f) cov[f * d + f] += shift;

  std::vector<double> v(static_cast<std::size_t>(p * d));  // p x d
  Rng rng(kStartSeed);
  for (double& x : v) x = rng.normal();
  orthonormalize(v, d, p);
  std::vector<float> vf(v.size()), w(v.size());
  for (int it = 0; it < kIterations; ++it) {
    std::transform(v.begin(), v.end(), vf.begin(), [](double x) { return static_cast<float>(x); });
    // W = V C (C is symmetric): each basis row times the covariance.
    sgemm(gemm_kernel(GemmVariant::simd),
          GemmProblem{.m = p,
                      .n = d,
                      .k = d,
                      .a = vf.data(),
                      .lda = d,
                      .b = cov.data(),
                      .ldb = d,
                      .c = w.data(),
                      .ldc = d},
          GemmExecution{.threads = threads});
    std::copy(w.begin(), w.end(), v.begin());
    orthonormalize(v, d, p);
  }

  Basis basis{p, d, std::vector<float>(static_cast<std::size_t>(p * d)), 0.0, 0.0};
  for (int c = 0; c < p; ++c) {
    double norm = 0.0;
    for (std::int64_t f = 0; f < d; ++f) {
      const float x = static_cast<float>(v[c * d + f]);
      basis.rows[c * d + f] = x;
      norm += static_cast<double>(x) * x;
    }
    basis.row_norm_max = std::max(basis.row_norm_max, std::sqrt(norm) * (1.0 + 0x1p-50));
  }
  basis.gram_bound = gram_bound(basis.rows, p, d);
  return basis;
}

}  // namespace simdml::knn_detail
