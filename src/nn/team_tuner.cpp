#include "nn/team_tuner.hpp"

#include <algorithm>
#include <cmath>

namespace simdml::nn {

// The candidates are the largest team and the powers of two below it: on a machine of a few cores
// every size, on a large one a handful of trials.
TeamTuner::TeamTuner(int largest, bool adaptive) : adaptive_(adaptive && largest > 1) {
  largest = std::max(1, largest);
  sizes_.push_back(largest);
  if (adaptive_)
    for (int t = 1; t < largest; t *= 2) sizes_.insert(sizes_.begin() + 1, t);
  std::sort(sizes_.begin() + 1, sizes_.end(), std::greater<>());
  seconds_per_step_.assign(sizes_.size(), 0.0);
  trial_ = adaptive_ ? 1 : -1;  // the first windows try every size once, largest first
}

std::int64_t TeamTuner::steps_for(double seconds) const {
  const double per_step = seconds_per_step_[static_cast<std::size_t>(best_)];
  if (per_step <= 0) return 16;
  return std::clamp<std::int64_t>(std::llround(seconds / per_step), 4, 4096);
}

TeamTuner::Window TeamTuner::next(std::int64_t remaining, int available) {
  Window w{sizes_[static_cast<std::size_t>(best_)], remaining};
  if (adaptive_) {
    const auto tried = [&](int i) { return seconds_per_step_[static_cast<std::size_t>(i)] > 0; };
    const auto allowed = [&](int i) {
      return sizes_[static_cast<std::size_t>(i)] <= std::max(1, available);
    };
    const int n = static_cast<int>(sizes_.size());
    // The best size's cores are taken: the largest size that fits is the best until a trial says
    // otherwise (the sizes are ordered largest first, and 1 always fits).
    while (!allowed(best_)) best_ = (best_ + 1) % n;
    w.team = sizes_[static_cast<std::size_t>(best_)];
    int candidate = trial_;  // the next size in turn that fits, other than the best
    for (int k = 0; k < n && (candidate == best_ || !allowed(candidate)); ++k)
      candidate = (candidate + 1) % n;
    w.trial = candidate != best_ && allowed(candidate) && tried(best_) &&
              (!tried(candidate) || windows_since_trial_ >= interval_);
    if (w.trial) w.team = sizes_[static_cast<std::size_t>(candidate)];
    const double seconds = w.trial ? kTrialSeconds : kWindowSeconds;
    w.warmup = kWarmup;
    w.steps = steps_for(seconds) + w.warmup;
    if (tried(best_))
      w.deadline = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(2 * seconds));
  }
  w.steps = std::max<std::int64_t>(1, std::min(w.steps, remaining));
  return w;
}

void TeamTuner::record(const Window& window, std::int64_t steps_done, std::int64_t timed_steps,
                       double timed_seconds) {
  steps_by_team_[window.team] += steps_done;
  if (!adaptive_ || timed_steps < 1) return;
  const auto index =
      static_cast<int>(std::find(sizes_.begin(), sizes_.end(), window.team) - sizes_.begin());
  const double per_step = timed_seconds / static_cast<double>(timed_steps);
  auto& mine = seconds_per_step_[static_cast<std::size_t>(index)];
  if (!window.trial) {
    // A team's pace, smoothed over its windows.
    mine = mine > 0 ? 0.75 * mine + 0.25 * per_step : per_step;
    if (index != best_) return;  // a smaller team while the best's cores are taken
    ++windows_since_trial_;
    // A window slower than another size's last pace tries that size next, not intervals later:
    // a teammate's core can be taken at any moment.
    for (std::size_t i = 0; i < sizes_.size(); ++i)
      if (static_cast<int>(i) != best_ && seconds_per_step_[i] > 0 &&
          seconds_per_step_[i] * (1.0 + kMargin) < per_step) {
        trial_ = static_cast<int>(i);
        windows_since_trial_ = interval_;
        break;
      }
    return;
  }
  // A trial: the newest figure is the only one that counts, the last may be seconds old.
  mine = per_step;
  const double best = seconds_per_step_[static_cast<std::size_t>(best_)];
  const bool won = best <= 0 || per_step < best * (1.0 - kMargin);
  if (won) {
    best_ = index;
    interval_ = kFirstInterval;
  } else if (std::all_of(seconds_per_step_.begin(), seconds_per_step_.end(),
                         [](double s) { return s > 0; })) {
    interval_ = std::min(2 * interval_, kLastInterval);
  }
  windows_since_trial_ = 0;
  // Next trial: the next candidate after this one, in turn (next() skips the best).
  trial_ = (index + 1) % static_cast<int>(sizes_.size());
}

}  // namespace simdml::nn
