// The forward pass, shared by training (which keeps every layer's outputs for the backward pass)
// and by prediction and evaluation.
#pragma once

#include <vector>

#include "nn/team.hpp"
#include "simdml/network.hpp"

namespace simdml::nn {

// The kernels a Compute names, resolved once.
struct Kernels {
  const GemmKernel& gemm;
  const ElementwiseKernels& act;
  int threads;
};
Kernels resolve(const Compute& compute);

// How a layer's GEMMs share its units between threads. The forward product splits the units as C's
// columns and the weight update as C's rows (see GemmSplit) when the weights outweigh the batch
// (at least as many units as rows): each thread then updates the weight rows it reads next, and
// they stay in its cache (docs/experiments.md#e30). A larger batch is the operand to keep in
// place, so the GEMM splits as it prefers. `units_are` names the dimension of C that holds the
// units.
inline GemmExecution layer_execution(const Layer& layer, std::int64_t rows, const Kernels& kernels,
                                     GemmSplit units_are) {
  return {kernels.threads, GemmPath::automatic,
          layer.outputs >= rows ? units_are : GemmSplit::automatic};
}

// Throws std::invalid_argument unless the dataset fits the network (features and classes).
void check_features(const Network& net, const Dataset& data);

// A row-major matrix of `rows` rows whose row r starts at data + r * ld.
struct Rows {
  float* data;
  std::int64_t ld;
  float* row(std::int64_t r) const { return data + r * ld; }
};

// A layer's weights as a product reads them: W itself (outputs x inputs, row stride ld), which
// the product transposes, or W^T already (inputs x ld).
struct Weights {
  const float* data;
  std::int64_t ld;
  Trans layout;  // yes: data holds W; no: data holds W^T
};

// z[:, units] = in * W[units]^T + b[units] for `rows` rows of `in`: the units' columns of z only,
// so a thread can compute its share of a layer.
void affine(const Layer& layer, Weights w, Rows in, std::int64_t rows, UnitRange units, Rows z,
            const GemmKernel& gemm, const GemmExecution& execution);

// The hidden activation, or its derivative (delta *= f'(y)), on columns [units) of `rows` rows:
// one kernel call when they are whole contiguous rows.
void activate(Activation a, const ElementwiseKernels& act, Rows z, std::int64_t rows,
              UnitRange units);
void activation_backward(Activation a, const ElementwiseKernels& act, Rows y, Rows delta,
                         std::int64_t rows, UnitRange units);

// Per-layer output buffers for batches of up to max_rows rows.
struct ForwardBuffers {
  std::vector<std::vector<float>> out;  // out[l]: rows x sizes[l + 1]
  std::vector<float> logits;            // the softmax layer's input (cross-entropy networks)
  ForwardBuffers(const Network& net, std::int64_t max_rows);
};

// out[l] = f(out[l - 1] * W^T + b) for every layer, starting from x (rows x inputs).
void forward(const Network& net, const float* x, std::int64_t rows, const Kernels& kernels,
             ForwardBuffers& buffers);

// The mean loss over a batch from its outputs (quadratic) or its logits (cross-entropy), rows x
// classes each, summed in double in row order.
double batch_loss(const Network& net, const float* outputs, const float* logits,
                  const std::int32_t* labels, std::int64_t rows);

}  // namespace simdml::nn
