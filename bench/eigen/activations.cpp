// The list of Eigen sets, built for baseline x86-64 like the rest of the benchmark.
#include "activations.hpp"

#include <vector>

#include "targets.hpp"

namespace simdml::bench {

std::span<const EigenActivations> eigen_activation_sets() {
  static const std::vector<EigenActivations> sets = {
      eigen_detail::eigen_sse2, eigen_detail::eigen_avx2, eigen_detail::eigen_avx512};
  return sets;
}

}  // namespace simdml::bench
