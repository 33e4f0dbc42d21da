#include "kernels/peak_loop.hpp"

namespace simdml::peak_detail {

std::int64_t fma_peak_loop_avx2(std::int64_t iterations) {
  return fma_peak_loop<xsimd::fma3<xsimd::avx2>>(iterations);
}

}  // namespace simdml::peak_detail
