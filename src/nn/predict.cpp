// Prediction and evaluation over whole datasets.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "nn/forward.hpp"

namespace simdml {
namespace {

// Rows per forward pass when only predicting: large enough to keep the GEMM efficient and
// threaded, small enough for the outputs to stay in cache. Results do not depend on it.
constexpr std::int64_t kPredictRows = 512;

template <class Visit>
void forward_in_chunks(const Network& net, const float* x, std::int64_t rows,
                       const Compute& compute, Visit visit) {
  const nn::Kernels kernels = nn::resolve(compute);
  nn::ForwardBuffers buffers(net, std::min(rows, kPredictRows));
  for (std::int64_t start = 0; start < rows; start += kPredictRows) {
    const std::int64_t n = std::min(kPredictRows, rows - start);
    nn::forward(net, x + start * net.inputs(), n, kernels, buffers);
    visit(start, n, buffers);
  }
}

}  // namespace

void predict(const Network& net, const float* x, std::int64_t rows, float* outputs,
             const Compute& compute) {
  if (rows <= 0) return;
  forward_in_chunks(
      net, x, rows, compute, [&](std::int64_t start, std::int64_t n, const nn::ForwardBuffers& b) {
        std::copy_n(b.out.back().data(), n * net.outputs(), outputs + start * net.outputs());
      });
}

Evaluation evaluate(const Network& net, const Dataset& data, const Compute& compute) {
  nn::check_features(net, data);
  const std::int64_t classes = net.outputs();
  Evaluation e(static_cast<int>(classes));
  forward_in_chunks(
      net, data.x.data(), data.samples, compute,
      [&](std::int64_t start, std::int64_t n, const nn::ForwardBuffers& b) {
        for (std::int64_t r = 0; r < n; ++r) {
          const float* out = b.out.back().data() + r * classes;
          if (!std::all_of(out, out + classes, [](float v) { return std::isfinite(v); }))
            throw std::domain_error("the network's outputs for sample " +
                                    std::to_string(start + r) + " of " + data.name +
                                    " are not finite (its weights overflow float)");
          const auto predicted = std::max_element(out, out + classes) - out;
          const std::int32_t truth = data.labels[static_cast<std::size_t>(start + r)];
          e.add(truth, static_cast<std::int32_t>(predicted));
        }
      });
  return e;
}

}  // namespace simdml
