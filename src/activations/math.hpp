// Vector exp, sigmoid and tanh on xsimd batches. Only per-target translation units include this;
// everything has internal linkage (see src/gemm/simd/loops.hpp for why).
//
// exp(x): x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (Cody-Waite, two-part ln2),
// e^r by a degree-6 minimax polynomial, and 2^n applied as two exact power-of-two factors so that
// results in the denormal range are rounded once, like a correctly working libm. Degree 6 is the
// least that is accurate enough: with float coefficients its relative error on [-ln2/2, ln2/2] is
// 3.8e-9 (0.03 ULP at 1), so the result's error is its roundings; degree 5 errs by 0.9 ULP, and
// degree 7 (Cephes expf) costs one more FMA for nothing. Fitted by research/fit_exp_polynomial.py.
#pragma once

#include <xsimd/xsimd.hpp>

#include <array>
#include <cstdint>

#include "kernels/fused.hpp"

namespace {

template <class Arch>
struct VectorMath {
  using V = xsimd::batch<float, Arch>;
  using I = xsimd::batch<std::int32_t, Arch>;

  // 2^n for integer-valued n in [-126, 127], built from the exponent bits.
  static V pow2(const I& n) { return xsimd::bitwise_cast<V>((n + I(127)) << 23); }

  // e^x = 2^n e^r: returns e^r and sets n_bits, for |x| <= 104 (so that n fits two power-of-two
  // factors). n is rounded by adding 1.5 * 2^23, which leaves n in the low mantissa bits, so
  // n_bits (the sum's bits) gives n without a float-to-int conversion: n = n_bits - kRoundBits,
  // and n << 23 = n_bits << 23 since the constant's bits shift out.
  static constexpr std::int32_t kRoundBits = 0x4B400000;  // the bits of 1.5 * 2^23
  // kNegate computes e^-x instead (sigmoid's fast path), the negation folded into the reduction:
  // the same roundings as negating x first, without the extra instruction.
  template <bool kNegate = false>
  static V exp_reduced(const V& x, I& n_bits) {
    const V log2e(kNegate ? -1.44269504088896341f : 1.44269504088896341f);
    const V round_magic(12582912.0f);  // 1.5 * 2^23: adding it rounds to the nearest integer
    const V ln2_hi(0.693359375f), ln2_lo(-2.12194440e-4f);
    const V biased = fused::fma(x, log2e, round_magic);
    n_bits = xsimd::bitwise_cast<I>(biased);
    const V n = biased - round_magic;
    // r = (+-x) - n ln2_hi, one rounding of the exact value either way, then - n ln2_lo.
    V r = kNegate ? fused::fnms(n, ln2_hi, x) : fused::fnma(n, ln2_hi, x);
    r = fused::fnma(n, ln2_lo, r);
    // e^r = 1 + r + r^2 P(r), P of degree 4 by Estrin's scheme: three dependent steps, not four.
    const V r2 = r * r;
    const V q0 = fused::fma(V(1.66665211e-1f), r, V(4.99999940e-1f));
    const V q1 = fused::fma(V(8.36870819e-3f), r, V(4.16683890e-2f));
    const V p = fused::fma(fused::fma(V(1.38145930e-3f), r2, q1), r2, q0);
    return fused::fma(p, r2, r) + V(1.0f);
  }

  // The common case, every |x| <= 86: the result is a normal float and 2^n is applied by adding n
  // to the exponent bits, exactly what multiplying by 2^n would give.
  template <bool kNegate = false>
  static V exp_normal_range(const V& x) {
    I n_bits;
    const V e_r = exp_reduced<kNegate>(x, n_bits);
    return xsimd::bitwise_cast<V>(xsimd::bitwise_cast<I>(e_r) + (n_bits << 23));
  }

  // Any x: clamp (beyond [-104, 89] the result is 0 or inf anyway) and apply 2^n as two factors,
  // so that denormal results are rounded once and results near FLT_MAX do not overflow early.
  // The bound goes first in min/max: x86 returns the second operand when one is NaN, so NaN
  // passes through the clamp and on to the result.
  static V exp_any_range(const V& x) {
    const V xc = xsimd::min(V(89.0f), xsimd::max(V(-104.0f), x));
    I n_bits;
    const V e_r = exp_reduced(xc, n_bits);
    const I n = n_bits - I(kRoundBits);
    const I half = n >> 1;
    return (e_r * pow2(half)) * pow2(n - half);
  }

  static V exp(const V& x) {
    return xsimd::all(xsimd::abs(x) <= V(86.0f)) ? exp_normal_range(x) : exp_any_range(x);
  }

  // exp for x <= 0 or NaN (sigmoid's and tanh's exp(-|x|), softmax's exp(x - max)): the same
  // result as exp, with a range test of one comparison (NaN fails it, as it fails exp's).
  static V exp_nonpositive(const V& x) {
    return xsimd::all(x >= V(-86.0f)) ? exp_normal_range(x) : exp_any_range(x);
  }

  // For |x| <= 86, 1 / (1 + e^-x): e^-x is a normal float and the sum does not overflow. For
  // x < 0 the formula doubles e^-x's error in ULP of the result: 2.48 ULP at worst over all floats,
  // against 2.28 for the form below, which costs a compare and a blend more. Beyond 86,
  // (x >= 0 ? 1 : e) / (1 + e) with e = e^-|x|: never overflows, and exact in the far left tail
  // where sigmoid(x) ~ e^x is denormal. A vector with any lane beyond takes the second branch,
  // which still gives in-range lanes the first formula's bits, so that no result depends on its
  // neighbours.
  static V sigmoid(const V& x) {
    const auto in_range = xsimd::abs(x) <= V(86.0f);
    if (xsimd::all(in_range)) return sigmoid_in_range(x);
    const V e = exp_any_range(xsimd::bitwise_or(x, V(-0.0f)));  // -|x|: set the sign bit
    const V tail = xsimd::select(x >= V(0.0f), V(1.0f), e) / (V(1.0f) + e);
    return xsimd::select(in_range, sigmoid_in_range(xsimd::select(in_range, x, V(0.0f))), tail);
  }
  static V sigmoid_in_range(const V& x) { return V(1.0f) / (V(1.0f) + exp_normal_range<true>(x)); }

  // The numerator's and denominator's constants, u - 1/2 and u + 1/2 for u = 2^-(n+1), n in
  // [-26, 0], from the bits of n + round_magic (see exp_reduced), whose low five bits are n mod
  // 32: two 32-entry table lookups on AVX-512, exponent arithmetic and two additions elsewhere.
  // Both are exact.
  static void tanh_offsets(const V& biased, V& below, V& above) {
    if constexpr (fused::kIsAvx512<Arch>) {
      alignas(64) static constexpr auto kTables = [] {
        std::array<float, 64> t{};
        for (int k = -26; k <= 0; ++k) {
          float u = 0.5f;
          for (int i = 0; i < -k; ++i) u *= 2.0f;
          t[static_cast<std::size_t>(k & 31)] = u - 0.5f;
          t[32 + static_cast<std::size_t>(k & 31)] = u + 0.5f;
        }
        return t;
      }();
      const __m512i index = _mm512_castps_si512(biased);
      below = _mm512_permutex2var_ps(_mm512_load_ps(kTables.data()), index,
                                     _mm512_load_ps(kTables.data() + 16));
      above = _mm512_permutex2var_ps(_mm512_load_ps(kTables.data() + 32), index,
                                     _mm512_load_ps(kTables.data() + 48));
    } else {
      const V u = xsimd::bitwise_cast<V>(xsimd::bitwise_cast<I>(V(0.5f)) -
                                         (xsimd::bitwise_cast<I>(biased) << 23));
      below = u - V(0.5f);
      above = u + V(0.5f);
    }
  }

  // tanh(a) = (1 - e^-2a) / (1 + e^-2a) for a = |x| clamped to 9.125 (beyond it tanh rounds to
  // 1, and e^-2a stays a normal float, so no range test), then x's sign. e^-2a = 2^n e^r by exp's
  // reduction and polynomial (see exp_reduced), computed as m = (1 - e^r) / 2, which is accurate
  // near 0 where the numerator needs it: there r = -2a exactly, and m = a + O(a^2). Numerator and
  // denominator are then divided by 2^(n+1), exactly: tanh = (u - 1/2 + m) / (u + 1/2 - m) with
  // u = 2^-(n+1) >= 1/2, so u - 1/2 is exact and each side is rounded once. The reduction is
  // written in h = -r / 2 = a + n ln2 / 2 with every constant scaled by a power of two: the same
  // roundings, without multiplying by -2. One-part ln2 suffices, as its error, n (ln2 - ln2_f),
  // reaches the result scaled by 2^n. NaN passes the clamp (bound first).
  static V tanh(const V& x) {
    const V a = xsimd::min(V(9.125f), xsimd::abs(x));
    const V round_magic(12582912.0f);
    const V biased = fused::fma(a, V(-2.0f * 1.44269504088896341f), round_magic);
    const V n = biased - round_magic;
    const V h = fused::fma(n, V(0.5f * 0.693147180559945309f), a);
    const V h2 = h * h;
    const V q0 = fused::fma(V(4.0f * 1.66665211e-1f), h, V(-2.0f * 4.99999940e-1f));
    const V q1 = fused::fma(V(16.0f * 8.36870819e-3f), h, V(-8.0f * 4.16683890e-2f));
    const V p = fused::fma(fused::fma(V(-32.0f * 1.38145930e-3f), h2, q1), h2, q0);
    const V m = fused::fma(p, h2, h);  // (1 - e^r) / 2 = h - 2 h^2 P(-2 h)
    V below, above;
    tanh_offsets(biased, below, above);
    const V t = (below + m) / (above - m);
    // t >= 0 (+0 at a = 0), so its sign bit is clear: OR in x's (tanh(-0) = -0).
    return xsimd::bitwise_or(t, xsimd::bitwise_and(x, V(-0.0f)));
  }
};

}  // namespace
