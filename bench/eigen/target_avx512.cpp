// The Eigen peer compiled for the avx512 target; CMake gives only this file its -march level.
#define SIMDML_EIGEN_NAMESPACE simdml_eigen_avx512
#include "kernels.hpp"
#include "targets.hpp"

namespace simdml::bench::eigen_detail {

constinit const EigenActivations eigen_avx512 = EigenKernels::table("eigen-avx512", Isa::avx512);

}  // namespace simdml::bench::eigen_detail
