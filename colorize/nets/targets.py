"""Classification targets: soft encoding, class priors, rebalancing weights.

Targets are computed in the graph from the color image at the network's
output resolution (the reference code stored them offline at 4 MiB per
example). Soft encoding (Zhang et al.'s, as the paper uses it): with `f = v / 32 - floor(v / 32) - 0.5`
per channel, each of the 27 neighbouring bins `delta in {-1, 0, 1}^3` gets
`exp(-||f - delta||^2 / 0.25)`, normalized to sum 1; neighbours outside a
linear channel are dropped, hue neighbours wrap. The kernel factorizes over
channels, so the 512-vector is the outer product of three normalized 8-bin
vectors with at most three nonzero entries each: `soft_factors` returns
those (the losses work from them), `encode_colors` their 512-wide product.
"""

import json
import logging
import math
import time
from typing import NamedTuple

import numpy as np
from keras import ops

from colorize import fileio, variants
from colorize.errors import ColorizeError
from colorize.nets import color

log = logging.getLogger(__name__)

# exp(-d^2 / KERNEL_DENOM) with d in bin units: the paper's "sigma = 0.25".
KERNEL_DENOM = 0.25
PRIOR_FORMAT = "colorize-class-prior/1"


def channel_factors(scaled, space):
    """The three normalized 8-bin factors of the soft encoding.

    The soft target of a pixel is their outer product (`soft_encode`):
    `Z[b0 + 8 b1 + 64 b2] = u0[b0] * u1[b1] * u2[b2]`. Each factor has at most
    three nonzero entries: the pixel's bin `b` and its two neighbours
    `b + delta`, weighted `exp(-(f - delta)^2 / 0.25)`; a linear channel
    drops a neighbour outside 0..7, the hue (channel 2 in "lch") wraps.

    Computed without one exponential per bin: relative to the centre weight,
    the neighbours weigh `exp(-(f -+ 1)^2 / 0.25) / exp(-f^2 / 0.25) =
    e^-4 E^-+1` with `E = exp(8 f)` (0.25 = `KERNEL_DENOM`), so each channel
    needs one `exp`, and bin `b + k`, `k` in {-1, 0, 1}, gets `1 + a k + c k^2`
    (the quadratic through the three weights) before normalization.

    Args:
        scaled: (..., 3) channel values on the 0..255 scale of `space` (see
            `color.to_scaled`).
        space: "rgb" or "lch".

    Returns:
        (..., 3, 8) float32: row c is the factor of channel c; each row sums
        to 1.
    """
    color.check_space(space)
    n = color.NUM_BINS
    t = ops.clip(ops.cast(scaled, "float32"), 0.0, 255.0) / color.BIN_WIDTH  # (..., 3)
    b = ops.minimum(ops.floor(t), n - 1.0)  # the pixel's bin
    f = t - b - 0.5  # offset from the bin centre, in [-0.5, 0.5)
    tail = math.exp(-1.0 / KERNEL_DENOM)  # e^-4
    e = ops.exp(f * (2.0 / KERNEL_DENOM))  # (..., 3): E
    lower, upper = tail / e, tail * e  # neighbours b - 1 and b + 1, relative to bin b
    k = ops.arange(n, dtype="float32") - b[..., None]  # (..., 3, 8): bin relative to b
    # A linear channel has no bin -1 or 8: its missing neighbour is absent
    # from the sum (and from `k`'s range).
    total = 1.0 + ops.where(b > 0.0, lower, 0.0) + ops.where(b < n - 1.0, upper, 0.0)  # (..., 3)
    if space == "lch":
        # The hue's neighbours wrap around: k = -7 is +1, k = 7 is -1.
        wraps = np.array([False, False, True])
        k = k - ops.convert_to_tensor(n * wraps[:, None].astype("float32")) * ops.round(k / n)
        total = ops.where(ops.convert_to_tensor(wraps), 1.0 + lower + upper, total)
    slope = ((upper - lower) * 0.5)[..., None]  # weight(k) = 1 + slope k + curve k^2
    curve = ((upper + lower) * 0.5 - 1.0)[..., None]
    weight = 1.0 + k * (slope + k * curve)  # (..., 3, 8)
    return ops.where(ops.abs(k) <= 1.0, weight, 0.0) / total[..., None]


def soft_encode(scaled, space):
    """Soft-encodes colors over the 512 classes of `space` (materialized).

    The training loss never forms this 512-vector: it works from the three
    factors (`soft_factors`, `losses.soft_cross_entropy`). This is the
    definition they are tested against, and what the decoding tests use.

    Args:
        scaled: (..., 3) channel values on the 0..255 scale of `space` (see
            `color.to_scaled`).
        space: "rgb" or "lch" (in "lch" channel 2, the hue, wraps).

    Returns:
        (..., 512) float32 distributions; entry `b0 + 8 b1 + 64 b2` is the
        product of the three channel factors.
    """
    u = channel_factors(scaled, space)  # (..., 3, 8)
    u0, u1, u2 = u[..., 0, :], u[..., 1, :], u[..., 2, :]
    # Index b2 * 64 + b1 * 8 + b0 is the row-major order of (b2, b1, b0).
    z = u2[..., :, None, None] * u1[..., None, :, None] * u0[..., None, None, :]
    leading = tuple(ops.shape(z)[:-3])
    return ops.reshape(z, leading + (color.NUM_CLASSES,))  # (..., 512)


class SoftFactors(NamedTuple):
    """The soft targets of a batch in factored form (`soft_factors`).

    Attributes:
        factors: (batch, h, w, 3, 8) float32: per pixel, the 8-bin factor of
            each channel; the soft target is their outer product.
        classes: (batch, h, w) int32: the nearest class (bin) of each pixel,
            `b0 + 8 b1 + 64 b2` with `b_c = floor(v_c / 32)`, the argmax of
            every factor (off a bin boundary, where two bins tie).
    """

    factors: object
    classes: object


def _check_images(rgb255):
    shape = tuple(rgb255.shape)
    if len(shape) != 4 or shape[-1] != 3:
        raise ColorizeError(f"expected color images of shape (batch, height, width, 3), got {shape}")


def _resample_matrix(n_in, n_out):
    """Antialiased linear resampling weights from `n_in` to `n_out` samples.

    Output sample i sits at input coordinate `(i + 0.5) * n_in / n_out - 0.5`
    (pixel centres aligned); input sample x gets the triangle weight
    `max(0, 1 - |x - centre| / s)` with `s = max(n_in / n_out, 1)`, and each
    row is normalized to sum 1. This is `tf.image.resize(..., "bilinear",
    antialias=True)` (and JAX's "linear"), built from `keras.ops` so that the
    sizes may be unknown until the graph runs.

    Args:
        n_in: input length (int or scalar tensor).
        n_out: output length (int or scalar tensor).

    Returns:
        (n_out, n_in) float32.
    """
    scale = ops.cast(n_in, "float32") / ops.cast(n_out, "float32")
    support = ops.maximum(scale, 1.0)
    centres = (ops.cast(ops.arange(n_out), "float32") + 0.5) * scale - 0.5
    x = ops.cast(ops.arange(n_in), "float32")
    weights = ops.relu(1.0 - ops.abs(x[None, :] - centres[:, None]) / support)
    return weights / ops.sum(weights, axis=1, keepdims=True)  # (n_out, n_in)


def resize_colors(rgb255, size=None):
    """Resizes RGB images (0..255) to the network's output resolution.

    Antialiased bilinear: a triangle filter as wide as the scale factor (see
    `_resample_matrix`), applied separably. Downscaling 256 -> 64 makes every
    target pixel a smooth average of the 4x4 block it covers plus a falloff,
    so thin colored strokes are not aliased away or picked at random as plain
    bilinear sampling would; it works at any ratio; and it is the kernel of
    the bilinear x4 upsampling the network applies to its predictions. (A box
    "area" filter is TensorFlow-only in `keras.ops`.)

    Args:
        rgb255: (batch, H, W, 3) RGB, uint8 or float, 0..255.
        size: None (keep the size) or `(h, w)` (ints, or scalar tensors
            when the size is only known when the graph runs).

    Returns:
        (batch, h, w, 3) float32 RGB, 0..255.
    """
    _check_images(rgb255)
    rgb = ops.cast(rgb255, "float32")
    if size is None:
        return rgb
    h, w = size
    if isinstance(h, int) and isinstance(w, int) and tuple(rgb.shape[1:3]) == (h, w):
        return rgb
    n, in_h, in_w = ops.shape(rgb)[0], ops.shape(rgb)[1], ops.shape(rgb)[2]
    rows = _resample_matrix(in_h, h)  # (h, H)
    cols = _resample_matrix(in_w, w)  # (w, W)
    # Plain (broadcast) matrix products on reshaped views: no transposes.
    rgb = ops.matmul(rows, ops.reshape(rgb, (n, in_h, in_w * 3)))  # (batch, h, W * 3)
    rgb = ops.matmul(cols, ops.reshape(rgb, (n * h, in_w, 3)))  # (batch * h, w, 3)
    return ops.reshape(rgb, (n, h, w, 3))


def encode_colors(rgb255, space, size=None):
    """Soft targets of a batch of RGB color images.

    Args:
        rgb255: (batch, H, W, 3) RGB color images, uint8 or float, 0..255.
        space: "rgb" or "lch".
        size: optional `(h, w)`: resize to the network's output resolution
            first (see `resize_colors`).

    Returns:
        (batch, h, w, 512) float32 soft targets.
    """
    rgb = resize_colors(rgb255, size)
    return soft_encode(color.to_scaled(rgb / 255.0, space), space)


def soft_factors(rgb255, space, size=None):
    """Soft targets of a batch of RGB color images, factored.

    The same targets as `encode_colors` (`encode_colors(...)[..., b0 + 8 b1 +
    64 b2] == u0[b0] u1[b1] u2[b2]`) without forming the 512 classes: 24
    floats per pixel instead of 512, and the nearest class for rebalancing.

    Args:
        rgb255: (batch, H, W, 3) RGB color images, uint8 or float, 0..255.
        space: "rgb" or "lch".
        size: optional `(h, w)`: resize to the network's output resolution
            first (see `resize_colors`).

    Returns:
        `SoftFactors`: factors (batch, h, w, 3, 8) float32 and classes
        (batch, h, w) int32.
    """
    rgb = resize_colors(rgb255, size)
    scaled = color.to_scaled(rgb / 255.0, space)  # (batch, h, w, 3)
    return SoftFactors(channel_factors(scaled, space), color.class_index(scaled))


def nearest_class(rgb255, space):
    """The class (bin) each pixel falls into, i.e. its nearest bin centre.

    Args:
        rgb255: (batch, H, W, 3) RGB, uint8 or float, 0..255.
        space: "rgb" or "lch".

    Returns:
        (batch, H, W) int32 classes in 0..511.
    """
    rgb = resize_colors(rgb255)
    return color.class_index(color.to_scaled(rgb / 255.0, space))


def white_classes(space):
    """Which classes are white paper: the top lightness bin with the lowest
    chroma bin ("lch", every hue: 8 classes), or the top bin of all three
    channels ("rgb": 1 class).

    Args:
        space: "rgb" or "lch".

    Returns:
        np.ndarray (512,) bool.
    """
    color.check_space(space)
    q = np.arange(color.NUM_CLASSES)
    b0, b1, b2 = q % color.NUM_BINS, (q // color.NUM_BINS) % color.NUM_BINS, q // color.NUM_BINS**2
    top = color.NUM_BINS - 1
    if space == "lch":
        return (b0 == top) & (b1 == 0)
    return (b0 == top) & (b1 == top) & (b2 == top)


def rebalance_weights(prior, lam=variants.PAPER_REBALANCE_LAMBDA, spare_white=None):
    """Class rebalancing weights of Zhang et al.

    `w_q ~ ((1 - lam) p_q + lam / Q)^-1`, normalized so `sum_q p_q w_q = 1`.

    With `spare_white` (a (512,) bool mask, `white_classes`), the white
    classes keep weight 1, as without rebalancing, and the others are
    rebalanced among themselves and normalized so that
    `sum_{q not white} p_q w_q = 1 - p_white`: colors are rebalanced as the
    paper does, but white paper, the commonest class of clip art, no longer
    gets the least weight (which teaches the network to paint over it).

    Args:
        prior: (512,) empirical class distribution (normalized here).
        lam: mixing weight of the uniform distribution, in (0, 1].
        spare_white: None, or a (512,) bool mask of the classes that keep
            weight 1.

    Returns:
        np.ndarray (512,) float32 weights.
    """
    prior = np.asarray(prior, dtype="float64")
    if prior.shape != (color.NUM_CLASSES,):
        raise ColorizeError(f"class prior must have shape ({color.NUM_CLASSES},), got {prior.shape}")
    if not np.all(np.isfinite(prior)) or np.any(prior < 0) or prior.sum() <= 0:
        raise ColorizeError("class prior must be finite, non-negative, not all 0")
    if not 0.0 < lam <= 1.0:
        raise ColorizeError(f"rebalance lambda must be in (0, 1], got {lam}")
    prior = prior / prior.sum()
    weights = 1.0 / ((1.0 - lam) * prior + lam / color.NUM_CLASSES)
    if spare_white is None:
        return (weights / np.sum(prior * weights)).astype("float32")
    white = np.asarray(spare_white, dtype=bool)
    if white.shape != (color.NUM_CLASSES,):
        raise ColorizeError(f"spare_white must have shape ({color.NUM_CLASSES},), got {white.shape}")
    colored = np.sum(prior[~white] * weights[~white])
    if colored <= 0:  # nothing but white in the data: no rebalancing to do
        return np.ones(color.NUM_CLASSES, dtype="float32")
    weights = weights * (1.0 - prior[white].sum()) / colored
    weights[white] = 1.0
    return weights.astype("float32")


def _batches(images):
    """Yields NumPy batches from a tf.data.Dataset or any iterable; an
    element may also be a dict with a "color" entry (a TFDS example)."""
    if hasattr(images, "as_numpy_iterator"):
        images = images.as_numpy_iterator()
    for element in images:
        if isinstance(element, dict):
            if "color" not in element:
                raise ColorizeError(f"dataset elements have no 'color' feature (keys: {sorted(element)})")
            element = element["color"]
        yield np.asarray(element)


def class_counts(images, space, size=None, log_every_s=10.0):
    """Counts the nearest class of every target pixel, in one streaming pass.

    Args:
        images: tf.data.Dataset or iterable of RGB uint8 color batches
            (batch, H, W, 3), or dicts with such a "color" entry.
        space: "rgb" or "lch".
        size: optional `(h, w)`: count the pixels of the targets the loss
            sees, i.e. after `resize_colors` to the network's output size
            (also 16x less work at 64x64 than at 256x256).
        log_every_s: seconds between progress log lines.

    Returns:
        (counts, num_images): np.ndarray (512,) int64 and the image count.
    """
    color.check_space(space)
    counts = np.zeros(color.NUM_CLASSES, dtype="int64")
    num_images = 0
    start = last_log = time.monotonic()
    for batch in _batches(images):
        if batch.ndim == 3:  # a single image
            batch = batch[None]
        classes = ops.convert_to_numpy(nearest_class(resize_colors(batch, size), space))
        counts += np.bincount(classes.ravel(), minlength=color.NUM_CLASSES)
        num_images += batch.shape[0]
        now = time.monotonic()
        if now - last_log >= log_every_s:
            last_log = now
            log.info(
                "class prior (%s): %d images, %.1f images/s",
                space,
                num_images,
                num_images / (now - start),
            )
    if counts.sum() == 0:
        raise ColorizeError("cannot compute a class prior: no color images given")
    log.info(
        "class prior (%s): %d images, %d pixels in %.1f s",
        space,
        num_images,
        counts.sum(),
        time.monotonic() - start,
    )
    return counts, num_images


def _read_prior(path, space, size):
    """Returns the prior stored at `path`, or None if missing or corrupt."""
    try:
        with open(path) as f:
            data = json.load(f)
        if data.get("format") != PRIOR_FORMAT:
            raise ValueError(f"format is {data.get('format')!r}")
        counts = np.asarray(data["counts"], dtype="int64")
        stored = (data["space"], data["size"])
        if counts.shape != (color.NUM_CLASSES,) or counts.min() < 0:
            raise ValueError("counts must be 512 non-negative integers")
        if counts.sum() == 0:
            raise ValueError("counts are all 0")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        log.warning("%s: unreadable class prior (%s); recomputing", path, e)
        return None
    if stored != (space, size):
        raise ColorizeError(
            f"{path}: class prior was computed for color space {stored[0]!r} at "
            f"target size {stored[1]}, not {space!r} at {size}; "
            "delete it or choose another file"
        )
    return counts / counts.sum()


def load_or_compute_prior(path, images_fn, space, size=None):
    """Loads the class prior cached at `path`, computing it if needed.

    The cache is a small JSON file: format tag, color space, target size,
    number of images and pixels, and the 512 pixel counts. It is recomputed
    only when missing or corrupt; one made for another space or size is an
    error (it belongs to another variant).

    Args:
        path: the cache file (e.g. `runs.class_prior_path`).
        images_fn: zero-argument callable returning the images for
            `class_counts` (called only when the prior must be computed).
        space: "rgb" or "lch".
        size: optional `(h, w)` target resolution (see `class_counts`).

    Returns:
        np.ndarray (512,) float64 class distribution.
    """
    color.check_space(space)
    size = None if size is None else [int(n) for n in size]
    prior = _read_prior(path, space, size)
    if prior is not None:
        log.info("class prior (%s): loaded %s", space, path)
        return prior
    counts, num_images = class_counts(images_fn(), space, size)
    data = {
        "format": PRIOR_FORMAT,
        "space": space,
        "size": size,
        "num_images": int(num_images),
        "num_pixels": int(counts.sum()),
        "counts": counts.tolist(),
    }
    try:
        fileio.write_atomic(path, json.dumps(data))  # a crash never leaves half a file
    except OSError as e:
        raise ColorizeError(f"{path}: cannot write class prior ({e.strerror})") from None
    log.info("class prior (%s): saved %s", space, path)
    return counts / counts.sum()


MIN_HUE_CHROMA_BIN = 1
"""A class or a truth pixel has a hue from this chroma bin up (LCH chroma >= 12.5)."""


def hue_matrix(space):
    """`(512, 8)` float32: 1 where a class of chroma bin `MIN_HUE_CHROMA_BIN`
    and up falls in a hue bin (`color.hue_bins`); class probabilities times
    it are the mass per hue bin, gray classes left out."""
    chromatic = color.chroma_bins(space) >= MIN_HUE_CHROMA_BIN
    matrix = np.zeros((color.NUM_CLASSES, color.NUM_BINS), "float32")
    matrix[np.flatnonzero(chromatic), color.hue_bins(space)[chromatic]] = 1.0
    return matrix


def truth_hues(rgb255, size=None):
    """Which truth pixels have a hue, and its bin.

    Args:
        rgb255: (b, H, W, 3) RGB 0..255.
        size: optional `(h, w)`: resized first, as targets are (`resize_colors`).

    Returns:
        (colored, hue): (b, h, w) bool, chroma bin >= `MIN_HUE_CHROMA_BIN`,
        and (b, h, w) int32 hue bins 0..7 (the grid's 45 degrees each).
    """
    bins = color.channel_bins(color.to_scaled(resize_colors(rgb255, size) / 255.0, "lch"))  # (b, h, w, 3)
    return bins[..., 1] >= MIN_HUE_CHROMA_BIN, bins[..., 2]


def hue_agreement(logits, rgb255, space):
    """Per image: the ground truth's colored pixels, and how many of them
    get their hue bin as the network's most likely one.

    At the logits' resolution (`truth_hues`), the network's hue distribution
    is its class probabilities summed per hue bin over the chromatic
    classes (`hue_matrix`). The ratio of the two sums over a split is the
    share of colored pixels whose hue the network gets right
    (`experiments.hue_skill` has the rest of the figures: the hues'
    frequencies as a baseline).

    Args:
        logits: (b, h, w, 512) class logits.
        rgb255: (b, H, W, 3) ground truth, RGB 0..255.
        space: "rgb" or "lch" (the classes' grid).

    Returns:
        (hits, pixels): two (b,) float32.
    """
    colored, truth = truth_hues(rgb255, (ops.shape(logits)[1], ops.shape(logits)[2]))
    colored = ops.cast(colored, "float32")  # (b, h, w)
    hue = ops.matmul(ops.softmax(ops.cast(logits, "float32"), axis=-1), hue_matrix(space))  # (b, h, w, 8)
    right = ops.cast(ops.equal(ops.cast(ops.argmax(hue, axis=-1), "int32"), truth), "float32")
    return ops.sum(right * colored, axis=(1, 2)), ops.sum(colored, axis=(1, 2))
