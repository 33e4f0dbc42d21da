// The activation kernels for one target, on whole vectors plus one padded vector for the tail, so
// every element goes through the same vector code whatever the length.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "activations/math.hpp"
#include "simdml/activations.hpp"

namespace {

template <class Arch>
struct ActivationKernelsFor {
  using M = VectorMath<Arch>;
  using V = typename M::V;
  static constexpr std::size_t W = V::size;

  // y[i] = f(x[i]); the tail is copied into a padded vector so it runs through the same code.
  template <class F>
  static void map(const float* x, float* y, std::size_t n, F f) {
    std::size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
      const V a = f(V::load_unaligned(x + i)), b = f(V::load_unaligned(x + i + W));
      a.store_unaligned(y + i);
      b.store_unaligned(y + i + W);
    }
    for (; i + W <= n; i += W) f(V::load_unaligned(x + i)).store_unaligned(y + i);
    if (i == n) return;
    alignas(64) float tail[W] = {};
    std::copy(x + i, x + n, tail);
    f(V::load_aligned(tail)).store_aligned(tail);
    std::copy(tail, tail + (n - i), y + i);
  }

  template <class F>
  static void map2(const float* a, const float* b, float* y, std::size_t n, F f) {
    std::size_t i = 0;
    for (; i + W <= n; i += W)
      f(V::load_unaligned(a + i), V::load_unaligned(b + i)).store_unaligned(y + i);
    if (i == n) return;
    alignas(64) float ta[W] = {}, tb[W] = {};
    std::copy(a + i, a + n, ta);
    std::copy(b + i, b + n, tb);
    f(V::load_aligned(ta), V::load_aligned(tb)).store_aligned(ta);
    std::copy(ta, ta + (n - i), y + i);
  }

  static void exp(const float* x, float* y, std::size_t n) {
    map(x, y, n, [](const V& v) { return M::exp(v); });
  }
  static void sigmoid(const float* x, float* y, std::size_t n) {
    map(x, y, n, [](const V& v) { return M::sigmoid(v); });
  }
  static void tanh(const float* x, float* y, std::size_t n) {
    map(x, y, n, [](const V& v) { return M::tanh(v); });
  }
  static void relu(const float* x, float* y, std::size_t n) {
    map(x, y, n, [](const V& v) { return xsimd::select(v < V(0.0f), V(0.0f), v); });
  }

  static void sigmoid_backward(const float* y, const float* dy, float* dx, std::size_t n) {
    map2(y, dy, dx, n, [](const V& s, const V& g) { return g * (s * (V(1.0f) - s)); });
  }
  static void tanh_backward(const float* y, const float* dy, float* dx, std::size_t n) {
    map2(y, dy, dx, n, [](const V& t, const V& g) { return g * (V(1.0f) - t * t); });
  }
  static void relu_backward(const float* y, const float* dy, float* dx, std::size_t n) {
    map2(y, dy, dx, n,
         [](const V& r, const V& g) { return xsimd::select(r > V(0.0f), g, V(0.0f)); });
  }

  // Sum of a row's exponentials in kLanes fixed partial sums and a fixed reduction tree: the same
  // order for every vector width, so the targets agree bitwise wherever their exp does.
  static constexpr std::size_t kLanes = 16;
  static_assert(kLanes % W == 0);
  static constexpr std::size_t kPerChunk = kLanes / W;

  static float row_max(const float* x, std::size_t n) {
    float m = -std::numeric_limits<float>::infinity();
    std::size_t i = 0;
    if (n >= W) {
      V vm = V::load_unaligned(x);
      for (i = W; i + W <= n; i += W) vm = xsimd::max(vm, V::load_unaligned(x + i));
      alignas(64) float lanes[W];
      vm.store_aligned(lanes);
      m = *std::max_element(lanes, lanes + W);
    }
    for (; i < n; ++i) m = std::max(m, x[i]);
    return m;
  }

  // y = exp(x - m), returning the sum of y.
  static float exp_shifted_sum(const float* x, float* y, std::size_t n, float m) {
    V acc[kPerChunk];
    for (auto& a : acc) a = V(0.0f);
    const V vm(m);
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (std::size_t v = 0; v < kPerChunk; ++v) {
        const V e = M::exp_nonpositive(V::load_unaligned(x + i + v * W) - vm);
        e.store_unaligned(y + i + v * W);
        acc[v] += e;
      }
    }
    if (i < n) {  // the last partial chunk, padded with zeros that add nothing
      alignas(64) float chunk[kLanes];
      std::copy(x + i, x + n, chunk);
      std::fill(chunk + (n - i), chunk + kLanes, m);
      for (std::size_t v = 0; v < kPerChunk; ++v)
        M::exp_nonpositive(V::load_aligned(chunk + v * W) - vm).store_aligned(chunk + v * W);
      std::fill(chunk + (n - i), chunk + kLanes, 0.0f);
      for (std::size_t v = 0; v < kPerChunk; ++v) acc[v] += V::load_aligned(chunk + v * W);
      std::copy(chunk, chunk + (n - i), y + i);
    }
    alignas(64) float lanes[kLanes];
    for (std::size_t v = 0; v < kPerChunk; ++v) acc[v].store_aligned(lanes + v * W);
    for (std::size_t width = kLanes / 2; width >= 1; width /= 2)
      for (std::size_t l = 0; l < width; ++l) lanes[l] += lanes[l + width];
    return lanes[0];
  }

  // Rows of at most kLanes columns (a classifier's 10 outputs) are too short to fill a vector, so
  // W of them go at once, one row per lane: the block is transposed to column vectors, and each
  // lane repeats exactly the row-wise arithmetic (max as std::max in column order; the kLanes
  // partial sums are the elements themselves, zero-padded, reduced by the same tree), so both
  // paths give the same bits.
  static void softmax_row_block(const float* x, float* y, std::size_t cols) {
    alignas(64) float t[kLanes][W];
    for (std::size_t r = 0; r < W; ++r)
      for (std::size_t c = 0; c < cols; ++c) t[c][r] = x[r * cols + c];
    V m(-std::numeric_limits<float>::infinity());
    for (std::size_t c = 0; c < cols; ++c) {
      const V v = V::load_aligned(t[c]);
      m = xsimd::select(m < v, v, m);
    }
    V e[kLanes], lanes[kLanes];
    for (std::size_t c = 0; c < kLanes; ++c)
      e[c] = lanes[c] = c < cols ? M::exp_nonpositive(V::load_aligned(t[c]) - m) : V(0.0f);
    for (std::size_t width = kLanes / 2; width >= 1; width /= 2)
      for (std::size_t l = 0; l < width; ++l) lanes[l] += lanes[l + width];
    for (std::size_t c = 0; c < cols; ++c) (e[c] / lanes[0]).store_aligned(t[c]);
    for (std::size_t r = 0; r < W; ++r)
      for (std::size_t c = 0; c < cols; ++c) y[r * cols + c] = t[c][r];
  }

  static void softmax_rows(const float* x, float* y, std::size_t rows, std::size_t cols) {
    std::size_t r = 0;
    if (cols >= 1 && cols <= kLanes)
      for (; r + W <= rows; r += W, x += W * cols, y += W * cols) softmax_row_block(x, y, cols);
    for (; r < rows; ++r, x += cols, y += cols) {
      if (cols == 0) continue;
      const float sum = exp_shifted_sum(x, y, cols, row_max(x, cols));
      const V vs(sum);
      map(y, y, cols, [&](const V& e) { return e / vs; });
    }
  }

  // W bytes widened to floats.
  static V widen(const std::uint8_t* p) {
    if constexpr (W == 16) {
      return _mm512_cvtepi32_ps(
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    } else if constexpr (W == 8) {
      return _mm256_cvtepi32_ps(
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
    } else {
      std::int32_t four;
      std::memcpy(&four, p, sizeof four);
      const __m128i zero = _mm_setzero_si128();
      return _mm_cvtepi32_ps(
          _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(four), zero), zero));
    }
  }

  // x / 255 rounded once. FMA targets multiply by the reciprocal and correct the product with its
  // residual, which FMA computes exactly: q + (x - 255 q) / 255 rounds to the true quotient for
  // every byte (tests check all 256), and is faster than a division (docs/experiments.md#e46).
  // Without FMA the residual would be rounded, so sse2 divides.
  static V unit_from_byte_values(const V& x) {
    if constexpr (std::is_same_v<Arch, xsimd::sse2>) {
      return x / V(255.0f);
    } else {
      const V reciprocal(1.0f / 255.0f);
      const V q = x * reciprocal;
      return fused::fma(fused::fnma(q, V(255.0f), x), reciprocal, q);
    }
  }

  static void unit_from_bytes(const std::uint8_t* x, float* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + W <= n; i += W) unit_from_byte_values(widen(x + i)).store_unaligned(y + i);
    if (i == n) return;
    alignas(64) std::uint8_t tail_in[W] = {};
    alignas(64) float tail_out[W];
    std::copy(x + i, x + n, tail_in);
    unit_from_byte_values(widen(tail_in)).store_aligned(tail_out);
    std::copy(tail_out, tail_out + (n - i), y + i);
  }

  // The reference's loop, W parameters at a time; the tail goes through the same code padded.
  static void adam_vector(const simdml::AdamCoefficients& c, const float* g, float* w, float* m,
                          float* v) {
    const V gd = V::load_unaligned(g) + V(c.weight_decay) * V::load_unaligned(w);
    const V mv = V(c.beta1) * V::load_unaligned(m) + V(c.one_minus_beta1) * gd;
    const V vv = V(c.beta2) * V::load_unaligned(v) + V(c.one_minus_beta2) * (gd * gd);
    const V denom = xsimd::sqrt(vv) / V(c.root_correction2) + V(c.epsilon);
    (V::load_unaligned(w) - V(c.step_size) * (mv / denom)).store_unaligned(w);
    mv.store_unaligned(m);
    vv.store_unaligned(v);
  }

  static void adam_update(const simdml::AdamCoefficients& c, const float* g, float* w, float* m,
                          float* v, std::size_t n) {
    std::size_t i = 0;
    for (; i + W <= n; i += W) adam_vector(c, g + i, w + i, m + i, v + i);
    if (i == n) return;
    alignas(64) float tail[4][W] = {};
    const std::size_t rest = n - i;
    std::copy(g + i, g + n, tail[0]);
    std::copy(w + i, w + n, tail[1]);
    std::copy(m + i, m + n, tail[2]);
    std::copy(v + i, v + n, tail[3]);
    adam_vector(c, tail[0], tail[1], tail[2], tail[3]);
    std::copy(tail[1], tail[1] + rest, w + i);
    std::copy(tail[2], tail[2] + rest, m + i);
    std::copy(tail[3], tail[3] + rest, v + i);
  }

  static constexpr simdml::ElementwiseKernels table(std::string_view name, simdml::Isa isa) {
    return {name,
            simdml::ActivationVariant::simd,
            isa,
            simdml::Extension::none,
            exp,
            sigmoid,
            tanh,
            relu,
            sigmoid_backward,
            tanh_backward,
            relu_backward,
            softmax_rows,
            unit_from_bytes,
            adam_update};
  }
};

}  // namespace
