// The training team's machinery on its own: the barrier that sleeps when a teammate is not
// running, and the tuner that picks the team size from the pace each size shows.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "nn/team.hpp"
#include "nn/team_tuner.hpp"

namespace simdml::nn {
namespace {

// --- the barrier -----------------------------------------------------------------------------

// Threads that each add 1 to their own counter between barriers always see every counter at the
// same round after a barrier: no one runs ahead, no one is left behind.
void run_rounds(int team, int rounds, const cpu_set_t* pin) {
  SleepingBarrier barrier(team);
  std::vector<std::atomic<int>> counters(static_cast<std::size_t>(team));
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < team; ++t)
    threads.emplace_back([&, t] {
      if (pin != nullptr) pthread_setaffinity_np(pthread_self(), sizeof *pin, pin);
      for (int r = 1; r <= rounds; ++r) {
        counters[static_cast<std::size_t>(t)].store(r, std::memory_order_relaxed);
        barrier.arrive_and_wait();
        for (const auto& c : counters)
          if (c.load(std::memory_order_relaxed) != r) errors.fetch_add(1);
        barrier.arrive_and_wait();
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
}

TEST(SleepingBarrier, KeepsEveryThreadInStep) { run_rounds(4, 4000, nullptr); }

// Two threads on one core: a barrier that spun until the scheduler's time slice ran out (libgomp's
// does, 300,000 rounds) would take milliseconds a round; sleeping after a short spin hands the core
// to the teammate at once. 2,000 rounds (4,000 barriers) take 0.2 s on a 2-core Zen 4; with a
// 5 ms spin they took 16 s. 5 s leaves room for a sanitized build and a busy host.
TEST(SleepingBarrier, MakesProgressWithTwoThreadsOnOneCore) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) {
      CPU_SET(cpu, &one);
      break;
    }
  const auto start = std::chrono::steady_clock::now();
  run_rounds(2, 2000, &one);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);
  RecordProperty("seconds", std::to_string(seconds));
}

// --- the tuner -------------------------------------------------------------------------------

// Feeds the tuner windows whose seconds come from `pace(team)` (seconds per step) until
// `steps` have run; returns the steps each size ran.
// `available`: the threads the machine leaves free (threads_for_now), all by default.
template <class Pace>
std::map<int, std::int64_t> drive(TeamTuner& tuner, std::int64_t steps, Pace pace,
                                  int available = 1 << 20) {
  while (steps > 0) {
    const TeamTuner::Window w = tuner.next(steps, available);
    const std::int64_t timed = w.steps > w.warmup ? w.steps - w.warmup : w.steps;
    tuner.record(w, w.steps, timed, static_cast<double>(timed) * pace(w.team));
    steps -= w.steps;
  }
  return tuner.steps_by_team();
}

TEST(TeamTuner, FixedAlwaysRunsTheWholeRequestOnTheLargestTeam) {
  TeamTuner tuner(4, false);
  const TeamTuner::Window w = tuner.next(1234, 1);  // what the machine leaves free is not asked
  EXPECT_EQ(w.team, 4);
  EXPECT_EQ(w.steps, 1234);
  EXPECT_EQ(w.deadline, std::chrono::steady_clock::duration::max());
}

TEST(TeamTuner, SettlesOnTheFasterSizeAndStillTriesTheOther) {
  // Two threads twice as fast: nearly every step runs on two, a few on one (the trials).
  TeamTuner fast_pair(2, true);
  const auto pair = drive(fast_pair, 100000, [](int team) { return team == 2 ? 5e-6 : 1e-5; });
  EXPECT_GT(pair.at(2), 97000);
  EXPECT_GT(pair.at(1), 0);
  // A taken core: one thread five times as fast as two.
  TeamTuner taken(2, true);
  const auto one = drive(taken, 100000, [](int team) { return team == 2 ? 5e-5 : 1e-5; });
  EXPECT_GT(one.at(1), 97000);
  EXPECT_GT(one.at(2), 0);
}

TEST(TeamTuner, FollowsAChangeOfPace) {
  TeamTuner tuner(2, true);
  drive(tuner, 50000, [](int team) { return team == 2 ? 5e-6 : 1e-5; });
  const std::int64_t on_two = tuner.steps_by_team().at(2);
  // The other tenant arrives: two threads become slow. Within a few windows one takes over.
  drive(tuner, 50000, [](int team) { return team == 2 ? 1e-4 : 1e-5; });
  EXPECT_LT(tuner.steps_by_team().at(2) - on_two, 2000);
}

TEST(TeamTuner, TriesEveryPowerOfTwoUpToTheLargest) {
  TeamTuner tuner(6, true);
  const auto steps = drive(tuner, 20000, [](int team) { return 1e-5 / team; });
  for (int team : {1, 2, 4, 6}) EXPECT_GT(steps.count(team), 0u) << team;
  EXPECT_EQ(steps.count(3), 0u);
  EXPECT_GT(steps.at(6), 15000);
}

TEST(TeamTuner, WindowsNeverExceedWhatRemains) {
  TeamTuner tuner(2, true);
  for (std::int64_t remaining : {1, 2, 3, 17}) EXPECT_LE(tuner.next(remaining, 2).steps, remaining);
}

// A size whose cores other processes hold is neither run nor tried, whatever its last pace.
TEST(TeamTuner, RunsNoMoreThreadsThanTheMachineLeavesFree) {
  TeamTuner tuner(4, true);
  drive(tuner, 20000, [](int team) { return 1e-5 / team; });
  const std::int64_t on_four = tuner.steps_by_team().at(4);
  drive(
      tuner, 20000, [](int team) { return 1e-5 / team; }, 2);
  EXPECT_EQ(tuner.steps_by_team().at(4), on_four);
  EXPECT_GT(tuner.steps_by_team().at(2), 15000);
}

}  // namespace
}  // namespace simdml::nn
