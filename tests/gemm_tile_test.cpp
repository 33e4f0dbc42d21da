// Each simd GEMM entry's micro-kernel alone (GemmKernel::run_tile), on the families XNNPACK's GEMM
// testers use: K below, at and above the K block; every partial row count and partial column
// count; C strided, with guards around it; alpha and beta cases, beta = 0 over NaN included.
// Every result must equal, bit for bit, the contract's scalar emulation (multiply-adds in
// increasing k, fused on the FMA targets, then alpha, then beta), and lie within K's rounding
// bound of a double reference.
// A failure names the tile, so a broken kernel is found without the loops around it.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernel_fixture.hpp"
#include "simdml/gemm.hpp"

namespace simdml {
namespace {

constexpr float kGuard = -123.25f;  // the value every element of C outside the tile keeps

struct TileCase {
  std::int64_t rows, kc, n_valid, ldc_pad;
  float alpha, beta;
  bool nan_in_c;  // C starts as NaN: with beta = 0 it must not be read
};

class GemmTileTest : public ::testing::TestWithParam<GemmKernel> {
 protected:
  void SetUp() override {
    if (GetParam().run_tile == nullptr) GTEST_SKIP() << GetParam().name << " has no micro-kernel";
    if (!runs_here(GetParam())) GTEST_SKIP() << GetParam().name << " cannot run on this CPU";
  }
  // x y + z as the target computes it: fused with FMA; else two roundings (this file is built with
  // -ffp-contract=off, so the compiler does not fuse it either).
  float multiply_add(float x, float y, float z) const {
    if (GetParam().isa == Isa::sse2) {
      const float product = x * y;
      return product + z;
    }
    return std::fma(x, y, z);
  }
  std::int64_t mr() const { return GetParam().tile.rows; }
  std::int64_t nr() const { return GetParam().tile.columns; }

  // Runs one tile and checks every element of C: the tile against the emulation and the double
  // reference, the guards unchanged.
  void check(const TileCase& t) {
    SCOPED_TRACE(::testing::Message() << GetParam().name << ": rows " << t.rows << " of " << mr()
                                      << ", kc " << t.kc << ", columns " << t.n_valid << " of "
                                      << nr() << ", ldc +" << t.ldc_pad << ", alpha " << t.alpha
                                      << ", beta " << t.beta << (t.nan_in_c ? ", NaN in C" : ""));
    std::mt19937 rng(static_cast<std::uint32_t>(t.rows * 7919 + t.kc * 131 + t.n_valid));
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::vector<float> a(static_cast<std::size_t>(t.kc * mr())), b(std::size_t(t.kc * nr()));
    for (float& x : a) x = value(rng);
    for (float& x : b) x = value(rng);
    const std::int64_t ldc = nr() + t.ldc_pad, c_rows = mr() + 2;  // a guard row below
    std::vector<float> c(static_cast<std::size_t>(c_rows * ldc), kGuard), before;
    for (std::int64_t i = 0; i < t.rows; ++i)
      for (std::int64_t j = 0; j < t.n_valid; ++j)
        c[std::size_t(i * ldc + j)] =
            t.nan_in_c ? std::numeric_limits<float>::quiet_NaN() : value(rng);
    before = c;
    GetParam().run_tile(t.rows, t.kc, a.data(), b.data(), t.alpha, t.beta, c.data(), ldc,
                        t.n_valid);
    for (std::int64_t i = 0; i < c_rows; ++i)
      for (std::int64_t j = 0; j < ldc; ++j) {
        const float got = c[std::size_t(i * ldc + j)];
        if (i >= t.rows || j >= t.n_valid) {
          ASSERT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(kGuard))
              << "C(" << i << ", " << j << ") outside the tile was written";
          continue;
        }
        const float c0 = before[std::size_t(i * ldc + j)];
        float acc = 0.0f;
        double exact = 0.0, magnitude = 0.0;
        for (std::int64_t k = 0; k < t.kc; ++k) {
          const float x = a[std::size_t(k * mr() + i)], y = b[std::size_t(k * nr() + j)];
          acc = multiply_add(x, y, acc);
          exact += double(x) * double(y);
          magnitude += std::fabs(double(x) * double(y));
        }
        float emulated = t.alpha * acc;
        if (t.beta != 0.0f) emulated = multiply_add(t.beta, c0, emulated);
        ASSERT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(emulated))
            << "C(" << i << ", " << j << ") = " << got << ", the contract gives " << emulated;
        // K fused steps round at most K times: |error| <= (K + 2) u (|alpha| sum |a b| + |beta c|).
        const double reference = t.alpha * exact + (t.beta != 0.0f ? t.beta * double(c0) : 0.0);
        const double bound = (double(t.kc) + 2.0) * 0x1p-24 *
                                 (std::fabs(t.alpha) * magnitude +
                                  (t.beta != 0.0f ? std::fabs(t.beta * double(c0)) : 0.0)) +
                             1e-30;
        ASSERT_LE(std::fabs(double(got) - reference), bound) << "C(" << i << ", " << j << ")";
      }
  }
};

TEST_P(GemmTileTest, KBelowAtAndAboveTheBlock) {
  for (const std::int64_t kc : {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, kGemmKc - 1,
                                kGemmKc, kGemmKc + 1, 2 * kGemmKc + 3})
    check({mr(), kc, nr(), 0, 1.0f, 0.0f, false});
}

TEST_P(GemmTileTest, EveryPartialRowCount) {
  for (std::int64_t rows = 1; rows <= mr(); ++rows) check({rows, 17, nr(), 0, 1.0f, 1.0f, false});
}

// One vector of columns or two (the narrow kernel takes a panel that fits in one), and the lanes
// either side of the vector's edge.
TEST_P(GemmTileTest, EveryPartialColumnCount) {
  for (std::int64_t columns = 1; columns <= nr(); ++columns)
    check({mr(), 9, columns, 0, 1.0f, 0.0f, false});
}

TEST_P(GemmTileTest, StridedCTouchesNothingOutsideTheTile) {
  for (const std::int64_t pad : {1, 5, 64})
    for (const std::int64_t columns : {std::int64_t{1}, nr() / 2 + 1, nr()})
      check({mr() - 1, 33, columns, pad, 1.0f, 0.5f, false});
}

TEST_P(GemmTileTest, AlphaAndBeta) {
  for (const float alpha : {1.0f, -0.5f, 3.0f})
    for (const float beta : {0.0f, 1.0f, 0.25f, -2.0f})
      check({mr(), 40, nr(), 3, alpha, beta, false});
}

TEST_P(GemmTileTest, BetaZeroNeverReadsC) {
  for (const std::int64_t columns : {std::int64_t{1}, nr() / 2, nr()})
    check({mr(), 12, columns, 2, 0.75f, 0.0f, true});
}

INSTANTIATE_TEST_SUITE_P(AllKernels, GemmTileTest,
                         ::testing::ValuesIn(gemm_kernels().begin(), gemm_kernels().end()),
                         testing::kernel_param_name<GemmKernel>);

}  // namespace
}  // namespace simdml
