// The Eigen peer compiled for the avx2 target; CMake gives only this file its -march level.
#define SIMDML_EIGEN_NAMESPACE simdml_eigen_avx2
#include "kernels.hpp"
#include "targets.hpp"

namespace simdml::bench::eigen_detail {

constinit const EigenActivations eigen_avx2 = EigenKernels::table("eigen-avx2", Isa::avx2);

}  // namespace simdml::bench::eigen_detail
