"""Full-resolution output: color predicted at the trained scale, lines kept sharp.

The network only ever saw sketches whose short side was `config.image_size`
(the dataset's 256 px windows, area-resized to the training resolution), so a
sketch of any size is brought to that scale first; the predicted color is then
brought back to the sketch's own size and the full-resolution lines are
multiplied back in. Two steps; the graph ones are called by
`colorizer.Colorizer`, the core that `predict` and the SavedModel share:

1. `to_trained_scale` (TF): resize so that the short side is `image_size`
   (area when shrinking, bilinear when growing; the long side at most
   `MAX_ASPECT` times the short one), round to integers as the training data
   was. `split_tiles` pads it with white paper to a multiple of 8 and, when
   the long side is over `TILE_ASPECT` trained sizes (a webtoon strip), cuts
   it into overlapping tiles; `colorizer.Colorizer` runs the network on the
   tiles as one batch and `blend_tiles` joins their colors with linear
   ramps across the overlaps.
2. Back to full size, two methods:

   - "bilinear" (`compose_bilinear`, in the graph: the core's `compose`,
     what the SavedModel does and what `predict --upsample bilinear`
     calls): bilinear upsampling, times sketch / 255. `upsample_bilinear` +
     `multiply_lines` compute the same with OpenCV (within one level) for
     the regions method below. Its weakness: the network predicts
     one color per 4x4 cell at the trained scale (a 31x31 px block for a
     1000 px sketch at 128 px), so colors bleed across the sharp
     full-resolution lines by up to a cell.
   - "regions" (`upsample_regions`, the default of `predict`): the pixels
     between the lines of the full-resolution sketch are split into
     line-bounded regions (connected components); inside a region whose
     predicted color is nearly uniform, every pixel gets the region's mean
     color, so color changes exactly at the lines instead of somewhere
     within a cell of them. The mean (and the spread) weight each pixel by
     the square of its distance to the lines in cells (capped at 1), because
     the bleed from the neighbouring regions is strongest next to a line.
     A region whose prediction varies (shading, or two areas merged through a gap in the lines) keeps
     the smooth bilinear color, with a soft switch between the two, so a
     leaking region is never painted one wrong flat color. Pixels on the
     lines take the color of the nearest region pixel. Statistics are in
     CIE-Lab, where distances are perceptual. This is the "flood regions
     bounded by lines" idea with a safety valve; a joint bilateral or guided
     filter was the alternative, but it only sharpens transitions that the
     bilinear color already has near a line, while regions put them on it.
     Connected components have no TensorFlow op, so the SavedModel keeps
     the bilinear method: this is the one place where `predict` (by
     default) and the SavedModel give different colors for the same input.

Memory and time: the regions method works on the bilinear float32 RGB image
in place, in bands of rows (`BAND_PIXELS`), measures the regions on every
`stride`-th pixel (`SAMPLES_PER_CELL`) and finds the lines' nearest regions
on every `stride // 2`-th pixel, so it holds about 25 bytes per
full-resolution pixel at its peak (the image, int32 labels, the samples):
a 6000x6000 sketch (36 MP) peaks at 1.75 GB of process memory including
TensorFlow (2.4 GB before banding and sampling). A 4096x4096 sketch (16 MP)
takes about 0.8 s on 2 cores (5 s with full-resolution statistics; measured).
"""

import cv2
import numpy as np
import tensorflow as tf

from colorize.errors import ColorizeError

MAX_ASPECT = 256
"""At the trained scale the long side is at most this many trained sizes: a
1 x 6000 px line is not blown up to 64 x 384000. A 20000 x 200 strip (100:1)
keeps its panels at the trained scale."""

TILE_ASPECT = 8
"""The network sees at most this many trained sizes along the long side at
once; a longer sketch is split into overlapping tiles (`split_tiles`)."""

MULTIPLE = 8
"""The networks need sides divisible by 8 (three stride-2 layers)."""

UPSAMPLE_METHODS = ("regions", "bilinear")


# ------------------------------------------------------------ graph (TF) --


def trained_size(height, width, image_size):
    """Size of a sketch at the trained scale (TF, works on dynamic shapes).

    The short side becomes `image_size` and the aspect ratio is kept, unless
    the long side would then exceed `MAX_ASPECT * image_size` (then that is
    the long side). Sides are rounded to the nearest integer, at least 1.

    Args:
        height, width: int scalars (tensors or Python ints), >= 1.
        image_size: the training resolution (Python int).

    Returns:
        (th, tw): int32 scalar tensors.

    Example:
        height 480, width 640 at image_size 64 -> (64, 85).
    """
    h = tf.cast(height, tf.float64)
    w = tf.cast(width, tf.float64)
    scale = tf.minimum(image_size / tf.minimum(h, w), MAX_ASPECT * image_size / tf.maximum(h, w))
    th = tf.maximum(1, tf.cast(tf.round(h * scale), tf.int32))
    tw = tf.maximum(1, tf.cast(tf.round(w * scale), tf.int32))
    return th, tw


def to_trained_scale(sketch, image_size):
    """Brings raw sketches to the scale the network was trained at.

    Area resizing when shrinking (as `data.py` did to the training windows,
    it keeps thin lines visible), bilinear when growing; rounded to integer
    levels like the training data.

    Args:
        sketch: `(batch, H, W, 1)` sketch, 0..255 (any real or int dtype).
        image_size: the training resolution (Python int).

    Returns:
        `(batch, th, tw, 1)` float32, (th, tw) = `trained_size(H, W)`.
    """
    shape = tf.shape(sketch)
    th, tw = trained_size(shape[1], shape[2], image_size)
    x = tf.cast(sketch, tf.float32)
    x = tf.cond(
        th < shape[1],
        lambda: tf.image.resize(x, (th, tw), method="area"),
        lambda: tf.image.resize(x, (th, tw), method="bilinear"),
    )
    return tf.round(x)  # (batch, th, tw, 1), integer levels like the training data


def _round_up(n, multiple=MULTIPLE):
    return (n + multiple - 1) // multiple * multiple


def _long_side_last(x, vertical):
    """Swaps height and width of `(batch, h, w, c)` when `vertical`."""
    return tf.cond(vertical, lambda: tf.transpose(x, [0, 2, 1, 3]), lambda: x)


def split_tiles(x, image_size):
    """Cuts a trained-scale sketch into the network's input tiles.

    A sketch whose long side is at most `TILE_ASPECT * image_size` is one
    tile, padded at the bottom and right with white (255, blank paper) to a
    multiple of 8. A longer one (a webtoon strip) is cut along its long side
    into n tiles of that length, equally spaced so that neighbours overlap by
    at least `image_size`; every panel of a strip is seen at the trained
    scale, as it would be on its own. The tiles keep the sketch's
    orientation (the network is not rotation invariant).

    Args:
        x: `(batch, th, tw, 1)` float32 sketch at the trained scale.
        image_size: the training resolution (Python int).

    Returns:
        (tiles, layout): tiles `(batch * n, tile_h, tile_w, 1)` float32 with
        sides divisible by 8, image-major (the n tiles of image 0 first);
        layout is what `blend_tiles` needs.
    """
    shape = tf.shape(x)
    batch = shape[0]
    vertical = shape[1] > shape[2]
    xt = _long_side_last(x, vertical)  # (batch, short, long, 1)
    short, long = tf.shape(xt)[1], tf.shape(xt)[2]
    tile_long = _round_up(TILE_ASPECT * image_size)
    overlap = image_size
    single = long <= tile_long
    n = tf.where(single, 1, -(-(long - overlap) // (tile_long - overlap)))
    tile = tf.where(single, _round_up(long), tile_long)
    xt = tf.pad(
        xt, [[0, 0], [0, _round_up(short) - short], [0, tf.maximum(tile - long, 0)], [0, 0]], constant_values=255.0
    )
    step = tf.cast(long - tile, tf.float64) / tf.cast(tf.maximum(n - 1, 1), tf.float64)
    offsets = tf.cast(tf.round(tf.cast(tf.range(n), tf.float64) * step), tf.int32)  # (n,)
    index = offsets[:, tf.newaxis] + tf.range(tile)[tf.newaxis]  # (n, tile)
    tiles = tf.gather(xt, index, axis=2)  # (batch, short8, n, tile, 1)
    tiles = tf.transpose(tiles, [0, 2, 1, 3, 4])  # (batch, n, short8, tile, 1)
    tiles = tf.reshape(tiles, [batch * n, _round_up(short), tile, 1])
    layout = {"vertical": vertical, "offsets": offsets, "batch": batch, "short": short, "long": long}
    return _long_side_last(tiles, vertical), layout


def tile_weights(offsets, tile, long, ramp):
    """Blending weights of tiles along the long side.

    Each tile's weight rises linearly over `ramp` pixels from its ends, except
    at the two ends of the sketch, so the overlaps fade from one tile into
    the next and a single tile has weight 1 everywhere.

    Args:
        offsets: `(n,)` int32 start of each tile.
        tile: tile length (int32 scalar).
        long: the sketch's length (int32 scalar).
        ramp: ramp length in pixels (Python int).

    Returns:
        `(n, tile)` float32, all > 0.
    """
    pos = tf.cast(tf.range(tile), tf.float32) + 0.5  # (tile,)
    rise = tf.minimum(1.0, pos / ramp)[tf.newaxis]  # (1, tile)
    fall = tf.minimum(1.0, (tf.cast(tile, tf.float32) - pos) / ramp)[tf.newaxis]
    first = tf.equal(offsets, 0)[:, tf.newaxis]  # (n, 1)
    last = tf.greater_equal(offsets + tile, long)[:, tf.newaxis]
    return tf.minimum(tf.where(first, 1.0, rise), tf.where(last, 1.0, fall))  # (n, tile)


def blend_tiles(color, layout, image_size):
    """Joins the color of the tiles of `split_tiles` into whole sketches.

    Args:
        color: `(batch * n, tile_h, tile_w, 3)` float32 color of each tile at
            its input's resolution.
        layout: from `split_tiles`.
        image_size: the training resolution (the ramp length).

    Returns:
        `(batch, th, tw, 3)` float32: the weighted mean of the overlapping
        tiles (`tile_weights`), cropped to the trained-scale size.
    """
    vertical, offsets = layout["vertical"], layout["offsets"]
    batch, short, long = layout["batch"], layout["short"], layout["long"]
    ct = _long_side_last(color, vertical)[:, :short]  # (batch * n, short, tile, 3)
    n, tile = tf.shape(offsets)[0], tf.shape(ct)[2]
    weights = tile_weights(offsets, tile, long, image_size)  # (n, tile)
    ct = tf.reshape(ct, [batch, n, short, tile, 3]) * weights[tf.newaxis, :, tf.newaxis, :, tf.newaxis]
    ct = tf.transpose(ct, [1, 3, 0, 2, 4])  # (n, tile, batch, short, 3)
    index = (offsets[:, tf.newaxis] + tf.range(tile)[tf.newaxis])[..., tf.newaxis]  # (n, tile, 1)
    length = tf.maximum(long, tile)
    total = tf.scatter_nd(index, ct, tf.stack([length, batch, short, 3]))  # (length, batch, short, 3)
    weight = tf.scatter_nd(index, weights, [length])  # (length,)
    out = total[:long] / weight[:long, tf.newaxis, tf.newaxis, tf.newaxis]
    return _long_side_last(tf.transpose(out, [1, 2, 0, 3]), vertical)  # (batch, th, tw, 3)


def compose_bilinear(color, sketch):
    """The graph's full-resolution output: bilinear color times the lines.

    Args:
        color: `(batch, th, tw, 3)` float32 RGB 0..255 at the trained scale,
            not masked by the sketch.
        sketch: `(batch, H, W, 1)` full-resolution sketch, 0..255.

    Returns:
        `(batch, H, W, 3)` uint8 RGB.
    """
    shape = tf.shape(sketch)
    up = tf.image.resize(color, (shape[1], shape[2]), method="bilinear")  # (batch, H, W, 3)
    rgb = up * (tf.cast(sketch, tf.float32) / 255.0)
    return tf.cast(tf.round(tf.clip_by_value(rgb, 0.0, 255.0)), tf.uint8)


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


def _bands(height, width, multiple=1):
    """Row ranges `(top, bottom)` covering `height` rows, about `BAND_PIXELS`
    pixels each; every `top` is a multiple of `multiple`."""
    rows = max(multiple, BAND_PIXELS // max(width, 1) // multiple * multiple)
    return [(top, min(top + rows, height)) for top in range(0, height, rows)]


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
    for top, bottom in _bands(height, width):
        scale = sketch[top:bottom].astype(np.float32)[..., np.newaxis]  # (rows, W, 1)
        scale /= 255.0
        rgb = np.multiply(color[top:bottom], scale, out=color[top:bottom] if in_place else None)
        np.clip(rgb, 0.0, 255.0, out=rgb)
        np.rint(rgb, out=rgb)
        out[top:bottom] = rgb
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


def upsample_regions(color, sketch, cell=None, flat_below=8.0, smooth_above=24.0):
    """Upsamples color to the sketch's size, constant inside line-bounded regions.

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
            distance to their mean, Delta E) is below this are made flat.
        smooth_above: regions whose spread is above this keep the bilinear
            color; in between, a linear blend.

    Returns:
        `(H, W, 3)` float32 RGB 0..255 (not masked by the lines).

    Raises:
        ColorizeError: bad shapes or dtypes.
    """
    _check(color, sketch)
    height, width = sketch.shape
    if cell is None:
        cell = 4.0 * max(height / color.shape[0], width / color.shape[1])
    stride = max(1, int(cell // SAMPLES_PER_CELL))
    up = upsample_bilinear(np.clip(color, 0.0, 255.0), (height, width))  # (H, W, 3) RGB
    barrier, labels, count = line_regions(sketch)
    if count <= 1:  # all lines: nothing to flatten
        return up
    # Samples: every stride-th pixel (a contiguous copy, 1 / stride^2 of the pixels).
    sample_labels = np.ascontiguousarray(labels[::stride, ::stride])  # (hs, ws) int32
    sample_barrier = np.ascontiguousarray(barrier[::stride, ::stride])
    sample_lab = up[::stride, ::stride] / 255.0  # (hs, ws, 3) RGB 0..1, a copy
    cv2.cvtColor(sample_lab, cv2.COLOR_RGB2Lab, dst=sample_lab)  # L in 0..100
    # Interior pixels count most: the bleed from neighbouring regions fades
    # over about one cell from the line. (min before dividing: a line-free
    # image has "infinite" distances.)
    distance = cv2.distanceTransform(1 - sample_barrier, cv2.DIST_L2, 3) * stride  # (hs, ws) full-size pixels
    weight = np.square(np.minimum(distance, cell) / cell)
    del distance
    mean, spread, sampled = region_stats(sample_lab, sample_labels, count, weight)
    del sample_lab, weight
    flatness = np.clip((smooth_above - spread) / (smooth_above - flat_below), 0.0, 1.0)
    flatness[0] = 0.0
    flatness[~sampled] = 0.0  # too small for the samples: the bilinear color
    flat_rgb = cv2.cvtColor(mean.astype(np.float32)[np.newaxis], cv2.COLOR_Lab2RGB)[0] * 255.0  # (count, 3)
    keep = (1.0 - flatness).astype(np.float32)  # (count,) weight of the bilinear color
    paint = (flatness[:, np.newaxis] * flat_rgb).astype(np.float32)  # (count, 3) premultiplied
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
    del fill_barrier, nearest
    fill *= np.take(keep, fill_labels)[..., np.newaxis]
    fill += np.take(paint, fill_labels, axis=0)  # (hf, wf, 3) final colors
    del fill_labels
    # up = up * keep + paint per pixel by its region, in bands (keep 1, paint 0 on the lines).
    for top, bottom in _bands(height, width, step):
        rgb = up[top:bottom]
        band = labels[top:bottom]
        rgb *= np.take(keep, band)[..., np.newaxis]
        rgb += np.take(paint, band, axis=0)
        on_line = barrier[top:bottom]
        if on_line.any():
            block = fill[top // step : -(-bottom // step)]  # the samples of these rows
            block = cv2.resize(block, (block.shape[1] * step, block.shape[0] * step), interpolation=cv2.INTER_NEAREST)
            cv2.copyTo(block[: bottom - top, :width], on_line, rgb)
        np.clip(rgb, 0.0, 255.0, out=rgb)
    return up


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


def full_resolution(color, sketch, method="regions"):
    """Colored full-resolution image from the trained-scale color and the
    full-resolution sketch.

    Args:
        color: `(h, w, 3)` float RGB 0..255 at the trained scale (not masked).
        sketch: `(H, W)` uint8 full-resolution sketch.
        method: "regions" or "bilinear" (see the module docstring).

    Returns:
        `(H, W, 3)` uint8 RGB whose lines are the sketch's.
    """
    color = np.asarray(color, np.float32)
    _check(color, sketch)
    if method == "regions":
        up = upsample_regions(color, sketch)
    elif method == "bilinear":
        up = upsample_bilinear(color, sketch.shape)
    else:
        raise ColorizeError(f"unknown upsampling method {method!r}; choose one of {', '.join(UPSAMPLE_METHODS)}")
    return multiply_lines(up, sketch, overwrite=True)  # `up` is ours
