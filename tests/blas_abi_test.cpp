// The BLAS entry points of libsimdml_blas.so: column-major and row-major semantics against the
// double reference, and argument errors reported through xerbla_ with nothing computed.
#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "gemm_reference.hpp"

extern "C" {
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };
void cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, float, const float*,
                 int, const float*, int, float, float*, int);
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
            const int*, const float*, const int*, const float*, float*, const int*);

// Replaces the library's weak xerbla_, as a program using the reference BLAS may.
int g_xerbla_info = 0;
std::string g_xerbla_name;
int xerbla_(const char* name, const int* info, int length) {
  g_xerbla_info = *info;
  g_xerbla_name.assign(name, static_cast<std::size_t>(length));
  return 0;
}
}

namespace simdml {
namespace {

std::vector<float> random_matrix(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Column-major C (m x n, ldc) as the row-major C^T (n x m) the reference understands.
void check_column_major(char ta, char tb, int m, int n, int k, float alpha, float beta, bool fortran) {
  const bool at = std::toupper(ta) != 'N', bt = std::toupper(tb) != 'N';
  const int lda = (at ? k : m) + 2, ldb = (bt ? n : k) + 1, ldc = m + 3;
  const auto a = random_matrix(static_cast<std::size_t>(lda * (at ? m : k)), 1);
  const auto b = random_matrix(static_cast<std::size_t>(ldb * (bt ? k : n)), 2);
  auto c = random_matrix(static_cast<std::size_t>(ldc * n), 3);
  const auto c0 = c;
  if (fortran) {
    sgemm_(&ta, &tb, &m, &n, &k, &alpha, a.data(), &lda, b.data(), &ldb, &beta, c.data(), &ldc);
  } else {
    const auto t = [](bool x) { return x ? CblasTrans : CblasNoTrans; };
    cblas_sgemm(CblasColMajor, t(at), t(bt), m, n, k, alpha, a.data(), lda, b.data(), ldb, beta,
                c.data(), ldc);
  }
  // C^T = op(B)^T op(A)^T, read row-major.
  const GemmProblem as_row_major{bt ? Trans::yes : Trans::no, at ? Trans::yes : Trans::no, n, m, k,
                                 alpha, b.data(), ldb, a.data(), lda, beta, nullptr, ldc};
  const auto expected = testing::reference_gemm(as_row_major, c0);
  SCOPED_TRACE(::testing::Message() << (fortran ? "sgemm_" : "cblas_sgemm col-major") << " " << ta
                                    << tb << " m=" << m << " n=" << n << " k=" << k);
  testing::expect_matches(as_row_major, c, expected, c0);
}

TEST(BlasAbi, ColumnMajorSemantics) {
  for (char ta : {'N', 'T', 'c'})
    for (char tb : {'n', 't', 'C'})
      for (auto [m, n, k] : {std::tuple{1, 1, 1}, {7, 13, 29}, {40, 17, 300}})
        for (bool fortran : {true, false}) check_column_major(ta, tb, m, n, k, 1.5f, -0.5f, fortran);
}

TEST(BlasAbi, RowMajorCblas) {
  const int m = 21, n = 34, k = 55;
  const auto a = random_matrix(static_cast<std::size_t>(m * k), 4);
  const auto b = random_matrix(static_cast<std::size_t>(n * k), 5);
  std::vector<float> c(static_cast<std::size_t>(m * n), std::numeric_limits<float>::quiet_NaN());
  const auto c0 = c;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f,
              c.data(), n);
  const GemmProblem p{Trans::no, Trans::yes, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f, nullptr, n};
  testing::expect_matches(p, c, testing::reference_gemm(p, c0), c0);
}

struct BadCall {
  int expected_info;
  char ta, tb;
  int m, n, k, lda, ldb, ldc;
};

TEST(BlasAbi, FortranArgumentErrors) {
  const BadCall calls[] = {{1, 'X', 'N', 2, 2, 2, 2, 2, 2}, {2, 'N', '?', 2, 2, 2, 2, 2, 2},
                           {3, 'N', 'N', -1, 2, 2, 2, 2, 2}, {4, 'N', 'N', 2, -1, 2, 2, 2, 2},
                           {5, 'N', 'N', 2, 2, -1, 2, 2, 2}, {8, 'N', 'N', 3, 2, 2, 2, 2, 3},
                           {8, 'T', 'N', 2, 2, 3, 2, 3, 2},  {10, 'N', 'N', 2, 2, 3, 2, 2, 2},
                           {10, 'N', 'T', 2, 3, 2, 2, 2, 2}, {13, 'N', 'N', 3, 2, 2, 3, 2, 2}};
  std::vector<float> a(64, 1), b(64, 1), c(64, 7);
  const float alpha = 1, beta = 0;
  for (const BadCall& call : calls) {
    g_xerbla_info = 0;
    sgemm_(&call.ta, &call.tb, &call.m, &call.n, &call.k, &alpha, a.data(), &call.lda, b.data(),
           &call.ldb, &beta, c.data(), &call.ldc);
    EXPECT_EQ(g_xerbla_info, call.expected_info);
    EXPECT_EQ(g_xerbla_name, "SGEMM ");
    for (float v : c) ASSERT_EQ(v, 7.0f) << "C changed after an argument error";
  }
}

TEST(BlasAbi, CblasArgumentErrors) {
  std::vector<float> a(64, 1), b(64, 1), c(64, 7);
  const auto call = [&](int order, int ta, int tb, int m, int n, int k, int lda, int ldb, int ldc) {
    g_xerbla_info = 0;
    cblas_sgemm(static_cast<CBLAS_ORDER>(order), static_cast<CBLAS_TRANSPOSE>(ta),
                static_cast<CBLAS_TRANSPOSE>(tb), m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f,
                c.data(), ldc);
    return g_xerbla_info;
  };
  EXPECT_EQ(call(100, 111, 111, 2, 2, 2, 2, 2, 2), 1);
  EXPECT_EQ(call(101, 110, 111, 2, 2, 2, 2, 2, 2), 2);
  EXPECT_EQ(call(101, 111, 114, 2, 2, 2, 2, 2, 2), 3);
  EXPECT_EQ(call(101, 111, 111, -1, 2, 2, 2, 2, 2), 4);
  EXPECT_EQ(call(101, 111, 111, 2, -2, 2, 2, 2, 2), 5);
  EXPECT_EQ(call(101, 111, 111, 2, 2, -3, 2, 2, 2), 6);
  EXPECT_EQ(call(101, 111, 111, 2, 2, 3, 2, 2, 2), 9);   // row-major A is m x k: lda >= k
  EXPECT_EQ(call(102, 111, 111, 3, 2, 2, 2, 2, 3), 9);   // column-major A: lda >= m
  EXPECT_EQ(call(101, 111, 111, 2, 3, 2, 2, 2, 3), 11);  // row-major B is k x n: ldb >= n
  EXPECT_EQ(call(101, 111, 111, 2, 3, 2, 2, 3, 2), 14);  // row-major C: ldc >= n
  EXPECT_EQ(call(102, 111, 111, 3, 2, 2, 3, 2, 2), 14);  // column-major C: ldc >= m
  EXPECT_EQ(call(101, 111, 111, 2, 2, 2, 2, 2, 2), 0);
  for (std::size_t i = 4; i < c.size(); ++i) ASSERT_EQ(c[i], 7.0f);
}

}  // namespace
}  // namespace simdml
