// A query's seeds: the training rows with the smallest bounds, gathered during the bound pass.
// Up to kListSeeds, a sorted TopK list, whose bound tightens with every insertion. Above, a pool:
// each chunk of bounds goes through collect_at_most against its threshold, and it is cut back to
// the best `seeds` (nth_element) whenever it holds twice that many. O(1) a kept row, where the
// list shifts up to `seeds` entries per insertion: at k = 50 (108 seeds) the list cost more than
// the bound pass's tiles, at k = 7 (22) it was 0.02 s faster on MNIST (docs/experiments.md#e83).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "knn/int8/kernels.hpp"
#include "knn/topk.hpp"

namespace simdml::knn_detail {
namespace {  // as TopK's: a copy per translation unit

constexpr int kListSeeds = 32;

class SeedPool {
 public:
  SeedPool(int seeds, std::int64_t chunk)
      : seeds_(seeds),
        rows_(static_cast<std::size_t>(std::max<std::int64_t>(chunk + kCollectSlack, seeds))),
        values_(rows_.size()),
        keys_(static_cast<std::size_t>(2 * seeds + chunk)) {
    clear();
  }
  // The list points into this pool's own buffers: a move keeps them, a copy would not.
  SeedPool(SeedPool&&) noexcept = default;
  SeedPool(const SeedPool&) = delete;
  SeedPool& operator=(const SeedPool&) = delete;

  // Empties the pool for the next query's pass.
  void clear() {
    count_ = 0;
    threshold_ = std::numeric_limits<std::int32_t>::max();
    list_ = TopK<std::int32_t>(seeds_, values_.data(), rows_.data());
  }

  // Bounds d[0, n) of training rows base ... base + n - 1 (every bound >= 0).
  void offer(const std::int32_t* d, std::int64_t n, std::int64_t base, const Int8Kernels& kernels) {
    if (seeds_ <= kListSeeds) return offer_candidates(d, n, base, list_, kernels.find_at_most);
    // Most chunks, once the pool is full, hold no row for it: a read-only scan finds the first.
    const std::int64_t from = kernels.find_at_most(d, 0, n, threshold_);
    if (from == n) return;
    d += from;
    n -= from;
    base += from;
    const std::int64_t kept =
        kernels.collect_at_most(d, n, threshold_, rows_.data(), values_.data());
    for (std::int64_t i = 0; i < kept; ++i)
      keys_[static_cast<std::size_t>(count_ + i)] =
          static_cast<std::uint64_t>(values_[static_cast<std::size_t>(i)]) << 32 |
          static_cast<std::uint64_t>(base + rows_[static_cast<std::size_t>(i)]);
    count_ += kept;
    if (count_ > 2 * std::int64_t{seeds_}) cut();
  }

  // The seeds, by bound and then row; fills `rows`.
  void finish(std::vector<std::int32_t>& rows) {
    if (seeds_ <= kListSeeds) {
      rows.assign(rows_.begin(), rows_.begin() + list_.size());
      return;
    }
    if (count_ > seeds_) cut();
    std::sort(keys_.begin(), keys_.begin() + count_);
    rows.resize(static_cast<std::size_t>(count_));
    for (std::int64_t i = 0; i < count_; ++i)
      rows[static_cast<std::size_t>(i)] =
          static_cast<std::int32_t>(keys_[static_cast<std::size_t>(i)] & 0xffffffffu);
  }

 private:
  // Keeps the best seeds_ (value, row) keys; later rows must tie with or beat the worst of them.
  void cut() {
    const auto last = keys_.begin() + (seeds_ - 1);
    std::nth_element(keys_.begin(), last, keys_.begin() + count_);
    count_ = seeds_;
    threshold_ = static_cast<std::int32_t>(*last >> 32);
  }

  int seeds_;
  std::int64_t count_ = 0;
  std::int32_t threshold_ = std::numeric_limits<std::int32_t>::max();
  std::vector<std::int32_t> rows_, values_;  // collect_at_most's output, or the list's storage
  std::vector<std::uint64_t> keys_;
  TopK<std::int32_t> list_{0, nullptr, nullptr};  // the list's storage: values_ and rows_
};

}  // namespace
}  // namespace simdml::knn_detail
