// Mini-batches from a shuffled order: each thread gathers its rows into the batch's contiguous
// block, and starts fetching the next batch's rows a step ahead.
#include "nn/batches.hpp"

#include <algorithm>

namespace simdml::nn {

// Copies rows [share) of a mini-batch's shuffled rows into one contiguous block for the GEMMs (a
// pure copy: the bits do not depend on who copies). Images are gathered from their pixel bytes,
// scaled as the loader scaled x (the same bits): a quarter of the bytes to fetch from memory
// (with prefetch_rows, Nielsen's epoch ~6 % faster).
void gather_rows(const Dataset& data, const std::int64_t* order, UnitRange share,
                 const ElementwiseKernels& act, float* x, std::int32_t* labels) {
  const auto features = static_cast<std::size_t>(data.features);
  for (std::int64_t r = share.begin; r < share.end; ++r) {
    const std::int64_t i = order[r];
    if (data.pixels.empty())
      std::copy_n(data.row(i), features, x + r * data.features);
    else
      act.unit_from_bytes(data.pixels.data() + i * data.features, x + r * data.features, features);
    labels[r] = data.labels[static_cast<std::size_t>(i)];
  }
}

namespace {

// Starts fetching rows a step before they are gathered. They lie scattered over the dataset, where
// no hardware prefetcher finds them, so each would cost the gather a trip to memory. Capped per
// thread so that a large batch does not push its own working set out of L2.
constexpr std::int64_t kPrefetchBytes = 64 * 1024;

// A volatile asm statement, not __builtin_prefetch: GCC 12 counts a prefetch as free of side
// effects, and its dead-code elimination deleted the whole loop below (no prefetch was left in
// the object file).
void prefetch_line_to_l2(const char* p) { asm volatile("prefetcht1 %0" : : "m"(*p)); }

}  // namespace

void prefetch_rows(const Dataset& data, const std::int64_t* order, UnitRange share) {
  const bool images = !data.pixels.empty();  // the gather's source: pixel bytes, else the floats
  const char* base = images ? reinterpret_cast<const char*>(data.pixels.data())
                            : reinterpret_cast<const char*>(data.x.data());
  const std::int64_t row_bytes = data.features * (images ? 1 : std::int64_t{sizeof(float)});
  if (row_bytes == 0) return;
  for (std::int64_t r = share.begin;
       r < share.end && (r - share.begin + 1) * row_bytes <= kPrefetchBytes; ++r) {
    const char* row = base + order[r] * row_bytes;
    for (std::int64_t offset = 0; offset < row_bytes; offset += 64)
      prefetch_line_to_l2(row + offset);
    prefetch_line_to_l2(row + row_bytes - 1);  // the last line, when the row starts mid-line
  }
}

}  // namespace simdml::nn
