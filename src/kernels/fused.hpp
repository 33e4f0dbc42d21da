// Fused multiply-adds on xsimd batches: one rounding, one instruction, on every FMA target.
//
// Why not xsimd::fma: xsimd 8.1 (Debian 12's libxsimd-dev) implements fma, fnma and fnms with FMA
// instructions for fma3<avx2> but not for the avx512 architectures, where they fall back to
// x * y + z: two instructions and two roundings. The AVX-512 GEMM then ran at half its peak, and
// its results differed from AVX2's, breaking the promise that the FMA targets agree bitwise. On a
// target without FMA hardware (sse2) these stay xsimd's two-rounding forms, as before.
//
// Call them as fused::fma and so on. Only per-target translation units include this; everything
// has internal linkage (see src/gemm/simd/loops.hpp for why).
#pragma once

#include <immintrin.h>

#include <xsimd/xsimd.hpp>

#include <type_traits>

namespace {
namespace fused {

template <class Arch>
constexpr bool kIsAvx512 = std::is_base_of_v<xsimd::avx512f, Arch>;

// x * y + z
template <class Arch>
xsimd::batch<float, Arch> fma(const xsimd::batch<float, Arch>& x,
                              const xsimd::batch<float, Arch>& y,
                              const xsimd::batch<float, Arch>& z) {
  if constexpr (kIsAvx512<Arch>)
    return _mm512_fmadd_ps(x, y, z);
  else
    return xsimd::fma(x, y, z);
}

// -(x * y) + z
template <class Arch>
xsimd::batch<float, Arch> fnma(const xsimd::batch<float, Arch>& x,
                               const xsimd::batch<float, Arch>& y,
                               const xsimd::batch<float, Arch>& z) {
  if constexpr (kIsAvx512<Arch>)
    return _mm512_fnmadd_ps(x, y, z);
  else
    return xsimd::fnma(x, y, z);
}

// -(x * y) - z
template <class Arch>
xsimd::batch<float, Arch> fnms(const xsimd::batch<float, Arch>& x,
                               const xsimd::batch<float, Arch>& y,
                               const xsimd::batch<float, Arch>& z) {
  if constexpr (kIsAvx512<Arch>)
    return _mm512_fnmsub_ps(x, y, z);
  else
    return xsimd::fnms(x, y, z);
}

}  // namespace fused
}  // namespace
