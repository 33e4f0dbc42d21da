// The pruned k-NN's orthonormal basis: the leading principal subspace of the training set.
#pragma once

#include <cstdint>
#include <vector>

#include "simdml/data.hpp"

namespace simdml::knn_detail {

// `components` orthonormal rows of `features` floats. Any orthonormal basis makes |P (q - t)|^2 a
// lower bound of |q - t|^2; the principal one makes it tight. gram_bound covers the float rows'
// departure from orthonormality: |P x|^2 <= gram_bound |x|^2 for every x, and gram_low |x|^2 <=
// |P x|^2 for every x in the rows' span.
struct Basis {
  int components = 0;
  std::int64_t features = 0;
  std::vector<float> rows;    // components x features
  double gram_bound = 0.0;    // >= the largest eigenvalue of P P^T, about 1 + 1e-6
  double gram_low = 0.0;      // <= its smallest, about 1 - 1e-6
  double row_norm_max = 0.0;  // the largest |P_c|
};

// Fitted by subspace iteration on the covariance of an evenly spaced sample of at most
// kBasisSampleRows training rows, orthonormalised by Cholesky QR. Deterministic: the start is a
// fixed pseudo-random matrix, and the library's GEMM gives the same bits for any thread count.
inline constexpr std::int64_t kBasisSampleRows = 1024;
Basis fit_basis(const Dataset& train, int components, int threads);

// Over how many directions the training set spreads: the participation ratio (sum of the
// covariance's eigenvalues)^2 / (sum of their squares) = trace(G)^2 / |G|_F^2, G the Gram matrix
// of kSpreadSampleRows evenly spaced rows, centred. About 7 for Fashion-MNIST, 27 for MNIST, 193
// for uniform noise over 784 pixels; 0 when every sampled row is the same.
inline constexpr std::int64_t kSpreadSampleRows = 256;
double spread_directions(const Dataset& train, int threads);

}  // namespace simdml::knn_detail
