// Vector exp, sigmoid and tanh on xsimd batches. Only per-target translation units include this;
// everything has internal linkage (see src/gemm/simd/loops.hpp for why).
//
// exp(x): x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (Cody-Waite, two-part ln2),
// e^r by a degree-6 minimax polynomial (Cephes expf), and 2^n applied as two exact power-of-two
// factors so that results in the denormal range are rounded once, like a correctly working libm.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstdint>

namespace {

template <class Arch>
struct VectorMath {
  using V = xsimd::batch<float, Arch>;
  using I = xsimd::batch<std::int32_t, Arch>;

  // 2^n for integer-valued n in [-126, 127], built from the exponent bits.
  static V pow2(const I& n) { return xsimd::bitwise_cast<V>((n + I(127)) << 23); }

  static V exp(const V& x) {
    const V log2e(1.44269504088896341f);
    const V round_magic(12582912.0f);  // 1.5 * 2^23: adding it rounds to the nearest integer
    const V ln2_hi(0.693359375f), ln2_lo(-2.12194440e-4f);
    // Outside [-104, 89] the result is 0 or inf anyway; clamping keeps n within two factors' range.
    const V xc = xsimd::min(xsimd::max(x, V(-104.0f)), V(89.0f));
    const V n = xsimd::fma(xc, log2e, round_magic) - round_magic;
    V r = xsimd::fnma(n, ln2_hi, xc);
    r = xsimd::fnma(n, ln2_lo, r);
    V p(1.9875691500e-4f);
    p = xsimd::fma(p, r, V(1.3981999507e-3f));
    p = xsimd::fma(p, r, V(8.3334519073e-3f));
    p = xsimd::fma(p, r, V(4.1665795894e-2f));
    p = xsimd::fma(p, r, V(1.6666665459e-1f));
    p = xsimd::fma(p, r, V(5.0000001201e-1f));
    const V e_r = xsimd::fma(p, r * r, r) + V(1.0f);
    const I ni = xsimd::to_int(n);
    const I half = ni >> 1;
    const V y = (e_r * pow2(half)) * pow2(ni - half);
    return xsimd::select(xsimd::isnan(x), x, y);
  }

  // (x >= 0 ? 1 : e) / (1 + e) with e = exp(-|x|): never overflows, and exact in the far left tail
  // where sigmoid(x) ~ exp(x) is denormal.
  static V sigmoid(const V& x) {
    const V e = exp(-xsimd::abs(x));
    return xsimd::select(x >= V(0.0f), V(1.0f), e) / (V(1.0f) + e);
  }

  // Small |x|: odd minimax polynomial (Cephes tanhf). Otherwise (1 - e) / (1 + e), e = exp(-2|x|).
  static V tanh(const V& x) {
    const V ax = xsimd::abs(x);
    const V z = x * x;
    V p(-5.70498872745e-3f);
    p = xsimd::fma(p, z, V(2.06390887954e-2f));
    p = xsimd::fma(p, z, V(-5.37397155531e-2f));
    p = xsimd::fma(p, z, V(1.33314422036e-1f));
    p = xsimd::fma(p, z, V(-3.33332819422e-1f));
    const V small = xsimd::fma(p * z, ax, ax);
    const V e = exp(V(-2.0f) * ax);
    const V large = (V(1.0f) - e) / (V(1.0f) + e);
    // tanh is odd: work on |x|, then give the result x's sign (so tanh(-0) = -0).
    return xsimd::copysign(xsimd::select(ax < V(0.625f), small, large), x);
  }
};

}  // namespace
