"""The paper's losses: regression L2 and (rebalanced) soft cross entropy with
the optional saturation ("chroma") term.

Each loss is a pure per-pixel function plus a thin `keras.losses.Loss`
subclass. The subclasses reduce each example to its mean over pixels before
Keras's reduction, so a per-example `sample_weight` of shape (batch,) weights
examples (Keras would otherwise broadcast it against the image width), and
the default "sum_over_batch_size" reduction gives the mean over all pixels.
All computation is float32, also under a mixed-precision policy.

The classification loss works from the three 8-bin factors of the soft
target (`targets.soft_factors`) and never forms the (batch, h, w, 512)
target: the cross entropy is `logsumexp - <Z, logits>` with `<Z, logits>`
contracted one channel at a time, the saturation term needs only the chroma
marginals, and the gradient is written out (`factored_cross_entropy`).
`materialized_soft_cross_entropy` is the direct form it is tested against.
"""

import keras
import numpy as np
from keras import ops

from colorize.errors import ColorizeError
from colorize.nets import color, targets


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
    onehot = ops.convert_to_tensor(_chroma_onehot(space))  # (512, 8)
    z_chroma = ops.matmul(ops.cast(z_true, "float32"), onehot)  # (..., 8)
    p_chroma = ops.matmul(ops.cast(probs, "float32"), onehot)  # (..., 8)
    return ops.clip(1.0 - ops.sum(z_chroma * p_chroma, axis=-1), 0.0, 1.0)


def _target_size(logits):
    """(h, w) of (batch, h, w, Q) logits: ints, or scalar tensors in a graph
    whose spatial size is unknown."""
    size = tuple(logits.shape[1:3])
    if not all(isinstance(n, int) for n in size):
        size = tuple(ops.shape(logits)[1:3])
    return size


def _contract(logits, factors):
    """`<Z, logits>` per pixel from the factors of `Z`, never forming `Z`.

    `sum_{b2, b1, b0} u2[b2] u1[b1] u0[b0] logits[b0 + 8 b1 + 64 b2]`,
    contracted one channel at a time (512 + 64 + 8 multiply-adds per pixel).

    Args:
        logits: (P, 512) float32.
        factors: (P, 3, 8) float32 (`targets.channel_factors`).

    Returns:
        (P,) float32.
    """
    n = color.NUM_BINS
    x = ops.reshape(logits, (-1, n * n, n))  # (P, b2 b1, b0)
    x = ops.matmul(x, factors[:, 0, :, None])  # (P, 64, 1)
    x = ops.matmul(ops.reshape(x, (-1, n, n)), factors[:, 1, :, None])  # (P, b2, 1)
    return ops.sum(x[:, :, 0] * factors[:, 2, :], axis=-1)


def _chroma_onehot(space):
    """(512, 8) float32 NumPy: row q is the one-hot chroma bin of class q."""
    return np.eye(color.NUM_BINS, dtype="float32")[color.chroma_bins(space)]


def _chroma_marginals(probs, factors, space):
    """Chroma marginals of the target and of the prediction.

    The prediction's is `Z^ G` with `G` the (512, 8) one-hot chroma table (a
    matrix product: cheaper here than a strided sum over two axes). In
    "lch" the chroma is channel 1, so the target's marginal is the factor
    `u1`; in "rgb" a class's chroma bin depends on all three channels
    (`color.chroma_bins`), and the target's marginal is the contraction of
    the three factors with `G` reshaped to (8, 8, 8, 8).

    Args:
        probs: (P, 512) predicted distributions.
        factors: (P, 3, 8) target factors.
        space: "rgb" or "lch".

    Returns:
        (target, predicted): (P, 8) float32 each.
    """
    n = color.NUM_BINS
    onehot = _chroma_onehot(space)  # (512, 8)
    predicted = ops.matmul(probs, ops.convert_to_tensor(onehot))  # (P, 8)
    if space == "lch":
        return factors[:, 1, :], predicted
    table = ops.convert_to_tensor(onehot.reshape(n, n * n * n))  # (b2, b1 b0 c)
    x = ops.reshape(ops.matmul(factors[:, 2, :], table), (-1, n, n * n))  # (P, b1, b0 c)
    x = ops.reshape(ops.matmul(factors[:, 1, None, :], x), (-1, n, n))  # (P, b0, c)
    target = ops.matmul(factors[:, 0, None, :], x)[:, 0, :]  # (P, 8)
    return target, predicted


def factored_cross_entropy(logits, factors, space="rgb", saturation_weight=0.0):
    """Per-pixel `-sum_q Z_q log Z^_q + saturation_weight * (Z M_sat) . Z^`
    from the factors of the soft target `Z`, never forming `Z`.

    `Z^ = softmax(logits)`. The cross entropy is `logsumexp(logits) -
    <Z, logits>` (Z sums to 1), with the second term contracted one channel
    at a time (`_contract`); the saturation term is `1 - <Zc, Z^c>` with the
    chroma marginals `Zc`, `Z^c` (`_chroma_marginals`). The gradient is
    written out, `d/dlogits = Z^ * (1 + lambda (S - Zc[chroma])) - Z` with
    `S = <Zc, Z^c>` (the clip of `1 - S` to [0, 1] only guards rounding, so
    it has no gradient of its own): three 512-wide products in the backward
    pass instead of autodiff's chain through the log-softmax, the target and
    the sums. Value and gradient equal the materialized form
    (`cross_entropy`, `saturation_term` of `targets.soft_encode`) to float32
    rounding. The forward pass makes one 512-wide tensor, the softmax.

    Args:
        logits: (..., 512) unnormalized log-probabilities.
        factors: (..., 3, 8) target factors (`targets.soft_factors`).
        space: "rgb" or "lch": the grid of the logits (the chroma bins).
        saturation_weight: lambda_mix of the saturation term (0: off).

    Returns:
        (...) float32.
    """
    color.check_space(space)
    lam = float(saturation_weight)
    n, q = color.NUM_BINS, color.NUM_CLASSES
    leading = tuple(ops.shape(logits)[:-1])
    logits = ops.reshape(ops.cast(logits, "float32"), (-1, q))  # (P, Q)
    factors = ops.reshape(ops.cast(factors, "float32"), (-1, 3, n))  # (P, 3, 8)
    chroma = color.chroma_bins(space)

    @ops.custom_gradient
    def loss(logits, factors):
        probs = ops.softmax(logits, axis=-1)  # (P, Q)
        # softmax(x)_max = exp(max - logsumexp): logsumexp from two reductions.
        lse = ops.max(logits, axis=-1) - ops.log(ops.max(probs, axis=-1))  # (P,)
        per_pixel = lse - _contract(logits, factors)
        if lam:
            target_c, pred_c = _chroma_marginals(probs, factors, space)  # (P, 8) each
            same = ops.sum(target_c * pred_c, axis=-1)  # (P,) S
            per_pixel = per_pixel + lam * ops.clip(1.0 - same, 0.0, 1.0)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            g = ops.cast(upstream, "float32")[:, None]  # (P, 1)
            u0, u1, u2 = factors[:, 0, :], factors[:, 1, :], factors[:, 2, :]
            # g Z, built as (8) x (8 x 8): one 512-wide product, not two.
            z = (u2 * g)[:, :, None, None] * (u1[:, :, None] * u0[:, None, :])[:, None]  # (P, b2, b1, b0)
            cube = ops.reshape(probs, (-1, n, n, n))  # (P, b2, b1, b0)
            if not lam:
                coef = g[:, :, None, None]
            elif space == "lch":
                coef = (g * (1.0 + lam * (same[:, None] - u1)))[:, None, :, None]  # (P, 1, b1, 1)
            else:
                target_at = ops.take(target_c, ops.convert_to_tensor(chroma), axis=1)  # (P, Q): Zc[chroma(q)]
                coef = ops.reshape(g * (1.0 + lam * (same[:, None] - target_at)), (-1, n, n, n))
            d_logits = ops.reshape(cube * coef - z, (-1, q))  # (P, Q)
            return d_logits, ops.zeros_like(factors)

        return per_pixel, grad

    return ops.reshape(loss(logits, factors), leading)


def soft_cross_entropy(y_true, logits, space="rgb", class_weights=None, saturation_weight=0.0):
    """Per-pixel classification loss of the paper, from the factored targets.

    `v(Z) * (-sum_q Z_q log Z^_q + saturation_weight * (Z M_sat) . Z^)` where
    `Z` is the soft encoding of the target resized to the logits' size,
    `Z^ = softmax(logits)` and `v(Z) = class_weights[nearest class]` (1 when
    `class_weights` is None). Computed from the three 8-bin factors of `Z`
    (`targets.soft_factors`, `factored_cross_entropy`); equal to
    `materialized_soft_cross_entropy`, which forms the (batch, h, w, 512)
    targets.

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
    target = targets.soft_factors(y_true, space, size=_target_size(logits))
    loss = factored_cross_entropy(logits, target.factors, space, saturation_weight)  # (batch, h, w)
    if class_weights is not None:
        weights = ops.convert_to_tensor(np.asarray(class_weights, "float32"))
        loss = loss * ops.take(weights, target.classes)
    return loss


def materialized_soft_cross_entropy(y_true, logits, space="rgb", class_weights=None, saturation_weight=0.0):
    """`soft_cross_entropy` the direct way, forming the (batch, h, w, 512)
    soft targets (`targets.encode_colors`): the definition the factored form
    is tested against, and the cost it saves.

    Args:
        y_true: (batch, H, W, 3) RGB color image, 0..255.
        logits: (batch, h, w, 512).
        space: "rgb" or "lch".
        class_weights: None or (512,) per-class weights.
        saturation_weight: lambda_mix of the saturation term (0: off).

    Returns:
        (batch, h, w) float32.
    """
    logits = ops.cast(logits, "float32")  # (batch, h, w, Q)
    rgb = targets.resize_colors(y_true, _target_size(logits))  # (batch, h, w, 3)
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
                    f"class_weights must have {color.NUM_CLASSES} entries, got shape {class_weights.shape}"
                )
            if not np.all(np.isfinite(class_weights)) or np.any(class_weights < 0):
                raise ColorizeError("class_weights must be finite and >= 0")
        self.class_weights = class_weights
        saturation_weight = float(saturation_weight)
        if not saturation_weight >= 0.0:
            raise ColorizeError(f"saturation_weight must be >= 0, got {saturation_weight}")
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
                "class_weights": (None if self.class_weights is None else self.class_weights.tolist()),
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
