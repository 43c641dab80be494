"""The bare train step timed in a fresh process, for the settings that must
be made before TensorFlow starts (its thread pools, oneDNN's environment
flags): `python -m experiments.benchmark.step_probe --width W --precision P
[--batch B] [--inter N] [--intra N] [--steps N]`, under the environment the
caller sets (`TF_ENABLE_ONEDNN_OPTS`, `ONEDNN_VERBOSE`); prints `MARKER`
before the timed steps and one JSON line at the end.

The step is `train_stage.bare_step` with the hard-label loss on random
inputs of the classification net (with hints and a palette, as the
variants build it). `kernel_breakdown` reads oneDNN's verbose lines of the
timed steps (ONEDNN_VERBOSE=1): time, FLOPs and rate per kind of kernel.
"""

import argparse
import collections
import json
import re
import sys
import time

MARKER = "step_probe: timed steps"


def _conv_flops(problem):
    """FLOPs of a oneDNN convolution problem descriptor such as
    `mb16_ic64oc128_ih32oh32kh3sh1dh0ph1_iw32ow32kw3sw1dw0pw1` (groups
    `g` when given): 2 per multiply-add, `2 mb oc oh ow ic kh kw / g`,
    whichever direction (forward, backward data, backward weights) runs it."""
    d = {k: int(v) for k, v in re.findall(r"([a-z]+)(\d+)", problem)}
    return 2 * d["mb"] * d["oc"] * d["oh"] * d.get("ow", 1) * d["ic"] * d["kh"] * d.get("kw", 1) // d.get("g", 1)


def kernel_breakdown(lines, steps):
    """Time, FLOPs and rate of oneDNN's primitives per step, by kind.

    Args:
        lines: oneDNN verbose output lines (`onednn_verbose,v1,primitive,
            exec,cpu,KIND,IMPLEMENTATION,DIRECTION,...,PROBLEM,MS`); others
            are skipped.
        steps: how many steps the lines cover.

    Returns:
        A list of dicts, slowest first: `kind` (e.g. "convolution
        backward_weights"), `implementation`, `calls`, `ms_per_step`,
        `gflops_per_step` (convolutions; 0 for the others) and
        `tflops_per_s` (None without FLOPs).
    """
    ms, flops, calls = collections.Counter(), collections.Counter(), collections.Counter()
    for line in lines:
        f = line.strip().split(",")
        if len(f) < 10 or f[0] != "onednn_verbose" or "exec" not in f[2:4]:
            continue
        at = f.index("exec")
        kind, implementation, direction = f[at + 2], f[at + 3], f[at + 4]
        if kind != "convolution":  # reorders etc.: one row per kind
            implementation, direction = implementation.split(":")[0], ""
        key = (f"{kind} {direction}".strip(), implementation)
        ms[key] += float(f[-1])
        calls[key] += 1
        if kind == "convolution":
            flops[key] += _conv_flops(f[-2])
    return [
        {
            "kind": kind,
            "implementation": implementation,
            "calls": calls[(kind, implementation)] // steps,
            "ms_per_step": total / steps,
            "gflops_per_step": flops[(kind, implementation)] / steps / 1e9,
            "tflops_per_s": flops[(kind, implementation)] / total / 1e9 if flops[(kind, implementation)] else None,
        }
        for (kind, implementation), total in ms.most_common()
    ]


def _parser():
    p = argparse.ArgumentParser(prog="python -m experiments.benchmark.step_probe", description=__doc__.splitlines()[0])
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--precision", default="mixed_bfloat16")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--inter", type=int, default=0, help="inter-op threads (0: TensorFlow's default)")
    p.add_argument("--intra", type=int, default=0, help="intra-op threads (0: TensorFlow's default)")
    p.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up")
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    import keras  # noqa: PLC0415 (after the flags: --help without TensorFlow)
    import tensorflow as tf  # noqa: PLC0415

    if args.inter:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter)
    if args.intra:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra)
    from colorize.nets import models  # noqa: PLC0415
    from colorize.training import distribution  # noqa: PLC0415
    from experiments.benchmark import train_stage  # noqa: PLC0415

    keras.mixed_precision.set_global_policy(args.precision)
    strategy = distribution.make_strategy()[0]
    with strategy.scope():
        net = models.build_net("classification", width=args.width, hints=True, palette=True)
    inputs = train_stage.random_inputs(net, args.batch, args.image_size)
    step = train_stage.bare_step(net, strategy, 1e-3, train_stage.hard_label_loss(args.batch, args.image_size))
    step(inputs).numpy()  # warm-up: tracing, oneDNN's primitive caches
    print(MARKER, flush=True)
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step(inputs).numpy()
    seconds = (time.perf_counter() - start) / args.steps
    cpu = (time.process_time() - start_cpu) / args.steps
    sys.stdout.flush()
    print(
        json.dumps(
            {
                "step_ms": 1e3 * seconds,
                "images_per_s": args.batch / seconds,
                "cpu_ms_per_image": 1e3 * cpu / args.batch,
                "cores_used": cpu / seconds,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
