"""Brings real sketches toward what the network was trained on.

The training sketches are not drawings: the dataset extracts them from color
illustrations (`sketch.extract_sketch`, after resizing the short side to 256
px), which gives soft, gray lines (the darkest pixel of a window is usually
50..130, never pure black) on pure white. The paper (section 4.4) found its
models "very susceptible to ... how dark the dark pixels are" and failing on
real and binary sketches. Real sketches differ in three ways, and
`normalize_sketch` undoes each:

1. Paper and ink levels: scans have gray or uneven paper and gray pencil;
   some drawings are light lines on dark. `normalize_levels` inverts a
   mostly dark image, then maps the paper level (robustly estimated from
   the histogram, minus three noise deviations) to 255 and the ink level to
   0 with a lookup table.
2. Line width: a 1-2 px line of a 3000 px scan is a tenth of a pixel at the
   dataset scale and all but vanishes when shrunk. Large sketches are first
   reduced with a block minimum (every stroke stays at least one pixel dark),
   then strokes thinner than `TARGET_LINE_WIDTH` pixels at the dataset scale
   (the synthetic outlines measure 2-5 px) are thickened. Thick strokes are left
   alone: the extraction turns filled dark areas into outlines, as it did for
   the training images.
3. The line profile: binary (0/255) and anti-aliased drawings have hard,
   black strokes. The sketch is resized to the dataset's 256 px scale and put
   through the dataset's own extraction, so the network sees the soft gray
   lines it was trained on (or the binary extraction, for a model trained
   with `--sketch binary`).

A sketch that already looks like the pipeline's output (pure white paper,
soft gray lines, no black; `looks_extracted`) is left as it is.

`normalize_sketch` gives the network's input; the full-resolution lines
that `predict` multiplies back are only level-normalized (`normalize_levels`),
so the output keeps the artist's own strokes.

All steps are histogram, lookup-table or small-image operations: a 6000 x
6000 sketch costs about two extra copies of its uint8 pixels.
"""

import cv2
import numpy as np

from colorize import sketch as sketch_lib
from colorize.errors import ColorizeError

DATASET_SCALE = sketch_lib.SIZE
"""Short side at which the dataset extracts its sketches (256 px)."""

TARGET_LINE_WIDTH = 3.0
"""Stroke width (as `line_width` measures it), in pixels at the dataset
scale, below which lines are thickened: the synthetic illustrations'
outlines (OpenCV thickness 1-3) measure 2-5 px, and a 1 px line of a 1024 px
drawing thickened to 3 px extracts to a darkest level of about 100, within
the training sketches' range (36..134, median 72)."""

MIN_CONTRAST = 32
"""Paper and ink levels closer than this: a blank page, left unchanged."""

WORK_SHORT_SIDE = 2 * DATASET_SCALE
"""Larger sketches are block-min reduced to a short side of 512..1023 px
before their line width is measured and adjusted."""

INK_LEVEL = 128
"""After level normalization, pixels darker than this are ink."""


def _check_gray(gray):
    if not isinstance(gray, np.ndarray) or gray.dtype != np.uint8 or gray.ndim != 2:
        raise ColorizeError(
            f"a sketch must be a 2-D uint8 array, got {type(gray).__name__} "
            f"{getattr(gray, 'shape', '')} {getattr(gray, 'dtype', '')}"
        )
    if gray.size == 0:
        raise ColorizeError(f"empty sketch of shape {gray.shape}")


def _histogram(gray):
    return np.bincount(gray.ravel(), minlength=256).astype(np.float64)  # (256,)


def _percentile(hist, q):
    """The gray level at percentile q (0..100) of a 256-bin histogram."""
    cumulative = np.cumsum(hist)
    return int(np.searchsorted(cumulative, q / 100.0 * cumulative[-1]))


def looks_extracted(gray):
    """Whether a sketch already looks like `sketch.extract_sketch` output.

    Measured on the synthetic dataset's line sketches: at least 64% of the
    pixels are exactly 255, the darkest pixel is 36 or lighter, and at least
    41% of the non-white pixels are mid-tones (48..207). A drawing has black
    ink; a scan has gray paper; a binary sketch has no mid-tones.

    Args:
        gray: `(H, W)` uint8.

    Returns:
        bool.
    """
    _check_gray(gray)
    hist = _histogram(gray)
    total = hist.sum()
    nonwhite = hist[:250].sum()
    white = hist[255] / total
    darkest = int(np.flatnonzero(hist)[0])
    mid = hist[48:208].sum() / nonwhite if nonwhite else 0.0
    return bool(white >= 0.5 and darkest >= 30 and mid >= 0.3)


def estimate_levels(gray):
    """Paper (white point) and ink levels of a dark-on-light sketch.

    The paper is the median (most of a sketch is paper); its noise is the
    median absolute deviation of the pixels near it, and the white point is
    three deviations below the median so that paper grain becomes white.
    The ink is the 5th percentile of the pixels darker than halfway between
    the darkest pixel and the white point.

    Args:
        gray: `(H, W)` uint8.

    Returns:
        (ink, paper): floats, ink < paper unless the page is blank.
    """
    _check_gray(gray)
    hist = _histogram(gray)
    median = _percentile(hist, 50)
    levels = np.arange(256)
    near = hist * (np.abs(levels - median) < 64)
    deviation = np.abs(levels - median)
    order = np.argsort(deviation, kind="stable")
    cumulative = np.cumsum(near[order])
    mad = float(deviation[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])]) if cumulative[-1] else 0.0
    paper = max(float(median) - max(3.0 * 1.4826 * mad, 2.0), 0.0)
    darkest = int(np.flatnonzero(hist)[0])
    halfway = int((darkest + paper) / 2)
    dark = hist[: halfway + 1]
    ink = float(_percentile(dark, 5)) if dark.sum() else float(darkest)
    return ink, paper


def normalize_levels(gray):
    """Dark lines on white: inverts a mostly dark image, then stretches the
    ink level to 0 and the paper level to 255 (see `estimate_levels`).

    A blank page (paper and ink closer than `MIN_CONTRAST`) is returned
    unchanged.

    Args:
        gray: `(H, W)` uint8.

    Returns:
        `(H, W)` uint8.
    """
    _check_gray(gray)
    if _percentile(_histogram(gray), 50) < 96:  # light lines on a dark page
        gray = 255 - gray
    ink, paper = estimate_levels(gray)
    if paper - ink < MIN_CONTRAST:
        return gray
    levels = np.arange(256, dtype=np.float64)
    table = np.clip(np.round((levels - ink) / (paper - ink) * 255.0), 0, 255).astype(np.uint8)
    return cv2.LUT(gray, table)


def line_width(gray):
    """Mean stroke width, in pixels, of the ink (< `INK_LEVEL`) of a sketch.

    For a stroke w pixels wide the mean distance of its pixels to the paper
    (`cv2.distanceTransform`) is about w / 4 + 1/2, so w = 4 * mean - 2
    (exact for w = 2, 4, 6, within 0.3 px for the others; 1 px strokes read
    as 2).

    Args:
        gray: `(H, W)` uint8, dark lines on white.

    Returns:
        float; 0.0 when there is no ink.
    """
    _check_gray(gray)
    ink = (gray < INK_LEVEL).astype(np.uint8)
    if not ink.any():
        return 0.0
    distance = cv2.distanceTransform(ink, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return max(4.0 * float(distance[ink > 0].mean()) - 2.0, 1.0)


def block_min(gray, factor):
    """Reduces by an integer factor keeping each block's darkest pixel, so
    that no stroke disappears (a partial last row or column of blocks is
    dropped).

    Args:
        gray: `(H, W)` uint8.
        factor: int >= 1.

    Returns:
        `(H // factor, W // factor)` uint8.
    """
    if factor <= 1:
        return gray
    h, w = gray.shape[0] // factor * factor, gray.shape[1] // factor * factor
    blocks = gray[:h, :w].reshape(h // factor, factor, w // factor, factor)
    return blocks.min(axis=(1, 3))


def thicken(gray, pixels):
    """Widens dark strokes by about `pixels` (a min filter with a disk).

    Args:
        gray: `(H, W)` uint8.
        pixels: how much wider, >= 0.

    Returns:
        `(H, W)` uint8.
    """
    size = 1 + 2 * int(round(pixels / 2.0))  # a disk of diameter d widens by d - 1
    if size < 3:
        return gray
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.erode(gray, kernel)


def normalize_sketch(gray, kind="line"):
    """The network's input for a real sketch (see the module docstring).

    Args:
        gray: `(H, W)` uint8 sketch, any size, dark lines on light paper (or
            light on dark, which is inverted).
        kind: "line" (the dataset's line sketch) or "binary" (its Otsu
            threshold), the sketch kind the model was trained on; "mix"
            models get "line".

    Returns:
        `(h, w)` uint8 sketch whose short side is `DATASET_SCALE` (the
        input itself when it `looks_extracted`).
    """
    _check_gray(gray)
    if kind not in ("line", "binary", "mix"):
        raise ColorizeError(f"sketch kind must be line, binary or mix, not {kind!r}")
    if looks_extracted(gray):
        return gray
    g = normalize_levels(gray)
    g = block_min(g, min(g.shape) // WORK_SHORT_SIDE)  # short side now < 1024 (or as it was)
    scale = DATASET_SCALE / min(g.shape)  # dataset pixels per working pixel
    width = line_width(g) * scale
    if 0 < width < TARGET_LINE_WIDTH:
        g = thicken(g, (TARGET_LINE_WIDTH - width) / scale)
    g = sketch_lib.resize_short_side(g, DATASET_SCALE)
    line, binary = sketch_lib.extract_sketch(g)
    return binary if kind == "binary" else line
