// simdml knn --plot: the k-NN tutorial's picture of decision regions on two features.
#pragma once

#include "cli/command.hpp"
#include "simdml/knn.hpp"

namespace simdml::cli {

// Classifies a mesh over two features (--plot-features I,J, columns counted from 1; default the
// last two, iris's petal length and width) with k neighbours (--plot-k; default the best k of a
// 5-fold cross-validation on those two features over k = 1 to 15) and writes the class regions,
// the training points on top, as an SVG file to --plot, atomically.
int draw_decision_regions(const Arguments& args, const Dataset& train, const KnnKernel& kernel,
                          int threads);

}  // namespace simdml::cli
