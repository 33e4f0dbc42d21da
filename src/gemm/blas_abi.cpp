// The BLAS ABI: cblas_sgemm and the Fortran sgemm_, so a program written against any BLAS can use
// simdml's GEMM by linking libsimdml_blas.so or preloading it (LD_PRELOAD).
//
// Argument errors are reported the way the reference BLAS and CBLAS do, and nothing is computed:
// sgemm_ calls xerbla_("SGEMM ", Fortran position), cblas_sgemm calls
// cblas_xerbla(CBLAS position, "cblas_sgemm", format, value). Both handlers here only print; they
// are weak, so a program may define its own. The netlib testers xblat3s and xscblat3 check both
// (tests/blas_conformance_test.sh). Threads: OpenMP's default (OMP_NUM_THREADS), per call.
// SIMDML_GEMM_PATH=packed|unpacked forces the simd kernel's path, so that the testers' sizes
// (at most 65) reach the packed path too; otherwise the shape decides.
#include <array>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "simdml/gemm.hpp"

namespace {

using simdml::Trans;

// SIMDML_GEMM_PATH's path for every call, read once; unset or unknown leaves it to the shape.
simdml::GemmPath forced_path() {
  static const simdml::GemmPath path = [] {
    const char* name = std::getenv("SIMDML_GEMM_PATH");
    if (name == nullptr || *name == '\0') return simdml::GemmPath::automatic;
    if (std::strcmp(name, "packed") == 0) return simdml::GemmPath::packed;
    if (std::strcmp(name, "unpacked") == 0) return simdml::GemmPath::unpacked;
    std::fprintf(stderr, "simdml: SIMDML_GEMM_PATH=%s is neither packed nor unpacked; ignored\n",
                 name);
    return simdml::GemmPath::automatic;
  }();
  return path;
}

// Arguments are checked before this; what can still fail (a null matrix, a bad SIMDML_ISA) must
// not unwind through C or Fortran frames.
void row_major_sgemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                     const float* b, int ldb, float beta, float* c, int ldc) {
  try {
    simdml::sgemm(simdml::gemm_kernel(simdml::GemmVariant::simd),
                  {ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc},
                  {simdml::default_thread_count(), forced_path()});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "simdml sgemm: %s\n", e.what());
  }
}

// Column-major C (m x n) is row-major C^T (n x m): C^T = op(B)^T op(A)^T, i.e. the row-major
// product with the operands swapped.
void column_major_sgemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a,
                        int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  row_major_sgemm(tb, ta, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
}

bool parse_fortran_trans(char t, Trans& out) {
  switch (t) {
    case 'N':
    case 'n':
      out = Trans::no;
      return true;
    case 'T':
    case 't':
    case 'C':
    case 'c':
      out = Trans::yes;
      return true;
    default:
      return false;
  }
}

int max1(int v) { return v > 1 ? v : 1; }

// A gemm position in the terms of the other layout's call: the operands swap, so M <-> N and
// lda <-> ldb (the mapping the reference's handler and the netlib tester apply).
int swap_operand_position(int position) {
  switch (position) {
    case 4:
      return 5;
    case 5:
      return 4;
    case 9:
      return 11;
    case 11:
      return 9;
    default:
      return position;
  }
}

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
  if (!parse_fortran_trans(*transa, ta))
    info = 1;
  else if (!parse_fortran_trans(*transb, tb))
    info = 2;
  else if (*m < 0)
    info = 3;
  else if (*n < 0)
    info = 4;
  else if (*k < 0)
    info = 5;
  else if (*lda < max1(ta == Trans::no ? *m : *k))
    info = 8;
  else if (*ldb < max1(tb == Trans::no ? *k : *n))
    info = 10;
  else if (*ldc < max1(*m))
    info = 13;
  if (info != 0) {
    xerbla_("SGEMM ", &info, 6);
    return;
  }
  column_major_sgemm(ta, tb, *m, *n, *k, *alpha, a, *lda, b, *ldb, *beta, c, *ldc);
}

// The CBLAS enumerations, by value (cblas.h).
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

// The reference CBLAS's globals (its cblas_globals.c). A row-major call is the column-major call
// with the operands swapped, and the reference reports an error in that call's terms: a bad M as
// position 5, a bad lda as 11. RowMajorStrg is 1 while the handler runs, so that a handler (the
// reference's, the netlib tester's, this one) maps the position back to the caller's: 4 <-> 5,
// 9 <-> 11. CBLAS_CallFromC is 1 for the duration of a CBLAS call.
int RowMajorStrg = 0;
int CBLAS_CallFromC = 0;

// The reference CBLAS's error handler: it prints the caller's position, then (unlike the
// reference, which exits) returns, and cblas_sgemm computes nothing. Weak, so a program's own
// cblas_xerbla replaces it.
__attribute__((weak, format(printf, 3, 4))) void cblas_xerbla(int position, const char* routine,
                                                              const char* format, ...) {
  std::fprintf(stderr, "Parameter %d to routine %s was incorrect\n",
               RowMajorStrg != 0 ? swap_operand_position(position) : position, routine);
  std::va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

// Positions are CBLAS's (1 = order, 2 = TransA, 3 = TransB, 4 = M, ..., 14 = ldc), checked in
// the reference's order: a row-major call is checked as the Fortran call it becomes, N before M
// and ldb before lda, and reported in that call's positions (see RowMajorStrg).
void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m, int n,
                 int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta,
                 float* c, int ldc) {
  constexpr const char* kRoutine = "cblas_sgemm";
  const auto valid = [](CBLAS_TRANSPOSE t) {
    return t == CblasNoTrans || t == CblasTrans || t == CblasConjTrans;
  };
  const bool row_major = order == CblasRowMajor;
  CBLAS_CallFromC = 1;
  RowMajorStrg = row_major ? 1 : 0;
  const auto report = [&](int position, const char* format, int value) {
    cblas_xerbla(row_major ? swap_operand_position(position) : position, kRoutine, format, value);
    CBLAS_CallFromC = RowMajorStrg = 0;
  };
  if (!row_major && order != CblasColMajor) return report(1, "Illegal layout setting, %d\n", order);
  if (!valid(trans_a)) return report(2, "Illegal TransA setting, %d\n", trans_a);
  if (!valid(trans_b)) return report(3, "Illegal TransB setting, %d\n", trans_b);
  const Trans ta = trans_a == CblasNoTrans ? Trans::no : Trans::yes;
  const Trans tb = trans_b == CblasNoTrans ? Trans::no : Trans::yes;
  // Stored rows (row-major) or columns (column-major) of A, B and C.
  const int a_line = (row_major == (ta == Trans::no)) ? k : m;
  const int b_line = (row_major == (tb == Trans::no)) ? n : k;
  const int c_line = row_major ? n : m;
  struct Check {
    bool bad;
    int position;  // the caller's
    const char* format;
    int value;
  };
  const Check size_m{m < 0, 4, "Illegal M setting, %d\n", m};
  const Check size_n{n < 0, 5, "Illegal N setting, %d\n", n};
  const Check size_k{k < 0, 6, "Illegal K setting, %d\n", k};
  const Check ld_a{lda < max1(a_line), 9, "Illegal lda setting, %d\n", lda};
  const Check ld_b{ldb < max1(b_line), 11, "Illegal ldb setting, %d\n", ldb};
  const Check ld_c{ldc < max1(c_line), 14, "Illegal ldc setting, %d\n", ldc};
  const std::array column_major_order{size_m, size_n, size_k, ld_a, ld_b, ld_c};
  const std::array row_major_order{size_n, size_m, size_k, ld_b, ld_a, ld_c};
  for (const Check& check : row_major ? row_major_order : column_major_order)
    if (check.bad) return report(check.position, check.format, check.value);
  if (row_major)
    row_major_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    column_major_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  CBLAS_CallFromC = RowMajorStrg = 0;
}

}  // extern "C"
