// The int8 k-NN kernels for the avx512 target (AVX-512 BW): 16 int32 lanes, 10 x 32 tiles.
#include <immintrin.h>

#include "tile.hpp"

namespace simdml::knn_detail {
namespace {

struct Avx512Ops {
  using Vector = __m512i;
  static constexpr int kLanes = 16;
  static constexpr int kRows = 10;  // 20 accumulators + 2 training vectors + 1 query word of 32 registers

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
  static bool any_at_most(Vector d, std::int32_t bound) {
    return _mm512_cmple_epi32_mask(d, _mm512_set1_epi32(bound)) != 0;
  }
};

}  // namespace

constinit const Int8Kernels int8_avx512 = Int8Tile<Avx512Ops>::table(Isa::avx512);

}  // namespace simdml::knn_detail
