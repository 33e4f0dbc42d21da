// The Eigen peer compiled for the sse2 target; CMake gives only this file its -march level.
#define SIMDML_EIGEN_NAMESPACE simdml_eigen_sse2
#include "kernels.hpp"
#include "targets.hpp"

namespace simdml::bench::eigen_detail {

constinit const EigenActivations eigen_sse2 = EigenKernels::table("eigen-sse2", Isa::sse2);

}  // namespace simdml::bench::eigen_detail
