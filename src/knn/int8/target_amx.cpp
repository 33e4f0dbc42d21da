// The int8 k-NN kernel for AMX: 32 x 32 tiles of exact distances from tile matrix products.
//
// tdpbuud multiplies a 16 x 64 tile of unsigned bytes (16 queries, 64 features each) by a 64 x 16
// tile (64 features of 16 training rows, stored four features per 32-bit column element) and adds
// the 16 x 16 int32 dot products into a third tile: 16 K multiply-adds per instruction, exact, no
// offset needed (both operands unsigned). The eight tile registers hold two query tiles, two
// training tiles and the four 16 x 16 quarters of the 32 x 32 result.
//
// Layouts (kernels.hpp, F = 4, B = 16): a query panel holds, per block of 64 features, 32 rows of
// 64 bytes, so a query tile is 16 consecutive rows (stride 64 bytes). A training panel holds per
// word the 4 bytes of 32 rows side by side (128 bytes), so a training tile is 16 consecutive
// words' first or second half (stride 128 bytes). The products go straight into the distance
// rows; the epilogue then turns each dot product d into query norm + training norm - 2 d.
#include <immintrin.h>

#include "knn/int8/avx512_ops.hpp"
#include "knn/int8/register_tiles.hpp"
#include "knn/int8/tile.hpp"

namespace simdml::knn_detail {
namespace {

constexpr int kTileRows = 16, kTileBytes = 64;  // every tile: 16 rows of 64 bytes
constexpr int MR = 2 * kTileRows, NR = 2 * kTileRows, kWordsPerBlock = kTileBytes / 4;

// Tile registers (GCC's tile intrinsics paste the number into the instruction, so it must be a
// literal): tmm0-1 queries, tmm2-3 training rows, tmm4-7 results, tmm(4 + 2 q + t).
constexpr int kTilesUsed = 8;

// LDTILECFG's 64-byte operand, palette 1.
struct alignas(64) TileConfig {
  std::uint8_t palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t bytes_per_row[16] = {};
  std::uint8_t rows[16] = {};
};

// Tile state belongs to a thread; each thread that runs the kernel configures it once.
void configure_tiles() {
  thread_local bool configured = false;
  if (configured) return;
  TileConfig config;
  for (int t = 0; t < kTilesUsed; ++t) {
    config.bytes_per_row[t] = kTileBytes;
    config.rows[t] = kTileRows;
  }
  _tile_loadconfig(&config);
  configured = true;
}

void amx_distance_tile(std::int64_t words, const std::int32_t* a, const std::uint8_t* b,
                       const std::int32_t* qn, const std::int32_t* tn, std::int32_t* dist,
                       std::int64_t ldd) {
  configure_tiles();
  const auto query_stride = kTileBytes, train_stride = NR * 4,
             dist_stride = static_cast<int>(ldd * 4);
  _tile_zero(4);
  _tile_zero(5);
  _tile_zero(6);
  _tile_zero(7);
  for (std::int64_t w = 0; w < words; w += kWordsPerBlock) {
    _tile_loadd(0, a, query_stride);
    _tile_loadd(1, a + kTileRows * kWordsPerBlock, query_stride);
    _tile_loadd(2, b, train_stride);
    _tile_loadd(3, b + kTileBytes, train_stride);
    _tile_dpbuud(4, 0, 2);
    _tile_dpbuud(5, 0, 3);
    _tile_dpbuud(6, 1, 2);
    _tile_dpbuud(7, 1, 3);
    a += MR * kWordsPerBlock;
    b += kWordsPerBlock * NR * 4;
  }
  _tile_stored(4, dist, dist_stride);
  _tile_stored(5, dist + kTileRows, dist_stride);
  _tile_stored(6, dist + kTileRows * ldd, dist_stride);
  _tile_stored(7, dist + kTileRows * ldd + kTileRows, dist_stride);
  const __m512i tn0 = _mm512_loadu_si512(tn), tn1 = _mm512_loadu_si512(tn + 16);
  for (int i = 0; i < MR; ++i) {
    std::int32_t* row = dist + i * ldd;
    const __m512i q = _mm512_set1_epi32(qn[i]);
    const __m512i d0 = _mm512_loadu_si512(row), d1 = _mm512_loadu_si512(row + 16);
    _mm512_storeu_si512(row, _mm512_sub_epi32(_mm512_add_epi32(q, tn0), _mm512_add_epi32(d0, d0)));
    _mm512_storeu_si512(row + 16,
                        _mm512_sub_epi32(_mm512_add_epi32(q, tn1), _mm512_add_epi32(d1, d1)));
  }
}

// row_dot for AMX's layout (F = 4, no offset: both operands unsigned), without AMX: bytes widened
// to int16 and multiplied in pairs, 32 features a step.
std::int32_t amx_row_dot(std::int64_t words, const std::int32_t* q, const std::uint8_t* t) {
  const auto* qb = reinterpret_cast<const std::uint8_t*>(q);
  __m512i acc = _mm512_setzero_si512();
  for (std::int64_t byte = 0; byte < 4 * words; byte += 32)
    acc = _mm512_add_epi32(acc, _mm512_madd_epi16(Avx512Ops::widen_pairs(qb + byte),
                                                  Avx512Ops::widen_pairs(t + byte)));
  return Avx512Ops::reduce_add(acc);
}

}  // namespace

constinit const Int8Kernels int8_amx = {Isa::avx512,
                                        MR,
                                        NR,
                                        4,
                                        0,
                                        kWordsPerBlock,
                                        amx_distance_tile,
                                        amx_row_dot,
                                        CandidateScan<Avx512Ops>::find_at_most,
                                        CandidateScan<Avx512Ops>::collect_at_most};
static_assert(MR == kInt8TileAmx.rows && NR == kInt8TileAmx.columns,
              "the kernel list publishes this kernel's tile");

}  // namespace simdml::knn_detail
