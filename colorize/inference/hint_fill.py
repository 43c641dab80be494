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
   each connected set of ball centers seeds a region. A piece of paper
   that ink encloses (4-connected) holding one seed, or none (a pupil, a
   thin stripe between lines: paper no ball reaches), is one region, found
   by one connected-components pass at full size. Only a piece holding
   several seeds (a closed gap or a neck divides it) is divided: its seeds
   grow over it (OpenCV's watershed, flooding by darkness) and meet in the
   middle of a closed gap; a region that narrows to less than the ball (a
   neck: an arm, a waist, a sharp corner's tip) was seeded twice, and
   seeds whose shared border lies mostly on paper, not on ink, or crosses
   no more ink than the two lines beside a neck, are merged again (a
   closed gap is a short paper stretch in a long inked border, beside a
   line's end). Last, the regions grow
   into the lines from both sides (`_grow_into_ink`), so every pixel has a
   region and neighbouring regions meet at the lines' centers. The ball
   centers, the watershed and the merging work at 1 / k of the size for a
   ball of radius 5 k px or more (k <= 4: `SCALE_RADIUS`, `MAX_FACTOR`; a
   k x k block is paper when all its pixels are), so only the
   per-pixel passes run at full size. A morphological closing of the
   lines, the simpler alternative, closes gaps at junctions but not in a
   broken straight line (a disc can always touch the gap from the side),
   and merges nothing back.
2. `hint_flood.fill_hinted_regions`: every region that holds hint pixels
   on paper (a hint on a line is ambiguous: ignored) is painted with the
   hint color times the lines (`rgb * lines / 255`, the paper's merge as in
   `fullres.multiply_lines`), so the lines stay. The other regions keep the
   given colors. Which pixels each hint fills is `hint_flood`'s decision:
   a region that reaches the page border from a hint inside a figure is
   cut at the figure's outline (wider gaps closed, or the network's paper
   as the wall), a hint on the paper around the figures fills the paper (a
   user may mark the background), and hints of different colors in one
   region split it between them.
3. `hint_flood.flood_fill_baseline`: the non-learned baseline of the hints
   experiment: the sketch, with every hinted region flood-filled with its
   hint's color.

A stripe narrower than the ball that opens onto a larger region through a
gap joins that region; the default `gap` (about 1 % of the short side)
keeps that to small details.

Everything is vectorized (OpenCV, NumPy and SciPy's sparse graphs, no
Python loop over pixels or regions); the README's performance section has
the times (`experiments.regions_speed`). Memory: the per-pixel work runs in
bands of rows (`fullres.for_bands`), so that besides band-sized
temporaries it holds two int32 full-size arrays (the paper's connected
components and the labels, 64 MB each at 16 MP) and the uint8 paper.
"""

import cv2
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import skimage.morphology

from colorize.errors import ColorizeError
from colorize.inference.fullres import BAND_PIXELS, for_bands, line_threshold

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

    See the module docstring for the method (trapped ball seeds, growth
    within the paper, necks merged, lines to their nearest region).

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
    return PaperRegions(lines).labels(gap)


class PaperRegions:
    """The line-bounded regions of one sketch, at any gap closing.

    What does not depend on the gap (the paper and its connected
    components) is computed once, so that the regions at several gaps
    (`hint_flood`'s wider second pass) cost little more than one. The
    per-pixel work of each gap runs in bands of rows (`fullres.for_bands`):
    besides the labels it returns, it holds only band-sized temporaries.

    Args:
        lines: `(H, W)` uint8 gray sketch, 255 paper and 0 ink.

    Raises:
        ColorizeError: not a 2-D uint8 image.
    """

    def __init__(self, lines):
        self.lines = _check_lines(lines)
        self.shape = self.lines.shape
        # (H, W) uint8 1 on paper, 0 on ink
        self.paper = (self.lines >= line_threshold(self.lines)).astype(np.uint8)
        # Paper pieces that ink separates (4-connected: a diagonal step between two ink pixels is closed).
        self.raw_count, self.raw = cv2.connectedComponentsWithAlgorithm(
            self.paper, 4, cv2.CV_32S, cv2.CCL_SPAGHETTI
        )  # (H, W) int32, 0 on ink

    def labels(self, gap=None):
        """`(H, W)` int32 region labels 1..n with gaps up to `gap` px closed
        (default `default_gap`), as `line_regions` returns them."""
        height, width = self.shape
        if gap is None:
            gap = default_gap(height, width)
        if gap < 0:
            raise ColorizeError(f"gap must be >= 0 pixels, not {gap}")
        if self.raw_count <= 1:
            return np.zeros((height, width), np.int32)
        return _grow_into_ink(*self._paper_labels(gap), height, width)

    def _seeds(self, radius, factor):
        """`(ceil(H / factor), ceil(W / factor))` bool ball centers: the
        blocks of `factor` x `factor` pixels with a paper pixel farther than
        `radius` from any ink (Euclidean distance; the 5x5 mask when
        `factor` > 1, within 2 % of it and several times faster).

        The distance is computed in bands of rows, each with `radius` + 2
        rows of its neighbours: a distance up to `radius` is that of ink
        within `radius` rows, so every band finds the same centers as the
        whole sketch would."""
        height, width = self.shape
        mask = cv2.DIST_MASK_5 if factor > 1 else cv2.DIST_MASK_PRECISE
        margin = int(np.ceil(radius)) + 2
        seeds = np.empty((-(-height // factor), -(-width // factor)), bool)
        kernel = np.ones((factor, factor), np.uint8)

        def band(top, bottom):
            start, stop = max(0, top - margin), min(height, bottom + margin)
            distance = cv2.distanceTransform(self.paper[start:stop], cv2.DIST_L2, mask)  # (rows, W) pixels
            far = (distance[top - start : bottom - start] > radius).view(np.uint8)
            if factor > 1:  # a block is a center when any of its pixels is
                far = cv2.dilate(far, kernel, anchor=(0, 0))[::factor, ::factor]
            seeds[top // factor : -(-bottom // factor)] = far.view(bool)

        rows = max(BAND_PIXELS // width, 16 * margin)  # the margins add at most 1 / 8 to the work
        for_bands(band, height, width, factor * -(-rows // factor))
        return seeds

    def _paper_labels(self, gap):
        """(rows, count): `rows(top, bottom)` gives `(bottom - top, W)` int32
        region labels 1..count of the paper pixels of those rows at gap
        closing `gap`, 0 on ink (not to be written to)."""
        if gap == 0:
            return (lambda top, bottom: self.raw[top:bottom]), self.raw_count - 1
        height, width = self.shape
        radius = gap / 2.0 + 1.0  # a ball this wide does not pass a gap of `gap` px (any angle)
        factor = int(np.clip(radius // SCALE_RADIUS, 1, MAX_FACTOR))
        # Ball centers: paper farther than the ball's radius from any ink.
        # At 1 / factor of the size a block is a center when any of its
        # pixels is (a seed as thin as a pixel stays connected); all its
        # pixels are paper of one piece then, as the radius is
        # `SCALE_RADIUS` blocks or more.
        seeds = self._seeds(radius, factor)  # (h, w), h = ceil(H / factor), w = ceil(W / factor)
        small_paper = self.paper  # a block with ink counts as ink when seeds are merged
        if factor > 1:
            kernel = np.ones((factor, factor), np.uint8)
            small_paper = np.ascontiguousarray(cv2.erode(self.paper, kernel, anchor=(0, 0))[::factor, ::factor])
        seed_count, seed_labels = cv2.connectedComponentsWithAlgorithm(
            seeds.view(np.uint8), 4, cv2.CV_32S, cv2.CCL_SPAGHETTI
        )  # (h, w) int32, 0 off the seeds
        # The piece of paper of each seed: its top left pixel's.
        seed_raw = np.zeros(seed_count, np.int32)
        seed_raw[seed_labels[seeds]] = self.raw[::factor, ::factor][seeds]
        del seeds
        seeds_in = np.bincount(seed_raw[1:], minlength=self.raw_count)  # (raw_count,) seeds in each piece
        seeds_in[0] = 0
        split = seeds_in >= 2  # pieces that closed gaps or necks divide
        # One region per undivided piece (orphans, paper no ball reaches,
        # included: a pupil, a thin stripe between lines); one per seed of a
        # divided piece, until necks are merged again.
        whole = np.flatnonzero(~split)[1:]  # raw labels of undivided pieces
        table = np.zeros(self.raw_count, np.int32)
        table[whole] = np.arange(1, whole.size + 1, dtype=np.int32)
        if not split.any():
            return (lambda top, bottom: np.take(table, self.raw[top:bottom])), whole.size
        table[split] = -1
        in_split = split[seed_raw]  # (seed_count,)
        in_split[0] = False
        # Grow the seeds over the rest of the paper (and through the lines)
        # at the small scale: OpenCV's watershed, flooding by darkness, so
        # seeds of one piece meet in the middle of a closed gap.
        small_lines = self.lines
        if factor > 1:
            small_lines = cv2.erode(self.lines, np.ones((factor, factor), np.uint8), anchor=(0, 0))[::factor, ::factor]
        grown = seed_labels
        cv2.watershed(cv2.cvtColor(cv2.bitwise_not(small_lines), cv2.COLOR_GRAY2BGR), grown)
        _assign_nearest(grown, grown <= 0)  # the flood's meeting lines and the image border
        gap_ends, stroke = _line_ends(small_paper, radius / factor)
        seed_region = _merge_necks(
            grown, small_paper, seed_raw, in_split, gap_ends=gap_ends, gap=gap / factor, crossing=NECK_CROSSING * stroke
        )  # (seed_count,) 0 outside divided pieces
        seed_region[in_split] += whole.size
        count = int(seed_region.max())
        rows, cols = grown.shape
        grown_raw = seed_raw[grown]  # (h, w) the piece of each block's seed
        grown_region = seed_region[grown]  # (h, w) its region
        # Farther than a block from their own seeds' flood: the region of
        # any seed of their piece.
        first = np.zeros(self.raw_count, np.int32)
        first[seed_raw[in_split]] = seed_region[in_split]

        def paper_rows(top, bottom):
            raw = self.raw[top:bottom]
            labels = np.take(table, raw)  # (rows, W) int32: -1 in divided pieces, 0 on ink
            todo = labels < 0
            if not todo.any():
                return labels
            # Each paper pixel of a divided piece takes the seed grown over
            # its block, when that seed is of its own piece (near a line the
            # block may have gone to the other side: then a neighbouring
            # block's).
            if factor > 1:
                first_row = top // factor
                block_rows = slice(first_row, -(-bottom // factor))
                size = (cols * factor, (block_rows.stop - first_row) * factor)
                skip = top - first_row * factor
                up_raw = cv2.resize(grown_raw[block_rows], size, interpolation=cv2.INTER_NEAREST)
                up_region = cv2.resize(grown_region[block_rows], size, interpolation=cv2.INTER_NEAREST)
                up_raw = up_raw[skip : skip + bottom - top, :width]
                up_region = up_region[skip : skip + bottom - top, :width]
            else:
                up_raw, up_region = grown_raw[top:bottom], grown_region[top:bottom]
            good = todo & (up_raw == raw)
            np.copyto(labels, up_region, where=good)
            pending = np.flatnonzero(todo & ~good)  # flat indices (in the band) still without a region
            if not pending.size:
                return labels
            y, x = np.divmod(pending, width)
            y += top
            y //= factor
            x //= factor
            pending_raw = raw.ravel()[pending]
            for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0), (-1, -1), (-1, 1), (1, -1), (1, 1)):
                yy, xx = np.clip(y + dy, 0, rows - 1), np.clip(x + dx, 0, cols - 1)
                good = grown_raw[yy, xx] == pending_raw
                labels.ravel()[pending[good]] = grown_region[yy[good], xx[good]]
                keep = ~good
                pending, y, x, pending_raw = pending[keep], y[keep], x[keep], pending_raw[keep]
                if not pending.size:
                    return labels
            labels.ravel()[pending] = first[pending_raw]
            return labels

        return paper_rows, max(count, whole.size)


SCALE_RADIUS = 5
"""`line_regions` finds the ball centers of a ball of radius r at 1 / k of
the sketch's size, k = r // SCALE_RADIUS (1 to `MAX_FACTOR`): a block of k x
k pixels is paper when all its pixels are, and the ball still spans
`SCALE_RADIUS` or more small pixels."""

MAX_FACTOR = 4
"""The smallest scale for the ball centers: 1 / 4 of the sketch's size."""


INK_PASSES = 3
"""Ink pixels within this many pixels of paper (every line's edges and thin
lines whole) take the label of a neighbour, pass by pass, so that two regions
meet at a line's center."""


def _grow_into_ink(paper_rows, count, height, width):
    """Region labels with every ink pixel labeled like the paper next to it.

    `INK_PASSES` passes of a 3x3 dilation grow the regions into the lines
    from both sides (ties: the larger label). What is left, deep inside wide
    ink (its color is multiplied by the dark anyway), takes the label of a
    nearby 4 x 4 block. Runs in bands of rows, each with `INK_PASSES` rows
    of its neighbours (what the passes reach), so that only band-sized
    temporaries are made besides the labels.

    Args:
        paper_rows: `paper_rows(top, bottom)` gives the `(bottom - top, W)`
            int32 labels of those rows, 0 on ink (some pixel labeled).
        count: the largest label.
        height, width: the sketch's size.

    Returns:
        `(H, W)` int32, no 0.
    """
    out = np.empty((height, width), np.int32)
    # Labels are exact in float32 below 2^24 (cv2.dilate has no int32).
    dtype = np.float32 if count < 1 << 24 else np.float64
    kernel = np.ones((3, 3), np.uint8)
    small = np.zeros((-(-height // 4), -(-width // 4)), dtype)  # each 4 x 4 block's largest label
    deep = [False]  # pixels left after the passes

    def band(top, bottom):
        start, stop = max(0, top - INK_PASSES), min(height, bottom + INK_PASSES)
        grown = paper_rows(start, stop).astype(dtype)
        for _ in range(INK_PASSES):
            missing = grown == 0
            if not missing.any():
                break
            np.copyto(grown, cv2.dilate(grown, kernel), where=missing)
        grown = grown[top - start : bottom - start]
        small[top // 4 : -(-bottom // 4)] = cv2.dilate(grown, np.ones((4, 4), np.uint8), anchor=(0, 0))[::4, ::4]
        if not grown.all():
            deep[0] = True
        out[top:bottom] = grown

    for_bands(band, height, width, 4)
    if not deep[0]:
        return out
    while not small.all():
        np.copyto(small, cv2.dilate(small, kernel), where=small == 0)
    rows, cols = small.shape

    def fill(top, bottom):
        labels = out[top:bottom]
        missing = labels == 0
        if missing.any():
            block = small[top // 4 : -(-bottom // 4)]
            up = cv2.resize(block, (cols * 4, block.shape[0] * 4), interpolation=cv2.INTER_NEAREST)
            np.copyto(labels, up[: bottom - top, :width].astype(np.int32), where=missing)

    for_bands(fill, height, width, 4)
    return out


def _assign_nearest(labels, missing):
    """Gives every `missing` pixel the label of its nearest other pixel, in place."""
    if not missing.any() or missing.all():
        return
    # The raster-order index (from 1) of each pixel's nearest labeled pixel.
    _, nearest = cv2.distanceTransformWithLabels(missing.view(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    known = labels[~missing]  # (labeled pixels,) in raster order
    labels[missing] = known[nearest[missing] - 1]


NECK_CROSSING = 4.0
"""A border between two seeds of one piece of paper that holds at most this
many times the lines' width of 4-neighbour pairs on ink crosses the lines
beside a neck and nothing else (two lines, a slanted crossing counted up to
twice): with lines thicker than the neck, the ink outweighs its paper."""

GAP_BORDER_SLACK = 1.0
"""Two seeds that meet across paper beside a line's end stay apart when
their border holds at most this many times the closed gap's width of
4-neighbour pairs on paper (a slanted border counts up to twice its
length): a wider passage is not a gap this closing closes."""


def skeleton_ends(ink, prune=False, steps=False):
    """Where the strokes of a drawing end: the ends of its ink's skeleton.

    Args:
        ink: `(h, w)` bool, True on ink.
        prune: first cut the skeleton's branches back by the lines' width
            (rounded up, at least 2 px), so that the short spurs a thick
            line leaves at its corners are gone (a closed outline then has
            no end) and every stroke's end lies that much inside it.
        steps: also count as an end a skeleton pixel whose two neighbours
            are beside each other (`_tips`: a step where a skeleton ends,
            which the one-neighbour test misses; a solid shape's corners
            then have ends too).

    Returns:
        (ends, stroke): `(h, w)` bool, True on skeleton pixels with one
        8-neighbour (with `steps`, `_tips`); and the lines' median width in pixels (twice the ink's
        distance to paper on its skeleton; 0 without ink).
    """
    skeleton = skimage.morphology.skeletonize(ink).astype(np.uint8)
    on_skeleton = skeleton > 0
    stroke = 0.0
    if on_skeleton.any():
        depth = cv2.distanceTransform(ink.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        stroke = 2.0 * float(np.median(depth[on_skeleton]))
    ones = np.ones((3, 3), np.int16)
    if prune:
        for _ in range(max(2, int(np.ceil(stroke)))):
            neighbours = cv2.filter2D(skeleton, cv2.CV_16S, ones, borderType=cv2.BORDER_CONSTANT)
            tips = (skeleton > 0) & (neighbours <= 2)  # itself and at most one neighbour
            if steps:
                tips |= _tips(skeleton)
            if not tips.any():
                break
            skeleton[tips] = 0
    if steps:
        return _tips(skeleton), stroke
    neighbours = cv2.filter2D(skeleton, cv2.CV_16S, ones, borderType=cv2.BORDER_CONSTANT)
    return (skeleton > 0) & (neighbours == 2), stroke  # itself and one neighbour


def _tips(skeleton):
    """`(h, w)` bool: the pixels of `skeleton` (uint8, 1 on it) where it
    ends: one run of skeleton in their ring of 8 neighbours, of one pixel
    or of two beside each other (a step at the end of a skeleton leaves
    its last pixel with two neighbours)."""
    padded = np.pad(skeleton, 1)
    ys, xs = np.nonzero(padded)  # only the skeleton's pixels are looked at
    ring = np.stack([padded[ys + dy, xs + dx] > 0 for dy, dx in _RING])  # (8, n)
    runs = np.sum(~ring & np.roll(ring, -1, axis=0), axis=0)
    tips = np.zeros(skeleton.shape, bool)
    tips[ys - 1, xs - 1] = (runs == 1) & (np.sum(ring, axis=0) <= 2)
    return tips


_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))  # round the ring in order


def _line_ends(paper, reach):
    """Where lines end, and how wide they are.

    Args:
        paper: `(h, w)` uint8, 1 on paper, 0 on ink.
        reach: how far from an end counts, in pixels.

    Returns:
        (ends, stroke): `(h, w)` bool, True within `reach` pixels of an end
        of the ink's skeleton (a skeleton pixel with one 8-neighbour), away
        from the picture's border (a line cut by the border is not an
        opening); and the lines' median width in pixels (twice the ink's
        distance to paper on its skeleton; 0 without ink).
    """
    ends, stroke = skeleton_ends(paper == 0)
    margin = int(np.ceil(reach))
    ends[:margin] = ends[-margin:] = False
    ends[:, :margin] = ends[:, -margin:] = False
    size = 2 * margin + 1
    ellipse = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.dilate(ends.view(np.uint8), ellipse).view(bool), stroke


def _merge_necks(grown, paper, seed_raw, in_split, ink_share=0.5, gap_ends=None, gap=0.0, crossing=0.0):
    """Joins the seeds of one piece of paper whose shared border is mostly
    paper, or crosses the lines only.

    Two ball seeds of one region, split where it narrows to less than the
    ball (a neck: an arm, a waist, a leaf's sharp tip), meet across paper
    and through the outline on either side of it; regions split by a line
    meet along ink, and across a closed gap only over its few pixels.
    Seeds of one piece whose border pixels (pairs of 4-neighbours) lie on
    ink less than `ink_share` of the time, or on at most `crossing` pairs
    of ink (across the two lines beside a neck, however thick), are
    merged, unless a line ends
    beside their border (`gap_ends`) and the border's paper is no wider
    than the gap closed (`GAP_BORDER_SLACK` times `gap`): a figure open to
    the page only at a gap between two line ends (a petal among others,
    whose outline borders other regions everywhere else) meets the page
    across paper alone, but the passage is a gap, not a neck. At a smaller
    scale a block with any ink counts as ink, so a passage narrower than a
    block keeps its two seeds apart (a split region asks for one more hint;
    a wrong merge would let a fill through a closed gap).

    Args:
        grown: `(h, w)` int32 seed labels grown over every pixel.
        paper: `(h, w)` uint8, 1 on paper.
        seed_raw: `(seeds,)` the piece of paper of each seed.
        in_split: `(seeds,)` bool, the seeds of pieces with several seeds.
        gap_ends: optional `(h, w)` bool, near the ends of lines (`_line_ends`).
        gap: the gap closed, in pixels of `grown`.
        crossing: the most ink pairs of a border that crosses lines only
            (`NECK_CROSSING` times the lines' width, in pixels of `grown`).

    Returns:
        `(seeds,)` int32 region of each seed of a divided piece, 1..m (0
        for the others).
    """
    count = seed_raw.size
    keys, inks, ends = [], [], []
    near = np.zeros(grown.shape, bool) if gap_ends is None else gap_ends
    for a, b, pa, pb, na, nb in (
        (grown[:, :-1], grown[:, 1:], paper[:, :-1], paper[:, 1:], near[:, :-1], near[:, 1:]),
        (grown[:-1], grown[1:], paper[:-1], paper[1:], near[:-1], near[1:]),
    ):
        border = a != b
        a, b = a[border], b[border]
        inside = in_split[a] & (seed_raw[a] == seed_raw[b])  # both of one divided piece
        a, b = a[inside], b[inside]
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        keys.append(lo * count + hi)
        inks.append(((pa[border] & pb[border]) == 0)[inside])  # either pixel on ink
        ends.append((na[border] | nb[border])[inside])
    keys, inks, ends = np.concatenate(keys), np.concatenate(inks), np.concatenate(ends)
    joined = np.zeros(0, np.int64)
    if keys.size:
        pairs, index = np.unique(keys, return_inverse=True)
        ink_pairs = np.bincount(index, inks, minlength=pairs.size)
        share = ink_pairs / np.bincount(index)
        on_paper = np.bincount(index, ~inks, minlength=pairs.size)  # border pairs on paper: about the passage's width
        at_ends = np.bincount(index, ends & ~inks, minlength=pairs.size) > 0  # beside a line's end
        closed_gap = at_ends & (on_paper <= GAP_BORDER_SLACK * gap)
        joined = pairs[((share < ink_share) | (ink_pairs <= crossing)) & ~closed_gap]
    graph = scipy.sparse.coo_matrix((np.ones(joined.size), (joined // count, joined % count)), shape=(count, count))
    _, component = scipy.sparse.csgraph.connected_components(graph, directed=False)  # (count,)
    region = np.zeros(count, np.int32)
    _, relabel = np.unique(component[in_split], return_inverse=True)
    region[in_split] = relabel + 1
    return region
