"""A palette's own colors in the output: colored pixels near a palette color take it exactly.

The network takes a palette as weights over its color classes
(`data.palettes`) and decodes within them (`annealed_mean.PaletteRestriction`),
so what it paints is a class's annealed mean: a red named `#e03020` comes
out as the red bin's centre, pinker, and two named colors in one region
blend. A user who names colors (or gives a reference picture) expects
those colors. After the network, every colored pixel of the full-size flat
color whose CIE-Lab distance (CIE76 Delta E) to the nearest palette color
is at most `Palette.snap` takes that color exactly; pixels farther from
all of them (a color the palette does not name: skin beside a named red
shirt) and white paper keep the network's color. The snap distance was
chosen on validation data (`experiments/palette_snap.py`).

Pixels are snapped one by one (to the nearest color), not per line-bounded
region: a region may hold two colors the network kept apart.
"""

import typing

import cv2
import numpy as np

from colorize.inference import fullres

SNAP_DELTA_E = 25.0
"""Default snap distance (CIE76 Delta E) from a pixel to the palette color it takes."""

WHITE_PAPER = (92.0, 6.0)
"""(L above, C below) in CIE-LCH: white paper (as `evaluation.metrics`'
ground truth white), never snapped."""


class Palette(typing.NamedTuple):
    """A palette as the pipeline uses it.

    Attributes:
        weights: `(num_classes,)` float32 summing to 1, the network's input
            (`data.palettes`).
        colors: `(n, 3)` uint8 RGB, the colors themselves (named, or a
            reference's main colors), n >= 1.
        snap: the largest Delta E at which a pixel takes a palette color
            (0: never).
    """

    weights: np.ndarray
    colors: np.ndarray
    snap: float = SNAP_DELTA_E


def _lab(rgb255):
    """`(..., 3)` float32 RGB 0..255 -> `(..., 3)` float32 CIE-Lab (L 0..100)."""
    rgb = np.asarray(rgb255, np.float32)
    flat = rgb.reshape(-1, 1, 3) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(rgb.shape)


def snap_colors(color, colors, max_distance=SNAP_DELTA_E):
    """Gives colored pixels near a palette color that color, in place.

    Args:
        color: `(H, W, 3)` float32 RGB 0..255, the full-size flat color
            (before the lines are multiplied in); changed in place.
        colors: `(n, 3)` RGB 0..255, the palette's colors.
        max_distance: CIE76 Delta E within which a pixel takes its nearest
            palette color (<= 0: nothing changes).

    Returns:
        `color`.

    Raises:
        ValueError: bad shapes or dtype.
    """
    colors = np.asarray(colors)
    if color.ndim != 3 or color.shape[2] != 3 or color.dtype != np.float32:
        raise ValueError(f"color must be (H, W, 3) float32, got {color.shape} {color.dtype}")
    if colors.ndim != 2 or colors.shape[1] != 3 or len(colors) == 0:
        raise ValueError(f"colors must be (n, 3) with n >= 1, got {colors.shape}")
    if max_distance <= 0:
        return color
    palette_rgb = colors.astype(np.float32)
    palette_lab = _lab(palette_rgb)  # (n, 3)
    height, width = color.shape[:2]
    l_min, c_max = WHITE_PAPER

    def band(top, bottom):
        rgb = color[top:bottom]
        lab = _lab(np.clip(rgb, 0.0, 255.0))  # (rows, W, 3)
        nearest = np.zeros(lab.shape[:2], np.intp)
        best = np.full(lab.shape[:2], np.inf, np.float32)
        for i, target in enumerate(palette_lab):  # n is small: one (rows, W) distance at a time
            distance = np.sum(np.square(lab - target), axis=-1)
            closer = distance < best
            best[closer] = distance[closer]
            nearest[closer] = i
        paper = (lab[..., 0] > l_min) & (np.hypot(lab[..., 1], lab[..., 2]) < c_max)
        take = (best <= max_distance * max_distance) & ~paper
        rgb[take] = palette_rgb[nearest[take]]

    fullres.for_bands(band, height, width)
    return color
