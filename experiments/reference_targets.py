"""The reference code's offline soft encoding, re-stated in NumPy as a baseline.

Inoue's reference code built every classification target before training
and stored it: for each example, the color image at the network's output
resolution (64x64), and for each pixel the sum of 27 dense one-hot 512-vectors
(one per neighbouring bin `delta in {-1, 0, 1}^3`), each scaled by the kernel
`exp(-||f - delta||^2 / 0.25)`, normalized to sum 1 and stored as float16:
64 x 64 x 512 x 2 bytes = 4 MiB per example. A neighbour outside the 8 bins
of a channel was clamped to the edge bin (so the edge bin is counted twice);
the hue was not wrapped.

This module exists only so that `experiments.benchmark` can time our in-graph
encoding (`colorize.nets.targets.encode_colors`, separable, never stored) against
it. It is not used for training. Away from the edges of the grid both give
the same distribution; at an edge they differ by the clamping.
"""

import itertools

import cv2
import numpy as np

from colorize.nets import color
from colorize.nets.targets import KERNEL_DENOM

OUTPUT_SIZE = 64
"""Side of the stored target: the classification net's output at 256 px."""

DELTAS = np.array(list(itertools.product((-1, 0, 1), repeat=3)), dtype=np.float64)  # (27, 3)


def soft_encode_reference(scaled):
    """The reference's soft encoding of pixels already on the 0..255 scale.

    Args:
        scaled: (..., 3) channel values on the 0..255 scale (RGB, or LCH as
            `colorize.nets.color.to_scaled` maps it).

    Returns:
        (..., 512) float16 distributions.
    """
    scaled = np.asarray(scaled, dtype=np.float64)
    leading = scaled.shape[:-1]
    values = scaled.reshape(-1, 3)  # (P, 3)
    t = values / color.BIN_WIDTH
    bins = np.clip(np.floor(t), 0, color.NUM_BINS - 1)  # (P, 3)
    f = t - bins - 0.5  # offset from the bin centre, in bin units
    pixels = np.arange(values.shape[0])
    z = np.zeros((values.shape[0], color.NUM_CLASSES), dtype=np.float32)  # (P, 512)
    for delta in DELTAS:
        # Clamped, not dropped: an out-of-range neighbour lands on the edge bin.
        neighbour = np.clip(bins + delta, 0, color.NUM_BINS - 1).astype(np.int64)  # (P, 3)
        q = neighbour[:, 0] + color.NUM_BINS * neighbour[:, 1] + color.NUM_BINS**2 * neighbour[:, 2]
        weight = np.exp(-np.sum(np.square(f - delta), axis=1) / KERNEL_DENOM)  # (P,)
        onehot = np.zeros_like(z)  # (P, 512): a dense one-hot vector per pixel
        onehot[pixels, q] = weight
        z += onehot
    z /= z.sum(axis=1, keepdims=True)
    return z.reshape(leading + (color.NUM_CLASSES,)).astype(np.float16)


def reference_targets(rgb, size=OUTPUT_SIZE):
    """The stored target of one RGB example, as the reference code built it.

    Args:
        rgb: (H, W, 3) uint8 RGB color image (256x256 in the dataset).
        size: side of the output grid.

    Returns:
        (size, size, 512) float16: 4 MiB at the default size.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {rgb.shape}")
    small = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)  # (size, size, 3)
    return soft_encode_reference(small.astype(np.float64))


def reference_bytes_per_example(size=OUTPUT_SIZE):
    """Bytes the reference stored per example: size x size x 512 float16."""
    return size * size * color.NUM_CLASSES * np.dtype(np.float16).itemsize
