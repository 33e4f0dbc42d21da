// Moves of whole vectors and of a vector's first lanes, for the edges of C (the micro-kernel) and
// of op(B) (packing). Only target translation units include this; everything has internal linkage.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace {

template <class V>
struct WholeVector {
  static V load(const float* p) { return V::load_unaligned(p); }
  static void store(float* p, const V& v) { v.store_unaligned(p); }
};

// Moves of a vector's first `lanes` (0..W) lanes that never touch the memory past them: the lanes
// beyond a matrix's last column may belong to another matrix or lie past the end of the allocation.
// AVX and AVX-512 mask the lanes off (masked loads do not fault there); SSE2 goes through a buffer.
// load() fills the other lanes with zeros; load_or() (AVX and AVX-512 only) with `rest`.
template <class V, int W = static_cast<int>(V::size)>
class PartialVector {
 public:
  explicit PartialVector(std::int64_t lanes) : lanes_(lanes) {}
  V load(const float* p) const {
    alignas(64) float buffer[W] = {};
    std::copy_n(p, lanes_, buffer);
    return V::load_aligned(buffer);
  }
  void store(float* p, const V& v) const {
    alignas(64) float buffer[W];
    v.store_aligned(buffer);
    std::copy_n(buffer, lanes_, p);
  }

 private:
  std::int64_t lanes_;
};

#ifdef __AVX__
template <class V>
class PartialVector<V, 8> {
 public:
  explicit PartialVector(std::int64_t lanes) {
    alignas(32) static constexpr std::int32_t kOnesThenZeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1};
    mask_ = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kOnesThenZeros + 8 - lanes));
  }
  V load(const float* p) const { return V(_mm256_maskload_ps(p, mask_)); }
  V load_or(const float* p, const V& rest) const {
    return V(_mm256_blendv_ps(rest, _mm256_maskload_ps(p, mask_), _mm256_castsi256_ps(mask_)));
  }
  void store(float* p, const V& v) const { _mm256_maskstore_ps(p, mask_, v); }

 private:
  __m256i mask_;
};
#endif

#ifdef __AVX512F__
template <class V>
class PartialVector<V, 16> {
 public:
  explicit PartialVector(std::int64_t lanes) : mask_(static_cast<__mmask16>((1u << lanes) - 1)) {}
  V load(const float* p) const { return V(_mm512_maskz_loadu_ps(mask_, p)); }
  V load_or(const float* p, const V& rest) const { return V(_mm512_mask_loadu_ps(rest, mask_, p)); }
  void store(float* p, const V& v) const { _mm512_mask_storeu_ps(p, mask_, v); }

 private:
  __mmask16 mask_;
};
#endif

}  // namespace
