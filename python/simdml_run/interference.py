"""What else the machine did while a Python benchmark ran, as include/simdml/interference.hpp
measures it for the C++ ones: /proc/stat's busy and steal ticks less this process's CPU time.

    probe = Probe(); ...timed work...; counters = probe.stop(threads)
    # {"foreign_cores", "steal_cores", "taken_cores", "own_utilization", "disturbed"}

The rule is the C++ one (kDisturbedCores): more than 0.15 of a core taken beyond the free ones,
and more CPU time than a tick per CPU. Without /proc/stat, stop() returns {}.
"""
import os
import time

DISTURBED_CORES = 0.15
TICK = 1.0 / os.sysconf("SC_CLK_TCK")


def _proc_stat():
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return TICK * (user + nice + system + irq + softirq), TICK * steal


class Probe:
    def __init__(self):
        self._start = self._sample()

    @staticmethod
    def _sample():
        children = os.times()  # children that ended and were waited for are this process's work too
        return time.monotonic(), _proc_stat(), time.process_time() + children.children_user + children.children_system

    def stop(self, threads):
        (wall0, stat0, own0), (wall1, stat1, own1) = self._start, self._sample()
        wall, own, cpus = wall1 - wall0, own1 - own0, os.cpu_count() or 1
        if stat0 is None or stat1 is None or wall <= 0:
            return {}
        capacity = wall * cpus
        foreign = min(max(0.0, stat1[0] - stat0[0] - own), capacity)
        steal = min(max(0.0, stat1[1] - stat0[1]), capacity)
        taken = max(0.0, (foreign + steal) / wall - max(0, cpus - threads))
        return {"foreign_cores": foreign / wall, "steal_cores": steal / wall, "taken_cores": taken,
                "own_utilization": own / (wall * threads),
                "disturbed": int(taken > DISTURBED_CORES and taken * wall > TICK * cpus)}
