// The team that trains: threads that stay together for a whole epoch, each owning a fixed share of
// every hidden layer's units, meeting only at barriers (docs/design.md, "Training on a team").
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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

// A barrier that spins briefly, then sleeps: a step's barriers are microseconds apart, so a
// short spin meets a running teammate without a system call, and a teammate that is not running
// (its core taken by another process, or two threads on one core) costs a sleep rather than a
// core burnt until the scheduler brings it back. libgomp's barrier spins up to 300,000 rounds
// first (docs/experiments.md#e77).
class SleepingBarrier {
 public:
  explicit SleepingBarrier(int team) : team_(team) {}

  void arrive_and_wait() {
    const std::uint32_t generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == team_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.store(generation + 1, std::memory_order_seq_cst);
      if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
      return;
    }
    if (spin_until_changed(generation)) return;
    // Counted before the last look, so that a last arriver either sees the count and wakes us
    // or has already moved the generation on, which the look then sees.
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    while (generation_.load(std::memory_order_seq_cst) == generation)
      generation_.wait(generation, std::memory_order_seq_cst);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  // Spins for about kSpinSeconds; true once the generation moved on.
  bool spin_until_changed(std::uint32_t generation) const;

  const int team_;
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<std::uint32_t> generation_{0};
  alignas(64) std::atomic<int> sleepers_{0};
};

inline bool SleepingBarrier::spin_until_changed(std::uint32_t generation) const {
  constexpr auto kSpin = std::chrono::microseconds(50);  // a few steps of the smallest network
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (generation_.load(std::memory_order_acquire) != generation) return true;
      __builtin_ia32_pause();
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
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
  explicit TeamSync(int team)
      : team_(team), slots_(static_cast<std::size_t>(team)), barrier_(team) {}

  int size() const { return team_; }

  // Every thread calls this the same number of times. Returns false once some thread has failed
  // or asked the team to stop.
  bool barrier(int t) {
    Slot& me = slots_[static_cast<std::size_t>(t)];
    if (team_ > 1) barrier_.arrive_and_wait();
    ++me.barriers;
    return !failed_by(me.barriers);
  }

  // Thread t asks every thread to leave at the next barrier it reaches, as a failure would, but
  // with nothing to rethrow: the way a window of steps ends early (trainer.cpp).
  void stop(int t) {
    Slot& me = slots_[static_cast<std::size_t>(t)];
    me.stopped_at.store(me.barriers + 1, std::memory_order_relaxed);
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
      if (s.failed_at.load(std::memory_order_relaxed) <= barrier ||
          s.stopped_at.load(std::memory_order_relaxed) <= barrier)
        return true;
    return false;
  }

  struct alignas(64) Slot {
    std::int64_t barriers = 0;  // passed so far; only its own thread touches it
    std::atomic<std::int64_t> failed_at{std::numeric_limits<std::int64_t>::max()};
    std::atomic<std::int64_t> stopped_at{std::numeric_limits<std::int64_t>::max()};
  };
  int team_;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::exception_ptr first_;
  SleepingBarrier barrier_;
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
