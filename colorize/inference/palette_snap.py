"""A palette's own colors in the output: the colors to use, exactly.

The network takes a palette as weights over its color classes
(`data.palettes`) and decodes within them (`annealed_mean.PaletteRestriction`),
so what it paints is a class's annealed mean: a red named `#e03020` comes
out as the red class's pinker centre, a named yellow as its class's
orange, two named colors in one region blend into a purple, and the
network's doubt shows as patches of several colors in one region. A user
who names colors (or gives a reference picture) asks for those colors. So
after the network, on the full-size flat color:

1. every chromatic pixel (not white paper, not a gray: chroma at least
   `GRAY_CHROMA`) takes the palette color nearest it in CIE-Lab (CIE76
   Delta E), up to `Palette.snap` (default: any distance);
2. a closed line-bounded region (`fullres.line_regions`; one that does not
   touch the picture's border) has only one color, the one most of its
   colored pixels took (when it holds at least `Palette.unify_share` of
   them): a palette color, or gray (then the region's mean gray: a shape
   the network painted gray stays gray), its near-white pixels too when
   most of it is colored (the network's color passing near white inside
   the shape, not paper). One shape, one color, as a coloring book, not
   patches of several. In a region touching the border
   (the page, and figures joined to it through a gap in their outline),
   each connected patch of color counts as a shape (a figure; the page
   around it is paper). Line pixels follow their nearest region pixel, as
   `fullres.upsample_regions` colored them;
3. a palette color that no shape took goes to the shape where it holds the
   largest share of the pixels (none took it: the shape whose colors were
   nearest it), taken from a color another shape keeps
   (`Palette.every_color`): each named color shows somewhere.

White paper stays white. Figures on validation data, with what one color
per shape costs there: `experiments/palette_snap.py`.
"""

import math
import typing

import cv2
import numpy as np

from colorize.inference import fullres

UNIFY_SHARE = 0.0
"""The share of a closed region's colored pixels its most common color (a
palette color or gray) must hold for the whole region to take it (0: every
closed region)."""

GRAY_CHROMA = 10.0
"""CIE-Lab chroma under which a pixel is a gray (no palette color)."""

WHITE_PAPER = (92.0, 6.0)
"""(L above, C below) in CIE-LCH: white paper (as `evaluation.metrics`'
ground truth white), never changed."""


class Palette(typing.NamedTuple):
    """A palette as the pipeline uses it.

    Attributes:
        weights: `(num_classes,)` float32 summing to 1, the network's input
            (`data.palettes`).
        colors: `(n, 3)` uint8 RGB, the colors themselves (named, or a
            reference's main colors), n >= 1.
        snap: the largest Delta E at which a chromatic pixel takes its
            nearest palette color (0: none does; default: any).
        unify_share: the share of a closed region's colored pixels its most
            common color (a palette color or gray) must hold for the region
            to have only that color (0: every closed region; > 1: none).
        every_color: a palette color that no shape took goes to the shape
            where it holds the largest share of the pixels (`snap_colors`).
    """

    weights: np.ndarray
    colors: np.ndarray
    snap: float = math.inf
    unify_share: float = UNIFY_SHARE
    every_color: bool = True

    def hex(self):
        """The colors as a user names them: `"#rrggbb, #rrggbb, ..."`."""
        return ", ".join("#{:02x}{:02x}{:02x}".format(*(int(v) for v in c)) for c in self.colors)

    def note(self, reference=None, named=None):
        """The line that tells a user the colors: `palette: #..., #...`,
        after `the main colors of REFERENCE (and NAMED):` when a reference
        picture gave some (`reference`, `named`: how to call them)."""
        given = (
            "" if reference is None else f"the main colors of {reference}" + (f" and {named}" if named else "") + ": "
        )
        return f"palette: {given}{self.hex()}"


def _lab(rgb255):
    """`(..., 3)` float32 RGB 0..255 -> `(..., 3)` float32 CIE-Lab (L 0..100)."""
    rgb = np.asarray(rgb255, np.float32)
    flat = rgb.reshape(-1, 1, 3) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(rgb.shape)


_GRAY, _PAPER = -1, -2  # `taken` for pixels without a palette color


def snap_colors(
    color,
    colors,
    max_distance=math.inf,
    lines=None,
    unify_share=UNIFY_SHARE,
    regions=None,
    every_color=True,
    hinted=None,
):
    """Gives the pixels of the full-size flat color the palette's colors, in place.

    Args:
        color: `(H, W, 3)` float32 RGB 0..255, the full-size flat color
            (before the lines are multiplied in); changed in place.
        colors: `(n, 3)` RGB 0..255, the palette's colors.
        max_distance: CIE76 Delta E within which a chromatic pixel takes its
            nearest palette color (<= 0: nothing changes).
        lines: optional `(H, W)` uint8 full-size lines (dark on white): with
            them, closed regions have one color.
        unify_share: the share of a closed region's colored pixels its most
            common color must hold for that (> 1: never).
        regions: `fullres.line_regions(lines)`, when the caller has it already.
        every_color: with `lines`, a palette color that no shape took (none
            holds most of a shape's colored pixels) goes to the shape where
            it holds the largest share of them (where no pixel took it, the
            shape whose colors were nearest it), one color per shape, taken
            only from a color that another shape keeps (`_every_color`): a
            user who names colors expects each of them somewhere.
        hinted: optional `(H, W)` bool, the color hints' pixels: a shape
            that holds one is filled with its hint's color afterwards
            (`hint_flood`), so for `every_color` its palette color does not
            show, and it is not given one.

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
    taken = np.empty((height, width), np.int16)  # the palette color of each pixel; _GRAY, _PAPER
    shaped = lines is not None and unify_share <= 1.0
    # The colors before snapping, on every other row and column: where no pixel took a named
    # color, the shape whose colors were nearest it gets it (`_every_color`, rarely asked).
    before = np.empty((-(-height // 2), -(-width // 2), 3), np.uint8) if shaped and every_color else None

    def band(top, bottom):
        rgb = color[top:bottom]
        lab = _lab(np.clip(rgb, 0.0, 255.0))  # (rows, W, 3)
        nearest = np.zeros(lab.shape[:2], np.int16)
        best = np.full(lab.shape[:2], np.inf, np.float32)
        if before is not None:  # the bands start at even rows
            before[top // 2 : -(-bottom // 2)] = np.clip(rgb[::2, ::2], 0.0, 255.0)
        for i, target in enumerate(palette_lab):  # n is small: one (rows, W) distance at a time
            distance = np.sum(np.square(lab - target), axis=-1)
            closer = distance < best
            best[closer] = distance[closer]
            nearest[closer] = i
        chroma = np.hypot(lab[..., 1], lab[..., 2])
        paper = (lab[..., 0] > l_min) & (chroma < c_max)
        gray = ~paper & ((chroma < GRAY_CHROMA) | (best > max_distance * max_distance))
        take = ~paper & ~gray
        rgb[take] = palette_rgb[nearest[take]]
        nearest[gray] = _GRAY
        nearest[paper] = _PAPER
        taken[top:bottom] = nearest

    fullres.for_bands(band, height, width, 2)
    if shaped:
        regions = regions or fullres.line_regions(lines)
        _one_color_regions(color, taken, palette_rgb, regions, unify_share, before, hinted)
    return color


def _one_color_regions(color, taken, palette_rgb, regions, unify_share, before=None, hinted=None):
    """`snap_colors`' shapes: in a region that does not touch the border,
    and in each connected patch of color of one that does, the colored
    pixels (not paper) take the color most of them took, a palette color or
    gray (then the shape's mean gray), when it holds `unify_share` of them;
    then every line pixel takes its nearest region pixel's color (`regions`:
    `fullres.line_regions` of the lines). With `before` (`(ceil(H / 2),
    ceil(W / 2), 3)` uint8 RGB of every other pixel before snapping), a
    palette color no shape took goes to one (`_every_color`), not counting
    the shapes that hold a pixel of `hinted` (`(H, W)` bool)."""
    _, labels, count = regions
    n = len(palette_rgb)
    colored = taken != _PAPER
    # A region touching the border is the page, with figures joined to it through gaps in their
    # outlines: each of its connected patches of color (a figure) counts as a shape of its own.
    touching = np.zeros(count, bool)
    touching[fullres.border_labels(labels)] = True
    touching[0] = False  # the lines
    on_open = np.take(touching, labels)
    open_colored = colored & on_open
    patches, patch_labels = cv2.connectedComponents(open_colored.astype(np.uint8), connectivity=8)
    shapes = np.where(open_colored, patch_labels + count, np.where(on_open, 0, labels))
    count += patches
    flat_labels = shapes.ravel()
    flat_taken = taken.ravel()
    colored = colored.ravel()
    # Votes for the n palette colors and for gray (n).
    choice = np.where(flat_taken == _GRAY, n, flat_taken).astype(np.int64)
    votes = np.bincount(flat_labels[colored] * (n + 1) + choice[colored], minlength=count * (n + 1))
    votes = votes.reshape(count, n + 1)
    total = votes.sum(axis=1)
    winner = votes.argmax(axis=1)
    unified = (total > 0) & (votes[np.arange(count), winner] >= unify_share * total)
    unified[0] = False  # the lines, and the page's paper
    if before is not None:

        def closeness():
            """`(count, n)`: each shape's mean Delta E to each palette color, over its colored
            pixels on the sampled grid, before snapping (inf: none)."""
            sampled = colored.reshape(shapes.shape)[::2, ::2]
            if not sampled.any():  # shapes too small for the grid
                return np.full((count, len(palette_rgb)), np.inf)
            sampled_labels = shapes[::2, ::2][sampled]
            lab = _lab(before[sampled])  # (samples, 3)
            size = np.bincount(sampled_labels, minlength=count).astype(np.float64)
            sums = np.stack(
                [
                    np.bincount(sampled_labels, np.linalg.norm(lab - target, axis=-1), count)
                    for target in _lab(palette_rgb)
                ],
                axis=1,
            ).astype(np.float64)  # (numpy counts nothing in int64)
            return np.divide(sums, size[:, np.newaxis], out=np.full_like(sums, np.inf), where=size[:, None] > 0)

        counted = unified
        if hinted is not None and hinted.any():  # their hints' colors will cover them
            counted = unified.copy()
            counted[np.unique(flat_labels[hinted.ravel()])] = False
        _every_color(winner, votes, counted, closeness)
    flat_color = color.reshape(-1, 3)
    if unified.any():
        grays = colored & (flat_taken == _GRAY)
        gray_rgb = np.stack(
            [fullres.region_means(flat_color[:, c], flat_labels, count, grays) for c in range(3)], axis=1
        )  # (count, 3): each region's mean gray
        region_rgb = np.concatenate([np.repeat(palette_rgb[np.newaxis], count, axis=0), gray_rgb[:, np.newaxis]], 1)
        # A closed shape mostly of color takes it on its near-white pixels too: the network's smooth
        # color passing near white inside it (a cream blob in a fish's body), not paper, as the
        # region decisions decide a closed region whole.
        near_white = ~colored & (flat_labels > 0)  # (the others' shape is 0: the page, the lines)
        mostly_colored = total > np.bincount(flat_labels[near_white], minlength=count)
        pixels = np.flatnonzero(
            np.take(unified, flat_labels) & (colored | (near_white & np.take(mostly_colored, flat_labels)))
        )
        region = flat_labels[pixels]
        flat_color[pixels] = region_rgb[region, winner[region]]
    # Line pixels take their nearest region pixel's color, as `fullres.upsample_regions` gave them
    # (snapped alone, a line pixel beside a gray shape could take a palette color: a rim).
    on_lines = labels.ravel() == 0
    nearest = fullres.nearest_pixel(on_lines.reshape(labels.shape).astype(np.uint8)).ravel()
    pixels = np.flatnonzero(on_lines & colored)
    flat_color[pixels] = flat_color[nearest[pixels]]


def _every_color(winner, votes, unified, closeness):
    """Gives each palette color no shape won the shape it suits best, in place.

    Args:
        winner: `(count,)` int: each shape's color, 0..n-1 a palette color,
            n gray (`_one_color_regions`' votes).
        votes: `(count, n + 1)` its colored pixels' votes.
        unified: `(count,)` bool: the shapes that take one color.
        closeness: a function giving `(count, n)` float, the mean Delta E
            of each shape's colored pixels (before snapping) to each palette
            color (inf: none); called only for a color that no pixel took.

    A palette color that no unified shape won goes to the unified shape
    where it holds the largest share of the votes (the larger shape on a
    tie); a color that no pixel took at all, to the shape of a palette
    color whose colors were nearest it. A shape changes once, and only
    when its color stays on another shape (gray, not a palette color, may
    go to a color its pixels took). The colors that
    hold the largest shares go first, then the nearest.
    """
    n = votes.shape[1] - 1
    total = np.maximum(votes.sum(axis=1), 1)
    share = votes[:, :n] / total[:, np.newaxis]  # (count, n)
    changed = np.zeros(len(winner), bool)
    while True:
        won = np.bincount(winner[unified], minlength=n + 1)
        missing = np.flatnonzero(won[:n] == 0)
        if not missing.size:
            return
        # A shape may give up its color when another shape keeps it (gray always may).
        free = unified & ~changed & ((winner == n) | (won[np.minimum(winner, n)] > 1))
        candidates = np.where(free[:, np.newaxis] & (votes[:, :n] > 0), share, -1.0)[:, missing]
        if candidates.max() > 0:
            # The best (shape, color) pair; on equal shares the shape with more votes.
            best = np.lexsort((-total, -candidates.max(axis=1)))[0]
            color = missing[np.argmax(candidates[best])]
        else:
            # Only from a shape that took a palette color: a shape the network painted gray stays gray.
            givers = free & (winner < n)
            if not givers.any():
                return
            if callable(closeness):
                closeness = closeness()
            near = np.where(givers[:, np.newaxis], closeness[:, missing], np.inf)
            if not np.isfinite(near).any():
                return
            best, which = np.unravel_index(int(np.argmin(near)), near.shape)
            color = missing[which]
        winner[best] = color
        changed[best] = True
