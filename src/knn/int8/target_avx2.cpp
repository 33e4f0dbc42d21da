// The int8 k-NN kernels for the avx2 target: 8 int32 lanes, 5 x 16 tiles.
#include <immintrin.h>

#include "knn/int8/register_tiles.hpp"
#include "knn/int8/tile.hpp"

namespace simdml::knn_detail {
namespace {

struct Avx2Ops {
  using Vector = __m256i;
  static constexpr int kLanes = 8;
  static constexpr int kRows =
      5;  // 10 accumulators + 2 training vectors + 1 query word (6 rows made GCC spill)

  static Vector zero() { return _mm256_setzero_si256(); }
  static Vector widen_pairs(const std::uint8_t* p) {
    return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static Vector broadcast(std::int32_t w) { return _mm256_set1_epi32(w); }
  static Vector madd(Vector a, Vector b) { return _mm256_madd_epi16(a, b); }
  static Vector add(Vector a, Vector b) { return _mm256_add_epi32(a, b); }
  static Vector sub(Vector a, Vector b) { return _mm256_sub_epi32(a, b); }
  static Vector load(const std::int32_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static void store(std::int32_t* p, Vector v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  }
  static std::int32_t reduce_add(Vector v) {
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
    return _mm_cvtsi128_si32(_mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1)));
  }
  static bool any_at_most(Vector d, std::int32_t bound) {
    return _mm256_movemask_epi8(_mm256_cmpgt_epi32(d, _mm256_set1_epi32(bound))) != -1;
  }
};

}  // namespace

constinit const Int8Kernels int8_avx2 = Int8Tile<PairWords<Avx2Ops>>::table(Isa::avx2);
static_assert(Int8Tile<PairWords<Avx2Ops>>::MR == kInt8TileAvx2.rows &&
                  Int8Tile<PairWords<Avx2Ops>>::NR == kInt8TileAvx2.columns,
              "the kernel list publishes this kernel's tile");

}  // namespace simdml::knn_detail
