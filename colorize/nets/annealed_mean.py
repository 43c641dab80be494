"""AnnealedMean: decodes class logits into RGB colors inside the graph."""

import os

import keras
import numpy as np
from keras import ops

from colorize import runs, variants
from colorize.errors import ColorizeError
from colorize.nets import color, targets

# A temperature at or below this acts as this (the mode, in effect): it keeps
# logits / T finite when a caller feeds T = 0.
MIN_TEMPERATURE = 1e-6


@keras.saving.register_keras_serializable(package="colorize")
class AnnealedMean(keras.layers.Layer):
    """Annealed-mean decoding of Zhang et al. (paper section 4.2).

    `f_T = softmax(logits / T)`, which equals the paper's
    `exp(log z / T) / sum_q exp(log z_q / T)` because `log z` and the logits
    differ by a per-pixel constant. Each channel is the `f_T`-weighted mean of
    the classes' colors; the hue of the "lch" grid is a circular mean (atan2 of
    the weighted sine and cosine). The result is converted to sRGB in the
    graph, with no Python callback, so the layer exports to a SavedModel.

    A class's color is its bin centre (the paper's decoding), or with
    `class_colors` the mean color of the training pixels in it (its class
    mean, `class_means`): a grid of 8 bins per channel is coarse (a hue bin
    spans 45 degrees), and a class's pixels are not spread evenly over it
    (the white class holds the white page, not its centre's cream).

    T = 1 gives the plain expectation, T -> 0 the color of the most likely
    class (the mode), the paper's T (`variants.PAPER_TEMPERATURE`) something
    in between.

    Args:
        space: "rgb" or "lch", the grid of the logits.
        temperature: default T > 0.
        chromatic_only: decode the classes above the lowest chroma bin alone
            (the color of a region decided not to be paper).
        class_colors: optional `(Q, 3)` color of every class on the space's
            0..255 scale (`class_means`); None: the bin centres.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        logits: (batch, h, w, 512) class logits.
        temperature: optional scalar or (batch,) / (batch, 1) tensor that
            overrides the attribute (an exported model takes it as an input).

    Returns:
        (batch, h, w, 3) float32 RGB in [0, 255].

    Raises:
        ColorizeError: `class_colors` is not `(Q, 3)` finite values in 0..255.

    Example:
        >>> rgb = AnnealedMean("lch")(logits)  # (batch, 64, 64, 3)
    """

    def __init__(
        self, space="rgb", temperature=variants.PAPER_TEMPERATURE, chromatic_only=False, class_colors=None, **kwargs
    ):
        # Decoding stays float32 under a mixed-precision policy: logits / T
        # with a small T overflows float16.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.space = color.check_space(space)
        self.chromatic_only = bool(chromatic_only)
        self._gray = (color.chroma_bins(self.space) == 0).astype("float32")  # (Q,)
        self.temperature = variants.check_temperature(temperature)
        self.class_colors = None if class_colors is None else check_class_colors(class_colors)
        colors = color.bin_centers(self.space) if class_colors is None else self.class_colors
        # What the probabilities average: the channels, and for the LCH hue
        # its sine and cosine (a circular mean).
        if self.space == "lch":
            angles = colors[:, 2] * (color.TWO_PI / 255.0)
            colors = np.stack([colors[:, 0], colors[:, 1], np.sin(angles), np.cos(angles)], axis=-1)
        self._table = colors.astype("float32")  # (Q, 3 or 4)

    def call(self, logits, temperature=None):
        logits = ops.cast(logits, "float32")  # (batch, h, w, Q)
        if temperature is None:
            temperature = self.temperature
        t = ops.cast(temperature, "float32")
        if len(t.shape) > 0:
            t = ops.reshape(t, (-1, 1, 1, 1))  # one T per example
        t = ops.maximum(t, MIN_TEMPERATURE)
        if self.chromatic_only:
            logits = logits - ops.convert_to_tensor(self._gray) * GRAY_PENALTY  # the gray classes drop out
        f = ops.softmax(logits / t, axis=-1)  # (batch, h, w, Q)
        mean = ops.matmul(f, ops.convert_to_tensor(self._table))  # (batch, h, w, 3 or 4)
        if self.space == "lch":
            hue = ops.mod(ops.arctan2(mean[..., 2], mean[..., 3]), color.TWO_PI)  # [0, 2 pi)
            mean = ops.stack([mean[..., 0], mean[..., 1], hue * (255.0 / color.TWO_PI)], axis=-1)
        return color.from_scaled(mean, self.space) * 255.0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (3,)

    def get_config(self):
        config = super().get_config()
        config.update({"space": self.space, "temperature": self.temperature, "chromatic_only": self.chromatic_only})
        config["class_colors"] = None if self.class_colors is None else self.class_colors.tolist()
        return config


def check_class_colors(class_colors):
    """`class_colors` as a `(Q, 3)` float64 array.

    Args:
        class_colors: the color of every class on its space's 0..255 scale.

    Returns:
        `(Q, 3)` float64.

    Raises:
        ColorizeError: not `(Q, 3)` finite values in 0..255.
    """
    try:
        colors = np.asarray(class_colors, np.float64)
    except (TypeError, ValueError):
        raise ColorizeError("class colors must be numbers") from None
    if colors.shape != (color.NUM_CLASSES, 3):
        raise ColorizeError(f"class colors must be {color.NUM_CLASSES} rows of 3 values, got shape {colors.shape}")
    if not np.all(np.isfinite(colors)) or colors.min() < 0.0 or colors.max() > 255.0:
        raise ColorizeError("class colors must be finite values in 0..255")
    return colors


CLASS_COLORS = "class_colors"
"""The key of the class means in a model's `decoding.json` (`runs.write_decoding`)."""


def recorded_class_colors(model_dir):
    """The class means recorded beside a model, or None (decode to the bin centres).

    Args:
        model_dir: a run directory, packed model or export.

    Returns:
        `(Q, 3)` float64 on the model's space's 0..255 scale, or None when
        its `decoding.json` records none.

    Raises:
        ColorizeError: recorded but malformed (the message names the file).
    """
    recorded = runs.read_decoding(model_dir).get(CLASS_COLORS)
    if recorded is None:
        return None
    try:
        return check_class_colors(recorded)
    except ColorizeError as e:
        raise ColorizeError(f"{os.path.join(model_dir, runs.DECODING)}: {e}") from None


def class_means(counts, sums, space):
    """Class means from accumulated training pixels (`class_sums`).

    Args:
        counts: `(Q,)` pixels seen in each class.
        sums: `(Q, 4)` sums of their L, C, sin h and cos h ("lch"; hue in
            radians) or `(Q, 3)` of R, G, B ("rgb"), on the 0..255 scale.
        space: "rgb" or "lch".

    Returns:
        `(Q, 3)` float64 on the space's 0..255 scale: each seen class's mean
        (the hue a circular mean), a class never seen its bin centre.
    """
    colors = color.bin_centers(space).astype(np.float64)
    seen = np.asarray(counts) > 0
    sums = np.asarray(sums, np.float64)[seen]
    n = np.asarray(counts, np.float64)[seen, None]
    if color.check_space(space) == "lch":
        hue = np.mod(np.arctan2(sums[:, 2], sums[:, 3]), color.TWO_PI) * (255.0 / color.TWO_PI)
        colors[seen] = np.concatenate([sums[:, :2] / n, hue[:, None]], axis=-1)
    else:
        colors[seen] = sums / n
    return np.clip(colors, 0.0, 255.0)


def class_sums(scaled, space):
    """What `class_means` averages, for some pixels.

    Args:
        scaled: `(..., 3)` pixels on the space's 0..255 scale
            (`color.to_scaled`).
        space: "rgb" or "lch".

    Returns:
        (counts `(Q,)`, sums `(Q, 4)` for "lch" or `(Q, 3)` for "rgb"),
        float64, to add up over many images.
    """
    scaled = np.asarray(scaled, np.float64).reshape(-1, 3)
    q = np.asarray(ops.convert_to_numpy(color.class_index(scaled)), np.int64)
    if color.check_space(space) == "lch":
        angles = scaled[:, 2] * (color.TWO_PI / 255.0)
        values = np.stack([scaled[:, 0], scaled[:, 1], np.sin(angles), np.cos(angles)], axis=-1)
    else:
        values = scaled
    counts = np.bincount(q, minlength=color.NUM_CLASSES).astype(np.float64)
    sums = np.stack([np.bincount(q, v, color.NUM_CLASSES) for v in values.T], axis=-1)
    return counts, sums


# Subtracted from the gray classes' logits by `AnnealedMean(chromatic_only=True)`:
# their probability vanishes (exp(-1e4) is 0 in float32) while the sum stays finite.
GRAY_PENALTY = 1e4


PALETTE_OFF_WEIGHT = 1e-3
"""The probability factor of a class outside a given palette
(`PaletteRestriction`)."""


def palette_neighbours(space):
    """`(Q, Q)` float32 0/1: row p marks the classes a palette class p
    allows (`PaletteRestriction`). In LCH, the classes of p's hue bin whose
    chroma bin is within 1 of p's, at any lightness (a color is shaded
    lighter and darker); in RGB, the classes within 1 bin of p on every
    channel."""
    bins = color.class_bins()  # (Q, 3): b0, b1, b2
    if color.check_space(space) == "lch":
        same_hue = bins[:, None, 2] == bins[None, :, 2]
        near_chroma = np.abs(bins[:, None, 1] - bins[None, :, 1]) <= 1
        return (same_hue & near_chroma).astype("float32")
    return (np.abs(bins[:, None, :] - bins[None, :, :]) <= 1).all(-1).astype("float32")


@keras.saving.register_keras_serializable(package="colorize")
class PaletteRestriction(keras.layers.Layer):
    """Decoding within a palette: the classes a given palette does not allow
    lose all but `PALETTE_OFF_WEIGHT` of their probability before the
    annealed mean (the network already takes the palette as an input; this
    keeps its colors to the user's). A class is allowed when it is near a
    palette class (`palette_neighbours`) or among the grays (the lowest
    chroma bin: white paper, black, gray). An empty palette changes nothing.
    The weights were chosen on validation windows (the hue bin of a palette
    class alone over it and its two neighbours).

    Args:
        space: "rgb" or "lch", the grid of the logits.

    Call arguments:
        inputs: `[logits, palette]`: `(batch, h, w, Q)` class logits and
            `(batch, Q)` palette weights (`data.palettes`; zeros: none).

    Returns:
        `(batch, h, w, Q)` float32 logits.
    """

    def __init__(self, space="rgb", **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.space = color.check_space(space)
        self._neighbours = palette_neighbours(self.space)  # (Q, Q)
        self._gray = (color.chroma_bins(self.space) == 0).astype("float32")  # (Q,)

    def call(self, inputs):
        logits, palette = inputs
        logits = ops.cast(logits, "float32")
        palette = ops.cast(palette, "float32")  # (batch, Q)
        near = ops.matmul(ops.cast(palette > 0, "float32"), ops.convert_to_tensor(self._neighbours))  # (batch, Q)
        allowed = ops.logical_or(near > 0, ops.convert_to_tensor(self._gray) > 0)
        given = ops.sum(palette, axis=-1, keepdims=True) > 0  # (batch, 1)
        keep = ops.logical_or(allowed, ops.logical_not(given))
        penalty = ops.where(keep, 0.0, float(np.log(PALETTE_OFF_WEIGHT)))  # (batch, Q)
        return logits + penalty[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"space": self.space})
        return config


@keras.saving.register_keras_serializable(package="colorize")
class PaperMass(keras.layers.Layer):
    """The probability a cell is paper: the softmax mass (T = 1) of the
    white classes (`targets.white_classes`: the top lightness bin with the
    lowest chroma). All the lowest-chroma classes (white to black through
    the grays) were tried first: a network unsure of a region's hue puts
    mass on the grays, and those regions were taken for paper.

    Pooled over a line-bounded region it decides whether the region is paper
    (`inference.fullres.upsample_regions`): it is linear in the
    probabilities, so the pooled mass is the mean of the cells' masses.

    Args:
        space: "rgb" or "lch", the grid of the logits.

    Call arguments:
        logits: (batch, h, w, 512) class logits.

    Returns:
        (batch, h, w, 1) float32 in [0, 1].
    """

    def __init__(self, space="rgb", **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.space = color.check_space(space)
        self._white = targets.white_classes(self.space).astype("float32")  # (Q,)

    def call(self, logits):
        f = ops.softmax(ops.cast(logits, "float32"), axis=-1)
        return ops.sum(f * ops.convert_to_tensor(self._white), axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (1,)

    def get_config(self):
        config = super().get_config()
        config.update({"space": self.space})
        return config
