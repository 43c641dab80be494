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
chosen on validation data (`experiments/palette_snap.py`): the largest of
those PSNR cannot tell apart, since the class a named color falls in
can decode some 30 Delta E from it (a named yellow as the class's orange).

Pixels are snapped one by one (to the nearest color), not per line-bounded
region: a region may hold two colors the network kept apart.
"""

import typing

import cv2
import numpy as np

from colorize.inference import fullres

SNAP_DELTA_E = 40.0
"""Default snap distance (CIE76 Delta E) from a pixel to the palette color it takes."""

FILL_SHARE = 0.5
"""A region where at least this share of the colored pixels took palette
colors is made all palette colors (`snap_colors`)."""

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
        fill_share: a region where this share of the colored pixels took
            palette colors is made all palette colors (> 1: never).
    """

    weights: np.ndarray
    colors: np.ndarray
    snap: float = SNAP_DELTA_E
    fill_share: float = FILL_SHARE


def _lab(rgb255):
    """`(..., 3)` float32 RGB 0..255 -> `(..., 3)` float32 CIE-Lab (L 0..100)."""
    rgb = np.asarray(rgb255, np.float32)
    flat = rgb.reshape(-1, 1, 3) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(rgb.shape)


def snap_colors(color, colors, max_distance=SNAP_DELTA_E, lines=None, fill_share=FILL_SHARE):
    """Gives colored pixels near a palette color that color, in place.

    With `lines`, a line-bounded region (`fullres.line_regions`) where at
    least `fill_share` of the colored pixels took a palette color is made
    all palette colors: its other colored pixels (the network's blends
    between two palette colors, a pinker patch in a red region) take the
    color of the nearest pixel of the region that took one. A region mostly
    of other colors keeps them.

    Args:
        color: `(H, W, 3)` float32 RGB 0..255, the full-size flat color
            (before the lines are multiplied in); changed in place.
        colors: `(n, 3)` RGB 0..255, the palette's colors.
        max_distance: CIE76 Delta E within which a pixel takes its nearest
            palette color (<= 0: nothing changes).
        lines: optional `(H, W)` uint8 full-size lines (dark on white).
        fill_share: the share of a region's colored pixels that must have
            taken palette colors for the rest to follow (> 1: never).

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
    height, width = color.shape[:2]
    if lines is not None and lines.shape != (height, width):
        raise ValueError(f"lines must be ({height}, {width}), got {lines.shape}")
    if max_distance <= 0:
        return color
    palette_rgb = colors.astype(np.float32)
    palette_lab = _lab(palette_rgb)  # (n, 3)
    l_min, c_max = WHITE_PAPER
    taken = np.empty((height, width), np.int16)  # the palette color a pixel took; NONE, PAPER

    def band(top, bottom):
        rgb = color[top:bottom]
        lab = _lab(np.clip(rgb, 0.0, 255.0))  # (rows, W, 3)
        nearest = np.zeros(lab.shape[:2], np.int16)
        best = np.full(lab.shape[:2], np.inf, np.float32)
        for i, target in enumerate(palette_lab):  # n is small: one (rows, W) distance at a time
            distance = np.sum(np.square(lab - target), axis=-1)
            closer = distance < best
            best[closer] = distance[closer]
            nearest[closer] = i
        paper = (lab[..., 0] > l_min) & (np.hypot(lab[..., 1], lab[..., 2]) < c_max)
        take = (best <= max_distance * max_distance) & ~paper
        rgb[take] = palette_rgb[nearest[take]]
        nearest[~take] = _NONE
        nearest[paper] = _PAPER
        taken[top:bottom] = nearest

    fullres.for_bands(band, height, width)
    if lines is not None and fill_share <= 1.0:
        _fill_regions(color, taken, palette_rgb, lines, fill_share)
    return color


_NONE, _PAPER = -1, -2


def _fill_regions(color, taken, palette_rgb, lines, fill_share):
    """`snap_colors`' regions: the colored pixels left in a region mostly of
    palette colors take the nearest palette pixel's color of that region."""
    _, labels, count = fullres.line_regions(lines)
    flat_labels = labels.ravel()
    flat_taken = taken.ravel()
    colored = np.bincount(flat_labels, flat_taken != _PAPER, minlength=count)
    snapped = np.bincount(flat_labels, flat_taken >= 0, minlength=count)
    follows = (snapped > 0) & (snapped >= fill_share * colored)
    follows[0] = False  # the lines
    if not follows.any():
        return
    left = (flat_taken == _NONE) & np.take(follows, flat_labels)
    flat_color = color.reshape(-1, 3)
    # The nearest region pixel that took a color (line pixels, colored after their regions, are none).
    source = fullres.nearest_pixel(((taken < 0) | (labels == 0)).astype(np.uint8)).ravel()
    pixels = np.flatnonzero(left & (flat_labels[source] == flat_labels))
    flat_color[pixels] = palette_rgb[flat_taken[source[pixels]]]
    # Line pixels take their nearest region pixel's color, as `fullres.upsample_regions` gave them.
    nearest = fullres.nearest_pixel((labels == 0).astype(np.uint8)).ravel()
    lines_left = (flat_taken == _NONE) & (flat_labels == 0) & np.take(follows, flat_labels[nearest])
    pixels = np.flatnonzero(lines_left)
    flat_color[pixels] = flat_color[nearest[pixels]]
