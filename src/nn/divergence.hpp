// The one wording of a diverged run's advice, shared by the per-batch loss check (trainer.cpp) and
// DivergenceGuard (network.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace simdml::nn {

// " (the learning rate 1000 is too high for this network)"
std::string rate_advice(float learning_rate);

// Stops an epoch whose loss at mini-batch `batch` (1-based) is not finite (trainer.cpp).
[[noreturn]] void throw_diverged(double loss, std::int64_t batch, float learning_rate);

}  // namespace simdml::nn
