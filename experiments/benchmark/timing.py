"""Timing: medians of repeated runs, paired runs for honest ratios, and the
CPU share a run got. Plain Python (no TensorFlow), so that
`experiments.gpu_benchmark` uses it under JAX."""

import statistics
import time


def log(stage, message):
    """A progress line: `[stage] message`."""
    print(f"[{stage}] {message}", flush=True)


class CpuShare:
    """Wall and process CPU seconds of the timed runs since the last reset.

    `cpu / wall` is the number of cores this process actually got while it
    was timed: about 2 for TensorFlow work on an idle 2-core machine, much
    less when other processes compete for the CPU (then every wall-clock
    figure is inflated by about that factor).
    """

    wall = 0.0
    cpu = 0.0

    @classmethod
    def reset(cls):
        cls.wall = cls.cpu = 0.0

    @classmethod
    def cores_used(cls):
        return cls.cpu / cls.wall if cls.wall > 0 else 0.0


def measure(fn, repeats, warmup=1):
    """Wall time of `fn()`: the median of `repeats` runs after `warmup` runs.

    `fn` must finish its work before returning (call `.numpy()` on tensors).

    Args:
        fn: zero-argument callable.
        repeats: timed runs, >= 1.
        warmup: untimed runs first (tracing, caches, lazy allocation).

    Returns:
        dict with `median_s`, `min_s`, `max_s` and `runs` (wall clock) and
        `cpu_median_s` (CPU seconds of this process, all threads).
    """
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CpuShare.wall += sum(times)
    CpuShare.cpu += sum(cpu)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs": repeats,
        "cpu_median_s": statistics.median(cpu),
    }


def measure_paired(fn, baseline, repeats, warmup=1):
    """Times `fn()` and `baseline()` alternately, so both see the same load.

    Other processes competing for the CPU slow every run; alternating the
    two and taking the median of the per-pair ratios keeps the ratio honest
    even when the load changes during the benchmark.

    Args:
        fn, baseline: zero-argument callables (finishing their work).
        repeats: timed pairs, >= 1.
        warmup: untimed pairs first.

    Returns:
        (fn timing, baseline timing, ratio): the timings as `measure`'s; the
        ratio is the median of `fn / baseline` over the pairs, by wall time
        (`ratio`) and by CPU time (`cpu_ratio`), and the fastest `fn` run over
        the fastest `baseline` run (`min_ratio`).
    """
    pairs = [(measure(fn, 1, warmup), measure(baseline, 1, warmup))]
    pairs += [(measure(fn, 1, 0), measure(baseline, 1, 0)) for _ in range(repeats - 1)]

    def summary(timings):
        wall = [t["median_s"] for t in timings]
        cpu = [t["cpu_median_s"] for t in timings]
        return {
            "median_s": statistics.median(wall),
            "min_s": min(wall),
            "max_s": max(wall),
            "runs": len(wall),
            "cpu_median_s": statistics.median(cpu),
        }

    ratio = {
        "ratio": statistics.median(a["median_s"] / b["median_s"] for a, b in pairs),
        "cpu_ratio": statistics.median(a["cpu_median_s"] / b["cpu_median_s"] for a, b in pairs),
        # Fastest over fastest: the runs least slowed by other processes.
        "min_ratio": min(a["median_s"] for a, _ in pairs) / min(b["median_s"] for _, b in pairs),
    }
    return summary([a for a, _ in pairs]), summary([b for _, b in pairs]), ratio
