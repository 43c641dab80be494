"""Which pixels a hint fills: fills that stop at the figure, and hints that
share a region split it.

`hint_fill.line_regions` closes the gaps of a drawing's lines up to `gap`
pixels (about 1 % of the short side). Real coloring pages have wider gaps:
a dab on a frog's belly whose outline is open at the arms and toes floods
the whole page around the frog. And a region can hold hints of several
colors (two white dabs on the background and a green one on the belly, in
what the fill takes for one region); a vote would drop one of them
silently. `plan_fill` decides, for every dab (a connected set of hint
pixels of one color):

1. A dab whose region does not touch the page border fills its region
   (inside a closed figure).
2. A dab whose region touches the border may be on the paper around the
   figures, or inside a figure whose outline has a gap. The regions are
   found again with wider gaps closed (`gap_ladder`: 2, 4, ... times the
   gap, up to `MAX_GAP_SHARE` of the short side); at the first where the
   dab's region no longer touches the border, the dab is inside a figure
   and fills only that part of its region: the figure.
3. Still touching the border at `MAX_GAP_SHARE`: if the dab's region
   separates from the border at a wider gap still (up to
   `FIGURE_GAP_SHARE`), the dab is inside a figure whose outline is too
   open to close, and a one-line note names the dab and where its outline
   is open: "hint at 420,420 (#28aa3c) is inside an outline open to
   the page at a gap of about 50 px near 650,380; ...". Otherwise the dab
   is on the paper itself and fills its region (a user may mark the
   background), but not the figures in it that the widest gap closes.
   When the caller gives the network's paper decision (`paper_wall`: the
   paper mass of a classification net per pixel at its paper threshold,
   `fullres.paper_decision`), a dab where the network sees no paper is
   taken to be inside a figure either way, and the network's paper is the
   wall: the dab fills the connected part of its region off the network's
   paper that holds it, up to the lines where the lines are and up to the
   network's paper in the outline's gaps (`_walled`), and the note ends
   "filled up to where the network sees paper". A dab on the network's
   paper is decided as without it, but for the parts of its region that a
   wider gap (up to `FIGURE_GAP_SHARE`) closes off from the border and
   that the network sees as figures (a face open at the chin): it does not
   fill those, and a note says where the first is open ("hint at 120,80
   (#d04030) is on the page: it fills the page up to what the network sees
   as a figure, open at a gap of about 31 px near 362,399 ..."), unless
   the figure has a dab of its own (`_open_figures`). A dab inside a
   figure too open to close that the network's paper does not wall off
   (the network sees paper at the dab too, or no paper in the whole
   region, or there is no paper decision: a regression net, no paper
   threshold) fills the figure up to the wider gap that closes it, as a
   paint program's gap-closing fill does, and the note ends "filled up to
   that gap, as if it were closed ...": a hint is not lost because the
   network took its figure for paper. A figure closed at a wider gap ends
   straight across the gap at the ends of its outline (`_sharpened`), and
   so does a fill walled by the network's paper (`_walled`): a line from
   each stroke end at the gap to the nearest ink across it (`_gap_cuts`)
   is drawn into the sketch for the flood.
   A region that a wider gap closes off only at gaps between outlines
   that each close on their own, with no stroke ending at any of them (the
   paper between three squares), is a pocket of the page, not a figure
   (`_Ladder.pocket`): a dab in it is on the page, and a page's dab fills
   it, wherever the network sees paper. So is a part off the network's
   paper (a small pocket the network paints as it paints the figures round
   it) whose edge on paper lies between such outlines.
4. Dabs that fill one area are one group. A group of one color fills its
   area; a group with several colors splits its area between its dabs,
   each pixel going to the dab nearest to it along the area (a geodesic
   flood from the dabs, `split_between`), and a note names the dabs. A dab
   inside a figure too open to close whose region's paper has dabs of its
   own fills the figure up to the wider gap that closes it (before the
   network's paper is asked), so that its color is not lost to theirs.
   Smaller areas are decided first: a figure's dab keeps the figure from
   the background's.

Hints on a line are ambiguous (the line parts two regions): they are not
used for filling (the network still sees them). In `predict`'s path
(`fill_layers`) a dab with pixels on a line is first moved to one region
beside it (`snap_dabs`): the one under its middle where that is paper
(where the user clicked), else, its middle on the line, the one whose
color, as the network painted it with the hints, is nearest the dab's (a
figure before the page around it). Which side such a dab fills does not
depend on which holds more of its pixels. A dab of the lines' own color
(gray and as dark) on a line, beside no region that dark, is the line
itself (a click on the outline): it fills nothing, rather than painting a
light region black.

The wider passes cost one `line_regions` each, only when a hinted region
touches the border (`hint_fill.PaperRegions` shares the work that does not
depend on the gap). The dabs are found on the hints' bounding box, and the
full-size arrays are the labels, the fill's index and a few bool masks.
"""

import dataclasses

import cv2
import numpy as np
import scipy.ndimage

from colorize.errors import ColorizeError
from colorize.inference import hint_fill
from colorize.inference.fullres import line_threshold
from colorize.inference.hint_fill import _assign_nearest

MAX_GAP_SHARE = 0.04
"""Widest outline gap closed to keep a dab inside its figure: this share of
the short side (32 px on an 800 px page; the pages of the issue have gaps
of up to 3 %)."""

FIGURE_GAP_SHARE = 0.16
"""A dab whose region separates from the page border only with gaps this
wide closed is inside a figure too open to close (a note, not a fill)."""

SEAM_SHARE = 0.1
"""In a connected stroke of several colors, a color with less than this
share of its pixels is a seam (colors blended where two strokes touch, or
a resized layer's edge) and joins the stroke's main color."""

SPLIT_SIDE = 512
"""The geodesic split between several dabs runs on the area scaled to at
most this many pixels on its long side."""


@dataclasses.dataclass(frozen=True)
class Dab:
    """A connected set of hint pixels of one color.

    Attributes:
        x, y: the dab's pixel nearest its centroid (column, row).
        color: (r, g, b) ints.
        pixels: how many hint pixels (on paper).
    """

    x: int
    y: int
    color: tuple
    pixels: int

    def __str__(self):
        return f"hint at {self.x},{self.y} (#{''.join(f'{c:02x}' for c in self.color)})"


@dataclasses.dataclass
class FillPlan:
    """What `paint` fills.

    Attributes:
        index: `(H, W)` int32, 0 where nothing is filled, k where dab k - 1's
            color fills.
        dabs: the `Dab`s, in index order.
        notes: one-line notes (a fill that would leak, hints that share a
            region), in dab order.
        page: `(H, W)` bool or None: pixels that `paint` makes white paper
            where nothing fills them: the page side of a figure filled up
            to the network's paper (`_walled`), within `PAGE_BAND_CELLS` of
            the fill, where the network, given the hint, paints a band of
            the figure's color past it (across the outline's gap).
    """

    index: np.ndarray
    dabs: list
    notes: list
    page: np.ndarray = None

    def colors(self):
        """`(len(dabs) + 1, 3)` uint8: black, then each dab's color."""
        return np.array([(0, 0, 0), *(d.color for d in self.dabs)], np.uint8).reshape(-1, 3)


def find_dabs(hint_rgb, hint_mask):
    """The dabs of a hint layer.

    Args:
        hint_rgb: `(H, W, 3)` uint8 RGB.
        hint_mask: `(H, W)` bool.

    Returns:
        (dab_map, dabs): `(H, W)` int32, 0 off the hints and k on dab k - 1,
        and the list of `Dab`s (in raster order of their first pixel).
    """
    dab_map, dabs, _ = _find_dabs(hint_rgb, hint_mask)
    return dab_map, dabs


def _find_dabs(hint_rgb, hint_mask):
    """`find_dabs`, and each dab's pixels: `(pixels,)` int64 flat indices,
    ascending. The work is done on the hints' bounding box."""
    height, width = hint_mask.shape
    mask = hint_mask.view(np.uint8) if hint_mask.dtype == bool else (hint_mask > 0).astype(np.uint8)
    dab_map = np.zeros((height, width), np.int32)
    left, top, cols, rows = cv2.boundingRect(mask)
    if not cols:
        return dab_map, [], []
    box = (slice(top, top + rows), slice(left, left + cols))
    mask = np.ascontiguousarray(mask[box])
    count, strokes = cv2.connectedComponentsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_SPAGHETTI)
    where = np.flatnonzero(mask.ravel())  # (k,) hint pixels in raster order (of the box)
    rgb = hint_rgb[box].reshape(-1, 3)[where].astype(np.int64)
    color = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]  # (k,)
    stroke = strokes.ravel()[where].astype(np.int64)
    key = (stroke << 24) | color
    keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    # Seams: a stroke's colors with under SEAM_SHARE of its pixels join its main color.
    key_stroke = keys >> 24
    stroke_total = np.bincount(key_stroke, counts)  # (count,)
    order = np.lexsort((-counts, key_stroke))  # by stroke, most pixels first
    main = np.empty_like(keys)
    first = np.r_[True, key_stroke[order][1:] != key_stroke[order][:-1]]
    main_of_stroke = np.zeros(count, np.int64)
    main_of_stroke[key_stroke[order][first]] = order[first]
    seam = counts < SEAM_SHARE * stroke_total[key_stroke]
    main[:] = np.arange(keys.size)
    main[seam] = main_of_stroke[key_stroke[seam]]
    kept, dab_of_key = np.unique(main, return_inverse=True)  # dabs numbered in key order
    dab = dab_of_key[inverse]  # (k,) dab of every hint pixel, 0-based
    ys, xs = np.divmod(where, cols)
    ys += top
    xs += left
    n = kept.size
    size = np.bincount(dab, minlength=n)
    cy, cx = np.bincount(dab, ys, n) / size, np.bincount(dab, xs, n) / size
    # The pixel of each dab nearest its centroid.
    distance = (ys - cy[dab]) ** 2 + (xs - cx[dab]) ** 2
    pick = np.lexsort((distance, dab))
    nearest = pick[np.r_[True, dab[pick][1:] != dab[pick][:-1]]]  # (n,) one hint pixel per dab
    dabs = []
    for i in range(n):
        value = int(keys[kept[i]] & 0xFFFFFF)
        color = ((value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF)
        dabs.append(Dab(int(xs[nearest[i]]), int(ys[nearest[i]]), color, int(size[i])))
    order = np.argsort(where[nearest], kind="stable")  # raster order of the named pixels
    renumber = np.zeros(n + 1, np.int32)
    renumber[order + 1] = np.arange(1, n + 1, dtype=np.int32)
    number = renumber[dab + 1]  # (k,) final dab number of every hint pixel
    flat = ys * width + xs  # (k,) ascending
    dab_map.ravel()[flat] = number
    by_dab = np.argsort(number, kind="stable")
    pixels = np.split(flat[by_dab], np.flatnonzero(np.diff(number[by_dab])) + 1)
    return dab_map, [dabs[i] for i in order], pixels


SNAP_LAB_WEIGHTS = np.array([2.55, 1.0, 1.0], np.float32)
"""How `snap_dabs` weighs CIELAB's L*, a* and b* in its color distance:
lightness as the 8-bit CIELAB scale does (L* x 255 / 100), chosen over the
plain distance on validation windows (a dab straddling a dark outline
differs from the regions beside it mostly in lightness)."""

SNAP_REACH = 2
"""How far (pixels) around a dab on a line `snap_dabs` looks for the
regions beside it."""

INK_REACH_SHARE = 0.02
"""How far (a share of the short side) around a dab wholly on ink, with no
paper within `SNAP_REACH`, `snap_dabs` looks (a dab on a thick outline)."""


def _luma(rgb):
    """`(n,)` gray levels of `(n, 3)` RGB colors on 0..255 (OpenCV's RGB-to-gray, as `predict` reads sketches)."""
    return cv2.cvtColor(np.asarray(rgb, np.float32)[None], cv2.COLOR_RGB2GRAY)[0]


INK_CHROMA = 48
"""A dab is the lines' own color (`_is_ink`) when darker than their
threshold and grayer than this: max - min of R, G, B below it, in levels."""


_INSIDE = "put it inside the region to fill"
_FIGURE_SIDE = "the figure beside it, not the page around it"


def _is_ink(rgb, ink):
    """Whether an RGB color (0..255) is the lines' own: gray and darker than `ink` (gray levels)."""
    rgb = np.asarray(rgb, np.float32)
    return bool(_luma(rgb[None])[0] < ink and rgb.max() - rgb.min() < INK_CHROMA)


def _figure_side(near, rows, cols, closed):
    """For a dab on a line between paper of one region (`near`, `(h, w)`
    bool, the paper beside it in the window `rows`, `cols`): the side of
    the line that the regions at wide gaps (`closed()`: `(labels,
    touching)`) close off from the border, a figure, when the line parts
    `near` into sides and one of them has at least twice the share of its
    pixels in such a region as any other; else None."""
    if closed is None:
        return None
    count, sides = cv2.connectedComponents(near.view(np.uint8), connectivity=8)
    if count < 3:
        return None
    labels, touching = closed()
    enclosed = ~touching[labels[rows, cols]]
    # The side with by far the most of its pixels enclosed: the wide regions are grown into the
    # ink and part it near its middle, so by a thin or anti-aliased line a few pixels of a side
    # count to the other side (the page's side of a 2 px outline had 15 of 85).
    share = np.bincount(sides[enclosed], minlength=count)[1:] / np.maximum(np.bincount(sides.ravel())[1:], 1)
    order = np.argsort(-share)
    if share[order[0]] == 0 or share[order[0]] < 2 * share[order[1]]:
        return None
    return sides == 1 + order[0]


def snap_dabs(
    color, lines, hint_rgb, hint_mask, labels, reach=SNAP_REACH, paper=None, notes=None, closed=None, moved=None
):
    """Dabs on a line go to one region beside it: where their middle is, or the nearest in color.

    A dab with pixels on the ink of a line (a careless dab touching an
    outline, or one on it) goes to one region beside it, not by which side
    holds more of its pixels: the region under its middle (`Dab.x`,
    `Dab.y`) when that is paper, where the user clicked; else, its middle
    on the line, the region among those within `reach` pixels of it whose
    mean color in `color` (the network's, which got the hints) is nearest
    the dab's color (CIELAB distance, `SNAP_LAB_WEIGHTS` weighs it), a
    figure before the page (the regions touching the picture's border: on
    a figure's outline, a user means the figure). It then covers the paper
    of that region within `reach` pixels of it.
    Dabs wholly on paper are kept as they are. A dab with one region
    beside it goes to that one (a dab wholly on the line of a figure open
    to the page, where the page and the figure are one region, is not lost
    on the ink). A dab wholly on a line wider than `reach` looks for the
    paper beside it up to `INK_REACH_SHARE` of the short side away; one
    with none there (on a solid black area) is dropped, with a note. A dab of the lines' own color (gray, and
    darker than their threshold, `line_threshold`: `_is_ink`) beside no
    region whose mean color is that dark asks for the line itself: it is
    dropped. A dark red or blue is a color, not the line.

    Args:
        color: `(H, W, 3)` uint8 RGB, the colors the regions have without
            the fill (the network's flat color).
        lines: `(H, W)` uint8 gray sketch, 255 paper and 0 ink.
        hint_rgb: `(H, W, 3)` uint8 RGB hint colors.
        hint_mask: `(H, W)` bool, True on hints.
        labels: `(H, W)` int32 line-bounded regions (`hint_fill.line_regions`).
        reach: pixels around a dab.
        paper: `(H, W)` bool, the sketch's paper, if the caller has it
            (`hint_fill.PaperRegions.paper`); default: from `lines`.
        notes: optional list: a one-line note is appended for each dab
            whose middle is on a line (which side it went to was a guess),
            each dropped as the line itself, and each on ink with no paper
            beside it.
        closed: optional function of no arguments that returns `(labels,
            touching)`: the regions with wide gaps closed and which touch
            the border (`FIGURE_GAP_SHARE`), for a dab on the line of a
            figure that is one region with the page: it goes to the
            figure's side.
        moved: optional list: `(dab, rows, cols, into)` is appended for
            each dab moved, `into` the `(h, w)` bool of its new pixels in
            the box (`rows`, `cols` slices) (`fill_layers` names a moved
            dab in its later notes as the user placed it).

    Returns:
        (hint_rgb, hint_mask): new arrays, the moved dabs' pixels in their
        regions; the inputs themselves when no dab is on a line.
    """
    hint_mask = np.asarray(hint_mask).astype(bool, copy=False)
    paper = lines >= line_threshold(lines) if paper is None else paper
    if not (hint_mask & ~paper).any():
        return hint_rgb, hint_mask
    dab_map, dabs = find_dabs(hint_rgb, hint_mask)
    height, width = lines.shape
    flat_labels = labels.ravel()
    counts = np.bincount(flat_labels, minlength=1)
    sums = np.stack([np.bincount(flat_labels, color[..., c].ravel(), minlength=counts.size) for c in range(3)], -1)
    means = (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)  # (regions + 1, 3) RGB
    lab = cv2.cvtColor(means[None] / 255.0, cv2.COLOR_RGB2LAB)[0] * SNAP_LAB_WEIGHTS  # (regions + 1, 3)
    luma = _luma(means)  # (regions + 1,)
    ink = line_threshold(lines)
    page = _border_labels(labels)
    out_rgb, out_mask = hint_rgb.copy(), hint_mask.copy()
    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    for k, box in enumerate(scipy.ndimage.find_objects(dab_map), 1):
        if box is None:
            continue
        rows = slice(max(box[0].start - reach, 0), min(box[0].stop + reach, height))
        cols = slice(max(box[1].start - reach, 0), min(box[1].stop + reach, width))
        own = dab_map[rows, cols] == k
        if paper[rows, cols][own].all():
            continue  # wholly on paper: the region it is in
        near = cv2.dilate(own.view(np.uint8), kernel).view(bool) & paper[rows, cols]
        region = labels[rows, cols]
        candidates = np.unique(region[near & (region > 0)])
        if not candidates.size:  # wholly on a line wider than the dab: the paper beside it, a line's width away
            wide = max(reach, round(INK_REACH_SHARE * min(height, width)))
            rows = slice(max(box[0].start - wide, 0), min(box[0].stop + wide, height))
            cols = slice(max(box[1].start - wide, 0), min(box[1].stop + wide, width))
            own = dab_map[rows, cols] == k
            near = cv2.dilate(own.view(np.uint8), _disc(wide)).view(bool) & paper[rows, cols]
            region = labels[rows, cols]
            candidates = np.unique(region[near & (region > 0)])
        if _is_ink(dabs[k - 1].color, ink) and (luma[candidates] >= ink).all():
            out_mask[rows, cols][own] = False  # the line's own darkness on a line, beside no dark region: the line
            if notes is not None:
                notes.append(f"{dabs[k - 1]} is the lines' own color on a line: it fills nothing; {_INSIDE}")
            continue
        if not candidates.size:
            out_mask[rows, cols][own] = False
            if notes is not None:
                notes.append(f"{dabs[k - 1]} is on ink with no paper beside it: it fills nothing; {_INSIDE}")
            continue
        cy, cx = dabs[k - 1].y - rows.start, dabs[k - 1].x - cols.start
        if candidates.size == 1:
            # One region beside it (a figure open to the page is one region with it): the
            # figure's side of the line where wider gaps close it, else the paper beside it.
            into = _figure_side(near, rows, cols, closed) if not paper[rows, cols][cy, cx] else None
            if into is None:
                into = near & (region == candidates[0])
            elif notes is not None:
                notes.append(f"{dabs[k - 1]} is on a line: it fills {_FIGURE_SIDE}; {_INSIDE}")
            out_mask[rows, cols][own] = False
            out_mask[rows, cols][into] = True
            out_rgb[rows, cols][into] = dabs[k - 1].color
            if moved is not None:
                moved.append((dabs[k - 1], rows, cols, into))
            continue
        if paper[rows, cols][cy, cx] and region[cy, cx] in candidates:
            best = region[cy, cx]  # its middle on a region's paper: where the user clicked
        else:
            which = "region"
            figures = candidates[~page[candidates]]
            if figures.size and figures.size < candidates.size:
                candidates, which = figures, "figure"  # on an outline between a figure and the page: the figure
            dab = np.array(dabs[k - 1].color, np.float32)[None, None] / 255.0
            target = cv2.cvtColor(dab, cv2.COLOR_RGB2LAB)[0, 0] * SNAP_LAB_WEIGHTS
            best = candidates[np.argmin(((lab[candidates] - target) ** 2).sum(-1))]
            if notes is not None:
                side = f"the {which} beside it" + (" whose color is nearest its own" if candidates.size > 1 else "")
                side += ", not the page around it" if which == "figure" else ""
                notes.append(f"{dabs[k - 1]} is on a line: it fills {side}; {_INSIDE}")
        into = near & (region == best)
        out_mask[rows, cols][own] = False
        out_mask[rows, cols][into] = True
        out_rgb[rows, cols][into] = dabs[k - 1].color
        if moved is not None:
            moved.append((dabs[k - 1], rows, cols, into))
    return out_rgb, out_mask


def _snap(color, lines, hint_rgb, hint_mask, regions, gap, labels=None, notes=None, moved=None, ladder=None):
    """`snap_dabs` for `fill_layers` and `fill_hinted_regions`: the regions'
    labels at `gap` are computed only when a dab is on a line (`notes` as
    `snap_dabs`'s, and `moved`; `ladder`: the sketch's `_Ladder`, whose
    regions at the widest gap it shares).

    Returns:
        (hint_rgb, hint_mask, labels): labels None when not computed.
    """
    hint_mask = np.asarray(hint_mask).astype(bool, copy=False)
    paper = regions.paper > 0
    if not (hint_mask & ~paper).any():
        return hint_rgb, hint_mask, labels
    labels = regions.labels(gap) if labels is None else labels
    height, width = lines.shape

    def closed():
        wide = max(gap, round(FIGURE_GAP_SHARE * min(height, width)))
        if ladder is not None:  # the plan may ask for the same gap (`_leak`'s widest)
            return ladder.full(wide)
        wide = regions.labels(wide)
        return wide, _border_labels(wide)

    snapped = snap_dabs(color, lines, hint_rgb, hint_mask, labels, paper=paper, notes=notes, closed=closed, moved=moved)
    return (*snapped, labels)


def gap_ladder(gap, height, width, share=None):
    """The wider gaps tried for a dab whose region touches the border: 2, 4,
    ... times `gap`, ending at `share` (default `MAX_GAP_SHARE`) of the
    short side (none if that is not wider than `gap`)."""
    top = max(1, round((MAX_GAP_SHARE if share is None else share) * min(height, width)))
    ladder = []
    step = max(gap, 1)
    while step < top:
        step = min(top, step * 2)
        ladder.append(step)
    return ladder


def _border_labels(labels):
    """Bool `(n + 1,)`: the labels that touch the image border."""
    touching = np.zeros(int(labels.max()) + 1, bool)
    touching[labels[0]] = touching[labels[-1]] = touching[labels[:, 0]] = touching[labels[:, -1]] = True
    return touching


def _majority(labels, pixels):
    """The most common label among the flat `pixels` indices."""
    values, counts = np.unique(labels.ravel()[pixels], return_counts=True)
    return int(values[np.argmax(counts)])


DECIDE_SIDE = 1024
"""Whether a dab is inside a figure is decided on the sketch reduced (block
minimum: no line is lost) to a short side of at most this many pixels; the
area it fills is then found at full size."""


class _Ladder:
    """Region labels at wider gaps, computed when first asked for: at full
    size (`full`) and at the deciding scale (`coarse`, 1 / `factor`)."""

    def __init__(self, lines, regions=None):
        self.lines = lines
        self.regions = regions
        height, width = lines.shape
        self.factor = max(1, -(-min(height, width) // DECIDE_SIDE))
        self._small = None
        self._full = {}
        self._coarse = {}
        self._pieces = None  # the ink's pieces at the deciding scale (`_ink_pieces`)
        self._piece_stats = None
        self._piece_holes = {}  # piece -> px of paper it encloses
        self._ends = None  # (stroke ends, their cut-back) at the deciding scale
        self._cut_ends = None  # the ends `_gap_cuts` starts from

    def full(self, gap):
        """(labels, touching) at full size with gaps up to `gap` px closed."""
        if gap not in self._full:
            self.regions = self.regions or hint_fill.PaperRegions(self.lines)
            labels = self.regions.labels(gap)
            self._full[gap] = (labels, _border_labels(labels))
        return self._full[gap]

    def coarse(self, gap):
        """(labels, touching) at the deciding scale, gaps up to `gap` full-size px closed."""
        if self.factor == 1:
            return self.full(gap)
        if gap not in self._coarse:
            labels = self._small_regions().labels(max(1, round(gap / self.factor)))
            self._coarse[gap] = (labels, _border_labels(labels))
        return self._coarse[gap]

    def _small_regions(self):
        """The `hint_fill.PaperRegions` of the sketch at the deciding scale."""
        if self.factor == 1:
            self.regions = self.regions or hint_fill.PaperRegions(self.lines)
            return self.regions
        if self._small is None:
            k = self.factor
            small = cv2.erode(self.lines, np.ones((k, k), np.uint8), anchor=(0, 0))[::k, ::k]
            self._small = hint_fill.PaperRegions(np.ascontiguousarray(small))
        return self._small

    def small_paper(self):
        """`(h, w)` uint8 paper at the deciding scale."""
        return self._small_regions().paper

    def pocket(self, labels, touching, region, gap):
        """Whether `region` of `labels` (at the deciding scale, from
        `coarse(gap)`), closed off from the border by closing gaps up to
        `gap` full-size px, is a pocket of the page between figures rather
        than a figure whose outline is open (`_between_figures`, at the
        gaps it was closed at). A figure's outline is open where a stroke
        stops short; the paper between three squares is closed off by the
        same wider closing, but at gaps between outlines that each close
        on their own."""
        box = self._box(labels == region, gap / self.factor)
        bridges = _gap_pixels(labels[box], touching, region, self.small_paper()[box])
        return self._between_figures(bridges, box, gap / self.factor)

    def pocket_part(self, part, cell):
        """Whether `part` (`(H, W)` bool at full size: a part of a region
        that the network does not see as paper, `_Walls.part`) is a pocket
        of the page between figures: `_between_figures` at its edge on
        paper, where the network's paper begins; `cell` is the network's
        cell in full-size px."""
        k = self.factor
        small = np.ascontiguousarray(part[::k, ::k])
        size = max(cell / k, 2.0)
        box = self._box(small, size)
        paper = self.small_paper()[box] > 0
        inside = small[box]
        edge = inside & paper & cv2.dilate((~inside & paper).view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        return self._between_figures(edge, box, size)

    def _box(self, mask, size):
        """The bounding box of `mask` (deciding scale) with room round it for `_between_figures`."""
        return _grown_box(mask, 2 * _reach(size) + POCKET_MARGIN)

    def _between_figures(self, openings, box, size):
        """Whether the `openings` (`(h, w)` bool in `box` of the deciding
        scale, about `size` px wide) lie between figures: no stroke ends
        within reach of them (`hint_fill.skeleton_ends`, pruned), and every
        outline beside them is a closed figure (`_closed`)."""
        if not openings.any():
            return False
        ink = self.small_paper()[box] == 0
        ends, prune = self.stroke_ends()
        near = cv2.dilate(openings.view(np.uint8), _disc(_reach(size))).view(bool)
        if np.any(ends[box] & cv2.dilate(near.view(np.uint8), _disc(prune)).view(bool)):  # an end recedes by `prune`
            return False
        pieces = np.unique(self._ink_pieces()[box][near & ink])
        pieces = pieces[pieces > 0]
        return pieces.size > 0 and all(self._closed(int(piece), size) for piece in pieces)

    def stroke_ends(self):
        """(ends, prune): the strokes' ends at the deciding scale
        (`hint_fill.skeleton_ends`, pruned; `(h, w)` bool), and how far they
        recede into their strokes (px at that scale). Computed once for the
        whole sketch: a box would cut strokes and make ends."""
        if self._ends is None:
            ends, stroke = hint_fill.skeleton_ends(self.small_paper() == 0, prune=True)
            self._ends = (ends, max(2, int(np.ceil(stroke))))
        return self._ends

    def cut_ends(self):
        """(ends, prune) for `_gap_cuts`, at the deciding scale: as
        `stroke_ends`, with the ends a step in the skeleton hides
        (`hint_fill.skeleton_ends(steps=True)`)."""
        if self._cut_ends is None:
            ends, stroke = hint_fill.skeleton_ends(self.small_paper() == 0, prune=True, steps=True)
            self._cut_ends = (ends, max(2, int(np.ceil(stroke))))
        return self._cut_ends

    def _ink_pieces(self):
        """`(h, w)` int32 labels of the ink's 8-connected pieces at the deciding scale, 0 on paper."""
        if self._pieces is None:
            ink = (self.small_paper() == 0).view(np.uint8)
            _, self._pieces, self._piece_stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        return self._pieces

    def _closed(self, piece, gap):
        """Whether ink piece `piece` encloses paper: holes of at least
        (`gap` / 2)^2 px in all (deciding scale), not a speck where two
        strokes cross."""
        if piece not in self._piece_holes:
            x, y, w, h = self._piece_stats[piece, :4]
            mask = self._pieces[y : y + h, x : x + w] == piece
            self._piece_holes[piece] = np.count_nonzero(scipy.ndimage.binary_fill_holes(mask)) - np.count_nonzero(mask)
        return self._piece_holes[piece] >= max(MIN_HOLE, (gap / 2.0) ** 2)

    def pockets(self, area, gap):
        """`(H, W)` bool at full size: the parts of `area` (full-size bool)
        that closing gaps up to `gap` closes off from the border and that
        are pockets of the page between figures (`pocket`), grown by one
        block at the deciding scale."""
        height, width = self.lines.shape
        labels, touching = self.coarse(gap)
        k = self.factor
        covered = area[::k, ::k]
        enclosed = covered & ~touching[labels] & (labels > 0)
        found = np.zeros(labels.shape, bool)
        for part in np.unique(labels[enclosed]):
            if self.pocket(labels, touching, int(part), gap):
                found |= labels == part
        if not found.any():
            return np.zeros((height, width), bool)
        found = cv2.dilate(found.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        return self.to_full(found, height, width)

    def open_gap(self, labels, touching, region, paper):
        """`_open_gap` of coarse `labels` (after `coarse`; `paper` the
        full-size one) at full size: `(x, y, width)`, or "a gap" when it
        has no place."""
        k = self.factor
        where = _open_gap(labels, touching, region, paper if k == 1 else self.small_paper())
        if where is None:
            return "a gap"
        (x, y), size = where
        return x * k + k // 2, y * k + k // 2, size * k

    def to_full(self, mask, height, width):
        """`(h, w)` bool at the deciding scale -> `(height, width)` bool at full size."""
        k = self.factor
        return mask if k == 1 else mask.repeat(k, 0).repeat(k, 1)[:height, :width]

    def to_coarse(self, pixels):
        """Flat full-size pixel indices -> flat indices at the deciding scale."""
        if self.factor == 1:
            return pixels
        width = self.lines.shape[1]
        small_width = -(-width // self.factor)
        y, x = np.divmod(pixels, width)
        return (y // self.factor) * small_width + x // self.factor


def _gap_pixels(labels, touching, region, paper):
    """`(H, W)` bool: where the region `region` of `labels` meets a region
    that touches the border (`touching`, by label) on paper, not ink: the
    gaps that closing shut."""
    inside = labels == region
    rim = inside & ~cv2.erode(inside.view(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE).view(
        bool
    )
    outside = cv2.dilate((~inside).view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    # Rim pixels on paper that touch paper of another region.
    other_paper = cv2.dilate((touching[labels] & (paper > 0)).view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    return rim & outside & other_paper & (paper > 0)


MIN_HOLE = 16
"""The least paper (px at the deciding scale) that an outline must enclose
to count as a closed figure (`_Ladder.pocket`)."""

POCKET_MARGIN = 32
"""Room (px at the deciding scale) round a pocket's box beyond two reaches:
the stroke ends within reach of its openings, and their cut-back."""

POCKET = "pocket"
"""What `_inside_figure` and `_leak` give for a dab that wider closing
closes off only in pockets of the page between figures (`_Ladder.pocket`):
a dab on the page."""


def _grown_box(mask, margin):
    """(rows, cols) slices: the bounding box of `mask` (`(H, W)` bool)
    grown by `margin` px on every side, within the picture."""
    left, top, cols, rows = cv2.boundingRect(mask.view(np.uint8))
    height, width = mask.shape
    return (
        slice(max(0, top - margin), min(height, top + rows + margin)),
        slice(max(0, left - margin), min(width, left + cols + margin)),
    )


def _reach(size):
    """How far (px) from an opening `size` px wide a stroke's end counts as at it."""
    return int(np.ceil(size / 2.0)) + 2


def _disc(radius):
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _open_gap(labels, touching, region, paper):
    """Where the region `region` of `labels` meets a region that touches the
    border (`touching`, by label) on paper, not ink (its closed gaps):
    ((x, y), width in px) of the widest, or None."""
    gap = _gap_pixels(labels, touching, region, paper)
    if not gap.any():
        return None
    # The widest opening: the gap pixel farthest from the ink (the middle
    # of a gap is half its width from either end; a sliver of paper where
    # two lines meet is close to both).
    clearance = cv2.distanceTransform(paper, cv2.DIST_L2, 3)
    clearance[~gap] = -1.0
    y, x = np.unravel_index(int(np.argmax(clearance)), clearance.shape)
    return (int(x), int(y)), int(round(2 * clearance[y, x]))


def _gap(opening):
    """A note's words for where an outline is open: `(x, y, width)`, or its text."""
    if isinstance(opening, str):
        return opening
    x, y, width = opening
    return f"a gap of about {width} px near {x},{y}"


def _open_note(dab, opening, what):
    """The note for a dab inside an outline open to the page at `opening`, and `what` its fill did."""
    return f"{dab} is inside an outline open to the page at {_gap(opening)}; {what}"


def _open_edge(area, paper, point, cell):
    """Where `area` (a fill walled by the network's paper) meets paper
    outside it rather than ink: None when `point` (`(x, y, width)` of a gap
    found by closing, or None) is within its width (or `cell`) of such an
    edge, else `(x, y, extent in px)` of the longest stretch of that edge
    (its pixel nearest the stretch's centre, and its bounding box's
    diagonal), or None if there is none."""
    outside = (~area & (paper > 0)).view(np.uint8)
    edge = area & (paper > 0) & cv2.dilate(outside, np.ones((3, 3), np.uint8)).view(bool)
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(edge.view(np.uint8), connectivity=8)
    if count <= 1:
        return None
    if point is not None:
        ys, xs = np.nonzero(edge)
        if np.min(np.hypot(xs - point[0], ys - point[1])) <= max(cell, point[2]):
            return None
    longest = 1 + int(np.argmax(np.hypot(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])))
    ys, xs = np.nonzero(pieces == longest)
    nearest = int(np.argmin(np.hypot(ys - ys.mean(), xs - xs.mean())))
    extent = np.hypot(stats[longest, cv2.CC_STAT_WIDTH], stats[longest, cv2.CC_STAT_HEIGHT])
    return int(xs[nearest]), int(ys[nearest]), int(round(extent))


def split_between(area, dab_map, dab_ids):
    """Splits an area between dabs: each pixel to the dab nearest to it
    along the area (a geodesic flood, 8-connected; ties to the later dab).

    Args:
        area: `(H, W)` bool, the pixels to split.
        dab_map: `(H, W)` int32 dab numbers (`find_dabs`).
        dab_ids: the dab numbers that share the area (>= 1).

    Returns:
        `(H, W)` int32: a dab number on `area`, 0 elsewhere.
    """
    height, width = area.shape
    out = np.zeros((height, width), np.int32)
    left, top, cols, rows = cv2.boundingRect(area.view(np.uint8))
    if not cols:
        return out
    crop = area[top : top + rows, left : left + cols]
    sharing = np.zeros(int(dab_map.max()) + 1, bool)
    sharing[list(dab_ids)] = True
    dabs = dab_map[top : top + rows, left : left + cols]
    seeds = np.where(sharing[dabs] & crop, dabs, 0)
    scale = max(1.0, max(rows, cols) / SPLIT_SIDE)
    small = (max(1, round(cols / scale)), max(1, round(rows / scale)))
    walk = cv2.resize(crop.view(np.uint8), small, interpolation=cv2.INTER_NEAREST).astype(bool)
    # Every dab keeps a seed at the small scale (at its pixels' positions).
    grown = np.zeros(walk.shape, np.float32)
    sy, sx = np.nonzero(seeds)
    small_y = np.minimum((sy / scale).astype(np.int64), walk.shape[0] - 1)
    small_x = np.minimum((sx / scale).astype(np.int64), walk.shape[1] - 1)
    grown[small_y, small_x] = seeds[sy, sx]
    walk[small_y, small_x] = True
    kernels = (cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)), np.ones((3, 3), np.uint8))
    step = 0
    while True:
        todo = walk & (grown == 0)
        grown_more = cv2.dilate(grown, kernels[step % 2])  # cross and square in turn: octagonal distance
        new = todo & (grown_more > 0)
        if not new.any():
            break
        np.copyto(grown, grown_more, where=new)
        step += 1
    # Small pixels the flood did not reach (off the area, or parts too thin
    # for the small scale): the nearest reached one's dab, so that every
    # full-size pixel of the area gets one.
    grown = grown.astype(np.int32)
    _assign_nearest(grown, grown == 0)
    up = cv2.resize(grown, (cols, rows), interpolation=cv2.INTER_NEAREST)
    up[~crop] = 0
    out[top : top + rows, left : left + cols] = up
    return out


def _name(dabs, ids, most=4):
    names = [str(dabs[i - 1]) for i in ids[:most]]
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return ", ".join(names[:-1]) + (f" and {names[-1]}" if len(names) > 1 else names[0]) + more


def plan_fill(
    lines, hint_rgb, hint_mask, gap=None, labels=None, regions=None, paper_wall=None, wall_cell=None, ladder=None
):
    """Decides which pixels each hint fills (see the module docstring).

    Args:
        lines: `(H, W)` uint8 gray sketch, 255 paper and 0 ink.
        hint_rgb: `(H, W, 3)` uint8 RGB hint colors.
        hint_mask: `(H, W)` bool, True on hints.
        gap: the widest line gap closed for every hint (`line_regions`).
        labels: `line_regions(lines, gap)` when the caller has it already.
        regions: a `hint_fill.PaperRegions` of `lines`, if the caller has one.
        paper_wall: optional `(H, W)` bool, True where the network sees
            paper (`fullres.paper_decision`), or a function of no arguments
            that returns it (called when a dab first needs it): a dab off
            it whose region reaches the page border at every gap tried
            fills the part of its region the network does not see as paper
            (step 3).
        wall_cell: how far the network's paper decision strays from the
            lines, in full-size pixels: its output cell (`fullres.cell_size`);
            default `WALL_CELL_SHARE` of the short side.
        ladder: the `_Ladder` of `lines` (and `regions`) when the caller
            has one: the regions it found at wider gaps are not found again.

    Returns:
        A `FillPlan`.

    Raises:
        ColorizeError: mismatched shapes or dtypes.
    """
    lines = hint_fill._check_lines(lines)
    shape = lines.shape
    height, width = shape
    hint_rgb, hint_mask = np.asarray(hint_rgb), np.asarray(hint_mask)
    if hint_rgb.shape != (*shape, 3) or hint_rgb.dtype != np.uint8:
        raise ColorizeError(f"hint_rgb must be a {(*shape, 3)} uint8 array, got {hint_rgb.shape} {hint_rgb.dtype}")
    if hint_mask.shape != shape:
        raise ColorizeError(f"hint_mask must have shape {shape}, got {hint_mask.shape}")
    if labels is not None and labels.shape != shape:
        raise ColorizeError(f"labels must have shape {shape}, got {labels.shape}")
    if paper_wall is not None and not callable(paper_wall):
        paper_wall = _checked_wall(paper_wall, shape)
    index = np.zeros(shape, np.int32)
    if regions is None and labels is None:
        regions = hint_fill.PaperRegions(lines)
    paper = regions.paper if regions is not None else (lines >= line_threshold(lines)).astype(np.uint8)
    # A hint pixel on a line is ambiguous (the line parts two regions): only those on paper fill.
    on_paper = np.zeros(shape, bool)
    hinted = hint_mask.view(np.uint8) if hint_mask.dtype == bool else (hint_mask != 0).astype(np.uint8)
    left, top, cols, rows = cv2.boundingRect(hinted)
    box = (slice(top, top + rows), slice(left, left + cols))
    on_paper[box] = (hinted[box] > 0) & (paper[box] > 0)
    if not on_paper[box].any():
        return FillPlan(index, [], [])
    if gap is None:
        gap = hint_fill.default_gap(height, width)
    ladder = ladder or _Ladder(lines, regions)
    if labels is None:
        labels, _ = ladder.full(gap)
    if not labels.any():  # all ink: no region to fill
        return FillPlan(index, [], [])
    dab_map, dabs, pixels_of = _find_dabs(hint_rgb, on_paper)  # dab k -> its flat pixel indices
    base_border = _border_labels(labels)
    notes = []  # (dab number, note)
    groups = {}  # area key -> [dab numbers]
    areas = {}  # area key -> (H, W) bool
    waiting = []  # (dab number, base region, where, wider gap, off the network's paper): too open to close
    walled_notes = {}  # dab number -> (where its outline is open: text or (x, y, width), the wall's area key)
    kept_out = {}  # page area key -> (its first dab, the figures kept out of it: `_open_figures`)
    cell = wall_cell if wall_cell is not None else WALL_CELL_SHARE * min(height, width)
    walls = _Walls(labels, paper_wall, min_pixels=MIN_WALL_PART_CELLS * cell * cell)
    for k in range(1, len(dabs) + 1):
        pixels = pixels_of[k - 1]
        region = _majority(labels, pixels)
        key = ("region", region)
        if base_border[region]:
            key = _inside_figure(ladder, pixels, gap, height, width)
            if key is None or key is POCKET:
                leak = _leak(ladder, pixels, paper, gap, height, width)
                # In a pocket of the page between figures the network's paper is no wall:
                # it paints a small pocket as it paints the figures around it.
                walled = POCKET not in (key, leak) and walls.off_paper(pixels)
                if leak not in (None, POCKET):
                    waiting.append((k, region, *leak, walled))
                    continue
                wall_key = walls.part(region, pixels) if walled else None
                if wall_key is not None and ladder.pocket_part(walls.parts[wall_key], cell):
                    wall_key = None  # the network paints the page between figures there: still the page
                if wall_key is not None:  # no gap up to FIGURE_GAP_SHARE closes it; the network's paper does
                    wide_open = round(FIGURE_GAP_SHARE * min(height, width))
                    walled_notes[k] = (f"a gap wider than about {wide_open} px", wall_key)
                    groups.setdefault(wall_key, []).append(k)
                    continue
                key = ("paper", region)
                if key not in areas:
                    areas[key] = labels == region
                    ladder_top = gap_ladder(gap, height, width)[-1:]
                    if ladder_top:  # not the figures inside it, closed at the widest gap (but its pockets)
                        wide, touching = ladder.full(ladder_top[0])
                        areas[key] &= touching[wide] | ladder.pockets(areas[key], ladder_top[0])
                    if walls.has_wall:  # nor the figures the network sees that a wider gap closes
                        found = _open_figures(ladder, walls, areas[key], paper, gap, height, width)
                        kept_out[key] = (k, found)
                        for _, part, wider in found:  # its edge across the gap found at full size
                            figure = ladder.to_full(part, height, width) & areas[key]
                            areas[key] &= ~_sharpened(figure, lines, paper, labels == region, wider, ladder)
            else:
                key = (*key, region)
                if key not in areas:
                    wide = ladder.full(key[1])[0]
                    areas[key] = (labels == region) & (wide == key[2])
        if key not in areas:
            areas[key] = labels == region
        groups.setdefault(key, []).append(k)
    for k, region, opening, wider, walled in waiting:
        dab, pixels = dabs[k - 1], pixels_of[k - 1]
        wide, touching = ladder.full(wider)
        inner = _majority(wide, pixels)
        wall_key = walls.part(region, pixels) if walled else None
        paper_dabbed = ("paper", region) in groups
        if not touching[inner] and (paper_dabbed or wall_key is None):
            # The dab fills its figure up to the gap closed at the wider gap:
            # the paper around has its own hints, or the network sees paper
            # here too (it left the figure white) and a paint program's
            # gap-closing fill is what is left, rather than the hint lost.
            key = ("figure", wider, inner, region)
            if key not in areas:
                areas[key] = (labels == region) & (wide == inner)
            groups.setdefault(key, []).append(k)
            why = _CLOSED if paper_dabbed else _CLOSED_ALONE
            notes.append((k, _open_note(dab, opening, why)))
        elif wall_key is not None:
            groups.setdefault(wall_key, []).append(k)
            walled_notes[k] = (opening, wall_key)
        else:
            notes.append((k, _open_note(dab, opening, _LEFT)))
    for key, ids in groups.items():
        if key[0] == "wall":
            dab_pixels = np.concatenate([pixels_of[i - 1] for i in ids])
            # The gaps to cut straight: up to half again the widest the closing found, or any a
            # figure's outline may have.
            widths = [note[0][2] for i, note in walled_notes.items() if i in ids and isinstance(note[0], tuple)]
            cut_reach = 1.5 * max(widths) if widths else FIGURE_GAP_SHARE * min(height, width)
            areas[key] = _walled(lines, paper, walls.parts[key], dab_pixels, cell, ladder, cut_reach, labels == key[1])
        elif key[0] == "figure":
            dab_pixels = np.concatenate([pixels_of[i - 1] for i in ids])
            region = labels == key[-1]
            area = _sharpened(areas[key], lines, paper, region, key[1], ladder)
            area = _without_slivers(area, dab_pixels, max(1, round(gap)))
            areas[key] = _with_enclosed(area, region & (paper > 0), ENCLOSED_WIDTH)
        elif key[0] == "paper":
            dab_pixels = np.concatenate([pixels_of[i - 1] for i in ids])
            areas[key] = _reached(areas[key], paper, dab_pixels)
    for k, (opening, wall_key) in walled_notes.items():
        # Where the fill meets the network's paper is where the outline is open: the gap the wider
        # closing found when the fill stops there, else (it closed a passage between two shapes
        # inside the figure, or none) the longest stretch of the fill's edge on paper.
        point = opening if isinstance(opening, tuple) else None
        where = _open_edge(areas[wall_key], paper, point, cell) or opening
        notes.append((k, _open_note(dabs[k - 1], where, _WALLED)))
    for key, (k, found) in kept_out.items():
        others = [i for i in range(1, len(dabs) + 1) if i not in groups[key]]
        for opening, part, _ in found:
            if any(part.ravel()[ladder.to_coarse(pixels_of[i - 1])].any() for i in others):
                continue  # the figure has a dab of its own
            notes.append((k, f"{dabs[k - 1]} is on the page: {_KEPT_OUT.format(gap=_gap(opening))}"))
            break
    notes = [note for _, note in sorted(notes, key=lambda item: item[0])]
    page = None  # the page side of the walled parts, in a band along the fill
    for key in groups:
        if key[0] == "wall":
            away = cv2.distanceTransform((~areas[key]).view(np.uint8), cv2.DIST_L2, 3)
            band = walls.parts[key] & ~areas[key] & (away <= PAGE_BAND_CELLS * cell)
            page = band if page is None else page | band
    claimed = np.zeros(shape, bool)
    for key in sorted(groups, key=lambda key: int(np.count_nonzero(areas[key]))):
        ids = sorted(groups[key])
        area = areas[key] & ~claimed
        claimed |= area
        colors = {dabs[i - 1].color for i in ids}
        if len(colors) == 1:
            index[area] = ids[0]
            continue
        split = split_between(area, dab_map, ids)
        np.copyto(index, split, where=area)
        notes.append(f"{_name(dabs, ids)} share one region: it is split between them, each pixel to the nearest")
    if page is not None:
        page &= ~claimed
    return FillPlan(index, dabs, notes, page)


PAGE_BAND_CELLS = 1
"""`FillPlan.page` is the page side of a walled part within this many of the
network's cells of the fill: the band the network, given the hint, paints
past it (its paper edge strays by about a cell). Farther, the rest of the
part (often more figures, or a figure cut by the picture's edge) keeps the
network's colors: painted white, all of it cost 0.3 dB with 10 hints. One
cell was chosen on 150 validation windows (17.96 dB at 10 hints, two cells
17.94)."""

_LEFT = "its region is left to the network (close the gap, or dab the paper around it too)"
_CLOSED = "filled up to that gap, as the paper around it has hints of its own"
_CLOSED_ALONE = "filled up to that gap, as if it were closed (dab the paper around it too if the hint was for the page)"
_WALLED = "filled up to where the network sees paper"
_KEPT_OUT = "it fills the page up to what the network sees as a figure, open at {gap} (dab the figure to color it)"

WALL_CELL_SHARE = 1 / 32
"""Default `wall_cell`: the output cell of a network at a 128 px short side
(4 of its pixels), as a share of the sketch's short side."""

MIN_WALL_PART_CELLS = 16
"""A part of a region off the network's paper smaller than this many of its
cells (4 x 4) is a speck of the network's on the page, not a figure: a dab
in it is a dab on the paper."""

WALL_CORE = 1.5
"""The flood that fills a figure up to the network's paper starts from its
paper farther than this many cells from ink and from the network's paper:
wider than the band that the network's paper edge, blurred at its scale,
leaves off the paper outside an outline (which must not start it)."""


def _checked_wall(paper_wall, shape):
    paper_wall = np.asarray(paper_wall)
    if paper_wall.shape != shape or paper_wall.dtype != bool:
        raise ColorizeError(f"paper_wall must be a {shape} bool array, got {paper_wall.shape} {paper_wall.dtype}")
    return paper_wall


class _Walls:
    """The network's paper decision as a wall in the regions that reach the
    page border (`plan_fill`, step 3).

    Args:
        labels: `(H, W)` int32 region labels.
        paper_wall: `(H, W)` bool, True where the network sees paper, a
            function that returns it, or None.
    """

    def __init__(self, labels, paper_wall, min_pixels=0):
        self.labels = labels
        self._paper_wall = paper_wall
        self.min_pixels = min_pixels
        self.parts = {}  # ("wall", region, first pixel) -> (H, W) bool

    @property
    def has_wall(self):
        """Whether there is a network paper decision to wall with (without computing it)."""
        return self._paper_wall is not None

    @property
    def paper_wall(self):
        if callable(self._paper_wall):
            self._paper_wall = _checked_wall(self._paper_wall(), self.labels.shape)
        return self._paper_wall

    def off_paper(self, pixels):
        """Whether most of a dab (flat `pixels`) is where the network sees no paper."""
        if not self.has_wall:
            return False
        return 2 * int(np.count_nonzero(self.paper_wall.ravel()[pixels])) < pixels.size

    def part(self, region, pixels):
        """The key of the connected part of `region` off the network's paper
        that holds the dab (flat `pixels`), its mask in `parts`; None when
        the network sees no paper in the region (no wall), none of the
        dab's pixels in the region is off it, or the part is smaller than
        `min_pixels` (a speck of the network's on the page, not a figure)."""
        for key, part in self.parts.items():
            if key[1] == region and part.ravel()[pixels].any():
                return key
        inside = self.labels == region
        if not np.any(inside & self.paper_wall):
            return None
        free = (inside & ~self.paper_wall).view(np.uint8)  # (H, W) 1 off the network's paper
        height, width = free.shape
        mask = np.zeros((height + 2, width + 2), np.uint8)
        flags = 4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
        for pixel in pixels[free.ravel()[pixels] > 0]:
            y, x = divmod(int(pixel), width)
            if not mask[y + 1, x + 1]:
                cv2.floodFill(free, mask, (x, y), 1, 0, 0, flags)
        part = mask[1:-1, 1:-1].view(bool)
        first = int(np.argmax(part.ravel()))
        if not part.ravel()[first]:  # none of the dab off the paper in its region
            return None
        if np.count_nonzero(part) < self.min_pixels:
            return None
        key = ("wall", region, first)
        self.parts[key] = part
        return key


def _walled(lines, paper, part, pixels, cell, ladder=None, reach=0, region=None):
    """What dabs fill of a part of a region off the network's paper (`_Walls.part`).

    The network decides paper at its own scale, so its paper edge strays
    from the lines by up to about a cell: `part` runs along the outside of
    a figure's outline too and reaches the figure through the outline's
    gap. The fill stops at the lines: the dabs and the part's core (its
    paper farther than `cell` from ink and from the network's paper) flood
    the part's paper against the page around it (OpenCV's watershed,
    flooding by darkness), so that they meet at the outline and in its gap;
    the part's lines then go to their nearest paper, split at their middle
    as between regions. On flat paper that meeting is ragged and wanders
    with the network's paper edge, so where the fill meets the page within
    `reach` px of a stroke's end, the gap is cut straight: a line from the
    end to the nearest ink of another stroke (`_gap_cuts`) is drawn into
    the sketch and the flood is run again round it (`_recut`).

    Args:
        lines: `(H, W)` uint8 sketch.
        paper: `(H, W)` uint8, 1 on paper (`PaperRegions.paper`).
        part: `(H, W)` bool.
        pixels: flat indices of the dabs' pixels.
        cell: the network's cell in full-size pixels.
        ladder: the sketch's `_Ladder` (its stroke ends), or None: no cuts.
        reach: the widest gap to cut across, in px (0: no cuts).
        region: `(H, W)` bool, the region that holds `part` (no cuts
            without it): on the fill's side of a cut, the fill may take the
            region's paper that the network sees as paper.

    Returns:
        `(H, W)` bool, within `part` but where a cut gives it more of
        `region`.
    """
    height, width = part.shape
    area = np.zeros((height, width), bool)
    box = _grown_box(part, 1)
    (top, bottom), (left, right) = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
    inside = part[box]
    ys, xs = np.divmod(pixels, width)
    ys, xs = ys - top, xs - left
    in_box = (ys >= 0) & (ys < bottom - top) & (xs >= 0) & (xs < right - left)  # a dab may reach past the part
    ys, xs = ys[in_box], xs[in_box]
    held = inside[ys, xs]
    ys, xs = ys[held], xs[held]
    sketch = lines[box]
    filled = _walled_flood(sketch, paper[box] > 0, inside, ys, xs, cell)
    if ladder is not None and region is not None and reach > 0 and filled.any():
        area[box] = filled
        closed = _closed_by_cuts(ladder, lines, paper, region, area, pixels, reach)
        if closed is not None:
            return closed
        cuts = _gap_cuts(ladder, paper, box, filled, reach)
        if cuts:
            _recut(filled, sketch, paper[box] > 0, region[box], cuts, reach)
    area[box] = filled
    return area


def _closed_by_cuts(ladder, lines, paper, region, filled, pixels, reach):
    """A figure that straight lines between its strokes' ends close: with
    every cut within `reach` px (`_gap_cuts`, from all the stroke ends
    within `CLOSED_REACH` times `reach` of the fill) drawn in, the piece of the region's
    paper (4-connected) that holds most of the dab, when it stays off the
    edge of that box (it is closed), holds at least `CLOSED_SHARE` of the
    fill's paper, and is at most `CLOSED_GROWTH` times it (the same
    figure, not the page closed off between figures), with what the walled
    fill held in the other pieces the cuts shut off from the page; the
    lines go to their nearest paper. Legs open at the feet are filled to the feet,
    where the network, seeing paper in their narrow ends, walls the fill
    off halfway down.

    Args:
        ladder: the sketch's `_Ladder`.
        lines: `(H, W)` uint8 sketch.
        paper: `(H, W)` uint8, 1 on paper.
        region: `(H, W)` bool, the dab's region.
        filled: `(H, W)` bool, the fill walled by the network's paper.
        pixels: flat indices of the dabs' pixels.
        reach: px.

    Returns:
        `(H, W)` bool, or None when no such piece.
    """
    height, width = filled.shape
    box = _grown_box(filled, int(np.ceil(CLOSED_REACH * reach)))
    (y0, y1), (x0, x1) = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
    cuts = _gap_cuts(ladder, paper, box, filled[box], reach, everywhere=True)
    if not cuts:
        return None
    drawn = _drawn(cuts, (y1 - y0, x1 - x0))
    inside = region[box]
    free = inside & (paper[box] > 0) & (drawn == 0)
    count, pieces = cv2.connectedComponents(free.view(np.uint8), connectivity=4)
    ys, xs = np.divmod(pixels, width)
    held = (ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1)
    found = pieces[ys[held] - y0, xs[held] - x0]
    found = found[found > 0]
    if not found.size:
        return None
    piece = np.bincount(found).argmax()
    if _border_labels(pieces)[piece]:
        return None  # it reaches the box's edge: not closed by the cuts
    mine = pieces == piece
    was = filled[box] & (paper[box] > 0)
    size, had = int(np.count_nonzero(mine)), int(np.count_nonzero(was))
    if np.count_nonzero(mine & was) < CLOSED_SHARE * had or size > CLOSED_GROWTH * had:
        return None
    # What the walled fill held in pieces the cuts shut off from the page (between the spikes of
    # a solid shape) stays the fill's.
    mine |= was & ~_border_labels(pieces)[pieces] & (pieces > 0)
    labels = np.where(mine, 1, 2).astype(np.int32)
    near = cv2.dilate(mine.view(np.uint8), np.ones((3, 3), np.uint8), iterations=int(np.ceil(reach))).view(bool)
    _assign_nearest(labels, near & inside & ~free)  # the lines and the cuts beside it
    out = np.zeros((height, width), bool)
    out[box] = inside & (labels == 1)
    return out


CLOSED_REACH = 4
"""`_closed_by_cuts` looks for the cuts that close a figure up to this many
times the reach round the walled fill (a leg runs on below it)."""

CLOSED_SHARE = 0.9
"""`_closed_by_cuts`: the closed piece holds at least this share of the fill."""

CLOSED_GROWTH = 2.0
"""`_closed_by_cuts`: the closed piece is at most this many times the fill."""


def _recut(filled, lines, on_paper, inside, cuts, reach):
    """`_walled`'s fill decided again within `reach` px of the `cuts`
    (`_gap_cuts`): with the cuts drawn in as ink, each piece of the
    region's paper (`inside`, 4-connected) there is the fill's where at
    least `RECUT_SHARE` of it outside that reach is filled, the page's
    where at most 1 - `RECUT_SHARE` is, and stays as it was otherwise (a
    gap left uncut joins the figure to the page); lines and the cuts go to
    their nearest paper. Worked on the cuts' box with `reach` round it.

    Args:
        filled: `(h, w)` bool, the fill; changed in place.
        lines: `(h, w)` uint8 sketch.
        on_paper: `(h, w)` bool, the sketch's paper.
        inside: `(h, w)` bool, the dab's region.
        cuts: [((x0, y0), (x1, y1))], `_gap_cuts`.
        reach: px.
    """
    h, w = filled.shape
    pts = np.array([p for cut in cuts for p in cut])
    r = int(np.ceil(reach)) + 2
    x0, y0 = max(0, int(pts[:, 0].min()) - r), max(0, int(pts[:, 1].min()) - r)
    x1, y1 = min(w, int(pts[:, 0].max()) + r + 1), min(h, int(pts[:, 1].max()) + r + 1)
    box = (slice(y0, y1), slice(x0, x1))
    drawn = _drawn([((a[0] - x0, a[1] - y0), (b[0] - x0, b[1] - y0)) for a, b in cuts], (y1 - y0, x1 - x0))
    zone = cv2.distanceTransform((drawn == 0).view(np.uint8), cv2.DIST_L2, 3) <= reach
    region = inside[box]
    free = region & on_paper[box] & (drawn == 0)
    count, pieces = cv2.connectedComponents(free.view(np.uint8), connectivity=4)
    was = filled[box]
    far = free & ~zone
    total = np.bincount(pieces[far], minlength=count)
    share = np.bincount(pieces[far], weights=was[far], minlength=count) / np.maximum(total, 1)
    side = np.zeros(count, np.int32)  # 0: as it was, 1: the fill's, 2: the page's
    side[(total > 0) & (share >= RECUT_SHARE)] = 1
    side[(total > 0) & (share <= 1 - RECUT_SHARE)] = 2
    side[0] = 0
    labels = np.where(was, 1, 2).astype(np.int32)
    decided = zone & free & (side[pieces] > 0)
    labels[decided] = side[pieces][decided]
    # The lines and the cuts near the cuts: to their nearest paper (split at their middle).
    _assign_nearest(labels, zone & region & ~on_paper[box] | (drawn > 0) & region)
    filled[box] = region & (labels == 1)


RECUT_SHARE = 0.9
"""`_recut`: a piece of paper near a cut is the fill's (or the page's) when
at least this share of it away from the cuts was (from the watershed)."""


def _walled_flood(lines, on_paper, inside, ys, xs, cell):
    """`_walled`'s flood on its box: `(h, w)` bool, the part of `inside`
    (bool) that the dab pixels (`ys`, `xs`, within `inside`) and the core
    they hold take, against the page (outside `inside`); `on_paper` is
    the box's paper (bool), `lines` its sketch (uint8)."""
    on_paper = on_paper & inside
    distance = cv2.distanceTransform(on_paper.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
    core = (distance > WALL_CORE * cell).view(np.uint8)
    del distance
    _, pieces = cv2.connectedComponents(core, connectivity=4)
    markers = np.where(inside, 0, 2).astype(np.int32)  # 2: the page around the part
    held_pieces = np.unique(pieces[ys, xs])
    held_pieces = held_pieces[held_pieces > 0]
    core_count = int(pieces.max())
    if not held_pieces.size and core_count and ys.size:
        # A dab by the outline, off the core: the core nearest to it (a lone dab on flat paper
        # would meet the page's flood halfway, along a straight edge through the figure).
        away = np.ones(inside.shape, np.uint8)
        away[ys, xs] = 0
        distance = cv2.distanceTransform(away, cv2.DIST_L2, 3)
        nearest = scipy.ndimage.minimum(distance, pieces, np.arange(1, core_count + 1))
        held_pieces = np.array([1 + int(np.argmin(nearest))])
    if held_pieces.size:
        markers[np.isin(pieces, held_pieces)] = 1
    markers[ys, xs] = 1
    cv2.watershed(cv2.cvtColor(cv2.bitwise_not(np.ascontiguousarray(lines)), cv2.COLOR_GRAY2BGR), markers)
    _assign_nearest(markers, (markers <= 0) | (inside & ~on_paper))
    return inside & (markers == 1)


OWN_STROKE = 2.0
"""`_gap_cuts`: ink joined to a stroke's end along at most this many times
the reach (in 8-neighbour steps) is its own stroke, not the other side of
a gap; the two ends of a C are farther apart along it."""


TAIL_WIDTHS = 3
"""`_gap_cuts`: a stroke's way at its end is found on the ink this many
times the cut-back (`_Ladder.stroke_ends`) from its end, along the ink."""

TURN_COST = 0.5
"""`_gap_cuts`: a cut that turns from the way its stroke runs costs this
much more per px for each unit of (1 - cosine) of the turn: an outline
goes on to the corner ahead of it, not to the side of a leg beside the
corner that is a few px nearer."""

CUT_WIDTH = 2
"""Width (px) of the lines `_gap_cuts` draws across a gap: thin, so that a
fill ends midway across them."""


def _drawn(cuts, shape):
    """`shape` uint8, 1 on the lines of `cuts` (`_gap_cuts`), `CUT_WIDTH` wide."""
    drawn = np.zeros(shape, np.uint8)
    for a, b in cuts:
        cv2.line(drawn, a, b, 1, CUT_WIDTH)
    return drawn


def _along_ink(ink, y, x, steps):
    """`(h, w)` bool: the pixels of `ink` (`(h, w)` bool) joined to pixel
    (`y`, `x`) by ink in at most `steps` 8-neighbour steps."""
    reached = np.zeros(ink.shape, np.uint8)
    reached[y, x] = 1
    ink8 = ink.view(np.uint8)
    square = np.ones((3, 3), np.uint8)
    count = 1
    for _ in range(int(steps)):
        reached = cv2.dilate(reached, square) & ink8
        grown = int(np.count_nonzero(reached))
        if grown == count:
            break
        count = grown
    return reached.view(bool)


def _gap_cuts(ladder, paper, box, filled, reach, across=False, everywhere=False):
    """Straight lines across the gaps where a fill meets the page: from
    each stroke end (`_Ladder.cut_ends`) within `reach` px of that
    meeting, to the nearest ink within `reach` that is not its own stroke
    (joined to it along the ink within `OWN_STROKE` times `reach`), nearer
    counting more the less it turns from the way the stroke runs
    (`TURN_COST`), when the line crosses no other ink on its way (and,
    `across`, the fill meets the page within its length of its middle).
    Found at the deciding scale; each line's ends are then moved to the
    nearest ink at full size.

    Args:
        ladder: the sketch's `_Ladder`.
        paper: `(H, W)` uint8, 1 on paper.
        box: (rows, cols) slices of the fill's box.
        filled: `(h, w)` bool, the fill in `box`.
        reach: px.
        across: keep only the lines across which the fill meets the page:
            for a caller that takes every cut as the fill's edge
            (`_sharpened`; `_recut` decides piece by piece).
        everywhere: from every stroke end in `box`, wherever the fill is
            (`_closed_by_cuts`).

    Returns:
        [((x0, y0), (x1, y1))] in `box`'s pixels.
    """
    on_paper = paper[box] > 0
    # Where the fill meets paper that it does not hold: its edge against the page.
    page = (~filled & on_paper).view(np.uint8)
    edge = filled & on_paper & cv2.dilate(page, np.ones((3, 3), np.uint8)).view(bool)
    if not edge.any() and not everywhere:
        return []
    k = ladder.factor
    top, left = box[0].start, box[1].start
    small_ink = ladder.small_paper() == 0
    ends, prune = ladder.cut_ends()
    # The box and the fill's edge at the deciding scale.
    y0s, x0s = top // k, left // k
    y1s, x1s = -(-box[0].stop // k), -(-box[1].stop // k)
    ink = small_ink[y0s:y1s, x0s:x1s]
    small_edge = np.zeros(ink.shape, bool)
    ey, ex = np.nonzero(edge)
    small_edge[(ey + top) // k - y0s, (ex + left) // k - x0s] = True
    ys, xs = np.nonzero(ends[y0s:y1s, x0s:x1s])
    if not ys.size:
        return []
    far = cv2.distanceTransform((~small_edge).view(np.uint8), cv2.DIST_L2, 3)
    reach = reach / k
    near = np.ones(ys.shape, bool) if everywhere else far[ys, xs] <= reach
    r = int(np.ceil(reach)) + (TAIL_WIDTHS + 1) * prune  # the tip lies ahead of the end: the window reaches past it
    cuts = []
    for y, x in zip(ys[near], xs[near], strict=True):
        cut = _gap_cut(ink, y, x, r, reach, prune)
        if cut is None:
            continue
        (ay, ax), (by, bx) = cut
        if across and far[(ay + by) // 2, (ax + bx) // 2] > max(np.hypot(by - ay, bx - ax), 2 * prune):
            continue  # the fill does not meet the page across it: not a gap of its edge (strokes inside a figure)
        cuts.append(tuple(_at_full(ink_y, ink_x, k, y0s, x0s, top, left, on_paper) for ink_y, ink_x in cut))
    return cuts


def _gap_cut(ink, y, x, r, reach, prune):
    """`_gap_cuts` for the stroke end at (`y`, `x`) of `ink` (`(h, w)`
    bool, the deciding scale), looked for within `r` px: ((y, x) of the
    stroke's tip, (y, x) of the ink across the gap), or None."""
    y0, x0 = max(0, y - r), max(0, x - r)
    window = ink[y0 : y + r + 1, x0 : x + r + 1]
    if not window.any():
        return None
    _, strokes = cv2.connectedComponents(window.view(np.uint8), connectivity=8)
    iy, ix = np.nonzero(window)
    distance = np.hypot(iy + y0 - y, ix + x0 - x)
    seed = iy[np.argmin(distance)], ix[np.argmin(distance)]
    own = _along_ink(window, *seed, OWN_STROKE * reach)
    # The way the stroke runs at its end (from the middle of its last few widths to the
    # skeleton's end), and its tip: the ink farthest along that way, where the cut starts.
    tail = np.nonzero(_along_ink(window, *seed, TAIL_WIDTHS * prune))
    way = np.array([y - y0 - tail[0].mean(), x - x0 - tail[1].mean()])
    way /= max(float(np.hypot(*way)), 1e-6)
    tip = int(np.argmax(tail[0] * way[0] + tail[1] * way[1]))
    ty, tx = int(tail[0][tip]), int(tail[1][tip])  # in the window
    distance = np.hypot(iy - ty, ix - tx)
    other = ~own[iy, ix] & (distance <= reach)
    if not other.any():
        return None
    ahead = ((iy - ty) * way[0] + (ix - tx) * way[1]) / np.maximum(distance, 1e-6)
    cost = distance * (1.0 + TURN_COST * (1.0 - ahead))
    best = np.flatnonzero(other)[np.argmin(cost[other])]
    line = np.zeros(window.shape, np.uint8)
    cv2.line(line, (tx, ty), (int(ix[best]), int(iy[best])), 1, 1)
    if np.any((line > 0) & window & ~own & (strokes != strokes[iy[best], ix[best]])):
        return None  # it would cross another stroke: not this gap's
    return (ty + y0, tx + x0), (int(iy[best]) + y0, int(ix[best]) + x0)


def _at_full(y, x, k, y0s, x0s, top, left, on_paper):
    """A pixel of the deciding scale (in the box from `y0s`, `x0s` there)
    -> (x, y) in the full-size box from `top`, `left`: the ink of its block
    nearest the block's middle (`on_paper` the box's paper), or the middle."""
    cy, cx = (y + y0s) * k + k // 2 - top, (x + x0s) * k + k // 2 - left
    if k == 1:
        return cx, cy
    h, w = on_paper.shape
    by, bx = max(0, cy - k), max(0, cx - k)
    block = ~on_paper[by : cy + k + 1, bx : cx + k + 1]
    if not block.any():
        return int(np.clip(cx, 0, w - 1)), int(np.clip(cy, 0, h - 1))
    iy, ix = np.nonzero(block)
    j = int(np.argmin(np.hypot(iy + by - cy, ix + bx - cx)))
    return int(ix[j] + bx), int(iy[j] + by)


def _inside_figure(ladder, pixels, gap, height, width):
    """("figure", wider gap, region at that gap) for the first gap of the
    ladder at which the dab (flat `pixels`) is in a region off the border
    that is not a pocket of the page between figures (`_Ladder.pocket`),
    decided at the coarse scale and checked at full size; else `POCKET`
    if it was in such a pocket at some gap, None if not."""
    coarse = ladder.to_coarse(pixels)
    pocket = None
    for wider in gap_ladder(gap, height, width):
        small, touching = ladder.coarse(wider)
        inner = _majority(small, coarse)
        if touching[inner]:
            continue
        if ladder.pocket(small, touching, inner, wider):
            pocket = POCKET
            continue
        wide, touching = ladder.full(wider)
        inner = _majority(wide, pixels)
        if not touching[inner]:
            return ("figure", wider, inner)
    return pocket


def _open_figures(ladder, walls, area, paper, gap, height, width):
    """For a dab on the page, whose fill is `area` (`(H, W)` bool: its
    region less the figures the page's widest gap closes): the parts of it
    that a wider gap (up to `FIGURE_GAP_SHARE`) closes off from the border
    and that the network sees as figures (most of each off its paper, at
    least `walls.min_pixels`), found at the narrowest such gap, the largest
    first. Decided at the coarse scale; a part counts when most of it is
    in `area`.

    Returns:
        [(where, part, wider)]: where each part's outline is open, as
        `_leak` gives it, its `(h, w)` bool mask at the coarse scale, and
        the gap that closed it.
    """
    k = ladder.factor
    covered = area[::k, ::k]
    off = ~walls.paper_wall[::k, ::k]
    found = []
    taken = np.zeros(covered.shape, bool)
    for wider in _figure_gaps(gap, height, width):
        wide, touching = ladder.coarse(wider)
        enclosed = covered & ~touching[wide] & (wide > 0) & ~taken
        if not enclosed.any():
            continue
        ids, counts = np.unique(wide[enclosed], return_counts=True)
        for part_id in ids[np.argsort(-counts, kind="stable")]:
            part = wide == part_id
            size = int(np.count_nonzero(part))
            if size * k * k < walls.min_pixels or 2 * int(np.count_nonzero(covered[part])) <= size:
                continue  # (a wider gap's region can reach a little past the lines into another's)
            if 2 * int(np.count_nonzero(off[part])) <= size or (taken & part).any():
                continue
            if ladder.pocket(wide, touching, int(part_id), wider):
                continue  # the page between figures, though the network paints it
            taken |= part
            found.append((ladder.open_gap(wide, touching, part_id, paper), part, wider))
    return found


def _leak(ladder, pixels, paper, gap, height, width):
    """For a dab whose region reaches the border at every gap closed:
    (where, the wider gap that closes it) when a wider gap (up to
    `FIGURE_GAP_SHARE`) closes it inside a figure, where `(x, y, width)` of
    the gap it closed at full size (`_gap`), or "a gap" when it has no
    place; `POCKET` when wider gaps close it only in pockets of the page
    between figures; else None (the dab is on the paper, or in a figure
    too open to close). Decided at the coarse scale."""
    coarse = ladder.to_coarse(pixels)
    pocket = None
    for wider in _figure_gaps(gap, height, width):
        wide, touching = ladder.coarse(wider)
        inner = _majority(wide, coarse)
        if touching[inner]:
            continue
        if ladder.pocket(wide, touching, inner, wider):
            pocket = POCKET
            continue
        return ladder.open_gap(wide, touching, inner, paper), wider
    return pocket


EDGE_REACH = 16
"""How far (px) `_sharpened` may move a figure's edge across a gap: the
regions at a wider gap are found on blocks of up to 4 x 4 pixels
(`hint_fill.MAX_FACTOR`), so their edge is off by a few blocks."""


def _sharpened(area, lines, paper, region, gap, ladder=None):
    """A figure closed at a wider gap (`area`, `(H, W)` bool, from the
    regions at `gap`, whose ball centers are found on blocks of up to 4 x 4
    pixels for speed), with its edge across the gap found again at full
    size: the ball centers at full size (paper farther than `gap` / 2 + 1
    from any ink) are the figure's where most of their piece lies in
    `area`, the page's elsewhere, and a watershed from them over the paper
    of the figure's bounding box (flooding by darkness, as
    `hint_fill.PaperRegions` does) parts the paper where they meet, midway
    across the gap and up to the ends of the lines. Only the paper within
    `EDGE_REACH` px of the page (the paper of `region` outside `area`),
    along the paper, is decided again, and only what `area` holds is kept
    (the blocks' edge juts out past the gap and is jagged; this one is not,
    and never fills more); ink, and pixels of other regions than `region`
    (the dab's region at the base gap, `(H, W)` bool), stay as `area` has
    them. Given the sketch's `ladder`, the gaps are first cut straight
    between the stroke ends (`_gap_cuts`, up to half again `gap` wide), so
    that the two sides meet on the cut, not in a spike where the balls
    meet.

    Returns:
        `(H, W)` bool, a new array (`area` itself when no ball fits in it).
    """
    radius = gap / 2.0 + 1.0
    box = _grown_box(area, int(np.ceil(radius)) + 2)
    sketch = np.ascontiguousarray(lines[box])
    cut = np.zeros(sketch.shape, np.uint8)
    if ladder is not None:
        cut = _drawn(_gap_cuts(ladder, paper, box, area[box], 1.5 * gap, across=True), sketch.shape)
        sketch = np.where(cut > 0, 0, sketch).astype(np.uint8)
    cut_paper = np.ascontiguousarray(paper[box] & (sketch > 0))
    distance = cv2.distanceTransform(cut_paper, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    centers = (distance > radius).view(np.uint8)
    count, pieces = cv2.connectedComponents(centers, connectivity=4)
    inside = np.bincount(pieces[area[box]], minlength=count)
    figure = inside * 2 > np.bincount(pieces.ravel(), minlength=count)
    figure[0] = False
    if not figure.any():
        return area
    markers = np.where(centers > 0, np.where(figure[pieces], 1, 2), 0).astype(np.int32)
    cv2.watershed(cv2.cvtColor(cv2.bitwise_not(sketch), cv2.COLOR_GRAY2BGR), markers)
    out = np.array(area, copy=True)
    on_paper = paper[box] > 0  # the lines keep their side as the regions at `gap` split them
    # Only the edge across the gap moves: within `EDGE_REACH` px of the page (paper of the region
    # outside `area`) or of a cut across the gap, along the paper. Elsewhere (corners where lines
    # cross, which the balls do not reach) `area` stays.
    near = (on_paper & region[box] & ~area[box]).view(np.uint8) | cut
    paper_box = on_paper.view(np.uint8)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for _ in range(EDGE_REACH):  # through paper only: not across a line into a corner of the figure
        near = cv2.dilate(near, cross) & paper_box
    near = near.view(bool)
    # What the watershed gives the figure may add the paper beside `area` (a pixel or two: the
    # wider closing's regions, grown into the lines, leave a thin arc of the figure's paper inside
    # its outline to the page), never more.
    beside = cv2.dilate(area[box].view(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))).view(bool)
    out[box] = np.where(near, (markers == 1) & beside, area[box]) & region[box]
    return out


def _reached(area, paper, pixels):
    """The page's fill (`area`, `(H, W)` bool) less the paper it cannot
    reach: pieces of its paper (4-connected) that neither touch the
    picture's border nor hold a dab's pixel (flat `pixels`). The figures
    kept out of it are found at a wider gap, whose regions are grown into
    the lines and may leave a sliver of a figure's paper, inside its
    outline, to the page."""
    on_paper = (area & (paper > 0)).view(np.uint8)
    count, pieces = cv2.connectedComponents(on_paper, connectivity=4)
    if count <= 2:
        return area
    keep = _border_labels(pieces)
    keep[pieces.ravel()[pixels]] = True
    keep[0] = True  # ink (and what is not in `area`, which stays out)
    return area & keep[pieces]


def _without_slivers(area, pixels, width):
    """A figure closed at a wider gap (`area`, `(H, W)` bool), without the
    slivers of the page along the outside of its outline that the wider
    closing's region takes in where the outline ends at the gap (a strip a
    few pixels wide, joined to the figure round the line's end): the parts
    of `area` more than `width` px from its edge that hold the dab (flat
    pixel indices `pixels`), grown back within `area` by `width` px. Worked
    on the figure's bounding box, a margin round it (the page's edge counts
    as inside, as in `cv2.erode`'s default border)."""
    width_px = area.shape[1]
    rows, cols = _grown_box(area, width + 2)
    (y0, y1), (x0, x1) = (rows.start, rows.stop), (cols.start, cols.stop)
    mask = np.ascontiguousarray(area[y0:y1, x0:x1]).view(np.uint8)
    core = cv2.erode(mask, np.ones((3, 3), np.uint8), iterations=width, borderValue=1)
    count, parts = cv2.connectedComponents(core, connectivity=4)
    ys, xs = np.divmod(pixels, width_px)
    inside = (ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1)
    keep = np.zeros(count, bool)
    keep[parts[ys[inside] - y0, xs[inside] - x0]] = True
    keep[0] = False
    if not keep.any():  # a figure thinner than 2 * width: as it is
        return area
    grown = np.take(keep, parts).view(np.uint8)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for _ in range(width + 1):
        grown = cv2.dilate(grown, cross) & mask
    out = np.zeros_like(area)
    out[y0:y1, x0:x1] = grown.view(bool)
    return out


ENCLOSED_WIDTH = 6
"""`_with_enclosed`: a piece of paper left out of a figure's fill, shut in
by the fill and the lines, joins it when no pixel of it is farther than
this many px from the fill (an arc along the outline), not a wider one."""


def _with_enclosed(area, free, width):
    """A figure's fill (`area`, `(H, W)` bool) with the thin pieces of its
    region's paper outside it (`free`, `(H, W)` bool) that it and the
    lines shut in: pieces (4-connected) that do not reach the edge of the
    fill's box (`width` + 2 px round it) and lie within `width` px of the
    fill. The wider closing's regions, grown into the lines, can leave an
    arc of the figure's paper inside its outline to the page, thicker than
    `_sharpened` adds back; the network then shows through there.

    Returns:
        `(H, W)` bool, a new array (`area` itself when nothing joins).
    """
    box = _grown_box(area, width + 2)
    inside = area[box]
    left_out = (free[box] & ~inside).view(np.uint8)
    count, pieces = cv2.connectedComponents(left_out, connectivity=4)
    if count <= 1:
        return area
    away = cv2.distanceTransform((~inside).view(np.uint8), cv2.DIST_L2, 3)
    farthest = scipy.ndimage.maximum(away, pieces, np.arange(count))
    joins = np.asarray(farthest) <= width
    joins[0] = False
    joins[_border_labels(pieces)] = False  # reaches the box's edge: the page, or more of the figure than an arc
    if not joins.any():
        return area
    out = np.array(area, copy=True)
    out[box] |= joins[pieces]
    return out


def _figure_gaps(gap, height, width):
    """The gaps wider than `gap_ladder`'s that may still close a figure: up to `FIGURE_GAP_SHARE`."""
    return gap_ladder(max([*gap_ladder(gap, height, width), gap]), height, width, FIGURE_GAP_SHARE)


PAGE = (255, 255, 255)
"""The color `paint` gives a plan's `page` pixels: paper, as the shipped
decoding gives it."""


def paint(rgb, lines, plan, in_place=False):
    """The filled image: each filled pixel is its dab's color times lines /
    255, and the plan's `page` pixels `PAGE` times lines / 255.

    Args:
        rgb: `(H, W, 3)` uint8 RGB, the colors where nothing is filled.
        lines: `(H, W)` uint8, or None for no lines (the flat color).
        plan: a `FillPlan` of the same size.
        in_place: paint `rgb` itself (a C-contiguous array the caller no
            longer needs) rather than a copy.

    Returns:
        `(H, W, 3)` uint8 RGB.
    """
    out = rgb if in_place else np.array(rgb, np.uint8, copy=True)
    if not plan.dabs:
        return out
    filled = plan.index > 0
    if plan.page is not None:
        filled |= plan.page
    fill = filled.view(np.uint8)
    left, top, width, height = cv2.boundingRect(fill)  # only the filled part is touched
    if not width:
        return out
    rows, cols = slice(top, top + height), slice(left, left + width)
    index = plan.index[rows, cols]
    colors = plan.colors()
    if plan.page is not None:  # the page side of walled parts: one more color, white
        index = np.where(plan.page[rows, cols], len(colors), index)
        colors = np.vstack([colors, np.array([PAGE], np.uint8)])
    color = np.take(colors, index, axis=0)  # (h, w, 3) uint8
    if lines is not None:
        # round(color * lines / 255): OpenCV rounds to nearest (no ties: 255 is odd).
        color = cv2.multiply(color, cv2.cvtColor(lines[rows, cols], cv2.COLOR_GRAY2RGB), scale=1.0 / 255.0)
    cv2.copyTo(color, fill[rows, cols], out[rows, cols])
    return out


def fill_layers(rgb, flat, lines, hint_rgb, hint_mask, paper_wall=None, wall_cell=None, in_place=False):
    """Fills the hinted regions of an output and of its flat color layer (one plan).

    Args:
        rgb: `(H, W, 3)` uint8 RGB with the lines multiplied in.
        flat: `(H, W, 3)` uint8 RGB flat color under the lines.
        lines: `(H, W)` uint8 full-size lines.
        hint_rgb, hint_mask: `(H, W, 3)` uint8 and `(H, W)` bool hints.
        paper_wall, wall_cell: optional, where the network sees paper and
            its cell in full-size pixels (`plan_fill`).
        in_place: paint `rgb` and `flat` themselves (C-contiguous arrays
            the caller no longer needs) rather than copies.

    Returns:
        (rgb, flat, notes): the filled two, and the notes of dabs on lines
        (`snap_dabs`) then `FillPlan.notes`.
    """
    gap = hint_fill.default_gap(*lines.shape)
    regions = hint_fill.PaperRegions(lines)
    notes, moved = [], []
    ladder = _Ladder(lines, regions)
    hint_rgb, hint_mask, labels = _snap(
        flat, lines, hint_rgb, hint_mask, regions, gap, notes=notes, moved=moved, ladder=ladder
    )
    plan = plan_fill(
        lines, hint_rgb, hint_mask, gap, labels, regions, paper_wall=paper_wall, wall_cell=wall_cell, ladder=ladder
    )
    notes = _joined_notes(notes, plan, moved)
    return paint(rgb, lines, plan, in_place), paint(flat, None, plan, in_place), notes


def _joined_notes(snap_notes, plan, moved):
    """`fill_layers`' notes: a dab moved off a line (`snap_dabs`) is named
    where the user placed it in the plan's notes too (its pixels, and so
    its middle, moved), and a plan note about a dab with a note of its own
    from the move joins that one: one line per dab ("hint at 330,130
    (#f0c000) is on a line: it fills the region beside it ..., which is
    inside an outline open to the page at ...; ...; put it inside the
    region to fill")."""
    names = {}  # the plan's name of a moved dab -> the user's
    for dab in plan.dabs:
        for first, rows, cols, into in moved:
            y, x = dab.y - rows.start, dab.x - cols.start
            inside = 0 <= y < into.shape[0] and 0 <= x < into.shape[1]
            if dab.color == first.color and inside and into[y, x]:
                names[str(dab)] = str(first)
                break
    joined, used = list(snap_notes), set()
    for note in plan.notes:
        own = None
        for name, first in names.items():
            if note.startswith(f"{name} is "):
                own = next((i for i, n in enumerate(joined) if n.startswith(f"{first} is on a line:")), None)
                if own is not None and own not in used and joined[own].endswith(f"; {_INSIDE}"):
                    head = joined[own][: -len(f"; {_INSIDE}")]
                    joined[own] = f"{head}, which {note[len(name) + 1 :]}; {_INSIDE}"
                    used.add(own)
                    break
                own = None
        if own is None:
            for name, first in names.items():
                note = note.replace(name, first)
            joined.append(note)
    return joined


def fill_hinted_regions(rgb, lines, hint_rgb, hint_mask, gap=None, labels=None, snap=False):
    """Paints the regions that hold hints in their hints' colors.

    Which pixels each hint fills is `hint_flood.plan_fill`'s decision: the
    line-bounded region under it, only the figure when the region reaches
    the page border through a gap of the outline, split between hints of
    different colors that share it (see `hint_flood`).

    Args:
        rgb: `(H, W, 3)` uint8 RGB, the colors of the regions without hints
            (e.g. the network's full-resolution output).
        lines: `(H, W)` uint8 gray sketch, 255 paper and 0 ink.
        hint_rgb: `(H, W, 3)` uint8 RGB hint colors.
        hint_mask: `(H, W)` bool, True on hints.
        gap: the widest line gap closed (`line_regions`).
        labels: `line_regions(lines, gap)` when the caller has it already.
        snap: move the dabs on lines to the region beside them whose color
            in `rgb` is nearest theirs first (`snap_dabs`), as `predict`
            does; for an `rgb` that has the network's colors.

    Returns:
        `(H, W, 3)` uint8 RGB: where a hint fills, exactly its color times
        lines / 255 (rounded), elsewhere `rgb`. Hint pixels on the lines
        are not used for filling.

    Raises:
        ColorizeError: mismatched shapes or dtypes.
    """
    lines = hint_fill._check_lines(lines)
    rgb = np.asarray(rgb)
    if rgb.shape != (*lines.shape, 3) or rgb.dtype != np.uint8:
        raise ColorizeError(f"rgb must be a {(*lines.shape, 3)} uint8 array, got {rgb.shape} {rgb.dtype}")
    regions = None
    if snap:
        gap = hint_fill.default_gap(*lines.shape) if gap is None else gap
        regions = hint_fill.PaperRegions(lines)
        hint_rgb, hint_mask, labels = _snap(rgb, lines, hint_rgb, hint_mask, regions, gap, labels)
    plan = plan_fill(lines, hint_rgb, hint_mask, gap, labels, regions)
    return paint(rgb, lines, plan)


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
    lines = hint_fill._check_lines(lines)
    sketch = np.repeat(lines[..., None], 3, axis=-1)  # (H, W, 3): white paper * lines
    return fill_hinted_regions(sketch, lines, hint_rgb, hint_mask, gap)
