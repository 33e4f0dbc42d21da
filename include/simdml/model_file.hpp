// Model files: a trained Network as a NumPy .npz archive (np.load(path) reads it, no pickle).
//
// Format version 1. Arrays in the archive:
//   simdml_model_version  int64 ()           1
//   sizes                 int64 (L + 1,)     inputs, hidden sizes..., outputs
//   hidden_activations    <U7   (L - 1,)     "sigmoid", "tanh" or "relu" per hidden layer
//   loss                  <U13  ()           "quadratic" (sigmoid outputs) or "cross-entropy"
//   (softmax) weights_<l>           float32 (sizes[l + 1], sizes[l])   for l = 0 .. L - 1,
//   row-major biases_<l>            float32 (sizes[l + 1],)
// The outputs of a sample x (a row vector in [0, 1]^inputs) are, layer by layer,
// a = f(a @ weights_l.T + biases_l) with f the hidden activation, then sigmoid or softmax.
// Files are written atomically and byte for byte reproducibly (equal networks, equal files).
#pragma once

#include <filesystem>
#include <stdexcept>

#include "simdml/network.hpp"

namespace simdml {

inline constexpr std::int64_t kModelFormatVersion = 1;

// A model file that cannot be used: not an npz, truncated, another version, inconsistent shapes.
struct ModelFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error when the file cannot be written (nothing is left behind).
void save_model(const Network& net, const std::filesystem::path& path);

// Throws ModelFileError naming the file and what is wrong, a NaN or infinite weight included.
Network load_model(const std::filesystem::path& path);

}  // namespace simdml
