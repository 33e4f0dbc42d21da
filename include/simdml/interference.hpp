// What else the machine did while a measurement ran: other processes' CPU time, the hypervisor's
// steal time, and this process's own CPU time against wall time x threads. A figure taken while a
// core it needed was busy elsewhere is not a figure; these say which ones (docs/design.md,
// "Interference").
#pragma once

#include <string>

namespace simdml {

// Cumulative counters at one instant, in seconds.
struct MachineSample {
  double wall = 0.0;   // steady clock
  double busy = 0.0;   // every CPU's non-idle time (/proc/stat), this process's included
  double steal = 0.0;  // time the hypervisor ran something else on our virtual CPUs
  double own = 0.0;    // this process's CPU time, all threads, and its children's that ended
  bool has_proc_stat = false;
};

MachineSample sample_machine();

// The machine's load over an interval, for a measurement that ran `threads` threads.
struct Interference {
  double wall_seconds = 0.0;
  double foreign_cpu_seconds = 0.0;  // other processes (kernel work included)
  double steal_seconds = 0.0;
  double own_cpu_seconds = 0.0;
  int threads = 1;
  int cpus = 1;           // online CPUs: what the foreign load is spread over
  double tick = 0.01;     // /proc/stat's unit: each CPU's figure is rounded to it
  bool observed = false;  // false where /proc/stat cannot be read: nothing is known

  // Average cores the others held, and the hypervisor stole, during the interval.
  double foreign_cores() const;
  double steal_cores() const;
  // Own CPU time over wall time x threads: below 1 when a thread waited (or had no work).
  double own_utilization() const;
  // Cores taken beyond those the measurement left free: max(0, foreign + steal - (cpus - threads)).
  double taken_cores() const;
  // Whether the measurement lost a core's share to others: taken_cores() above kDisturbedCores,
  // and more CPU time taken than the counters' rounding can make up (a tick per CPU), so that a
  // 30 ms phase is not called disturbed for one tick of a daemon.
  bool disturbed() const;
  // "clean" or "disturbed: 0.97 cores taken (0.95 foreign, 0.02 steal)".
  std::string describe() const;
};

// Cores another tenant must have held beyond the free ones, on average over a measurement, for it
// to count as disturbed. Chosen from measurements in docs/experiments.md#e76: a busy loop on a
// core a 2-thread run needs takes 0.3 to 1 core, and quiet repetitions read below 0.15 but for
// the counters' rounding, which disturbed() allows for.
constexpr double kDisturbedCores = 0.15;

Interference interference_between(const MachineSample& before, const MachineSample& after,
                                  int threads);

// The threads worth running now, at most `requested`: one fewer for each core that other
// processes and the hypervisor held beyond the free ones over each of the last two fifths of a
// second (at least one). A parallel region whose member is descheduled waits for it at every
// barrier, so on a taken core two threads ran a GEMM 4-8 times slower than one
// (docs/experiments.md#e79). Samples /proc/stat at most every 50 ms; SIMDML_FIXED_THREADS=1 turns
// it off (the tests, which must run the counts they ask for).
int threads_for_now(int requested);

// Starts at construction; stop() gives the interval so far.
class InterferenceProbe {
 public:
  InterferenceProbe() : start_(sample_machine()) {}
  Interference stop(int threads) const {
    return interference_between(start_, sample_machine(), threads);
  }

 private:
  MachineSample start_;
};

}  // namespace simdml
