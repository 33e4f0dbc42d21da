// Subspace iteration for the leading principal subspace, with the covariance and each iteration's
// product through the library's float GEMM (the basis only has to be good, not exact: the bound's
// correctness rests on gram_bound and gram_low, measured on the float rows it is used with).
#include "knn/pruned/basis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "simdml/gemm.hpp"
#include "simdml/random.hpp"

namespace simdml::knn_detail {
namespace {

constexpr int kIterations = 6;
constexpr std::uint64_t kStartSeed = 0x9e3779b97f4a7c15;

// Row i of the row-major p x d matrix v scaled to unit length (a zero row stays zero).
void normalize_rows(std::vector<float>& v, std::int64_t d, int p) {
  for (int c = 0; c < p; ++c) {
    float* row = v.data() + c * d;
    double norm = 0.0;
    for (std::int64_t f = 0; f < d; ++f) norm += static_cast<double>(row[f]) * row[f];
    if (norm == 0.0) continue;
    const double scale = 1.0 / std::sqrt(norm);
    for (std::int64_t f = 0; f < d; ++f) row[f] = static_cast<float>(row[f] * scale);
  }
}

// The inverse of the Cholesky factor of the p x p matrix g (g = L L^T, returns L^-1, lower
// triangular, row-major), in double; empty when a pivot is not clearly positive.
std::vector<double> inverse_cholesky(const std::vector<float>& g, int p) {
  std::vector<double> l(static_cast<std::size_t>(p * p), 0.0);
  for (int i = 0; i < p; ++i)
    for (int j = 0; j <= i; ++j) {
      double sum = g[i * p + j];
      for (int m = 0; m < j; ++m) sum -= l[i * p + m] * l[j * p + m];
      if (i == j) {
        if (!(sum > 1e-6)) return {};
        l[i * p + i] = std::sqrt(sum);
      } else {
        l[i * p + j] = sum / l[j * p + j];
      }
    }
  std::vector<double> inv(static_cast<std::size_t>(p * p), 0.0);
  for (int i = 0; i < p; ++i) {
    inv[i * p + i] = 1.0 / l[i * p + i];
    for (int j = 0; j < i; ++j) {
      double sum = 0.0;
      for (int m = j; m < i; ++m) sum += l[i * p + m] * inv[m * p + j];
      inv[i * p + j] = -sum / l[i * p + i];
    }
  }
  return inv;
}

// Modified Gram-Schmidt in double: the fallback for rows too close to dependent for Cholesky.
void gram_schmidt(std::vector<float>& v, std::int64_t d, int p) {
  std::vector<double> w(v.begin(), v.end());
  for (int c = 0; c < p; ++c) {
    double* row = w.data() + c * d;
    for (int prev = 0; prev < c; ++prev) {
      const double* earlier = w.data() + prev * d;
      double dot = 0.0;
      for (std::int64_t f = 0; f < d; ++f) dot += earlier[f] * row[f];
      for (std::int64_t f = 0; f < d; ++f) row[f] -= dot * earlier[f];
    }
    double norm = 0.0;
    for (std::int64_t f = 0; f < d; ++f) norm += row[f] * row[f];
    norm = std::sqrt(norm);
    for (std::int64_t f = 0; f < d; ++f) row[f] = norm > 0.0 ? row[f] / norm : 0.0;
  }
  std::transform(w.begin(), w.end(), v.begin(), [](double x) { return static_cast<float>(x); });
}

// Orthonormalises the p rows of the p x d matrix v in place: Cholesky QR twice (V <- L^-1 V with
// V V^T = L L^T), its two products on the library's GEMM, so p = 128 costs milliseconds where
// Gram-Schmidt in double took a tenth of a second. Rows scaled to unit length first keep the Gram
// matrix well conditioned; the basis only has to be close to orthonormal (gram_bounds measures
// it), and the GEMM's bits do not depend on the thread count.
void orthonormalize(std::vector<float>& v, std::int64_t d, int p, int threads) {
  std::vector<float> g(static_cast<std::size_t>(p * p)), inv_f(g.size()), out(v.size());
  for (int pass = 0; pass < 2; ++pass) {
    normalize_rows(v, d, p);
    sgemm(gemm_kernel(GemmVariant::simd),
          GemmProblem{.trans_b = Trans::yes,
                      .m = p,
                      .n = p,
                      .k = d,
                      .a = v.data(),
                      .lda = d,
                      .b = v.data(),
                      .ldb = d,
                      .c = g.data(),
                      .ldc = p},
          GemmExecution{.threads = threads});
    const std::vector<double> inv = inverse_cholesky(g, p);
    if (inv.empty()) return gram_schmidt(v, d, p);
    std::transform(inv.begin(), inv.end(), inv_f.begin(),
                   [](double x) { return static_cast<float>(x); });
    sgemm(gemm_kernel(GemmVariant::simd),
          GemmProblem{.m = p,
                      .n = d,
                      .k = p,
                      .a = inv_f.data(),
                      .lda = p,
                      .b = v.data(),
                      .ldb = d,
                      .c = out.data(),
                      .ldc = d},
          GemmExecution{.threads = threads});
    v.swap(out);
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

// Gershgorin's bounds on the eigenvalues of G = P P^T: every one lies within sum over j != i of
// |G_ij| of some G_ii. G in double: products of floats are exact, and each d-term sum errs by at
// most d 2^-53 of the sum of |products| <= |P_i| |P_j| <= row_norm_max^2, so p such errors per row
// widen both bounds by the terms below. Four partial sums keep the loop from waiting on each add.
void gram_bounds(Basis& basis) {
  const int p = basis.components;
  const std::int64_t d = basis.features;
  const float* rows = basis.rows.data();
  double upper = 0.0, lower = std::numeric_limits<double>::infinity();
  for (int i = 0; i < p; ++i) {
    double off_diagonal = 0.0, diagonal = 0.0;
    for (int j = 0; j < p; ++j) {
      double s[4] = {0.0, 0.0, 0.0, 0.0};
      std::int64_t f = 0;
      for (; f + 4 <= d; f += 4)
        for (int u = 0; u < 4; ++u)
          s[u] += static_cast<double>(rows[i * d + f + u]) * rows[j * d + f + u];
      for (; f < d; ++f) s[0] += static_cast<double>(rows[i * d + f]) * rows[j * d + f];
      const double g = (s[0] + s[1]) + (s[2] + s[3]);
      if (j == i)
        diagonal = g;
      else
        off_diagonal += std::abs(g);
    }
    upper = std::max(upper, diagonal + off_diagonal);
    lower = std::min(lower, diagonal - off_diagonal);
  }
  const double error = static_cast<double>(p + 1) * static_cast<double>(d + 4) * 0x1p-52 *
                           basis.row_norm_max * basis.row_norm_max +
                       0x1p-50;
  basis.gram_bound = upper * (1.0 + 0x1p-50) + error;
  basis.gram_low = std::max(0.0, lower * (1.0 - 0x1p-50) - error);
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

  std::vector<float> v(static_cast<std::size_t>(p * d)), w(v.size());  // p x d
  Rng rng(kStartSeed);
  for (float& x : v) x = static_cast<float>(rng.normal());
  orthonormalize(v, d, p, threads);
  for (int it = 0; it < kIterations; ++it) {
    // W = V C (C is symmetric): each basis row times the covariance.
    sgemm(gemm_kernel(GemmVariant::simd),
          GemmProblem{.m = p,
                      .n = d,
                      .k = d,
                      .a = v.data(),
                      .lda = d,
                      .b = cov.data(),
                      .ldb = d,
                      .c = w.data(),
                      .ldc = d},
          GemmExecution{.threads = threads});
    v.swap(w);
    orthonormalize(v, d, p, threads);
  }

  Basis basis;
  basis.components = p;
  basis.features = d;
  basis.rows = std::move(v);
  for (int c = 0; c < p; ++c) {
    double norm = 0.0;
    for (std::int64_t f = 0; f < d; ++f)
      norm += static_cast<double>(basis.rows[c * d + f]) * basis.rows[c * d + f];
    basis.row_norm_max = std::max(basis.row_norm_max, std::sqrt(norm) * (1.0 + 0x1p-50));
  }
  gram_bounds(basis);
  return basis;
}

double spread_directions(const Dataset& train, int threads) {
  const std::int64_t rows = std::min(train.samples, kSpreadSampleRows), d = train.features;
  const std::vector<float> sample = centred_sample(train, rows);
  std::vector<float> gram(static_cast<std::size_t>(rows * rows));
  sgemm(gemm_kernel(GemmVariant::simd),
        GemmProblem{.trans_b = Trans::yes,
                    .m = rows,
                    .n = rows,
                    .k = d,
                    .a = sample.data(),
                    .lda = d,
                    .b = sample.data(),
                    .ldb = d,
                    .c = gram.data(),
                    .ldc = rows},
        GemmExecution{.threads = threads});
  double trace = 0.0, squares = 0.0;
  for (std::int64_t i = 0; i < rows; ++i) trace += gram[i * rows + i];
  for (const float g : gram) squares += static_cast<double>(g) * g;
  return squares > 0.0 ? trace * trace / squares : 0.0;
}

}  // namespace simdml::knn_detail
