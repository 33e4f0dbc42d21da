#include "simdml/dispatch.hpp"

#include <cpuid.h>
#include <omp.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace simdml {
namespace {

struct CpuidRegs {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(unsigned leaf, unsigned subleaf = 0) {
  CpuidRegs r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

bool bit(unsigned reg, int index) { return ((reg >> index) & 1u) != 0; }

// XGETBV(0): which register states the OS saves on context switch. Only valid when OSXSAVE is set.
std::uint64_t os_enabled_states() {
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t{hi} << 32) | lo;
}

struct Features {
  bool sse2 = false, sse41 = false, avx = false, fma = false, f16c = false, avx2 = false;
  bool bmi1 = false, bmi2 = false, lzcnt = false, movbe = false;
  bool avx512f = false, avx512cd = false, avx512dq = false, avx512bw = false, avx512vl = false;
  bool avx512vnni = false, amx_tile = false, amx_int8 = false;
  bool os_ymm = false, os_zmm = false, os_amx = false;
};

Features detect_features() {
  Features f;
  const unsigned max_leaf = cpuid(0).eax;
  const CpuidRegs l1 = cpuid(1);
  f.sse2 = bit(l1.edx, 26);
  f.sse41 = bit(l1.ecx, 19);
  f.fma = bit(l1.ecx, 12);
  f.movbe = bit(l1.ecx, 22);
  f.f16c = bit(l1.ecx, 29);
  f.avx = bit(l1.ecx, 28);
  const bool osxsave = bit(l1.ecx, 27);
  if (osxsave) {
    const std::uint64_t xcr0 = os_enabled_states();
    f.os_ymm = (xcr0 & 0x6) == 0x6;          // SSE and AVX state
    f.os_zmm = (xcr0 & 0xe6) == 0xe6;        // plus opmask, ZMM_Hi256 and Hi16_ZMM
    f.os_amx = (xcr0 & 0x60000) == 0x60000;  // XTILECFG and XTILEDATA
  }
  if (max_leaf >= 7) {
    const CpuidRegs l7 = cpuid(7, 0);
    f.bmi1 = bit(l7.ebx, 3);
    f.avx2 = bit(l7.ebx, 5);
    f.bmi2 = bit(l7.ebx, 8);
    f.avx512f = bit(l7.ebx, 16);
    f.avx512dq = bit(l7.ebx, 17);
    f.avx512cd = bit(l7.ebx, 28);
    f.avx512bw = bit(l7.ebx, 30);
    f.avx512vl = bit(l7.ebx, 31);
    f.avx512vnni = bit(l7.ecx, 11);
    f.amx_tile = bit(l7.edx, 24);
    f.amx_int8 = bit(l7.edx, 25);
  }
  if (cpuid(0x80000000).eax >= 0x80000001) f.lzcnt = bit(cpuid(0x80000001).ecx, 5);
  return f;
}

const Features& features() {
  static const Features f = detect_features();
  return f;
}

// The extensions, usable when the CPU has them and the OS saves their state (AMX also needs the
// per-process grant, asked for only when a kernel wants it: see amx_permitted).
bool has_vnni(const Features& f) { return f.avx512vnni && f.os_zmm; }
bool has_amx_int8(const Features& f) { return f.amx_tile && f.amx_int8 && f.os_amx; }

bool supports(const Features& f, Isa isa) {
  switch (isa) {
    case Isa::sse2:
      return f.sse2;
    case Isa::avx2:
      return f.avx && f.avx2 && f.fma && f.f16c && f.bmi1 && f.bmi2 && f.lzcnt && f.movbe &&
             f.os_ymm;
    case Isa::avx512:
      return supports(f, Isa::avx2) && f.avx512f && f.avx512cd && f.avx512dq && f.avx512bw &&
             f.avx512vl && f.os_zmm;
  }
  return false;
}

std::string brand_string() {
  if (cpuid(0x80000000).eax < 0x80000004) return "unknown";
  std::array<unsigned, 12> words{};
  for (unsigned i = 0; i < 3; ++i) {
    const CpuidRegs r = cpuid(0x80000002 + i);
    words[i * 4 + 0] = r.eax;
    words[i * 4 + 1] = r.ebx;
    words[i * 4 + 2] = r.ecx;
    words[i * 4 + 3] = r.edx;
  }
  char text[49] = {};
  std::memcpy(text, words.data(), 48);
  std::string s(text);
  const auto first = s.find_first_not_of(' ');
  const auto last = s.find_last_not_of(' ');
  return first == std::string::npos ? "unknown" : s.substr(first, last - first + 1);
}

std::string vendor_string() {
  const CpuidRegs r = cpuid(0);
  char text[13] = {};
  std::memcpy(text + 0, &r.ebx, 4);
  std::memcpy(text + 4, &r.edx, 4);
  std::memcpy(text + 8, &r.ecx, 4);
  return text;
}

CpuInfo detect_cpu_info() {
  const Features& f = features();
  CpuInfo info{vendor_string(), brand_string(), {}};
  const std::pair<bool, const char*> flags[] = {
      {f.sse2, "sse2"},
      {f.sse41, "sse4.1"},
      {f.avx && f.os_ymm, "avx"},
      {f.avx2 && f.os_ymm, "avx2"},
      {f.fma && f.os_ymm, "fma"},
      {f.f16c, "f16c"},
      {f.avx512f && f.os_zmm, "avx512f"},
      {f.avx512cd && f.os_zmm, "avx512cd"},
      {f.avx512dq && f.os_zmm, "avx512dq"},
      {f.avx512bw && f.os_zmm, "avx512bw"},
      {f.avx512vl && f.os_zmm, "avx512vl"},
      {has_vnni(f), "avx512vnni"},
      {has_amx_int8(f), "amx-int8"},
  };
  for (const auto& [present, name] : flags)
    if (present) info.features.emplace_back(name);
  return info;
}

Isa cap_from_environment() {
  const char* text = std::getenv("SIMDML_ISA");
  if (text == nullptr || *text == '\0') return Isa::avx512;
  if (auto isa = parse_isa(text)) return *isa;
  throw std::invalid_argument(std::string("SIMDML_ISA='") + text +
                              "' is not a target; use sse2, avx2 or avx512");
}

std::atomic<int> g_cap_override{-1};

// Linux hands out the 8 KiB AMX tile state per process, on request; a tile instruction without
// it raises SIGILL. Asked once; the answer is kept.
bool amx_permitted() {
  static const bool permitted = [] {
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return permitted;
}

}  // namespace

std::string_view extension_name(Extension extension) {
  switch (extension) {
    case Extension::none:
      return "";
    case Extension::avx512vnni:
      return "avx512vnni";
    case Extension::amx_int8:
      return "amx-int8";
  }
  return "unknown";
}

bool extension_supported(Extension extension) {
  switch (extension) {
    case Extension::none:
      return true;
    case Extension::avx512vnni:
      return has_vnni(features());
    case Extension::amx_int8:
      return has_amx_int8(features()) && amx_permitted();
  }
  return false;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::sse2:
      return "sse2";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<Isa> parse_isa(std::string_view name) {
  for (Isa isa : kAllIsas)
    if (name == isa_name(isa)) return isa;
  return std::nullopt;
}

bool isa_supported(Isa isa) { return supports(features(), isa); }

Isa best_supported_isa() {
  Isa best = Isa::sse2;
  for (Isa isa : kAllIsas)
    if (isa_supported(isa)) best = isa;
  return best;
}

Isa active_isa() {
  static const Isa env_cap = cap_from_environment();
  const int override_value = g_cap_override.load(std::memory_order_relaxed);
  const Isa cap = override_value >= 0 ? static_cast<Isa>(override_value) : env_cap;
  const Isa best = best_supported_isa();
  return static_cast<int>(cap) < static_cast<int>(best) ? cap : best;
}

void set_isa_cap(std::optional<Isa> cap) {
  g_cap_override.store(cap ? static_cast<int>(*cap) : -1, std::memory_order_relaxed);
}

const CpuInfo& cpu_info() {
  static const CpuInfo info = detect_cpu_info();
  return info;
}

int default_thread_count() { return omp_get_max_threads(); }

namespace {
constexpr unsigned kFlushBits = 0x8040;  // MXCSR: FTZ (bit 15) and DAZ (bit 6)

void set_this_thread(bool on) {
  _mm_setcsr(on ? (_mm_getcsr() | kFlushBits) : (_mm_getcsr() & ~kFlushBits));
}
}  // namespace

void set_flush_denormals(bool on, int threads) {
  set_this_thread(on);
#pragma omp parallel num_threads(threads)
  set_this_thread(on);
}

bool flush_denormals() { return (_mm_getcsr() & kFlushBits) == kFlushBits; }

}  // namespace simdml
