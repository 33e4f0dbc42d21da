"""Google Benchmark's time units, in seconds: what every reader of its JSON needs."""

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
