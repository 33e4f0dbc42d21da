#include "simdml/interference.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace simdml {
namespace {

double seconds(const timespec& t) {
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
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
  s.own = seconds(own);
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
    i.foreign_cpu_seconds = std::max(0.0, (after.busy - before.busy) - i.own_cpu_seconds);
    i.steal_seconds = std::max(0.0, after.steal - before.steal);
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

}  // namespace simdml
