// A bounded list of the nearest candidates seen so far, the selection every k-NN variant shares.
#pragma once

#include <cstdint>
#include <limits>

namespace simdml::knn_detail {
// Internal linkage: every translation unit gets its own copy, so a copy compiled for a wide target
// can never be the one the linker keeps for baseline code (docs/design.md, "One definition per
// target").
namespace {

// The `capacity` smallest (distance, index) pairs offered, sorted ascending; a pair beats another
// when its distance is smaller, or equal with a lower index. Storage lies outside (one slice of a
// per-tile array), so a tile of lists is two allocations.
template <class Distance>
class TopK {
 public:
  TopK(int capacity, Distance* distances, std::int32_t* indices)
      : capacity_(capacity), distances_(distances), indices_(indices) {}

  // Every pair that could still enter has a distance <= bound(): the cheap filter for scans.
  Distance bound() const {
    return size_ < capacity_ ? std::numeric_limits<Distance>::max() : distances_[size_ - 1];
  }

  void offer(Distance d, std::int32_t index) {
    if (size_ == capacity_ && !beats(d, index, size_ - 1)) return;
    int at = size_ < capacity_ ? size_++ : size_ - 1;
    for (; at > 0 && beats(d, index, at - 1); --at) {
      distances_[at] = distances_[at - 1];
      indices_[at] = indices_[at - 1];
    }
    distances_[at] = d;
    indices_[at] = index;
  }

  int size() const { return size_; }
  Distance distance(int i) const { return distances_[i]; }
  std::int32_t index(int i) const { return indices_[i]; }

 private:
  bool beats(Distance d, std::int32_t index, int slot) const {
    return d < distances_[slot] || (d == distances_[slot] && index < indices_[slot]);
  }

  int capacity_;
  int size_ = 0;
  Distance* distances_;
  std::int32_t* indices_;
};

// Offers every distance of one tile row that could enter the list, as training row base + j.
// find(d, from, n, bound) returns the next j >= from with d[j] <= bound, or n: a vector scan,
// since most of a row holds no candidate once the list is full.
template <class Distance, class Find>
void offer_candidates(const Distance* d, std::int64_t n, std::int64_t base, TopK<Distance>& list,
                      Find find) {
  for (std::int64_t j = find(d, 0, n, list.bound()); j < n; j = find(d, j + 1, n, list.bound()))
    list.offer(d[j], static_cast<std::int32_t>(base + j));
}

}  // namespace
}  // namespace simdml::knn_detail
