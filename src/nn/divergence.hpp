// The one wording of a diverged run's advice, shared by the per-batch loss check (trainer.cpp) and
// DivergenceGuard (network.cpp).
#pragma once

#include <string>

namespace simdml::nn {

// " (the learning rate 1000 is too high for this network)"
std::string rate_advice(float learning_rate);

}  // namespace simdml::nn
