// The kernel lists' shared rule and messages (include/simdml/kernel_registry.hpp).
#include "simdml/kernel_registry.hpp"

#include <stdexcept>

namespace simdml {

bool kernel_runs_here(Isa isa, Extension extension) {
  return isa_supported(isa) && extension_supported(extension);
}

namespace registry_detail {

void throw_unknown(std::string_view family, std::string_view name, const std::string& choices) {
  throw std::invalid_argument("unknown " + std::string(family) + " kernel '" + std::string(name) +
                              "' (choose from " + choices + ")");
}

void throw_unsupported(std::string_view family, std::string_view name, Isa isa,
                       Extension extension) {
  std::string needs(isa_name(isa));
  if (extension != Extension::none) needs += " and " + std::string(extension_name(extension));
  throw std::invalid_argument(std::string(family) + " kernel '" + std::string(name) + "' needs " +
                              needs + ", which this CPU does not provide");
}

void throw_no_kernel(std::string_view family, std::string_view variant) {
  throw std::logic_error("no " + std::string(family) + " kernel of variant '" +
                         std::string(variant) + "' runs on this CPU");
}

}  // namespace registry_detail
}  // namespace simdml
