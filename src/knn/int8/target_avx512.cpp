// The int8 k-NN kernels for the avx512 target (AVX-512 BW): 16 int32 lanes, 10 x 32 tiles.
#include "knn/int8/avx512_ops.hpp"
#include "knn/int8/register_tiles.hpp"
#include "knn/int8/tile.hpp"

namespace simdml::knn_detail {
namespace {

struct Avx512PairOps : Avx512Ops {
  static constexpr int kRows =
      10;  // 20 accumulators + 2 training vectors + 1 query word of 32 registers
};

}  // namespace

constinit const Int8Kernels int8_avx512 = Int8Tile<PairWords<Avx512PairOps>>::table(Isa::avx512);
static_assert(Int8Tile<PairWords<Avx512PairOps>>::MR == kInt8TileAvx512.rows &&
                  Int8Tile<PairWords<Avx512PairOps>>::NR == kInt8TileAvx512.columns,
              "the kernel list publishes this kernel's tile");

}  // namespace simdml::knn_detail
