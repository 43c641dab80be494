"""The colorizer core: one tf.Module that every entry point calls.

`Colorizer` holds a trained network and its decoding (`models.color_head`:
the annealed mean for the classification nets) and exposes the whole
pipeline as graph functions, each the composition of the ones before it:

```
encoded bytes --decode_images--> RGB on white (any size)          decode.decode_rgb
  --prepare--> (network input, full-size lines)                  sketch_normalization.normalize
  --color--> color at the trained scale, not masked               trained_scale.to_trained_scale,
                                                                  split_tiles, the network
                                                                  (models.color_head),
                                                                  blend_tiles
  --compose--> full-resolution RGB, lines multiplied back         trained_scale.compose_bilinear
```

`colorize_sketch` is prepare -> color -> compose on a gray sketch;
`colorize_images` adds the header checks and decoding in front and PNG
encoding behind. `colorize.serving.saved_model.export` saves exactly this
module as the SavedModel, and `colorize.inference.coloring.Model` (what
`predict` and the web page call) builds it for a run directory or loads it
from a SavedModel and calls the same functions, so the two agree by
construction. The one step outside the graph is `predict`'s default
full-resolution method, line-bounded regions
(`colorize.inference.fullres.upsample_regions`, OpenCV connected
components, and `colorize.inference.hint_fill` for hinted regions), applied
to the output of `color`.

Color hints (ignored by a network trained without them): `color_guided`
takes hints at the sketch's full size, brought to the network's input scale
and tiles as the sketch is (`hints_at_scale`); `colorize_images_guided` (the
`guided` signature; `colorize_images` is it without hints) decodes an RGBA
PNG hint layer per image (`decode_hint_layer`).

Sketch normalization (`prepare`, on unless `normalize=False`):
`sketch_normalization.normalize` brings paper, ink, polarity and line width to the
training distribution and gives the network its input at the dataset scale,
and the level-normalized full-size lines to multiply back. With
normalization off both are the decoded sketch's gray.
"""

import keras
import tensorflow as tf

from colorize import formats, variants
from colorize.data import palettes
from colorize.errors import ColorizeError
from colorize.nets import annealed_mean, models, trained
from colorize.serving import decode, sketch_normalization, trained_scale

_SKETCH = tf.TensorSpec([None, None, None, 1], tf.uint8, name="sketch")
_RGB = tf.TensorSpec([None, None, None, 3], tf.uint8, name="image")
_TEMPERATURE = tf.TensorSpec([None], tf.float32, name="temperature")
_IMAGES = tf.TensorSpec([None], tf.string, name="images")
_HINTS = tf.TensorSpec([None], tf.string, name="hints")
_HINT_RGB = tf.TensorSpec([None, None, None, 3], tf.uint8, name="hint_rgb")
_HINT_MASK = tf.TensorSpec([None, None, None, 1], tf.uint8, name="hint_mask")
_PALETTE_COLORS = tf.TensorSpec([None, None, 3], tf.uint8, name="palette_colors")


def hints_at_scale(hint_rgb, hint_mask, size):
    """Full-size hints `(batch, H, W, 3)` RGB 0..255 and `(batch, H, W, 1)`
    (a hint where > 0) at the network's input size `(th, tw)`: float32
    `(batch, th, tw, 3)` RGB (0 where no hint) and `(batch, th, tw, 1)` 0/1.

    Area resizing (the sketch's own when shrinking): a pixel is a hint where
    the resized mask is above 0, so a hint smaller than a pixel is not lost,
    and its color is the mask-weighted mean of the hint colors it covers."""
    mask = tf.cast(hint_mask > 0, tf.float32)  # (batch, H, W, 1)
    covered = tf.image.resize(mask, size, method="area")  # (batch, th, tw, 1), share of hint pixels
    weighted = tf.image.resize(tf.cast(hint_rgb, tf.float32) * mask, size, method="area")  # (batch, th, tw, 3)
    on = tf.cast(covered > 0, tf.float32)
    return tf.clip_by_value(tf.math.divide_no_nan(weighted, covered), 0.0, 255.0) * on, on


def _no_hints(batch, size):
    """Zero hints at the trained scale: `(batch, th, tw, 3)` and `(batch, th, tw, 1)` float32."""
    zeros = tf.zeros(tf.concat([[batch], size, [1]], 0), tf.float32)
    return tf.concat([zeros] * 3, -1), zeros


def _split_channels(x, image_size):
    """The sketch's tiles (`trained_scale.split_tiles`) of `(batch, th, tw, c)`: `(batch * n, hp, wp, c)`."""
    shape = tf.shape(x)
    batch, c = shape[0], shape[3]
    planes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [batch * c, shape[1], shape[2], 1])  # channel-major
    tiles, layout = trained_scale.split_tiles(planes, image_size)  # (batch * c * n, hp, wp, 1)
    n, tile_shape = tf.shape(layout["offsets"])[0], tf.shape(tiles)[1:3]
    tiles = tf.reshape(tiles, tf.concat([[batch, c, n], tile_shape], 0))  # (batch, c, n, hp, wp)
    tiles = tf.transpose(tiles, [0, 2, 3, 4, 1])  # (batch, n, hp, wp, c)
    return tf.reshape(tiles, tf.concat([[batch * n], tile_shape, [c]], 0))


def decode_hint_layer(data, size, index):
    """A hint layer, scalar tf.string PNG bytes (any bit depth and color
    type), as `(H, W, 3)` uint8 hint RGB and `(H, W, 1)` uint8 0/1 mask for
    the sketch of `size` (H, W), in the graph.

    Pixels with alpha >= `formats.HINT_ALPHA` are hints. A layer of another size with
    the sketch's aspect ratio is grown by nearest neighbour (as predict's
    `hint_layers.load_hint_layer`) or shrunk as `hints_at_scale` (a superset
    of the reader's hints, in the same colors). A bad layer is an
    InvalidArgumentError "hints INDEX: ..." (not a PNG, empty, too large,
    another aspect ratio, corrupt). An empty string (no hints) is the caller's
    to handle.
    """
    ok = tf.equal(tf.strings.substr(data, 0, 8), decode.PNG_SIGNATURE) & (tf.strings.length(data) >= 24)
    png = decode.checked(data, ok, "hints {}: not a PNG", index)
    raw = tf.reshape(tf.cast(tf.io.decode_raw(tf.strings.substr(png, 16, 8), tf.uint8), tf.int64), [2, 4])
    layer_w, layer_h = tf.unstack(tf.reduce_sum(raw * [1 << 24, 1 << 16, 1 << 8, 1], axis=1))  # IHDR
    ok = (layer_w > 0) & (layer_h > 0) & (layer_w * layer_h <= formats.MAX_PIXELS)
    message = f"hints {{}}: {{}}x{{}} pixels, empty or over {formats.MAX_PIXELS}"
    png = decode.checked(png, ok, message, index, layer_w, layer_h)
    height, width = tf.cast(size[0], tf.float64), tf.cast(size[1], tf.float64)
    scaled_h = tf.cast(layer_h, tf.float64) * width / tf.cast(layer_w, tf.float64)
    ok = tf.abs(scaled_h - height) <= tf.maximum(tf.constant(1.0, tf.float64), formats.HINT_ASPECT_TOLERANCE * height)
    message = "hints {}: wrong aspect ratio: the hint layer is {}x{}, the sketch {}x{}"
    png = decode.checked(png, ok, message, index, layer_w, layer_h, size[1], size[0])
    rgba = (tf.cast(tf.io.decode_png(png, channels=4, dtype=tf.uint16), tf.int32) + 128) // 257  # (h, w, 4)
    rgb, mask = tf.cast(rgba[..., :3], tf.float32), tf.cast(rgba[..., 3:] >= formats.HINT_ALPHA, tf.float32)

    def nearest():
        return tf.image.resize(rgb * mask, size, "nearest"), tf.image.resize(mask, size, "nearest")

    grow = layer_w * layer_h <= tf.cast(size[0] * size[1], tf.int64)
    rgb, mask = tf.cond(grow, nearest, lambda: tuple(x[0] for x in hints_at_scale(rgb[None], mask[None], size)))
    return tf.cast(tf.round(rgb), tf.uint8), tf.cast(mask, tf.uint8)


class Colorizer(tf.Module):
    """A trained network as the full sketch-to-color pipeline, in the graph.

    Args:
        net: a trained `ClassificationNet` or `RegressionUNet`.
        space: color space of the classes ("rgb" or "lch").
        image_size: the training resolution (`config.image_size`), pixels.
        temperature: default annealed-mean temperature (> 0).
        sketch_kind: the sketch kind the run was trained on ("line",
            "binary" or "mix"; `config.sketch`), for the normalization.
        normalize: whether `prepare` (and so `colorize_sketch` and
            `colorize_images`) normalizes the sketch.
        name: the module's name.
        class_colors: optional `(Q, 3)` class means the annealed mean
            decodes to (`annealed_mean.class_means`; the SavedModel keeps
            them as constants); None: the bin centres.

    Raises:
        ColorizeError: a temperature that is not positive.
        TypeError: `net` is neither network.

    Example:
        >>> config, net = trained.load_net(run_dir)
        >>> core = Colorizer(net, config.space, config.image_size, config.temperature)
        >>> core.colorize_images(tf.constant([png_bytes]), tf.constant([], tf.float32))["png"]
    """

    def __init__(
        self,
        net,
        space,
        image_size,
        temperature,
        sketch_kind="line",
        normalize=True,
        name="colorizer",
        class_colors=None,
    ):
        super().__init__(name=name)
        temperature = variants.check_temperature(temperature)
        if sketch_kind not in variants.SKETCH_KINDS:
            raise ColorizeError(f"sketch kind must be one of {', '.join(variants.SKETCH_KINDS)}, not {sketch_kind!r}")
        self.sketch_kind = sketch_kind
        self.space = space
        sketch = keras.Input(shape=(None, None, 1), name="sketch")
        t = keras.Input(shape=(), name="temperature")
        # (batch, H, W, 1) sketch, (batch,) T -> (batch, H / factor, W / factor, 3) unmasked RGB; a
        # network trained with hints also takes (batch, H, W, 3) hint RGB 0..255 and (batch, H, W, 1)
        # mask 0/1 (the guided head, the only one: zero hints are its automatic coloring).
        self.head = self.guided_head = None
        # A classification net's head also gives what region decisions pool (`models.EVIDENCE_CHANNELS`).
        self.evidence = isinstance(net, models.ClassificationNet)
        # A network trained with a palette input takes `(batch, num_classes)` too (zeros: none).
        self.palette_size = int(net.num_classes) if models.uses_palette(net) else 0
        if models.uses_hints(net):
            hints = [keras.Input((None, None, c), name=n) for c, n in ((3, models.HINT_COLOR), (1, models.HINT_MASK))]
            extra = [keras.Input((self.palette_size,), name=models.PALETTE)] if self.palette_size else []
            rgb, self.factor = models.color_head(
                net,
                sketch,
                space,
                temperature,
                t,
                *hints,
                palette=extra[0] if extra else None,
                evidence=self.evidence,
                class_colors=class_colors,
            )
            self.guided_head = keras.Model([sketch, t, *hints, *extra], rgb, name="guided_color_head")
        else:
            rgb, self.factor = models.color_head(
                net, sketch, space, temperature, t, evidence=self.evidence, class_colors=class_colors
            )
            self.head = keras.Model([sketch, t], rgb, name="color_head")
        self.image_size = int(image_size)
        self.normalize = bool(normalize)
        # Saved with the model so that a loaded export can report them.
        self.default_temperature = tf.Variable(float(temperature), trainable=False, name="default_temperature")
        self.trained_image_size = tf.Variable(self.image_size, trainable=False, name="image_size")
        self.uses_hints = tf.Variable(self.head is None, trainable=False, name="uses_hints")
        self.uses_palette = tf.Variable(self.palette_size > 0, trainable=False, name="uses_palette")

    # -- pieces (plain graph code, called by the endpoints) --------------------

    def _temperatures(self, temperature, batch):
        """(batch,) float32 from an input of 0 (the default), 1 or `batch` values."""
        n = tf.size(temperature)
        temperature = decode.checked(
            temperature,
            tf.logical_or(n <= 1, tf.equal(n, batch)),
            "temperature must have 0, 1 or batch-size values; got {} for a batch of {}",
            n,
            batch,
        )
        t = tf.cond(
            tf.equal(n, 0),
            lambda: tf.fill([batch], tf.cast(self.default_temperature, tf.float32)),
            lambda: tf.cond(
                tf.equal(n, 1), lambda: tf.fill([batch], tf.reshape(temperature, [-1])[0]), lambda: temperature
            ),
        )
        return decode.checked(
            t, tf.reduce_all(tf.math.is_finite(t) & (t > 0)), "temperature must be positive and finite; got {}", t
        )  # (batch,)

    @staticmethod
    def _check_sketch(sketch):
        """The sketch, once it is known to be non-empty and not too large."""
        shape = tf.shape(sketch)
        sketch = decode.checked(sketch, (shape[1] > 0) & (shape[2] > 0), "empty sketch: shape {}", shape)
        return decode.checked(
            sketch,
            tf.cast(shape[1], tf.int64) * tf.cast(shape[2], tf.int64) <= formats.MAX_PIXELS,
            f"sketch too large: {{}}x{{}} pixels is over the limit of {formats.MAX_PIXELS}",
            shape[1],
            shape[2],
        )

    def _prepare_one(self, image):
        """`(H, W, C)` uint8 sketch, C = 1 (gray) or 3 (RGB) -> (network input
        `(h, w, 1)`, lines `(H, W, 1)`), both uint8."""
        if self.normalize:
            return sketch_normalization.normalize(image, self.sketch_kind)
        gray = image if image.shape[-1] == 1 else decode.to_gray(image)
        return gray, gray

    def _prepare(self, images):
        """`(batch, H, W, C)` uint8 -> (network input `(batch, h, w, 1)`,
        lines `(batch, H, W, 1)`); images of one size give inputs of one size."""
        if not self.normalize and images.shape[-1] == 1:
            return images, images
        return tf.map_fn(
            self._prepare_one,
            images,
            fn_output_signature=(tf.TensorSpec([None, None, 1], tf.uint8), tf.TensorSpec([None, None, 1], tf.uint8)),
        )

    def _color(self, net_input, t, hints=None, palette=None):
        """`(batch, H, W, 1)` network input, `(batch,)` T, hints -> `(batch, th,
        tw, 3)` float32 RGB 0..255 at the trained scale (tiled when long).
        Hints: None, full-size `(hint_rgb, hint_mask)` (`hints_at_scale`), or
        a function of the trained-scale (th, tw) that returns them at it."""
        return self._color_and_evidence(net_input, t, hints, palette)[..., :3]

    def _outputs(self, net_input, t, hints=None, palette=None):
        """The `color` functions' outputs: {"color"}, and with evidence
        {"paper": `(batch, th, tw, 1)` in [0, 1], "chromatic": `(batch, th,
        tw, 3)` RGB 0..255}."""
        out = self._color_and_evidence(net_input, t, hints, palette)
        if not self.evidence:
            return {"color": out}
        return {"color": out[..., :3], "paper": out[..., 3:4] / 255.0, "chromatic": out[..., 4:7]}

    def _color_and_evidence(self, net_input, t, hints=None, palette=None):
        """`_color` with the evidence channels joined (paper mass scaled to 0..255, so one clip serves all)."""
        x = trained_scale.to_trained_scale(net_input, self.image_size)  # (batch, th, tw, 1)
        tiles, layout = trained_scale.split_tiles(x, self.image_size)  # (batch * n, hp, wp, 1)
        n = tf.shape(layout["offsets"])[0]
        if self.guided_head is None:
            rgb = self.head([tiles, tf.repeat(t, n)], training=False)  # (batch * n, h', w', 3)
        else:
            hints = hints or (lambda size: _no_hints(tf.shape(x)[0], size))
            size = tf.shape(x)[1:3]
            hint_color, hint_mask = hints(size) if callable(hints) else hints_at_scale(*hints, size)
            # The tiles of the hints: 255 - 255 * mask, so that split_tiles' white padding means "no hint".
            channels = tf.concat([hint_color, 255.0 * (1.0 - hint_mask)], -1)  # (batch, th, tw, 4)
            hint_tiles = _split_channels(channels, self.image_size)  # (batch * n, hp, wp, 4)
            mask = 1.0 - hint_tiles[..., 3:] / 255.0
            inputs = [tiles, tf.repeat(t, n), hint_tiles[..., :3] * mask, mask]
            if self.palette_size:
                if palette is None:
                    palette = tf.zeros([tf.shape(x)[0], self.palette_size], tf.float32)
                inputs.append(tf.repeat(palette, n, axis=0))  # one palette for every tile of an image
            rgb = self.guided_head(inputs, training=False)
        rgb = tf.cast(rgb, tf.float32)
        if self.evidence:
            rgb = tf.concat([rgb[..., :3], rgb[..., 3:4] * 255.0, rgb[..., 4:]], -1)
        if self.factor > 1:  # as build_colorizer's UpSampling2D (bilinear, half-pixel centres)
            rgb = tf.image.resize(rgb, tf.shape(tiles)[1:3], method="bilinear")  # (batch * n, hp, wp, 3)
        rgb = trained_scale.blend_tiles(rgb, layout, self.image_size)  # (batch, th, tw, 3)
        return tf.clip_by_value(rgb, 0.0, 255.0)

    @staticmethod
    def _sizes(images):
        """Every header checked before anything is decoded: `(batch, 2)` int32
        (height, width) of each image and `(2,)` the largest of each."""
        sizes = tf.map_fn(
            lambda i: decode.header_size(images[i], i, formats.MAX_PIXELS)[0],
            tf.range(tf.shape(images)[0]),
            fn_output_signature=tf.TensorSpec([2], tf.int32),
        )  # (batch, 2)
        top = tf.reduce_max(tf.concat([sizes, tf.zeros([1, 2], tf.int32)], axis=0), axis=0)  # (2,)
        return sizes, top

    @staticmethod
    def _check_hints(hint_rgb, hint_mask, sketch):
        """The hints, once non-empty and matching each other and the sketch's batch."""
        a, b, c = tf.shape(hint_rgb), tf.shape(hint_mask), tf.shape(sketch)
        ok = tf.reduce_all(tf.equal(a[:3], b[:3])) & tf.equal(a[0], c[0]) & (a[1] > 0) & (a[2] > 0)
        message = "hints do not fit the sketch or are empty: hint_rgb {}, hint_mask {}, sketch {}"
        return decode.checked((hint_rgb, hint_mask), ok, message, a, b, c)

    def _one_image(self, data, index, t, top, hint=None, palette=None):
        """One encoded image (its hint layer's bytes, its `(1, num_classes)`
        palette) -> (PNG bytes, RGB padded to `top`)."""
        _, data = decode.header_size(data, index, formats.MAX_PIXELS)
        net_input, lines = self._prepare_one(decode.decode_rgb(data))  # (h, w, 1), (H, W, 1)
        full, net_input, lines = tf.shape(lines)[:2], net_input[tf.newaxis], lines[tf.newaxis]

        def hints(size):  # "" (no hints): zeros at the trained scale, nothing at full size
            layer = lambda: hints_at_scale(*[x[tf.newaxis] for x in decode_hint_layer(hint, full, index)], size)  # noqa: E731
            return tf.cond(tf.strings.length(hint) > 0, layer, lambda: _no_hints(1, size))

        color = self._color(net_input, t, None if hint is None else hints, palette)
        rgb = trained_scale.compose_bilinear(color, lines)[0]  # (H, W, 3) uint8
        shape = tf.shape(rgb)
        padded = tf.pad(rgb, [[0, top[0] - shape[0]], [0, top[1] - shape[1]], [0, 0]])
        return tf.io.encode_png(rgb), padded

    # -- endpoints (graph functions; saved in the SavedModel) ------------------

    @tf.function(autograph=False, input_signature=[_RGB])
    def prepare(self, image):
        """Sketch normalization (`sketch_normalization.normalize`, unless off).

        Args:
            image: `(batch, H, W, 3)` uint8 decoded RGB, alpha on white.

        Returns:
            {"net_input": `(batch, h, w, 1)` uint8 what the network gets (h, w:
            a 256 px short side when normalized), "lines": `(batch, H, W, 1)`
            uint8 the lines multiplied back}.
        """
        net_input, lines = self._prepare(self._check_sketch(image))
        return {"net_input": net_input, "lines": lines}

    @tf.function(autograph=False, input_signature=[_SKETCH, _TEMPERATURE])
    def color(self, sketch, temperature):
        """The color at the trained scale, before it is brought back to full
        size and masked.

        Args:
            sketch: `(batch, H, W, 1)` uint8 network input (already prepared).
            temperature: `(n,)` float32; n = 0: the default, 1: one for the
                batch, batch: one per image.

        Returns:
            {"color": `(batch, th, tw, 3)` float32 RGB 0..255}, (th, tw) =
            `trained_scale.trained_size(H, W)`; for a classification net
            also "paper" `(batch, th, tw, 1)` float32, the probability of
            paper (`annealed_mean.PaperMass`), and "chromatic" `(batch, th,
            tw, 3)`, the annealed mean of the chromatic classes.
        """
        sketch = self._check_sketch(sketch)
        return self._outputs(sketch, self._temperatures(temperature, tf.shape(sketch)[0]))

    @tf.function(
        autograph=False,
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.float32, name="color"),
            tf.TensorSpec([None, None, None, 1], tf.uint8, name="lines"),
        ],
    )
    def compose(self, color, lines):
        """Full-resolution output: bilinear color times lines / 255.

        Args:
            color: `(batch, th, tw, 3)` float32 from `color`.
            lines: `(batch, H, W, 1)` uint8 full-resolution lines.

        Returns:
            {"rgb": `(batch, H, W, 3)` uint8}.
        """
        return {"rgb": trained_scale.compose_bilinear(color, lines)}

    @tf.function(autograph=False, input_signature=[_SKETCH, _TEMPERATURE])
    def colorize_sketch(self, sketch, temperature):
        """prepare -> color -> compose.

        Args:
            sketch: `(batch, H, W, 1)` uint8 decoded gray sketch.
            temperature: as for `color`.

        Returns:
            {"rgb": `(batch, H, W, 3)` uint8}.
        """
        sketch = self._check_sketch(sketch)
        t = self._temperatures(temperature, tf.shape(sketch)[0])
        net_input, lines = self._prepare(sketch)
        return {"rgb": trained_scale.compose_bilinear(self._color(net_input, t), lines)}

    @tf.function(autograph=False, input_signature=[_IMAGES])
    def decode_images(self, images):
        """Encoded PNG/JPEG bytes -> what `colorize_images` colors.

        Args:
            images: `(batch,)` tf.string.

        Returns:
            {"rgb": `(batch, H, W, 3)` uint8 RGB on white, zero-padded to the
            largest image, "size": `(batch, 2)` int32 (height, width) of each}.
        """
        batch = tf.shape(images)[0]
        sizes, top = self._sizes(images)

        def one(i):
            _, data = decode.header_size(images[i], i, formats.MAX_PIXELS)
            rgb = decode.decode_rgb(data)  # (H, W, 3)
            shape = tf.shape(rgb)
            return tf.pad(rgb, [[0, top[0] - shape[0]], [0, top[1] - shape[1]], [0, 0]])

        decoded = tf.cond(
            batch > 0,
            lambda: tf.map_fn(one, tf.range(batch), fn_output_signature=tf.TensorSpec([None, None, 3], tf.uint8)),
            lambda: tf.zeros([0, 0, 0, 3], tf.uint8),
        )
        return {"rgb": decoded, "size": sizes}

    @tf.function(autograph=False, input_signature=[_IMAGES, _TEMPERATURE])
    def colorize_images(self, images, temperature):
        """Encoded bytes in, colored images out (the serving endpoint).

        Every header is checked before anything is decoded.

        Args:
            images: `(batch,)` tf.string, PNG or JPEG of any size.
            temperature: as for `color`.

        Returns:
            {"png": `(batch,)` tf.string, each image colored at its own size;
            "rgb": `(batch, H, W, 3)` uint8, the same pixels zero-padded to
            the largest image; "size": `(batch, 2)` int32 (height, width)}.

        Raises:
            tf.errors.InvalidArgumentError: a bad image ("image I: ...") or
                temperature.
        """
        return self.colorize_images_guided(images, tf.fill(tf.shape(images), ""), temperature)  # (one graph)

    def _colorize_batch(self, images, temperature, hints=None, palette=None):
        """`colorize_images`, with `(batch,)` hint-layer bytes when `hints` is
        given and `(batch, num_classes)` palettes when `palette` is."""
        batch = tf.shape(images)[0]
        t = self._temperatures(temperature, batch)
        sizes, top = self._sizes(images)
        if hints is not None:
            message = "hints must have one hint layer (or an empty string) per image; got {} for {} images"
            hints = decode.checked(hints, tf.equal(tf.size(hints), batch), message, tf.size(hints), batch)
        if palette is not None:
            message = "palette_colors must have one row of colors per image; got {} rows for {} images"
            rows = tf.shape(palette)[0]
            palette = decode.checked(palette, tf.equal(rows, batch), message, rows, batch)

        def run_all():
            # Each image checks its header again: the graph may start decoding
            # image i before the pass above has finished, never before its own.
            return tf.map_fn(
                lambda i: self._one_image(
                    images[i],
                    i,
                    t[i : i + 1],
                    top,
                    None if hints is None else hints[i],
                    None if palette is None else palette[i : i + 1],
                ),
                tf.range(batch),
                fn_output_signature=(tf.TensorSpec([], tf.string), tf.TensorSpec([None, None, 3], tf.uint8)),
            )

        def nothing():  # map_fn cannot stack zero images of unknown shape
            return tf.zeros([0], tf.string), tf.zeros([0, 0, 0, 3], tf.uint8)

        pngs, rgbs = tf.cond(batch > 0, run_all, nothing)
        return {"png": pngs, "rgb": rgbs, "size": sizes}

    @tf.function(autograph=False, input_signature=[_IMAGES])
    def serve(self, images):
        """`colorize_images` at the default temperature (`serving_default`)."""
        return self.colorize_images(images, tf.zeros([0], tf.float32))

    # -- color hints (ignored by a network trained without them) ---------------

    @tf.function(autograph=False, input_signature=[_SKETCH, _TEMPERATURE, _HINT_RGB, _HINT_MASK])
    def color_guided(self, sketch, temperature, hint_rgb, hint_mask):
        """`color` with hints: `hint_rgb` `(batch, H, W, 3)` uint8 RGB and
        `hint_mask` `(batch, H, W, 1)` uint8 (a hint where > 0) at the full
        size of the sketch the input was prepared from (`hints_at_scale`
        brings them to the network's scale and tiles, as the sketch).
        Returns {"color": `(batch, th, tw, 3)` float32 RGB 0..255} (and
        "paper" and "chromatic" as `color`)."""
        sketch = self._check_sketch(sketch)
        hints = self._check_hints(hint_rgb, hint_mask, sketch)
        return self._outputs(sketch, self._temperatures(temperature, tf.shape(sketch)[0]), hints)

    @tf.function(
        autograph=False,
        input_signature=[_SKETCH, _TEMPERATURE, _HINT_RGB, _HINT_MASK, tf.TensorSpec([None, None], tf.float32)],
    )
    def color_palette(self, sketch, temperature, hint_rgb, hint_mask, palette):
        """`color_guided` with a palette (`data.palettes`): `(batch,
        num_classes)` float32 class weights, zeros for none. A core whose
        network has no palette input ignores it (`uses_palette` says which)."""
        sketch = self._check_sketch(sketch)
        hints = self._check_hints(hint_rgb, hint_mask, sketch)
        return self._outputs(sketch, self._temperatures(temperature, tf.shape(sketch)[0]), hints, palette)

    @tf.function(autograph=False, input_signature=[_IMAGES, _HINTS, _TEMPERATURE])
    def colorize_images_guided(self, images, hints, temperature):
        """`colorize_images` with `hints`, `(batch,)` tf.string: an RGBA PNG
        hint layer per image (`decode_hint_layer`), or "" for none. Returns
        what `colorize_images` does; a bad layer is an InvalidArgumentError
        "hints I: ...". The hints reach the network only: hinted regions are
        not flood-filled (no TensorFlow op for it; predict's regions path
        does it with `hint_fill`)."""
        return self._colorize_batch(images, temperature, hints)

    @tf.function(autograph=False, input_signature=[_IMAGES, _HINTS])
    def serve_guided(self, images, hints):
        """`colorize_images_guided` at the default temperature (`guided`)."""
        return self.colorize_images_guided(images, hints, tf.zeros([0], tf.float32))

    @tf.function(autograph=False, input_signature=[_IMAGES, _HINTS, _PALETTE_COLORS, _TEMPERATURE])
    def colorize_images_palette(self, images, hints, palette_colors, temperature):
        """`colorize_images_guided` with a palette of named colors per image:
        `palette_colors` `(batch, n, 3)` uint8 RGB, n >= 0 colors per image
        (n = 0: no palette; repeat a color to give an image fewer), made into
        the network's palette input as `predict --palette` does
        (`palettes.palette_of_colors`). A core whose network has no palette
        input ignores them (`uses_palette` says which)."""
        palette = palettes.palette_of_colors(palette_colors, self.space) if self.palette_size else None
        return self._colorize_batch(images, temperature, hints, palette)

    @tf.function(autograph=False, input_signature=[_IMAGES, _HINTS, _PALETTE_COLORS])
    def serve_palette(self, images, hints, palette_colors):
        """`colorize_images_palette` at the default temperature (`palette`)."""
        return self.colorize_images_palette(images, hints, palette_colors, tf.zeros([0], tf.float32))

    def signatures(self):
        """The SavedModel signatures: name -> concrete function."""
        return {
            "serving_default": self.serve.get_concrete_function(),
            "serving_temperature": self.colorize_images.get_concrete_function(),
            "sketch": self.colorize_sketch.get_concrete_function(),
            "color": self.color.get_concrete_function(),
            "guided": self.serve_guided.get_concrete_function(),
            "palette": self.serve_palette.get_concrete_function(),
        }


def from_run(run_dir, temperature=None, normalize=True, class_colors=None):
    """The `Colorizer` of a trained run directory.

    Args:
        run_dir: a run directory with a config and a trained model.
        temperature: default temperature (the run's config when None).
        normalize: as for `Colorizer`.
        class_colors: the class means to decode to (default: those recorded
            in the run's `decoding.json`, `annealed_mean.recorded_class_colors`;
            none recorded: the bin centres).

    Returns:
        (config, colorizer): the run's `variants.Config` and its `Colorizer`.

    Raises:
        ColorizeError: not a trained run, a bad temperature, or malformed
            class means.
    """
    config, net = trained.load_net(run_dir)
    t = config.temperature if temperature is None else float(temperature)
    if class_colors is None:
        class_colors = annealed_mean.recorded_class_colors(run_dir)
    return config, Colorizer(
        net, config.space, config.image_size, t, config.sketch, normalize, class_colors=class_colors
    )
