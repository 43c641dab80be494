"""The peak stage: the train step against the CPU's matrix peak.

- peak: the CPU's bfloat16 (and float32) peak, cores x clock x FLOPs per
  cycle, each number with its source, and a large matmul in TensorFlow
  (`peak.cpu_peak`).
- widths: the classification net's bare train step (forward, hard-label
  softmax cross entropy, backward, Adam; with the hint and palette inputs
  the variants give it) at each width, float32 and mixed_bfloat16 timed in
  alternation: images/s, TFLOP/s (forward+backward counted as 3x the
  forward FLOPs, `flops.forward_flops`) and the fraction of the bfloat16
  peak, by wall time and per CPU second (what the cores this process got
  could do).
- loop: the real loop, `Trainer.fit` (tf.data with simulated hints and
  palettes, the variant's loss, the step, the progress lines) as its own
  progress lines measure it, against its step on a fixed batch and the
  bare step, in each precision.
- limits: what holds the step below the peak, each tried in this run: XLA,
  the batch size, the layout of one convolution (NHWC against NCHW), the
  512-class head with its loss, TensorFlow's thread pools and oneDNN
  (fresh processes, `step_probe`), and where the step's time goes, kernel
  by kernel (oneDNN's verbose log).
"""

import contextlib
import json
import os
import subprocess
import sys

import keras
import numpy as np
import tensorflow as tf

from colorize import variants
from colorize.data import pipeline
from colorize.nets import models
from colorize.training import distribution
from experiments.benchmark import peak, step_probe
from experiments.benchmark.config import dataset_config
from experiments.benchmark.flops import forward_flops
from experiments.benchmark.timing import log, measure, measure_paired
from experiments.benchmark.train_stage import _trainer, bare_step, hard_label_loss, random_inputs

PRECISIONS = ("float32", "mixed_bfloat16")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@contextlib.contextmanager
def precision(policy):
    """Keras's global precision policy set to `policy` inside the block (a
    layer keeps the policy it was built under)."""
    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def rates(timing, batch, flops_per_image, pk):
    """Images/s, TFLOP/s and fractions of the peak of a timed step.

    Args:
        timing: `measure`'s dict (`median_s`, `cpu_median_s`).
        batch: images per step.
        flops_per_image: forward FLOPs per image (the step does 3x).
        pk: `peak.cpu_peak`'s dict.

    Returns:
        A dict: `step_ms`, `images_per_s`, `cpu_ms_per_image`,
        `tflops_per_s` (wall), `fraction_of_peak` (of the bfloat16 peak of
        all cores), `tflops_per_cpu_s` and `cpu_fraction_of_peak` (per
        second of CPU time, against one core's bfloat16 peak: what the
        cores it got made of them), `fraction_of_fp32_peak`.
    """
    flops = 3.0 * flops_per_image * batch
    wall, cpu = timing["median_s"], timing["cpu_median_s"]
    per_core = pk["bf16_tflops"] / pk["cores"]
    return {
        "step_ms": 1e3 * wall,
        "images_per_s": batch / wall,
        "cpu_ms_per_image": 1e3 * cpu / batch,
        "tflops_per_s": flops / wall / 1e12,
        "fraction_of_peak": flops / wall / 1e12 / pk["bf16_tflops"],
        "tflops_per_cpu_s": flops / cpu / 1e12,
        "cpu_fraction_of_peak": flops / cpu / 1e12 / per_core,
        "fraction_of_fp32_peak": flops / wall / 1e12 / pk["fp32_tflops"],
    }


def _net(config, width, policy, strategy):
    with precision(policy), strategy.scope():
        return models.build_net(config.model, width=width, hints=config.hints, palette=config.palette)


def _widths(budget, config, strategy, inputs, pk, repeats):
    """Float32 and bfloat16 bare steps at each width, in alternation."""
    b, size = config.batch_size, config.image_size
    out = []
    for width in budget["peak_widths"]:
        steps, flops = {}, None
        for policy in PRECISIONS:
            net = _net(config, width, policy, strategy)
            flops = forward_flops(net, size)
            with precision(policy):
                steps[policy] = bare_step(net, strategy, config.learning_rate, hard_label_loss(b, size))
        f32, bf16, ratio = measure_paired(
            lambda s=steps: s["float32"](inputs).numpy(), lambda s=steps: s["mixed_bfloat16"](inputs).numpy(), repeats
        )
        entry = {
            "width": width,
            "forward_gflops_per_image": flops / 1e9,
            "float32": rates(f32, b, flops, pk),
            "mixed_bfloat16": rates(bf16, b, flops, pk),
            "speedup": ratio["ratio"],
            "cpu_speedup": ratio["cpu_ratio"],
        }
        out.append(entry)
        log(
            "peak",
            f"width {width}: float32 {entry['float32']['images_per_s']:.1f} images/s, bfloat16 "
            f"{entry['mixed_bfloat16']['images_per_s']:.1f} ({ratio['ratio']:.2f}x; CPU time "
            f"{ratio['cpu_ratio']:.2f}x); bfloat16 {entry['mixed_bfloat16']['tflops_per_s']:.2f} TFLOP/s = "
            f"{100 * entry['mixed_bfloat16']['fraction_of_peak']:.0f}% of the peak "
            f"({100 * entry['mixed_bfloat16']['cpu_fraction_of_peak']:.0f}% per CPU second)",
        )
    return out


def _loop(budget, args, work_dir, strategy, repeats):
    """`Trainer.fit` against its step on a fixed batch and the bare step."""
    k, intervals = budget["loop_log_every"], budget["loop_intervals"]
    out = []
    for policy in budget["loop_precisions"]:
        base = dataset_config(args, budget["peak_preset"])
        config = variants.resolve(
            budget["loop_variant"],
            budget["peak_preset"],
            dataset=base.dataset,
            data_dir=base.data_dir,
            width=budget["loop_width"],
            precision=policy,
            epochs=1,
            steps_per_epoch=k * (1 + intervals),
            log_every=k,
            checkpoint_every=10**6,
            validation_batches=1,
        )
        with precision(policy):  # the task sets it too; the block puts the old one back
            trainer = _trainer(config, work_dir, strategy)
            trainer.fit()
        timed = trainer.intervals[1:]  # the first holds the tracing
        images = sum(i[0] for i in timed)
        loop = {
            "images_per_s": images / sum(i[1] for i in timed),
            "cpu_ms_per_image": 1e3 * sum(i[2] for i in timed) / images,
        }
        batch = next(iter(trainer.task.build_inputs("train", training=True)))
        bare = bare_step(
            trainer.net, strategy, config.learning_rate, hard_label_loss(config.batch_size, config.image_size)
        )
        step, bare_t, ratio = measure_paired(
            lambda t=trainer, x=batch: t.train_step(x).numpy(), lambda s=bare, x=batch: s(x[0]).numpy(), repeats
        )
        b = config.batch_size
        entry = {
            "precision": policy,
            "variant": config.variant,
            "width": config.width,
            "batch_size": b,
            "loop_steps": k * intervals,
            "loop": loop,
            "trainer_step": {"images_per_s": b / step["median_s"], "cpu_ms_per_image": 1e3 * step["cpu_median_s"] / b},
            "bare_step": {"images_per_s": b / bare_t["median_s"], "cpu_ms_per_image": 1e3 * bare_t["cpu_median_s"] / b},
            "step_over_bare": ratio["ratio"],
            "cpu_step_over_bare": ratio["cpu_ratio"],
        }
        entry["loop_over_bare"] = loop["images_per_s"] / entry["bare_step"]["images_per_s"]
        entry["cpu_loop_over_bare"] = entry["bare_step"]["cpu_ms_per_image"] / loop["cpu_ms_per_image"]
        out.append(entry)
        log(
            "peak",
            f"loop ({config.variant}, width {config.width}, {policy}): {loop['images_per_s']:.1f} images/s = "
            f"{entry['loop_over_bare']:.2f}x the bare step's {entry['bare_step']['images_per_s']:.1f} (CPU time "
            f"{entry['cpu_loop_over_bare']:.2f}x); its step on a fixed batch "
            f"{entry['trainer_step']['images_per_s']:.1f} images/s",
        )
    return out


def _layout(channels, side, batch, repeats):
    """One 3x3 convolution, forward and both gradients, in bfloat16: NCHW
    over NHWC time (TensorFlow's CPU layout is NHWC)."""
    rng = np.random.default_rng(0)
    kernel = tf.Variable(tf.cast(rng.normal(0, 0.05, (3, 3, channels, channels)).astype("float32"), tf.bfloat16))
    steps = {}
    for fmt in ("NHWC", "NCHW"):
        shape = (batch, side, side, channels) if fmt == "NHWC" else (batch, channels, side, side)
        x = tf.cast(tf.constant(rng.normal(size=shape).astype("float32")), tf.bfloat16)

        @tf.function
        def step(x, fmt=fmt):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.conv2d(x, kernel, 1, "SAME", data_format=fmt)
                loss = tf.reduce_sum(tf.square(tf.cast(y, tf.float32)))
            return tape.gradient(loss, [x, kernel])

        steps[fmt] = lambda step=step, x=x: [g.numpy() for g in step(x)]
    shape = {"channels": channels, "side": side, "batch": batch}
    try:
        nchw, nhwc, ratio = measure_paired(steps["NCHW"], steps["NHWC"], repeats)
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as e:
        # Without oneDNN's bfloat16 kernels (a CPU with no bfloat16 units) TensorFlow's own
        # filter gradient takes NHWC only: nothing to compare.
        lines = [line.strip() for line in e.message.splitlines() if line.strip()]
        why = next((line for line in lines if "NHWC" in line), lines[0])
        return {**shape, "nchw_over_nhwc": None, "cpu_nchw_over_nhwc": None, "unsupported": why}
    flops = 3 * 2 * batch * side * side * channels * channels * 9
    return {
        **shape,
        "nhwc_tflops_per_s": flops / nhwc["median_s"] / 1e12,
        "nchw_tflops_per_s": flops / nchw["median_s"] / 1e12,
        "nchw_over_nhwc": ratio["ratio"],
        "cpu_nchw_over_nhwc": ratio["cpu_ratio"],
    }


def _layout_text(layout):
    """`_layout`'s result in the stage's log: "NCHW 1.23x NHWC's time", or why there is no figure."""
    if layout["nchw_over_nhwc"] is None:
        return f"NCHW not run here ({layout['unsupported']})"
    return f"NCHW {layout['nchw_over_nhwc']:.2f}x NHWC's time"


def _probe(args, env=None, timeout=600):
    """`step_probe` in a fresh process: (its JSON result, its output lines
    after the timed steps began)."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.benchmark.step_probe", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"step_probe {' '.join(args)} failed: {proc.stderr.strip()[-2000:]}")
    lines = proc.stdout.split(step_probe.MARKER)[-1].splitlines()
    return json.loads(lines[-1]), lines[:-1]


# Settings tried in fresh processes: (name, environment, step_probe arguments).
PROBES = (
    ("default", {}, []),
    ("inter-op pool of 1 thread", {}, ["--inter", "1"]),
    ("1 thread (inter-op and intra-op)", {}, ["--inter", "1", "--intra", "1"]),
    ("oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)", {"TF_ENABLE_ONEDNN_OPTS": "0"}, ["--batch", "2", "--steps", "1"]),
    ("float32", {}, ["--precision", "float32"]),
    ("float32, oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)", {"TF_ENABLE_ONEDNN_OPTS": "0"}, ["--precision", "float32"]),
)


def _limits(budget, config, strategy, pk, repeats):
    """What holds the bfloat16 step below the peak, each tried here."""
    width, b, size = budget["limits_width"], config.batch_size, config.image_size
    net = _net(config, width, "mixed_bfloat16", strategy)
    flops = forward_flops(net, size)
    inputs = random_inputs(net, b, size)
    with precision("mixed_bfloat16"):
        base = bare_step(net, strategy, config.learning_rate, hard_label_loss(b, size))
        xla = bare_step(net, strategy, config.learning_rate, hard_label_loss(b, size), jit_compile=True)
        body = keras.Model(net.input, net.get_layer("conv8_3").output)  # the same layers, no 512-class head
        headless = bare_step(body, strategy, config.learning_rate)
    out = {"width": width, "batch_size": b, "precision": "mixed_bfloat16"}
    xla_t, base_t, ratio = measure_paired(lambda: xla(inputs).numpy(), lambda: base(inputs).numpy(), repeats)
    out["base"] = rates(base_t, b, flops, pk)
    out["xla"] = dict(rates(xla_t, b, flops, pk), over_base=ratio["ratio"], cpu_over_base=ratio["cpu_ratio"])
    head_t, _, ratio = measure_paired(lambda: base(inputs).numpy(), lambda: headless(inputs).numpy(), repeats)
    out["head_and_loss"] = {
        "step_ms": 1e3 * head_t["median_s"],
        "share_of_step": 1.0 - 1.0 / ratio["ratio"],
        "cpu_share_of_step": 1.0 - 1.0 / ratio["cpu_ratio"],
    }
    out["batch_sizes"] = {}
    for batch in budget["limits_batches"]:
        x = random_inputs(net, batch, size)
        with precision("mixed_bfloat16"):
            step = bare_step(net, strategy, config.learning_rate, hard_label_loss(batch, size))
        out["batch_sizes"][str(batch)] = rates(measure(lambda s=step, x=x: s(x).numpy(), repeats), batch, flops, pk)
    # The shape of the conv4-conv7 blocks, where most of the FLOPs are.
    out["layout"] = _layout(net.get_layer("conv4_1").filters, size // 8, b, repeats)
    log(
        "peak",
        f"limits (width {width}, bfloat16): XLA {out['xla']['over_base']:.2f}x the time; the 512-class head and "
        f"loss {100 * out['head_and_loss']['share_of_step']:.0f}% of the step; "
        + _layout_text(out["layout"])
        + "; batch "
        + ", ".join(f"{k}: {v['cpu_ms_per_image']:.1f}" for k, v in out["batch_sizes"].items())
        + f" CPU ms/image (16: {out['base']['cpu_ms_per_image']:.1f})",
    )
    common = ["--width", str(width), "--image-size", str(size), "--steps", str(budget["probe_steps"])]
    out["processes"] = {}
    for name, env, extra in PROBES:
        if name not in budget["probes"]:
            continue
        result, _ = _probe([*common, *extra], env)
        out["processes"][name] = dict(result, args=extra, env=env)
        log(
            "peak",
            f"fresh process, {name}: {result['images_per_s']:.2f} images/s, "
            f"{result['cpu_ms_per_image']:.1f} CPU ms/image",
        )
    if budget["kernels"]:
        # One inter-op thread: oneDNN's primitives run one after another, so their times add up.
        result, lines = _probe([*common, "--inter", "1"], {"ONEDNN_VERBOSE": "1"})
        kernels = step_probe.kernel_breakdown(lines, budget["probe_steps"])
        step_ms = result["step_ms"]
        got = pk["bf16_tflops"] * min(1.0, result["cores_used"] / pk["cores"])  # the peak of the cores it got
        for k in kernels:
            k["share_of_step"] = k["ms_per_step"] / step_ms
            k["fraction_of_peak"] = None if k["tflops_per_s"] is None else k["tflops_per_s"] / pk["bf16_tflops"]
            k["fraction_of_cores_got"] = None if k["tflops_per_s"] is None else k["tflops_per_s"] / got
        out["kernels"] = {
            "cores_used": result["cores_used"],
            "step_ms": step_ms,
            "onednn_ms": sum(k["ms_per_step"] for k in kernels),
            "list": kernels,
        }
        top = kernels[0]
        log(
            "peak",
            f"kernels: {top['kind']} ({top['implementation']}) {100 * top['share_of_step']:.0f}% of the step at "
            f"{top['tflops_per_s'] or 0:.2f} TFLOP/s; oneDNN {out['kernels']['onednn_ms']:.0f} of {step_ms:.0f} ms",
        )
    return out


def stage_peak(budget, args, work_dir, repeats):
    """The CPU's peak, the step at each width in both precisions, the loop
    against the bare step, and what limits the step."""
    strategy, _, _, _ = distribution.make_strategy()
    pk = peak.cpu_peak(work_dir, repeats, budget["matmul_size"])
    config = dataset_config(args, budget["peak_preset"])
    config = variants.resolve(
        budget["loop_variant"], budget["peak_preset"], dataset=config.dataset, data_dir=config.data_dir
    )
    inputs = next(iter(pipeline.make_dataset(config, "train", training=True, hints=config.hints)))[0]
    result = {
        "peak": pk,
        "preset": config.preset,
        "variant": config.variant,
        "image_size": config.image_size,
        "batch_size": config.batch_size,
    }
    with precision(keras.mixed_precision.global_policy().name):  # as it was, whatever the stage sets
        result["widths"] = _widths(budget, config, strategy, inputs, pk, repeats)
        result["loop"] = _loop(budget, args, work_dir, strategy, repeats)
        result["limits"] = _limits(budget, config, strategy, pk, repeats)
    return result
