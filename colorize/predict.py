"""Colors sketch files of any size from the command line.

    python -m colorize.predict INPUT... -o OUT_DIR [--model RUN_DIR|EXPORT_DIR]
        [--temperature T] [--from-color] [--sketch-normalize auto|off]
        [--upsample regions|bilinear]

INPUTs are image files (PNG, JPEG, WebP, BMP; anything `sketch.load_image`
decodes) and folders (searched recursively). Each input gives one PNG in
OUT_DIR named after it (`a/b.jpg` inside a folder INPUT -> `OUT_DIR/a/b.png`;
when two inputs would get the same name the later ones get `-2`, `-3`...),
written atomically (a temporary file, then a rename). A bad input (missing,
unreadable, not an image, truncated, too large) is reported on one line,
`error: PATH: REASON`, and the others are still done. Exit status: 0 when
every input was colored, 1 when some failed, 2 for a usage error (bad flag,
no model, an output folder that cannot be written).

The pipeline for one sketch:

1. decode (`sketch.load_image`: alpha on white, 16-bit, palette, CMYK and
   EXIF rotation handled) and convert to gray; with `--from-color` the input
   is a colored illustration, and the network gets the dataset's own line
   sketch of it (extracted at the dataset's 256 px scale) while the output
   gets the lines extracted at full size;
2. `--sketch-normalize auto` (default): the network gets
   `sketch_input.normalize_sketch` (levels, line width and line profile
   brought to the training distribution) and the output lines are the
   level-normalized sketch; `off` uses the raw gray sketch for both;
3. the model predicts the color at its trained scale (`export.SketchColorizer`
   in-process for a run directory, the `color` signature of a SavedModel);
4. `fullres.full_resolution` brings the color to the input's size (line-
   bounded regions by default, `--upsample bilinear` as the SavedModel's
   own serving signature does) and multiplies the full-size lines back.

With `--sketch-normalize off --upsample bilinear` the output equals what the
exported model's `serving_default` signature returns for the same file
(within one gray level; see `export`).

Memory: inputs up to `MAX_PIXELS` (40 MP, e.g. 6000 x 6000 = 36 MP) are
colored; larger ones are refused (from their header, before decoding) with
"too large". The peak resident memory of the whole process stays under
`MEMORY_BOUND_GB` GB for a 6000 x 6000 sketch: measured 2.6 GB with the
defaults (regions upsampling, about 60 bytes per pixel at its peak) and
2.8 GB with `--upsample bilinear --sketch-normalize off` (the full-size
sketch then goes through the graph as float32), TensorFlow and the model
included; it took 10-30 s on 2 busy CPU cores.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from colorize import errors, fileio, fullres
from colorize import sketch as sketch_lib
from colorize.errors import EXIT_FAILED, ColorizeError, ImageError, cli

DEFAULT_MODEL = os.path.join("runs", "rebalance-small")
MAX_PIXELS = sketch_lib.DEFAULT_MAX_PIXELS
MEMORY_BOUND_GB = 3.0
NORMALIZE_MODES = ("auto", "off")


class Model:
    """A trained run directory or an exported SavedModel, called alike.

    Args:
        path: a run directory (config.json + model.keras) or a SavedModel
            directory written by `colorize.export`.
        temperature: annealed-mean temperature (default: the run's or the
            export's).

    Raises:
        ColorizeError: neither a trained run nor a SavedModel.
    """

    def __init__(self, path, temperature=None):
        import tensorflow as tf  # noqa: PLC0415 (slow import, only when coloring)

        from colorize import export  # noqa: PLC0415

        if temperature is not None and not temperature > 0:
            raise ColorizeError(f"--temperature must be positive, not {temperature}")
        self.path = path
        if not os.path.isdir(path):
            raise ColorizeError(f"{path}: no such model directory")
        if export.is_export_dir(path):
            try:
                loaded = tf.saved_model.load(path)
                self._fn = loaded.signatures["color"]
            except (KeyError, ValueError, OSError, tf.errors.OpError) as e:
                raise ColorizeError(f"{path}: not a colorize SavedModel ({str(e).splitlines()[0]})") from None
            self._loaded = loaded  # keeps the variables alive
            config = _export_config(path)
            self.sketch_kind = config.get("sketch", "line")
            self.image_size = int(loaded.trained_image_size.numpy())
            self._temperature = [] if temperature is None else [float(temperature)]
        elif os.path.isfile(os.path.join(path, "config.json")):
            config, module = export.build_module(path, temperature)
            self._fn = module.color
            self._module = module
            self.sketch_kind = config.sketch
            self.image_size = config.image_size
            self._temperature = []
        else:
            raise ColorizeError(f"{path}: neither a run directory (config.json) nor a SavedModel (saved_model.pb)")
        self._tf = tf

    def color(self, sketch):
        """Predicted color at the trained scale.

        Args:
            sketch: `(H, W)` uint8 network input.

        Returns:
            `(th, tw, 3)` float32 RGB 0..255, not masked by the lines.
        """
        tf = self._tf
        out = self._fn(
            sketch=tf.constant(sketch[np.newaxis, :, :, np.newaxis]),
            temperature=tf.constant(self._temperature, tf.float32),
        )
        return out["color"].numpy()[0]


def _export_config(path):
    """The run config recorded in an export's metadata ({} if absent)."""
    from colorize import export  # noqa: PLC0415

    try:
        with open(os.path.join(path, export.METADATA)) as f:
            return json.load(f).get("config", {})
    except (OSError, ValueError):
        return {}


def _gray(bgr):
    import cv2  # noqa: PLC0415

    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)


def colorize_sketch(gray, model, normalize="auto", upsample="regions"):
    """Colors one gray sketch at its own size.

    Args:
        gray: `(H, W)` uint8 sketch, dark lines on light paper.
        model: a `Model`.
        normalize: "auto" (see `sketch_input`) or "off".
        upsample: "regions" or "bilinear" (see `fullres`).

    Returns:
        `(H, W, 3)` uint8 RGB.
    """
    from colorize import sketch_input  # noqa: PLC0415

    if normalize == "auto" and not sketch_input.looks_extracted(gray):
        net_input = sketch_input.normalize_sketch(gray, model.sketch_kind)
        lines = sketch_input.normalize_levels(gray)
    else:
        net_input = lines = gray
    return fullres.full_resolution(model.color(net_input), lines, upsample)


def colorize_illustration(bgr, model, normalize="auto", upsample="regions"):
    """Colors the sketch of a colored illustration (`--from-color`).

    The network gets the dataset's own sketch of it (resized to a 256 px
    short side, then `sketch.extract_sketch`), the output the lines extracted
    at full size (level-normalized unless `normalize` is "off").

    Args:
        bgr: `(H, W, 3)` uint8 BGR illustration.
        model, normalize, upsample: as for `colorize_sketch`.

    Returns:
        `(H, W, 3)` uint8 RGB.
    """
    from colorize import sketch_input  # noqa: PLC0415

    line, binary = sketch_lib.extract_sketch(sketch_lib.resize_short_side(bgr, sketch_lib.SIZE))
    net_input = binary if model.sketch_kind == "binary" else line
    lines, _ = sketch_lib.extract_sketch(bgr)
    if normalize == "auto":
        lines = sketch_input.normalize_levels(lines)
    return fullres.full_resolution(model.color(net_input), lines, upsample)


def colorize_file(path, model, from_color=False, normalize="auto", upsample="regions"):
    """Decodes and colors one file.

    Returns:
        `(H, W, 3)` uint8 RGB at the file's size.

    Raises:
        ImageError: the file cannot be used (the reason is one line).
    """
    bgr = sketch_lib.load_image(path, max_pixels=MAX_PIXELS)
    if from_color:
        return colorize_illustration(bgr, model, normalize, upsample)
    return colorize_sketch(_gray(bgr), model, normalize, upsample)


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
                found = sketch_lib.find_images(given)
            except ColorizeError as e:
                failures.append((given, str(e)))
                continue
            found = [p for p in found if not (out_real and os.path.realpath(p).startswith(out_real))]
            if not found:
                extensions = ", ".join(sketch_lib.IMAGE_EXTENSIONS)
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
    p.add_argument("--from-color", action="store_true", help="inputs are colored illustrations: extract their sketch first")
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

    import cv2  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

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
