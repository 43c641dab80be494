"""The inference stage: latency and throughput of the exported SavedModel
next to its floor (the network alone plus the PNG codec)."""

import os
import time

import cv2
import keras
import numpy as np
import tensorflow as tf

from colorize import runs, variants, weights
from colorize.data import images, sketch, synthetic
from colorize.errors import ColorizeError
from colorize.nets import models, trained
from colorize.serving import colorizer as core
from colorize.serving import saved_model
from experiments.benchmark.build_stage import _folder_images
from experiments.benchmark.report import MAX_INFERENCE_LEVELS
from experiments.benchmark.timing import log, measure, measure_paired

SKETCH_SIZE = 256  # the long side of the sketches the two precisions color


def _sketch_png(size, seed=0):
    """PNG bytes of a line sketch of size x size extracted from a synthetic
    illustration (as a user's sketch would be)."""
    line, _ = sketch.extract_sketch(synthetic.generate(seed, size, size))
    ok, png = cv2.imencode(".png", line)
    if not ok:
        raise ColorizeError("could not encode a benchmark sketch as PNG")
    return png.tobytes(), line


def precision_parity(work_dir, count, quick, repeats):
    """The shipped model's `color` step (the network at the trained scale
    and the annealed-mean decoding) in float32 and in mixed_bfloat16.

    On `count` drawings (openclipart when installed, else synthetic ones;
    `build_stage._folder_images`), each reduced to 256 px on its long side
    and made a sketch (`sketch.extract_sketch`), as predict prepares it:
    how far apart the two precisions' colors are (levels of 0..255, over
    every pixel of every sketch), and both timed in alternation on the
    first. Inference runs bfloat16 only where it is faster and within
    `MAX_INFERENCE_LEVELS` levels of float32.
    """
    # `trained.load_net` always gives a float32 network; the bfloat16 one gets its weights.
    config, net = trained.load_net(weights.SHIPPED)
    nets = {"float32": net}
    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # the layers keep the policy they are built under
    try:
        nets["mixed_bfloat16"] = models.build_net(
            config.model, width=config.width, hints=config.hints, palette=config.palette
        )
        nets["mixed_bfloat16"].set_weights(net.get_weights())
        cores = {
            policy: core.Colorizer(n, config.space, config.image_size, config.temperature, config.sketch)
            for policy, n in nets.items()
        }
    finally:
        keras.mixed_precision.set_global_policy(before)
    paths, source = _folder_images(work_dir, count, quick)
    no_t = tf.zeros([0], tf.float32)
    diffs, inputs = [], []
    for path in paths:
        image = images.load_image(path)
        h, w = image.shape[:2]
        scale = SKETCH_SIZE / max(h, w)
        image = cv2.resize(image, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
        line, _ = sketch.extract_sketch(image)
        rgb = np.repeat(line[None, :, :, None], 3, axis=-1)  # (1, h, w, 3), as predict reads a sketch
        x = cores["float32"].prepare(tf.constant(rgb))["net_input"]  # (1, h, w, 1), as predict colors it
        colors = [cores[p].color(x, no_t)["color"].numpy() for p in ("mixed_bfloat16", "float32")]
        diffs.append(np.abs(colors[0] - colors[1]).ravel())  # levels
        inputs.append(x)

    def color(policy):
        return lambda: cores[policy].color(inputs[0], no_t)["color"].numpy()

    bf16, f32, ratio = measure_paired(color("mixed_bfloat16"), color("float32"), repeats)
    diff = np.concatenate(diffs)
    result = {
        "size": SKETCH_SIZE,
        "sketches": len(paths),
        "source": source,
        "float32_ms": 1e3 * f32["median_s"],
        "bfloat16_ms": 1e3 * bf16["median_s"],
        "speedup": 1.0 / ratio["ratio"],
        "cpu_speedup": 1.0 / ratio["cpu_ratio"],
        "max_levels": float(diff.max()),
        "p99_levels": float(np.percentile(diff, 99)),
        "mean_levels": float(diff.mean()),
        "max_levels_per_sketch": [float(d.max()) for d in diffs],
    }
    log(
        "inference",
        f"shipped model's color step on {len(paths)} {SKETCH_SIZE} px sketches ({source}): bfloat16 "
        f"{result['bfloat16_ms']:.1f} ms, float32 {result['float32_ms']:.1f} ms ({result['speedup']:.1f}x); colors "
        f"differ by up to {result['max_levels']:.1f} levels (p99 {result['p99_levels']:.2f})"
        + (": inference stays float32" if result["max_levels"] > MAX_INFERENCE_LEVELS else ""),
    )
    return result


def stage_inference(budget, work_dir, repeats):
    """Latency of the exported SavedModel at several sizes, and throughput."""
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
    result["precision"] = precision_parity(work_dir, budget["parity_sketches"], budget["quick"], repeats)
    log(
        "inference",
        f"network alone at {config.image_size} px: {result['network_ms']:.1f} ms; "
        f"batch of {n} x {size} px: "
        f"{n / t:.1f} images/s (PNG), {n / u:.1f} images/s (uint8)",
    )
    return result
