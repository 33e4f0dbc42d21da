#include "simdml/interference.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string_view>

namespace simdml {
namespace {

double seconds(const timespec& t) {
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
}

double clock_tick() { return 1.0 / static_cast<double>(std::max(1L, sysconf(_SC_CLK_TCK))); }

// The aggregate "cpu" line of /proc/stat, in clock ticks: user nice system idle iowait irq
// softirq steal (guest time is already inside user and nice).
bool read_proc_stat(double& busy, double& steal) {
  std::FILE* f = std::fopen("/proc/stat", "re");
  if (f == nullptr) return false;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     stolen = 0;
  const int fields = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
                                 &system, &idle, &iowait, &irq, &softirq, &stolen);
  std::fclose(f);
  if (fields < 7) return false;
  const double tick = clock_tick();
  busy = tick * static_cast<double>(user + nice + system + irq + softirq);
  steal = fields >= 8 ? tick * static_cast<double>(stolen) : 0.0;
  return true;
}

int online_cpus() { return std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)); }

}  // namespace

MachineSample sample_machine() {
  MachineSample s;
  s.has_proc_stat = read_proc_stat(s.busy, s.steal);
  timespec own{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &own);
  // Children that ended and were waited for are this process's work too (simdml run's stages).
  rusage children{};
  getrusage(RUSAGE_CHILDREN, &children);
  s.own = seconds(own) + seconds(children.ru_utime) + seconds(children.ru_stime);
  s.wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return s;
}

Interference interference_between(const MachineSample& before, const MachineSample& after,
                                  int threads) {
  Interference i;
  i.threads = std::max(1, threads);
  i.cpus = online_cpus();
  i.tick = clock_tick();
  i.wall_seconds = after.wall - before.wall;
  i.own_cpu_seconds = after.own - before.own;
  i.observed = before.has_proc_stat && after.has_proc_stat;
  if (i.observed) {
    // /proc/stat is sampled at the scheduler tick and this process's clock is exact, so the
    // difference can dip below zero by a tick: that is no load.
    // Over a short interval the ticks can also add up to more than the CPUs had: no more than
    // all of them is believed.
    const double capacity = i.wall_seconds * static_cast<double>(i.cpus);
    i.foreign_cpu_seconds =
        std::clamp((after.busy - before.busy) - i.own_cpu_seconds, 0.0, capacity);
    i.steal_seconds = std::clamp(after.steal - before.steal, 0.0, capacity);
  }
  return i;
}

double Interference::foreign_cores() const {
  return wall_seconds > 0 ? foreign_cpu_seconds / wall_seconds : 0.0;
}

double Interference::steal_cores() const {
  return wall_seconds > 0 ? steal_seconds / wall_seconds : 0.0;
}

double Interference::own_utilization() const {
  return wall_seconds > 0 ? own_cpu_seconds / (wall_seconds * threads) : 0.0;
}

double Interference::taken_cores() const {
  const double free_cores = std::max(0, cpus - threads);
  return std::max(0.0, foreign_cores() + steal_cores() - free_cores);
}

bool Interference::disturbed() const {
  return observed && taken_cores() > kDisturbedCores &&
         taken_cores() * wall_seconds > tick * static_cast<double>(cpus);
}

std::string Interference::describe() const {
  if (!observed) return "unobserved (no /proc/stat)";
  char text[128];
  std::snprintf(text, sizeof text, "%s: %.2f cores taken (%.2f foreign, %.2f steal)",
                disturbed() ? "disturbed" : "clean", taken_cores(), foreign_cores(), steal_cores());
  return text;
}

namespace {

// The load estimate threads_for_now() works from: the cores taken over the last two intervals of
// at least kSpan each, refreshed by whichever call finds it kRefresh old.
class LoadEstimate {
 public:
  int threads_for(int requested) {
    if (requested <= 1 || fixed_) return requested;
    const int cpus = cpus_;
    if (std::unique_lock lock(mutex_, std::try_to_lock); lock) refresh();
    // A core counts as taken from 0.4 of one, in two intervals running: a busy loop sharing a core
    // with one of ours gets half of it, and a quiet machine reads below 0.15 with a tick's
    // rounding now and then (docs/experiments.md#e79).
    const double taken = std::min(taken_.load(std::memory_order_relaxed),
                                  taken_before_.load(std::memory_order_relaxed));
    const int lost = taken > 0.4 ? static_cast<int>(std::ceil(taken - 0.4)) : 0;
    return std::clamp(std::min(requested, cpus) - std::max(0, lost - std::max(0, cpus - requested)),
                      1, requested);
  }

 private:
  static constexpr double kRefresh = 0.05, kSpan = 0.2;

  void refresh() {
    const double now =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    if (now - last_look_ < kRefresh) return;
    last_look_ = now;
    const MachineSample s = sample_machine();
    if (!s.has_proc_stat) return;
    if (!started_) {
      mark_ = s;
      started_ = true;
      return;
    }
    if (s.wall - mark_.wall < kSpan) return;
    const Interference i = interference_between(mark_, s, 1);
    const double taken = i.foreign_cores() + i.steal_cores();
    // The first reading stands alone; after it, two running.
    taken_before_.store(readings_++ == 0 ? taken : taken_.load(std::memory_order_relaxed),
                        std::memory_order_relaxed);
    taken_.store(taken, std::memory_order_relaxed);
    mark_ = s;
  }

  const bool fixed_ = [] {
    const char* v = std::getenv("SIMDML_FIXED_THREADS");
    return v != nullptr && std::string_view(v) == "1";
  }();
  const int cpus_ = online_cpus();
  std::mutex mutex_;
  MachineSample mark_;
  bool started_ = false;
  int readings_ = 0;
  double last_look_ = 0.0;
  std::atomic<double> taken_{0.0}, taken_before_{0.0};
};

}  // namespace

int threads_for_now(int requested) {
  static LoadEstimate estimate;
  return estimate.threads_for(requested);
}

}  // namespace simdml
