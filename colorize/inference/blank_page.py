"""Blank is blank: a page with no lines comes back as it was.

The network colors whatever it is given: a white, transparent or faintly
gray page came back as a cream page with purple and olive blotches. A page
is blank when almost none of it differs from its paper: the paper color is
the per-channel median, a pixel is ink when one of its channels differs
from the paper's by `INK_CONTRAST` levels or more (either way: dark lines
on light paper or light on dark), and a page with ink on fewer than
`MAX_INK_SHARE` of its pixels (and fewer than `MIN_INK_PIXELS` when that is
more) is blank. Paper noise, JPEG ringing and a few specks of dust stay
under both; a 1 px line across a tenth of a 4000 x 4000 page (400 px of
ink) is over them.
"""

import cv2
import numpy as np

INK_CONTRAST = 32
"""Levels from the paper color at which a pixel counts as ink (the sketch
normalization's `MIN_CONTRAST`: closer ink is not a line it can use)."""

MAX_INK_SHARE = 2e-5
"""A page with ink on fewer than this share of its pixels is blank ..."""

MIN_INK_PIXELS = 24
"""... or on fewer than this many pixels (small pages)."""


def ink_pixels(image):
    """How many pixels of a page differ from its paper color by
    `INK_CONTRAST` or more in some channel.

    Runs in bands of rows, without a full-size copy: each channel's
    histogram (OpenCV's, exact below 2^24 pixels a band), then the pixels
    within `INK_CONTRAST` of the paper in every channel (`cv2.inRange`).

    Args:
        image: `(H, W)` or `(H, W, C)` uint8.

    Returns:
        int.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    height, width, channels = image.shape
    rows = max(1, BAND_PIXELS // max(width, 1))
    bands = [image[top : top + rows] for top in range(0, height, rows)]
    histograms = np.zeros((channels, 256), np.int64)
    for band in bands:
        for c in range(channels):
            histograms[c] += cv2.calcHist([band], [c], None, [256], [0, 256])[:, 0].astype(np.int64)
    half = (height * width + 1) // 2
    paper = [int(np.searchsorted(np.cumsum(histogram), half)) for histogram in histograms]  # the medians
    low = tuple(p - INK_CONTRAST + 1 for p in paper)
    high = tuple(p + INK_CONTRAST - 1 for p in paper)
    near = sum(cv2.countNonZero(cv2.inRange(band, low, high)) for band in bands)  # paper-like in every channel
    return height * width - near


BAND_PIXELS = 1 << 22
"""`ink_pixels` works on bands of rows of about this many pixels."""


def is_blank(image):
    """Whether a page has no lines (see the module docstring)."""
    image = np.asarray(image)
    pixels = image.shape[0] * image.shape[1]
    return ink_pixels(image) < max(MIN_INK_PIXELS, MAX_INK_SHARE * pixels)


def unchanged(image, hinted=False):
    """`predict.colorize_array`'s result for a blank page, or None.

    Args:
        image: `(H, W, 3)` uint8 RGB or `(H, W)` uint8 gray.
        hinted: whether hints came with it (they are not used).

    Returns:
        None when the page has lines; else {"rgb": the page as it was (RGB),
        "color": the same (the flat color layer), "lines": white (no line),
        "notes": [one line saying so]}.
    """
    if not is_blank(image):
        return None
    rgb = np.array(image if image.ndim == 3 else np.dstack([image] * 3), np.uint8)
    note = "blank page: no lines to color, returned as it was"
    if hinted:
        note += " (its hints are not used)"
    return {"rgb": rgb, "color": rgb.copy(), "lines": np.full(rgb.shape[:2], 255, np.uint8), "notes": [note]}
