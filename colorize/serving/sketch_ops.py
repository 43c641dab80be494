"""The dataset's image operations (`colorize.data.sketch`) in TensorFlow ops.

`extract_sketch` is the paper's extraction (Fig. 2) with the arithmetic of
the OpenCV one in `sketch.extract_sketch` (erode/dilate difference, 8x8 box
filter, Otsu), `resize_short_side` the dataset's resize (area averaging as
INTER_AREA when shrinking), plus the morphology, histogram and block helpers
`sketch_normalization` builds its normalization from. Every function runs eagerly
and inside a `tf.function` with unknown height and width.
"""

import numpy as np
import tensorflow as tf

from colorize.data import sketch as sketch_lib

_LUMA = (0.299, 0.587, 0.114)


def luma(image):
    """(..., C) uint8 -> (...) float32 luma (BT.601, as OpenCV's BGR2GRAY)."""
    x = tf.cast(image, tf.float32)
    if image.shape[-1] == 1:
        return x[..., 0]
    return _LUMA[0] * x[..., 0] + _LUMA[1] * x[..., 1] + _LUMA[2] * x[..., 2]


def to_uint8(x):
    """float -> uint8, rounded (half to even, as OpenCV) and saturated."""
    return tf.cast(tf.clip_by_value(tf.round(x), 0.0, 255.0), tf.uint8)


def histogram(levels, weights=None):
    """(256,) float64 histogram of int values 0..255 (optionally weighted)."""
    levels = tf.reshape(tf.cast(levels, tf.int32), [-1])
    if weights is not None:
        weights = tf.reshape(tf.cast(weights, tf.float64), [-1])
    counts = tf.math.bincount(levels, weights=weights, minlength=256, maxlength=256, dtype=tf.float64)
    return tf.cast(counts, tf.float64)


def quantile(hist, q):
    """The level (int32) at fraction q (0..1) of a 256-bin histogram; 0 when empty."""
    cumulative = tf.cumsum(hist)
    level = tf.searchsorted(cumulative, [q * cumulative[-1]], side="left")[0]
    return tf.minimum(tf.cast(level, tf.int32), 255)


def max_along(x, k, axis):
    """Max over a centred window of k pixels (k odd) along `axis` (1: rows,
    2: columns) of a `(1, h, w, c)` float32 tensor; the edges are ignored.

    The same values as `tf.nn.max_pool2d` with a (k, 1) or (1, k) window and
    "SAME" padding, from k - 1 maxima of shifted slices: TensorFlow's CPU
    pooling kernel is several times slower at these sizes.
    """
    r = k // 2
    if r == 0:
        return x
    pad = [[0, 0]] * 4
    pad[axis] = [r, r]
    padded = tf.pad(x, pad, constant_values=float("-inf"))
    n = tf.shape(x)[axis]
    out = None
    for i in range(k):
        part = _span(padded, axis, i, n)
        out = part if out is None else tf.maximum(out, part)
    return out


def _span(x, axis, start, size):
    """`x[:, start:start + size]` (axis 1) or `x[:, :, start:start + size]` (axis 2)."""
    return x[:, start : start + size] if axis == 1 else x[:, :, start : start + size]


def window_sum(x, k, axis):
    """Sum over a centred window of k pixels (k odd) along `axis` (1 or 2) of
    a `(1, h, w, c)` float32 tensor, clipped at the edges, from a cumulative
    sum (exact for integer values while the sums stay under 2^24).

    Returns:
        (sums like `x`, counts: `(1, n, 1, 1)` or `(1, 1, n, 1)` float32, the
        pixels inside the image in each window).
    """
    r = k // 2
    n = tf.shape(x)[axis]
    total = tf.cumsum(x, axis=axis)
    last = _span(total, axis, n - 1, 1)
    padded = tf.concat([tf.zeros_like(last)] * (r + 1) + [total] + [last] * r, axis=axis)
    ahead, behind = _span(padded, axis, 2 * r + 1, n), _span(padded, axis, 0, n)
    i = tf.range(n)
    counts = tf.cast(tf.minimum(i + r, n - 1) - tf.maximum(i - r, 0) + 1, tf.float32)
    shape = [1, n, 1, 1] if axis == 1 else [1, 1, n, 1]
    return ahead - behind, tf.reshape(counts, shape)


def dilate(x, k):
    """Square max filter (x: (1, h, w, c) float32; k: odd int), separable;
    the edges are ignored, as OpenCV's morphology does by default."""
    return max_along(max_along(x, k, 1), k, 2)


def erode(x, k):
    """Square min filter, as `dilate`."""
    return -dilate(-x, k)


def grow(x, radius, step, bits=4):
    """Applies `step(x, b)` (a static dilation of radius b) for each bit b of a
    radius tensor (0..2**bits - 1): Minkowski sums add radii, and static-size
    pools run faster than dynamic ones."""
    radius = tf.cast(radius, tf.int32)
    for bit in range(bits):
        b = 1 << bit
        x = tf.cond(tf.bitwise.bitwise_and(radius, b) > 0, lambda x=x, b=b: step(x, b), lambda x=x: x)
    return x


def blocks(image, factor):
    """(H, W, C) -> (H // f, f, W // f, f, C): the f x f blocks (a partial last
    row or column of blocks is dropped)."""
    shape = tf.shape(image)
    h, w = shape[0] // factor, shape[1] // factor
    return tf.reshape(image[: h * factor, : w * factor], [h, factor, w, factor, image.shape[-1]])


def block_min(image, factor):
    """Reduces by an integer factor keeping each block's darkest pixel, so that
    no stroke disappears (a partial last row or column of blocks is dropped).

    Args:
        image: `(H, W, C)` uint8 tensor.
        factor: int (or int32 scalar tensor) >= 1.

    Returns:
        `(H // factor, W // factor, C)` uint8 tensor.
    """
    return tf.reduce_min(tf.reduce_min(blocks(image, factor), axis=3), axis=1)  # one axis at a time: faster


def every(image, factor, axis):
    """`image[::factor]` along `axis` (0 or 1) of `(H, W, C)`: a gather,
    several times faster than TensorFlow's strided slice of a large image."""
    return tf.gather(image, tf.range(0, tf.shape(image)[axis], factor), axis=axis)


def resize_short_side(image, size=sketch_lib.SIZE):
    """`sketch.resize_short_side` in TensorFlow ops: the short side becomes
    `size` (area averaging when shrinking, as INTER_AREA; bilinear when
    growing), the long side `max(size, round(long * size / short))`.

    Args:
        image: `(H, W, C)` uint8 tensor, H, W >= 1.
        size: the new short side (int).

    Returns:
        `(h, w, C)` uint8 tensor.
    """
    image = tf.convert_to_tensor(image)
    shape = tf.shape(image)
    h, w = shape[0], shape[1]
    short = tf.minimum(h, w)
    scale = tf.cast(size, tf.float64) / tf.cast(short, tf.float64)

    def side(n):
        scaled = tf.cast(tf.round(tf.cast(n, tf.float64) * scale), tf.int32)
        return tf.where(n == short, size, tf.maximum(size, scaled))

    new_size = tf.stack([side(h), side(w)])

    def resized():
        return to_uint8(
            tf.cond(
                short > size,
                lambda: tf.image.resize(image, new_size, method="area"),
                lambda: tf.image.resize(image, new_size, method="bilinear"),
            )
        )

    return tf.cond(short == size, lambda: image, resized)


# --------------------------------------------------------------- extraction --


def otsu_threshold(gray):
    """Otsu's threshold as OpenCV computes it (`cv2.THRESH_OTSU`): the level t
    that maximizes the between-class variance of {<= t} and {> t} (the first
    such level; 0 when the image has a single level).

    Args:
        gray: uint8 tensor of any shape.

    Returns:
        int32 scalar tensor; the binary image is `gray > t`.
    """
    hist = histogram(gray)
    p = hist / tf.maximum(tf.reduce_sum(hist), 1.0)
    levels = tf.range(256, dtype=tf.float64)
    q1 = tf.cumsum(p)
    q2 = 1.0 - q1
    m1 = tf.cumsum(levels * p)
    eps = float(np.finfo(np.float32).eps)
    valid = (tf.minimum(q1, q2) >= eps) & (tf.maximum(q1, q2) <= 1.0 - eps)
    mu1 = tf.math.divide_no_nan(m1, q1)
    mu2 = tf.math.divide_no_nan(m1[-1] - q1 * mu1, q2)
    sigma = tf.where(valid, q1 * q2 * tf.square(mu1 - mu2), 0.0)
    best = tf.reduce_max(sigma)
    first = tf.cast(tf.argmax(tf.cast(sigma >= best, tf.int32)), tf.int32)
    return tf.where(best > 0.0, first, 0)


def extract_sketch(gray):
    """The paper's line and binary sketch (Fig. 2), `sketch.extract_sketch` in
    TensorFlow ops with the same arithmetic: d = dilate(erode(gray, 3x3 x 2),
    3x3 x 4); line = 255 - min(3 |gray - d|, 255); 8x8 box filter (reflected
    borders, window -4..+3 as OpenCV's); dilate 3x3; binary = Otsu.

    Args:
        gray: `(h, w, 1)` uint8 tensor, h, w >= 5.

    Returns:
        (line, binary): `(h, w, 1)` uint8 tensors; binary holds only 0 and 255.
    """
    g = tf.cast(gray, tf.float32)[tf.newaxis]  # (1, h, w, 1)
    d = dilate(erode(g, 5), 9)  # 3x3 twice is 5x5 once, 3x3 four times is 9x9
    line = 255.0 - tf.minimum(3.0 * tf.abs(g - d), 255.0)
    line = tf.pad(line, [[0, 0], [4, 3], [4, 3], [0, 0]], mode="REFLECT")  # OpenCV's BORDER_REFLECT_101
    line = tf.round(tf.nn.avg_pool2d(line, 8, 1, "VALID"))  # sums of integers / 64: exact
    line = tf.cast(dilate(line, 3)[0], tf.uint8)
    return line, binarize(line)


def binarize(line):
    """Otsu's binary sketch of a line sketch (uint8, any shape): 255 above the threshold, else 0."""
    return tf.where(
        tf.cast(line, tf.int32) > otsu_threshold(line), tf.constant(255, tf.uint8), tf.constant(0, tf.uint8)
    )
