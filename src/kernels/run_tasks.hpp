// How simdml spreads a list of independent tasks over an OpenMP team: statically, so each task's
// thread is fixed by the task count and the team size alone. Regions that keep state per thread (a
// scratch tile, a reduction, barriers) open their own; docs/design.md lists them.
//
// Internal linkage (an anonymous namespace), like everything the per-target translation units
// include: each gets its own copy, built with its own flags (docs/design.md, "One definition per
// target").
#pragma once

#include <cstdint>

namespace {

// task(t) for t in [0, tasks), statically scheduled over `team` threads. A team of one runs on the
// calling thread with no parallel region: libgomp allocates and frees a team for every region,
// even of one thread (an if(false) clause included), about 0.5 us here, six times in each step
// of batch-10 training.
template <class Task>
void run_tasks(int team, std::int64_t tasks, Task task) {
  if (team <= 1) {
    for (std::int64_t t = 0; t < tasks; ++t) task(t);
    return;
  }
#pragma omp parallel for num_threads(team) schedule(static)
  for (std::int64_t t = 0; t < tasks; ++t) task(t);
}

}  // namespace
