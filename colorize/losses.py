"""The paper's losses: regression L2 and (rebalanced) soft cross entropy with
the optional saturation ("chroma") term.

Each loss is a pure per-pixel function plus a thin `keras.losses.Loss`
subclass. The subclasses reduce each example to its mean over pixels before
Keras's reduction, so a per-example `sample_weight` of shape (batch,) weights
examples (Keras would otherwise broadcast it against the image width), and
the default "sum_over_batch_size" reduction gives the mean over all pixels.
All computation is float32, also under a mixed-precision policy.
"""

import keras
import numpy as np
from keras import ops

from colorize import color, targets
from colorize.errors import ColorizeError


def regression_l2(y_true, y_pred):
    """Per-pixel L2 loss on RGB: `1/2 * sum_c ((y_c - y^_c) / 255)^2`.

    Args:
        y_true: (batch, H, W, 3) RGB, 0..255.
        y_pred: (batch, H, W, 3) RGB, 0..255.

    Returns:
        (batch, H, W) float32.
    """
    diff = (ops.cast(y_true, "float32") - ops.cast(y_pred, "float32")) / 255.0
    return 0.5 * ops.sum(ops.square(diff), axis=-1)


def cross_entropy(z_true, logits):
    """Per-pixel soft cross entropy `-sum_q Z_q log softmax(logits)_q`.

    Args:
        z_true: (..., 512) target distributions.
        logits: (..., 512) unnormalized log-probabilities.

    Returns:
        (...) float32.
    """
    log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
    return -ops.sum(ops.cast(z_true, "float32") * log_probs, axis=-1)


def saturation_term(z_true, probs, space):
    """The bounded saturation term `(Z M_sat) . Z^` per pixel.

    With `M_sat[i, j] = [chroma(i) != chroma(j)]` this is the probability that
    a class drawn from the prediction and one drawn from the target have
    different chroma bins: `1 - sum_c Zc_c Z^c_c` with `Zc = Z G` and
    `Z^c = Z^ G` the chroma marginals (`G` the (512, 8) one-hot chroma matrix).
    The marginal form costs 2 x 512 x 8 multiplies per pixel instead of the
    512 x 512 of `Z M_sat`.

    Args:
        z_true: (..., 512) target distributions.
        probs: (..., 512) predicted distributions.
        space: "rgb" or "lch" (see `color.chroma_bins`).

    Returns:
        (...) float32 in [0, 1].
    """
    chroma = color.chroma_bins(space)
    onehot = np.eye(color.NUM_BINS, dtype="float32")[chroma]  # (512, 8)
    onehot = ops.convert_to_tensor(onehot)
    z_chroma = ops.matmul(ops.cast(z_true, "float32"), onehot)  # (..., 8)
    p_chroma = ops.matmul(ops.cast(probs, "float32"), onehot)  # (..., 8)
    return ops.clip(1.0 - ops.sum(z_chroma * p_chroma, axis=-1), 0.0, 1.0)


def soft_cross_entropy(
    y_true, logits, space="rgb", class_weights=None, saturation_weight=0.0
):
    """Per-pixel classification loss of the paper.

    `v(Z) * (-sum_q Z_q log Z^_q + saturation_weight * (Z M_sat) . Z^)` where
    `Z` is the soft encoding of the target resized to the logits' size,
    `Z^ = softmax(logits)` and `v(Z) = class_weights[nearest class]` (1 when
    `class_weights` is None).

    Args:
        y_true: (batch, H, W, 3) RGB color image, 0..255, any resolution
            (typically 4x the logits').
        logits: (batch, h, w, 512).
        space: "rgb" or "lch": the grid the logits are over.
        class_weights: None or (512,) per-class weights (`rebalance_weights`).
        saturation_weight: lambda_mix of the saturation term (0: off).

    Returns:
        (batch, h, w) float32.
    """
    logits = ops.cast(logits, "float32")  # (batch, h, w, Q)
    size = tuple(logits.shape[1:3])
    if not all(isinstance(n, int) for n in size):
        size = tuple(ops.shape(logits)[1:3])
    rgb = targets.resize_colors(y_true, size)  # (batch, h, w, 3)
    scaled = color.to_scaled(rgb / 255.0, space)
    z = targets.soft_encode(scaled, space)  # (batch, h, w, Q)
    loss = cross_entropy(z, logits)  # (batch, h, w)
    if saturation_weight:
        probs = ops.softmax(logits, axis=-1)  # (batch, h, w, Q)
        loss = loss + saturation_weight * saturation_term(z, probs, space)
    if class_weights is not None:
        weights = ops.convert_to_tensor(np.asarray(class_weights, "float32"))
        loss = loss * ops.take(weights, color.class_index(scaled))
    return loss


def _per_example_mean(per_pixel):
    """(batch, h, w) -> (batch,)."""
    return ops.mean(per_pixel, axis=(1, 2))


@keras.saving.register_keras_serializable(package="colorize")
class RegressionL2(keras.losses.Loss):
    """L2 loss of the regression variant, on RGB scaled to [0, 1].

    `loss = mean over pixels of 1/2 * sum_c ((y_c - y^_c) / 255)^2`.

    Args:
        name: loss name.
        reduction: Keras reduction over examples.

    Call arguments:
        y_true: (batch, H, W, 3) RGB color image, 0..255.
        y_pred: (batch, H, W, 3) predicted RGB, 0..255.
    """

    def __init__(self, name="regression_l2", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction, dtype="float32")

    def call(self, y_true, y_pred):
        return _per_example_mean(regression_l2(y_true, y_pred))


@keras.saving.register_keras_serializable(package="colorize")
class SoftCrossEntropy(keras.losses.Loss):
    """Soft cross entropy over the 512 color classes (paper section 3.2).

    `loss = mean over pixels of v(Z) * (-sum_q Z_q log softmax(logits)_q
    + saturation_weight * (Z M_sat) . softmax(logits))`, where `Z` is the
    soft encoding (`targets.soft_encode`) of the target resized to the
    logits' resolution and `v(Z)` the weight of the pixel's nearest class.

    Args:
        space: "rgb" or "lch", the grid of the logits.
        class_weights: None (no rebalancing) or 512 per-class weights
            (`targets.rebalance_weights`).
        saturation_weight: lambda_mix of the saturation term, >= 0.
        name: loss name.
        reduction: Keras reduction over examples.

    Call arguments:
        y_true: (batch, H, W, 3) RGB color image, 0..255.
        y_pred: (batch, h, w, 512) logits.

    Example:
        >>> loss = SoftCrossEntropy("lch", weights, saturation_weight=1.0)
        >>> model.compile(optimizer="adam", loss=loss)
    """

    def __init__(
        self,
        space="rgb",
        class_weights=None,
        saturation_weight=0.0,
        name="soft_cross_entropy",
        reduction="sum_over_batch_size",
    ):
        super().__init__(name=name, reduction=reduction, dtype="float32")
        self.space = color.check_space(space)
        if class_weights is not None:
            class_weights = np.asarray(class_weights, dtype="float32")
            if class_weights.shape != (color.NUM_CLASSES,):
                raise ColorizeError(
                    f"class_weights must have {color.NUM_CLASSES} entries, "
                    f"got shape {class_weights.shape}"
                )
            if not np.all(np.isfinite(class_weights)) or np.any(class_weights < 0):
                raise ColorizeError("class_weights must be finite and >= 0")
        self.class_weights = class_weights
        saturation_weight = float(saturation_weight)
        if not saturation_weight >= 0.0:
            raise ColorizeError(
                f"saturation_weight must be >= 0, got {saturation_weight}"
            )
        self.saturation_weight = saturation_weight

    def call(self, y_true, y_pred):
        return _per_example_mean(
            soft_cross_entropy(
                y_true,
                y_pred,
                space=self.space,
                class_weights=self.class_weights,
                saturation_weight=self.saturation_weight,
            )
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "space": self.space,
                "class_weights": (
                    None
                    if self.class_weights is None
                    else self.class_weights.tolist()
                ),
                "saturation_weight": self.saturation_weight,
            }
        )
        return config


def for_config(config, class_weights=None):
    """The loss of a variant (`variants.Config`), unreduced: one value per
    example, `(batch,)`.

    Args:
        config: the variant's config (`model`, `space`,
            `saturation_weight`).
        class_weights: the 512 rebalancing weights, or None.
    """
    if config.model == "regression":
        return RegressionL2(reduction=None)
    return SoftCrossEntropy(
        space=config.space,
        class_weights=None if class_weights is None else [float(w) for w in class_weights],
        saturation_weight=config.saturation_weight,
        reduction=None,
    )
