#include "knn/pruned/projection.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/run_tasks.hpp"
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
}  // namespace

double projection_error(const Basis& basis, const Dataset& data) {
  const double d = static_cast<double>(basis.features);
  const double gemm =
      std::sqrt(static_cast<double>(basis.components)) * (d + 1.0) * 0x1p-24 * basis.row_norm_max;
  const double features = data.pixels.empty() ? 0.0 : std::sqrt(basis.gram_bound) * 0x1p-22;
  return 2.0 * (gemm + features) * norm_max(data);
}

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

Quantizer fit_quantizer(const std::vector<float>& train_projection, int components, int first,
                        int count) {
  const std::int64_t rows = static_cast<std::int64_t>(train_projection.size()) / components;
  Quantizer q{first, std::vector<double>(static_cast<std::size_t>(count)), 0.0};
  if (rows == 0) return q;
  // Row by row, so the projection is read in order.
  std::vector<float> lo(train_projection.begin() + first, train_projection.begin() + first + count),
      hi = lo;
  for (std::int64_t r = 1; r < rows; ++r)
    for (int c = 0; c < count; ++c) {
      const float y = train_projection[r * components + first + c];
      lo[c] = std::min(lo[c], y);
      hi[c] = std::max(hi[c], y);
    }
  for (int c = 0; c < count; ++c) {
    q.centre[c] = 0.5 * (static_cast<double>(lo[c]) + hi[c]);
    q.scale = std::max(q.scale, 0.5 * (static_cast<double>(hi[c]) - lo[c]) / 127.0);
  }
  if (q.scale == 0.0) q.scale = 1.0;  // every row projects to one point
  return q;
}

QuantizedRows quantize(const Basis& basis, const Quantizer& quantizer, const Dataset& data,
                       const std::vector<float>& projection, int threads) {
  const int components = basis.components, p = static_cast<int>(quantizer.centre.size());
  const double error = projection_error(basis, data);
  QuantizedRows out{std::vector<std::uint8_t>(static_cast<std::size_t>(data.samples * p)),
                    std::vector<double>(static_cast<std::size_t>(data.samples)), 0.0};
  run_tasks(threads, data.samples, [&](std::int64_t r) {
    double squared = 0.0, magnitude = 128.0 * quantizer.scale;
    for (int c = 0; c < p; ++c) {
      const double y = projection[r * components + quantizer.first + c];
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
  });
  out.slack_max = *std::max_element(out.slack.begin(), out.slack.end());
  return out;
}

}  // namespace simdml::knn_detail

namespace simdml::knn_detail {

// |x|^2 = |Pi x|^2 + r^2 with Pi the orthogonal projector on the basis's span, and gram_low
// |Pi x|^2 <= |P x|^2 <= gram_bound |Pi x|^2 (basis.hpp). |P x| is within `error` of |y|, y the
// float projection (projection_error), and |x|^2 is exact for pixels (an integer / 255^2, one
// rounding) and within (d + 2) 2^-53 for floats. Every bound is then rounded outward by a relative
// 2^-40, far above the few roundings of its evaluation.
ResidualNorms residual_norms(const Basis& basis, const Dataset& data,
                             const std::vector<float>& projection, int threads) {
  const int p = basis.components;
  const std::int64_t d = data.features;
  const double error = projection_error(basis, data);
  const double norm_error = data.pixels.empty() ? static_cast<double>(d + 2) * 0x1p-53 : 0x1p-52;
  ResidualNorms out{std::vector<double>(static_cast<std::size_t>(data.samples)),
                    std::vector<double>(static_cast<std::size_t>(data.samples))};
  run_tasks(threads, data.samples, [&](std::int64_t r) {
    double squared = 0.0;
    if (!data.pixels.empty()) {
      std::int64_t sum = 0;
      for (std::int64_t f = 0; f < d; ++f)
        sum += std::int64_t{data.pixels[r * d + f]} * data.pixels[r * d + f];
      squared = static_cast<double>(sum) / kPixelScale;
    } else {
      for (std::int64_t f = 0; f < d; ++f)
        squared += static_cast<double>(data.x[r * d + f]) * data.x[r * d + f];
    }
    double y = 0.0;
    for (int c = 0; c < p; ++c)
      y += static_cast<double>(projection[r * p + c]) * projection[r * p + c];
    y = std::sqrt(y);
    const double y_low = std::max(0.0, (y * (1.0 - 0x1p-40) - error)),
                 y_high = y * (1.0 + 0x1p-40) + error;
    const double pi_low = y_low * y_low / basis.gram_bound * (1.0 - 0x1p-40),
                 pi_high = y_high * y_high / basis.gram_low * (1.0 + 0x1p-40);
    const double x_low = squared * (1.0 - norm_error) * (1.0 - 0x1p-40),
                 x_high = squared * (1.0 + norm_error) * (1.0 + 0x1p-40);
    out.low[r] = std::sqrt(std::max(0.0, x_low - pi_high)) * (1.0 - 0x1p-40);
    out.high[r] = std::sqrt(std::max(0.0, x_high - pi_low)) * (1.0 + 0x1p-40);
  });
  return out;
}

}  // namespace simdml::knn_detail
