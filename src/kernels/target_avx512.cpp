#include "kernels/peak_loop.hpp"

namespace simdml::peak_detail {

std::int64_t fma_peak_loop_avx512(std::int64_t iterations) {
  return fma_peak_loop<xsimd::avx512bw>(iterations);
}

}  // namespace simdml::peak_detail
