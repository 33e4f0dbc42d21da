// Every activation kernel set against double precision: max ULP error over the whole float range
// (a strided sweep of all 2^32 bit patterns; SIMDML_ULP_STRIDE=1 makes it exhaustive), special
// values, lengths that are not a multiple of the vector width, in-place use, and softmax rows; and
// the pixel scaling unit_from_bytes, which must be exact for every byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernel_fixture.hpp"
#include "simdml/activations.hpp"

namespace simdml {

// Test names and failure messages show the kernel by name, not as bytes.
inline void PrintTo(const ElementwiseKernels& kernel, std::ostream* os) { *os << kernel.name; }

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// |got - want| in units of the float spacing at want (denormal spacing below FLT_MIN).
double ulp_error(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : INFINITY;
  if (std::isnan(got)) return INFINITY;
  if (static_cast<double>(got) == want) return 0.0;
  const float want_f = static_cast<float>(want);
  if (std::isinf(want_f) && std::isinf(got) && (want_f > 0) == (got > 0))
    return 0.0;  // beyond FLT_MAX
  const double mag = std::fabs(want);
  const int exponent = mag < std::numeric_limits<float>::min() ? -126 : std::ilogb(mag);
  return std::fabs(static_cast<double>(got) - want) / std::ldexp(1.0, exponent - 23);
}

double exp_ref(double x) { return std::exp(x); }
double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double tanh_ref(double x) { return std::tanh(x); }

struct UlpResult {
  double max_ulp = 0;
  float worst_input = 0;
};

// Sweeps every stride-th bit pattern (all signs, exponents and mantissa bits get visited).
UlpResult sweep(UnaryKernel kernel, double (*reference)(double), std::uint64_t stride) {
  constexpr std::size_t kChunk = 1 << 16;
  std::vector<float> x(kChunk), y(kChunk);
  UlpResult r;
  std::uint64_t bits = 0;
  while (bits < (std::uint64_t{1} << 32)) {
    std::size_t n = 0;
    for (; n < kChunk && bits < (std::uint64_t{1} << 32); ++n, bits += stride)
      x[n] = std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    kernel(x.data(), y.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
      const double e = ulp_error(y[i], reference(x[i]));
      if (e > r.max_ulp) r = {e, x[i]};
    }
  }
  return r;
}

std::uint64_t ulp_stride() {
  const char* text = std::getenv("SIMDML_ULP_STRIDE");
  return text != nullptr && std::atoll(text) > 0 ? static_cast<std::uint64_t>(std::atoll(text))
                                                 : 97;
}

class ActivationTest : public testing::KernelTest<ElementwiseKernels> {
 protected:
  const ElementwiseKernels& k() const { return GetParam(); }

  // The bound this set promises (see include/simdml/activations.hpp); the reference inherits
  // whatever libm gives and is held to the same numbers.
  void expect_ulp(const char* name, UnaryKernel kernel, double (*reference)(double), double bound) {
    const UlpResult r = sweep(kernel, reference, ulp_stride());
    RecordProperty(std::string(name) + "_max_ulp", std::to_string(r.max_ulp));
    std::printf("  %s %s: max error %.3f ULP (at x = %.9g)\n", std::string(k().name).c_str(), name,
                r.max_ulp, r.worst_input);
    EXPECT_LE(r.max_ulp, bound) << name << " worst at x = " << r.worst_input;
  }
};

TEST_P(ActivationTest, ExpUlpOverTheWholeRange) { expect_ulp("exp", k().exp, exp_ref, 1.5); }
TEST_P(ActivationTest, SigmoidUlpOverTheWholeRange) {
  expect_ulp("sigmoid", k().sigmoid, sigmoid_ref, 2.5);
}
TEST_P(ActivationTest, TanhUlpOverTheWholeRange) { expect_ulp("tanh", k().tanh, tanh_ref, 2.5); }

float apply(UnaryKernel kernel, float x) {
  float y = 0;
  kernel(&x, &y, 1);
  return y;
}

TEST_P(ActivationTest, SpecialValues) {
  EXPECT_EQ(apply(k().exp, 0.0f), 1.0f);
  EXPECT_EQ(apply(k().exp, kInf), kInf);
  EXPECT_EQ(apply(k().exp, -kInf), 0.0f);
  EXPECT_EQ(apply(k().exp, 88.8f), kInf);  // overflow gives inf
  EXPECT_EQ(apply(k().exp, -104.0f), 0.0f);
  EXPECT_TRUE(std::isnan(apply(k().exp, kNaN)));

  EXPECT_EQ(apply(k().sigmoid, 100.0f), 1.0f);
  const float tiny = apply(k().sigmoid, -100.0f);  // exp(-100) ~ 3.7e-44: saturated, never NaN
  EXPECT_GE(tiny, 0.0f);
  EXPECT_LT(tiny, 1e-40f);
  EXPECT_EQ(apply(k().sigmoid, kInf), 1.0f);
  EXPECT_EQ(apply(k().sigmoid, -kInf), 0.0f);
  EXPECT_EQ(apply(k().sigmoid, 0.0f), 0.5f);
  EXPECT_TRUE(std::isnan(apply(k().sigmoid, kNaN)));

  EXPECT_EQ(apply(k().tanh, kInf), 1.0f);
  EXPECT_EQ(apply(k().tanh, -kInf), -1.0f);
  EXPECT_EQ(apply(k().tanh, 50.0f), 1.0f);
  EXPECT_TRUE(std::signbit(apply(k().tanh, -0.0f)));
  EXPECT_TRUE(std::isnan(apply(k().tanh, kNaN)));

  EXPECT_EQ(apply(k().relu, -3.0f), 0.0f);
  EXPECT_EQ(apply(k().relu, 2.5f), 2.5f);
  EXPECT_TRUE(std::isnan(apply(k().relu, kNaN)));
}

std::vector<float> random_values(std::size_t n, float lo, float hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Every length from 0 to 70 (all remainders of 4, 8 and 16), out of place and in place, equal to
// the same kernel applied one element at a time, and nothing written past the end.
TEST_P(ActivationTest, AnyLengthInPlaceOrNot) {
  const UnaryKernel unary[] = {k().exp, k().sigmoid, k().tanh, k().relu};
  for (UnaryKernel kernel : unary) {
    for (std::size_t n = 0; n <= 70; ++n) {
      const auto x = random_values(n, -20.0f, 20.0f, static_cast<std::uint32_t>(n));
      std::vector<float> out(n + 1, -7.0f), in_place = x;
      kernel(x.data(), out.data(), n);
      kernel(in_place.data(), in_place.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(out[i], apply(kernel, x[i])) << "n=" << n << " i=" << i;
        EXPECT_EQ(in_place[i], out[i]) << "n=" << n << " i=" << i;
      }
      EXPECT_EQ(out[n], -7.0f) << "wrote past the end, n=" << n;
    }
  }
}

// A kernel's fast path covers whole vectors whose lanes all lie in its range; a vector with one
// lane beyond (here half the values are, and some are inf or NaN) takes the general path, which
// must give every other lane the same bits, so that no result depends on its neighbours (nor on
// the vector width, nor on where the array starts).
TEST_P(ActivationTest, ResultsDoNotDependOnNeighbours) {
  const UnaryKernel unary[] = {k().exp, k().sigmoid, k().tanh, k().relu};
  auto x = random_values(4099, -180.0f, 180.0f, 11);
  for (std::size_t i = 0; i < x.size(); i += 97) x[i] = (i / 97) % 2 ? kNaN : -kInf;
  for (UnaryKernel kernel : unary) {
    std::vector<float> out(x.size());
    kernel(x.data(), out.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float alone = apply(kernel, x[i]);
      EXPECT_EQ(std::bit_cast<std::uint32_t>(out[i]), std::bit_cast<std::uint32_t>(alone))
          << "x=" << x[i];
    }
  }
}

// Pixel scaling must give exactly what the loaders define, float(byte) / 255: training reads the
// bytes where an evaluation reads the floats. Every byte value at every lane position (each shift
// moves the values one lane), each tail length below 16, and nothing written past the end.
TEST_P(ActivationTest, UnitFromBytesIsTheRoundedQuotientForEveryByte) {
  for (std::size_t shift = 0; shift < 16; ++shift) {
    const std::size_t n = 256 + shift;
    std::vector<std::uint8_t> bytes(n);
    for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::uint8_t>(i + shift);
    std::vector<float> y(n + 1, -7.0f);
    k().unit_from_bytes(bytes.data(), y.data(), n);
    for (std::size_t i = 0; i < n; ++i)
      EXPECT_EQ(std::bit_cast<std::uint32_t>(y[i]),
                std::bit_cast<std::uint32_t>(static_cast<float>(bytes[i]) / 255.0f))
          << "byte " << int{bytes[i]} << " at " << i << ", n=" << n;
    EXPECT_EQ(y[n], -7.0f) << "wrote past the end, n=" << n;
  }
}

// The backward kernels are plain products: every set must give the reference's bits.
TEST_P(ActivationTest, BackwardKernelsMatchTheReferenceExactly) {
  const ElementwiseKernels& ref = reference_activations();
  for (std::size_t n : {0u, 1u, 7u, 16u, 33u, 1000u}) {
    const auto y = random_values(n, -1.0f, 1.0f, 3);
    const auto dy = random_values(n, -2.0f, 2.0f, 4);
    const std::pair<BackwardKernel, BackwardKernel> pairs[] = {
        {k().sigmoid_backward, ref.sigmoid_backward},
        {k().tanh_backward, ref.tanh_backward},
        {k().relu_backward, ref.relu_backward}};
    for (auto [kernel, reference] : pairs) {
      std::vector<float> got(n), want(n), in_place = dy;
      kernel(y.data(), dy.data(), got.data(), n);
      reference(y.data(), dy.data(), want.data(), n);
      kernel(y.data(), in_place.data(), in_place.data(), n);
      EXPECT_EQ(got, want) << "n=" << n;
      EXPECT_EQ(in_place, want) << "in place, n=" << n;
    }
  }
}

// Adam's update is IEEE operations only, unfused: every set must give the reference's bits for w,
// m and v, at every length (tails included) and with weight decay; and one step from zero moments
// moves each weight by rate * g / (|g| + epsilon) (bias correction makes m / sqrt(v) = g / |g|).
TEST_P(ActivationTest, AdamUpdateMatchesTheReferenceExactly) {
  const ElementwiseKernels& ref = reference_activations();
  AdamCoefficients c;
  c.step_size = 1e-3f / (1.0f - 0.9f);
  c.root_correction2 = std::sqrt(1.0f - 0.999f);
  for (const float decay : {0.0f, 0.01f})
    for (std::size_t n : {0u, 1u, 7u, 16u, 33u, 1000u}) {
      c.weight_decay = decay;
      const auto g = random_values(n, -2.0f, 2.0f, 5);
      auto w = random_values(n, -1.0f, 1.0f, 6), m = random_values(n, -0.1f, 0.1f, 7);
      auto v = random_values(n, 0.0f, 0.01f, 8);
      auto w_ref = w, m_ref = m, v_ref = v;
      k().adam_update(c, g.data(), w.data(), m.data(), v.data(), n);
      ref.adam_update(c, g.data(), w_ref.data(), m_ref.data(), v_ref.data(), n);
      EXPECT_EQ(w, w_ref) << "n=" << n << " decay=" << decay;
      EXPECT_EQ(m, m_ref) << "n=" << n;
      EXPECT_EQ(v, v_ref) << "n=" << n;
    }
  const std::vector<float> g{0.5f, -2.0f, 1e-3f};
  std::vector<float> w{1.0f, 1.0f, 1.0f}, m(3, 0.0f), v(3, 0.0f);
  c.weight_decay = 0.0f;
  c.step_size = 1e-3f / 0.1f;  // step 1: rate / (1 - beta1)
  c.root_correction2 = std::sqrt(0.001f);
  k().adam_update(c, g.data(), w.data(), m.data(), v.data(), 3);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(w[i], 1.0 - 1e-3 * g[i] / (std::fabs(g[i]) + 1e-8), 2e-7) << i;
}

// Softmax against a double reference fed the same rounded differences x - max the kernel feeds
// to exp (that rounding is the input's, not the kernel's). Each output may be off by exp's 1 ULP,
// the division's 0.5, and the sum's relative error: at most ceil(cols / 16) + 4 roundings of the
// 16-lane partial sums and their reduction tree. Rows must sum to 1; rows of huge values stay
// finite.
TEST_P(ActivationTest, SoftmaxRows) {
  for (std::size_t cols : {1u, 3u, 10u, 16u, 17u, 100u, 785u}) {
    const std::size_t rows = 5;
    auto x = random_values(rows * cols, -30.0f, 30.0f, static_cast<std::uint32_t>(cols));
    x[0] = 3.0e38f;  // huge values in the first row
    if (cols > 2) x[1] = -3.0e38f, x[2] = 2.9e38f;
    std::vector<float> y(rows * cols), in_place = x;
    k().softmax_rows(x.data(), y.data(), rows, cols);
    k().softmax_rows(in_place.data(), in_place.data(), rows, cols);
    EXPECT_EQ(in_place, y);
    const double bound = 1.5 + static_cast<double>((cols + 15) / 16 + 4);
    for (std::size_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + r * cols;
      const float max = *std::max_element(xr, xr + cols);
      double sum = 0, total = 0;
      for (std::size_t c = 0; c < cols; ++c) sum += std::exp(double{xr[c] - max});
      for (std::size_t c = 0; c < cols; ++c) {
        const float got = y[r * cols + c];
        ASSERT_TRUE(std::isfinite(got)) << "row " << r << " col " << c;
        EXPECT_LE(ulp_error(got, std::exp(double{xr[c] - max}) / sum), bound)
            << "cols=" << cols << " row " << r << " col " << c;
        total += got;
      }
      EXPECT_NEAR(total, 1.0, 1e-6 * std::sqrt(double(cols)) + 1e-6)
          << "cols=" << cols << " row " << r;
    }
  }
}

// Short rows (up to 16 columns) run several rows at once, one per lane; that path must give the
// bits the row-by-row path gives, for every column count, in place too, with a NaN row among them
// (which alone turns to NaN) and rows of huge values.
TEST_P(ActivationTest, SoftmaxRowBlocksEqualRowByRow) {
  for (std::size_t cols = 1; cols <= 17; ++cols) {
    const std::size_t rows = 37;
    auto x = random_values(rows * cols, -40.0f, 40.0f, static_cast<std::uint32_t>(100 + cols));
    x[3 * cols] = kNaN;
    x[5 * cols] = 3.0e38f;
    std::vector<float> together(rows * cols), one_by_one(rows * cols), in_place = x;
    k().softmax_rows(x.data(), together.data(), rows, cols);
    k().softmax_rows(in_place.data(), in_place.data(), rows, cols);
    for (std::size_t r = 0; r < rows; ++r)
      k().softmax_rows(x.data() + r * cols, one_by_one.data() + r * cols, 1, cols);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const bool row_has_nan = i / cols == 3;
      EXPECT_EQ(std::isnan(together[i]), row_has_nan) << "cols=" << cols << " i=" << i;
      if (!row_has_nan) {
        EXPECT_EQ(std::bit_cast<std::uint32_t>(together[i]),
                  std::bit_cast<std::uint32_t>(one_by_one[i]))
            << "cols=" << cols << " i=" << i;
        EXPECT_EQ(std::bit_cast<std::uint32_t>(in_place[i]),
                  std::bit_cast<std::uint32_t>(one_by_one[i]));
      }
    }
  }
}

TEST_P(ActivationTest, SoftmaxPropagatesNaN) {
  float row[5] = {1, 2, kNaN, 4, 5}, out[5];
  k().softmax_rows(row, out, 1, 5);
  for (float v : out) EXPECT_TRUE(std::isnan(v));
}

INSTANTIATE_TEST_SUITE_P(AllSets, ActivationTest,
                         ::testing::ValuesIn(activation_kernel_sets().begin(),
                                             activation_kernel_sets().end()),
                         testing::kernel_param_name<ElementwiseKernels>);

// The FMA targets run the same operations in the same order: their results must agree bitwise.
TEST(ActivationTargets, Avx2AndAvx512AgreeBitwise) {
  if (!isa_supported(Isa::avx512)) GTEST_SKIP() << "this CPU lacks avx512; nothing to compare";
  const ElementwiseKernels* avx2 = nullptr;
  const ElementwiseKernels* avx512 = nullptr;
  for (const ElementwiseKernels& s : activation_kernel_sets()) {
    if (s.name == "simd-avx2") avx2 = &s;
    if (s.name == "simd-avx512") avx512 = &s;
  }
  ASSERT_TRUE(avx2 && avx512);
  constexpr std::size_t kValues = 100003;
  const auto x = random_values(kValues, -120.0f, 120.0f, 9);
  std::vector<float> a(x.size()), b(x.size());
  for (auto member :
       {&ElementwiseKernels::exp, &ElementwiseKernels::sigmoid, &ElementwiseKernels::tanh}) {
    (avx2->*member)(x.data(), a.data(), x.size());
    (avx512->*member)(x.data(), b.data(), x.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  }
  // 103 rows of 970: within x (103 x 971 read past it), and no vector width divides 970.
  constexpr std::size_t kRows = 103, kCols = 970;
  static_assert(kRows * kCols <= kValues);
  avx2->softmax_rows(x.data(), a.data(), kRows, kCols);
  avx512->softmax_rows(x.data(), b.data(), kRows, kCols);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), kRows * kCols * sizeof(float)));
}

// Flush-to-zero is an explicit mode. Off (the default), sigmoid(-100) is the denormal 3.8e-44; on,
// exactly 0, on the caller and on every OpenMP worker; off again restores IEEE results.
TEST(FlushDenormals, IsExplicitAndReachesEveryThread) {
  const float x = -100.0f;
  float y = 1.0f;
  ASSERT_FALSE(flush_denormals());
  activations().sigmoid(&x, &y, 1);
  EXPECT_GT(y, 0.0f);
  EXPECT_LT(y, std::numeric_limits<float>::min());
  set_flush_denormals(true, 3);
  activations().sigmoid(&x, &y, 1);
  EXPECT_EQ(y, 0.0f);
  int flushed = 0;
#pragma omp parallel num_threads(3) reduction(+ : flushed)
  flushed += flush_denormals() ? 1 : 0;
  EXPECT_EQ(flushed, 3);
  set_flush_denormals(false, 3);
  activations().sigmoid(&x, &y, 1);
  EXPECT_GT(y, 0.0f);
  flushed = 0;
#pragma omp parallel num_threads(3) reduction(+ : flushed)
  flushed += flush_denormals() ? 1 : 0;
  EXPECT_EQ(flushed, 0);
}

}  // namespace
}  // namespace simdml
