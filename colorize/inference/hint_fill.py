"""Hinted regions filled flat: the line-bounded region under a hint takes its color.

A user who puts a hint inside a shape wants that whole shape in that color,
exactly, up to its lines: not a blend of the hint and the network's guess,
and not a color that leaks through a small gap in the lines. This is what
Krita's Colorize Mask (LazyBrush, Sykora et al. 2009) and the trapped-ball
segmentation of Zhang et al. 2009 (used by style2paints) do for flat
coloring. Here:

1. `line_regions`: the lines of the full-resolution sketch are binarized
   (`fullres.line_threshold`, the project's one rule for "dark is a line").
   Gaps are closed as trapped-ball segmentation does: a ball of radius
   gap / 2 + 1 px rolls over the paper without touching a line (its
   centers: the paper farther than that from any ink, one Euclidean
   distance transform), so it cannot pass through a gap of up to `gap` px;
   each connected set of ball centers seeds a region, and paper no ball
   reaches (a pupil, a thin stripe between lines) is a region of its own.
   The seeds then grow over the rest of the paper and into the lines
   (OpenCV's watershed, flooding by darkness), so every pixel has a region
   and neighbouring regions meet at the lines' centers and in the middle of
   a closed gap. Last, a region that narrows to less than the ball (a neck:
   an arm, a waist) was seeded twice: neighbours whose shared border lies
   mostly on paper, not on ink, are merged again (a closed gap is a short
   paper stretch in a long inked border). A morphological closing of the
   lines, the simpler alternative, closes gaps at junctions but not in a
   broken straight line (a disc can always touch the gap from the side),
   and merges nothing back.
2. `fill_hinted_regions`: every region that holds hint pixels on paper
   (a hint on a line is ambiguous: ignored) is painted with the hint color
   (the one with the most pixels there, if several),
   times the lines (`rgb * lines / 255`, the paper's merge as in
   `fullres.multiply_lines`), so the lines stay. The other regions keep the
   given colors. The background (the region around the drawing) is
   treated like any other: painted only when a hint is on it, since a user
   may mark it.
3. `flood_fill_baseline`: the non-learned baseline of the hints experiment:
   the sketch, with every hinted region flood-filled with its hint's color.

A stripe narrower than the ball that opens onto a larger region through a
gap joins that region; the default `gap` (about 1 % of the short side)
keeps that to small details.

Everything is vectorized (OpenCV, NumPy and SciPy's sparse graphs, no
Python loop over pixels or regions), and holds a few int32 and float32
full-size arrays (4 bytes per pixel each).
"""

import cv2
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from colorize.errors import ColorizeError
from colorize.inference.fullres import line_threshold

GAP_SHARE = 0.01
"""Default `gap`: this share of the sketch's short side ..."""

MIN_GAP = 2
"""... and at least this many pixels."""


def default_gap(height, width):
    """The widest line gap closed by default: max(MIN_GAP, round(GAP_SHARE *
    short side)) pixels, 10 px for a 1000 px sketch."""
    return max(MIN_GAP, round(GAP_SHARE * min(height, width)))


def _check_lines(lines):
    lines = np.asarray(lines)
    if lines.ndim != 2 or lines.dtype != np.uint8:
        raise ColorizeError(f"lines must be a (H, W) uint8 gray image, got {lines.shape} {lines.dtype}")
    if min(lines.shape) < 1:
        raise ColorizeError(f"empty lines image {lines.shape}")
    return lines


def line_regions(lines, gap=None):
    """Splits a sketch into regions bounded by its lines, small gaps closed.

    See the module docstring for the method (trapped ball seeds, watershed
    growth, necks merged).

    Args:
        lines: `(H, W)` uint8 gray sketch, 255 paper and 0 ink.
        gap: the widest gap in the lines that is closed, in pixels (>= 0;
            0 closes nothing); default `default_gap`.

    Returns:
        `(H, W)` int32 labels 1..n, every pixel in a region (lines and closed
        gaps belong to their nearest region); all 0 only if the sketch is
        ink everywhere (no region at all).

    Raises:
        ColorizeError: not a 2-D uint8 image, or a negative gap.
    """
    lines = _check_lines(lines)
    height, width = lines.shape
    if gap is None:
        gap = default_gap(height, width)
    if gap < 0:
        raise ColorizeError(f"gap must be >= 0 pixels, not {gap}")
    paper = (lines >= line_threshold(lines)).astype(np.uint8)  # (H, W) 1 on paper, 0 on ink
    raw_count, raw = cv2.connectedComponents(paper, connectivity=4, ltype=cv2.CV_32S)  # 0: ink
    if raw_count <= 1:
        return np.zeros((height, width), np.int32)
    if gap > 0:
        # Ball centers: paper farther than the ball's radius from any ink. A
        # ball of radius gap / 2 + 1 does not pass through a gap of `gap` px
        # (measured on lines of every angle).
        seeds = cv2.distanceTransform(paper, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > gap / 2.0 + 1.0
        count, markers = cv2.connectedComponents(seeds.view(np.uint8), connectivity=4, ltype=cv2.CV_32S)
        # Paper no ball reaches (a pupil, a thin stripe enclosed by lines)
        # is a region of its own.
        reached = np.zeros(raw_count, bool)
        reached[raw[seeds]] = True
        del seeds
        orphan = ~reached
        orphan[0] = False
        new_label = np.where(orphan, np.cumsum(orphan) + (count - 1), 0).astype(np.int32)  # (raw_count,)
        markers = np.where(markers > 0, markers, new_label[raw])
    else:
        markers = raw
    del raw
    # Grow the seeds over the rest of the paper first, then into the lines
    # (the flood goes by darkness), so regions meet at the lines' centers
    # and in the middle of a closed gap.
    ink = cv2.cvtColor(cv2.bitwise_not(lines), cv2.COLOR_GRAY2BGR)  # (H, W, 3) uint8
    cv2.watershed(ink, markers)  # in place; -1 where floods meet and on the image border
    del ink
    _assign_nearest(markers, markers <= 0)
    return _merge_necks(markers, paper)


def _assign_nearest(labels, missing):
    """Gives every `missing` pixel the label of its nearest other pixel, in place."""
    if not missing.any():
        return
    # The raster-order index (from 1) of each pixel's nearest labeled pixel.
    _, nearest = cv2.distanceTransformWithLabels(missing.view(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    known = labels[~missing]  # (labeled pixels,) in raster order
    labels[missing] = known[nearest[missing] - 1]


def _merge_necks(labels, paper, ink_share=0.5):
    """Joins neighbouring regions whose shared border is mostly paper.

    Two ball seeds of one region, split where it narrows to less than the
    ball (a neck: an arm, a waist), meet across paper; regions split by a
    line meet along ink, and across a closed gap only over its few pixels.
    Regions whose border pixels (pairs of 4-neighbours) lie on ink less than
    `ink_share` of the time are merged.

    Args:
        labels: `(H, W)` int32 labels 1..n.
        paper: `(H, W)` uint8, 1 on paper.

    Returns:
        `(H, W)` int32 labels 1..m, m <= n.
    """
    count = int(labels.max()) + 1
    if count <= 2:
        return labels
    keys, inks = [], []
    for a, b, pa, pb in (
        (labels[:, :-1], labels[:, 1:], paper[:, :-1], paper[:, 1:]),
        (labels[:-1], labels[1:], paper[:-1], paper[1:]),
    ):
        border = a != b
        lo = np.minimum(a[border], b[border]).astype(np.int64)
        hi = np.maximum(a[border], b[border]).astype(np.int64)
        keys.append(lo * count + hi)
        inks.append((pa[border] & pb[border]) == 0)  # either pixel on ink
    keys, inks = np.concatenate(keys), np.concatenate(inks)
    if not keys.size:
        return labels
    pairs, index = np.unique(keys, return_inverse=True)
    share = np.bincount(index, inks) / np.bincount(index)
    joined = pairs[share < ink_share]
    if not joined.size:
        return labels
    graph = scipy.sparse.coo_matrix((np.ones(joined.size), (joined // count, joined % count)), shape=(count, count))
    _, component = scipy.sparse.csgraph.connected_components(graph, directed=False)  # (count,)
    _, relabel = np.unique(component[1:], return_inverse=True)
    table = np.concatenate([[0], relabel + 1]).astype(np.int32)
    return table[labels]


def _region_colors(labels, hint_rgb, hint_mask):
    """The hint color of each region: the most frequent one among its hint
    pixels (ties: the smallest RGB value).

    Returns:
        (hinted, palette): `(n + 1,)` bool and `(n + 1, 3)` uint8, indexed
        by label.
    """
    count = int(labels.max()) + 1
    region = labels[hint_mask].astype(np.int64)  # (k,)
    rgb = hint_rgb[hint_mask].astype(np.int64)  # (k, 3)
    key = (region << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]  # region, then color
    keys, votes = np.unique(key, return_counts=True)  # sorted by region, then color
    # The last entry of each region after sorting by (region, votes, -color) wins.
    order = np.lexsort((-(keys & 0xFFFFFF), votes, keys >> 24))
    keys = keys[order]
    regions = keys >> 24
    last = np.r_[regions[1:] != regions[:-1], True]
    winners = keys[last]
    hinted = np.zeros(count, bool)
    palette = np.zeros((count, 3), np.uint8)
    hinted[winners >> 24] = True
    palette[winners >> 24] = np.stack([(winners >> s) & 0xFF for s in (16, 8, 0)], -1)
    return hinted, palette


def fill_hinted_regions(rgb, lines, hint_rgb, hint_mask, gap=None, labels=None):
    """Paints every line-bounded region that holds a hint in the hint's color.

    Args:
        rgb: `(H, W, 3)` uint8 RGB, the colors of the regions without hints
            (e.g. the network's full-resolution output).
        lines: `(H, W)` uint8 gray sketch, 255 paper and 0 ink.
        hint_rgb: `(H, W, 3)` uint8 RGB hint colors.
        hint_mask: `(H, W)` bool, True on hints.
        gap: the widest line gap closed (`line_regions`).
        labels: `line_regions(lines, gap)` when the caller has it already.

    Returns:
        `(H, W, 3)` uint8 RGB: in a hinted region exactly the hint color
        times lines / 255 (rounded), elsewhere `rgb`. Hint pixels on the
        lines are ignored; with several hint colors in one region, the one
        with the most hint pixels there wins (ties: the smallest RGB value).

    Raises:
        ColorizeError: mismatched shapes or dtypes.
    """
    lines = _check_lines(lines)
    shape = lines.shape
    rgb, hint_rgb, hint_mask = np.asarray(rgb), np.asarray(hint_rgb), np.asarray(hint_mask)
    for what, array, want in (("rgb", rgb, (*shape, 3)), ("hint_rgb", hint_rgb, (*shape, 3))):
        if array.shape != want or array.dtype != np.uint8:
            raise ColorizeError(f"{what} must be a {want} uint8 array, got {array.shape} {array.dtype}")
    if hint_mask.shape != shape:
        raise ColorizeError(f"hint_mask must have shape {shape}, got {hint_mask.shape}")
    # A hint pixel on a line is ambiguous (the line parts two regions, and a
    # patch across it mixes in the ink's color): only those on paper count.
    hint_mask = hint_mask.astype(bool, copy=False) & (lines >= line_threshold(lines))
    out = rgb.copy()
    if not hint_mask.any():
        return out
    if labels is None:
        labels = line_regions(lines, gap)
    elif labels.shape != shape:
        raise ColorizeError(f"labels must have shape {shape}, got {labels.shape}")
    if not labels.any():  # all ink: no region to fill
        return out
    hinted, palette = _region_colors(labels, hint_rgb, hint_mask)
    hinted[0] = False
    fill = hinted.view(np.uint8)[labels]  # (H, W) 1 in hinted regions
    color = palette[labels]  # (H, W, 3) uint8
    # round(color * lines / 255): OpenCV rounds to nearest (no ties: 255 is odd).
    shaded = cv2.multiply(color, cv2.cvtColor(lines, cv2.COLOR_GRAY2RGB), scale=1.0 / 255.0)
    del color
    cv2.copyTo(shaded, fill, out)
    return out


def flood_fill_baseline(lines, hint_rgb, hint_mask, gap=None):
    """The non-learned baseline: the sketch, each hinted region flood-filled.

    Args:
        lines: `(H, W)` uint8 gray sketch, 255 paper and 0 ink.
        hint_rgb: `(H, W, 3)` uint8 RGB hint colors.
        hint_mask: `(H, W)` bool, True on hints.
        gap: the widest line gap closed (`line_regions`).

    Returns:
        `(H, W, 3)` uint8 RGB: white paper with the lines (the sketch as
        gray RGB) where there is no hint, and every region holding a hint in
        that hint's color times the lines.

    Raises:
        ColorizeError: mismatched shapes or dtypes.
    """
    lines = _check_lines(lines)
    sketch = np.repeat(lines[..., None], 3, axis=-1)  # (H, W, 3): white paper * lines
    return fill_hinted_regions(sketch, lines, hint_rgb, hint_mask, gap)
