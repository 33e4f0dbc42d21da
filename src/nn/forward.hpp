// The forward pass, shared by training (which keeps every layer's outputs for the backward pass)
// and by prediction and evaluation.
#pragma once

#include <vector>

#include "simdml/network.hpp"

namespace simdml::nn {

// The kernels a Compute names, resolved once.
struct Kernels {
  const GemmKernel& gemm;
  const ActivationKernels& act;
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

// Per-layer output buffers for batches of up to max_rows rows.
struct ForwardBuffers {
  std::vector<std::vector<float>> out;  // out[l]: rows x sizes[l + 1]
  std::vector<float> logits;            // the softmax layer's input (cross-entropy networks)
  ForwardBuffers(const Network& net, std::int64_t max_rows);
};

// out[l] = f(out[l - 1] * W^T + b) for every layer, starting from x (rows x inputs).
void forward(const Network& net, const float* x, std::int64_t rows, const Kernels& kernels,
             ForwardBuffers& buffers);

// The mean loss over the batch whose forward pass is in `buffers`, summed in double in row order.
double batch_loss(const Network& net, const ForwardBuffers& buffers, const std::int32_t* labels,
                  std::int64_t rows);

}  // namespace simdml::nn
