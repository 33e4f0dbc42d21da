// The one pattern behind every kernel list (GEMM, activations, k-NN): named kernels, each with what
// it needs of the CPU and the output tile it computes; one rule for which kernel a variant
// dispatches to; one lookup by name, with one wording for unknown and unsupported names.
// Dispatch, the programs, the tests and the benchmarks all read the lists through it.
//
// A Kernel type has the members: name (e.g. "simd-avx2"), variant (an enum; its name is the
// kernel name's prefix, "simd"), isa, extension and, for GEMM and k-NN, tile.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "simdml/dispatch.hpp"

namespace simdml {

// The block of output one step of a kernel computes: a micro-kernel's register tile (MR rows of C
// by NR columns; queries by training rows for k-NN), or blocked k-NN's query x training tile.
// 0 x 0: the textbook loops, which have none. Tests derive their edge sizes from it.
struct OutputTile {
  int rows = 0;
  int columns = 0;
};

// The one "available on this CPU" rule: the target's psABI level and the extension, both
// implemented by the CPU and enabled by the OS.
bool kernel_runs_here(Isa isa, Extension extension);

template <class Kernel>
bool runs_here(const Kernel& kernel) {
  return kernel_runs_here(kernel.isa, kernel.extension);
}

namespace registry_detail {
[[noreturn]] void throw_unknown(std::string_view family, std::string_view name,
                                const std::string& choices);
[[noreturn]] void throw_unsupported(std::string_view family, std::string_view name, Isa isa,
                                    Extension extension);
[[noreturn]] void throw_no_kernel(std::string_view family, std::string_view variant);
}  // namespace registry_detail

template <class Kernel>
class KernelRegistry {
 public:
  using Variant = decltype(Kernel::variant);
  using VariantName = std::string_view (*)(Variant);

  // family names the list in messages ("GEMM", "k-NN", "activation"). The list runs from least to
  // most capable within each variant.
  constexpr KernelRegistry(std::string_view family, std::span<const Kernel> kernels,
                           VariantName variant_name)
      : family_(family), kernels_(kernels), variant_name_(variant_name) {}

  // Every compiled kernel, including those this CPU cannot run (see runs_here).
  constexpr std::span<const Kernel> kernels() const { return kernels_; }

  // The kernel a variant dispatches to: the most capable of that variant (the last in the list)
  // whose target active_isa() allows and that runs here.
  const Kernel& dispatched(Variant variant) const {
    const Kernel* chosen = nullptr;
    for (const Kernel& k : kernels_)
      if (k.variant == variant && static_cast<int>(k.isa) <= static_cast<int>(active_isa()) &&
          runs_here(k))
        chosen = &k;
    if (chosen == nullptr) registry_detail::throw_no_kernel(family_, variant_name_(variant));
    return *chosen;
  }

  // A variant name ("simd") dispatches; a kernel name ("simd-avx2") picks that kernel. Throws
  // std::invalid_argument for an unknown name (listing the valid ones) or a kernel this CPU cannot
  // run.
  const Kernel& find(std::string_view name) const {
    for (const Kernel& k : kernels_)
      if (name == variant_name_(k.variant)) return dispatched(k.variant);
    for (const Kernel& k : kernels_) {
      if (name != k.name) continue;
      require_runs_here(k);
      return k;
    }
    registry_detail::throw_unknown(family_, name, choices());
  }

  // Throws std::invalid_argument, in find's wording, unless this CPU runs the kernel.
  void require_runs_here(const Kernel& kernel) const {
    if (!runs_here(kernel))
      registry_detail::throw_unsupported(family_, kernel.name, kernel.isa, kernel.extension);
  }

  // The names find accepts, variants first within each: "naive, blocked, simd, simd-sse2, ...".
  std::string choices() const {
    std::string list;
    const auto add = [&list](std::string_view name) {
      if (!list.empty()) list += ", ";
      list += name;
    };
    for (std::size_t i = 0; i < kernels_.size(); ++i) {
      const std::string_view variant = variant_name_(kernels_[i].variant);
      if (i == 0 || variant != variant_name_(kernels_[i - 1].variant)) add(variant);
      if (kernels_[i].name != variant) add(kernels_[i].name);
    }
    return list;
  }

 private:
  std::string_view family_;
  std::span<const Kernel> kernels_;
  VariantName variant_name_;
};

}  // namespace simdml
