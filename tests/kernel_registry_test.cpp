// The three kernel lists (GEMM, activations, k-NN) behave as one: the same lookup, the same
// dispatch rule, the same wording for unknown and unsupported names.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "simdml/activations.hpp"
#include "simdml/gemm.hpp"
#include "simdml/kernel_registry.hpp"
#include "simdml/knn.hpp"

namespace simdml {
namespace {

std::string message_of(auto&& call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

template <class Kernel>
void expect_one_behaviour(const KernelRegistry<Kernel>& registry, const std::string& family) {
  SCOPED_TRACE(family);
  const std::string unknown = message_of([&] { registry.find("fast"); });
  EXPECT_EQ(unknown.rfind("unknown " + family + " kernel 'fast' (choose from ", 0), 0u) << unknown;
  for (const Kernel& k : registry.kernels()) {
    EXPECT_NE(unknown.find(std::string(k.name)), std::string::npos) << k.name;
    if (runs_here(k)) {
      EXPECT_EQ(&registry.find(k.name), &k);
      continue;
    }
    const std::string unsupported = message_of([&] { registry.find(k.name); });
    EXPECT_EQ(unsupported.rfind(family + " kernel '" + std::string(k.name) + "' needs ", 0), 0u);
    EXPECT_NE(unsupported.find(", which this CPU does not provide"), std::string::npos);
  }
  // Every variant dispatches to a kernel of that variant the active target allows.
  for (const Kernel& k : registry.kernels()) {
    const Kernel& chosen = registry.dispatched(k.variant);
    EXPECT_EQ(chosen.variant, k.variant);
    EXPECT_LE(static_cast<int>(chosen.isa), static_cast<int>(active_isa()));
    EXPECT_TRUE(runs_here(chosen));
  }
}

TEST(KernelRegistry, EveryListLooksUpAndFailsAlike) {
  expect_one_behaviour(gemm_registry(), "GEMM");
  expect_one_behaviour(activation_registry(), "activation");
  expect_one_behaviour(knn_registry(), "k-NN");
}

TEST(KernelRegistry, ChoicesListVariantsThenTheirKernels) {
  EXPECT_EQ(gemm_registry().choices(), "naive, blocked, simd, simd-sse2, simd-avx2, simd-avx512");
  EXPECT_EQ(activation_registry().choices(), "reference, simd, simd-sse2, simd-avx2, simd-avx512");
  EXPECT_EQ(knn_registry().choices(),
            "naive, blocked, int8, int8-sse2, int8-avx2, int8-avx512, int8-avx512vnni, int8-amx, "
            "pruned, pruned-sse2, pruned-avx2, pruned-avx512, pruned-avx512vnni, pruned-amx, "
            "adaptive, adaptive-sse2, adaptive-avx2, adaptive-avx512, adaptive-avx512vnni, "
            "adaptive-amx");
}

TEST(KernelRegistry, ACapLowersEveryDispatchedKernel) {
  set_isa_cap(Isa::sse2);
  EXPECT_EQ(gemm_kernel("simd").name, "simd-sse2");
  EXPECT_EQ(activations().name, "simd-sse2");
  EXPECT_EQ(knn_kernel("int8").name, "int8-sse2");
  set_isa_cap(std::nullopt);
  EXPECT_EQ(gemm_kernel(GemmVariant::simd).isa, active_isa());
}

TEST(KernelRegistry, UnsupportedWordingNamesTheExtension) {
  EXPECT_THROW(
      registry_detail::throw_unsupported("k-NN", "int8-amx", Isa::avx512, Extension::amx_int8),
      std::invalid_argument);
  const std::string text = message_of([] {
    registry_detail::throw_unsupported("k-NN", "int8-amx", Isa::avx512, Extension::amx_int8);
  });
  EXPECT_EQ(text,
            "k-NN kernel 'int8-amx' needs avx512 and amx-int8, which this CPU does not provide");
}

TEST(KernelRegistry, SgemmAndFindNeighborsRefuseAKernelThisCpuCannotRun) {
  for (const GemmKernel& k : gemm_kernels()) {
    if (runs_here(k)) continue;
    float c = 0;
    EXPECT_THROW(sgemm(k, {Trans::no, Trans::no, 1, 1, 1, 1, &c, 1, &c, 1, 0, &c, 1}),
                 std::invalid_argument);
  }
  for (const KnnKernel& k : knn_kernels()) {
    if (runs_here(k)) continue;
    Dataset d;
    d.samples = 1, d.features = 1, d.x = {0.0f}, d.pixels = {0}, d.labels = {0};
    EXPECT_THROW(find_neighbors(k, d, d, KnnSearch{1, 1}), std::invalid_argument);
  }
}

}  // namespace
}  // namespace simdml
