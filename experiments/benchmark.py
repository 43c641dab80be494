"""How fast each stage is, next to its floor or reference:
`python -m experiments.benchmark [--stage build|targets|train|inference|all]`.

Stages (issue 7):

- build: images/s of the dataset builder's per-image work (decode or
  generate, `sketch.prepare_examples`, TFDS feature encoding) for synthetic
  images and for a folder of real ones, next to the floor measured in the
  same run (decoding the inputs and encoding the outputs only); and one real
  TFDS build of `synthetic_tiny`, end to end.
- targets: per example (256 -> 64 px), the factored targets the losses use
  (`targets.soft_factors`), the 512-wide ones (`targets.encode_colors`),
  targets plus the variant's loss (value; value and gradient), the same from
  512-wide targets, and the hard-label softmax cross entropy (the floor of a
  512-class loss), each next to the reference code's offline NumPy encoding
  (`experiments.reference_targets`) timed in the same run; the bytes our
  TFRecords store per example next to the reference's 64x64x512 float16
  targets.
- train: images/s of `colorize.training.trainer.Trainer`'s step for every variant at the
  small and paper presets, next to the bare network's forward+backward with a
  trivial loss (so the cost of targets, weights and losses is a ratio) and
  with hard-label softmax cross entropy (what any 512-class loss costs); the
  input pipeline's own throughput; FLOPs per image of each network (counted
  per layer and checked against TensorFlow's graph profiler) and the achieved
  FLOP/s.
- inference: latency of the exported SavedModel (`colorize.export`) on 256,
  512 and 1024 px sketches (PNG bytes in, PNG out; and uint8 sketch in),
  next to its floor (the network alone at the trained scale plus decoding
  the input PNG and encoding the output PNG), and batch throughput.

Every figure is the median of `--repeats` timed runs after a warm-up. The
table is printed (Markdown) and everything, with the machine's description,
goes to `--json` (default `experiments/results/benchmark.json`; a run of
some stages replaces those stages there and keeps the others). `--quick`
runs every stage on a tiny budget (the tests use it): the numbers then only
show that the code works, and they go to the temporary folder unless
`--json` names a file, never over the committed results.

This module imports TensorFlow only inside the functions that need it, so
that `experiments.gpu_benchmark` can use `forward_flops` under Keras's JAX
backend.
"""

import argparse
import glob
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

from colorize import errors, variants
from colorize.errors import ColorizeError, cli
from colorize.nets import trained

STAGES = ("build", "targets", "train", "inference")
DEFAULT_JSON = os.path.join("experiments", "results", "benchmark.json")
QUICK_JSON = os.path.join(tempfile.gettempdir(), "colorize-benchmark-quick.json")
OPENCLIPART = "/usr/share/openclipart/png"

# The budget of each mode. Full: the README's figures; quick: seconds, for
# the tests (timings meaningless, every code path exercised).
BUDGETS = {
    "full": dict(
        repeats=3,
        synthetic_images=40,
        folder_images=200,
        tfds_builds=3,
        target_batch=24,
        reference_examples=4,
        small_preset="small",
        train_variants=tuple(variants.VARIANTS),
        paper_variants=tuple(variants.VARIANTS),
        paper_batch=2,
        paper_repeats=2,
        pipeline_batches=20,
        inference_preset="small",
        inference_sizes=(256, 512, 1024),
        inference_batch=8,
    ),
    "quick": dict(
        repeats=2,
        synthetic_images=2,
        folder_images=3,
        tfds_builds=1,
        target_batch=4,
        reference_examples=1,
        small_preset="tiny",
        train_variants=("chroma",),
        paper_variants=(),
        paper_batch=1,
        paper_repeats=1,
        pipeline_batches=2,
        inference_preset="tiny",
        inference_sizes=(64,),
        inference_batch=2,
    ),
}


def log(stage, message):
    """A progress line: `[stage] message`."""
    print(f"[{stage}] {message}", flush=True)


# ------------------------------------------------------------------ timing --


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


def machine():
    """The machine a benchmark ran on: CPU, cores, memory, versions, device."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    ram_gib = round(int(line.split()[1]) / 2**20, 1)
                    break
    except OSError:
        pass
    import cv2  # noqa: PLC0415
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415
    import tensorflow_datasets as tfds  # noqa: PLC0415

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": ram_gib,
        "device": ", ".join(d.name for d in gpus) if gpus else "CPU",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "tensorflow_datasets": tfds.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "load_average_start": list(os.getloadavg()),
    }


# ------------------------------------------------------------------- FLOPs --


def forward_flops(net, height, width=None):
    """FLOPs of one forward pass of a network on one image, layer by layer.

    Counted as TensorFlow's profiler counts the inference graph, so that
    `profiler_flops` checks it exactly: a multiply-add is 2 FLOPs.

    - `Conv2D`: `2 kh kw cin cout` per output pixel, plus 1 per output
      value for the bias; `Conv2DTranspose`: the same per *input* pixel.
    - `BatchNormalization` (inference, an affine map): 2 per value, plus 6
      per channel to fold its statistics.
    - `Rescaling`: 2 per value; `Multiply`: 1 per value and extra input.
    - ReLU, concatenation, inputs: 0.

    The layer shapes come from a symbolic call at this size, so it works
    under any backend (no TensorFlow needed).

    Args:
        net: a functional Keras model (`ClassificationNet`, `RegressionUNet`).
        height, width: the input size (width defaults to height).

    Returns:
        int FLOPs per image.
    """
    import keras  # noqa: PLC0415

    width = width or height
    kinds = (
        keras.layers.Conv2D,
        keras.layers.Conv2DTranspose,
        keras.layers.BatchNormalization,
        keras.layers.Rescaling,
        keras.layers.Multiply,
    )
    counted = [layer for layer in net.layers if isinstance(layer, kinds)]
    probe = keras.Model(net.input, [(layer.input, layer.output) for layer in counted])
    # One image of every input (the sketch; with hints also their color and mask).
    image = keras.tree.map_structure(lambda x: keras.KerasTensor((1, height, width, x.shape[-1])), net.input)
    shapes = probe.compute_output_spec(image)
    total = 0
    for layer, (x, y) in zip(counted, shapes, strict=True):
        values = math.prod(y.shape[1:])  # output values per image
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            kh, kw = layer.kernel_size
            per_pixel = 2 * kh * kw * x.shape[-1] * y.shape[-1]
            # A transposed conv scatters one kernel per input pixel.
            transposed = isinstance(layer, keras.layers.Conv2DTranspose)
            pixels = x.shape[1] * x.shape[2] if transposed else y.shape[1] * y.shape[2]
            total += per_pixel * pixels + (values if layer.use_bias else 0)
        elif isinstance(layer, keras.layers.BatchNormalization):
            total += 2 * values + 6 * y.shape[-1]
        elif isinstance(layer, keras.layers.Rescaling):
            total += 2 * values
        else:  # Multiply
            total += (len(x) - 1) * values
    return int(total)


def profiler_flops(net, height, width=None):
    """FLOPs of one forward pass as TensorFlow's graph profiler counts them
    in the frozen inference graph: an independent check of `forward_flops`."""
    import tensorflow as tf  # noqa: PLC0415
    from tensorflow.python.framework.convert_to_constants import (  # noqa: PLC0415
        convert_variables_to_constants_v2,
    )

    width = width or height

    @tf.function
    def forward(x):
        return net(x, training=False)

    # One image of every input (the sketch; with hints also their color and mask).
    image = tf.nest.map_structure(lambda x: tf.TensorSpec((1, height, width, x.shape[-1]), tf.float32), net.input)
    concrete = forward.get_concrete_function(image)
    graph = convert_variables_to_constants_v2(concrete).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    info = tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options)
    return int(info.total_float_ops)


# ------------------------------------------------------------------- build --


def _folder_images(work_dir, count, quick):
    """Paths of ~count real images: a fixed subset of openclipart when it is
    installed (not in quick mode), else synthetic PNGs of mixed sizes.

    Returns:
        (paths, source description).
    """
    from colorize.data import images, synthetic  # noqa: PLC0415

    if not quick and os.path.isdir(OPENCLIPART):
        found = images.find_images(OPENCLIPART)
        if found:
            step = max(1, len(found) // count)
            return found[::step][:count], f"openclipart-png ({OPENCLIPART}, every {step}th of {len(found)} files)"
    import cv2  # noqa: PLC0415

    folder = os.path.join(work_dir, "folder_images")
    os.makedirs(folder, exist_ok=True)
    sizes = [(256, 256), (300, 420), (512, 384), (180, 240), (768, 1024)]
    paths = []
    for i in range(count):
        h, w = sizes[i % len(sizes)]
        path = os.path.join(folder, f"{i:04d}.png")
        cv2.imwrite(path, synthetic.generate(1000 + i, h, w))
        paths.append(path)
    return paths, "synthetic PNGs of mixed sizes (colorize.data.synthetic)"


def _build_rates(name, inputs, load, decode_floor, features, repeats):
    """Times the builder's per-image work on `inputs` and its floor.

    Builder: `load(x)` (decode or generate), `sketch.prepare_examples`, and
    TFDS's encoding of every window. Floor: `decode_floor(x)` plus encoding
    the same windows (precomputed).
    """
    from colorize.data import sketch  # noqa: PLC0415

    windows = []
    skipped = {}

    def example(color, line, binary, index):
        return {
            "sketch": line[..., None],
            "sketch_binary": binary[..., None],
            "color": np.ascontiguousarray(color[..., ::-1]),  # BGR -> RGB, as the builder
            "source_id": f"{name}/{index}",
        }

    def prepare_all():
        out = []
        for x in inputs:
            try:
                bgr = load(x)
            except ColorizeError as e:  # an unreadable file is skipped, as the builder does
                out.append(("unreadable", str(e)))
                continue
            ws, reason = sketch.prepare_examples(bgr)
            out.append((reason, ws))
        return out

    for reason, ws in prepare_all():
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
        else:
            windows.extend(ws)
    encoded = [example(c, line, b, i) for i, (c, line, b) in enumerate(windows)]

    def builder_pass():
        i = 0
        for reason, ws in prepare_all():
            for c, line, b in ws if not reason else ():
                features.encode_example(example(c, line, b, i))
                i += 1

    def floor_pass():
        for x in inputs:
            decode_floor(x)
        for e in encoded:
            features.encode_example(e)

    def encode_pass():
        for e in encoded:
            features.encode_example(e)

    n = len(inputs)
    builder_t, floor_t, ratio = measure_paired(builder_pass, floor_pass, repeats)
    t_builder, t_floor = builder_t["median_s"], floor_t["median_s"]
    t_encode = measure(encode_pass, repeats)["median_s"]
    return {
        "images": n,
        "windows": len(windows),
        "skipped": skipped,
        "images_per_s": n / t_builder,
        "floor_images_per_s": n / t_floor,
        "ratio": ratio["ratio"],
        "cpu_ratio": ratio["cpu_ratio"],
        "ms_per_image": 1e3 * t_builder / n,
        "floor_ms_per_image": 1e3 * t_floor / n,
        "encode_ms_per_image": 1e3 * t_encode / n,
    }


def stage_build(budget, work_dir, repeats):
    """Dataset build throughput next to its floor (see module docstring)."""
    import cv2  # noqa: PLC0415

    from colorize.data import build, images, sketch, synthetic  # noqa: PLC0415
    from dataset_builder import sketch_colorization  # noqa: PLC0415

    features_dir = os.path.join(work_dir, "features")
    features = sketch_colorization.Builder(config="synthetic_tiny", data_dir=features_dir).info.features
    result = {}

    seeds = list(range(budget["synthetic_images"]))
    log("build", f"synthetic: {len(seeds)} images (generate, prepare_examples, encode) x {repeats}")
    # The synthetic source has no input to decode: its floor is the encoding.
    result["synthetic"] = _build_rates("synthetic", seeds, synthetic.generate, lambda seed: None, features, repeats)
    result["synthetic"]["source"] = "colorize.data.synthetic.generate"
    log("build", _rate_line(result["synthetic"]))

    paths, source = _folder_images(work_dir, budget["folder_images"], quick=budget["quick"])
    log("build", f"folder: {len(paths)} files from {source} x {repeats}")

    def load(path):
        return images.load_image(path, min_short_side=sketch.SIZE)

    def decode_floor(path):
        with open(path, "rb") as f:
            data = np.frombuffer(f.read(), np.uint8)
        cv2.imdecode(data, cv2.IMREAD_UNCHANGED)

    result["folder"] = _build_rates("folder", paths, load, decode_floor, features, repeats)
    result["folder"]["source"] = source
    log("build", _rate_line(result["folder"]))

    runs = []
    for i in range(budget["tfds_builds"]):
        data_dir = os.path.join(work_dir, f"tfds_build_{i}")
        start = time.perf_counter()
        builder = build.build(config="synthetic_tiny", data_dir=data_dir)
        runs.append(time.perf_counter() - start)
        windows = sum(split.num_examples for split in builder.info.splits.values())
        shutil.rmtree(data_dir, ignore_errors=True)
    num_images = builder.builder_config.num_images
    seconds = statistics.median(runs)
    result["tfds_build"] = {
        "config": "synthetic_tiny",
        "images": num_images,
        "windows": windows,
        "runs": len(runs),
        "seconds": seconds,
        "images_per_s": num_images / seconds,
        "windows_per_s": windows / seconds,
    }
    log(
        "build",
        f"tfds build synthetic_tiny: {num_images} images, {windows} windows in {seconds:.1f} s "
        f"({num_images / seconds:.1f} images/s, median of {len(runs)})",
    )
    return result


def _rate_line(r):
    return (
        f"{r['images_per_s']:.1f} images/s ({r['windows']} windows), floor {r['floor_images_per_s']:.1f} "
        f"images/s, ratio {r['ratio']:.2f}"
    )


# ----------------------------------------------------------------- targets --


def _dataset_config(args, preset):
    """The config whose dataset the data-dependent stages read."""
    dataset = args.dataset or ("sketch_colorization/synthetic_tiny" if args.quick else "sketch_colorization/synthetic")
    return variants.resolve("rebalance", preset, dataset=dataset, data_dir=args.data_dir or "")


def stored_bytes_per_example(builder):
    """Bytes of TFRecord shards per example of a prepared TFDS builder (all
    splits together: the sketches and the color image, PNG-encoded)."""
    files = glob.glob(os.path.join(builder.data_dir, "*.tfrecord*"))
    examples = sum(split.num_examples for split in builder.info.splits.values())
    if not files or not examples:
        raise ColorizeError(f"{builder.data_dir}: no TFRecord shards to measure")
    return sum(os.path.getsize(f) for f in files) / examples


# The loss each space is timed with: the variants that train over it.
TARGET_LOSSES = {
    "rgb": dict(variant="rebalance", saturation_weight=0.0),
    "lch": dict(variant="chroma", saturation_weight=1.0),
}


def _per_example(fn, inputs, batch, repeats):
    """Milliseconds per example of `fn(*inputs)` (a tf.function returning
    tensors) at batch 1 and at `batch`."""

    def run(n):
        return lambda: [t.numpy() for t in fn(*(x[:n] for x in inputs))]

    one = measure(run(1), repeats)["median_s"]
    many = measure(run(batch), repeats)["median_s"]
    return {"ms_per_example": 1e3 * one, "ms_per_batch": 1e3 * many, "ms_per_example_in_batch": 1e3 * many / batch}


def stage_targets(budget, args, repeats):
    """Targets, and targets plus loss, next to the reference's offline NumPy
    encoding, all timed in this run.

    Per color space, per example (at batch 1 and in a batch): the factored
    targets the training loss uses (`targets.soft_factors`); the 512-wide
    targets (`targets.encode_colors`); targets plus the variant's loss
    (`losses.soft_cross_entropy`, weighted, with the saturation term in
    LCH), its value alone and its value and gradient w.r.t. the logits (what
    a training step pays); the same from materialized targets; and the floor
    of any 512-class loss, softmax cross entropy with hard labels (no soft
    targets), value and gradient.
    """
    import tensorflow as tf  # noqa: PLC0415

    from colorize.data import pipeline  # noqa: PLC0415
    from colorize.nets import losses, targets  # noqa: PLC0415
    from experiments import reference_targets  # noqa: PLC0415

    config = _dataset_config(args, budget["small_preset"])
    builder = pipeline.ensure_dataset(config)
    batch = budget["target_batch"]
    colors = builder.as_dataset(split="train").map(lambda e: e["color"]).repeat().batch(batch).take(1)
    colors = next(iter(colors))  # (batch, 256, 256, 3) uint8: dataset windows
    size = reference_targets.OUTPUT_SIZE
    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(0.0, 2.0, (batch, size, size, 512)).astype("float32"))  # (b, 64, 64, Q)
    labels = tf.constant(rng.integers(0, 512, (batch, size, size)).astype("int32"))
    weights = targets.rebalance_weights(rng.dirichlet(np.full(512, 0.3)))  # a skewed prior's weights
    result = {"input_size": int(colors.shape[1]), "output_size": size, "batch": batch, "dataset": config.dataset}

    def value_and_grad(loss_fn):
        @tf.function
        def fn(rgb, x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = tf.reduce_mean(loss_fn(rgb, x))
            return value, tape.gradient(value, x)

        return fn

    for space, spec in TARGET_LOSSES.items():
        loss_args = (space, weights, spec["saturation_weight"])

        def factored(rgb, x, loss_args=loss_args):
            return losses.soft_cross_entropy(rgb, x, *loss_args)

        def materialized(rgb, x, loss_args=loss_args):
            return losses.materialized_soft_cross_entropy(rgb, x, *loss_args)

        def floor(rgb, x):  # hard labels: no targets at all
            return tf.nn.sparse_softmax_cross_entropy_with_logits(labels[: tf.shape(x)[0]], x)

        fns = {
            "factors": tf.function(lambda rgb, space=space: targets.soft_factors(rgb, space, size=(size, size))),
            "materialized": tf.function(
                lambda rgb, space=space: [targets.encode_colors(rgb, space, size=(size, size))]
            ),
            "loss_value": tf.function(lambda rgb, x, f=factored: [tf.reduce_mean(f(rgb, x))]),
            "loss": value_and_grad(factored),
            "materialized_loss": value_and_grad(materialized),
            "floor_loss": value_and_grad(floor),
        }
        entry = {"variant": spec["variant"]}
        for name, fn in fns.items():
            inputs = (colors,) if name in ("factors", "materialized") else (colors, logits)
            entry[name] = _per_example(fn, inputs, batch, repeats)
        result[space] = entry
        log(
            "targets",
            f"{space} ({spec['variant']} loss), ms per example in a batch of {batch}: "
            + ", ".join(f"{name} {entry[name]['ms_per_example_in_batch']:.3f}" for name in fns),
        )

    examples = colors.numpy()[: budget["reference_examples"]]
    ref = measure(lambda: [reference_targets.reference_targets(x) for x in examples], repeats)["median_s"]
    ref_ms = 1e3 * ref / len(examples)
    stored = stored_bytes_per_example(builder)
    ref_bytes = reference_targets.reference_bytes_per_example()
    result.update(
        reference={"ms_per_example": ref_ms, "bytes_per_example": ref_bytes, "examples": len(examples)},
        stored_bytes_per_example=stored,
        storage_ratio=ref_bytes / stored,
    )
    for space in TARGET_LOSSES:
        result[space]["speedup"] = {
            name: ref_ms / timing["ms_per_example_in_batch"]
            for name, timing in result[space].items()
            if isinstance(timing, dict)
        }
    log(
        "targets",
        f"reference NumPy (timed now, {len(examples)} examples): {ref_ms:.1f} ms and "
        f"{ref_bytes / 2**20:.1f} MiB per example; ours stores {stored / 1024:.1f} KiB per example "
        "(whole example, no targets)",
    )
    for space in TARGET_LOSSES:
        sp = result[space]["speedup"]
        log(
            "targets",
            f"{space}: targets {sp['factors']:.0f}x, targets + loss value {sp['loss_value']:.0f}x, "
            f"targets + loss and gradient {sp['loss']:.0f}x cheaper than the reference's encoding",
        )
    return result


# ------------------------------------------------------------------- train --


def _trainer(config, work_dir, strategy):
    """A real `colorize.training.trainer.Trainer` in a scratch run directory."""
    from colorize import runs  # noqa: PLC0415
    from colorize.training import task, trainer  # noqa: PLC0415

    run_dir = tempfile.mkdtemp(prefix=f"{config.variant}-{config.preset}-", dir=work_dir)
    runs.save_config(config, run_dir)
    return trainer.Trainer(task.ColorizationTask(config), run_dir, strategy)


def _bare_step(net, strategy, learning_rate, loss_of=None):
    """The network's forward+backward with a trivial loss (the mean of its
    outputs) and Adam, under the same tf.function + strategy.run as the
    Trainer's step: the floor of a training step.

    `loss_of(outputs) -> scalar` replaces the trivial loss (the hard-label
    floor of the classification losses)."""
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    with strategy.scope():
        optimizer = keras.optimizers.Adam(learning_rate)
        optimizer.build(net.trainable_variables)

    def step_fn(sketch):
        with tf.GradientTape() as tape:
            out = tf.cast(net(sketch, training=True), tf.float32)
            loss = tf.reduce_mean(out) if loss_of is None else loss_of(out)
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    @tf.function
    def step(sketch):
        return strategy.run(step_fn, args=(sketch,))

    return step


def _floor_timing(net, strategy, config, batch, bare, repeats):
    """The step with the cheapest 512-class loss, softmax cross entropy with
    hard labels (no soft targets, no weights), timed in alternation with the
    bare step: what any classification loss costs on top of the network."""
    import tensorflow as tf  # noqa: PLC0415

    b, side = config.batch_size, config.image_size // 4
    labels = tf.constant(np.random.default_rng(0).integers(0, 512, (b, side, side)).astype("int32"))

    def hard_label_loss(logits):  # (b, h, w, 512)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

    floor = _bare_step(net, strategy, config.learning_rate, hard_label_loss)
    step, _, ratio = measure_paired(lambda: floor(batch[0]).numpy(), lambda: bare(batch[0]).numpy(), repeats)
    log(
        "train",
        f"{config.preset} hard-label softmax cross entropy (the floor of a 512-class loss): "
        f"{ratio['ratio']:.2f}x the bare step (CPU time {ratio['cpu_ratio']:.2f}x; "
        f"fastest runs {ratio['min_ratio']:.2f}x)",
    )
    return {
        "step_ms": 1e3 * step["median_s"],
        "overhead_ratio": ratio["ratio"],
        "cpu_overhead_ratio": ratio["cpu_ratio"],
        "min_overhead_ratio": ratio["min_ratio"],
    }


def _train_preset(preset, budget, args, work_dir, strategy, repeats, batch_size=None, variant_names=()):
    """Step throughput of each variant of a preset, timed in alternation with
    the bare step of its network, and the networks' FLOPs."""
    from colorize.data import pipeline  # noqa: PLC0415

    base = _dataset_config(args, preset)
    base = base.replace(batch_size=batch_size or base.batch_size)
    b = base.batch_size
    out = {"image_size": base.image_size, "batch_size": b, "width": base.width, "variants": {}, "bare": {}, "floor": {}}
    batch = next(iter(pipeline.make_dataset(base, "train", training=True)))  # (sketch, color) uint8
    bare_steps, bare_timings = {}, {}
    for name in variant_names:
        config = variants.resolve(name, preset, dataset=base.dataset, data_dir=base.data_dir, batch_size=b)
        trainer = _trainer(config, work_dir, strategy)
        kind = config.model
        if kind not in bare_steps:
            bare_steps[kind] = _bare_step(trainer.net, strategy, base.learning_rate)
            flops = forward_flops(trainer.net, base.image_size)
            out["bare"][kind] = {
                "forward_gflops_per_image": flops / 1e9,
                "profiler_gflops_per_image": profiler_flops(trainer.net, base.image_size) / 1e9,
            }
        bare = bare_steps[kind]
        if kind == "classification" and kind not in out["floor"]:
            out["floor"][kind] = _floor_timing(trainer.net, strategy, base, batch, bare, repeats)
        step, bare_t, ratio = measure_paired(
            lambda trainer=trainer: trainer.train_step(batch).numpy(), lambda bare=bare: bare(batch[0]).numpy(), repeats
        )
        bare_timings.setdefault(kind, []).append(bare_t)
        gflops = out["bare"][kind]["forward_gflops_per_image"]
        out["variants"][name] = {
            "step_ms": 1e3 * step["median_s"],
            "images_per_s": b / step["median_s"],
            # CPU time is what contention for the CPU changes least.
            "cpu_ms_per_image": 1e3 * step["cpu_median_s"] / b,
            "overhead_ratio": ratio["ratio"],
            "cpu_overhead_ratio": ratio["cpu_ratio"],
            "min_overhead_ratio": ratio["min_ratio"],
            "achieved_gflops_per_s": 3 * gflops * b / step["median_s"],
        }
        log(
            "train",
            f"{preset} {name}: {b / step['median_s']:.2f} images/s ({1e3 * step['median_s']:.0f} ms/step, "
            f"batch {b}); {ratio['ratio']:.2f}x the bare step (CPU time {ratio['cpu_ratio']:.2f}x; "
            f"fastest runs {ratio['min_ratio']:.2f}x)",
        )
    for kind, timings in bare_timings.items():
        # Every timed bare step of this network, over all its variants.
        seconds = statistics.median(t["median_s"] for t in timings)
        cpu = statistics.median(t["cpu_median_s"] for t in timings)
        entry = out["bare"][kind]
        entry.update(
            step_ms=1e3 * seconds,
            images_per_s=b / seconds,
            cpu_ms_per_image=1e3 * cpu / b,
            achieved_gflops_per_s=3 * entry["forward_gflops_per_image"] * b / seconds,
        )
        log(
            "train",
            f"{preset} bare {kind}: {b / seconds:.2f} images/s, "
            f"{entry['forward_gflops_per_image']:.3g} GFLOPs forward per image "
            f"(profiler {entry['profiler_gflops_per_image']:.3g}), "
            f"{entry['achieved_gflops_per_s']:.1f} GFLOP/s achieved",
        )
    return out


def stage_train(budget, args, work_dir, repeats):
    """Training-step throughput, loss overhead, input pipeline and FLOPs."""
    from colorize.data import pipeline  # noqa: PLC0415
    from colorize.training import distribution  # noqa: PLC0415

    strategy, _, _, _ = distribution.make_strategy()
    result = {"presets": {}}
    small = budget["small_preset"]
    result["presets"][small] = _train_preset(
        small, budget, args, work_dir, strategy, repeats, variant_names=budget["train_variants"]
    )
    if budget["paper_variants"]:
        result["presets"]["paper"] = _train_preset(
            "paper",
            budget,
            args,
            work_dir,
            strategy,
            budget["paper_repeats"],
            batch_size=budget["paper_batch"],
            variant_names=budget["paper_variants"],
        )
    config = _dataset_config(args, small)
    iterator = iter(pipeline.make_dataset(config, "train", training=True))
    n = budget["pipeline_batches"]

    def pipeline():
        for _ in range(n):
            next(iterator)[0].numpy()

    t = measure(pipeline, repeats)["median_s"]
    fastest = max(v["images_per_s"] for v in result["presets"][small]["variants"].values())
    result["input_pipeline"] = {
        "preset": small,
        "image_size": config.image_size,
        "batch_size": config.batch_size,
        "images_per_s": n * config.batch_size / t,
        "ratio_to_fastest_step": n * config.batch_size / t / fastest,
    }
    log(
        "train",
        f"input pipeline ({small}): {n * config.batch_size / t:.0f} images/s, "
        f"{n * config.batch_size / t / fastest:.1f}x the fastest train step",
    )
    return result


# --------------------------------------------------------------- inference --


def _sketch_png(size, seed=0):
    """PNG bytes of a line sketch of size x size extracted from a synthetic
    illustration (as a user's sketch would be)."""
    import cv2  # noqa: PLC0415

    from colorize.data import sketch, synthetic  # noqa: PLC0415

    line, _ = sketch.extract_sketch(synthetic.generate(seed, size, size))
    ok, png = cv2.imencode(".png", line)
    if not ok:
        raise ColorizeError("could not encode a benchmark sketch as PNG")
    return png.tobytes(), line


def stage_inference(budget, work_dir, repeats):
    """Latency of the exported SavedModel at several sizes, and throughput."""
    import tensorflow as tf  # noqa: PLC0415

    from colorize import runs  # noqa: PLC0415
    from colorize.nets import models  # noqa: PLC0415
    from colorize.serving import saved_model  # noqa: PLC0415

    # Timing does not depend on the weights: an untrained net of the preset's
    # shape, saved as a run directory exactly as training leaves it.
    config = variants.resolve("chroma", budget["inference_preset"])
    run_dir = os.path.join(work_dir, "inference_run")
    runs.save_config(config, run_dir)
    net = models.build_net(config.model, config.width)
    trained.save_net(net, run_dir)
    export_dir = os.path.join(work_dir, "inference_export")
    start = time.perf_counter()
    saved_model.export(run_dir, export_dir)
    export_s = time.perf_counter() - start
    loaded = tf.saved_model.load(export_dir)
    serving = loaded.signatures["serving_default"]
    by_sketch = loaded.signatures["sketch"]
    no_t = tf.zeros([0], tf.float32)  # the run's temperature
    log(
        "inference",
        f"exported {config.variant} ({config.preset} preset, width {config.width}, trained at "
        f"{config.image_size} px) in {export_s:.1f} s",
    )
    result = {
        "variant": config.variant,
        "preset": config.preset,
        "width": config.width,
        "trained_size": config.image_size,
        "export_s": export_s,
        "latency_ms": {},
        "sketch_latency_ms": {},
        "floor_ms": {},
        "png_codec_ms": {},
        "ratio_to_floor": {},
    }

    # The network's part: the colorizer (network, decode, x4 upsample) at the
    # trained scale, where the SavedModel runs it whatever the input size.
    colorizer = models.build_colorizer(net, config.space, config.temperature)

    @tf.function
    def forward(x):
        return colorizer(x, training=False)

    x = tf.fill([1, config.image_size, config.image_size, 1], 200.0)
    result["network_ms"] = 1e3 * measure(lambda: forward(x).numpy(), repeats)["median_s"]
    for size in budget["inference_sizes"]:
        png, line = _sketch_png(size)
        images = tf.constant([png])
        sketch = tf.constant(line[None, :, :, None])
        colored = serving(images=images)["rgb"][0]  # (size, size, 3) uint8, the real output

        def codec(images=images, colored=colored):
            tf.io.decode_png(images[0]).numpy()
            tf.io.encode_png(colored).numpy()

        def floor():  # the network plus decoding the input and encoding the output
            forward(x).numpy()
            codec()

        t, floor_t, ratio = measure_paired(lambda images=images: serving(images=images)["png"].numpy(), floor, repeats)
        u = measure(lambda sketch=sketch: by_sketch(sketch=sketch, temperature=no_t)["rgb"].numpy(), repeats)
        u = u["median_s"]
        key = str(size)
        result["latency_ms"][key] = 1e3 * t["median_s"]
        result["sketch_latency_ms"][key] = 1e3 * u
        result["floor_ms"][key] = 1e3 * floor_t["median_s"]
        result["png_codec_ms"][key] = 1e3 * measure(codec, repeats)["median_s"]
        result["ratio_to_floor"][key] = ratio["ratio"]
        log(
            "inference",
            f"{size} px: {1e3 * t['median_s']:.1f} ms PNG in -> PNG out, "
            f"floor {1e3 * floor_t['median_s']:.1f} ms ({ratio['ratio']:.1f}x; "
            f"PNG codec {result['png_codec_ms'][key]:.1f} ms), {1e3 * u:.1f} ms uint8 sketch in",
        )

    n, size = budget["inference_batch"], budget["inference_sizes"][0]
    pngs = tf.constant([_sketch_png(size, seed)[0] for seed in range(n)])
    sketches = tf.constant(np.stack([_sketch_png(size, seed)[1] for seed in range(n)])[..., None])
    t = measure(lambda: serving(images=pngs)["png"].numpy(), repeats)["median_s"]
    u = measure(lambda: by_sketch(sketch=sketches, temperature=no_t)["rgb"].numpy(), repeats)["median_s"]
    result["batch"] = {"batch": n, "size": size, "images_per_s": n / t, "sketch_images_per_s": n / u}
    log(
        "inference",
        f"network alone at {config.image_size} px: {result['network_ms']:.1f} ms; "
        f"batch of {n} x {size} px: "
        f"{n / t:.1f} images/s (PNG), {n / u:.1f} images/s (uint8)",
    )
    return result


# ------------------------------------------------------------------ report --


def _target_rows(t):
    """The targets stage's table rows (also of results written before the
    factored losses: `ours_SPACE` entries, the materialized encoding)."""
    ref = t["reference"]["ms_per_example"]
    rows = []
    if "rgb" not in t:  # results of an older benchmark
        for space in ("rgb", "lch"):
            o = t[f"ours_{space}"]
            rows.append(
                (
                    "targets",
                    f"in-graph {space}: ms per example (batch 1)",
                    f"{o['ms_per_example']:.2f}",
                    f"reference {ref:.1f}",
                    f"{ref / o['ms_per_example']:.0f}x faster",
                )
            )
            rows.append(
                (
                    "targets",
                    f"in-graph {space}: ms per example (batch {t['batch']})",
                    f"{o['ms_per_example_in_batch']:.2f}",
                    f"reference {ref:.1f}",
                    f"{ref / o['ms_per_example_in_batch']:.0f}x faster",
                )
            )
    labels = {
        "factors": "factored targets",
        "loss_value": "targets + loss value",
        "loss": "targets + loss and gradient",
        "materialized_loss": "512-wide targets + loss and gradient",
        "floor_loss": "hard-label softmax CE and gradient (floor)",
    }
    for space in TARGET_LOSSES:
        if space not in t:
            continue
        e = t[space]
        for key, label in labels.items():
            ms = e[key]["ms_per_example_in_batch"]
            rows.append(
                (
                    "targets",
                    f"{space} ({e['variant']}): {label}, ms per example (batch {t['batch']})",
                    f"{ms:.3f}",
                    f"reference {ref:.1f}",
                    f"{ref / ms:.0f}x cheaper",
                )
            )
    rows.append(
        (
            "targets",
            "bytes stored per example (KiB)",
            f"{t['stored_bytes_per_example'] / 1024:.1f}",
            f"reference {t['reference']['bytes_per_example'] / 1024:.0f}",
            f"{t['storage_ratio']:.0f}x smaller",
        )
    )
    return rows


def _overhead(v):
    """'1.10x bare step (CPU time 1.20x; fastest runs 1.08x)'; results from
    before `min_overhead_ratio` have no third figure."""
    best = f"; fastest runs {v['min_overhead_ratio']:.2f}x" if "min_overhead_ratio" in v else ""
    return f"{v['overhead_ratio']:.2f}x bare step (CPU time {v['cpu_overhead_ratio']:.2f}x{best})"


def table_rows(stages):
    """The summary table: (stage, measure, value, baseline, ratio) rows."""
    rows = []
    if "build" in stages:
        b = stages["build"]
        for key in ("synthetic", "folder"):
            r = b[key]
            rows.append(
                (
                    "build",
                    f"{key}: images/s ({r['images']} images, {r['windows']} windows)",
                    f"{r['images_per_s']:.1f}",
                    f"floor {r['floor_images_per_s']:.1f}",
                    f"{r['ratio']:.2f}x floor (CPU time {r['cpu_ratio']:.2f}x)",
                )
            )
        r = b["tfds_build"]
        rows.append(
            (
                "build",
                f"tfds build synthetic_tiny: images/s ({r['images']} images)",
                f"{r['images_per_s']:.1f}",
                f"{r['seconds']:.1f} s",
                "",
            )
        )
    if "targets" in stages:
        rows += _target_rows(stages["targets"])
    if "train" in stages:
        for preset, p in stages["train"]["presets"].items():
            for name, v in p["variants"].items():
                rows.append(
                    (
                        "train",
                        f"{preset} {name}: images/s (batch {p['batch_size']}, {p['image_size']} px)",
                        f"{v['images_per_s']:.2f}",
                        f"bare {p['bare'][variants.VARIANTS[name]['model']]['images_per_s']:.2f}",
                        _overhead(v),
                    )
                )
            for kind, v in p.get("floor", {}).items():
                rows.append(
                    (
                        "train",
                        f"{preset} {kind} net + hard-label softmax CE (512-class loss floor): ms/step",
                        f"{v['step_ms']:.0f}",
                        "bare step",
                        _overhead(v),
                    )
                )
            for kind, v in p["bare"].items():
                rows.append(
                    (
                        "train",
                        f"{preset} {kind} net: GFLOPs/image forward, GFLOP/s achieved",
                        f"{v['forward_gflops_per_image']:.2f}, {v['achieved_gflops_per_s']:.1f}",
                        f"profiler {v['profiler_gflops_per_image']:.2f}",
                        "",
                    )
                )
        ip = stages["train"]["input_pipeline"]
        rows.append(
            (
                "train",
                f"input pipeline ({ip['preset']}): images/s",
                f"{ip['images_per_s']:.0f}",
                "",
                f"{ip['ratio_to_fastest_step']:.1f}x fastest step",
            )
        )
    if "inference" in stages:
        i = stages["inference"]
        for size, ms in i["latency_ms"].items():
            rows.append(
                (
                    "inference",
                    f"SavedModel {size} px: ms (PNG in/out; uint8 in)",
                    f"{ms:.1f}; {i['sketch_latency_ms'][size]:.1f}",
                    f"floor {i['floor_ms'][size]:.1f} (network {i['network_ms']:.1f}, "
                    f"PNG {i['png_codec_ms'][size]:.1f})",
                    f"{i['ratio_to_floor'][size]:.1f}x floor",
                )
            )
        bt = i["batch"]
        rows.append(
            (
                "inference",
                f"SavedModel batch {bt['batch']} x {bt['size']} px: images/s (PNG; uint8)",
                f"{bt['images_per_s']:.1f}; {bt['sketch_images_per_s']:.1f}",
                "",
                "",
            )
        )
    return rows


def markdown_table(rows):
    lines = ["| stage | measure | value | baseline | ratio |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _finite_check(value, path="result"):
    """Raises if a measured number is not finite (a broken timer, a 0 s
    run): the JSON must hold only real figures."""
    if isinstance(value, dict):
        for k, v in value.items():
            _finite_check(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _finite_check(v, f"{path}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ColorizeError(f"benchmark produced a non-finite figure at {path}: {value}")


# --------------------------------------------------------------------- CLI --


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m experiments.benchmark",
        description="Time each stage (dataset build, targets, training step, inference) next to its floor or "
        "reference.",
    )
    p.add_argument("--stage", default="all", help="build, targets, train, inference or all (default)")
    p.add_argument("--quick", action="store_true", help="a tiny budget (seconds): checks that everything runs")
    p.add_argument(
        "--json",
        default=None,
        help=f"where to write the results (default {DEFAULT_JSON}; --quick: {QUICK_JSON}). A run of one "
        "stage replaces that stage in an existing file and keeps the others",
    )
    p.add_argument(
        "--repeats", type=int, default=None, help="timed runs per figure after one warm-up (default 3; quick 2)"
    )
    p.add_argument("--data-dir", default=None, help="TFDS data directory (default: TFDS's, ~/tensorflow_datasets)")
    p.add_argument(
        "--dataset",
        default=None,
        help="dataset for targets/train (default sketch_colorization/synthetic; quick: synthetic_tiny)",
    )
    p.add_argument(
        "--paper-variants",
        default=None,
        help="comma-separated variants timed at the paper preset (default: all five; quick: none; 'none' skips)",
    )
    p.add_argument(
        "--paper-batch",
        type=int,
        default=None,
        help="batch size of the paper preset's few steps on CPU (default 2; the preset's is 24)",
    )
    p.add_argument(
        "--work-dir", default=None, help="scratch folder for builds, runs and exports (default: a temporary one)"
    )
    return p


def parse_args(argv):
    args = errors.parse_args(_parser(), argv)
    if args.stage != "all" and args.stage not in STAGES:
        raise ColorizeError(f"--stage must be one of {', '.join(STAGES)} or all, not {args.stage!r}")
    for flag in ("repeats", "paper_batch"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ColorizeError(f"--{flag.replace('_', '-')} must be at least 1, not {value}")
    if args.paper_variants is not None:
        names = [v.strip() for v in args.paper_variants.split(",") if v.strip()]
        names = [] if args.paper_variants == "none" else names
        unknown = [v for v in names if v not in variants.VARIANTS]
        if unknown:
            raise ColorizeError(
                f"--paper-variants: unknown {', '.join(unknown)}; choose from {', '.join(variants.VARIANTS)} or none"
            )
        args.paper_variants = tuple(names)
    return args


def output_path(args):
    """Where the results go: `--json` when given; else the committed
    `DEFAULT_JSON` for a real run, and a file in the temporary folder for a
    `--quick` one (its numbers only show that the code runs; they must never
    replace the committed figures)."""
    if args.json:
        return args.json
    return QUICK_JSON if args.quick else DEFAULT_JSON


def _merge_stages(result, path, merge):
    """`result` with the stages it did not run taken from the results
    already at `path` (a real run of some stages updates those stages of the
    committed file and keeps the rest). Each stage records the command and
    load that measured it in `stage_runs`."""
    runs = {
        stage: {"command": result["command"], "load_average_start": result["machine"]["load_average_start"]}
        for stage in result["stages"]
    }
    old = None
    if merge and os.path.exists(path):
        try:
            with open(path) as f:
                old = json.load(f)
        except (OSError, ValueError) as e:
            log("report", f"{path}: not merged with the earlier results ({e})")
    if not old or old.get("quick") or old.get("machine", {}).get("cpu") != result["machine"]["cpu"]:
        return dict(result, stage_runs=runs)
    previous = old.get("stage_runs") or {s: {"command": old.get("command")} for s in old.get("stages", {})}
    stages = {s: v for s, v in old.get("stages", {}).items() if s not in result["stages"]}
    kept = {s: previous.get(s, {"command": old.get("command")}) for s in stages}
    stages.update(result["stages"])
    return dict(result, stages={s: stages[s] for s in STAGES if s in stages}, stage_runs={**kept, **runs})


def run(argv=None):
    """Runs the benchmark; returns the result dict (also written as JSON)."""
    args = parse_args(argv)
    budget = dict(BUDGETS["quick" if args.quick else "full"], quick=args.quick)
    if args.paper_variants is not None:
        budget["paper_variants"] = args.paper_variants
    if args.paper_batch is not None:
        budget["paper_batch"] = args.paper_batch
    repeats = args.repeats or budget["repeats"]
    stages = STAGES if args.stage == "all" else (args.stage,)
    json_path = output_path(args)
    started = time.perf_counter()
    result = {
        "command": "python -m experiments.benchmark " + " ".join(shlex.quote(a) for a in (argv or [])),
        "quick": args.quick,
        "repeats": repeats,
        "machine": machine(),
        "stages": {},
    }
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="colorize-benchmark-")
    os.makedirs(work_dir, exist_ok=True)
    try:
        for stage in stages:
            start = time.perf_counter()
            CpuShare.reset()
            log(stage, "start")
            if stage == "build":
                result["stages"][stage] = stage_build(budget, work_dir, repeats)
            elif stage == "targets":
                result["stages"][stage] = stage_targets(budget, args, repeats)
            elif stage == "train":
                result["stages"][stage] = stage_train(budget, args, work_dir, repeats)
            else:
                result["stages"][stage] = stage_inference(budget, work_dir, repeats)
            result["stages"][stage]["stage_seconds"] = time.perf_counter() - start
            # Under 1.5 on 2 idle cores means other processes took the CPU.
            result["stages"][stage]["cores_used_while_timing"] = CpuShare.cores_used()
            log(
                stage,
                f"done in {time.perf_counter() - start:.0f} s; this process got "
                f"{CpuShare.cores_used():.2f} cores while timing",
            )
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    result["machine"]["load_average_end"] = list(os.getloadavg())
    result["seconds"] = time.perf_counter() - started
    _finite_check(result)
    measured = dict(result["stages"])
    result = _merge_stages(result, json_path, merge=not args.quick and args.stage != "all")
    columns = ("stage", "measure", "value", "baseline", "ratio")
    result["table"] = [dict(zip(columns, r, strict=True)) for r in table_rows(result["stages"])]
    folder = os.path.dirname(os.path.abspath(json_path))
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{json_path}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        os.replace(tmp, json_path)
    except OSError as e:
        raise ColorizeError(f"{json_path}: cannot write results ({e.strerror or e})") from None
    m = result["machine"]
    print(
        f"\n{m['cpu']}, {m['usable_cores']} cores, {m['ram_gib']} GiB, {m['device']}; TF {m['tensorflow']}, "
        f"Keras {m['keras']}; load average {m['load_average_start'][0]:.1f} -> {m['load_average_end'][0]:.1f}"
    )
    print(markdown_table(table_rows(measured)))
    kept = sorted(set(result["stages"]) - set(measured))
    note = f"; kept its earlier {', '.join(kept)} results" if kept else ""
    print(f"\nwrote {json_path} ({result['seconds']:.0f} s){note}", flush=True)
    return result


@cli
def main(argv=None):
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
