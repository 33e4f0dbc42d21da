// The team that trains: threads that stay together for a whole epoch, each owning a fixed share of
// every hidden layer's units, meeting only at barriers (docs/design.md, "Training on a team").
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace simdml::nn {

// Units [begin, end) of one layer.
struct UnitRange {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};

// Shares are cut at multiples of 16 floats, one cache line: with the shared activations' rows
// padded to lines too, no two threads ever write the same line. The cut is the same on every
// target, and who computes a unit never changes its value.
constexpr std::int64_t kShareQuantum = 16;

inline std::int64_t round_up_to_share(std::int64_t units) {
  return (units + kShareQuantum - 1) / kShareQuantum * kShareQuantum;
}

// Memory that starts on a cache line, for arrays the team splits by lines: std::vector's default
// (16-byte) alignment would put every "line" of a share across two, each half another thread's.
template <class T>
struct LineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  LineAllocator() = default;
  template <class U>
  explicit LineAllocator(const LineAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kAlignment); }
  bool operator==(const LineAllocator&) const { return true; }
};
using LineVector = std::vector<float, LineAllocator<float>>;

// Thread t's contiguous share of `units` over a team of `team`: whole quanta, in proportion, so
// shares differ by at most one quantum (the last ends at `units`).
inline UnitRange unit_share(std::int64_t units, int team, int t) {
  const std::int64_t pieces = (units + kShareQuantum - 1) / kShareQuantum;
  return {std::min(units, pieces * t / team * kShareQuantum),
          std::min(units, pieces * (t + 1) / team * kShareQuantum)};
}

// Barriers for a team inside one OpenMP parallel region, which also carry failures: a thread that
// throws records the exception and keeps meeting the others, and every thread learns of it at the
// same barrier, so all leave the region together. An exception cannot cross the region's end.
//
// Why that is consistent: a failure is stamped with the number of the next barrier its thread will
// reach, and barrier j reports only stamps <= j. Those were written before their thread arrived at
// barrier j, so every thread sees the same set after it; stamps written after barrier j are > j.
class TeamSync {
 public:
  explicit TeamSync(int team) : team_(team), slots_(static_cast<std::size_t>(team)) {}

  int size() const { return team_; }

  // Every thread calls this the same number of times. Returns false once some thread has failed.
  bool barrier(int t) {
    Slot& me = slots_[static_cast<std::size_t>(t)];
    if (team_ > 1) {
#pragma omp barrier
    }
    ++me.barriers;
    return !failed_by(me.barriers);
  }

  // Runs thread t's part of a phase, recording what it throws instead of leaving the team.
  template <class Work>
  void work(int t, Work&& w) {
    try {
      w();
    } catch (...) {
      fail(t);
    }
  }

  // After the region: rethrows the first recorded exception, if any.
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  void fail(int t) {
    Slot& me = slots_[static_cast<std::size_t>(t)];
    {
      const std::lock_guard lock(mutex_);
      if (!first_) first_ = std::current_exception();
    }
    me.failed_at.store(me.barriers + 1, std::memory_order_relaxed);
  }

  bool failed_by(std::int64_t barrier) const {
    for (const Slot& s : slots_)
      if (s.failed_at.load(std::memory_order_relaxed) <= barrier) return true;
    return false;
  }

  struct alignas(64) Slot {
    std::int64_t barriers = 0;  // passed so far; only its own thread touches it
    std::atomic<std::int64_t> failed_at{std::numeric_limits<std::int64_t>::max()};
  };
  int team_;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::exception_ptr first_;
};

// The team a request for `threads` can have here: OpenMP gives a nested region one thread (and
// caps every region at its thread limit), and the shares are cut for the team that will run.
inline int available_team(int threads) {
  if (omp_get_active_level() >= omp_get_max_active_levels()) return 1;
  return std::max(1, std::min(threads, omp_get_thread_limit()));
}

// Runs body(t, sync) on every thread of a team of `team` (on the caller alone for one), and
// rethrows the first failure after all have left. The body runs its work through sync.work and
// leaves when a barrier returns false.
template <class Body>
void run_team(int team, Body body) {
  TeamSync sync(team);
  if (team <= 1) {
    body(0, sync);
  } else {
#pragma omp parallel num_threads(team)
    {
      const int t = omp_get_thread_num();
      if (omp_get_num_threads() == team)
        body(t, sync);
      else  // every thread sees the same shortfall, so all stop here, none at a barrier
        sync.work(t, [&] {
          throw std::runtime_error("OpenMP started " + std::to_string(omp_get_num_threads()) +
                                   " threads of the " + std::to_string(team) + " planned");
        });
    }
  }
  sync.rethrow();
}

}  // namespace simdml::nn
