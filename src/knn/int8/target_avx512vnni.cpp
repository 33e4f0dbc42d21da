// The int8 k-NN kernels for AVX-512 VNNI: 16 int32 lanes, 8 x 32 tiles. vpdpbusd multiplies four
// unsigned bytes by four signed bytes and adds the four products to an int32 lane, all in one
// instruction: twice the features of pmaddwd per instruction, with no widening and no separate
// add. The training bytes are the unsigned operand, as they are; the broadcast query word is the
// signed one (q - 128, see kernels.hpp), which lets it come straight from memory as the
// instruction's embedded broadcast.
#include "knn/int8/avx512_ops.hpp"
#include "knn/int8/register_tiles.hpp"
#include "knn/int8/tile.hpp"

namespace simdml::knn_detail {
namespace {

struct VnniOps : Avx512Ops {
  static constexpr int kRows =
      8;  // 16 accumulators, 2 training vectors, 1 query word (GCC 12 spills from 10 rows)
  static constexpr int kFeaturesPerWord = 4, kQueryOffset = 128;

  static Vector load_train(const std::uint8_t* p) { return _mm512_loadu_si512(p); }
  static Vector dot_add(Vector acc, Vector query_word, Vector train) {
    return _mm512_dpbusd_epi32(acc, train,
                               query_word);  // unsigned train bytes x signed query bytes
  }
};

}  // namespace

constinit const Int8Kernels int8_avx512vnni = Int8Tile<VnniOps>::table(Isa::avx512);
static_assert(Int8Tile<VnniOps>::MR == kInt8TileAvx512Vnni.rows &&
                  Int8Tile<VnniOps>::NR == kInt8TileAvx512Vnni.columns,
              "the kernel list publishes this kernel's tile");

}  // namespace simdml::knn_detail
