"""The paper's two networks, as Keras functional models.

Both take the raw sketch, `(batch, H, W, 1)` with values 0..255 (any dtype),
and normalize it inside the model (the reference code subtracted the sketch
mean, 219), so an exported model takes raw pixels. Both are fully
convolutional: any H, W divisible by 8 works.

- `ClassificationNet` (Zhang et al. style, paper Fig. 5): logits over the 512
  color classes at a quarter of the input resolution (64x64 for 256x256).
- `RegressionUNet` (paper Fig. 4): the same encoder with a U-Net decoder and
  pass-through layers; predicts RGB on a 0..255 scale at full resolution,
  multiplied by sketch / 255 so that the lines mask the colors.
- Color hints (ideepcolor, Zhang et al. 2017): built with `hints=True`,
  either network also takes hint colors `(batch, H, W, 3)` RGB 0..255 and a
  hint mask `(batch, H, W, 1)`, as a dict `{"sketch", "hint_color",
  "hint_mask"}` (`net_inputs`), joined to the normalized sketch at its input.
  Called with a bare sketch, a hinted network gets zero hints and colors
  automatically; `build_guided_colorizer` is `build_colorizer` with hints.
- `color_head` decodes either into unmasked RGB (shared by `build_colorizer`,
  the training-size colorizer, and `colorizer.Colorizer`, the core that
  predict and the SavedModel call); `build_colorizer` wraps it: raw sketch in,
  RGB 0..255 out at the input resolution (decoded, upsampled x4 and masked
  for the classification net).
"""

import keras
from keras import layers

from colorize import variants
from colorize.nets import color
from colorize.nets.annealed_mean import AnnealedMean, PaletteRestriction, PaperMass

SKETCH_MEAN = 219.0
# The names of the networks' inputs (the keys of a hinted network's input dict).
SKETCH = "sketch"
HINT_COLOR = "hint_color"
HINT_MASK = "hint_mask"
PALETTE = "palette"


def _filters(base, width):
    """Channels of a layer whose paper width is `base`, under a width
    multiplier (never fewer than 4)."""
    return max(4, int(round(base * width)))


def _conv(x, filters, name, strides=1, dilation_rate=1, batch_norm=False, sync=False):
    """3x3 conv + ReLU (+ BN after it, as in Zhang et al.'s blocks).

    `sync` synchronizes batch statistics across replicas (TensorFlow only),
    so that every worker keeps the same moving statistics."""
    x = layers.Conv2D(
        filters,
        3,
        strides=strides,
        dilation_rate=dilation_rate,
        padding="same",
        activation="relu",
        name=name,
    )(x)
    if batch_norm:
        x = layers.BatchNormalization(synchronized=sync, name=f"{name}_bn")(x)
    return x


def _encoder(sketch, width, sync, hints=None, palette=None):
    """The shared encoder (conv1-conv7 of Zhang et al.).

    `hints` (hint colors and mask, Keras tensors) are joined to the
    normalized sketch before the first convolution, as ideepcolor joins them
    to its gray input (see `ClassificationNet` for the encoding). `palette`
    (a `(batch, num_classes)` Keras tensor, the global hint) is added to the
    bottleneck after the conv4 block (`_global_hint`).

    Returns the features at 1/8 resolution and the pass-through features at
    full, 1/2 and 1/4 resolution.
    """
    # Normalize raw pixels inside the model: mean 219 as in the reference.
    x = layers.Rescaling(1.0 / 255.0, offset=-SKETCH_MEAN / 255.0, name="normalize")(sketch)
    if hints is not None:
        hint_color, hint_mask = hints
        # RGB 0..255 -> [-1, 1], zeroed where there is no hint (whatever the caller put there).
        c = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="hint_normalize")(hint_color)
        c = layers.Multiply(name="hint_masked")([c, hint_mask])
        x = layers.Concatenate(name="with_hints")([x, c, hint_mask])  # (b, H, W, 1 + 3 + 1)
    x = _conv(x, _filters(64, width), "conv1_1")  # (b, H, W, 64)
    full = x
    x = _conv(x, _filters(64, width), "conv1_2", strides=2, batch_norm=True, sync=sync)  # (b, H/2, W/2, 64)
    half = x
    x = _conv(x, _filters(128, width), "conv2_1")
    x = _conv(x, _filters(128, width), "conv2_2", strides=2, batch_norm=True, sync=sync)  # (b, H/4, W/4, 128)
    quarter = x
    x = _conv(x, _filters(256, width), "conv3_1")
    x = _conv(x, _filters(256, width), "conv3_2")
    x = _conv(x, _filters(256, width), "conv3_3", strides=2, batch_norm=True, sync=sync)  # (b, H/8, W/8, 256)
    # Four blocks of three 512-channel convs; dilation widens the view.
    for block, dilation in zip((4, 5, 6, 7), (1, 2, 2, 1), strict=True):
        for i in (1, 2, 3):
            x = _conv(
                x,
                _filters(512, width),
                f"conv{block}_{i}",
                dilation_rate=dilation,
                batch_norm=(i == 3),
                sync=sync,
            )
        if block == 4 and palette is not None:
            x = _global_hint(x, palette, _filters(512, width))
    return x, (full, half, quarter)  # x: (b, H/8, W/8, 512)


def _global_hint(x, palette, filters):
    """Adds the palette (ideepcolor's global hints) to the bottleneck.

    The palette `(b, Q)` and a flag saying whether one is given (its sum is
    positive) go through a dense layer to one vector per example, added to
    every position of `x` `(b, h, w, filters)`. The layer starts at zero, so
    a network extended with it computes what it computed before
    (`trainer.Trainer.warm_start` from a run without a palette).
    """
    given = layers.Lambda(_palette_given, name="palette_given", dtype="float32")(palette)  # (b, 1)
    joined = layers.Concatenate(name="palette_with_flag", dtype="float32")([palette, given])  # (b, Q + 1)
    vector = layers.Dense(filters, kernel_initializer="zeros", name="global_hint")(joined)  # (b, filters)
    vector = layers.Reshape((1, 1, filters), name="global_hint_map")(vector)
    return layers.Add(name="with_global_hint")([x, vector])


@keras.saving.register_keras_serializable(package="colorize")
def _palette_given(palette):
    """1 where a palette is given (its classes sum to more than 0), else 0: `(b, 1)`."""
    total = keras.ops.sum(keras.ops.cast(palette, "float32"), axis=-1, keepdims=True)
    return keras.ops.cast(total > 0, "float32")


def _sketch_input(name=SKETCH):
    return keras.Input(shape=(None, None, 1), name=name)


def _net_inputs(hints, palette=False, num_classes=color.NUM_CLASSES):
    """The Keras inputs of a network: (model inputs, sketch, hints or None, palette or None)."""
    sketch = _sketch_input()
    if not hints:
        if palette:
            raise ValueError("a palette input needs hints=True")
        return sketch, sketch, None, None
    hint_color = keras.Input(shape=(None, None, 3), name=HINT_COLOR)
    hint_mask = keras.Input(shape=(None, None, 1), name=HINT_MASK)
    inputs = {SKETCH: sketch, HINT_COLOR: hint_color, HINT_MASK: hint_mask}
    palette_input = None
    if palette:
        palette_input = keras.Input(shape=(num_classes,), name=PALETTE)
        inputs[PALETTE] = palette_input
    return inputs, sketch, (hint_color, hint_mask), palette_input


@keras.saving.register_keras_serializable(package="colorize")
class NoHints(layers.Layer):
    """Empty hints shaped like a sketch: what a hinted network gets when it
    is given no hints (it then colors automatically).

    Call arguments:
        sketch: `(batch, H, W, 1)`.

    Returns:
        (hint_color, hint_mask): `(batch, H, W, 3)` and `(batch, H, W, 1)`
        float32 zeros.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, sketch):
        zeros = keras.ops.zeros_like(keras.ops.cast(sketch, "float32"))  # (b, H, W, 1)
        return keras.ops.concatenate([zeros, zeros, zeros], axis=-1), zeros

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3), tuple(input_shape)


@keras.saving.register_keras_serializable(package="colorize")
class NoPalette(layers.Layer):
    """An empty palette: what a network with a palette input gets when it is
    given none (it then chooses its colors itself).

    Args:
        num_classes: the palette's length (the network's color classes).

    Call arguments:
        sketch: `(batch, H, W, 1)`.

    Returns:
        `(batch, num_classes)` float32 zeros.
    """

    def __init__(self, num_classes=color.NUM_CLASSES, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def call(self, sketch):
        zeros = keras.ops.zeros_like(keras.ops.cast(sketch[:, 0, 0, :], "float32"))  # (b, 1)
        return keras.ops.repeat(zeros, self.num_classes, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def uses_hints(net):
    """Whether `net` was built with hint inputs (`hints=True`)."""
    return bool(getattr(net, "hints", False))


def uses_palette(net):
    """Whether `net` was built with a palette input (`palette=True`)."""
    return bool(getattr(net, "palette", False))


def net_inputs(net, sketch, hint_color=None, hint_mask=None, palette=None):
    """What to call `net` with: the sketch alone for a network without
    hints, else the dict of its inputs (zero hints and an empty palette
    when none are given).

    Args:
        net: a `ClassificationNet` or `RegressionUNet`.
        sketch: `(batch, H, W, 1)` raw sketch 0..255 (a tensor or Keras tensor).
        hint_color: `(batch, H, W, 3)` hint RGB 0..255, or None.
        hint_mask: `(batch, H, W, 1)` 1 where a hint is given, or None.
        palette: `(batch, num_classes)` palette class weights (`palettes`),
            or None; ignored by a network without a palette input.

    Returns:
        `sketch`, or `{"sketch", "hint_color", "hint_mask"}` (and
        `"palette"` for a network with a palette input).

    Raises:
        ValueError: hints given to a network without hint inputs, or only
            one of `hint_color` and `hint_mask`.
    """
    given = (hint_color is not None, hint_mask is not None)
    if given[0] != given[1]:
        raise ValueError("give both hint_color and hint_mask, or neither")
    if not uses_hints(net):
        if given[0]:
            raise ValueError(f"{net.name} was built without hint inputs (hints=False)")
        return sketch
    if not given[0]:
        if not (keras.ops.is_tensor(sketch) or isinstance(sketch, keras.KerasTensor)):
            sketch = keras.ops.convert_to_tensor(sketch)  # Keras refuses dicts of arrays mixed with tensors
        hint_color, hint_mask = NoHints()(sketch)
    inputs = {SKETCH: sketch, HINT_COLOR: hint_color, HINT_MASK: hint_mask}
    if uses_palette(net):
        if palette is None:
            if not (keras.ops.is_tensor(sketch) or isinstance(sketch, keras.KerasTensor)):
                sketch = keras.ops.convert_to_tensor(sketch)
            palette = NoPalette(net.num_classes)(sketch)
        inputs[PALETTE] = palette
    return inputs


class _ColorNet(keras.Model):
    """What both networks share: their hint inputs are optional.

    A network built with `hints=True` takes `{"sketch", "hint_color",
    "hint_mask"}`; called with a bare sketch, it gets zero hints (and colors
    automatically), so every caller that passes only a sketch keeps working.
    """

    def __call__(self, inputs, *args, **kwargs):
        if getattr(self, "hints", False) and not isinstance(inputs, dict):
            inputs = net_inputs(self, inputs)
        elif uses_palette(self) and PALETTE not in inputs:
            inputs = net_inputs(self, inputs[SKETCH], inputs[HINT_COLOR], inputs[HINT_MASK])
        return super().__call__(inputs, *args, **kwargs)


@keras.saving.register_keras_serializable(package="colorize")
class ClassificationNet(_ColorNet):
    """Zhang et al.'s colorization network with 512 color classes.

    With `hints=True` it also takes color hints, joined to the normalized
    sketch at its input as ideepcolor (Zhang et al. 2017) joins them: three
    hint-color channels and the mask, so the first convolution sees
    (sketch, hint R, G, B, mask). Hint colors are encoded as RGB scaled to
    [-1, 1] and multiplied by the mask (0 where no hint is given, which the
    mask tells apart from mid-gray). RGB rather than the variant's color
    space: the hint a user paints is RGB, the same input then serves all five
    variants and every entry point (one hint layer, one SavedModel
    signature), and RGB has no wrap-around, unlike the LCH hue (0 and 2 pi
    are the same color). Hints change only the first convolution's kernel
    (4 more input channels); `hints=False` is the paper's network, parameter
    for parameter.

    Args:
        width: channel multiplier; 1.0 is the paper's network.
        num_classes: number of color classes (8 bins per channel: 512).
        sync_batch_norm: synchronize batch-norm statistics across replicas
            (multi-replica training, TensorFlow backend only).
        hints: take hint inputs besides the sketch.
        palette: also take a palette, ideepcolor's global hints (needs
            `hints=True`): `(batch, num_classes)` weights of the color
            classes the picture should use (`palettes`), all zero for none,
            added to the bottleneck after the conv4 block.

    Call arguments:
        inputs: the sketch, `(batch, H, W, 1)` raw pixels 0..255 with H and
            W divisible by 8; or, for `hints=True`, a dict of it (`"sketch"`),
            `"hint_color"` `(batch, H, W, 3)` RGB 0..255 and `"hint_mask"`
            `(batch, H, W, 1)`, 1 where a hint is given, else 0 (and
            `"palette"` for `palette=True`; a missing one means none). A bare
            sketch given to a hinted network means no hints.

    Returns:
        Logits `(batch, H/4, W/4, num_classes)`, float32.

    Example:
        >>> net = ClassificationNet(width=0.125)
        >>> net(np.zeros((1, 64, 64, 1))).shape
        (1, 16, 16, 512)

    Reference:
        Zhang, Isola, Efros, "Colorful Image Colorization", ECCV 2016;
        Inoue, "Line Drawing Colorization", Fig. 5.
    """

    def __init__(
        self, width=1.0, num_classes=color.NUM_CLASSES, sync_batch_norm=False, hints=False, palette=False, **kwargs
    ):
        inputs, sketch, hint_inputs, palette_input = _net_inputs(hints, palette, num_classes)
        x, _ = _encoder(sketch, width, sync_batch_norm, hint_inputs, palette_input)
        x = layers.Conv2DTranspose(
            _filters(256, width), 4, strides=2, padding="same", activation="relu", name="conv8_1"
        )(x)  # (b, H/4, W/4, 256)
        x = _conv(x, _filters(256, width), "conv8_2")
        x = _conv(x, _filters(256, width), "conv8_3")
        # Logits stay float32 under a mixed-precision policy.
        logits = layers.Conv2D(num_classes, 1, name="logits", dtype="float32")(x)
        super().__init__(inputs=inputs, outputs=logits, **kwargs)
        self.width = width
        self.num_classes = num_classes
        self.sync_batch_norm = sync_batch_norm
        self.hints = hints
        self.palette = palette

    def get_config(self):
        return {
            "width": self.width,
            "num_classes": self.num_classes,
            "sync_batch_norm": self.sync_batch_norm,
            "hints": self.hints,
            "palette": self.palette,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="colorize")
class RegressionUNet(_ColorNet):
    """The paper's regression model: Zhang's encoder with a U-Net decoder.

    Transpose convolutions go back up to 256, 128 and 64 channels, each
    concatenated with the encoder layer of the same size (pass-through
    layers), then convs of 32 (+BN), 16 (+BN) and 3 channels. The prediction
    is multiplied by sketch / 255.

    Hints (`hints=True`) and the palette (`palette=True`) are taken as by
    `ClassificationNet`.

    Args:
        width: channel multiplier; 1.0 is the paper's network.
        sync_batch_norm: synchronize batch-norm statistics across replicas
            (multi-replica training, TensorFlow backend only).
        hints: take hint inputs besides the sketch.
        palette: also take a palette (needs `hints=True`).

    Call arguments:
        inputs: the sketch, `(batch, H, W, 1)` raw pixels 0..255 with H and
            W divisible by 8, or, for `hints=True`, the dict of it and the
            hints (see `ClassificationNet`).

    Returns:
        RGB `(batch, H, W, 3)` on a 0..255 scale (not clipped), float32.

    Reference:
        Inoue, "Line Drawing Colorization", Fig. 4; Ronneberger et al.,
        "U-Net", MICCAI 2015.
    """

    def __init__(self, width=1.0, sync_batch_norm=False, hints=False, palette=False, **kwargs):
        inputs, sketch, hint_inputs, palette_input = _net_inputs(hints, palette)
        x, (full, half, quarter) = _encoder(sketch, width, sync_batch_norm, hint_inputs, palette_input)
        for filters, skip, name in ((256, quarter, "up1"), (128, half, "up2"), (64, full, "up3")):
            x = layers.Conv2DTranspose(
                _filters(filters, width), 4, strides=2, padding="same", activation="relu", name=name
            )(x)
            x = layers.Concatenate(name=f"{name}_skip")([x, skip])
        x = _conv(x, _filters(32, width), "conv9_1", batch_norm=True, sync=sync_batch_norm)
        x = _conv(x, _filters(16, width), "conv9_2", batch_norm=True, sync=sync_batch_norm)
        # Linear last layer (as in the paper) predicting in unit scale
        # around mid-gray; 0..255 is recovered by an affine map.
        x = layers.Conv2D(3, 3, padding="same", name="rgb", dtype="float32")(x)
        rgb = layers.Rescaling(127.5, offset=127.5, name="to_255", dtype="float32")(x)
        rgb = _mask(rgb, sketch)
        super().__init__(inputs=inputs, outputs=rgb, **kwargs)
        self.width = width
        self.sync_batch_norm = sync_batch_norm
        self.hints = hints
        self.palette = palette
        self.num_classes = color.NUM_CLASSES  # the palette's length

    def get_config(self):
        return {
            "width": self.width,
            "sync_batch_norm": self.sync_batch_norm,
            "hints": self.hints,
            "palette": self.palette,
            "name": self.name,
        }


def _mask(rgb, sketch):
    """Multiplies colors by sketch / 255: the paper's merge of the input."""
    mask = layers.Rescaling(1.0 / 255.0, name="sketch_mask", dtype="float32")(sketch)
    return layers.Multiply(name="masked", dtype="float32")([rgb, mask])  # (b, H, W, 3)


def build_net(kind, width=1.0, sync_batch_norm=False, name=None, hints=False, palette=False):
    """Builds the training network of a variant.

    Args:
        kind: `"regression"` or `"classification"`.
        width: channel multiplier; 1.0 is the paper's network.
        sync_batch_norm: synchronize batch-norm statistics across replicas.
        name: the model's name (default: after its kind).
        hints: take hint inputs besides the sketch.
        palette: also take a palette (global hints; needs `hints`).

    Returns:
        A `RegressionUNet` or `ClassificationNet`.

    Raises:
        ValueError: an unknown kind.
    """
    common = dict(width=width, sync_batch_norm=sync_batch_norm, hints=hints, palette=palette)
    if kind == "regression":
        return RegressionUNet(**common, name=name or "regression_unet")
    if kind == "classification":
        return ClassificationNet(**common, name=name or "classification_net")
    raise ValueError(f"unknown model kind {kind!r}; expected 'regression' or 'classification'")


EVIDENCE_CHANNELS = ("paper", "chromatic")
"""What `color_head(..., evidence=True)` joins to the color: channel 3 the
paper mass, channels 4-6 the chromatic annealed mean (RGB 0..255)."""

UNMASKED_REGRESSION_LAYER = "to_255"
"""The `RegressionUNet` layer whose output is its color before the sketch
multiplies it."""


def color_head(
    net,
    sketch,
    space="rgb",
    temperature=variants.PAPER_TEMPERATURE,
    temperature_input=None,
    hint_color=None,
    hint_mask=None,
    palette=None,
    evidence=False,
    class_colors=None,
):
    """The unmasked color a network predicts.

    The one decoding shared by `build_colorizer` (training validation and
    evaluation) and `colorizer.Colorizer` (predict and the SavedModel): for a
    `ClassificationNet`, the annealed mean of its logits
    (`annealed_mean.AnnealedMean`) at a quarter of the input resolution, which the
    caller upsamples x4 bilinearly; for a `RegressionUNet`, its color before
    its own sketch multiplication (the `to_255` layer), at the input
    resolution. Either way the caller masks the lines in once, at whatever
    resolution it outputs.

    Args:
        net: a `ClassificationNet` or `RegressionUNet`.
        sketch: `(batch, H, W, 1)` Keras tensor, raw sketch 0..255, H and W
            divisible by 8.
        space: color space of the classes (`"rgb"` or `"lch"`).
        temperature: default annealed-mean temperature T.
        temperature_input: optional `(batch,)` Keras tensor that overrides
            `temperature` per example.
        hint_color, hint_mask: optional Keras tensors, `(batch, H, W, 3)`
            hint RGB 0..255 and `(batch, H, W, 1)` mask, for a network built
            with hints (`net_inputs`; none given: zero hints).
        palette: optional `(batch, num_classes)` Keras tensor for a network
            with a palette input (none given: no palette); the classification
            net's decoding then keeps to it (`PaletteRestriction`).
        evidence: for a `ClassificationNet`, also return what region
            decisions pool (`EVIDENCE_CHANNELS`): the paper mass
            (`PaperMass`, of the logits before any palette restriction)
            and the annealed mean of the chromatic classes, joined to the
            color as 4 more channels.
        class_colors: optional `(Q, 3)` class means a classification net's
            annealed mean decodes to (`annealed_mean.class_means`, recorded
            in the model's `decoding.json`); None: the bin centres.

    Returns:
        (rgb, factor): rgb is a `(batch, H / factor, W / factor, 3)` float32
        Keras tensor, RGB on a 0..255 scale (not clipped, not masked); factor
        is 4 for the classification net, 1 for the U-Net.

    Raises:
        TypeError: `net` is neither network.
    """
    inputs = net_inputs(net, sketch, hint_color, hint_mask, palette)
    if isinstance(net, ClassificationNet):
        decode = AnnealedMean(space=space, temperature=temperature, class_colors=class_colors, name="annealed_mean")
        logits = raw = net(inputs)  # (batch, H/4, W/4, Q)
        if palette is not None and uses_palette(net):  # decoded within the palette given
            logits = PaletteRestriction(space=space, name="palette_restriction")([logits, palette])
        rgb = decode(logits) if temperature_input is None else decode(logits, temperature=temperature_input)
        if evidence:
            chromatic = AnnealedMean(
                space=space,
                temperature=temperature,
                chromatic_only=True,
                class_colors=class_colors,
                name="chromatic_mean",
            )
            if temperature_input is None:
                chroma = chromatic(logits)
            else:
                chroma = chromatic(logits, temperature=temperature_input)
            # Paper is decided before the palette restriction: a palette says which colors, not where the
            # page is (restricted, a shape the network saw in a color the palette lacks decoded as paper).
            paper = PaperMass(space=space, name="paper_mass")(raw)
            rgb = layers.Concatenate(name="with_evidence", dtype="float32")([rgb, paper, chroma])  # (b, h, w, 7)
        return rgb, 4
    if isinstance(net, RegressionUNet):
        unmasked = keras.Model(net.input, net.get_layer(UNMASKED_REGRESSION_LAYER).output, name="unmasked_unet")
        return unmasked(inputs), 1  # (batch, H, W, 3)
    raise TypeError(f"expected a ClassificationNet or RegressionUNet, got {type(net).__name__}")


def build_colorizer(net, space="rgb", temperature=variants.PAPER_TEMPERATURE, class_colors=None):
    """The model a user calls at the training size: raw sketch in, colored image out.

    `color_head` (the annealed mean for a `ClassificationNet`, upsampled x4
    bilinearly; the unmasked U-Net color for a `RegressionUNet`), multiplied
    by sketch / 255 and clipped to 0..255. Sketches of any size and files go
    through `colorizer.Colorizer`, which shares `color_head`.

    Args:
        net: a `ClassificationNet` or `RegressionUNet`.
        space: color space of the classes (`"rgb"` or `"lch"`).
        temperature: annealed-mean temperature T.
        class_colors: optional class means to decode to (`color_head`).

    Returns:
        A functional model `(batch, H, W, 1)` raw sketch ->
        `(batch, H, W, 3)` float32 RGB in [0, 255].

    Raises:
        TypeError: `net` is neither network.
    """
    sketch = _sketch_input()
    rgb, factor = color_head(net, sketch, space, temperature, class_colors=class_colors)
    if factor > 1:
        rgb = layers.UpSampling2D(factor, interpolation="bilinear", name="upsample", dtype="float32")(rgb)
    rgb = layers.Activation(lambda_clip_255, name="clip", dtype="float32")(_mask(rgb, sketch))
    return keras.Model(sketch, rgb, name="colorizer")


def build_guided_colorizer(net, space="rgb", temperature=variants.PAPER_TEMPERATURE, class_colors=None):
    """`build_colorizer` with color hints: sketch and hints in, colored image out.

    Args:
        net: a `ClassificationNet` or `RegressionUNet` built with `hints=True`.
        space: color space of the classes (`"rgb"` or `"lch"`).
        temperature: annealed-mean temperature T.
        class_colors: optional class means to decode to (`color_head`).

    Returns:
        A functional model taking `{"sketch": (batch, H, W, 1) raw 0..255,
        "hint_color": (batch, H, W, 3) RGB 0..255, "hint_mask": (batch, H,
        W, 1) in {0, 1}}` (and `"palette": (batch, num_classes)` for a
        network with a palette input) and returning `(batch, H, W, 3)` float32 RGB in
        [0, 255], decoded, upsampled, masked and clipped as `build_colorizer`.

    Raises:
        ValueError: `net` has no hint inputs.
        TypeError: `net` is neither network.
    """
    if not uses_hints(net):
        raise ValueError(f"{net.name} was built without hint inputs (hints=False)")
    inputs, sketch, (hint_color, hint_mask), palette = _net_inputs(
        hints=True, palette=uses_palette(net), num_classes=getattr(net, "num_classes", color.NUM_CLASSES)
    )
    rgb, factor = color_head(
        net,
        sketch,
        space,
        temperature,
        hint_color=hint_color,
        hint_mask=hint_mask,
        palette=palette,
        class_colors=class_colors,
    )
    if factor > 1:
        rgb = layers.UpSampling2D(factor, interpolation="bilinear", name="upsample", dtype="float32")(rgb)
    rgb = layers.Activation(lambda_clip_255, name="clip", dtype="float32")(_mask(rgb, sketch))
    return keras.Model(inputs, rgb, name="guided_colorizer")


@keras.saving.register_keras_serializable(package="colorize")
def lambda_clip_255(x):
    """Clips to the displayable range 0..255."""
    return keras.ops.clip(x, 0.0, 255.0)
