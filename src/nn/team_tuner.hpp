// The team size training runs with when it may choose (Compute::adapt_team): the fastest now,
// checked again and again. A window of steps runs on one team; now and then a short window tries
// another size, and the faster per step is kept. A shared machine's free cores change from
// second to second, and a team that waits at every barrier for a descheduled member runs slower
// than one thread (docs/design.md, "Threads that never lose"). The weights do not depend on the
// team, so switching changes only the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace simdml::nn {

class TeamTuner {
 public:
  // Sizes 1 to `largest`; a fixed tuner always answers `largest`.
  TeamTuner(int largest, bool adaptive);

  struct Window {
    int team = 1;
    std::int64_t steps = 1;
    bool trial = false;
    // Steps at the start not timed: waking a team and warming its caches after a switch is the
    // switch's cost, not the team's pace.
    std::int64_t warmup = 0;
    // The window stops after the step that passes this (twice what it should take at the best's
    // pace); unbounded without adaptation.
    std::chrono::steady_clock::duration deadline = std::chrono::steady_clock::duration::max();
  };
  // The next window, at most `remaining` steps, on at most `available` threads: what the machine
  // leaves free now (threads_for_now), so that a size whose core another process holds is not
  // even tried.
  Window next(std::int64_t remaining, int available);
  // What a window ran: the steps it completed, and the wall seconds the timed ones (those after
  // its warm-up) took.
  void record(const Window& window, std::int64_t steps_done, std::int64_t timed_steps,
              double timed_seconds);

  bool adaptive() const { return adaptive_; }
  // Steps run by each team size so far.
  const std::map<int, std::int64_t>& steps_by_team() const { return steps_by_team_; }

 private:
  // Measured in docs/experiments.md#e77.
  static constexpr double kWindowSeconds = 5e-3;  // a window on the best team
  static constexpr double kTrialSeconds = 1e-3;   // a trial of another, at the best's pace
  static constexpr int kFirstInterval = 4;        // windows between trials, doubled on each loss
  static constexpr int kLastInterval = 32;        // up to about 0.16 s
  static constexpr double kMargin = 0.02;         // a trial must win by this much
  static constexpr std::int64_t kWarmup = 8;      // steps of a window left untimed

  std::int64_t steps_for(double seconds) const;

  std::vector<int> sizes_;                // the candidates, largest first
  std::vector<double> seconds_per_step_;  // per candidate, 0 when untried
  int best_ = 0;                          // index into sizes_
  int trial_ = -1;                        // the candidate the next window tries, or -1
  int windows_since_trial_ = 0;
  int interval_ = kFirstInterval;
  bool adaptive_;
  std::map<int, std::int64_t> steps_by_team_;
};

}  // namespace simdml::nn
