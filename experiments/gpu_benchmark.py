"""The training-step benchmark of the paper preset under Keras's JAX backend,
in bfloat16: `python -m experiments.gpu_benchmark [--json OUT]`.

For each variant it times the paper network's training step (forward, the
variant's loss with its in-graph targets, backward, Adam) compiled with
`jax.jit`, next to the bare network's step with a trivial loss, and reports
images per second and the model FLOP utilization (MFU) against the dense
bfloat16 peak of the device it runs on (`BF16_DENSE_PEAKS`; none for other
devices), forward+backward counted as 3x the forward FLOPs of
`experiments.benchmark.flops.forward_flops`.

It imports only `colorize.nets` (`keras.ops`), the config tables of
`colorize.variants` and `experiments.benchmark`'s `timing` and `flops`,
never TensorFlow (a contract of `lint-imports` checks it, see
`pyproject.toml`), so it runs where only JAX is installed:

    pip install -U "jax[cuda12]" keras numpy scikit-image opencv-python-headless
    python -m experiments.gpu_benchmark --json gpu.json

Without JAX it prints why and exits 0 (nothing to time); with JAX on a CPU it
runs too, slowly (`--quick` runs the tiny preset in seconds). The rebalanced
variants use uniform class weights (the lookup runs; the values do not change
the time) and random inputs (the time does not depend on the pixels).
"""

import argparse
import importlib.util
import json
import os
import re
import shlex
import sys
import tempfile
import time

import numpy as np

from colorize import errors, variants
from colorize.errors import ColorizeError, cli
from experiments.benchmark import timing

BF16_DENSE_PEAKS = (
    (r"\bH100\b.*\bPCIe\b", "H100 PCIe", 756e12),
    (r"\bH100\b.*\bNVL\b", "H100 NVL", 835e12),
    (r"\bH100\b", "H100 SXM", 989e12),
    (r"\bG?H200\b", "H200", 989e12),
    (r"\bA100\b", "A100", 312e12),
    (r"\bL40S\b", "L40S", 362e12),
    (r"\bL4\b", "L4", 121e12),
    (r"\bTPU v4\b", "TPU v4", 275e12),
    (r"\bTPU v5 ?(lite|e)\b", "TPU v5e", 197e12),
)
"""Dense (no sparsity) bfloat16 peaks, FLOP/s, from the vendors' data sheets:
(pattern searched in the device name, case-insensitive; name; peak). The
first match wins, so the more specific patterns come first."""

DEFAULT_JSON = os.path.join("experiments", "results", "gpu_benchmark.json")
QUICK_JSON = os.path.join(tempfile.gettempdir(), "colorize-gpu-benchmark-quick.json")


def device_peak(device_name, precision="mixed_bfloat16"):
    """The dense bfloat16 peak of a device, for the MFU.

    Args:
        device_name: the device's name as JAX reports it
            (`device.device_kind`, e.g. "NVIDIA H100 80GB HBM3").
        precision: the run's precision policy; only bfloat16 runs have a peak
            to compare with.

    Returns:
        (peak FLOP/s, the table's name for the device), or (None, None) when
        the device or precision is not in `BF16_DENSE_PEAKS`.
    """
    if precision != "mixed_bfloat16":
        return None, None
    for pattern, name, peak in BF16_DENSE_PEAKS:
        if re.search(pattern, device_name, re.IGNORECASE):
            return peak, name
    return None, None


# ---------------------------------------------------------------- the step --


def _loss(config):
    """The variant's loss (per example); uniform rebalancing weights."""
    from colorize.nets import losses, targets  # noqa: PLC0415 (Keras: after `_import_keras_jax`)

    weights = None
    if config.rebalance and config.model == "classification":
        weights = targets.rebalance_weights(np.full(512, 1.0 / 512), config.rebalance_lambda)
    return losses.for_config(config, weights)


def make_step(net, loss_fn, learning_rate):
    """A jitted JAX training step: forward, loss, backward, Adam.

    The stateless pattern of Keras's JAX guide: variables travel as arrays.

    Args:
        net: the Keras network.
        loss_fn: `(color, outputs) -> (batch,)` losses, or None for the bare
            step (loss = mean of the outputs).
        learning_rate: Adam's learning rate.

    Returns:
        (step, state): `step(state, sketch, color) -> (loss, state)`.
    """
    import jax  # noqa: PLC0415 (as in `_loss`)
    import keras  # noqa: PLC0415 (as in `_loss`)

    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build(net.trainable_variables)

    def compute_loss(trainable, non_trainable, sketch, color):
        out, non_trainable = net.stateless_call(trainable, non_trainable, sketch, training=True)
        if loss_fn is None:
            loss = keras.ops.mean(keras.ops.cast(out, "float32"))
        else:
            loss = keras.ops.mean(loss_fn(keras.ops.cast(color, "float32"), out))
        return loss, non_trainable

    grad_fn = jax.value_and_grad(compute_loss, has_aux=True)

    @jax.jit
    def step(state, sketch, color):
        trainable, non_trainable, opt_vars = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, sketch, color)
        trainable, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
        return loss, (trainable, non_trainable, opt_vars)

    state = (
        [v.value for v in net.trainable_variables],
        [v.value for v in net.non_trainable_variables],
        [v.value for v in optimizer.variables],
    )
    return step, state


def time_step(step, state, sketch, color, steps, repeats):
    """Seconds per step: the median over `repeats` runs of `steps` steps
    (`experiments.benchmark.timing.measure`), after one compiling call.
    Returns (seconds per step, compile seconds)."""
    start = time.perf_counter()
    loss, state = step(state, sketch, color)
    loss.block_until_ready()
    compile_s = time.perf_counter() - start
    carried = [loss, state]

    def run():
        for _ in range(steps):
            carried[0], carried[1] = step(carried[1], sketch, color)
        carried[0].block_until_ready()  # JAX dispatches asynchronously

    seconds = timing.measure(run, repeats, warmup=0)["median_s"]
    if not np.isfinite(float(carried[0])):
        raise ColorizeError(f"the training step produced a non-finite loss ({float(carried[0])})")
    return seconds / steps, compile_s


# --------------------------------------------------------------------- CLI --


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m experiments.gpu_benchmark",
        description="Time the paper preset's training step under Keras's JAX backend (bfloat16): images/s and MFU.",
    )
    p.add_argument(
        "--variants", default=",".join(variants.VARIANTS), help="comma-separated variants (default: all five)"
    )
    p.add_argument("--preset", default="paper", help="training preset (default paper: 256 px, full width, batch 24)")
    p.add_argument("--batch-size", type=int, default=None, help="default: the preset's")
    p.add_argument("--precision", default="mixed_bfloat16", help="mixed_bfloat16 (default) or float32")
    p.add_argument("--steps", type=int, default=10, help="steps per timed run")
    p.add_argument("--repeats", type=int, default=3, help="timed runs (the median is reported)")
    p.add_argument("--quick", action="store_true", help="tiny preset, chroma only, 2 steps: checks that it runs")
    p.add_argument(
        "--json", default=None, help=f"where to write the results (default {DEFAULT_JSON}; --quick: {QUICK_JSON})"
    )
    return p


def parse_args(argv):
    args = errors.parse_args(_parser(), argv)
    if args.quick:
        args.preset, args.variants, args.steps, args.repeats = "tiny", "chroma", 2, 1
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in variants.VARIANTS]
    if unknown or not names:
        raise ColorizeError(f"--variants must name some of {', '.join(variants.VARIANTS)}; got {args.variants!r}")
    args.variants = names
    if args.preset not in variants.PRESETS:
        raise ColorizeError(f"--preset must be one of {', '.join(variants.PRESETS)}, not {args.preset!r}")
    if args.precision not in ("mixed_bfloat16", "float32"):
        raise ColorizeError(f"--precision must be mixed_bfloat16 or float32, not {args.precision!r}")
    for flag in ("steps", "repeats", "batch_size"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ColorizeError(f"--{flag.replace('_', '-')} must be at least 1, not {value}")
    return args


def output_path(args):
    """`--json` when given; else `DEFAULT_JSON`, or `QUICK_JSON` (in the
    temporary folder) for a `--quick` run, which must never replace the
    committed figures."""
    if args.json:
        return args.json
    return QUICK_JSON if args.quick else DEFAULT_JSON


def _write(result, path):
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    except OSError as e:
        raise ColorizeError(f"{path}: cannot write results ({e.strerror or e})") from None


def _import_keras_jax():
    """Imports Keras with the JAX backend (it must not be loaded yet)."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "jax"
    import keras  # noqa: PLC0415 (here, once KERAS_BACKEND is set)

    if keras.backend.backend() != "jax":
        raise ColorizeError(
            f"Keras is already loaded with the {keras.backend.backend()} backend; "
            "run `python -m experiments.gpu_benchmark` in a fresh process"
        )
    return keras


def run(argv=None):
    """Runs the benchmark; returns the result dict (also written as JSON)."""
    args = parse_args(argv)
    path = output_path(args)
    result = {"command": "python -m experiments.gpu_benchmark " + " ".join(shlex.quote(a) for a in (argv or []))}
    if importlib.util.find_spec("jax") is None:
        result["skipped"] = "jax is not installed (pip install -U 'jax[cuda12]' on a GPU machine)"
        print(f"skipped: {result['skipped']}; nothing was timed", flush=True)
        _write(result, path)
        return result

    keras = _import_keras_jax()
    # Keras picks its backend when it loads: the modules that import it load
    # after `_import_keras_jax`, and JAX only when it is installed.
    import jax  # noqa: PLC0415

    from colorize.nets import models  # noqa: PLC0415
    from experiments.benchmark.flops import forward_flops  # noqa: PLC0415

    keras.mixed_precision.set_global_policy(args.precision)
    device = jax.devices()[0]
    peak, peak_name = device_peak(device.device_kind, args.precision)
    base = variants.resolve(args.variants[0], args.preset, batch_size=args.batch_size)
    batch, size = base.batch_size, base.image_size
    rng = np.random.default_rng(0)
    sketch = jax.device_put(rng.integers(0, 256, (batch, size, size, 1), dtype=np.uint8))
    color = jax.device_put(rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8))
    result.update(
        device=f"{device.platform}: {device.device_kind}",
        jax=jax.__version__,
        keras=keras.__version__,
        precision=args.precision,
        preset=args.preset,
        batch_size=batch,
        image_size=size,
        width=base.width,
        steps=args.steps,
        repeats=args.repeats,
        peak_flops=peak,
        peak_device=peak_name,
        variants={},
        bare={},
    )
    print(
        f"{result['device']}, JAX {jax.__version__}, Keras {keras.__version__} ({args.precision}); "
        f"{args.preset} preset: batch {batch}, {size} px, width {base.width}; "
        + (
            f"MFU against the {peak_name} dense bf16 peak, {peak / 1e12:.0f} TFLOP/s"
            if peak
            else "MFU unknown: no peak known for this device and precision"
        ),
        flush=True,
    )
    nets = {}
    for name in args.variants:
        config = variants.resolve(name, args.preset, batch_size=args.batch_size)
        if config.model not in nets:
            keras.utils.set_random_seed(0)
            net = models.build_net(config.model, config.width)
            flops = forward_flops(net, size)
            step, state = make_step(net, None, config.learning_rate)
            seconds, compile_s = time_step(step, state, sketch, color, args.steps, args.repeats)
            nets[config.model] = net
            result["bare"][config.model] = _entry(seconds, compile_s, batch, flops, peak)
            print(f"bare {config.model}: " + _line(result["bare"][config.model], peak_name), flush=True)
        net = nets[config.model]
        flops = result["bare"][config.model]["forward_gflops_per_image"] * 1e9
        step, state = make_step(net, _loss(config), config.learning_rate)
        seconds, compile_s = time_step(step, state, sketch, color, args.steps, args.repeats)
        entry = _entry(seconds, compile_s, batch, flops, peak)
        entry["overhead_ratio"] = seconds / (result["bare"][config.model]["step_ms"] / 1e3)
        result["variants"][name] = entry
        print(f"{name}: " + _line(entry, peak_name) + f", {entry['overhead_ratio']:.2f}x the bare step", flush=True)
    _write(result, path)
    print(f"wrote {path}", flush=True)
    return result


def _entry(seconds, compile_s, batch, flops, peak):
    """One step's figures; `mfu` is None when the device's peak is unknown."""
    achieved = 3 * flops * batch / seconds
    return {
        "step_ms": 1e3 * seconds,
        "compile_s": compile_s,
        "images_per_s": batch / seconds,
        "forward_gflops_per_image": flops / 1e9,
        "achieved_tflops_per_s": achieved / 1e12,
        "mfu": None if peak is None else achieved / peak,
    }


def _line(e, peak_name):
    mfu = (
        "MFU unknown (no peak for this device)"
        if e["mfu"] is None
        else (f"MFU {100 * e['mfu']:.1f}% of the {peak_name} bf16 peak")
    )
    return (
        f"{e['images_per_s']:.1f} images/s ({e['step_ms']:.1f} ms/step, compile {e['compile_s']:.0f} s), "
        f"{e['achieved_tflops_per_s']:.2f} TFLOP/s, {mfu}"
    )


@cli
def main(argv=None):
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
