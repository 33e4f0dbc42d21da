#include <stdexcept>
#include <string>

#include "simdml/peak.hpp"

namespace simdml {
namespace peak_detail {
std::int64_t fma_peak_loop_sse2(std::int64_t iterations);
std::int64_t fma_peak_loop_avx2(std::int64_t iterations);
std::int64_t fma_peak_loop_avx512(std::int64_t iterations);
}  // namespace peak_detail

std::int64_t run_fma_peak_loop(Isa isa, std::int64_t iterations) {
  if (!isa_supported(isa))
    throw std::invalid_argument("the FMA peak loop for " + std::string(isa_name(isa)) +
                                " needs a CPU that has it");
  switch (isa) {
    case Isa::sse2:
      return peak_detail::fma_peak_loop_sse2(iterations);
    case Isa::avx2:
      return peak_detail::fma_peak_loop_avx2(iterations);
    case Isa::avx512:
      return peak_detail::fma_peak_loop_avx512(iterations);
  }
  return 0;
}

}  // namespace simdml
