#include "knn/pruned/projection.hpp"

#include <algorithm>
#include <cmath>

#include "knn/variants.hpp"
#include "simdml/gemm.hpp"

namespace simdml::knn_detail {
namespace {

// An upper bound of every row's |x~|, x~ the float features: sqrt(features) for pixel data (every
// feature is at most 1), else the largest norm summed in double, rounded up.
double norm_max(const Dataset& data) {
  if (!data.pixels.empty()) return std::sqrt(static_cast<double>(data.features)) * (1.0 + 0x1p-40);
  double largest = 0.0;
  for (std::int64_t r = 0; r < data.samples; ++r) {
    double sum = 0.0;
    for (std::int64_t f = 0; f < data.features; ++f)
      sum += static_cast<double>(data.row(r)[f]) * data.row(r)[f];
    largest = std::max(largest, sum);
  }
  return std::sqrt(largest * (1.0 + static_cast<double>(data.features + 4) * 0x1p-52));
}

// The bound on |y - P x| for every row, y = fl(P x~) the GEMM's projection and x the exact row:
//   - each y_c is a d-term float dot product, off by at most gamma_d sum |P_cf x~_f| <=
//     (d + 1) 2^-24 |P_c| |x~| (Cauchy-Schwarz), so |y - P x~| <= sqrt(p) (d + 1) 2^-24 |P_c|max
//     |x~|;
//   - pixel features are x~ = fl(byte / 255), within 2^-23 |x| of x, so |P (x~ - x)| <=
//     sqrt(gram_bound) 2^-23 |x| <= sqrt(gram_bound) 2^-22 |x~|.
// Twice the sum, to absorb the second-order terms.
double projection_error(const Basis& basis, const Dataset& data) {
  const double d = static_cast<double>(basis.features);
  const double gemm =
      std::sqrt(static_cast<double>(basis.components)) * (d + 1.0) * 0x1p-24 * basis.row_norm_max;
  const double features = data.pixels.empty() ? 0.0 : std::sqrt(basis.gram_bound) * 0x1p-22;
  return 2.0 * (gemm + features) * norm_max(data);
}

}  // namespace

std::vector<float> project(const Basis& basis, const Dataset& data, int threads) {
  std::vector<float> y(static_cast<std::size_t>(data.samples * basis.components));
  sgemm(gemm_kernel(GemmVariant::simd),
        GemmProblem{.trans_b = Trans::yes,
                    .m = data.samples,
                    .n = basis.components,
                    .k = basis.features,
                    .a = data.x.data(),
                    .lda = basis.features,
                    .b = basis.rows.data(),
                    .ldb = basis.features,
                    .c = y.data(),
                    .ldc = basis.components},
        GemmExecution{.threads = threads});
  return y;
}

Quantizer fit_quantizer(const std::vector<float>& train_projection, int components) {
  const std::int64_t rows = static_cast<std::int64_t>(train_projection.size()) / components;
  Quantizer q{std::vector<double>(static_cast<std::size_t>(components)), 0.0};
  for (int c = 0; c < components; ++c) {
    double lo = train_projection[c], hi = lo;
    for (std::int64_t r = 1; r < rows; ++r) {
      lo = std::min<double>(lo, train_projection[r * components + c]);
      hi = std::max<double>(hi, train_projection[r * components + c]);
    }
    q.centre[c] = 0.5 * (lo + hi);
    q.scale = std::max(q.scale, 0.5 * (hi - lo) / 127.0);
  }
  if (q.scale == 0.0) q.scale = 1.0;  // every row projects to one point
  return q;
}

QuantizedRows quantize(const Basis& basis, const Quantizer& quantizer, const Dataset& data,
                       const std::vector<float>& projection) {
  const int p = basis.components;
  const double error = projection_error(basis, data);
  QuantizedRows out{std::vector<std::uint8_t>(static_cast<std::size_t>(data.samples * p)),
                    std::vector<double>(static_cast<std::size_t>(data.samples)), 0.0};
  for (std::int64_t r = 0; r < data.samples; ++r) {
    double squared = 0.0, magnitude = 128.0 * quantizer.scale;
    for (int c = 0; c < p; ++c) {
      const double y = projection[r * p + c];
      const double steps = std::nearbyint((y - quantizer.centre[c]) / quantizer.scale);
      const double u = std::clamp(steps + 128.0, 0.0, 255.0);
      out.bytes[r * p + c] = static_cast<std::uint8_t>(u);
      const double gap = quantizer.centre[c] + (u - 128.0) * quantizer.scale - y;
      squared += gap * gap;
      magnitude = std::max(magnitude,
                           std::abs(y) + std::abs(quantizer.centre[c]) + 128.0 * quantizer.scale);
    }
    // The double arithmetic above errs by a few ulps of |y| + |centre| + 128 scale per component;
    // the relative and the magnitude terms cover it.
    out.slack[r] = std::sqrt(squared) * (1.0 + 0x1p-40) +
                   0x1p-46 * std::sqrt(static_cast<double>(p)) * magnitude + error;
    out.slack_max = std::max(out.slack_max, out.slack[r]);
  }
  return out;
}

}  // namespace simdml::knn_detail
