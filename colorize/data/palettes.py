"""Palettes: ideepcolor's global hints, as weights over the color classes.

A palette says which colors a picture should use, without saying where: a
user names a few colors (`--palette '#e03020,#2050c0'`) or gives a colored
reference picture, and the network (built with `palette=True`) takes it at
its bottleneck. Both become the same thing, a `(num_classes,)` vector over
the network's color classes (`colorize.color`, the variant's space):

- each named color counts for its class (the bin it falls into), and the
  vector is normalized to sum 1 (every named color weighs the same);
- a reference picture gives its main colors: the `k` classes that hold the
  most of its pixels, leaving out white paper and black lines
  (`palette_classes`), weighed the same way.

An all-zero vector means "no palette"; the network then chooses its colors
itself. Training gives a share of the examples the palette of their own
ground truth with a random number of main colors (`truth_palette`, in
tf.data), so the network learns to follow one.
"""

import numpy as np
import tensorflow as tf

from colorize.nets import color, targets

MAX_COLORS = 8  # the most main colors a training palette names
MIN_SHARE = 0.02  # a class under this share of the counted pixels is no main color
PALETTE_SIZE = 32  # pictures are counted at this size (area-resized)


def excluded_classes(space):
    """`(num_classes,)` bool: classes no palette counts: white paper (the top
    lightness bin with the lowest chroma, `targets.white_classes`) and black
    (the lowest lightness bin; in RGB the darkest bin of all three channels).

    Raises:
        ColorizeError: an unknown space.
    """
    q = np.arange(color.NUM_CLASSES)
    b0, b1, b2 = q % color.NUM_BINS, (q // color.NUM_BINS) % color.NUM_BINS, q // color.NUM_BINS**2
    black = (b0 == 0) if space == "lch" else ((b0 == 0) & (b1 == 0) & (b2 == 0))
    return targets.white_classes(space) | black


def palette_classes(rgb255, space, k, min_share=MIN_SHARE):
    """The main colors of pictures, as a palette.

    Args:
        rgb255: `(batch, H, W, 3)` RGB 0..255 (uint8 or float; any size,
            area-resized to `PALETTE_SIZE` first: at that size already, as
            it is left).
        space: the classes' space, "rgb" or "lch".
        k: how many main colors: an int, or a `(batch,)` int tensor.
        min_share: classes holding less than this share of the counted
            pixels are left out (a picture may have fewer than k colors).

    Returns:
        `(batch, num_classes)` float32, the k (or fewer) most common classes
        outside `excluded_classes`, each weighing 1 / their number; all zero
        for a picture without any counted color.
    """
    rgb = tf.image.resize(tf.cast(rgb255, tf.float32), (PALETTE_SIZE, PALETTE_SIZE), method="area")
    classes = targets.nearest_class(rgb, space)  # (b, S, S)
    batch = tf.shape(classes)[0]
    flat = tf.reshape(classes, [batch, -1])
    counts = tf.math.bincount(flat, minlength=color.NUM_CLASSES, maxlength=color.NUM_CLASSES, axis=-1)
    counts = tf.cast(counts, tf.float32) * tf.constant(~excluded_classes(space), tf.float32)  # (b, Q)
    share = tf.math.divide_no_nan(counts, tf.reduce_sum(counts, -1, keepdims=True))
    ranked = tf.argsort(counts, axis=-1, direction="DESCENDING", stable=True)
    rank = tf.argsort(ranked, axis=-1, stable=True)  # each class's place in its picture's order
    k = tf.reshape(tf.cast(k, tf.int32), [-1, 1])  # (b, 1) or (1, 1)
    chosen = tf.cast((rank < k) & (share >= min_share), tf.float32)
    return tf.math.divide_no_nan(chosen, tf.reduce_sum(chosen, -1, keepdims=True))


def truth_palette(rgb255, space, seed, share, max_colors=MAX_COLORS):
    """The training palette of one example: with probability `share`, the
    palette of its own ground truth with 1..`max_colors` main colors
    (uniform), else none.

    Args:
        rgb255: `(H, W, 3)` uint8 ground truth.
        space: the classes' space.
        seed: `(2,)` stateless seed.
        share: probability of giving a palette, in [0, 1].
        max_colors: the most main colors.

    Returns:
        `(num_classes,)` float32.
    """
    r = tf.random.stateless_uniform([2], seed=seed)
    k = 1 + tf.cast(tf.floor(r[0] * max_colors), tf.int32)
    return tf.cond(  # counted only for the examples that get one
        r[1] < share,
        lambda: palette_classes(rgb255[None], space, tf.minimum(k, max_colors)[None])[0],
        lambda: tf.zeros([color.NUM_CLASSES], tf.float32),
    )


def palette_of_colors(rgb255, space):
    """Palettes of named colors, in the graph: each color counts for its
    class, all the same.

    Args:
        rgb255: `(batch, n, 3)` RGB 0..255 (uint8 or float), n >= 0 colors
            per palette (a color named twice counts once).
        space: the classes' space.

    Returns:
        `(batch, num_classes)` float32, each row summing to 1; all zero (no
        palette) when n = 0.
    """
    rgb = tf.cast(rgb255, tf.float32)
    shape = tf.shape(rgb)

    def named():
        classes = targets.nearest_class(rgb[:, tf.newaxis], space)[:, 0]  # (b, n)
        return tf.cast(tf.reduce_sum(tf.one_hot(classes, color.NUM_CLASSES), axis=1) > 0, tf.float32)

    chosen = tf.cond(shape[1] > 0, named, lambda: tf.zeros([shape[0], color.NUM_CLASSES], tf.float32))
    return tf.math.divide_no_nan(chosen, tf.reduce_sum(chosen, -1, keepdims=True))


def palette_from_colors(rgb, space):
    """A palette of named colors (`palette_of_colors` for one palette).

    Args:
        rgb: `(n, 3)` RGB 0..255, n >= 1.
        space: the classes' space.

    Returns:
        `(num_classes,)` float32 summing to 1.
    """
    rgb = np.asarray(rgb, np.float32).reshape(1, -1, 3)
    return np.asarray(palette_of_colors(rgb, space)[0])


def palette_from_image(rgb255, space, k=MAX_COLORS):
    """A palette of a reference picture's `k` main colors (`palette_classes`).

    Args:
        rgb255: `(H, W, 3)` RGB 0..255.
        space: the classes' space.
        k: how many main colors.

    Returns:
        `(num_classes,)` float32 (all zero for a picture without color).
    """
    return np.asarray(palette_classes(np.asarray(rgb255)[None], space, k)[0])


def main_colors(rgb255, space, k=MAX_COLORS):
    """A picture's main colors as a palette and as colors: the classes
    `palette_classes` picks from the picture's own pixels (sampled at
    `PALETTE_SIZE`, "nearest": an area average would add the blends where
    two flat colors meet), each with the mean color of the samples in it,
    what a color picker would take.

    Args:
        rgb255: `(H, W, 3)` RGB 0..255.
        space: the classes' space.
        k: how many main colors.

    Returns:
        (weights, colors): `(num_classes,)` float32 (as `palette_classes`
        gives them) and `(n, 3)` uint8 RGB, one per nonzero weight in class order (n = 0
        for a picture without color).
    """
    rgb = tf.image.resize(tf.cast(np.asarray(rgb255)[None], tf.float32), (PALETTE_SIZE, PALETTE_SIZE), method="nearest")
    weights = np.asarray(palette_classes(rgb, space, k)[0])  # sampled already: `palette_classes` keeps it
    classes = np.asarray(targets.nearest_class(rgb, space)[0]).ravel()  # (S * S,)
    pixels = np.asarray(rgb[0]).reshape(-1, 3)
    chosen = np.flatnonzero(weights > 0)
    colors = np.array([pixels[classes == q].mean(axis=0) for q in chosen], np.float32).reshape(-1, 3)
    return weights, np.clip(np.rint(colors), 0, 255).astype(np.uint8)


def has_colors(rgb255):
    """Whether a picture has a main color (`main_colors`) that is not a
    gray in one of the spaces' classes ("rgb" or "lch": any model's), so
    that a reference without one is refused before a model loads.

    Args:
        rgb255: `(H, W, 3)` RGB 0..255.
    """
    for space in ("rgb", "lch"):
        found, _ = main_colors(rgb255, space)
        if (found > 0)[color.chroma_bins(space) > 0].any():
            return True
    return False


def class_colors(palette, space):
    """The colors a palette names: `(n, 3)` uint8 RGB bin centres of its nonzero classes."""
    centers = np.asarray(color.bin_centers(space))  # (Q, 3) scaled
    chosen = np.flatnonzero(np.asarray(palette) > 0)
    rgb = np.asarray(color.from_scaled(tf.constant(centers[chosen][None], tf.float32), space))[0]
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
