"""Exports a trained run as a SavedModel that colors sketch files of any size.

    python -m colorize.export RUN_DIR EXPORT_DIR [--temperature T]

The SavedModel runs with TensorFlow alone (this project need not be
installed): decoding, resizing to the trained scale, the network, the
annealed-mean decoding (its temperature an input), the upsampling back to
full size and the multiplication by the sketch are all in the graph.

Signatures (`saved_model_cli show --all --dir EXPORT_DIR` lists them):

- `serving_default`: `images` (batch,) tf.string, encoded PNG or JPEG of any
  size, gray, gray+alpha, RGB, RGBA or palette, 8 or 16 bit (alpha is
  composited on white, colors are turned to gray); `temperature` (n,)
  float32: n = 0 uses the run's temperature, n = 1 applies one value to the
  whole batch, n = batch gives one per image. Returns `png` (batch,)
  tf.string, the colored images as PNG at each input's size; `rgb` (batch,
  H, W, 3) uint8, the same pixels padded with zeros to the largest image of
  the batch; `size` (batch, 2) int32, each image's (height, width).
- `sketch`: `sketch` (batch, H, W, 1) uint8 and `temperature` as above ->
  `rgb` (batch, H, W, 3) uint8.
- `color`: the same inputs -> `color` (batch, th, tw, 3) float32 RGB 0..255,
  the predicted color at the trained scale before it is brought back to
  full size and masked (what `colorize.predict` upsamples with its
  line-aware method).

A bad input raises `InvalidArgumentError` naming what is wrong (not a PNG or
JPEG, corrupt or truncated data, larger than `MAX_PIXELS`, empty, bad
temperature); the model keeps working for the next call.

Differences from `python -m colorize.predict` with its defaults: the graph
upsamples the color bilinearly (`fullres.compose_bilinear`; predict floods
line-bounded regions, see `fullres`), it does not normalize the sketch
(`sketch_input`: predict stretches gray paper to white and adjusts line
widths), and it ignores a JPEG's EXIF orientation. With
`--upsample bilinear --sketch-normalize off` predict computes what the graph
computes: the same to within one level for gray PNG and JPEG (the JPEG is
decoded with the accurate IDCT, as PIL does), two with alpha or color
(`sketch.load_image` rounds after compositing on white, the graph after the
conversion to gray).

The export is written to `EXPORT_DIR.tmp-XXXX` and renamed into place, so a
half-written export never sits under the final name.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

import tensorflow as tf

from colorize import errors, fullres
from colorize.errors import ColorizeError, cli

MAX_PIXELS = 40_000_000
"""Largest image (height x width) the graph accepts, checked from the header
before decoding: a 6000x6000 sketch (36 MP) works, with a peak resident
memory of 2.7 GB for the whole serving process (measured on CPU, about 5 s);
a header claiming more is an InvalidArgumentError ("too large")."""

METADATA = "colorize.json"
"""File beside saved_model.pb that records the run's config and export
options (for `predict` and for people)."""

UNMASKED_REGRESSION_LAYER = "to_255"
"""The `RegressionUNet` layer whose output is its color before the sketch
multiplies it."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma, as JPEG and OpenCV


def _checked(value, condition, template, *args):
    """`value`, once `condition` holds; else an InvalidArgumentError whose
    message is `tf.strings.format(template, args)`.

    The explicit dependency makes the check run before `value` is used, also
    inside `tf.map_fn` bodies, where a free-standing Assert may be pruned.
    """
    message = tf.strings.format(template, args, summarize=-1) if args else template
    with tf.control_dependencies([tf.debugging.Assert(condition, [message])]):
        return tf.nest.map_structure(tf.identity, value)


def _temperature_spec():
    return tf.TensorSpec([None], tf.float32, name="temperature")


class SketchColorizer(tf.Module):
    """The exported computation: raw sketches in, colored images out.

    Used in-process by `predict` (with a freshly loaded run) and saved by
    `export`; the saved functions are these methods.

    Args:
        net: a trained `ClassificationNet` or `RegressionUNet`.
        space: color space of the classes ("rgb" or "lch").
        image_size: the training resolution (`config.image_size`).
        temperature: default annealed-mean temperature.
    """

    def __init__(self, net, space, image_size, temperature, name="sketch_colorizer"):
        from colorize import layers, models  # noqa: PLC0415 (Keras, only when building)

        super().__init__(name=name)
        if not temperature > 0:
            raise ColorizeError(f"temperature must be positive, not {temperature}")
        self.net = net
        self.classification = isinstance(net, models.ClassificationNet)
        if self.classification:
            self.decode = layers.AnnealedMean(space=space, temperature=temperature)
        else:
            # The U-Net multiplies its colors by the trained-scale sketch;
            # take them before that, so that only the full-resolution lines
            # are multiplied in (once).
            import keras  # noqa: PLC0415

            self.net = keras.Model(net.inputs, net.get_layer(UNMASKED_REGRESSION_LAYER).output)
            self.decode = None
        self.image_size = int(image_size)
        # Saved with the model so that a loaded export can report them.
        self.default_temperature = tf.Variable(float(temperature), trainable=False, name="default_temperature")
        self.trained_image_size = tf.Variable(self.image_size, trainable=False, name="image_size")

    # -- pieces ---------------------------------------------------------------

    def _temperatures(self, temperature, batch):
        """(batch,) float32 from an input of 0, 1 or `batch` values."""
        n = tf.size(temperature)
        temperature = _checked(
            temperature,
            tf.logical_or(n <= 1, tf.equal(n, batch)),
            "temperature must have 0, 1 or batch-size values; got {} for a batch of {}", n, batch,
        )
        t = tf.cond(
            tf.equal(n, 0),
            lambda: tf.fill([batch], tf.cast(self.default_temperature, tf.float32)),
            lambda: tf.cond(tf.equal(n, 1), lambda: tf.fill([batch], tf.reshape(temperature, [-1])[0]), lambda: temperature),
        )
        return _checked(
            t, tf.reduce_all(tf.math.is_finite(t) & (t > 0)), "temperature must be positive and finite; got {}", t
        )  # (batch,)

    def _check_sketch(self, sketch):
        """The sketch, once it is known to be non-empty and not too large."""
        shape = tf.shape(sketch)
        sketch = _checked(sketch, tf.logical_and(shape[1] > 0, shape[2] > 0), "empty sketch: shape {}", shape)
        return _checked(
            sketch,
            tf.cast(shape[1], tf.int64) * tf.cast(shape[2], tf.int64) <= MAX_PIXELS,
            f"sketch too large: {{}}x{{}} pixels is over the limit of {MAX_PIXELS}", shape[1], shape[2],
        )

    def _color(self, sketch, temperature):
        """Color at the trained scale, before masking.

        Args:
            sketch: `(batch, H, W, 1)` uint8 raw sketch.
            temperature: `(batch,)` float32.

        Returns:
            `(batch, th, tw, 3)` float32 RGB 0..255.
        """
        x, th, tw = fullres.to_trained_scale(sketch, self.image_size)  # (batch, hp, wp, 1)
        out = self.net(x, training=False)
        if self.classification:
            rgb = self.decode(out, temperature=temperature)  # (batch, hp/4, wp/4, 3)
            # As the colorizer's UpSampling2D(4, "bilinear").
            size = tf.shape(x)[1:3]
            rgb = tf.image.resize(rgb, size, method="bilinear")  # (batch, hp, wp, 3)
        else:
            rgb = out  # (batch, hp, wp, 3): the U-Net predicts at the trained scale
        return tf.clip_by_value(tf.cast(rgb[:, :th, :tw], tf.float32), 0.0, 255.0)

    # -- endpoints --------------------------------------------------------------

    @tf.function(
        input_signature=[tf.TensorSpec([None, None, None, 1], tf.uint8, name="sketch"), _temperature_spec()]
    )
    def color(self, sketch, temperature):
        """`(batch, H, W, 1)` uint8 sketch -> {"color": `(batch, th, tw, 3)`
        float32 RGB 0..255 at the trained scale, not masked}."""
        sketch = self._check_sketch(sketch)
        t = self._temperatures(temperature, tf.shape(sketch)[0])
        return {"color": self._color(sketch, t)}

    @tf.function(
        input_signature=[tf.TensorSpec([None, None, None, 1], tf.uint8, name="sketch"), _temperature_spec()]
    )
    def colorize_sketch(self, sketch, temperature):
        """`(batch, H, W, 1)` uint8 sketch -> {"rgb": `(batch, H, W, 3)` uint8}."""
        sketch = self._check_sketch(sketch)
        t = self._temperatures(temperature, tf.shape(sketch)[0])
        return {"rgb": fullres.compose_bilinear(self._color(sketch, t), sketch)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images"), _temperature_spec()])
    def colorize_images(self, images, temperature):
        """Encoded PNG/JPEG bytes -> {"png", "rgb", "size"}; see the module
        docstring."""
        batch = tf.shape(images)[0]
        t = self._temperatures(temperature, batch)
        indices = tf.range(batch)
        sizes = tf.map_fn(
            lambda i: header_size(images[i], i)[0],
            indices,
            fn_output_signature=tf.TensorSpec([2], tf.int32),
        )  # (batch, 2): checks every header before anything is decoded
        top = tf.reduce_max(tf.concat([sizes, tf.zeros([1, 2], tf.int32)], axis=0), axis=0)

        def one(i):
            # Checked again here: the graph may start decoding image i before
            # the pass above has finished, but never before its own checks.
            _, data = header_size(images[i], i)
            sketch = decode_sketch(data)[tf.newaxis]  # (1, H, W, 1)
            rgb = fullres.compose_bilinear(self._color(sketch, t[i : i + 1]), sketch)[0]  # (H, W, 3)
            png = tf.io.encode_png(rgb)
            shape = tf.shape(rgb)
            padded = tf.pad(rgb, [[0, top[0] - shape[0]], [0, top[1] - shape[1]], [0, 0]])
            return png, padded

        def run_all():
            return tf.map_fn(
                one,
                indices,
                fn_output_signature=(tf.TensorSpec([], tf.string), tf.TensorSpec([None, None, 3], tf.uint8)),
            )

        def nothing():  # map_fn cannot stack zero images of unknown shape
            return tf.zeros([0], tf.string), tf.zeros([0, 0, 0, 3], tf.uint8)

        pngs, rgbs = tf.cond(batch > 0, run_all, nothing)
        return {"png": pngs, "rgb": rgbs, "size": sizes}

    def signatures(self):
        """The SavedModel signatures: name -> concrete function."""
        return {
            "serving_default": self.colorize_images.get_concrete_function(),
            "sketch": self.colorize_sketch.get_concrete_function(),
            "color": self.color.get_concrete_function(),
        }


# ----------------------------------------------------------- decoding (TF) --


def header_size(data, index=0):
    """(height, width) from a PNG or JPEG header, without decoding it.

    Args:
        data: scalar tf.string.
        index: the image's position in its batch (for messages).

    Returns:
        (size, data): size is the (2,) int32 (height, width); data is `data`
        once the checks have passed (decode this, not the input).

    Raises:
        tf.errors.InvalidArgumentError: not a PNG or JPEG, a truncated
            header, or more than MAX_PIXELS pixels (when run).
    """
    is_png = tf.equal(tf.strings.substr(data, 0, 8), _PNG_SIGNATURE)
    is_jpeg = tf.equal(tf.strings.substr(data, 0, 3), _JPEG_SIGNATURE)
    data = _checked(
        data,
        is_png | is_jpeg,
        "image {}: not a PNG or JPEG ({} bytes)", index, tf.strings.length(data),
    )

    def png_size():
        header = _checked(data, tf.strings.length(data) >= 24, "image {}: truncated PNG header", index)
        raw = tf.cast(tf.io.decode_raw(tf.strings.substr(header, 16, 8), tf.uint8), tf.int64)  # (8,)
        big_endian = tf.constant([1 << 24, 1 << 16, 1 << 8, 1], tf.int64)
        width = tf.reduce_sum(raw[:4] * big_endian)
        height = tf.reduce_sum(raw[4:] * big_endian)
        return tf.stack([height, width])

    def jpeg_size():
        return tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64)

    size = tf.cond(is_png, png_size, jpeg_size)  # (2,) int64: (height, width)
    size = _checked(size, tf.reduce_all(size > 0), "image {}: invalid size {}", index, size)
    size = _checked(
        size,
        size[0] * size[1] <= MAX_PIXELS,
        f"image {{}}: too large: {{}}x{{}} pixels is over the limit of {MAX_PIXELS}", index, size[1], size[0],
    )
    with tf.control_dependencies([size]):
        data = tf.identity(data)
    return tf.cast(size, tf.int32), data


def decode_sketch(data):
    """Decodes PNG or JPEG bytes to a gray sketch, alpha composited on white.

    Args:
        data: scalar tf.string, as returned by `header_size` (checked).

    Returns:
        `(H, W, 1)` uint8.
    """
    is_png = tf.equal(tf.strings.substr(data, 0, 8), _PNG_SIGNATURE)

    def png():
        # channels=4 expands gray, palette and missing alpha; dtype=uint8
        # scales 16-bit samples down.
        return tf.io.decode_png(data, channels=4, dtype=tf.uint8)

    def jpeg():
        # The accurate IDCT, as PIL and OpenCV use (TensorFlow's default is
        # the fast one, a few gray levels off).
        rgb = tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE")
        return tf.concat([rgb, tf.fill(tf.concat([tf.shape(rgb)[:2], [1]], 0), tf.constant(255, tf.uint8))], -1)

    rgba = tf.cast(tf.cond(is_png, png, jpeg), tf.float32)  # (H, W, 4)
    alpha = rgba[..., 3:] / 255.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)  # on white paper
    gray = tf.tensordot(rgb, tf.constant(_GRAY_WEIGHTS, tf.float32), axes=1)[..., tf.newaxis]
    return tf.cast(tf.round(tf.clip_by_value(gray, 0.0, 255.0)), tf.uint8)  # (H, W, 1)


# ------------------------------------------------------------------ export --


def build_module(run_dir, temperature=None):
    """A `SketchColorizer` of a trained run.

    Args:
        run_dir: a run directory with config.json and model.keras.
        temperature: default temperature (the run's config when None).

    Returns:
        (config, module).

    Raises:
        ColorizeError: not a trained run, or a bad temperature.
    """
    from colorize import train  # noqa: PLC0415

    config, net, _ = train.load_run(run_dir)
    t = config.temperature if temperature is None else float(temperature)
    return config, SketchColorizer(net, config.space, config.image_size, t)


def export(run_dir, export_dir, temperature=None):
    """Writes the SavedModel of a trained run, atomically.

    Args:
        run_dir: a trained run directory.
        export_dir: where the SavedModel goes (replaced if it exists).
        temperature: default annealed-mean temperature (the run's if None).

    Returns:
        The export directory.

    Raises:
        ColorizeError: not a trained run, bad temperature, or the export
            folder cannot be written.
    """
    config, module = build_module(run_dir, temperature)
    export_dir = os.path.abspath(export_dir)
    parent = os.path.dirname(export_dir)
    if os.path.exists(export_dir) and not os.path.isdir(export_dir):
        raise ColorizeError(f"{export_dir}: exists and is not a directory")
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=os.path.basename(export_dir) + ".tmp-", dir=parent)
    except OSError as e:
        raise ColorizeError(f"{parent}: cannot write the export here ({e.strerror or e})") from None
    try:
        tf.saved_model.save(module, tmp, signatures=module.signatures())
        metadata = {
            "run_dir": os.path.abspath(run_dir),
            "temperature": float(module.default_temperature.numpy()),
            "max_pixels": MAX_PIXELS,
            "config": json.loads(config.to_json()),
        }
        with open(os.path.join(tmp, METADATA), "w") as f:
            json.dump(metadata, f, indent=2, sort_keys=True)
            f.write("\n")
        _replace_dir(tmp, export_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return export_dir


def _replace_dir(src, dst):
    """Renames folder `src` to `dst`, replacing an existing `dst`; `dst` is
    at every moment either absent, the old export or the new one."""
    if not os.path.exists(dst):
        os.rename(src, dst)
        return
    old = tempfile.mkdtemp(prefix=os.path.basename(dst) + ".old-", dir=os.path.dirname(dst))
    os.rmdir(old)
    os.rename(dst, old)
    os.rename(src, dst)
    shutil.rmtree(old, ignore_errors=True)


def is_export_dir(path):
    """Whether `path` holds a SavedModel."""
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.export",
        description="Export a trained run as a SavedModel (encoded image bytes in, colored PNG/RGB out).",
    )
    p.add_argument("run_dir", help="trained run directory (holds config.json and model.keras)")
    p.add_argument("export_dir", help="where to write the SavedModel (replaced if it exists)")
    p.add_argument("--temperature", type=float, default=None, help="default annealed-mean temperature (default: the run's)")
    return p


@cli
def main(argv=None):
    args = errors.parse_args(_parser(), argv)
    if args.temperature is not None and not args.temperature > 0:
        raise ColorizeError(f"--temperature must be positive, not {args.temperature}")
    path = export(args.run_dir, args.export_dir, args.temperature)
    print(f"exported {args.run_dir} -> {path} (signatures: serving_default, sketch, color)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
