// The int8 k-NN kernels for the sse2 target (baseline x86-64): 4 int32 lanes, 5 x 8 tiles.
#include <emmintrin.h>

#include "knn/int8/register_tiles.hpp"
#include "knn/int8/tile.hpp"

namespace simdml::knn_detail {
namespace {

struct Sse2Ops {
  using Vector = __m128i;
  static constexpr int kLanes = 4;
  static constexpr int kRows =
      5;  // 10 accumulators + 2 training vectors + 1 query word (6 rows made GCC spill)

  static Vector zero() { return _mm_setzero_si128(); }
  static Vector widen_pairs(const std::uint8_t* p) {
    return _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)),
                             _mm_setzero_si128());
  }
  static Vector broadcast(std::int32_t w) { return _mm_set1_epi32(w); }
  static Vector madd(Vector a, Vector b) { return _mm_madd_epi16(a, b); }
  static Vector add(Vector a, Vector b) { return _mm_add_epi32(a, b); }
  static Vector sub(Vector a, Vector b) { return _mm_sub_epi32(a, b); }
  static Vector load(const std::int32_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static void store(std::int32_t* p, Vector v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
  }
  static std::int32_t reduce_add(Vector x) {
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
    return _mm_cvtsi128_si32(_mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1)));
  }
  static bool any_at_most(Vector d, std::int32_t bound) {
    return _mm_movemask_epi8(_mm_cmpgt_epi32(d, _mm_set1_epi32(bound))) != 0xffff;
  }
};

}  // namespace

constinit const Int8Kernels int8_sse2 = Int8Tile<PairWords<Sse2Ops>>::table(Isa::sse2);
static_assert(Int8Tile<PairWords<Sse2Ops>>::MR == kInt8TileSse2.rows &&
                  Int8Tile<PairWords<Sse2Ops>>::NR == kInt8TileSse2.columns,
              "the kernel list publishes this kernel's tile");

}  // namespace simdml::knn_detail
