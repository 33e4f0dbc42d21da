// The Eigen peer compiled for the sse2 target; CMake gives only this file its -march level.
#define SIMDML_EIGEN_NAMESPACE simdml_eigen_sse2
#include "kernels.hpp"
#include "targets.hpp"

namespace simdml::bench::eigen_detail {

constinit const EigenActivations eigen_sse2 = EigenKernels::table("eigen-sse2", Isa::sse2);

}  // namespace simdml::bench::eigen_detail

namespace simdml::bench {

// Here, in a unit that includes Eigen, for its version macros.
#define SIMDML_STRING(x) #x
#define SIMDML_VERSION_STRING(a, b, c) SIMDML_STRING(a) "." SIMDML_STRING(b) "." SIMDML_STRING(c)
std::string_view eigen_version() {
  return SIMDML_VERSION_STRING(EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
}

}  // namespace simdml::bench
