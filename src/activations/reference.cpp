// Scalar reference kernels: the plain loops a textbook would write, on std::exp and std::tanh.
// They are what the simd kernels are benchmarked against (and a second opinion in tests, which
// measure both against double precision).
#include <algorithm>
#include <cmath>
#include <limits>

#include "activations/reference.hpp"

namespace simdml::activation_detail {
namespace {

void exp_ref(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

void sigmoid_ref(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float e = std::exp(-std::fabs(x[i]));
    y[i] = (x[i] >= 0.0f ? 1.0f : e) / (1.0f + e);
  }
}

void tanh_ref(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void relu_ref(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void sigmoid_backward_ref(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
}

void tanh_backward_ref(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

void relu_backward_ref(const float* y, const float* dy, float* dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void softmax_rows_ref(const float* x, float* y, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r, x += cols, y += cols) {
    float m = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < cols; ++i) m = std::max(m, x[i]);
    float sum = 0.0f;
    for (std::size_t i = 0; i < cols; ++i) sum += (y[i] = std::exp(x[i] - m));
    for (std::size_t i = 0; i < cols; ++i) y[i] /= sum;
  }
}

void unit_from_bytes_ref(const std::uint8_t* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i]) / 255.0f;
}

void adam_update_ref(const AdamCoefficients& c, const float* g, float* w, float* m, float* v,
                     std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float gd = g[i] + c.weight_decay * w[i];
    m[i] = c.beta1 * m[i] + c.one_minus_beta1 * gd;
    v[i] = c.beta2 * v[i] + c.one_minus_beta2 * (gd * gd);
    const float denom = std::sqrt(v[i]) / c.root_correction2 + c.epsilon;
    w[i] = w[i] - c.step_size * (m[i] / denom);
  }
}

}  // namespace

constinit const ElementwiseKernels reference = {"reference",
                                                ActivationVariant::reference,
                                                Isa::sse2,
                                                Extension::none,
                                                exp_ref,
                                                sigmoid_ref,
                                                tanh_ref,
                                                relu_ref,
                                                sigmoid_backward_ref,
                                                tanh_backward_ref,
                                                relu_backward_ref,
                                                softmax_rows_ref,
                                                unit_from_bytes_ref,
                                                adam_update_ref};

}  // namespace simdml::activation_detail
