"""The build stage: the dataset builder's per-image work next to its floor,
and one real TFDS build of `synthetic_tiny`."""

import os
import shutil
import statistics
import time

import cv2
import numpy as np

from colorize.data import build, images, sketch, synthetic
from colorize.errors import ColorizeError
from dataset_builder import sketch_colorization
from experiments.benchmark.timing import log, measure, measure_paired

OPENCLIPART = "/usr/share/openclipart/png"


def _folder_images(work_dir, count, quick):
    """Paths of ~count real images: a fixed subset of openclipart when it is
    installed (not in quick mode), else synthetic PNGs of mixed sizes.

    Returns:
        (paths, source description).
    """
    if not quick and os.path.isdir(OPENCLIPART):
        found = images.find_images(OPENCLIPART)
        if found:
            step = max(1, len(found) // count)
            return found[::step][:count], f"openclipart-png ({OPENCLIPART}, every {step}th of {len(found)} files)"

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
