// The AVX-512 integer operations the AVX-512 int8 targets share (avx512, avx512vnni and amx): 16
// int32 lanes. Only those translation units include this; internal linkage keeps them apart.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace simdml::knn_detail {
namespace {

struct Avx512Ops {
  using Vector = __m512i;
  static constexpr int kLanes = 16;

  static Vector zero() { return _mm512_setzero_si512(); }
  static Vector widen_pairs(const std::uint8_t* p) {
    return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static Vector broadcast(std::int32_t w) { return _mm512_set1_epi32(w); }
  static Vector madd(Vector a, Vector b) { return _mm512_madd_epi16(a, b); }
  static Vector add(Vector a, Vector b) { return _mm512_add_epi32(a, b); }
  static Vector sub(Vector a, Vector b) { return _mm512_sub_epi32(a, b); }
  static Vector load(const std::int32_t* p) { return _mm512_loadu_si512(p); }
  static void store(std::int32_t* p, Vector v) { _mm512_storeu_si512(p, v); }
  // Through memory: GCC 12 warns (-Wuninitialized, inside its headers) on every intrinsic that
  // reaches the upper 256 bits.
  static std::int32_t reduce_add(Vector v) {
    alignas(64) std::int32_t lanes[kLanes];
    _mm512_store_si512(lanes, v);
    std::int32_t sum = 0;
    for (const std::int32_t lane : lanes) sum += lane;
    return sum;
  }
  static bool any_at_most(Vector d, std::int32_t bound) {
    return _mm512_cmple_epi32_mask(d, _mm512_set1_epi32(bound)) != 0;
  }
  // The lanes of d at most bound, packed to the front of two whole-vector stores: their indices
  // (first + lane) and values. In registers, then stored: the memory form of vpcompressd is
  // microcoded on Zen 4.
  static int compress_at_most(Vector d, std::int32_t bound, std::int32_t first, std::int32_t* rows,
                              std::int32_t* values) {
    const __mmask16 kept = _mm512_cmple_epi32_mask(d, _mm512_set1_epi32(bound));
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i index = _mm512_add_epi32(_mm512_set1_epi32(first), lanes);
    _mm512_storeu_si512(rows, _mm512_maskz_compress_epi32(kept, index));
    _mm512_storeu_si512(values, _mm512_maskz_compress_epi32(kept, d));
    return __builtin_popcount(kept);
  }
};

}  // namespace
}  // namespace simdml::knn_detail
