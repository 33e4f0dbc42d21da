// Activation kernels over contiguous float arrays: exp, sigmoid, tanh, ReLU, row-wise softmax, and
// the derivatives a backward pass needs; and the pixel scaling that feeds them images.
//
// Each kernel exists as a scalar reference (built on std::exp / std::tanh) and as an xsimd kernel
// per dispatch target. Output may alias input exactly (in place); partial overlap is not allowed.
//
// Accuracy of the simd kernels, measured by tests/activations_test.cpp against double precision
// over the whole float range, denormal results included (max seen on avx2 / sse2; test bound):
// exp 0.99 / 0.98 ULP (bound 1.5), sigmoid 2.28 ULP (bound 2.5), tanh 1.50 ULP (bound 2.5). Edges:
// exp overflows to +inf above 88.72 and underflows to 0 below -103.97; sigmoid(+-100) is 1 and
// ~3.7e-44, never NaN; NaN in gives NaN out; softmax of a row with huge finite values is finite and
// sums to 1 (a row holding +-inf gives NaN).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "simdml/dispatch.hpp"
#include "simdml/kernel_registry.hpp"

namespace simdml {

using UnaryKernel = void (*)(const float* x, float* y, std::size_t n);
// dx = dy * f'(...), from the forward output y (what a backward pass keeps).
using BackwardKernel = void (*)(const float* y, const float* dy, float* dx, std::size_t n);
// Each of `rows` rows of `cols` contiguous floats, independently.
using RowKernel = void (*)(const float* x, float* y, std::size_t rows, std::size_t cols);
using ByteKernel = void (*)(const std::uint8_t* x, float* y, std::size_t n);

// One Adam step's constants (Kingma and Ba 2015, in PyTorch's arithmetic), rounded to float once.
struct AdamCoefficients {
  float beta1 = 0.9f, one_minus_beta1 = 0.1f;
  float beta2 = 0.999f, one_minus_beta2 = 0.001f;
  float epsilon = 1e-8f;
  float step_size = 1e-3f;        // rate / (1 - beta1^t)
  float root_correction2 = 1.0f;  // sqrt(1 - beta2^t)
  float weight_decay = 0.0f;      // L2: g + decay * w
};
// For each i, in this order, each operation rounded once (no fusing, on every target):
//   g' = g + decay * w;  m = beta1 m + (1 - beta1) g';  v = beta2 v + (1 - beta2) (g' g');
//   w = w - step_size * (m / (sqrt(v) / root_correction2 + epsilon)).
using AdamKernel = void (*)(const AdamCoefficients& c, const float* g, float* w, float* m, float* v,
                            std::size_t n);

enum class ActivationVariant {
  reference,  // scalar loops on std::exp / std::tanh: what the tests hold the others to
  simd,       // xsimd kernels, one set per dispatch target
};

// One entry of the kernel list (kernel_registry.hpp): a whole set of kernels for one target, each
// applied element by element or row by row -- the activations and their derivatives, softmax, and
// the other elementwise work training does (pixels to floats, Adam's update).
struct ElementwiseKernels {
  std::string_view name;  // "reference", "simd-sse2", "simd-avx2", "simd-avx512"
  ActivationVariant variant;
  Isa isa;              // the target it is compiled for (reference: sse2)
  Extension extension;  // none for every set
  UnaryKernel exp;
  UnaryKernel sigmoid;  // 1 / (1 + exp(-x))
  UnaryKernel tanh;
  UnaryKernel relu;                 // x < 0 ? 0 : x (NaN propagates)
  BackwardKernel sigmoid_backward;  // dx = dy * (y * (1 - y))
  BackwardKernel tanh_backward;     // dx = dy * (1 - y * y)
  BackwardKernel relu_backward;     // dx = y > 0 ? dy : 0
  RowKernel softmax_rows;           // exp(x - max) / sum, the sum in a fixed 16-lane order
  ByteKernel unit_from_bytes;       // y = x / 255 rounded once, in every set: pixels to [0, 1]
  AdamKernel adam_update;           // bitwise the same in every set: IEEE operations only
};

const KernelRegistry<ElementwiseKernels>& activation_registry();
// Every compiled kernel set, the reference first (check runs_here(set) before calling).
std::span<const ElementwiseKernels> activation_kernel_sets();
const ElementwiseKernels& reference_activations();
// The simd kernels for active_isa().
const ElementwiseKernels& activations();
// "reference", "simd" (dispatched) or a set's name such as "simd-avx2". Throws
// std::invalid_argument listing the valid names, or when the CPU cannot run the set.
const ElementwiseKernels& activation_kernels(std::string_view name);
std::string_view activation_variant_name(ActivationVariant variant);

}  // namespace simdml
