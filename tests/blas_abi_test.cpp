// The BLAS entry points of libsimdml_blas.so: column-major and row-major semantics against the
// double reference, and argument errors reported with nothing computed: sgemm_'s through xerbla_
// with Fortran positions, cblas_sgemm's through cblas_xerbla with the reference CBLAS's positions.
// The netlib testers check the same against their own expectations (blas_conformance_test.sh).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gemm_reference.hpp"

extern "C" {
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };
void cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, float, const float*,
                 int, const float*, int, float, float*, int);
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*,
            const float*, const int*, const float*, const int*, const float*, float*, const int*);

// Replaces the library's weak xerbla_, as a program using the reference BLAS may.
int g_xerbla_info = 0;
std::string g_xerbla_name;
int xerbla_(const char* name, const int* info, int length) {
  g_xerbla_info = *info;
  g_xerbla_name.assign(name, static_cast<std::size_t>(length));
  return 0;
}

// Replaces the library's weak cblas_xerbla, as the reference CBLAS test programs do. RowMajorStrg
// is the reference's global, which the library keeps as the reference does.
extern int RowMajorStrg;
int g_cblas_xerbla_calls = 0;
int g_cblas_xerbla_position = 0, g_cblas_xerbla_row_major = -1;
std::string g_cblas_xerbla_routine, g_cblas_xerbla_message;
void cblas_xerbla(int position, const char* routine, const char* format, ...) {
  ++g_cblas_xerbla_calls;
  g_cblas_xerbla_position = position;
  g_cblas_xerbla_row_major = RowMajorStrg;
  g_cblas_xerbla_routine = routine;
  char message[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof message, format, args);
  va_end(args);
  g_cblas_xerbla_message = message;
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
void check_column_major(char ta, char tb, int m, int n, int k, float alpha, float beta,
                        bool fortran) {
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
  const GemmProblem as_row_major{bt ? Trans::yes : Trans::no,
                                 at ? Trans::yes : Trans::no,
                                 n,
                                 m,
                                 k,
                                 alpha,
                                 b.data(),
                                 ldb,
                                 a.data(),
                                 lda,
                                 beta,
                                 nullptr,
                                 ldc};
  const auto expected = testing::reference_gemm(as_row_major, c0);
  SCOPED_TRACE(::testing::Message() << (fortran ? "sgemm_" : "cblas_sgemm col-major") << " " << ta
                                    << tb << " m=" << m << " n=" << n << " k=" << k);
  testing::expect_matches(as_row_major, c, expected, c0);
}

TEST(BlasAbi, ColumnMajorSemantics) {
  for (char ta : {'N', 'T', 'c'})
    for (char tb : {'n', 't', 'C'})
      for (auto [m, n, k] : {std::tuple{1, 1, 1}, {7, 13, 29}, {40, 17, 300}})
        for (bool fortran : {true, false})
          check_column_major(ta, tb, m, n, k, 1.5f, -0.5f, fortran);
}

TEST(BlasAbi, RowMajorCblas) {
  const int m = 21, n = 34, k = 55;
  const auto a = random_matrix(static_cast<std::size_t>(m * k), 4);
  const auto b = random_matrix(static_cast<std::size_t>(n * k), 5);
  std::vector<float> c(static_cast<std::size_t>(m * n), std::numeric_limits<float>::quiet_NaN());
  const auto c0 = c;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a.data(), k, b.data(), k,
              0.0f, c.data(), n);
  const GemmProblem p{Trans::no, Trans::yes, m, n,    k,       1.0f, a.data(),
                      k,         b.data(),   k, 0.0f, nullptr, n};
  testing::expect_matches(p, c, testing::reference_gemm(p, c0), c0);
}

struct BadCall {
  int expected_info;
  char ta, tb;
  int m, n, k, lda, ldb, ldc;
};

TEST(BlasAbi, FortranArgumentErrors) {
  const BadCall calls[] = {{1, 'X', 'N', 2, 2, 2, 2, 2, 2},  {2, 'N', '?', 2, 2, 2, 2, 2, 2},
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

struct BadCblasCall {
  int expected_position;
  int order, ta, tb, m, n, k, lda, ldb, ldc;
};

// Every position the reference CBLAS checks, in both layouts and for each operand's transposition;
// and where two arguments are bad, the one the reference reports (row-major: N before M, ldb
// before lda). The table gives the caller's positions; a row-major call reports the reference's,
// those of the column-major call it becomes (M 5, N 4, lda 11, ldb 9), with RowMajorStrg set so
// that the handler can map them back, as the reference's own handler and the netlib tester do.
TEST(BlasAbi, CblasArgumentErrorsGoToCblasXerbla) {
  constexpr int R = CblasRowMajor, C = CblasColMajor, N = CblasNoTrans, T = CblasTrans;
  const BadCblasCall calls[] = {
      {1, 100, N, N, 2, 2, 2, 2, 2, 2},
      {1, 103, N, N, 2, 2, 2, 2, 2, 2},
      {2, R, 110, N, 2, 2, 2, 2, 2, 2},
      {2, C, 114, N, 2, 2, 2, 2, 2, 2},
      {3, R, N, 114, 2, 2, 2, 2, 2, 2},
      {3, C, T, 0, 2, 2, 2, 2, 2, 2},
      {4, R, N, N, -1, 2, 2, 2, 2, 2},
      {4, C, N, N, -1, 2, 2, 2, 2, 2},
      {5, R, N, N, 2, -2, 2, 2, 2, 2},
      {5, C, N, N, 2, -2, 2, 2, 2, 2},
      {6, R, N, N, 2, 2, -3, 2, 2, 2},
      {6, C, N, N, 2, 2, -3, 2, 2, 2},
      {9, R, N, N, 2, 2, 3, 2, 2, 2},
      {9, R, T, N, 3, 2, 2, 2, 2, 2},  // A m x k: lda >= k; A^T: >= m
      {9, C, N, N, 3, 2, 2, 2, 2, 3},
      {9, C, T, N, 2, 2, 3, 2, 2, 2},  // A m x k: lda >= m; A^T: >= k
      {11, R, N, N, 2, 3, 2, 2, 2, 3},
      {11, R, N, T, 2, 2, 3, 3, 2, 2},  // B k x n: ldb >= n; B^T: >= k
      {11, C, N, N, 2, 2, 3, 2, 2, 2},
      {11, C, N, T, 2, 3, 2, 2, 2, 2},  // B k x n: ldb >= k; B^T: >= n
      {14, R, N, N, 2, 3, 2, 2, 3, 2},
      {14, C, N, N, 3, 2, 2, 3, 2, 2},  // C: ldc >= n; >= m
      {5, R, N, N, -1, -1, 2, 2, 2, 2},
      {4, C, N, N, -1, -1, 2, 2, 2, 2},
      {11, R, N, N, 2, 3, 3, 2, 2, 3},
      {9, C, N, N, 3, 2, 3, 2, 2, 3},
      {1, 100, 0, 0, -1, -1, -1, 0, 0, 0},
      {2, R, 0, 0, -1, -1, -1, 0, 0, 0},
  };
  std::vector<float> a(64, 1), b(64, 1), c(64, 7);
  for (const BadCblasCall& call : calls) {
    SCOPED_TRACE(::testing::Message()
                 << "order " << call.order << " trans " << call.ta << "/" << call.tb
                 << " m=" << call.m << " n=" << call.n << " k=" << call.k << " lda=" << call.lda
                 << " ldb=" << call.ldb << " ldc=" << call.ldc);
    g_cblas_xerbla_calls = 0;
    g_xerbla_info = 0;
    cblas_sgemm(static_cast<CBLAS_ORDER>(call.order), static_cast<CBLAS_TRANSPOSE>(call.ta),
                static_cast<CBLAS_TRANSPOSE>(call.tb), call.m, call.n, call.k, 1.0f, a.data(),
                call.lda, b.data(), call.ldb, 0.0f, c.data(), call.ldc);
    const bool row_major = call.order == CblasRowMajor;
    const int p = call.expected_position;
    const int reported = !row_major ? p : p == 4 ? 5 : p == 5 ? 4 : p == 9 ? 11 : p == 11 ? 9 : p;
    EXPECT_EQ(g_cblas_xerbla_calls, 1);
    EXPECT_EQ(g_cblas_xerbla_position, reported);
    EXPECT_EQ(g_cblas_xerbla_row_major, row_major ? 1 : 0);
    EXPECT_EQ(RowMajorStrg, 0) << "RowMajorStrg stays set after the call";
    EXPECT_EQ(g_cblas_xerbla_routine, "cblas_sgemm");
    EXPECT_NE(g_cblas_xerbla_message.find("Illegal"), std::string::npos) << g_cblas_xerbla_message;
    EXPECT_EQ(g_xerbla_info, 0) << "cblas_sgemm reported through the Fortran xerbla_";
    for (float v : c) ASSERT_EQ(v, 7.0f) << "C changed after an argument error";
  }
}

TEST(BlasAbi, CblasMessageNamesTheBadValue) {
  std::vector<float> a(16, 1), b(16, 1), c(16, 0);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1.0f, a.data(), 2, b.data(), 2,
              0.0f, c.data(), 2);
  EXPECT_EQ(g_cblas_xerbla_message, "Illegal lda setting, 2\n");
  cblas_sgemm(static_cast<CBLAS_ORDER>(99), CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0f, a.data(), 2,
              b.data(), 2, 0.0f, c.data(), 2);
  EXPECT_EQ(g_cblas_xerbla_message, "Illegal layout setting, 99\n");
}

TEST(BlasAbi, ValidCblasCallsReportNothing) {
  std::vector<float> a(64, 1), b(64, 1), c(64, 0);
  g_cblas_xerbla_calls = 0;
  for (int order : {CblasRowMajor, CblasColMajor})
    for (int ta : {CblasNoTrans, CblasTrans, CblasConjTrans})
      for (int tb : {CblasNoTrans, CblasTrans, CblasConjTrans})
        cblas_sgemm(static_cast<CBLAS_ORDER>(order), static_cast<CBLAS_TRANSPOSE>(ta),
                    static_cast<CBLAS_TRANSPOSE>(tb), 2, 3, 4, 1.0f, a.data(), 4, b.data(), 4, 0.0f,
                    c.data(), 3);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 0, 0, 0, 1.0f, nullptr, 1, nullptr, 1,
              0.0f, nullptr, 1);
  EXPECT_EQ(g_cblas_xerbla_calls, 0);
  EXPECT_EQ(c[0], 4.0f);
}

}  // namespace
}  // namespace simdml
