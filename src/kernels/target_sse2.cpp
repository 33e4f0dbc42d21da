#include "kernels/peak_loop.hpp"

namespace simdml::peak_detail {

std::int64_t fma_peak_loop_sse2(std::int64_t iterations) {
  return fma_peak_loop<xsimd::sse2>(iterations);
}

}  // namespace simdml::peak_detail
