"""Brings real sketches toward what the network was trained on, in TensorFlow ops.

The training sketches are not drawings: the dataset extracts them from color
illustrations (`sketch.extract_sketch`, after resizing the short side to 256
px), which gives soft, gray lines (the darkest pixel of a window is usually
50..130, never pure black) on pure white. The paper (section 4.4) found its
models "very susceptible to ... how dark the dark pixels are" and failing on
real and binary sketches. `normalize` undoes the ways real sketches differ:

1. Polarity, decided from what is line-like, not from the median alone:
   thin structures (a morphological top-hat, narrower than `THIN` pixels at
   the statistics scale) that are also long (at least `LINE_LENGTH` of
   them in a `LINE_LENGTH`-wide window, so stars and specks do not count)
   are scored dark on light and light on dark by their length over their
   width; the page is inverted when two of three votes say light lines:
   they score higher, they are thinner, the page is mostly dark (the paper
   between dense dark lines or between the dots of a stippled page is thin
   too, but wider than the ink). A night sky or a black frame is a wide
   structure and does not vote as a line.
2. Paper and ink, in color: the paper color is the per-channel median of
   the paper side of an Otsu split of the luma; each pixel's ink is its
   largest per-channel distance from the paper (`darkness`), so black,
   gray pencil, red ink and light "non-photo blue" strokes all become dark
   lines, and tinted paper becomes white. The paper's own noise (the
   median of its darkness plus five deviations of its luma: darkness is
   one-sided, 0 for what is lighter than the paper) maps to 255, the ink
   level to 0, by a lookup table. The ink level is the 95th percentile of
   the darker half of the line-like pixels, taken on the block minimum
   (where thin lines keep their full darkness), so a black fill does not
   set it.
   A page whose ink is within `MIN_CONTRAST` of its paper is blank and left
   as it is.
3. Line width: big sketches are block-min reduced (no stroke disappears) to
   a short side of 512..1023, the width of the thin strokes is measured
   (`stroke_width`; fills do not count), and strokes thinner than
   `TARGET_LINE_WIDTH` pixels at the dataset scale are thickened.
4. The line profile: the result is resized to the dataset's 256 px scale
   (area when shrinking, as INTER_AREA) and put through the dataset's own
   extraction (`extract_sketch`, the same arithmetic as the OpenCV one), so
   the network sees the soft gray lines it was trained on.

A sketch that already is dataset-style (pure white paper, and soft: no two
neighbouring pixels differ by more than `MAX_STEP`, which the extraction's
8x8 box filter guarantees and any drawn or scanned line breaks) is only
resized, not re-extracted.

Every function builds TensorFlow ops: it runs eagerly and inside a
`tf.function` with unknown height and width, so the SavedModel and
`predict` run the same code. The statistics are taken at about
`STATS_PIXELS` pixels and the line work at the 512..1023 scale; at full size
there are only block reductions and the per-pixel lookup, one channel at a
time (a cropped copy, uint8 channel distances and one int32 index image:
about 10 bytes per pixel above the sketch's own).
"""

import numpy as np
import tensorflow as tf

from colorize import variants
from colorize.data import sketch as sketch_lib
from colorize.errors import ColorizeError
from colorize.serving import sketch_ops as ops

DATASET_SCALE = sketch_lib.SIZE
"""Short side at which the dataset extracts its sketches (256 px)."""

TARGET_LINE_WIDTH = 3.0
"""Stroke width, in pixels at the dataset scale, below which lines are
thickened: the synthetic illustrations' outlines (OpenCV thickness 1-3)
measure 2-5 px, and a 1 px line of a 1024 px drawing thickened to 3 px
extracts to a darkest level of about 100, within the training sketches'
range (36..134, median 72)."""

MIN_CONTRAST = 32
"""Paper and ink closer than this (in darkness levels): a blank page, left unchanged."""

WORK_SHORT_SIDE = 2 * DATASET_SCALE
"""Larger sketches are block-min reduced to a short side of 512..1023 px
before their line width is measured and adjusted."""

STATS_PIXELS = 1 << 20
"""The page statistics (polarity, paper, ink) are taken on block reductions
and a subsample of at most about this many pixels."""

INK_LEVEL = 128
"""After level normalization, pixels darker than this are ink."""

NOISE_DEVIATIONS = 5.0
"""The white point is the paper's median darkness plus this many (MAD-estimated)
deviations: a pixel's darkness is the largest of three channel distances, a
skewed noise whose 99.9th percentile is about five deviations out."""

THIN = 9
"""Top-hat window (statistics-scale pixels): narrower structures are lines."""

LINE_LENGTH = 31
"""A thin pixel is line-like when its `LINE_LENGTH`-square window holds at
least `LINE_LENGTH` thin pixels (a line crossing it does; a star does not)."""

MOSTLY_DARK = 128
"""A page whose median luma is below this is mostly dark: one of the three
votes of `light_on_dark` for light lines."""

FEW_LINES = 2.0
"""Light lines whose score (length over width) is under 1 / FEW_LINES of the
dark lines' are too few for their width to vote: the white stars of a night
sky, beside the drawing's dark lines, may be thinner than them. (The light
dots of a stippled or screentoned negative score at least 1 / 1.5 of the
dark network between them.)"""

THINNER = 1.25
"""Light lines vote for being the lines only when the dark ones are wider by
this factor or more (the dots of a stippled or screentoned negative: 1.4 to
2 times; stars in a night sky about as wide as the drawing's lines: a tie)."""

MAX_STEP = 40
"""Largest step between neighbouring pixels of a dataset-style sketch (the
extraction's 8x8 box filter bounds it by 32)."""

_MAX_DISK = 11  # largest thickening element (pixels at the 512..1023 scale)


# ------------------------------------------------------------------ helpers --


def _check(image):
    """The image as a (H, W, C) uint8 tensor, C = 1 or 3 (one-line errors)."""
    if not isinstance(image, tf.Tensor | tf.Variable):
        array = np.asarray(image)
        if array.dtype != np.uint8:
            raise ColorizeError(f"a sketch must be uint8, got {array.dtype}")
        image = tf.convert_to_tensor(array)
    if image.dtype != tf.uint8:
        raise ColorizeError(f"a sketch must be uint8, got {image.dtype.name}")
    if image.shape.rank != 3 or image.shape[-1] not in (1, 3):
        raise ColorizeError(f"a sketch must be (H, W, 1) gray or (H, W, 3) RGB, got shape {image.shape}")
    return image


# ---------------------------------------------------------- page statistics --


def _line_like(mask):
    """(1, h, w, c) 0/1 float32 masks -> the same, keeping only the pixels of
    long structures (see `LINE_LENGTH`)."""
    # Thin pixels in the window, at the edges scaled up to a whole window: count * L^2 / (rows * cols) >= L.
    rows_sum, rows = ops.window_sum(mask, LINE_LENGTH, 1)
    count, cols = ops.window_sum(rows_sum, LINE_LENGTH, 2)
    return mask * tf.cast(count * float(LINE_LENGTH) >= rows * cols, tf.float32)


def light_on_dark(mins, maxs, sub_luma):
    """Whether a page has light lines on a dark ground (and is to be inverted).

    Thin dark structures are the black top-hat of the block-min image, thin
    light ones the white top-hat of the block-max image (so that a thin line
    of either polarity survives the reduction), both thresholded at a quarter
    of the page's contrast (at least 16 levels, above scanning noise) and
    kept where they are line-like. Each polarity scores its length over its
    width (edge^2 / 4 area, with the mean width 2 area / edge). The page is
    light-on-dark when two of three say so: light lines score higher (so
    that wide gaps between dense dark lines, which are "thin" too at the
    statistics scale, do not outvote them), light lines are thinner than
    dark ones by `THINNER` (the paper between the dots of a stippled or
    screentoned page is a long network that outscores them, but wider;
    light lines too few to compare, see `FEW_LINES`, do not vote), and the page
    is mostly dark (median luma under `MOSTLY_DARK`; a night sky over a
    drawing is, but its lines are dark, thinner and score higher). A page
    that is not mostly dark is never inverted: thick dark outlines on white
    paper (emoji, icons: strokes wider than `THIN`) leave the paper between
    them as thin light "lines", which would otherwise win the first two.
    A page with neither (only wide shapes) falls back on its median: darker
    than 96 is light-on-dark.

    Args:
        mins: `(h, w, C)` uint8, block minimum of the page.
        maxs: `(h, w, C)` uint8, block maximum of the page.
        sub_luma: `(h', w')` float32 luma of a subsample of the page.

    Returns:
        (invert, lines): a bool scalar tensor, and the `(h, w)` bool mask of
        the line-like pixels of the winning polarity.
    """
    low, high = ops.luma(mins), ops.luma(maxs)  # (h, w)
    contrast = tf.cast(
        ops.quantile(ops.histogram(ops.to_uint8(high)), 0.995) - ops.quantile(ops.histogram(ops.to_uint8(low)), 0.005),
        tf.float32,
    )
    threshold = tf.maximum(16.0, contrast / 4.0)
    both = tf.stack([low, -high], axis=-1)[tf.newaxis]  # (1, h, w, 2): a closing of -high is an opening of high
    thin = tf.cast(ops.erode(ops.dilate(both, THIN), THIN) - both > threshold, tf.float32)  # black and white top-hats
    lines = _line_like(thin)  # (1, h, w, 2)
    area = tf.reduce_sum(lines, axis=[0, 1, 2])  # (2,): dark, light
    edge = tf.reduce_sum(lines - ops.erode(lines, 3), axis=[0, 1, 2])
    # length / width = (edge / 2) / (2 area / edge): the thinner polarity wins, so that the
    # paper between dense lines (hatching, 10 px gaps) does not outvote the lines.
    score = tf.math.divide_no_nan(tf.square(edge), 4.0 * area)
    # Mean width, 2 area / edge (infinite for a polarity without lines).
    width = tf.where(area > 0, 2.0 * area / tf.maximum(edge, 1.0), float("inf"))
    median = ops.quantile(ops.histogram(ops.to_uint8(sub_luma)), 0.5)
    # Three votes for light lines: they score higher, they are thinner, the
    # page is mostly dark. On a stippled or screentoned page the paper
    # between the dots is a long, thin network and outscores the dots, but
    # it is wider than they are and most of the page; on a night page the
    # sky is most of the page, but the lines are dark and thinner.
    votes = (
        tf.cast(score[1] > score[0], tf.int32)
        + tf.cast((width[1] * THINNER < width[0]) & (score[1] * FEW_LINES >= score[0]), tf.int32)
        + tf.cast(median < MOSTLY_DARK, tf.int32)
    )
    # A mostly light page is never inverted: thick dark outlines on white (emoji, icons) make the
    # paper between them look like thin light lines at the statistics scale.
    invert = tf.where(tf.reduce_sum(area) < LINE_LENGTH, median < 96, (votes >= 2) & (median < MOSTLY_DARK))
    return invert, tf.where(invert, lines[0, ..., 1], lines[0, ..., 0]) > 0


def darkness(image, paper, invert):
    """Each pixel's ink: its largest per-channel distance from the paper color,
    toward dark (or toward light when `invert`); lighter-than-paper pixels are 0.

    Args:
        image: `(H, W, C)` uint8.
        paper: `(C,)` uint8 paper color.
        invert: bool scalar tensor (light lines on a dark page).

    Returns:
        `(H, W)` uint8.
    """

    def per_channel(distance):
        out = distance(image[..., 0], paper[0])
        for c in range(1, image.shape[-1]):
            out = tf.maximum(out, distance(image[..., c], paper[c]))  # one (H, W) channel at a time
        return out

    return tf.cond(
        invert,
        lambda: per_channel(lambda x, p: tf.maximum(x, p) - p),
        lambda: per_channel(lambda x, p: p - tf.minimum(x, p)),
    )


def page_levels(image):
    """The page statistics `normalize` decides from (at about `STATS_PIXELS`).

    Args:
        image: `(H, W, C)` uint8 tensor.

    Returns:
        dict of scalar tensors: `invert` (bool, see `light_on_dark`), `paper`
        ((C,) uint8 paper color: per-channel median of the paper side of an
        Otsu split of the luma), `white` and `ink` (float32 darkness levels,
        see `darkness`, mapped to 255 and 0), `blank` (bool: ink within
        `MIN_CONTRAST` of white), `dataset_style` (bool, see the module
        docstring).
    """
    image = _check(image)
    shape = tf.shape(image)
    pixels = tf.cast(shape[0], tf.float64) * tf.cast(shape[1], tf.float64)
    factor = tf.maximum(1, tf.cast(tf.math.ceil(tf.sqrt(pixels / STATS_PIXELS)), tf.int32))
    factor = tf.minimum(factor, tf.maximum(1, tf.minimum(shape[0], shape[1])))
    channels = image.shape[-1]
    every_row = tf.ensure_shape(ops.every(image, factor, 0), [None, None, channels])  # image[::factor]
    every_col = tf.ensure_shape(ops.every(image, factor, 1), [None, None, channels])  # image[:, ::factor]
    sub = tf.ensure_shape(ops.every(every_row, factor, 1), [None, None, channels])  # (h', w', C)
    sub_luma = ops.luma(sub)
    blocks = ops.blocks(image, factor)  # one cropped view for both reductions (one axis at a time: faster)
    mins = tf.reduce_min(tf.reduce_min(blocks, axis=3), axis=1)
    maxs = tf.reduce_max(tf.reduce_max(blocks, axis=3), axis=1)
    invert, on_line = light_on_dark(mins, maxs, sub_luma)

    split = tf.cast(ops.otsu_threshold(ops.to_uint8(sub_luma)), tf.float32)
    on_paper = tf.where(invert, sub_luma <= split, sub_luma > split)
    on_paper = tf.where(tf.reduce_any(on_paper), on_paper, tf.ones_like(on_paper))  # a single-level page
    paper = tf.stack([ops.quantile(ops.histogram(sub[..., c], on_paper), 0.5) for c in range(image.shape[-1])])
    paper = tf.cast(paper, tf.uint8)

    dark = tf.cast(darkness(sub, paper, invert), tf.int32)  # (h', w')
    median = ops.quantile(ops.histogram(dark, on_paper), 0.5)
    # The paper's noise, from its luma: darkness is one-sided (what is lighter than the paper is 0),
    # so on a grainy page its median and deviation are 0 whatever the grain.
    luma = tf.cast(tf.round(sub_luma), tf.int32)
    luma_median = ops.quantile(ops.histogram(luma, on_paper), 0.5)
    mad = ops.quantile(ops.histogram(tf.abs(luma - luma_median), on_paper), 0.5)
    white = tf.cast(median, tf.float32) + tf.maximum(NOISE_DEVIATIONS * 1.4826 * tf.cast(mad, tf.float32), 2.0)
    # The ink: the line-like pixels (where thin lines keep their full darkness:
    # the block min, or max for light lines), not fills; all pixels if none.
    has_lines = tf.reduce_any(on_line)
    dark = tf.cond(
        has_lines, lambda: tf.cast(darkness(tf.where(invert, maxs, mins), paper, invert), tf.int32), lambda: dark
    )
    on_line = tf.cond(has_lines, lambda: on_line, lambda: tf.ones_like(dark, tf.bool))
    darkest = tf.cast(tf.reduce_max(tf.where(on_line, dark, 0)), tf.float32)
    halfway = tf.cast((darkest + white) / 2.0, tf.int32)
    ink = tf.cast(ops.quantile(ops.histogram(dark, on_line & (dark > halfway)), 0.95), tf.float32)
    ink = tf.where(tf.reduce_any(on_line & (dark > halfway)), ink, darkest)

    rows, cols = ops.luma(every_row), ops.luma(every_col)
    steps = tf.concat(
        [tf.reshape(tf.abs(rows[:, 1:] - rows[:, :-1]), [-1]), tf.reshape(tf.abs(cols[1:] - cols[:-1]), [-1]), [0.0]],
        axis=0,
    )
    soft = tf.reduce_max(steps) <= MAX_STEP
    white_share = tf.reduce_mean(tf.cast(sub_luma >= 250.0, tf.float32))
    dataset_style = ~invert & tf.reduce_all(paper >= 250) & (white_share >= 0.5) & soft
    return {
        "invert": invert,
        "paper": paper,
        "white": white,
        "ink": ink,
        "blank": ink - white < MIN_CONTRAST,
        "dataset_style": dataset_style,
    }


def faint_note(image):
    """The note for a sketch whose lines are too faint for the level
    normalization (`page_levels`' `blank`: its ink within `MIN_CONTRAST`
    darkness levels of the paper's noise, as on a photo whose paper is
    shaded, which widens that noise), so that it is colored as it is, gray
    paper and all; None otherwise. A page with no lines at all is
    `inference.blank_page`'s, not this.

    Args:
        image: `(H, W, 3)` or `(H, W, 1)` uint8, as `normalize` takes it.

    Returns:
        str (one line) or None.
    """
    stats = page_levels(image)
    if not bool(stats["blank"]):
        return None
    contrast = max(0, round(float(stats["ink"] - stats["white"])))
    return (
        f"the lines are too faint to tell from the paper (ink {contrast} levels past the paper's own "
        f"spread, under {MIN_CONTRAST}; uneven light or shading widens that spread): colored as it is, "
        "its gray paper and all; a flatter, higher-contrast scan or photo gives white paper"
    )


def level_table(white, ink):
    """(256,) uint8 lookup table from darkness to gray: `white` and lighter ->
    255, `ink` and darker -> 0, linear between."""
    levels = tf.range(256, dtype=tf.float32)
    return ops.to_uint8((ink - levels) / tf.maximum(ink - white, 1.0) * 255.0)


# --------------------------------------------------------------- line width --


def stroke_width(gray, limit):
    """Mean width, in pixels, of the thin strokes (ink < `INK_LEVEL`) of a sketch.

    Structures at least `limit` pixels wide (fills, night skies) are left out
    (a square opening); for the rest, width = 2 area / boundary pixels, which
    is exact for straight strokes of 2 px and more (1 px strokes read as 2).

    Args:
        gray: `(h, w, 1)` uint8 tensor, dark lines on white.
        limit: odd int (or int32 tensor) 1..31, the opening's size.

    Returns:
        float32 scalar tensor; 0 when there is no thin ink.
    """
    ink = tf.cast(gray < INK_LEVEL, tf.float32)[tf.newaxis]  # (1, h, w, 1)
    radius = (tf.cast(limit, tf.int32) - 1) // 2
    eroded = -ops.grow(-ink, radius, lambda x, b: ops.dilate(x, 2 * b + 1))
    wide = ops.grow(eroded, radius, lambda x, b: ops.dilate(x, 2 * b + 1))
    thin = ink * (1.0 - wide)
    boundary = thin - ops.erode(thin, 3)
    area, edge = tf.reduce_sum(thin), tf.reduce_sum(boundary)
    return tf.where(edge > 0, 2.0 * area / tf.maximum(edge, 1.0), 0.0)


def thicken(gray, pixels):
    """Widens dark strokes by about `pixels`: a min filter with an octagon (a
    disk, roughly) of odd diameter `1 + 2 round(pixels / 2)`, at most 11.

    Args:
        gray: `(h, w, 1)` uint8 tensor.
        pixels: float (or float32 tensor), how much wider.

    Returns:
        `(h, w, 1)` uint8 tensor.
    """

    def octagon(x, radius):  # alternate 3x3 squares and crosses
        for step in range(radius):
            if step % 2:
                x = tf.maximum(ops.max_along(x, 3, 1), ops.max_along(x, 3, 2))
            else:
                x = ops.dilate(x, 3)
        return x

    radius = tf.minimum(tf.round(tf.cast(pixels, tf.float32) / 2.0), (_MAX_DISK - 1) // 2)
    return tf.cast(-ops.grow(-tf.cast(gray, tf.float32)[tf.newaxis], radius, octagon, bits=3)[0], tf.uint8)


# --------------------------------------------------------------- normalize --


def _network_scale(lines):
    """Block-min to 512..1023, thicken thin strokes, resize to the dataset scale."""
    shape = tf.shape(lines)
    factor = tf.maximum(1, tf.minimum(shape[0], shape[1]) // WORK_SHORT_SIDE)
    work = ops.block_min(lines, factor)
    work_shape = tf.shape(work)
    short = tf.cast(tf.minimum(work_shape[0], work_shape[1]), tf.float32)
    target = TARGET_LINE_WIDTH * short / DATASET_SCALE  # in work pixels (exact for the usual sizes)
    width = stroke_width(work, 2 * tf.cast(tf.math.floor(target), tf.int32) + 1)
    thin = (width > 0) & (width < target)
    work = tf.cond(thin, lambda: thicken(work, target - width), lambda: work)
    return ops.resize_short_side(work)


def normalize(image, kind="line"):
    """The network's input and the full-size lines of a real sketch (see the
    module docstring). Works eagerly and inside a `tf.function` with unknown
    height and width.

    Args:
        image: `(H, W, 3)` uint8 RGB (alpha already composited on white) or
            `(H, W, 1)` uint8 gray, any size >= 1 x 1; a tensor or an array.
        kind: "line" (the dataset's line sketch) or "binary" (its Otsu
            threshold): the sketch kind the model was trained on; "mix"
            models get "line".

    Returns:
        (net_input, lines): `net_input` is `(h, w, 1)` uint8 with a short side
        of `DATASET_SCALE` (256), the network's input; `lines` is `(H, W, 1)`
        uint8, the sketch level-normalized to dark lines on white paper, to be
        multiplied back at full size (the sketch's gray, unchanged, for a
        blank page or a dataset-style sketch).

    Raises:
        ColorizeError: not uint8, not (H, W, 1 or 3), or an unknown kind.
    """
    if kind not in variants.SKETCH_KINDS:
        raise ColorizeError(f"sketch kind must be one of {', '.join(variants.SKETCH_KINDS)}, not {kind!r}")
    image = _check(image)
    stats = page_levels(image)
    levels = ~stats["blank"] & ~stats["dataset_style"]
    table = level_table(stats["white"], stats["ink"])

    def level_normalized():
        return tf.gather(table, tf.cast(darkness(image, stats["paper"], stats["invert"]), tf.int32))

    lines = tf.cond(levels, level_normalized, lambda: ops.to_uint8(ops.luma(image)))[..., tf.newaxis]
    small = tf.cond(levels, lambda: _network_scale(lines), lambda: ops.resize_short_side(lines))
    line = tf.cond(stats["dataset_style"], lambda: small, lambda: ops.extract_sketch(small)[0])
    net_input = ops.binarize(line) if kind == "binary" else line
    return net_input, lines
