"""Full-resolution output with NumPy and OpenCV: the color predicted at the
trained scale brought back to the sketch's own size, lines kept sharp.

The network predicts at the trained scale
(`colorize.serving.trained_scale`); the color is brought back to the
sketch's size and the full-resolution lines are multiplied back in. Two
methods (`UPSAMPLE_METHODS`):

- "bilinear": `upsample_bilinear` + `multiply_lines`, the same as the
  graph's `trained_scale.compose_bilinear` (within one level). Its weakness: the
  network predicts one color per 4x4 cell at the trained scale (a 31x31 px
  block for a 1000 px sketch at 128 px), so colors bleed across the sharp
  full-resolution lines by up to a cell.
- "regions" (`upsample_regions`, the default of `predict`): the pixels
  between the lines of the full-resolution sketch are split into
  line-bounded regions (connected components); inside a region whose
  predicted color is nearly uniform, every pixel gets the region's mean
  color, so color changes exactly at the lines instead of somewhere within
  a cell of them. The mean (and the spread) weight each pixel by the square
  of its distance to the lines in cells (capped at 1), because the bleed
  from the neighbouring regions is strongest next to a line. A region whose
  prediction varies (shading, or two areas merged through a gap in the
  lines) keeps the smooth bilinear color, with a soft switch between the
  two, so a leaking region is never painted one wrong flat color. A large
  region (16 cells or more) is measured, and colored where it is not flat,
  on a smooth color instead (`smooth_color`: a local linear fit with a
  Gaussian of one cell at the trained scale), so that the network's
  cell-to-cell noise neither keeps it from being flat nor shows as a
  pattern of cells over it; shading is kept. Pixels on
  the lines take the color of the nearest region pixel. The spread is
  measured in CIE-Lab, where distances are perceptual; the blend is done in
  RGB. This is the "flood regions bounded by lines" idea with a safety
  valve; a joint bilateral or guided filter was the alternative, but it only
  sharpens transitions that the bilinear color already has near a line,
  while regions put them on it. Connected components have no TensorFlow op,
  so the SavedModel keeps the bilinear method: this is the one place where
  `predict` (by default) and the SavedModel give different colors for the
  same input.

Memory: the regions method works on the bilinear float32 RGB image in
place, in bands of rows (`BAND_PIXELS`, on every core), measures the
regions on every `stride`-th pixel (`SAMPLES_PER_CELL`) and finds the
lines' nearest regions on every `stride // 2`-th pixel, so that it holds a
few full-size arrays at its peak (the float32 image, int32 labels, uint8
barriers), not per-pixel Lab statistics. Its time and the memory of
`predict` are in the README's "Performance" and "Memory bounds".
"""

import concurrent.futures
import os

import cv2
import numpy as np

from colorize.errors import ColorizeError

UPSAMPLE_METHODS = ("regions", "bilinear")
"""The ways back to full size (see the module docstring)."""


def check_method(method):
    """`method` if it is one of `UPSAMPLE_METHODS`.

    Raises:
        ColorizeError: any other name.
    """
    if method not in UPSAMPLE_METHODS:
        raise ColorizeError(f"unknown upsampling method {method!r}; choose one of {', '.join(UPSAMPLE_METHODS)}")
    return method


# --------------------------------------------------------- numpy / OpenCV --


def _check(color, sketch):
    if color.ndim != 3 or color.shape[2] != 3:
        raise ColorizeError(f"color must have shape (h, w, 3), got {color.shape}")
    if sketch.ndim != 2 or sketch.dtype != np.uint8:
        raise ColorizeError(f"sketch must be a (H, W) uint8 array, got {sketch.shape} {sketch.dtype}")
    if min(color.shape[:2]) < 1 or min(sketch.shape) < 1:
        raise ColorizeError(f"empty image: color {color.shape}, sketch {sketch.shape}")


def upsample_bilinear(color, size):
    """Bilinear resize (the same sampling as `tf.image.resize`).

    Args:
        color: `(h, w, 3)` float RGB 0..255.
        size: (H, W).

    Returns:
        `(H, W, 3)` float32.
    """
    height, width = size
    return cv2.resize(np.asarray(color, np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


BAND_PIXELS = 1 << 20
"""Full-size per-pixel work runs in bands of rows of about this many pixels,
so that its temporaries stay small (and in cache) at any sketch size."""


def bands(height, width, multiple=1):
    """Row ranges `(top, bottom)` covering `height` rows, about `BAND_PIXELS`
    pixels each; every `top` is a multiple of `multiple`."""
    rows = max(multiple, BAND_PIXELS // max(width, 1) // multiple * multiple)
    return [(top, min(top + rows, height)) for top in range(0, height, rows)]


def for_bands(work, height, width, multiple=1):
    """Runs `work(top, bottom)` on every band (`bands`), on as many threads
    as there are cores: the bands are disjoint rows, and NumPy's and
    OpenCV's array operations release the GIL."""
    ranges = bands(height, width, multiple)
    if len(ranges) == 1:
        work(*ranges[0])
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(ranges), os.cpu_count() or 1)) as pool:
        for done in [pool.submit(work, top, bottom) for top, bottom in ranges]:
            done.result()  # re-raises a band's exception


def multiply_lines(color, sketch, overwrite=False):
    """Multiplies full-resolution colors by sketch / 255 (the paper's merge).

    Args:
        color: `(H, W, 3)` float RGB 0..255.
        sketch: `(H, W)` uint8.
        overwrite: compute in `color` itself (a float32 array the caller no
            longer needs); either way only band-sized float temporaries are
            made (`BAND_PIXELS`).

    Returns:
        `(H, W, 3)` uint8 RGB: rounded to the nearest level (half to even)
        and saturated.
    """
    height, width = sketch.shape
    in_place = overwrite and color.dtype == np.float32
    out = np.empty((height, width, 3), np.uint8)

    def band(top, bottom):
        scale = sketch[top:bottom].astype(np.float32)[..., np.newaxis]  # (rows, W, 1)
        scale /= 255.0
        rgb = np.multiply(color[top:bottom], scale, out=color[top:bottom] if in_place else None)
        np.clip(rgb, 0.0, 255.0, out=rgb)
        np.rint(rgb, out=rgb)
        out[top:bottom] = rgb

    for_bands(band, height, width)
    return out


def line_threshold(sketch):
    """Gray level below which a pixel is a line: Otsu's threshold of the
    sketch, kept within 96..200 so that a sketch that is nearly all paper
    (or all ink) still gets a sensible split."""
    level, _ = cv2.threshold(sketch, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(np.clip(level, 96, 200))


SAMPLES_PER_CELL = 16
"""Region statistics and the line fill use every `stride`-th pixel in both
directions, `stride = cell // SAMPLES_PER_CELL` (at least 1): the predicted
color is constant over a cell, so 16 x 16 samples per cell measure a region
as well as all its pixels."""


FLAT_BELOW = 8.0
"""Regions whose color spread (Delta E) is below this are made flat
(`upsample_regions`; `experiments.decoding_alternatives` measures larger ones)."""

SMOOTH_ABOVE = 24.0
"""Regions whose color spread (Delta E) is above this keep the smooth color."""


def upsample_regions(
    color, sketch, cell=None, flat_below=None, smooth_above=None, evidence=None, paper_threshold=None, regions=None
):
    """Upsamples color to the sketch's size, constant inside line-bounded regions.

    With `evidence` (a classification net's, `models.EVIDENCE_CHANNELS`) and
    a `paper_threshold`, each region is also decided as a whole: its paper
    mass pooled over the region (the same weights as its mean color) above
    the threshold makes it white paper, flat; otherwise its flat color is
    the pooled annealed mean of the chromatic classes, and its spread (how
    much its cells disagree) decides flat or smooth as above. Paper decodes
    to white, not to the white class's centre. A region whose cells
    disagree about paper (the spread of their paper mass above
    `MIXED_PAPER_SPREAD`: a figure and the page joined through a gap in the
    outline) is decided pixel by pixel instead (`mixed_paper_samples`):
    white where the paper mass is above the threshold (a cell or more from
    the lines; nearer, as the nearest such pixel of the region), the
    smoothed chromatic color elsewhere and in the small patches of paper
    enclosed by color (`paper_without_holes`).

    See the module docstring for the method and why. The statistics are
    measured on every `stride`-th pixel (`SAMPLES_PER_CELL`); a region that
    no sample falls in (smaller than the stride) keeps the bilinear color,
    which is its own color (its prediction does not vary over a few pixels).
    The blend between a region's mean and the bilinear color is done in RGB.

    Args:
        color: `(h, w, 3)` float RGB 0..255 at the trained scale (not masked).
        sketch: `(H, W)` uint8 full-resolution sketch (dark lines on white).
        cell: full-resolution pixels per predicted color cell (the bleed
            distance); default: 4 trained-scale pixels, the classification
            net's output stride.
        flat_below: regions whose color spread (weighted RMS CIE-Lab
            distance to their mean, Delta E) is below this are made flat
            (default `FLAT_BELOW`).
        smooth_above: regions whose spread is above this keep the bilinear
            color; in between, a linear blend (default `SMOOTH_ABOVE`).
        evidence: optional `(paper, chromatic)` at the trained scale:
            `(h, w)` float paper mass in [0, 1] and `(h, w, 3)` float RGB
            0..255, the chromatic annealed mean; optionally a third, the
            `(h, w)` paper mass the pixel-by-pixel decisions of mixed
            regions use instead of `paper` (`coloring.colorize_array`'s,
            given a palette or hints).
        paper_threshold: the pooled paper mass above which a region is
            paper (None: no region decisions).
        regions: `line_regions(sketch)`, when the caller has it already.

    Returns:
        `(H, W, 3)` float32 RGB 0..255 (not masked by the lines).

    Raises:
        ColorizeError: bad shapes or dtypes.
    """
    _check(color, sketch)
    flat_below = FLAT_BELOW if flat_below is None else flat_below
    smooth_above = SMOOTH_ABOVE if smooth_above is None else smooth_above
    height, width = sketch.shape
    if cell is None:
        cell = cell_size(color.shape[:2], (height, width))
    stride = max(1, int(cell // SAMPLES_PER_CELL))
    up = upsample_bilinear(np.clip(color, 0.0, 255.0), (height, width))  # (H, W, 3) RGB
    barrier, labels, count = line_regions(sketch) if regions is None else regions
    if count <= 1:  # all lines: nothing to flatten
        return up
    # Samples: every stride-th pixel (a contiguous copy, 1 / stride^2 of the pixels).
    sample_labels = np.ascontiguousarray(labels[::stride, ::stride])  # (hs, ws) int32
    sample_barrier = np.ascontiguousarray(barrier[::stride, ::stride])
    sample_lab = up[::stride, ::stride] / 255.0  # (hs, ws, 3) RGB 0..1, a copy
    # Large regions are measured, and colored where not flat, on the smooth
    # color: the network's per-cell noise would raise their spread and show
    # as a pattern of cells over them.
    area = np.bincount(sample_labels.ravel(), minlength=count) * float(stride * stride)  # (count,) pixels
    large = area >= LARGE_CELLS * cell * cell
    large[0] = False
    smooth = None
    if large.any():
        smooth = smooth_color(np.clip(color, 0.0, 255.0), SMOOTH_CELLS * 4.0)  # (h, w, 3) at the trained scale
        in_large = np.take(large, sample_labels)[..., np.newaxis]
        np.copyto(sample_lab, sample_bilinear(smooth, (height, width), stride) / 255.0, where=in_large)
        del in_large
    cv2.cvtColor(sample_lab, cv2.COLOR_RGB2Lab, dst=sample_lab)  # L in 0..100
    # Interior pixels count most: the bleed from neighbouring regions fades
    # over about one cell from the line. (min before dividing: a line-free
    # image has "infinite" distances.)
    distance = cv2.distanceTransform(1 - sample_barrier, cv2.DIST_L2, 3) * stride  # (hs, ws) full-size pixels
    weight = np.square(np.minimum(distance, cell) / cell)
    decide = evidence is not None and paper_threshold is not None
    if decide:
        # The paper spread looks deeper: the bleed next to a closed figure is not a merger.
        depth = MIXED_DEPTH_CELLS * cell
        deep_weight = np.square(np.minimum(distance, depth) / depth)
        # The regions' own colors: the chromatic annealed mean, pooled and spread alike.
        paper, chromatic = evidence[:2]
        sample_lab = sample_bilinear(np.clip(chromatic, 0.0, 255.0), (height, width), stride) / 255.0
        cv2.cvtColor(sample_lab, cv2.COLOR_RGB2Lab, dst=sample_lab)
        sample_paper = sample_bilinear(np.asarray(paper, np.float32), (height, width), stride)  # (hs, ws)
    mean, spread, sampled = region_stats(sample_lab, sample_labels, count, weight)
    del sample_lab
    flatness = np.clip((smooth_above - spread) / (smooth_above - flat_below), 0.0, 1.0)
    flat_rgb = cv2.cvtColor(mean.astype(np.float32)[np.newaxis], cv2.COLOR_Lab2RGB)[0] * 255.0  # (count, 3)
    mixed = None
    if decide:
        pooled = region_means(sample_paper, sample_labels, count, weight)  # (count,)
        # Cells that disagree about paper: a figure and the page merged
        # through a gap in the outline. Decided pixel by pixel below.
        deep = region_means(sample_paper, sample_labels, count, deep_weight)
        paper_spread = np.sqrt(
            np.maximum(region_means(np.square(sample_paper), sample_labels, count, deep_weight) - np.square(deep), 0.0)
        )
        del deep_weight
        mixed = (paper_spread > MIXED_PAPER_SPREAD) & sampled
        if MIXED_ONLY_OPEN:
            mixed &= np.isin(np.arange(count), border_labels(labels))
        mixed[0] = False
        is_paper = (pooled > paper_threshold) & ~mixed
        # The page outside a frame drawn around the picture: its network cells all see the frame.
        margin = thin_margins(labels, sample_labels, distance >= cell, count) & sampled
        is_paper |= margin
        mixed &= ~margin
        flatness[is_paper] = 1.0
        flat_rgb[is_paper] = 255.0
        del sample_paper
        if not mixed.any():
            mixed = None
    del weight
    flatness[0] = 0.0
    flatness[~sampled] = 0.0  # too small for the samples: the bilinear color
    if mixed is not None:
        flatness[mixed] = 0.0
        # Their colored pixels: the chromatic annealed mean, smoothed like a large region's.
        mixed_color = smooth_color(np.clip(evidence[1], 0.0, 255.0), SMOOTH_CELLS * 4.0)  # (h, w, 3) trained scale
        mixed_white = mixed_paper_samples(
            paper_without_holes(evidence[2] if len(evidence) > 2 else evidence[0], paper_threshold),
            paper_threshold,
            np.take(mixed, sample_labels),
            sample_labels,
            distance >= cell,
            (height, width),
            stride,
        )
        large &= ~mixed

        def paint_mixed(rgb, ys, xs):
            """`rgb`, the chromatic color at the full-size pixels `ys` x `xs`, white where decided paper."""
            rgb[mixed_white[(ys // stride)[:, np.newaxis], xs // stride]] = 255.0
            return rgb

    del distance
    large &= flatness < 1.0
    if not large.any():
        smooth = None
    keep = (1.0 - flatness).astype(np.float32)  # (count,) weight of the bilinear color
    paint = (flatness[:, np.newaxis] * flat_rgb).astype(np.float32)  # (count, 3) premultiplied
    keep3 = np.repeat(keep[:, np.newaxis], 3, axis=1)  # (count, 3): per channel, for whole-band products
    del sample_barrier, sample_labels
    # Line pixels: the color of the nearest region pixel, found on every
    # `step`-th pixel (half the stride; exact when 1), each line pixel taking
    # the sample at or above left of it.
    step = max(1, stride // 2)
    fill_barrier = np.ascontiguousarray(barrier[::step, ::step])  # (hf, wf)
    fill_labels = np.ascontiguousarray(labels[::step, ::step])
    nearest = nearest_pixel(fill_barrier)  # (hf, wf) int64 flat index
    fill_labels = fill_labels.ravel()[nearest]  # (hf, wf) int32
    fill = np.take(up[::step, ::step].reshape(-1, 3), nearest, axis=0)  # (hf, wf, 3) RGB
    del fill_barrier
    fill *= np.take(keep, fill_labels)[..., np.newaxis]
    fill += np.take(paint, fill_labels, axis=0)  # (hf, wf, 3) final colors
    if mixed is not None:
        in_mixed = np.take(mixed, fill_labels)
        if in_mixed.any():
            decided = paint_mixed(
                sample_bilinear(mixed_color, (height, width), step),
                np.arange(0, height, step),
                np.arange(0, width, step),
            )
            np.copyto(fill, np.take(decided.reshape(-1, 3), nearest, axis=0), where=in_mixed[..., np.newaxis])
        del in_mixed
    del fill_labels, nearest

    # up = up * keep + paint per pixel by its region, in bands (keep 1, paint 0 on the lines).
    def band(top, bottom):
        rgb = up[top:bottom]
        band = labels[top:bottom]
        if smooth is not None:
            in_large = np.take(large, band)
            if in_large.any():
                cv2.copyTo(upsample_rows(smooth, (height, width), top, bottom), in_large.view(np.uint8), rgb)
        rgb *= np.take(keep3, band, axis=0)
        rgb += np.take(paint, band, axis=0)
        if mixed is not None:
            in_mixed = np.take(mixed, band)
            if in_mixed.any():
                decided = paint_mixed(
                    upsample_rows(mixed_color, (height, width), top, bottom), np.arange(top, bottom), np.arange(width)
                )
                cv2.copyTo(decided, in_mixed.view(np.uint8), rgb)
        on_line = barrier[top:bottom]
        if on_line.any():
            block = fill[top // step : -(-bottom // step)]  # the samples of these rows
            block = cv2.resize(block, (block.shape[1] * step, block.shape[0] * step), interpolation=cv2.INTER_NEAREST)
            cv2.copyTo(block[: bottom - top, :width], on_line, rgb)
        np.clip(rgb, 0.0, 255.0, out=rgb)

    for_bands(band, height, width, step)
    return up


MIXED_PAPER_SPREAD = 0.2
"""A region whose cells' paper mass has a spread (weighted standard
deviation, `MIXED_DEPTH_CELLS`) above this is mixed: the cells disagree
about paper, as where a figure and the page are one region through a gap
in the outline. It is decided pixel by pixel, not as a whole: white where
the network's paper mass is above the threshold, the chromatic color
elsewhere. Measured on validation windows
(`experiments/results/mixed_regions`): 0.1 scored about 0.1 dB higher
than 0.2, but took the page around figures for mixed and painted the
network's doubt there as blobs of color on it (`test_region_decisions`,
`test_page_border`); 0.2 is the lowest that does not."""


MIXED_ONLY_OPEN = True
"""Only a region that touches the picture's border (the page, or a figure
joined to it through a gap) may be mixed; a closed region is decided as a
whole even when its cells disagree, so that no closed shape is split into
white and color along no line. Measured on validation windows against off
(`experiments/results/mixed_regions/only_open.json`): no worse on any
figure."""

MIXED_DEPTH_CELLS = 2.0
"""The paper spread that makes a region mixed weighs its samples by the
square of their distance to the lines, in units of this many cells (capped
at 1): the network's color bleeds a cell or so past a closed outline into
the page around it, which is not a figure merged with the page."""

FLOATING_COLOR_IS_PAPER = True
"""In a mixed region, a patch of color that comes within a cell of no line
and does not touch the picture's border is white paper: figures are drawn
with lines, and such a patch is the network's doubt on the page (a spot of
cyan on blank paper). `mixed_paper_samples`."""

OUTLINED_SHARE = 0.0
"""In a mixed region, a patch of color stays colored only if at least this
share of its edge (its samples next to paper) lies within a cell of a line
or on the picture's border: a figure open to the page through a gap is
outlined almost all round, while the network's doubt spreading from one
line onto the page (a blotch of ochre on the sky above a ground line) is
bounded by paper on most sides. 0 (the default): any patch that comes
within a cell of a line or touches the border stays
(`FLOATING_COLOR_IS_PAPER` alone). Measured on validation windows
(`experiments/results/mixed_regions/outlined_shares.json`, 0.5 to 0.8):
every share lost PSNR, chroma and overlap against 0, so it stays off;
the windows' colored patches are often cut by paper-colored doubt, and a
drawing's open page with a ground line is rare among them."""

PAPER_HOLE_SHARE = 0.1
"""In a mixed region, paper cells enclosed by colored ones (a patch of the
network's doubt inside a figure: not connected to the image's border,
smaller than this share of the cells) are colored, not white. A page
inside a frame is larger than that. Measured on validation windows against
0 (off) to 0.2 (`experiments/results/mixed_regions/hole_shares.json`)."""


def paper_without_holes(paper, threshold):
    """The paper mass with its holes taken out: the cells above `threshold`
    that form a patch (8-connected) not touching the border and smaller
    than `PAPER_HOLE_SHARE` of the cells get mass 0.

    Args:
        paper: `(h, w)` float paper mass at the trained scale.
        threshold: the paper mass above which a cell is paper.

    Returns:
        `(h, w)` float32, a copy.
    """
    paper = np.array(paper, np.float32)
    count, labels = cv2.connectedComponents((paper > threshold).astype(np.uint8), connectivity=8)
    if count <= 1:
        return paper
    sizes = np.bincount(labels.ravel(), minlength=count)
    hole = sizes < PAPER_HOLE_SHARE * paper.size
    hole[border_labels(labels)] = False
    hole[0] = False  # the cells below the threshold
    paper[np.take(hole, labels)] = 0.0
    return paper


def mixed_paper_samples(paper, threshold, in_mixed, labels, deep, size, stride):
    """Which samples of the mixed regions are white paper.

    A sample a cell or more from the lines is paper where the network's
    paper mass there is above `threshold`. One nearer a line takes the
    decision of the nearest such deep sample of its own region: the
    network's color bleeds about a cell past an outline, and decided on
    their own these samples would paint a halo of the figure's color on the
    page around it. A region without deep samples is decided sample by
    sample. A patch of colored samples that reaches no line and not the
    border is paper (`FLOATING_COLOR_IS_PAPER`).

    Args:
        paper: `(h, w)` float32 paper mass at the trained scale.
        threshold: the paper mass above which a sample is paper.
        in_mixed: `(hs, ws)` bool, the samples of mixed regions.
        labels: `(hs, ws)` int32 region of each sample (0: lines).
        deep: `(hs, ws)` bool, the samples a cell or more from the lines.
        size: (H, W) full size.
        stride: full-size pixels between samples.

    Returns:
        `(hs, ws)` bool, True where a mixed region's sample is paper.
    """
    white = (sample_bilinear(paper, size, stride) > threshold) & in_mixed
    sources = deep & in_mixed
    if sources.any():
        nearest = nearest_pixel((~sources).astype(np.uint8)).reshape(-1)  # flat index of the nearest deep sample
        flat_labels = labels.reshape(-1)
        near = in_mixed.reshape(-1) & ~sources.reshape(-1) & (flat_labels[nearest] == flat_labels)
        flat = white.reshape(-1)  # a view: white is contiguous
        flat[near] = flat[nearest[near]]
    if FLOATING_COLOR_IS_PAPER:
        colored = in_mixed & ~white
        count, patches = cv2.connectedComponents(colored.astype(np.uint8), connectivity=8)
        if count > 1:
            if OUTLINED_SHARE > 0.0:
                anchored = outlined_share(colored, patches, count, deep) >= OUTLINED_SHARE
            else:
                anchored = np.zeros(count, bool)
                anchored[patches[colored & ~deep]] = True  # within a cell of a line
                anchored[border_labels(patches)] = True
            anchored[0] = True  # not colored
            white |= np.take(~anchored, patches)
    return white


def outlined_share(colored, patches, count, deep):
    """For each patch of colored samples, the share of its edge samples (those
    with a 4-neighbour outside it, or on the picture's border) that are
    within a cell of a line or on the border.

    Args:
        colored: `(hs, ws)` bool samples.
        patches: `(hs, ws)` int32 patch of each sample (0: not colored).
        count: the number of patch labels, 0 included.
        deep: `(hs, ws)` bool, the samples a cell or more from the lines.

    Returns:
        `(count,)` float64 in [0, 1] (label 0: 0).
    """
    mask = colored.astype(np.uint8)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    inner = cv2.erode(mask, cross, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    edge = colored & ~inner
    on_border = np.zeros_like(colored)
    on_border[[0, -1], :] = True
    on_border[:, [0, -1]] = True
    outlined = edge & (~deep | on_border)
    edges = np.bincount(patches[edge], minlength=count).astype(np.float64)
    share = np.bincount(patches[outlined], minlength=count) / np.maximum(edges, 1.0)
    share[0] = 0.0
    return share


def cell_size(trained, size):
    """Full-size pixels per predicted color cell: 4 pixels at the trained
    scale `trained` (h, w), the classification net's output stride, at the
    sketch's size `size` (H, W)."""
    return 4.0 * max(size[0] / trained[0], size[1] / trained[1])


def paper_decision(paper, size, threshold):
    """Where the network sees paper, pixel by pixel at full size: its paper
    mass, bilinear from the trained scale (as `upsample_regions` samples
    it), above `threshold`. `upsample_regions` pools the same mass over
    each line-bounded region; this keeps it per pixel, so that it also
    parts a figure whose outline is open from the page around it (one
    region there).

    Args:
        paper: `(h, w)` float paper mass in [0, 1] at the trained scale.
        size: (H, W).
        threshold: the paper mass above which a pixel is paper.

    Returns:
        `(H, W)` bool.
    """
    height, width = size
    paper = np.asarray(paper, np.float32)
    out = np.empty((height, width), bool)

    def band(top, bottom):
        np.greater(upsample_rows(paper, size, top, bottom), threshold, out=out[top:bottom])

    for_bands(band, height, width)
    return out


LARGE_CELLS = 16
"""A region of at least this many predicted cells (4 x 4 of them) that is
not flat takes the smooth color (`smooth_color`), not the bilinear one."""

SMOOTH_CELLS = 1.0
"""The smooth color's Gaussian, in cells (4 trained-scale pixels): a
pattern of single cells (period 2 cells) keeps under 1 % of its contrast,
a shading over 16 cells 96 %."""


def smooth_color(color, sigma):
    """The color with its cell-to-cell noise smoothed away, gradients kept:
    a local linear fit with Gaussian weights (a Gaussian blur in the
    interior; at the image's border the fit is one-sided, so a linear ramp
    comes back exactly instead of bending toward its border value).

    Args:
        color: `(h, w, 3)` float RGB at the trained scale.
        sigma: the Gaussian's standard deviation in pixels.

    Returns:
        `(h, w, 3)` float32.
    """
    color = np.asarray(color, np.float64)
    height, width = color.shape[:2]
    yy, xx = np.mgrid[:height, :width].astype(np.float64)

    def blur(a):  # zero outside the image: normalized by the blurred ones below
        return cv2.GaussianBlur(a, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)

    s0, sx, sy = blur(np.ones_like(xx)), blur(xx), blur(yy)
    sxx, sxy, syy = blur(xx * xx), blur(xx * yy), blur(yy * yy)
    system = np.stack([np.stack([s0, sx, sy], -1), np.stack([sx, sxx, sxy], -1), np.stack([sy, sxy, syy], -1)], -2)
    channels = np.moveaxis(color, -1, 0)  # (3, h, w)
    rhs = np.stack([np.stack([blur(c), blur(xx * c), blur(yy * c)], -1) for c in channels], -1)  # (h, w, 3, 3)
    try:
        coefficients = np.linalg.solve(system, rhs)  # (h, w, 3 terms, 3 channels)
    except np.linalg.LinAlgError:  # a one-pixel-wide image: no slope to fit
        return cv2.GaussianBlur(color, (0, 0), sigma, borderType=cv2.BORDER_REFLECT).astype(np.float32)
    out = coefficients[..., 0, :] + coefficients[..., 1, :] * xx[..., None] + coefficients[..., 2, :] * yy[..., None]
    return out.astype(np.float32)


def sample_bilinear(color, size, stride):
    """`upsample_bilinear(color, size)[::stride, ::stride]`, without the rest.

    Returns:
        `(ceil(H / stride), ceil(W / stride), 3)` float32.
    """
    height, width = size
    rows, cols = color.shape[:2]
    scale_x, scale_y = cols / width, rows / height
    # dst (x, y) <- full size (x stride, y stride) <- src ((x stride + 0.5) sx - 0.5, ...)
    matrix = np.array([[stride * scale_x, 0.0, 0.5 * scale_x - 0.5], [0.0, stride * scale_y, 0.5 * scale_y - 0.5]])
    out = (-(-width // stride), -(-height // stride))
    return cv2.warpAffine(
        np.asarray(color, np.float32),
        matrix,
        out,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def upsample_rows(color, size, top, bottom):
    """Rows `top..bottom` of `upsample_bilinear(color, size)`, without the
    rest (OpenCV's bilinear mapping, pixel centers aligned).

    Returns:
        `(bottom - top, W, 3)` float32.
    """
    height, width = size
    rows, cols = color.shape[:2]
    scale_x, scale_y = cols / width, rows / height
    # dst (x, y) <- src ((x + 0.5) sx - 0.5, (y + top + 0.5) sy - 0.5)
    matrix = np.array([[scale_x, 0.0, 0.5 * scale_x - 0.5], [0.0, scale_y, (top + 0.5) * scale_y - 0.5]])
    return cv2.warpAffine(
        np.asarray(color, np.float32),
        matrix,
        (width, bottom - top),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def line_regions(sketch):
    """Splits the paper of a sketch into regions bounded by its lines.

    Args:
        sketch: `(H, W)` uint8.

    Returns:
        (barrier, labels, count): barrier `(H, W)` uint8, 1 on the lines
        (dilated to close gaps of about one training pixel); labels `(H, W)`
        int32, 0 on the barrier and 1..count-1 for the regions (4-connected).
    """
    height, width = sketch.shape
    ink = (sketch < line_threshold(sketch)).astype(np.uint8)
    radius = max(1, round(min(height, width) / 512))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    barrier = cv2.dilate(ink, kernel)  # (H, W) 1 on lines
    del ink
    count, labels = cv2.connectedComponents(1 - barrier, connectivity=4, ltype=cv2.CV_32S)  # 0: lines
    return barrier, labels, count


# A region that holds at least this share of the picture's edge pixels and
# has no pixel a cell from the lines is a margin (`thin_margins`): more than
# any strip along one side (a figure cut by the window's border) holds. No
# validation window has one, so the decisions there are as before.
MARGIN_EDGE_SHARE = 0.5


def thin_margins(labels, sample_labels, deep, count):
    """The regions that are a thin margin around the picture: holding at
    least `MARGIN_EDGE_SHARE` of its edge pixels, with no sample a cell or
    more from the lines (the page between a frame drawn around the picture
    and its edge). They are paper: their network cells all see the frame's
    line, and decided by their paper mass they come out colored.

    Args:
        labels: `(H, W)` int32 region of each pixel (0: lines).
        sample_labels: `(hs, ws)` int32 region of each sample.
        deep: `(hs, ws)` bool, the samples a cell or more from the lines.
        count: number of labels.

    Returns:
        `(count,)` bool (label 0 False).
    """
    edge = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    share = np.bincount(edge, minlength=count) / edge.size
    has_deep = np.bincount(sample_labels[deep], minlength=count) > 0
    margin = (share >= MARGIN_EDGE_SHARE) & ~has_deep
    margin[0] = False
    return margin


def border_labels(labels):
    """The labels found on the outermost rows and columns of `(h, w)` int
    `labels` (the regions or patches touching the picture's border), each
    once, as a 1-D array."""
    return np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))


def nearest_pixel(barrier):
    """Nearest region pixel of every pixel (Euclidean, 3x3 mask).

    Args:
        barrier: `(h, w)` uint8, 1 on the lines, 0 on the regions.

    Returns:
        `(h, w)` int64 flat (raster) index of the nearest pixel where
        `barrier` is 0 (a region pixel is its own); each pixel's own index
        when there is none.
    """
    free = np.flatnonzero(barrier.ravel() == 0)  # (free pixels,)
    if free.size == 0:
        return np.arange(barrier.size).reshape(barrier.shape)
    # Raster-order index (from 1) of the nearest zero pixel of `barrier`.
    _, index = cv2.distanceTransformWithLabels(barrier, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    index -= 1
    return free[index]


def region_means(values, labels, count, weight):
    """Weighted mean of `(h, w)` values over every region: `(count,)` float64 (0 where unsampled)."""
    flat_labels = labels.ravel()
    weight = weight.ravel().astype(np.float64)
    total = np.bincount(flat_labels, weight, minlength=count)
    sums = np.bincount(flat_labels, weight * values.ravel(), minlength=count)
    return np.divide(sums, total, out=np.zeros(count), where=total > 0)


def region_stats(lab, labels, count, weight):
    """Weighted mean color and color spread of every region.

    Args:
        lab: `(h, w, 3)` float32 CIE-Lab.
        labels: `(h, w)` int32 region of each pixel (0: lines).
        count: number of labels.
        weight: `(h, w)` float32 pixel weights, > 0 off the lines.

    Returns:
        (mean, spread, sampled): `(count, 3)` weighted mean Lab, `(count,)`
        weighted RMS distance to it (Delta E) and `(count,)` bool, whether
        the region has pixels of positive weight (mean and spread are 0
        where not); label 0 is meaningless.
    """
    flat_labels = labels.ravel()
    weight = weight.ravel().astype(np.float64)
    total = np.bincount(flat_labels, weight, minlength=count)  # (count,)
    sampled = total > 0
    total[~sampled] = 1.0
    mean = np.empty((count, 3))
    variance = np.zeros(count)
    for c in range(3):
        channel = lab[..., c].ravel()
        weighted = weight * channel
        first = np.bincount(flat_labels, weighted, minlength=count) / total
        weighted *= channel
        second = np.bincount(flat_labels, weighted, minlength=count) / total
        mean[:, c] = first
        variance += np.maximum(second - first * first, 0.0)
    return mean, np.sqrt(variance), sampled
