// What else the machine did: a child process that busy-loops on one core is seen by the probe and
// by threads_for_now(), and a quiet machine is not.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "simdml/interference.hpp"

namespace simdml {
namespace {

int allowed_cpus() {
  cpu_set_t set;
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

// A child that spins on the first allowed CPU until killed.
class BusyChild {
 public:
  BusyChild() {
    cpu_set_t allowed, one;
    sched_getaffinity(0, sizeof allowed, &allowed);
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed)) {
        CPU_SET(cpu, &one);
        break;
      }
    pid_ = fork();
    if (pid_ == 0) {
      sched_setaffinity(0, sizeof one, &one);
      for (;;) asm volatile("" ::: "memory");
    }
  }
  ~BusyChild() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_;
};

void pause_for(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

TEST(Interference, ABusyProcessIsForeignLoadAndAQuietMachineIsNot) {
  if (allowed_cpus() < 2 || allowed_cpus() != sysconf(_SC_NPROCESSORS_ONLN))
    GTEST_SKIP() << "needs every online CPU, at least 2";
  const int cpus = allowed_cpus();
  {
    const BusyChild child;
    pause_for(0.05);
    const InterferenceProbe probe;
    pause_for(0.3);
    const Interference busy = probe.stop(cpus);
    EXPECT_TRUE(busy.observed);
    EXPECT_GT(busy.foreign_cores(), 0.5) << busy.describe();
    EXPECT_TRUE(busy.disturbed()) << busy.describe();
    EXPECT_LT(busy.own_utilization(), 0.1);  // this thread slept
  }
  // A shared host may be loaded by others: three tries to see a quiet interval.
  Interference quiet;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const InterferenceProbe probe;
    pause_for(0.3);
    quiet = probe.stop(1);
    if (!quiet.disturbed()) break;
  }
  EXPECT_FALSE(quiet.disturbed()) << quiet.describe();
}

TEST(Interference, ThreadsForNowLeaveATakenCore) {
  if (allowed_cpus() < 2 || allowed_cpus() != sysconf(_SC_NPROCESSORS_ONLN))
    GTEST_SKIP() << "needs every online CPU, at least 2";
  unsetenv("SIMDML_FIXED_THREADS");  // read at the first call
  const int cpus = allowed_cpus();
  EXPECT_EQ(threads_for_now(1), 1);
  int during = cpus;
  {
    const BusyChild child;
    for (int i = 0; i < 16; ++i) {  // 1 s: a few refreshes of the estimate
      pause_for(0.06);
      during = threads_for_now(cpus);
    }
  }
  EXPECT_EQ(during, cpus - 1);
  int after = 0;
  for (int i = 0; i < 50 && after != cpus; ++i) {  // the loop is gone: all of them again
    pause_for(0.06);
    after = threads_for_now(cpus);
  }
  EXPECT_EQ(after, cpus);
}

}  // namespace
}  // namespace simdml
