// How well a classifier did: what the networks and k-NN both report.
#pragma once

#include <cstdint>
#include <vector>

namespace simdml {

struct Evaluation {
  int classes = 0;
  std::int64_t correct = 0, total = 0;
  std::vector<std::int64_t> confusion;  // classes x classes: [true label][predicted]

  explicit Evaluation(int classes_ = 0)
      : classes(classes_),
        confusion(static_cast<std::size_t>(classes_) * static_cast<std::size_t>(classes_), 0) {}
  // Both labels must be in [0, classes).
  void add(std::int32_t truth, std::int32_t predicted) {
    correct += truth == predicted;
    ++total;
    ++confusion[static_cast<std::size_t>(truth) * static_cast<std::size_t>(classes) +
                static_cast<std::size_t>(predicted)];
  }
  double accuracy() const {
    return total == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total);
  }
};

}  // namespace simdml
