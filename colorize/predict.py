"""Colors sketch files of any size from the command line.

    python -m colorize.predict INPUT... -o OUT_DIR [--model RUN_DIR|EXPORT_DIR]
        [--temperature T] [--from-color] [--sketch-normalize auto|off]
        [--upsample regions|bilinear]

INPUTs are image files (PNG, JPEG, WebP, BMP; anything `images.load_image`
decodes) and folders (searched recursively). Each input gives one PNG in
OUT_DIR named after it (`a/b.jpg` inside a folder INPUT -> `OUT_DIR/a/b.png`;
when two inputs would get the same name the later ones get `-2`, `-3`...),
written atomically (a temporary file, then a rename). A bad input (missing,
unreadable, not an image, truncated, too large) is reported on one line,
`error: PATH: REASON`, and the others are still done. Exit status: 0 when
every input was colored, 1 when some failed, 2 for a usage error (bad flag,
no model, an output folder that cannot be written).

The pipeline for one sketch is `colorizer.Colorizer`'s, the module that
the SavedModel saves: built in-process for a run directory, loaded for an
export, and called through the same graph functions either way:

1. decode (`images.load_image`: alpha on white, any bit depth, palette,
   CMYK and EXIF rotation handled; the SavedModel's in-graph decoder gives
   the same pixels for PNG and JPEG); with
   `--from-color` the input is a colored illustration, and the network gets
   the dataset's own line sketch of it (extracted at the dataset's 256 px
   scale) while the output gets the lines extracted at full size;
2. `--sketch-normalize auto` (default): the core's `prepare`
   (`sketch_input.normalize`: paper, ink color, polarity, line width and
   line profile brought to the training distribution); `off` uses the gray
   sketch as it is, for the network and for the lines;
3. the core's `color`: the color at the trained scale (long strips in
   overlapping tiles);
4. full size: `--upsample regions` (default) floods line-bounded regions
   (`fullres.full_resolution`, OpenCV, outside the graph); `--upsample
   bilinear` calls the core's `compose`, the graph's own step. `fullres`
   describes the difference.

With `--upsample bilinear` the output is what the exported model's
`serving_default` returns for the same PNG or JPEG file (the same graph
functions on the same decoded pixels).

Memory: inputs up to `MAX_PIXELS` (40 MP, e.g. 6000 x 6000 = 36 MP) are
colored; larger ones are refused (from their header, before decoding) with
"too large". The peak resident memory of the whole process stays under
`MEMORY_BOUND_GB` GB for a 6000 x 6000 sketch: measured 3.1-3.3 GB with
the defaults (regions upsampling, about 48 bytes per pixel at its peak, on
top of about 0.6 GB that TensorFlow's oneDNN kernels keep after the
in-graph normalization) and 2.0 GB with `--upsample bilinear`, TensorFlow
and the tiny test model included; it took 25-70 s on 2 busy CPU cores.
"""

import argparse
import os
import sys
import time

import cv2
import numpy as np

from colorize import errors, fileio, fullres, images, runs
from colorize import sketch as sketch_lib
from colorize.errors import EXIT_FAILED, ColorizeError, ImageError, cli

DEFAULT_MODEL = os.path.join("runs", "rebalance-small")
MAX_PIXELS = images.DEFAULT_MAX_PIXELS
MEMORY_BOUND_GB = 4.0
NORMALIZE_MODES = ("auto", "off")
_CORE_FUNCTIONS = ("prepare", "color", "compose")


class Model:
    """The colorizer core of a run directory or of an exported SavedModel.

    Either way `core` is a `colorizer.Colorizer` (built from the run, or the
    same module loaded from the SavedModel), and the methods below call its
    graph functions.

    Args:
        path: a run directory or a SavedModel written by `colorize.export`.
        temperature: annealed-mean temperature (default: the run's or the
            export's).

    Raises:
        ColorizeError: missing, neither a trained run nor a colorize
            SavedModel, or a bad temperature.
    """

    def __init__(self, path, temperature=None):
        import tensorflow as tf  # noqa: PLC0415 (slow import, only when coloring)

        from colorize import colorizer  # noqa: PLC0415 (imports TensorFlow and Keras)

        if temperature is not None and not temperature > 0:
            raise ColorizeError(f"--temperature must be positive, not {temperature}")
        self.path = path
        self._tf = tf
        if runs.kind(path) == "export":
            try:
                core = tf.saved_model.load(path)
            except (ValueError, OSError, tf.errors.OpError) as e:
                raise ColorizeError(f"{path}: not a colorize SavedModel ({str(e).splitlines()[0]})") from None
            missing = [name for name in _CORE_FUNCTIONS if not hasattr(core, name)]
            if missing:
                raise ColorizeError(
                    f"{path}: not a colorize SavedModel of this version (no {', '.join(missing)}; export it again)"
                )
            self.sketch_kind = runs.read_export_metadata(path).get("config", {}).get("sketch", "line")
            self._temperature = [] if temperature is None else [float(temperature)]
        else:
            config, core = colorizer.from_run(path, temperature)
            self.sketch_kind = config.sketch
            self._temperature = []
        self.core = core
        self.image_size = int(core.trained_image_size.numpy())

    def prepare(self, rgb):
        """The core's sketch normalization.

        Args:
            rgb: `(H, W, 3)` uint8 RGB sketch (alpha on white).

        Returns:
            (net_input, lines): `(h, w)` uint8 network input and `(H, W)`
            uint8 full-size lines.
        """
        out = self.core.prepare(self._tf.constant(rgb[np.newaxis]))
        return out["net_input"].numpy()[0, ..., 0], out["lines"].numpy()[0, ..., 0]

    def color(self, sketch):
        """The core's color at the trained scale.

        Args:
            sketch: `(h, w)` uint8 network input.

        Returns:
            `(th, tw, 3)` float32 RGB 0..255, not masked by the lines.
        """
        tf = self._tf
        sketch = tf.constant(sketch[np.newaxis, :, :, np.newaxis])  # (1, h, w, 1)
        out = self.core.color(sketch, tf.constant(self._temperature, tf.float32))
        return out["color"].numpy()[0]

    def compose(self, color, lines):
        """The core's full-resolution step (bilinear color times lines / 255).

        Args:
            color: `(th, tw, 3)` float32 from `color`.
            lines: `(H, W)` uint8.

        Returns:
            `(H, W, 3)` uint8 RGB.
        """
        tf = self._tf
        lines = tf.constant(lines[np.newaxis, ..., np.newaxis])  # (1, H, W, 1)
        out = self.core.compose(tf.constant(color[np.newaxis], tf.float32), lines)
        return out["rgb"].numpy()[0]


def full_resolution(color, lines, model, upsample="regions"):
    """The full-size output from the trained-scale color.

    Args:
        color: `(th, tw, 3)` float32 from `Model.color`.
        lines: `(H, W)` uint8 full-size lines.
        model: a `Model`.
        upsample: "regions" (`fullres.full_resolution`, outside the graph) or
            "bilinear" (the core's `compose`, the SavedModel's own step).

    Returns:
        `(H, W, 3)` uint8 RGB.
    """
    if upsample == "bilinear":
        return model.compose(color, lines)
    if upsample == "regions":
        return fullres.full_resolution(color, lines)
    raise ColorizeError(f"unknown upsampling method {upsample!r}; choose one of {', '.join(fullres.UPSAMPLE_METHODS)}")


def colorize_sketch(image, model, normalize="auto", upsample="regions"):
    """Colors one sketch at its own size.

    Args:
        image: `(H, W, 3)` uint8 RGB sketch (alpha on white) or `(H, W)`
            uint8 gray.
        model: a `Model`.
        normalize: "auto" (the core's `prepare`) or "off".
        upsample: "regions" or "bilinear" (see `full_resolution`).

    Returns:
        `(H, W, 3)` uint8 RGB.
    """
    if normalize == "auto":
        net_input, lines = model.prepare(image if image.ndim == 3 else np.dstack([image] * 3))
    else:
        net_input = lines = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return full_resolution(model.color(net_input), lines, model, upsample)


def colorize_illustration(bgr, model, upsample="regions"):
    """Colors the sketch of a colored illustration (`--from-color`).

    The network gets the dataset's own sketch of it (resized to a 256 px
    short side, then `sketch.extract_sketch`; the binary one for a model
    trained on binary sketches), the output the lines extracted at full size.
    Both are dataset-style already, so they are not normalized.

    Args:
        bgr: `(H, W, 3)` uint8 BGR illustration.
        model: a `Model`.
        upsample: as for `colorize_sketch`.

    Returns:
        `(H, W, 3)` uint8 RGB.
    """
    line, binary = sketch_lib.extract_sketch(sketch_lib.resize_short_side(bgr, sketch_lib.SIZE))
    net_input = binary if model.sketch_kind == "binary" else line
    lines, _ = sketch_lib.extract_sketch(bgr)
    return full_resolution(model.color(net_input), lines, model, upsample)


def colorize_file(path, model, from_color=False, normalize="auto", upsample="regions"):
    """Decodes and colors one file.

    Returns:
        `(H, W, 3)` uint8 RGB at the file's size.

    Raises:
        ImageError: the file cannot be used (the reason is one line).
    """
    bgr = images.load_image(path, max_pixels=MAX_PIXELS)
    if from_color:
        return colorize_illustration(bgr, model, upsample)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    del bgr
    return colorize_sketch(rgb, model, normalize, upsample)


# ------------------------------------------------------------------ inputs --


def collect_inputs(inputs, out_dir=None):
    """The files to color, with the output name of each.

    Args:
        inputs: paths of files and folders (folders are searched
            recursively for image files).
        out_dir: files under it are skipped (earlier outputs).

    Returns:
        (jobs, failures): jobs is a list of (path, relative output path
        ending in .png); failures a list of (path, reason) for inputs that
        give nothing to do (a folder without images, a missing folder).
    """
    jobs, failures = [], []
    out_real = os.path.realpath(out_dir) + os.sep if out_dir else None
    for given in inputs:
        if os.path.isdir(given):
            try:
                found = images.find_images(given)
            except ColorizeError as e:
                failures.append((given, str(e)))
                continue
            found = [p for p in found if not (out_real and os.path.realpath(p).startswith(out_real))]
            if not found:
                extensions = ", ".join(images.IMAGE_EXTENSIONS)
                failures.append((given, f"folder holds no images ({extensions})"))
            for path in found:
                jobs.append((path, os.path.splitext(os.path.relpath(path, given))[0] + ".png"))
        else:
            # A missing or unreadable file is reported when it is decoded.
            jobs.append((given, os.path.splitext(os.path.basename(given.rstrip(os.sep)))[0] + ".png"))
    return _unique_names(jobs), failures


def _unique_names(jobs):
    """Gives `name-2.png`, `name-3.png`... to later inputs whose output name
    is already taken."""
    taken = set()
    unique = []
    for path, name in jobs:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name[:-4]}-{n}.png"
        taken.add(candidate)
        unique.append((path, candidate))
    return unique


def default_model():
    if os.path.isdir(DEFAULT_MODEL):
        return DEFAULT_MODEL
    raise ColorizeError(
        f"no model given and the default {DEFAULT_MODEL} does not exist: pass --model RUN_DIR or EXPORT_DIR "
        f"(train one with `python -m colorize.train --variant rebalance --preset small`)"
    )


# --------------------------------------------------------------------- CLI --


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.predict",
        description="Color sketch files (any size) with a trained run or an exported SavedModel.",
        epilog="Exit status: 0 all colored, 1 some inputs failed, 2 usage error.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and folders (searched recursively)")
    p.add_argument("-o", "--out-dir", required=True, help="where the colored PNGs go")
    p.add_argument("--model", default=None, help=f"run directory or SavedModel (default: {DEFAULT_MODEL})")
    p.add_argument("--temperature", type=float, default=None, help="annealed-mean temperature (default: the model's)")
    p.add_argument(
        "--from-color", action="store_true", help="inputs are colored illustrations: extract their sketch first"
    )
    p.add_argument(
        "--sketch-normalize",
        default="auto",
        choices=NORMALIZE_MODES,
        help="auto: bring paper, ink and line width to the training distribution; off: use the sketch as it is",
    )
    p.add_argument(
        "--upsample",
        default="regions",
        choices=fullres.UPSAMPLE_METHODS,
        help="full-resolution color: line-bounded regions (default) or bilinear (as the SavedModel)",
    )
    return p


def parse_args(argv):
    return errors.parse_args(_parser(), argv)


@cli
def main(argv=None):
    args = parse_args(argv)
    if args.temperature is not None and not args.temperature > 0:
        raise ColorizeError(f"--temperature must be positive, not {args.temperature}")
    model = Model(args.model or default_model(), args.temperature)
    fileio.ensure_writable_dir(args.out_dir, "output")
    jobs, failures = collect_inputs(args.inputs, args.out_dir)
    for path, reason in failures:
        print(f"error: {path}: {reason}", file=sys.stderr, flush=True)
    total = len(jobs) + len(failures)

    import tensorflow as tf  # noqa: PLC0415 (slow import, only when coloring)

    done = 0
    start = time.perf_counter()
    for i, (path, name) in enumerate(jobs, 1):
        out_path = os.path.join(args.out_dir, name)
        t0 = time.perf_counter()
        try:
            rgb = colorize_file(path, model, args.from_color, args.sketch_normalize, args.upsample)
            try:
                fileio.save_png(out_path, rgb)
            except OSError as e:  # disk full, a file where a folder should be, ...
                raise ColorizeError(f"{path}: cannot write {out_path} ({e.strerror or e})") from None
        except ColorizeError as e:
            failures.append((path, e.reason if isinstance(e, ImageError) else str(e)))
            print(f"error: {e}", file=sys.stderr, flush=True)
            continue
        except (OSError, MemoryError, cv2.error, tf.errors.OpError) as e:
            reason = _one_line(e)
            failures.append((path, reason))
            print(f"error: {path}: {reason}", file=sys.stderr, flush=True)
            continue
        done += 1
        elapsed = time.perf_counter() - start
        print(
            f"[{i}/{len(jobs)}] {path} -> {out_path} ({rgb.shape[1]}x{rgb.shape[0]}, "
            f"{time.perf_counter() - t0:.2f} s; {done / elapsed:.2f} images/s)",
            flush=True,
        )
    print(f"colored {done} of {total} inputs into {args.out_dir}" + (f"; {len(failures)} failed" if failures else ""))
    return EXIT_FAILED if failures else 0


def _one_line(error):
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # TensorFlow's messages start with "Graph execution error:"; the reason
    # is the line after the node's name.
    for line in lines:
        if line.startswith("assertion failed:") or "Invalid" in line:
            return line
    return lines[-1] if lines else type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
