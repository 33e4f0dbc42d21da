// Every GEMM kernel in the shared list against the double reference, over the edge families:
// sizes 0, 1, primes and tile size -1 / = / +1, padded leading dimensions, all four transpose
// combinations, the alpha / beta cases BLAS defines (beta = 0 over a NaN-filled C), and operands
// that end at an unreadable page.
#include <gtest/gtest.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gemm_reference.hpp"
#include "kernel_fixture.hpp"
#include "simdml/gemm.hpp"

namespace simdml {

// Test names and failure messages show the kernel by name, not as bytes.
inline void PrintTo(const GemmKernel& kernel, std::ostream* os) { *os << kernel.name; }

namespace {

using testing::Matrix;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Case {
  std::int64_t m, n, k;
  Trans ta, tb;
  float alpha, beta;
  std::int64_t pad = 3;  // extra floats past each stored row
};

// Runs one case with `kernel` and checks it; returns C for bitwise comparisons.
std::vector<float> run_case(const GemmKernel& kernel, const Case& cs, const GemmExecution& exec,
                            std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  const bool ta = cs.ta == Trans::yes, tb = cs.tb == Trans::yes;
  Matrix a(ta ? cs.k : cs.m, ta ? cs.m : cs.k, cs.pad, rng, kNaN);
  Matrix b(tb ? cs.n : cs.k, tb ? cs.k : cs.n, cs.pad, rng, kNaN);
  // With beta = 0, C starts as NaN everywhere: the kernel must not read it.
  Matrix c(cs.m, cs.n, cs.pad, rng, kNaN);
  if (cs.beta == 0.0f) std::fill(c.data.begin(), c.data.end(), kNaN);
  const std::vector<float> c0 = c.data;
  const GemmProblem p{cs.ta, cs.tb,         cs.m, cs.n,    cs.k,          cs.alpha, a.data.data(),
                      a.ld,  b.data.data(), b.ld, cs.beta, c.data.data(), c.ld};
  sgemm(kernel, p, exec);
  const testing::Expected expected = testing::reference_gemm(p, c0);
  SCOPED_TRACE(::testing::Message() << kernel.name << " m=" << cs.m << " n=" << cs.n << " k="
                                    << cs.k << " ta=" << ta << " tb=" << tb << " alpha=" << cs.alpha
                                    << " beta=" << cs.beta << " threads=" << exec.threads);
  testing::expect_matches(p, c.data, expected, c0);
  return c.data;
}

class GemmKernelTest : public testing::KernelTest<GemmKernel> {
 protected:
  const GemmKernel& kernel() const { return GetParam(); }
};

// M around the kernel's MR, and N around its NR and NR / 2: every simd tile is two vectors wide, so
// that is where a ragged last vector begins. A kernel without a tile is cut at every tile's edges.
std::vector<std::int64_t> row_edges(const GemmKernel& kernel) {
  return testing::tile_edges(kernel, gemm_kernels(), &OutputTile::rows);
}

std::vector<std::int64_t> column_edges(const GemmKernel& kernel) {
  std::vector<std::int64_t> columns =
      testing::tile_edges(kernel, gemm_kernels(), &OutputTile::columns);
  std::vector<int> halves{kernel.tile.columns / 2};
  if (kernel.tile.columns == 0)
    for (const GemmKernel& k : gemm_kernels()) halves.push_back(k.tile.columns / 2);
  for (const std::int64_t n : testing::edge_sizes(halves)) columns.push_back(n);
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  return columns;
}

TEST_P(GemmKernelTest, EdgeSizesAllTransposes) {
  const std::vector<std::int64_t> rows = row_edges(kernel()), columns = column_edges(kernel());
  ASSERT_GE(rows.size(), 5u);
  ASSERT_GE(columns.size(), 7u);
  for (Trans ta : {Trans::no, Trans::yes})
    for (Trans tb : {Trans::no, Trans::yes})
      for (std::int64_t m : rows)
        for (std::int64_t n : columns) run_case(kernel(), {m, n, 13, ta, tb, 1.0f, 0.0f}, {});
}

TEST_P(GemmKernelTest, DepthAroundTheKBlock) {
  for (std::int64_t k : {1, 2, 3, 97, 255, 256, 257, 513})
    for (Trans ta : {Trans::no, Trans::yes})
      for (Trans tb : {Trans::no, Trans::yes})
        run_case(kernel(), {19, 35, k, ta, tb, 0.75f, 0.5f}, {});
}

TEST_P(GemmKernelTest, AlphaBetaCombinations) {
  const std::pair<float, float> cases[] = {{1, 0}, {1, 1}, {-2.5f, 0}, {0.5f, -1.5f}, {1, 3}};
  for (auto [alpha, beta] : cases)
    run_case(kernel(), {23, 41, 37, Trans::no, Trans::yes, alpha, beta}, {});
}

TEST_P(GemmKernelTest, ZeroSizesAndAlphaZeroTouchNothingThatMustNotBeRead) {
  std::vector<float> c(6 * 5, 2.0f);
  // M or N = 0: returns at once, whatever the pointers.
  sgemm(kernel(), {Trans::no, Trans::no, 0, 5, 3, 1, nullptr, 3, nullptr, 5, 0, nullptr, 5});
  sgemm(kernel(), {Trans::no, Trans::no, 6, 0, 3, 1, nullptr, 3, nullptr, 1, 0, nullptr, 1});
  // K = 0 or alpha = 0: C = beta * C, A and B never read (null here).
  sgemm(kernel(), {Trans::no, Trans::no, 6, 5, 0, 1, nullptr, 1, nullptr, 5, 0.5f, c.data(), 5});
  for (float v : c) EXPECT_EQ(v, 1.0f);
  sgemm(kernel(), {Trans::no, Trans::no, 6, 5, 4, 0, nullptr, 4, nullptr, 5, 3.0f, c.data(), 5});
  for (float v : c) EXPECT_EQ(v, 3.0f);
  std::fill(c.begin(), c.end(), kNaN);
  sgemm(kernel(), {Trans::no, Trans::no, 6, 5, 4, 0, nullptr, 4, nullptr, 5, 0.0f, c.data(), 5});
  for (float v : c) EXPECT_EQ(v, 0.0f);
}

// Storage for a rows x cols matrix (no padding) whose last float sits just before a page that
// cannot be read or written, so that touching anything past the matrix crashes the test.
class GuardedMatrix {
 public:
  GuardedMatrix(std::int64_t rows, std::int64_t cols, std::mt19937& rng) : floats_(rows * cols) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t data_pages =
        (static_cast<std::size_t>(floats_) * sizeof(float) + page - 1) / page;
    bytes_ = (data_pages + 1) * page;
    void* base = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<char*>(base);
    if (mprotect(base_ + data_pages * page, page, PROT_NONE) != 0)
      throw std::runtime_error("mprotect failed");
    data_ = reinterpret_cast<float*>(base_ + data_pages * page) - floats_;
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (std::int64_t i = 0; i < floats_; ++i) data_[i] = dist(rng);
  }
  ~GuardedMatrix() { munmap(base_, bytes_); }
  GuardedMatrix(const GuardedMatrix&) = delete;
  GuardedMatrix& operator=(const GuardedMatrix&) = delete;

  float* data() const { return data_; }
  std::vector<float> values() const { return {data_, data_ + floats_}; }

 private:
  std::int64_t floats_;
  std::size_t bytes_ = 0;
  char* base_ = nullptr;
  float* data_ = nullptr;
};

// Ragged edges compute whole vectors; only the valid lanes may be read or written. A, B and C each
// end at an inaccessible page, with no padding after their last row. The widths cut a panel below,
// at and above one vector (NR / 2) and a whole panel (NR) of the kernel's tile.
TEST_P(GemmKernelTest, RaggedEdgesTouchNothingPastTheMatrices) {
  std::mt19937 rng(5);
  const std::vector<std::int64_t> rows = row_edges(kernel()), columns = column_edges(kernel());
  for (Trans ta : {Trans::no, Trans::yes})
    for (Trans tb : {Trans::no, Trans::yes})
      for (std::int64_t m : rows)
        for (std::int64_t n : columns)
          for (std::int64_t k : {5, 300})
            for (float beta : {0.0f, 0.5f})
              for (GemmPath path : {GemmPath::packed, GemmPath::unpacked}) {
                const GuardedMatrix a(m, k, rng), b(k, n, rng), c(m, n, rng);
                const GemmProblem p{ta,       tb,
                                    m,        n,
                                    k,        1.0f,
                                    a.data(), ta == Trans::yes ? m : k,
                                    b.data(), tb == Trans::yes ? k : n,
                                    beta,     c.data(),
                                    n};
                const std::vector<float> c0 = c.values();
                sgemm(kernel(), p, {1, path});
                SCOPED_TRACE(::testing::Message()
                             << "m=" << m << " n=" << n << " k=" << k
                             << " ta=" << (ta == Trans::yes) << " tb=" << (tb == Trans::yes)
                             << " beta=" << beta << " path=" << static_cast<int>(path));
                testing::expect_matches(p, c.values(), testing::reference_gemm(p, c0), c0);
              }
}

TEST_P(GemmKernelTest, NetworkShapes) {
  // The products a [784, 30, 10] or [784, 100, 10] network trains with.
  const Case shapes[] = {{10, 30, 784, Trans::no, Trans::no, 1, 0},
                         {100, 30, 784, Trans::no, Trans::yes, 1, 0},
                         {30, 784, 10, Trans::yes, Trans::no, -0.3f, 1},
                         {784, 100, 100, Trans::yes, Trans::no, 1, 0},
                         {10, 784, 30, Trans::no, Trans::yes, 1, 0}};
  for (const Case& cs : shapes) run_case(kernel(), cs, {});
}

// The second case is skinny (two NR panels or fewer), so 3 and 5 threads also split its rows. The
// third is packed (12.6 MFLOP), in more A blocks than MC needs, cut to share 301 rows evenly.
TEST_P(GemmKernelTest, ThreadCountDoesNotChangeAnyBit) {
  const Case cases[] = {{97, 131, 300, Trans::no, Trans::no, 1, 0.5f},
                        {203, 30, 300, Trans::no, Trans::yes, 1, 1},
                        {301, 70, 300, Trans::yes, Trans::no, 1, 0}};
  for (const Case& cs : cases) {
    const auto one = run_case(kernel(), cs, {1});
    for (int threads : {2, 3, 5}) {
      const auto many = run_case(kernel(), cs, {threads});
      EXPECT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(float)))
          << threads << " threads differ from 1, n=" << cs.n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, GemmKernelTest,
                         ::testing::ValuesIn(gemm_kernels().begin(), gemm_kernels().end()),
                         testing::kernel_param_name<GemmKernel>);

// ---- The simd kernels' two paths and their promises ------------------------------------------

class SimdGemmTest : public GemmKernelTest {};

std::vector<GemmKernel> simd_kernels() {
  std::vector<GemmKernel> out;
  for (const GemmKernel& k : gemm_kernels())
    if (k.variant == GemmVariant::simd) out.push_back(k);
  return out;
}

TEST_P(SimdGemmTest, PackedAndUnpackedPathsAgreeBitwise) {
  const Case cases[] = {{10, 30, 784, Trans::no, Trans::no, 1, 0},
                        {45, 37, 300, Trans::yes, Trans::yes, 0.5f, 2},
                        {7, 100, 257, Trans::no, Trans::yes, 1, 1},
                        {100, 17, 64, Trans::yes, Trans::no, -1, 0}};
  for (const Case& cs : cases) {
    const auto packed = run_case(kernel(), cs, {2, GemmPath::packed});
    const auto unpacked = run_case(kernel(), cs, {2, GemmPath::unpacked});
    EXPECT_EQ(0, std::memcmp(packed.data(), unpacked.data(), packed.size() * sizeof(float)))
        << "m=" << cs.m << " n=" << cs.n << " k=" << cs.k;
  }
}

// A split hint only moves work between threads. The cases are large enough (9 to 10 MFLOP) for
// every target to use several threads, with C's split dimension ragged against the vector width.
TEST_P(SimdGemmTest, SplitHintsChangeNoBit) {
  const Case cases[] = {{64, 100, 784, Trans::no, Trans::yes, 1, 1},
                        {100, 784, 64, Trans::yes, Trans::no, -0.03f, 1},
                        {203, 37, 600, Trans::no, Trans::no, 1, 0}};
  for (const Case& cs : cases) {
    const auto one = run_case(kernel(), cs, {1, GemmPath::unpacked});
    for (GemmSplit split : {GemmSplit::rows, GemmSplit::columns})
      for (int threads : {1, 2, 3, 5}) {
        const auto many = run_case(kernel(), cs, {threads, GemmPath::unpacked, split});
        EXPECT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(float)))
            << "split " << static_cast<int>(split) << ", " << threads << " threads, m=" << cs.m;
      }
  }
}

// The unpacked path's own choice of split, each way it can go (the figures are avx512's): columns
// when every thread gets an NR panel (30 x 784: 25 panels), rows when C is one panel wide (203 x
// 30), and columns again when neither gives each thread a panel but the columns have more
// vector-wide pieces (10 x 40: 1 row piece, 3 column pieces). 12 to 16 MFLOP gives every target
// several threads; the bits stay those of one thread.
TEST_P(SimdGemmTest, AutomaticSplitChangesNoBit) {
  const Case cases[] = {{30, 784, 300, Trans::yes, Trans::no, 1, 1},
                        {203, 30, 1000, Trans::no, Trans::yes, 1, 0},
                        {10, 40, 20000, Trans::no, Trans::no, 0.5f, 0}};
  for (const Case& cs : cases) {
    const auto one = run_case(kernel(), cs, {1, GemmPath::unpacked});
    for (int threads : {2, 3, 5, 16}) {
      const auto many = run_case(kernel(), cs, {threads, GemmPath::unpacked});
      EXPECT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(float)))
          << threads << " threads differ from 1, m=" << cs.m;
    }
  }
}

// More threads than the packed path has MR tiles to share out (on AVX-512, 145 rows are 13 tiles
// of 12): the A blocks stop at one tile each and the NR panels are split too. 58 MFLOP gives every
// target a team of 16; the bits stay those of one thread.
TEST_P(SimdGemmTest, MoreThreadsThanRowTilesChangeNoBit) {
  const Case cs{145, 400, 500, Trans::no, Trans::no, 1, 0.5f};
  const auto one = run_case(kernel(), cs, {1, GemmPath::packed});
  const auto many = run_case(kernel(), cs, {16, GemmPath::packed});
  EXPECT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(float)));
}

TEST_P(SimdGemmTest, LargeProblemCrossesEveryCacheBlock) {
  // Two MC blocks, two or more NC panels and three KC blocks, with ragged edges in each.
  run_case(kernel(), {173, 4099, 515, Trans::no, Trans::no, 1, 0.25f, 1}, {2, GemmPath::packed});
  run_case(kernel(), {173, 4099, 515, Trans::yes, Trans::yes, 1, 0, 0}, {2, GemmPath::packed});
}

TEST_P(SimdGemmTest, UnpackedPathOnEveryTransposeAndEdge) {
  for (Trans ta : {Trans::no, Trans::yes})
    for (Trans tb : {Trans::no, Trans::yes})
      for (std::int64_t m : {1, 5, 13, 40})
        for (std::int64_t n : {3, 16, 33, 100})
          run_case(kernel(), {m, n, 270, ta, tb, 1, 0.5f}, {1, GemmPath::unpacked});
}

// Callers may run GEMMs from a parallel region of their own, one per thread (k-NN does). Each call
// must keep its work to itself: the bits of a call from outside, and no wait on the caller's team.
TEST_P(SimdGemmTest, CallsFromInsideAParallelRegionKeepTheirWorkToThemselves) {
  const Case cs{97, 131, 300, Trans::no, Trans::no, 1, 0.5f};
  for (GemmPath path : {GemmPath::packed, GemmPath::unpacked})
    for (int threads : {1, 2}) {
      const auto alone = run_case(kernel(), cs, {threads, path});
      std::vector<float> from_region[2];
#pragma omp parallel num_threads(2)
      from_region[omp_get_thread_num()] = run_case(kernel(), cs, {threads, path});
      for (const auto& c : from_region)
        if (!c.empty()) {  // a thread the runtime did not grant computed nothing
          ASSERT_EQ(alone.size(), c.size());
          EXPECT_EQ(0, std::memcmp(alone.data(), c.data(), c.size() * sizeof(float)))
              << "path " << static_cast<int>(path) << ", " << threads << " threads";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(SimdKernels, SimdGemmTest, ::testing::ValuesIn(simd_kernels()),
                         testing::kernel_param_name<GemmKernel>);

// The FMA targets compute every element in the same order, so they must agree to the bit.
TEST(GemmTargets, Avx2AndAvx512AgreeBitwise) {
  if (!isa_supported(Isa::avx512)) GTEST_SKIP() << "this CPU lacks avx512; nothing to compare";
  // B transposed (packed strips) and not (read in place, its ragged last vector masked).
  for (Trans tb : {Trans::yes, Trans::no}) {
    const Case cs{150, 333, 600, Trans::no, tb, 0.7f, 0.3f};
    for (GemmPath path : {GemmPath::packed, GemmPath::unpacked}) {
      const auto avx2 = run_case(gemm_kernel("simd-avx2"), cs, {2, path});
      const auto avx512 = run_case(gemm_kernel("simd-avx512"), cs, {2, path});
      EXPECT_EQ(0, std::memcmp(avx2.data(), avx512.data(), avx2.size() * sizeof(float)));
    }
  }
}

// ---- Argument checks ------------------------------------------------------------------------

TEST(GemmArguments, BadSizesAndLeadingDimensionsThrowBeforeWriting) {
  std::vector<float> a(100, 1), b(100, 1), c(100, 7);
  const GemmKernel& k = gemm_kernel(GemmVariant::simd);
  EXPECT_THROW(
      sgemm(k, {Trans::no, Trans::no, -1, 2, 2, 1, a.data(), 2, b.data(), 2, 0, c.data(), 2}),
      std::invalid_argument);
  EXPECT_THROW(
      sgemm(k, {Trans::no, Trans::no, 4, 4, 4, 1, a.data(), 3, b.data(), 4, 0, c.data(), 4}),
      std::invalid_argument);  // lda < K
  EXPECT_THROW(
      sgemm(k, {Trans::yes, Trans::no, 5, 4, 4, 1, a.data(), 4, b.data(), 4, 0, c.data(), 4}),
      std::invalid_argument);  // transposed: lda < M
  EXPECT_THROW(
      sgemm(k, {Trans::no, Trans::no, 4, 4, 4, 1, a.data(), 4, b.data(), 4, 0, c.data(), 3}),
      std::invalid_argument);  // ldc < N
  EXPECT_THROW(
      sgemm(k, {Trans::no, Trans::no, 4, 4, 4, 1, a.data(), 4, b.data(), 4, 0, c.data(), 4}, {0}),
      std::invalid_argument);  // zero threads
  for (float v : c) EXPECT_EQ(v, 7.0f);
}

TEST(GemmArguments, KernelNames) {
  for (const GemmKernel& k : gemm_kernels())
    EXPECT_EQ(k.variant == GemmVariant::simd, k.tile.rows > 0 && k.tile.columns > 0) << k.name;
  EXPECT_EQ(gemm_kernel("naive").variant, GemmVariant::naive);
  EXPECT_EQ(gemm_kernel("blocked").variant, GemmVariant::blocked);
  EXPECT_EQ(gemm_kernel("simd").isa, active_isa());
  EXPECT_THROW(gemm_kernel("fast"), std::invalid_argument);
  if (!isa_supported(Isa::avx512)) {
    EXPECT_THROW(gemm_kernel("simd-avx512"), std::invalid_argument);
  }
}

}  // namespace
}  // namespace simdml
