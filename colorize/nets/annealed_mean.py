"""AnnealedMean: decodes class logits into RGB colors inside the graph."""

import keras
import numpy as np
from keras import ops

from colorize import variants
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
    the bin centres; the hue of the "lch" grid is a circular mean (atan2 of
    the weighted sine and cosine). The result is converted to sRGB in the
    graph, with no Python callback, so the layer exports to a SavedModel.

    T = 1 gives the plain expectation, T -> 0 the centre of the most likely
    class (the mode), the paper's T (`variants.PAPER_TEMPERATURE`) something
    in between.

    Args:
        space: "rgb" or "lch", the grid of the logits.
        temperature: default T > 0.
        **kwargs: passed to `keras.layers.Layer`.

    Call arguments:
        logits: (batch, h, w, 512) class logits.
        temperature: optional scalar or (batch,) / (batch, 1) tensor that
            overrides the attribute (an exported model takes it as an input).

    Returns:
        (batch, h, w, 3) float32 RGB in [0, 255].

    Example:
        >>> rgb = AnnealedMean("lch")(logits)  # (batch, 64, 64, 3)
    """

    def __init__(self, space="rgb", temperature=variants.PAPER_TEMPERATURE, chromatic_only=False, **kwargs):
        # Decoding stays float32 under a mixed-precision policy: logits / T
        # with a small T overflows float16.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.space = color.check_space(space)
        # chromatic_only: the annealed mean of the classes above the lowest
        # chroma bin alone (the color of a region decided not to be paper).
        self.chromatic_only = bool(chromatic_only)
        self._gray = (color.chroma_bins(self.space) == 0).astype("float32")  # (Q,)
        self.temperature = variants.check_temperature(temperature)
        # Per-channel bin centres on the 0..255 scale, and the hue centres as
        # angles (the same centres the scale maps to radians).
        centres = (np.arange(color.NUM_BINS) + 0.5) * color.BIN_WIDTH
        self._centres = centres.astype("float32")  # (8,)
        self._angles = (centres * color.TWO_PI / 255.0).astype("float32")  # (8,)

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
        # Class q = b0 + 8 b1 + 64 b2 is (b2, b1, b0) in row-major order.
        leading = tuple(ops.shape(f)[:-1])
        cube = ops.reshape(f, leading + (color.NUM_BINS,) * 3)  # (..., b2, b1, b0)
        marginals = [
            ops.sum(cube, axis=(-3, -2)),  # (batch, h, w, 8) over b0
            ops.sum(cube, axis=(-3, -1)),  # over b1
            ops.sum(cube, axis=(-2, -1)),  # over b2
        ]
        centres = ops.convert_to_tensor(self._centres)
        channels = [ops.sum(m * centres, axis=-1) for m in marginals[:2]]
        if self.space == "lch":
            angles = ops.convert_to_tensor(self._angles)
            sin = ops.sum(marginals[2] * ops.sin(angles), axis=-1)
            cos = ops.sum(marginals[2] * ops.cos(angles), axis=-1)
            hue = ops.mod(ops.arctan2(sin, cos), color.TWO_PI)  # [0, 2 pi)
            channels.append(hue * (255.0 / color.TWO_PI))
        else:
            channels.append(ops.sum(marginals[2] * centres, axis=-1))
        scaled = ops.stack(channels, axis=-1)  # (batch, h, w, 3)
        return color.from_scaled(scaled, self.space) * 255.0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (3,)

    def get_config(self):
        config = super().get_config()
        config.update({"space": self.space, "temperature": self.temperature, "chromatic_only": self.chromatic_only})
        return config


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
