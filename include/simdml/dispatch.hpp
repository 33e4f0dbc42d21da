// The one place that decides which instruction set the SIMD kernels run with.
//
// Kernels are compiled once per target, each in its own translation unit with its own -march
// level; everything else is built for baseline x86-64. At run time the best target that both the
// CPU and the operating system support is chosen, unless the user caps it with the SIMDML_ISA
// environment variable (read once, at first use) or set_isa_cap().
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace simdml {

// Dispatch targets, ordered from least to most capable. Each is an x86-64 psABI level.
enum class Isa : int {
  sse2 = 0,    // x86-64-v1: the baseline every x86-64 CPU has (no FMA)
  avx2 = 1,    // x86-64-v3: AVX2 + FMA
  avx512 = 2,  // x86-64-v4: AVX-512 F/CD/DQ/BW/VL
};

inline constexpr Isa kAllIsas[] = {Isa::sse2, Isa::avx2, Isa::avx512};

std::string_view isa_name(Isa isa);
// Accepts the names isa_name() prints; nullopt for anything else.
std::optional<Isa> parse_isa(std::string_view name);

// True when the CPU implements the target and the OS saves its register state.
bool isa_supported(Isa isa);
Isa best_supported_isa();

// The target the dispatched kernels use: the best supported one, capped by set_isa_cap() or,
// failing that, by SIMDML_ISA. A cap above what the CPU supports falls back to the best
// supported target. An unparsable SIMDML_ISA throws std::invalid_argument on first use.
Isa active_isa();
void set_isa_cap(std::optional<Isa> cap);

// Extensions beyond a target's psABI level that single kernels use (the int8 k-NN's VNNI kernel;
// the GEMM and activations need none). A kernel that uses one also needs its target's level.
enum class Extension : int {
  none = 0,
  avx512vnni = 1,  // vpdpbusd: u8 x s8 byte quads summed into int32 lanes
  amx_int8 = 2,    // AMX tiles with tdpbuud: u8 x u8 16 x 64 by 64 x 16 products into int32
                   // (Linux grants the tile state per process; supported only once it has)
};

std::string_view extension_name(Extension extension);  // "" for none
// True when the CPU implements it and the OS saves its register state; none: true.
bool extension_supported(Extension extension);

struct CpuInfo {
  std::string vendor;
  std::string model;                  // the brand string, e.g. "AMD EPYC 7B13"
  std::vector<std::string> features;  // the SIMD-relevant CPUID flags the OS lets us use
};
const CpuInfo& cpu_info();

// Flush-to-zero, an explicit option (off by default: IEEE arithmetic). On, results that would be
// denormal become 0 and denormal inputs read as 0 (MXCSR FTZ and DAZ), on the calling thread and
// on every OpenMP worker (those that exist are set in one parallel region of `threads`; later ones
// inherit the caller's mode). Kernels whose outputs underflow (exp or sigmoid of large negative
// inputs) run 2 to 4x faster with it; denormal GEMM operands cost nothing either way on the CPUs
// measured. Results stay bitwise reproducible for a given setting; they differ between settings
// wherever a denormal occurs. The CLI's --flush-denormals and SIMDML_FLUSH_DENORMALS=1 turn it on.
void set_flush_denormals(bool on, int threads);
bool flush_denormals();  // the calling thread's mode

// The thread count a program uses when the user gives none: OpenMP's default (OMP_NUM_THREADS
// or the number of cores). Read it once at the top of a program and pass it down.
int default_thread_count();

}  // namespace simdml
