// The BLAS ABI: cblas_sgemm and the Fortran sgemm_, so a program written against any BLAS can use
// simdml's GEMM by linking libsimdml_blas.so or preloading it (LD_PRELOAD).
//
// Argument errors are reported the way OpenBLAS and the reference BLAS do: through xerbla_ with
// the routine name and the position of the first bad parameter (cblas positions for cblas_sgemm,
// Fortran positions for sgemm_), and nothing is computed. xerbla_ here only prints; it is weak, so
// a program may define its own. Threads: OpenMP's default (OMP_NUM_THREADS), read per call.
#include <cstdio>
#include <exception>

#include "simdml/gemm.hpp"

namespace {

using simdml::Trans;

// Column-major C (m x n) is row-major C^T (n x m): C^T = op(B)^T op(A)^T, i.e. the row-major
// product with the operands swapped.
// Arguments are checked before this; what can still fail (a null matrix, a bad SIMDML_ISA) must
// not unwind through C or Fortran frames.
void row_major_sgemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                     const float* b, int ldb, float beta, float* c, int ldc) {
  try {
    simdml::sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                  simdml::default_thread_count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "simdml sgemm: %s\n", e.what());
  }
}

void column_major_sgemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a,
                        int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  row_major_sgemm(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
}

bool parse_fortran_trans(char t, Trans& out) {
  switch (t) {
    case 'N': case 'n': out = Trans::no; return true;
    case 'T': case 't': case 'C': case 'c': out = Trans::yes; return true;
    default: return false;
  }
}

int max1(int v) { return v > 1 ? v : 1; }

}  // namespace

extern "C" {

__attribute__((weak)) int xerbla_(const char* name, const int* info, int name_length) {
  std::fprintf(stderr, " ** On entry to %.*s parameter number %2d had an illegal value\n",
               name_length, name, *info);
  return 0;
}

void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc) {
  Trans ta{}, tb{};
  int info = 0;
  if (!parse_fortran_trans(*transa, ta)) info = 1;
  else if (!parse_fortran_trans(*transb, tb)) info = 2;
  else if (*m < 0) info = 3;
  else if (*n < 0) info = 4;
  else if (*k < 0) info = 5;
  else if (*lda < max1(ta == Trans::no ? *m : *k)) info = 8;
  else if (*ldb < max1(tb == Trans::no ? *k : *n)) info = 10;
  else if (*ldc < max1(*m)) info = 13;
  if (info != 0) {
    xerbla_("SGEMM ", &info, 6);
    return;
  }
  column_major_sgemm(ta, tb, *m, *n, *k, *alpha, a, *lda, b, *ldb, *beta, c, *ldc);
}

// The CBLAS enumerations, by value (cblas.h).
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n,
                 int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta,
                 float* c, int ldc) {
  const auto valid = [](CBLAS_TRANSPOSE t) {
    return t == CblasNoTrans || t == CblasTrans || t == CblasConjTrans;
  };
  const Trans ta = trans_a == CblasNoTrans ? Trans::no : Trans::yes;
  const Trans tb = trans_b == CblasNoTrans ? Trans::no : Trans::yes;
  const bool row_major = order == CblasRowMajor;
  // Stored rows (row-major) or columns (column-major) of A, B and C.
  const int a_line = (row_major == (ta == Trans::no)) ? k : m;
  const int b_line = (row_major == (tb == Trans::no)) ? n : k;
  const int c_line = row_major ? n : m;
  int info = 0;
  if (order != CblasRowMajor && order != CblasColMajor) info = 1;
  else if (!valid(trans_a)) info = 2;
  else if (!valid(trans_b)) info = 3;
  else if (m < 0) info = 4;
  else if (n < 0) info = 5;
  else if (k < 0) info = 6;
  else if (lda < max1(a_line)) info = 9;
  else if (ldb < max1(b_line)) info = 11;
  else if (ldc < max1(c_line)) info = 14;
  if (info != 0) {
    xerbla_("SGEMM ", &info, 6);
    return;
  }
  if (row_major)
    row_major_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    column_major_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // extern "C"
