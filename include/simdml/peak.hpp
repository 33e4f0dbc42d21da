// The machine's measured FMA peak: a loop of independent fused multiply-adds that keeps every FMA
// pipe busy, so benchmark reports can state "% of peak" from a number measured beside them.
#pragma once

#include <cstdint>

#include "simdml/dispatch.hpp"

namespace simdml {

// Runs `iterations` rounds of independent vector FMAs on the `isa` target (sse2 has no FMA and
// issues a multiply and an add) and returns the floating-point operations done (2 per FMA).
// Throws std::invalid_argument when the CPU lacks the target.
std::int64_t run_fma_peak_loop(Isa isa, std::int64_t iterations);

}  // namespace simdml
