"""Colors sketch files of any size from the command line.

    python -m colorize.predict INPUT... -o OUT_DIR [--model RUN_DIR|EXPORT_DIR]
        [--temperature T] [--from-color] [--sketch-normalize auto|off]
        [--upsample regions|bilinear] [--hints FILE] [--hint X,Y,#RRGGBB]...
        [--layers]

Without `--model` the model shipped in the package is used
(`colorize.weights.default_model`); the first line printed names the model.

INPUTs are image files (PNG, JPEG, WebP, BMP; anything `images.load_image`
decodes) and folders (searched recursively). Each input gives one PNG in
OUT_DIR named after it (`a/b.jpg` inside a folder INPUT -> `OUT_DIR/a/b.png`;
when two inputs would get the same name the later ones get `-2`, `-3`...),
written atomically (a temporary file, then a rename). A bad input (missing,
unreadable, not an image, truncated, too large) is reported on one line,
`error: PATH: REASON`, and the others are still done. Exit status: 0 when
every input was colored, 1 when some failed, 2 for a usage error (bad flag,
no model, an output folder that cannot be written).

Color hints (`hint_layers`): `--hints FILE` (one input), an RGBA PNG layer
painted over the sketch, opaque pixels are hints; `NAME.hints.png` beside
`NAME.png` (or `.jpg`...) is used by itself and never colored as an input;
`--hint X,Y,#RRGGBB` (repeatable, pixel column and row) adds points over
them, for every input. A bad hint layer fails its input with a one-line
error naming the layer. A model trained without hints warns once and colors
without them. With `--upsample regions` every line-bounded region holding a
hint comes out flat in the hint's color (`hint_flood`: a fill stops at its
figure's outline, hints of different colors in one region split it, and a
`note: PATH: ...` line says when a fill reached the page border or hints
shared a region). `--layers` also
writes `NAME.ora` (OpenRaster: the flat color under the lines).

The pipeline for one sketch is `colorizer.Colorizer`'s, the module that
the SavedModel saves: built in-process for a run directory, loaded for an
export, and called through the same graph functions either way:

1. decode (`images.load_image`: alpha on white, any bit depth, palette,
   CMYK and EXIF rotation; the SavedModel's in-graph decoder gives the same
   pixels for PNG and JPEG); `--from-color`: see `colorize_array`;
2. `--sketch-normalize auto` (default): the core's `prepare`
   (`sketch_normalization.normalize`: paper, ink color, polarity, line width and
   line profile brought to the training distribution); `off` uses the gray
   sketch as it is, for the network and for the lines;
3. the core's `color` (`color_guided` with hints): the color at the
   trained scale (long strips in overlapping tiles);
4. full size: `--upsample regions` (default) floods line-bounded regions
   (`fullres.upsample_regions`, OpenCV, outside the graph), then fills the
   hinted regions (`hint_flood`); `--upsample bilinear` calls the core's
   `compose`, the graph's own step. `fullres` describes the difference.

With `--upsample bilinear` the output is what the exported model's
`serving_default` (`guided` with a hint layer) returns for the same PNG or
JPEG file (the same functions on the same decoded pixels; within one level
for the first `EAGER_IMAGES` images, which run eagerly), but for the two
page checks `colorize_array` makes before the network and the SavedModel
does not: a blank page comes back as it was (`blank_page`), and a page
with a scanner's dark border is colored inside it alone (`page_border`).

Memory: inputs up to `MAX_PIXELS` (40 MP, e.g. 6000 x 6000 = 36 MP) are
colored; larger ones are refused (from their header, before decoding) with
"too large". The peak resident memory of the whole process stays under
`MEMORY_BOUND_GB` GB for a 6000 x 6000 sketch: measured 1.9 GB with the
defaults (regions upsampling, about 25 bytes per pixel at its peak, in row
bands, on top of the memory TensorFlow's oneDNN kernels keep after the
normalization; 3.1-3.3 GB before the bands) and 2.0 GB with `--upsample
bilinear`, TensorFlow and the tiny test model included
(`tests/test_reliability.py` prints it).
"""

import argparse
import copy
import os
import sys
import time

import cv2
import numpy as np

from colorize import errors, fileio, runs, weights
from colorize.data import images
from colorize.data import sketch as sketch_lib
from colorize.errors import EXIT_FAILED, ColorizeError, ImageError, cli
from colorize.inference import blank_page, fullres, hint_flood, hint_layers, page_border
from colorize.inference.jobs import collect_inputs, hints_for

MAX_PIXELS = images.DEFAULT_MAX_PIXELS
MEMORY_BOUND_GB = 4.0
NORMALIZE_MODES = ("auto", "off")
_CORE_FUNCTIONS = ("prepare", "color", "compose")
EAGER_IMAGES = 16
"""Images an in-process core colors eagerly before it switches to its graph
functions: tracing them costs seconds (about 4 s on 2 cores, mostly Python
building some 3,500 ops) and pays off only over a folder of images, where
the graph is about 0.3 s faster per 512 px image. A SavedModel's functions
are already traced and always run as graphs."""


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

        from colorize.serving import colorizer  # noqa: PLC0415 (imports TensorFlow and Keras)

        if temperature is not None and not temperature > 0:
            raise ColorizeError(f"--temperature must be positive, not {temperature}")
        self.path = path
        self._tf = tf
        exported = runs.kind(path) == "export"
        if exported:
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
        # (mutable and shared by `with_temperature` copies: they share the graph)
        self._colored = [EAGER_IMAGES if exported else 0]
        self.image_size = int(core.trained_image_size.numpy())
        self.uses_hints = hasattr(core, "color_guided") and bool(core.uses_hints.numpy())
        self._why_not = "was trained without hints" if hasattr(core, "color_guided") else "was exported before hints"
        self._warned = False

    def _function(self, name):
        """The core's function `name`: its graph function, or for the first
        `EAGER_IMAGES` images of an in-process core the same Python function
        run eagerly (no tracing; AutoGraph off, as in the graph)."""
        function = getattr(self.core, name)
        if self._colored[0] >= EAGER_IMAGES:
            return function
        return self._tf.autograph.experimental.do_not_convert(function.python_function)

    def image_done(self):
        """Counts one colored image (`colorize_array` calls it): after
        `EAGER_IMAGES` of them the graph functions are used."""
        self._colored[0] += 1

    def with_temperature(self, temperature):
        """This model at another annealed-mean temperature (> 0); shares the loaded graph."""
        if not float(temperature) > 0:
            raise ColorizeError(f"temperature must be positive, not {temperature}")
        model = copy.copy(self)
        model._temperature = [float(temperature)]
        return model

    def prepare(self, rgb):
        """The core's sketch normalization.

        Args:
            rgb: `(H, W, 3)` uint8 RGB sketch (alpha on white).

        Returns:
            (net_input, lines): `(h, w)` uint8 network input and `(H, W)`
            uint8 full-size lines.
        """
        out = self._function("prepare")(self._tf.constant(rgb[np.newaxis]))
        return out["net_input"].numpy()[0, ..., 0], out["lines"].numpy()[0, ..., 0]

    def color(self, sketch, hint_rgb=None, hint_mask=None):
        """The core's color at the trained scale (`color_guided` with hints).

        Args:
            sketch: `(h, w)` uint8 network input.
            hint_rgb, hint_mask: optional `(H, W, 3)` uint8 RGB and `(H, W)`
                bool hints at the full size of the sketch (any size with its
                aspect ratio). A model trained without hints prints a
                warning (once) and colors without them.

        Returns:
            `(th, tw, 3)` float32 RGB 0..255, not masked by the lines.
        """
        tf = self._tf
        sketch = tf.constant(sketch[np.newaxis, :, :, np.newaxis])  # (1, h, w, 1)
        temperature = tf.constant(self._temperature, tf.float32)
        if hint_rgb is not None and not self.uses_hints and not self._warned:
            print(f"warning: {self.path} {self._why_not}; the network colors without them", file=sys.stderr)
            self._warned = True
        if hint_rgb is None or not self.uses_hints:
            out = self._function("color")(sketch, temperature)
        else:
            mask = np.asarray(hint_mask, np.uint8).reshape(hint_mask.shape[:2])[np.newaxis, :, :, np.newaxis]
            hints = (tf.constant(hint_rgb[np.newaxis]), tf.constant(mask))
            out = self._function("color_guided")(sketch, temperature, *hints)
        return out["color"].numpy()[0]

    def compose(self, color, lines):
        """The core's full-resolution step, bilinear `(th, tw, 3)` float32
        color times `(H, W)` uint8 lines / 255: `(H, W, 3)` uint8 RGB."""
        tf = self._tf
        lines = tf.constant(lines[np.newaxis, ..., np.newaxis])  # (1, H, W, 1)
        out = self._function("compose")(tf.constant(color[np.newaxis], tf.float32), lines)
        return out["rgb"].numpy()[0]


def full_resolution(color, lines, model, upsample="regions"):
    """The full-size output from the trained-scale color.

    Args:
        color: `(th, tw, 3)` float32 from `Model.color`.
        lines: `(H, W)` uint8 full-size lines.
        model: a `Model`.
        upsample: "regions" (`fullres.upsample_regions`, outside the graph)
            or "bilinear" (the core's `compose`, the SavedModel's own step).

    Returns:
        (rgb, flat): `(H, W, 3)` uint8 RGB with the lines multiplied in, and
        the flat color before they are (bilinear: OpenCV's, within a level
        of the graph's).

    Raises:
        ColorizeError: an unknown method.
    """
    height, width = lines.shape
    if upsample == "bilinear":
        small = np.clip(np.rint(color), 0, 255).astype(np.uint8)
        return model.compose(color, lines), cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    if upsample == "regions":
        up = fullres.upsample_regions(np.asarray(color, np.float32), lines)  # (H, W, 3) float32
        flat = cv2.convertScaleAbs(up)  # rounded and saturated to uint8, without a float copy
        return fullres.multiply_lines(up, lines, overwrite=True), flat  # `up` is ours
    raise ColorizeError(f"unknown upsampling method {upsample!r}; choose one of {', '.join(fullres.UPSAMPLE_METHODS)}")


def _checked_hints(hint_rgb, hint_mask, height, width):
    """(hint_rgb uint8, hint_mask bool) of the image's size, or None for no hints."""
    if hint_rgb is None and hint_mask is None:
        return None
    if hint_rgb is None or hint_mask is None:
        raise ColorizeError("give both hint_rgb and hint_mask, or neither")
    hint_rgb, hint_mask = np.asarray(hint_rgb), np.asarray(hint_mask)
    size = (height, width)
    if hint_rgb.shape != (*size, 3) or hint_rgb.dtype != np.uint8 or hint_mask.shape not in (size, (*size, 1)):
        got = f"{hint_rgb.shape} {hint_rgb.dtype} and {hint_mask.shape}"
        raise ColorizeError(f"hints must be ({height}, {width}, 3) uint8 RGB and a ({height}, {width}) mask, got {got}")
    hint_mask = hint_mask.reshape(height, width) > 0
    return (hint_rgb, hint_mask) if hint_mask.any() else None


def colorize_array(image, model, hint_rgb=None, hint_mask=None, from_color=False, normalize="auto", upsample="regions"):
    """Colors one image at its own size: the one path of `predict` and the web demo.

    Args:
        image: `(H, W, 3)` uint8 RGB (alpha on white) or `(H, W)` uint8 gray.
        model: a `Model`.
        hint_rgb, hint_mask: optional hints, `(H, W, 3)` uint8 RGB and
            `(H, W)` (or `(H, W, 1)`) bool or 0/1.
        from_color: `image` is a colored illustration: the network gets the
            dataset's own sketch of it (made at 256 px; binary for a model
            trained on binary sketches), the output the lines extracted at
            full size (neither normalized).
        normalize: "auto" (the core's `prepare`) or "off" (the gray sketch
            as it is, for the network and the lines).
        upsample: "regions" (then every line-bounded region holding a hint
            is filled flat with its color, `hint_flood.fill_layers`)
            or "bilinear" (the SavedModel's output: hints via the network).

    Returns:
        {"rgb": `(H, W, 3)` uint8 colored image, "color": `(H, W, 3)` uint8
        the flat color before the lines are multiplied in, "lines": `(H, W)`
        uint8 the full-size lines multiplied in, "notes": one-line notes
        for the user (`hint_flood`: a fill that reached the page border,
        hints that shared a region; `blank_page`: a page with no lines,
        returned as it was; `page_border`: a dark border around the page,
        kept as it was while the page inside is colored alone)}.

    Raises:
        ColorizeError: a bad array, hints, `normalize` or `upsample`.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ColorizeError(
            f"image must be a (H, W, 3) RGB or (H, W) gray uint8 array, got {image.shape} {image.dtype}"
        )
    hints = _checked_hints(hint_rgb, hint_mask, *image.shape[:2])
    if upsample not in fullres.UPSAMPLE_METHODS:
        methods = ", ".join(fullres.UPSAMPLE_METHODS)
        raise ColorizeError(f"unknown upsampling method {upsample!r}; choose one of {methods}")
    blank = blank_page.unchanged(image, hinted=hints is not None)  # no lines: the page as it was, and a note
    if blank is not None:
        return blank
    # A dark border (a scanner's lid): the page inside it is colored alone, the border kept.
    whole, border = image, page_border.find(image)
    if border is not None:
        image = border.crop(image)
    if from_color:
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR if image.ndim == 3 else cv2.COLOR_GRAY2BGR)
        line, binary = sketch_lib.extract_sketch(sketch_lib.resize_short_side(bgr, sketch_lib.SIZE))
        net_input = binary if model.sketch_kind == "binary" else line
        lines, _ = sketch_lib.extract_sketch(bgr)
        del bgr
    elif normalize == "auto":
        net_input, lines = model.prepare(image if image.ndim == 3 else np.dstack([image] * 3))
    elif normalize == "off":
        net_input = lines = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    else:
        raise ColorizeError(f"unknown sketch normalization {normalize!r}; choose one of {', '.join(NORMALIZE_MODES)}")
    net_hints = hints if border is None else border.crop_hints(hints)
    rgb, flat = full_resolution(model.color(net_input, *(net_hints or ())), lines, model, upsample)
    notes = []
    if border is not None:
        rgb, flat, lines = border.paste(whole, rgb, flat, lines)
        notes.append(border.note)
    if hints is not None and upsample == "regions":
        rgb, flat, fill_notes = hint_flood.fill_layers(rgb, flat, lines, *hints)
        notes += fill_notes
    model.image_done()
    return {"rgb": rgb, "color": flat, "lines": lines, "notes": notes}


def load_rgb(path):
    """`(H, W, 3)` uint8 RGB of an image file (`images.load_image`), or an ImageError."""
    return cv2.cvtColor(images.load_image(path, max_pixels=MAX_PIXELS), cv2.COLOR_BGR2RGB)


def colorize_file(path, model, from_color=False, normalize="auto", upsample="regions", hint_rgb=None, hint_mask=None):
    """Decodes and colors one file (`colorize_array`).

    Returns:
        `(H, W, 3)` uint8 RGB at the file's size.

    Raises:
        ImageError: the file cannot be used (the reason is one line).
    """
    return colorize_array(load_rgb(path), model, hint_rgb, hint_mask, from_color, normalize, upsample)["rgb"]


# --------------------------------------------------------------------- CLI --


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.predict",
        description="Color sketch files (any size) with a trained run or an exported SavedModel.",
        epilog="Exit status: 0 all colored, 1 some inputs failed, 2 usage error.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and folders (searched recursively)")
    p.add_argument("-o", "--out-dir", required=True, help="where the colored PNGs go")
    p.add_argument("--model", default=None, help="run directory or SavedModel (default: the shipped model)")
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
    p.add_argument(
        "--hints", metavar="FILE", default=None, help="RGBA PNG hint layer (opaque pixels are hints); one input only"
    )
    p.add_argument(
        "--hint",
        action="append",
        default=[],
        metavar="X,Y,#RRGGBB",
        help="a color hint at pixel column X, row Y of the sketch (repeatable; over --hints and NAME.hints.png)",
    )
    p.add_argument("--layers", action="store_true", help="also write NAME.ora: flat color under the lines (OpenRaster)")
    return p


def parse_args(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    # "--hint -5,10,#ff0000" would be read as an unknown option: join it as
    # "--hint=-5,10,#ff0000", so that parse_hint says what is wrong with it.
    for i in range(len(argv) - 2, -1, -1):
        if argv[i] == "--hint" and argv[i + 1].startswith("-") and argv[i + 1][1:2].isdigit():
            argv[i : i + 2] = [f"--hint={argv[i + 1]}"]
    return errors.parse_args(_parser(), argv)


@cli
def main(argv=None):
    args = parse_args(argv)
    if args.temperature is not None and not args.temperature > 0:
        raise ColorizeError(f"--temperature must be positive, not {args.temperature}")
    if args.hints and (len(args.inputs) != 1 or os.path.isdir(args.inputs[0])):
        raise ColorizeError(
            "--hints FILE is for a single input file; for several inputs put NAME.hints.png beside each NAME.png"
        )
    points = [hint_layers.parse_hint(text) for text in args.hint]
    model_path = args.model or weights.default_model()
    # The inputs and the output folder are checked before the model loads
    # (seconds): a wrong path is reported at once.
    fileio.ensure_writable_dir(args.out_dir, "output")
    jobs, failures = collect_inputs(args.inputs, args.out_dir)
    for path, reason in failures:
        print(f"error: {path}: {reason}", file=sys.stderr, flush=True)
    total = len(jobs) + len(failures)
    if not jobs:
        print(f"colored 0 of {total} inputs into {args.out_dir}; {len(failures)} failed")
        return EXIT_FAILED
    print(f"model: {model_path}" + ("" if args.model else " (the shipped model)"), flush=True)
    model = Model(model_path, args.temperature)

    import tensorflow as tf  # noqa: PLC0415 (slow import, only when coloring)

    done = 0
    start = time.perf_counter()
    for i, (path, name) in enumerate(jobs, 1):
        out_path = os.path.join(args.out_dir, name)
        t0 = time.perf_counter()
        try:
            image = load_rgb(path)
            hints, layer = hints_for(path, *image.shape[:2], args.hints, points)
            out = colorize_array(
                image, model, *(hints or (None, None)), args.from_color, args.sketch_normalize, args.upsample
            )
            del image
            rgb = out["rgb"]
            _write(path, out_path, out, args.layers)
        except ColorizeError as e:
            failures.append((path, e.reason if isinstance(e, ImageError) else str(e)))
            print(f"error: {e}" if isinstance(e, ImageError) else f"error: {path}: {e}", file=sys.stderr, flush=True)
            continue
        except (OSError, MemoryError, cv2.error, tf.errors.OpError) as e:
            reason = errors.one_line(e)
            failures.append((path, reason))
            print(f"error: {path}: {reason}", file=sys.stderr, flush=True)
            continue
        done += 1
        elapsed = time.perf_counter() - start
        hinted = (
            ", hints: " + " + ".join(filter(None, [layer, f"{len(points)} points" if points else ""])) if hints else ""
        )
        print(
            f"[{i}/{len(jobs)}] {path} -> {out_path}"
            f"{' and ' + os.path.splitext(out_path)[0] + '.ora' if args.layers else ''} "
            f"({rgb.shape[1]}x{rgb.shape[0]}{hinted}, "
            f"{time.perf_counter() - t0:.2f} s; {done / elapsed:.2f} images/s)",
            flush=True,
        )
        for note in out["notes"]:
            print(f"note: {path}: {note}", flush=True)
    print(f"colored {done} of {total} inputs into {args.out_dir}" + (f"; {len(failures)} failed" if failures else ""))
    return EXIT_FAILED if failures else 0


def _write(path, out_path, out, layers):
    """Saves the colored PNG (and, with `layers`, the OpenRaster file beside it)."""
    target = out_path
    try:
        fileio.save_png(out_path, out["rgb"])
        if layers:
            from colorize.inference import openraster  # noqa: PLC0415 (zip writing, only for --layers)

            target = os.path.splitext(out_path)[0] + ".ora"
            openraster.write_ora(target, out["color"], out["lines"])
    except OSError as e:  # disk full, a file where a folder should be, ...
        raise ImageError(path, f"cannot write {target} ({e.strerror or e})") from None


def _exit_now(status):
    """Ends the process without the interpreter's teardown: unloading
    TensorFlow takes 0.4-1.7 s here and has nothing left to do once every
    output is written (each is complete and renamed into place)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    _exit_now(main())
