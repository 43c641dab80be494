"""The CPU's matrix peak: cores x clock x FLOPs per cycle of its bfloat16
unit (and of its float32 FMA units), each number with its source, next to
what TensorFlow reaches on a large matmul.

- cores: the cores this process may run on (`os.sched_getaffinity`);
- clock and FLOPs per cycle: measured by `peak.c` (compiled here with the
  system's C compiler): a chain of dependent integer adds gives the clock,
  VDPBF16PS and VFMADD231PS with many accumulators the FLOPs per cycle of
  the AVX512-BF16 and AVX-512 FMA units, all per second of the probe's own
  CPU time (a shared machine does not lower them). The FLOPs per cycle are
  rounded to the unit's width (a multiple of 16).
- AMX (`amx_bf16` in /proc/cpuinfo): 1024 bfloat16 FLOPs per cycle per
  core, from Intel's documentation of TDPBF16PS (a 16x32 by 32x16 bf16 tile
  product, 8192 multiply-adds, one every 16 cycles per core); the probe does
  not run AMX.
- where the probe cannot be built (no C compiler, no AVX512-BF16), the peak
  is the large bfloat16 matmul's measured rate.
"""

import os
import shutil
import statistics
import subprocess
import time

import numpy as np
import tensorflow as tf

from colorize import variants
from experiments.benchmark.timing import log

PROBE_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peak.c")
AMX_BF16_FLOPS_PER_CYCLE = 1024
AMX_SOURCE = "Intel AMX: TDPBF16PS, 16x16x32 multiply-adds per 16 cycles per core (Intel Optimization Reference Manual)"
UNIT = 16  # FLOPs per cycle of a unit are a multiple of this


def usable_cores():
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def parse_probe(line):
    """`peak.c`'s output line -> {"clock_ghz", "bf16_flops_per_cycle", "fp32_flops_per_cycle"} (floats)."""
    fields = dict(part.split("=", 1) for part in line.split())
    return {key: float(fields[key]) for key in ("clock_ghz", "bf16_flops_per_cycle", "fp32_flops_per_cycle")}


def run_probe(work_dir, repeats, iterations=20000000):
    """Compiles and runs `peak.c` `repeats` times.

    Returns:
        (medians, runs) from `parse_probe`, or (None, why) when it cannot
        be built or run here.
    """
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None, "no C compiler"
    if "avx512_bf16" not in variants.cpu_bfloat16_flags():
        return None, "no AVX512-BF16"
    binary = os.path.join(work_dir, "peak_probe")
    flags = ["-O2", "-mavx512f", "-mavx512bw", "-mavx512bf16"]
    built = subprocess.run([compiler, *flags, "-o", binary, PROBE_SOURCE], capture_output=True, text=True)
    if built.returncode != 0:
        return None, f"{compiler} could not build it ({built.stderr.strip().splitlines()[-1:]})"
    runs = []
    for _ in range(repeats):
        out = subprocess.run([binary, str(iterations)], capture_output=True, text=True, check=True, timeout=120)
        runs.append(parse_probe(out.stdout))
    medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    return medians, runs


def matmul_rate(dtype, n, repeats):
    """TFLOP/s of an n x n by n x n matmul in TensorFlow: the fastest of
    `repeats` runs after a warm-up, by wall time and per second of process
    CPU time."""
    rng = np.random.default_rng(0)
    a = tf.cast(tf.constant(rng.normal(size=(n, n)).astype("float32")), dtype)
    b = tf.cast(tf.constant(rng.normal(size=(n, n)).astype("float32")), dtype)
    product = tf.function(lambda a, b: tf.matmul(a, b))
    product(a, b).numpy()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        product(a, b).numpy()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    flops = 2.0 * n**3
    return {"n": n, "tflops_per_s": flops / min(wall) / 1e12, "tflops_per_cpu_s": flops / min(cpu) / 1e12}


def cpu_peak(work_dir, repeats, matmul_size):
    """The CPU's bfloat16 and float32 peaks and a large matmul's rates.

    Returns:
        A dict: `cores`, `clock_ghz`, `bf16_flops_per_cycle`,
        `fp32_flops_per_cycle` (per core), `bf16_tflops`, `fp32_tflops`
        (cores x clock x FLOPs per cycle; None when unknown), a `source` for
        each number, the probe's raw runs, and `matmul` (bfloat16 and
        float32 TFLOP/s at `matmul_size`).
    """
    cores = usable_cores()
    measured, runs = run_probe(work_dir, repeats)
    flags = variants.cpu_bfloat16_flags()
    out = {
        "cores": cores,
        "cpu_flags": list(flags),
        "sources": {"cores": "os.sched_getaffinity: the cores this process may use"},
    }
    if measured is None:
        out.update(clock_ghz=None, bf16_flops_per_cycle=None, fp32_flops_per_cycle=None, probe=runs)
        out["sources"]["clock_ghz"] = f"unknown: peak.c not run ({runs})"
    else:
        probe = "measured by experiments/benchmark/peak.c per CPU second"
        out.update(
            clock_ghz=measured["clock_ghz"],
            measured_bf16_flops_per_cycle=measured["bf16_flops_per_cycle"],
            measured_fp32_flops_per_cycle=measured["fp32_flops_per_cycle"],
            bf16_flops_per_cycle=UNIT * round(measured["bf16_flops_per_cycle"] / UNIT),
            fp32_flops_per_cycle=UNIT * round(measured["fp32_flops_per_cycle"] / UNIT),
            probe=runs,
        )
        out["sources"].update(
            clock_ghz=f"{probe} (dependent integer adds, one per cycle)",
            bf16_flops_per_cycle=f"AVX512-BF16 VDPBF16PS zmm, {probe}",
            fp32_flops_per_cycle=f"AVX-512 VFMADD231PS zmm, {probe}",
        )
        if "amx_bf16" in flags:
            out["bf16_flops_per_cycle"] = AMX_BF16_FLOPS_PER_CYCLE
            out["sources"]["bf16_flops_per_cycle"] = AMX_SOURCE
    out["matmul"] = {
        "bfloat16": matmul_rate(tf.bfloat16, matmul_size, repeats),
        "float32": matmul_rate(tf.float32, matmul_size, repeats),
    }
    for kind in ("bf16", "fp32"):
        per_cycle = out[f"{kind}_flops_per_cycle"]
        out[f"{kind}_tflops"] = None if per_cycle is None else cores * out["clock_ghz"] * per_cycle / 1e3
    if out["bf16_tflops"] is None:
        out["bf16_tflops"] = out["matmul"]["bfloat16"]["tflops_per_cpu_s"] * cores
        out["sources"]["bf16_tflops"] = f"a {matmul_size}^3 bfloat16 matmul in TensorFlow, per CPU second x cores"
    else:
        out["sources"]["bf16_tflops"] = "cores x clock x bf16 FLOPs per cycle"
    if out["fp32_tflops"] is None:
        out["fp32_tflops"] = out["matmul"]["float32"]["tflops_per_cpu_s"] * cores
    log(
        "peak",
        f"{cores} cores x {out['clock_ghz'] or float('nan'):.2f} GHz x {out['bf16_flops_per_cycle']} bf16 FLOPs/cycle "
        f"= {out['bf16_tflops']:.2f} TFLOP/s bfloat16 ({out['fp32_tflops']:.2f} float32); "
        f"TensorFlow matmul {matmul_size}^3: {out['matmul']['bfloat16']['tflops_per_s']:.2f} bf16, "
        f"{out['matmul']['float32']['tflops_per_s']:.2f} float32 TFLOP/s",
    )
    return out
