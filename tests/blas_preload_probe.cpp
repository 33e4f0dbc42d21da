// Built against OpenBLAS; run with LD_PRELOAD=libsimdml_blas.so, it reports which library
// cblas_sgemm and sgemm_ resolve to and checks one product, proving that preloading swaps the
// kernel under an unchanged program.
#include <cblas.h>
#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <initializer_list>

int main() {
  for (const char* symbol : {"cblas_sgemm", "sgemm_"}) {
    Dl_info info{};
    void* address = dlsym(RTLD_DEFAULT, symbol);
    if (address == nullptr || dladdr(address, &info) == 0) return 2;
    std::printf("%s from %s\n", symbol, info.dli_fname);
  }
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};  // 2x3 times 3x2
  float c[4] = {};
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2);
  const float expected[4] = {58, 64, 139, 154};
  for (int i = 0; i < 4; ++i)
    if (c[i] != expected[i]) return 3;
  std::printf("product ok\n");
  return 0;
}
