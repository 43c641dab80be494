"""Simulated color hints, as ideepcolor trains with them (Zhang et al. 2017).

A user guides the colorization with point hints: small patches of color put
on the sketch. To teach a network to follow them, training examples get
hints simulated from their ground-truth color image, in tf.data:

- the number of hints: none for a fixed share of the examples (`none_share`,
  1/8: automatic coloring stays good), else drawn from a geometric
  distribution on 1, 2, ... with p = 1/8 (mean 8). With `none_share` = p
  this is exactly ideepcolor's rule (`while rand() < 1 - p: add a hint`,
  P(k hints) = (1 - p)^k p for k = 0, 1, ...). The count is capped at
  `MAX_HINTS` (64: P(more) = (7/8)^65 < 2e-4).
- each hint is a square patch of side 1..9 px at 256 px (ideepcolor's
  sizes; scaled with the image size, `max_patch_side`), uniform over the
  sides, around the clicked pixel and kept whole inside the image (a patch
  at the border is shifted in). Its color is the one a user picks where
  they click: the ground truth's mean over the patch's pixels within
  `STROKE_TOLERANCE` of the clicked pixel on every channel (ideepcolor's
  patch mean, kept to the clicked region). A whole-patch mean blends the
  colors on both sides of an outline into a gray no user gives, and a
  region filled with it paints a figure or the page gray;
- positions are biased toward colored pixels: three quarters of the hints
  fall on a pixel drawn with probability proportional to its chroma
  (max - min of R, G, B), one quarter uniformly. Line drawings are mostly
  white paper and black lines, which the network colors right without help;
  users put hints on the regions whose color is undetermined, and uniform
  positions would spend most hints on paper. The uniform quarter keeps hints
  of white, gray and black in the training mix (a user may also mark a
  region to stay white). An image without any chroma gets uniform positions.
- clicks fall on the sketch's paper only, away from its lines (`paper`,
  `clickable`: at least `PAPER_LEVEL` and `CLICK_MARGIN_AT_256` px, scaled,
  from any darker pixel): a user clicks inside the region to color, not on
  its outline. A click on an outline, or on the soft edge of an extracted
  line (where the ground truth's color may be either side's), takes a
  color that does not belong to the region the click is in. A patch around
  a click near a line still straddles it, as a careless user's dab does.
- later hints cover earlier ones where they overlap.
- `counts="loguniform"` draws the number of hints (when there are some)
  log-uniformly on 1..`MAX_HINTS` instead (P(k) proportional to
  log((k + 1) / k): as many examples with 8-64 hints as with 1-7), so that
  a network learns to use dense hints as well as a few.
- strokes (`stroke_share` of the hints): a user also drags the brush. A
  stroke is a segment from the hint's centre, at a uniform angle, of length
  up to a quarter of the image side, as wide as the patch, painted with the
  patch's color but only on pixels whose ground truth is within
  `STROKE_TOLERANCE` of it on every channel (a user keeps a stroke inside
  the region being colored).

Everything is stateless (`tf.random.stateless_*`), keyed on a seed made from
the run's `--seed` and the example's position in the stream
(`example_seed`), so the same seed gives the same hints, in any order and
under any parallelism.

The outputs are what the networks take (`models.ClassificationNet`,
`models.RegressionUNet` with `hints=True`): hint colors `(H, W, 3)` RGB on a
0..255 scale (0 where there is no hint) and a mask `(H, W, 1)`, 1 where a
hint is given.
"""

import math

import tensorflow as tf

GEOMETRIC_P = 1.0 / 8.0
NONE_SHARE = 1.0 / 8.0
MAX_HINTS = 64
UNIFORM_SHARE = 0.25
PATCH_SIDE_AT_256 = 9
COUNTS = ("geometric", "loguniform")
PAPER_LEVEL = 200  # sketch gray levels at or above which a pixel is paper (the top of predict's line threshold)
CLICK_MARGIN_AT_256 = 2  # pixels (at 256 px) between a click and the nearest darker sketch pixel
STROKE_TOLERANCE = 32  # levels per channel a stroke's (and a patch's) pixels may differ from its color
_SALT = 0x68696E74  # "hint": keeps these seeds apart from the run's other random streams


def clickable(sketch):
    """Where a simulated user may click: the sketch's paper away from its lines.

    Args:
        sketch: `(H, W, 1)` uint8 sketch (255 paper), H the image size.

    Returns:
        `(H, W)` bool: the pixels at least `PAPER_LEVEL` with no pixel below it
        within `CLICK_MARGIN_AT_256` px (scaled to H like `max_patch_side`;
        a square neighbourhood).
    """
    margin = _at_size(CLICK_MARGIN_AT_256, _static_size(sketch))
    line = tf.cast(sketch < PAPER_LEVEL, tf.float32)[tf.newaxis]  # (1, H, W, 1)
    near = tf.nn.max_pool2d(line, 2 * margin + 1, 1, "SAME")
    return near[0, ..., 0] < 0.5


def max_patch_side(image_size):
    """The largest hint patch side at `image_size` px: 9 at 256 px, scaled
    (rounded half up, at least 1).

    Args:
        image_size: the training resolution in pixels.

    Returns:
        An int >= 1.
    """
    return _at_size(PATCH_SIDE_AT_256, image_size)


def _at_size(pixels_at_256, image_size):
    """`pixels_at_256` scaled to `image_size` px, rounded half up, at least 1."""
    return max(1, int(math.floor(pixels_at_256 * image_size / 256.0 + 0.5)))


def _static_size(image):
    """An image tensor's static height, or 256 when it is not known."""
    return image.shape[0] if image.shape[0] is not None else 256


def example_seed(seed, index, stream=0):
    """The stateless seed of one example.

    Args:
        seed: the run's seed (an int or scalar tensor).
        index: the example's position in its stream (scalar int tensor).
        stream: which stream (training, validation, input pipeline ...), an int.

    Returns:
        `(2,)` int32 seed for `tf.random.stateless_*`.
    """
    base = tf.stack([tf.cast(seed, tf.int64), tf.constant(_SALT + stream, tf.int64)])
    return tf.random.experimental.stateless_fold_in(base, tf.cast(index, tf.int64))


def sample_count(seed, p=GEOMETRIC_P, none_share=NONE_SHARE, max_hints=MAX_HINTS, counts="geometric"):
    """The number of hints of one example.

    Zero with probability `none_share`, else 1 + Geometric(p) on 0, 1, ...
    (inverse CDF: floor(log(1 - u) / log(1 - p))), capped at `max_hints`;
    or, for `counts="loguniform"`, floor((max_hints + 1)^u) on 1..max_hints.

    Args:
        seed: `(2,)` stateless seed.
        p: success probability of the geometric distribution, in (0, 1].
        none_share: probability of no hint at all, in [0, 1].
        max_hints: the cap.
        counts: `"geometric"` or `"loguniform"`.

    Returns:
        Scalar int32.

    Raises:
        ValueError: an unknown `counts`.
    """
    if counts not in COUNTS:
        raise ValueError(f"unknown hint counts {counts!r}; expected one of {', '.join(COUNTS)}")
    u = tf.random.stateless_uniform([2], seed=seed, dtype=tf.float64)  # [0, 1)
    if counts == "loguniform":
        count = tf.cast(tf.floor(tf.exp(u[0] * math.log(max_hints + 1.0))), tf.int32)
        count = tf.clip_by_value(count, 1, max_hints)
        return tf.where(u[1] < none_share, 0, count)
    if p >= 1.0:
        geometric = tf.constant(0.0, tf.float64)
    else:
        geometric = tf.floor(tf.math.log1p(-u[0]) / math.log1p(-p))
    count = tf.cast(tf.minimum(1.0 + geometric, float(max_hints)), tf.int32)
    return tf.where(u[1] < none_share, 0, count)


def sample_hints(
    color,
    seed,
    count=None,
    p=GEOMETRIC_P,
    none_share=NONE_SHARE,
    max_hints=None,
    max_side=None,
    uniform_share=UNIFORM_SHARE,
    counts="geometric",
    stroke_share=0.0,
    paper=None,
):
    """Draws the hints of one example from its ground truth.

    Args:
        color: `(H, W, 3)` uint8 ground-truth RGB.
        seed: `(2,)` stateless seed (`example_seed`).
        count: exactly this many hints (an int; evaluation), or None to draw
            the number (`sample_count`; training).
        p, none_share: the count's distribution when `count` is None.
        max_hints: room for this many hints (default: `count`, or
            `MAX_HINTS` when drawing); the count is capped at it.
        max_side: the largest patch side (default: `max_patch_side(H)`).
        uniform_share: share of hints placed uniformly; the others fall on
            pixels drawn with probability proportional to their chroma.
        counts: how the number is drawn (`sample_count`).
        stroke_share: share of hints that are strokes, in [0, 1].
        paper: optional `(H, W)` bool, the sketch's paper: clicks fall only
            there (a user clicks inside a region, not on its outline),
            anywhere when it is all ink.

    Returns:
        A dict of `(M,)` tensors, M = `max_hints` (at least 1): `y`, `x`
        (int32, the clicked pixel), `top`, `left`, `side` (int32 pixels: the
        patch is rows top..top+side-1 and columns left..left+side-1, always
        inside the image and holding the clicked pixel), `rgb` (`(M, 3)`
        float32 0..255: the ground truth's mean over the patch's pixels within
        `STROKE_TOLERANCE` of the clicked pixel's color),
        `valid` (bool, the first `count` are hints, the rest padding),
        `stroke` (bool), `dy`, `dx` (float32 pixels: a stroke runs from the
        patch's centre to the centre plus (dy, dx)).
    """
    if max_hints is None:
        max_hints = MAX_HINTS if count is None else count
    room = max(1, int(max_hints))
    seeds = tf.random.experimental.stateless_split(seed, 5)
    if count is None:
        n = sample_count(seeds[0], p, none_share, room, counts)
    else:
        n = tf.minimum(tf.constant(int(count), tf.int32), room)
    shape = tf.shape(color)
    height, width = shape[0], shape[1]
    if max_side is None:
        max_side = max_patch_side(_static_size(color))
    pixels = tf.cast(color, tf.int32)  # (H, W, 3)

    # Centers: a mixture of uniform and chroma-proportional positions.
    chroma = tf.cast(tf.reduce_max(pixels, -1) - tf.reduce_min(pixels, -1), tf.float64)  # (H, W)
    chroma = tf.reshape(chroma, [-1])  # (H * W,)
    total = tf.reduce_sum(chroma)
    n_pixels = tf.cast(height * width, tf.float64)
    colored = tf.math.divide_no_nan(chroma, total)
    colored = tf.where(total > 0, colored, 1.0 / n_pixels)
    probs = uniform_share / n_pixels + (1.0 - uniform_share) * colored
    if paper is not None:
        on_paper = tf.cast(tf.reshape(paper, [-1]), tf.float64)
        probs = tf.where(tf.reduce_sum(probs * on_paper) > 0, probs * on_paper, probs)
    cdf = tf.cumsum(probs)
    u = tf.random.stateless_uniform([room], seed=seeds[1], dtype=tf.float64) * cdf[-1]
    flat = tf.minimum(tf.searchsorted(cdf, u, side="right", out_type=tf.int32), height * width - 1)
    cy, cx = flat // width, flat % width

    side = tf.random.stateless_uniform([room], seed=seeds[2], minval=1, maxval=max_side + 1, dtype=tf.int32)
    side = tf.minimum(side, tf.minimum(height, width))
    top = tf.clip_by_value(cy - (side - 1) // 2, 0, height - side)
    left = tf.clip_by_value(cx - (side - 1) // 2, 0, width - side)

    # The color a user picks where they click: the mean over the patch's
    # pixels within STROKE_TOLERANCE of the clicked pixel's color (integer
    # sums, divided once in float32), never a blend across an outline.
    steps = tf.range(max_side)
    rows = tf.minimum(top[:, None] + steps[None], height - 1)  # (M, S)
    cols = tf.minimum(left[:, None] + steps[None], width - 1)
    inside = (steps[None] < side[:, None])[:, :, None] & (steps[None] < side[:, None])[:, None, :]  # (M, S, S)
    patch = tf.gather(tf.gather(pixels, rows), cols, axis=2, batch_dims=1)  # (M, S, S, 3)
    clicked = tf.gather_nd(pixels, tf.stack([cy, cx], -1))  # (M, 3)
    close = inside & tf.reduce_all(tf.abs(patch - clicked[:, None, None]) <= STROKE_TOLERANCE, -1)
    sums = tf.reduce_sum(tf.where(close[..., None], patch, 0), axis=[1, 2])  # (M, 3)
    taken = tf.reduce_sum(tf.cast(close, tf.int32), axis=[1, 2])  # (M,) >= 1: the clicked pixel
    rgb = tf.cast(sums, tf.float32) / tf.cast(taken, tf.float32)[:, None]  # (M, 3)
    valid = tf.range(room) < n
    # Strokes: which hints, their direction and length (uniform angle, length up to a quarter side).
    r = tf.random.stateless_uniform([3, room], seed=seeds[4], dtype=tf.float32)
    stroke = r[0] < stroke_share
    length = r[1] * tf.cast(tf.minimum(height, width), tf.float32) / 4.0
    angle = r[2] * 2.0 * math.pi
    return dict(
        y=cy,
        x=cx,
        top=top,
        left=left,
        side=side,
        rgb=rgb,
        valid=valid,
        stroke=stroke,
        dy=length * tf.sin(angle),
        dx=length * tf.cos(angle),
    )


def render_hints(points, height, width, color=None):
    """Paints sampled hints into the networks' hint inputs.

    Args:
        points: `sample_hints`'s dict.
        height, width: the image size (ints or scalar tensors).
        color: `(H, W, 3)` uint8 ground truth, which bounds strokes (needed
            when `points` holds strokes; without it strokes are dots).

    Returns:
        (hint_color, hint_mask): `(H, W, 3)` float32 RGB 0..255 (0 outside
        hints) and `(H, W, 1)` float32, 1 where a hint is given. Where
        patches overlap, the later one wins.
    """
    # Only the valid hints are painted, and only the strokes among them get
    # the (costly) per-pixel segment test: the work follows the hints given,
    # not the room for them (`MAX_HINTS`). `order` keeps each hint's place.
    valid = tf.reshape(tf.where(points["valid"]), [-1])  # (K,) int64 indices, in order
    top, left, side = (tf.gather(points[k], valid) for k in ("top", "left", "side"))
    rows = tf.range(height)[None, :]  # (1, H)
    cols = tf.range(width)[None, :]  # (1, W)
    in_rows = (rows >= top[:, None]) & (rows < (top + side)[:, None])  # (K, H)
    in_cols = (cols >= left[:, None]) & (cols < (left + side)[:, None])  # (K, W)
    cover = in_rows[:, :, None] & in_cols[:, None, :]  # (K, H, W)
    order = tf.cast(valid, tf.int32)[:, None, None] + 1  # (K, 1, 1): 1 + hint index
    # (H, W): 0 none, else 1 + the last covering hint's index (the max of none is the int minimum).
    last = tf.maximum(tf.reduce_max(tf.where(cover, order, 0), axis=0), 0)
    if color is not None and "stroke" in points:
        strokes = tf.reshape(tf.where(points["stroke"] & points["valid"]), [-1])  # (S,)
        stroke_points = {k: tf.gather(points[k], strokes) for k in ("top", "left", "side", "rgb", "dy", "dx")}
        stroke_order = tf.cast(strokes, tf.int32)[:, None, None] + 1  # (S, 1, 1)
        covered = _stroke_cover(stroke_points, height, width, color)  # (S, H, W)
        last = tf.maximum(last, tf.reduce_max(tf.where(covered, stroke_order, 0), axis=0))
    palette = tf.concat([tf.zeros([1, 3], tf.float32), points["rgb"]], 0)  # (M + 1, 3)
    hint_color = tf.gather(palette, last)  # (H, W, 3)
    hint_mask = tf.cast(last > 0, tf.float32)[..., None]  # (H, W, 1)
    return hint_color, hint_mask


def _stroke_cover(points, height, width, color):
    """`(S, H, W)` bool: the pixels each of the S strokes in `points` paints
    (see the module's docstring)."""
    half = tf.cast(points["side"], tf.float32)[:, None, None] / 2.0  # (M, 1, 1)
    y0 = tf.cast(points["top"], tf.float32)[:, None, None] + half - 0.5  # the patch's centre
    x0 = tf.cast(points["left"], tf.float32)[:, None, None] + half - 0.5
    dy, dx = points["dy"][:, None, None], points["dx"][:, None, None]
    ys = tf.cast(tf.range(height), tf.float32)[None, :, None]  # (1, H, 1)
    xs = tf.cast(tf.range(width), tf.float32)[None, None, :]  # (1, 1, W)
    # Distance of each pixel to the segment: project onto it, clamp to its ends.
    t = tf.math.divide_no_nan((ys - y0) * dy + (xs - x0) * dx, dy * dy + dx * dx)
    t = tf.clip_by_value(t, 0.0, 1.0)  # (M, H, W)
    dist2 = tf.square(ys - (y0 + t * dy)) + tf.square(xs - (x0 + t * dx))
    band = dist2 <= tf.square(tf.maximum(half, 0.5))
    close = tf.reduce_all(
        tf.abs(tf.cast(color, tf.float32)[None] - points["rgb"][:, None, None, :]) <= STROKE_TOLERANCE, axis=-1
    )  # (S, H, W)
    return band & close


def simulate_hints(color, seed, count=None, **kwargs):
    """Hints of one example simulated from its ground truth.

    Args:
        color: `(H, W, 3)` uint8 ground-truth RGB.
        seed: `(2,)` stateless seed (`example_seed`).
        count: exactly this many hints, or None to draw the number.
        **kwargs: `sample_hints`'s other arguments (`paper`: where clicks may fall).

    Returns:
        (hint_color, hint_mask): `(H, W, 3)` float32 RGB 0..255 and
        `(H, W, 1)` float32 in {0, 1}.
    """
    points = sample_hints(color, seed, count=count, **kwargs)
    shape = tf.shape(color)
    return render_hints(points, shape[0], shape[1], color=color)
