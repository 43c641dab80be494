"""Shaded paper evened out: a photo of a pencil drawing under uneven light.

A phone photo of a sketch has paper that darkens across the page (a shadow,
a lamp on one side): 235 in one corner and 185 in the other is common. The
sketch normalization levels the page by one paper color and the spread of
its noise (`serving.sketch_normalization.page_levels`); shading widens that
spread past the pencil's contrast, the page counts as too faint to level,
and it was colored as it was, gray paper and all, the network painting
blotches across it. Where that happens, the paper's own level is estimated
at each place (the page with its lines closed over: a gray closing by a
disc wider than any stroke, at a working scale, then smoothed) and the
sketch is divided by it, so the paper becomes even white and each line
keeps its darkness against the paper around it. Dark fills wider than the
disc count as paper and are lightened; a pencil sketch seldom has them,
and the sketch is evened only when it could not be leveled as it was.

Host side (OpenCV); `predict` and the page use it, the SavedModel's own
normalization does not (it colors such a page as it is).
"""

import cv2
import numpy as np

WORK_SIDE = 512
"""The paper's level is estimated on the sketch shrunk (area) to this short side (px)."""

CLOSE_SHARE = 1 / 24
"""Diameter of the closing's disc, as a share of the short side: wider than
a pencil stroke or a small dark shape (21 px at `WORK_SIDE`), narrower than
the light's changes."""

SMOOTH_SHARE = 1 / 12
"""The closed page is smoothed by a Gaussian of this sigma (share of the short side)."""

MIN_PAPER = 16
"""Paper darker than this (levels) is not divided by: it is a black fill or
a dark page, not shaded paper."""


def paper_level(rgb):
    """The paper's level at each pixel, per channel.

    Args:
        rgb: `(H, W, 3)` uint8 RGB, dark lines on lighter paper.

    Returns:
        `(H, W, 3)` uint8 (found at the working scale, resized back
        bilinearly: 3 bytes a pixel).
    """
    height, width = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / min(height, width))
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    side = min(small.shape[:2])
    diameter = max(3, int(round(CLOSE_SHARE * side)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (diameter, diameter))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, disc, borderType=cv2.BORDER_REPLICATE)
    smooth = cv2.GaussianBlur(closed, (0, 0), max(1.0, SMOOTH_SHARE * side))
    return cv2.resize(smooth, (width, height), interpolation=cv2.INTER_LINEAR)


def evened(rgb):
    """The sketch divided by its paper's level (`paper_level`): even white paper.

    Args:
        rgb: `(H, W, 3)` uint8 RGB, dark lines on lighter paper.

    Returns:
        `(H, W, 3)` uint8 RGB: each pixel / its paper's level x 255, rounded
        and clipped (OpenCV's `divide`); where the paper's level is under
        `MIN_PAPER`, the pixel as it was. None for a dark page (its median
        gray under 128: light lines on dark paper, whose paper the closing
        would not find). About 10 bytes a pixel above the sketch.
    """
    rgb = np.ascontiguousarray(rgb)
    if np.median(cv2.cvtColor(np.ascontiguousarray(rgb[::4, ::4]), cv2.COLOR_RGB2GRAY)) < 128:
        return None
    level = paper_level(rgb)
    out = cv2.divide(rgb, level, scale=255.0)
    dark = level < MIN_PAPER
    out[dark] = rgb[dark]
    return out
