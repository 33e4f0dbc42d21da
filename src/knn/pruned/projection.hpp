// Rows projected on the pruned k-NN's basis and quantized to bytes, so that the int8 kernels
// compute the bound's distances exactly; each row keeps a proven bound on how far its bytes' point
// lies from the exact projection (the argument is in pruned.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "knn/pruned/basis.hpp"
#include "simdml/data.hpp"

namespace simdml::knn_detail {

// y_c -> round((y_c - centre_c) / scale) + 128, clamped to [0, 255]. One scale for every
// component: the integer distance between two rows' bytes is then |u - v|^2 = |y^ - z^|^2 /
// scale^2 exactly, with y^ = centre + (u - 128) scale.
struct Quantizer {
  int first = 0;               // the block's first component: a quantizer serves components
                               // first ... first + centre.size() - 1
  std::vector<double> centre;  // one per component: the middle of the training rows' range
  double scale = 1.0;
};

struct QuantizedRows {
  std::vector<std::uint8_t> bytes;  // rows x components
  std::vector<double> slack;        // per row: >= |y^ - P x|, x the exact row
  double slack_max = 0.0;
};

// The float projections P x of every row (rows x components), by the library's GEMM.
std::vector<float> project(const Basis& basis, const Dataset& data, int threads);

// The range of the training set's projections on components first ... first + count - 1 (of
// `components` per row), spread over the 255 steps of a byte.
Quantizer fit_quantizer(const std::vector<float>& train_projection, int components, int first,
                        int count);

// The bound on |y - P x| for every row of `data`, y = fl(P x~) the GEMM's projection, x the exact
// row.
double projection_error(const Basis& basis, const Dataset& data);

// Bounds on each row's distance r from the basis's span, low <= r <= high: the part of |q - t|
// no projection sees, with |r_q - r_t| a lower bound on it.
struct ResidualNorms {
  std::vector<double> low, high;
};
ResidualNorms residual_norms(const Basis& basis, const Dataset& data,
                             const std::vector<float>& projection, int threads);

// Bytes and slacks of projected rows of `data` on the quantizer's block of components (its exact
// rows define the slack).
QuantizedRows quantize(const Basis& basis, const Quantizer& quantizer, const Dataset& data,
                       const std::vector<float>& projection, int threads);

}  // namespace simdml::knn_detail
