"""The trained scale in TensorFlow: sketches of any size and aspect ratio at
the scale the network was trained at, and the graph's way back to full size.

The network only ever saw sketches whose short side was `config.image_size`
(the dataset's 256 px windows, area-resized to the training resolution), so a
sketch of any size is brought to that scale first (`colorizer.Colorizer`, the
core that `predict` and the SavedModel share, calls these in its graph):

- `to_trained_scale`: resize so that the short side is `image_size` (area
  when shrinking, bilinear when growing; the long side at most `MAX_ASPECT`
  times the short one), round to integers as the training data was.
- `split_tiles` pads it with white paper to a multiple of 8 and, when the
  long side is over `TILE_ASPECT` trained sizes (a webtoon strip), cuts it
  into overlapping tiles; the core runs the network on the tiles as one
  batch and `blend_tiles` joins their colors with linear ramps across the
  overlaps.
- `compose_bilinear`, the graph's full-resolution output (the core's
  `compose`, what the SavedModel does and what `predict --upsample bilinear`
  calls): bilinear upsampling of the color, times sketch / 255. `predict`'s
  default, line-bounded regions, is NumPy and OpenCV work (`fullres`).
"""

import tensorflow as tf

MAX_ASPECT = 256
"""At the trained scale the long side is at most this many trained sizes: a
1 x 6000 px line is not blown up to 64 x 384000. A 20000 x 200 strip (100:1)
keeps its panels at the trained scale."""

TILE_ASPECT = 8
"""The network sees at most this many trained sizes along the long side at
once; a longer sketch is split into overlapping tiles (`split_tiles`)."""

MULTIPLE = 8
"""The networks need sides divisible by 8 (three stride-2 layers)."""


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

    Area resizing when shrinking (as `colorize.data.pipeline` does to the training windows,
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
        color: `(batch * n, tile_h, tile_w, c)` float32 color of each tile at
            its input's resolution (c channels: RGB, and what region
            decisions pool with it).
        layout: from `split_tiles`.
        image_size: the training resolution (the ramp length).

    Returns:
        `(batch, th, tw, c)` float32: the weighted mean of the overlapping
        tiles (`tile_weights`), cropped to the trained-scale size.
    """
    channels = tf.shape(color)[-1]
    vertical, offsets = layout["vertical"], layout["offsets"]
    batch, short, long = layout["batch"], layout["short"], layout["long"]
    ct = _long_side_last(color, vertical)[:, :short]  # (batch * n, short, tile, c)
    n, tile = tf.shape(offsets)[0], tf.shape(ct)[2]
    weights = tile_weights(offsets, tile, long, image_size)  # (n, tile)
    ct = tf.reshape(ct, [batch, n, short, tile, channels]) * weights[tf.newaxis, :, tf.newaxis, :, tf.newaxis]
    ct = tf.transpose(ct, [1, 3, 0, 2, 4])  # (n, tile, batch, short, 3)
    index = (offsets[:, tf.newaxis] + tf.range(tile)[tf.newaxis])[..., tf.newaxis]  # (n, tile, 1)
    length = tf.maximum(long, tile)
    total = tf.scatter_nd(index, ct, tf.stack([length, batch, short, channels]))  # (length, batch, short, c)
    weight = tf.scatter_nd(index, weights, [length])  # (length,)
    out = total[:long] / weight[:long, tf.newaxis, tf.newaxis, tf.newaxis]
    return _long_side_last(tf.transpose(out, [1, 2, 0, 3]), vertical)  # (batch, th, tw, c)


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
