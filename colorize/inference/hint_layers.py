"""Color hints from the user: hint layers, `--hint` points, and merging them.

A hint is a sketch pixel whose color the user fixes. Artists give them the
way they work in Krita, GIMP or Photoshop: a transparent layer over the
sketch, with a few dots or scribbles painted in the colors they want, saved
as an RGBA PNG (`load_hint_layer`). Scripts give points instead
(`--hint X,Y,#RRGGBB`, `parse_hint` and `points_layer`). Both become the
same pair of arrays, at the sketch's full resolution:

- hint color `(H, W, 3)` uint8 RGB, 0 where there is no hint;
- hint mask `(H, W)` bool, True where a hint is given.

`merge` lays one pair over another (the later one wins where both have a
hint). The networks take the pair at their trained scale
(`colorize.nets.models`: hint color 0..255 float and a `(H, W, 1)` mask);
`colorize.inference.hint_fill` floods the line-bounded regions they fall in at full
resolution.
"""

import os
import re

import cv2
import numpy as np
import pyvips

from colorize import formats
from colorize.errors import ColorizeError, ImageError

_HINT = re.compile(r"^\s*(-?\d+)\s*,\s*(-?\d+)\s*,\s*#?([0-9a-fA-F]{6})\s*$")


# -- hint layers (RGBA PNG) --------------------------------------------------


def load_hint_layer(source, height, width, *, name=None):
    """Reads a hint layer and brings it to the sketch's size.

    The layer is an image with an alpha channel (an RGBA or gray+alpha PNG;
    any format libvips reads), painted over the sketch: pixels with alpha
    >= `formats.HINT_ALPHA` are hints, in their own (straight, not premultiplied)
    color. It may have any size with the sketch's aspect ratio. Scaling:

    - growing (the layer is smaller than the sketch): nearest neighbour, for
      the mask and the color alike, so no color is blended;
    - shrinking: a sketch pixel is a hint where at least half of the layer
      pixels under it are (the area-resized mask, thresholded at 0.5), and
      also where that share is a local maximum (3x3), so that strokes and
      dots thinner than a sketch pixel are kept; its color is the mean color
      of the hint pixels under it, never blended with transparent ones.

    Args:
        source: a path (str or os.PathLike) or the encoded bytes.
        height, width: the sketch's size in pixels.
        name: what error messages call the layer (default: the path, or
            "<bytes>").

    Returns:
        (hint_rgb, hint_mask): `(height, width, 3)` uint8 RGB, 0 where there
        is no hint, and `(height, width)` bool, True on hints.

    Raises:
        ImageError: one line naming the layer: unreadable, not an image,
            corrupt, too large, no alpha channel, an aspect ratio other than
            the sketch's, no opaque pixel, or opaque almost everywhere
            (`formats.HINT_MAX_OPAQUE`: a background saved with the hints).
        ColorizeError: height or width < 1.
    """
    rgba, opaque = _checked_layer(source, height, width, name)
    return resize_hints(rgba[..., :3], opaque, height, width)


def _checked_layer(source, height, width, name):
    """(`(h, w, 4)` uint8 RGBA, `(h, w)` bool opaque) of a usable hint
    layer, or `load_hint_layer`'s errors."""
    if height < 1 or width < 1:
        raise ColorizeError(f"the sketch size must be positive, got {width}x{height}")
    data, label = _read(source, name)
    rgba = _decode_rgba(data, label)  # (h, w, 4) uint8
    layer_h, layer_w = rgba.shape[:2]
    _check_aspect(label, (layer_h, layer_w), (height, width))
    opaque = rgba[..., 3] >= formats.HINT_ALPHA  # (h, w)
    if not opaque.any():
        raise ImageError(
            label,
            f"empty hint layer: no opaque pixel (alpha >= {formats.HINT_ALPHA} of 255: paint at half opacity or more)",
        )
    if (share := opaque.mean()) >= formats.HINT_MAX_OPAQUE:
        raise ImageError(
            label,
            f"opaque almost everywhere ({share:.0%} of it): a background saved with the hints? "
            "keep only the hints, on a transparent layer",
        )
    return rgba, opaque


def check_hint_layer(source, height, width, *, name=None):
    """What `load_hint_layer` would refuse, without scaling the layer (for
    checks before the model loads, from the sketch's header): a file that
    is no image, broken, too large, without an alpha channel, of another
    aspect ratio than the sketch, empty, or opaque almost everywhere.

    Args:
        source: a path (str or os.PathLike) or the encoded bytes.
        height, width: the sketch's size in pixels (its EXIF orientation
            applied, as `colorize.data.images.header_size` gives it).
        name: what error messages call the layer (default: the path, or
            "<bytes>").

    Raises:
        ImageError: one line naming the layer, as `load_hint_layer` says it.
    """
    _checked_layer(source, height, width, name)


def resize_hints(hint_rgb, hint_mask, height, width):
    """Brings hints to another size without blending their colors (as
    `load_hint_layer` scales a layer; also from a sketch's full resolution
    to the network's trained scale).

    Growing: nearest neighbour. Shrinking: a pixel is a hint where at least
    half of the pixels under it are, or where that share is a local maximum
    (3x3: thin strokes and dots survive), colored by the mean of the hint
    pixels under it.

    Args:
        hint_rgb: `(h, w, 3)` uint8 RGB, 0 where there is no hint.
        hint_mask: `(h, w)` bool.
        height, width: the new size.

    Returns:
        (hint_rgb, hint_mask): `(height, width, 3)` uint8 (0 off the hints)
        and `(height, width)` bool; the inputs themselves at the same size.
    """
    hint_mask = np.asarray(hint_mask, bool)
    hint_rgb = np.asarray(hint_rgb, np.uint8) * hint_mask[..., None]  # 0 off the hints
    h, w = hint_mask.shape
    if (h, w) == (height, width):
        return hint_rgb, hint_mask
    if h * w <= height * width:
        return _grow(hint_rgb, hint_mask, height, width)
    return _shrink(hint_rgb, hint_mask, height, width)


def _read(source, name):
    """(bytes, label) of a path or of bytes, or a one-line ImageError."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "<bytes>"
        data = bytes(source)
    else:
        path = os.fspath(source)
        label = name or path
        if os.path.isdir(path):
            raise ImageError(label, "is a directory, not an image file")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise ImageError(label, "no such file") from None
        except OSError as e:
            raise ImageError(label, f"cannot read: {e.strerror or e}") from None
    if not data:
        raise ImageError(label, "empty file (0 bytes)")
    return data, label


def _decode_rgba(data, label):
    """`(h, w, 4)` uint8 RGBA of an encoded image that has an alpha channel."""
    try:
        img = pyvips.Image.new_from_buffer(data, "")
    except pyvips.Error:
        raise ImageError(label, "not an image (unrecognized format)") from None
    if img.width * img.height > formats.MAX_PIXELS:
        raise ImageError(
            label, f"too large: {img.width}x{img.height} pixels is over the limit of {formats.MAX_PIXELS} pixels"
        )
    if not img.hasalpha():
        try:  # a damaged file is named as such, not by what its header says
            pyvips.Image.new_from_buffer(data, "", fail_on="truncated").copy_memory()
        except pyvips.Error as e:
            text = " ".join(str(getattr(e, "detail", "") or e).split()) or type(e).__name__
            raise ImageError(label, f"corrupt or truncated image data ({text})") from None
        raise ImageError(label, "no alpha channel: paint hints on a transparent layer")
    try:
        if img.interpretation == "cmyk":
            img = img.colourspace("srgb")
        if img.format == "ushort":
            img = ((img + 128) / 257).floor().cast("uchar")  # round(v / 257), as colorize.data.images does
        elif img.format != "uchar":
            img = img.colourspace("srgb").cast("uchar")
        if img.bands == 2:  # gray + alpha
            img = img[0].bandjoin([img[0], img[0], img[1]])
        img = img[:4]
        if img.get_typeof("orientation") and img.get("orientation") != 1:
            img = img.autorot()  # as the sketch is (colorize.data.images)
        pixels = np.frombuffer(img.write_to_memory(), np.uint8)
    except pyvips.Error as e:
        text = " ".join(str(getattr(e, "detail", "") or e).split()) or type(e).__name__
        raise ImageError(label, f"corrupt image data ({text})") from None
    return pixels.reshape(img.height, img.width, 4)


def _check_aspect(label, layer, sketch):
    """Refuses a layer whose aspect ratio is not the sketch's (within the
    rounding of a layer saved at another size)."""
    (layer_h, layer_w), (height, width) = layer, sketch
    scaled_h = layer_h * width / layer_w  # the layer's height scaled to the sketch's width
    if abs(scaled_h - height) > max(1.0, formats.HINT_ASPECT_TOLERANCE * height):
        raise ImageError(
            label,
            f"wrong aspect ratio: the hint layer is {layer_w}x{layer_h}, the sketch {width}x{height} "
            "(paint the hints on a layer of the sketch's size or proportions)",
        )


def _grow(rgb, opaque, height, width):
    """Nearest-neighbour enlargement: each sketch pixel copies one layer pixel."""
    mask = cv2.resize(opaque.view(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
    color = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_NEAREST)
    color *= mask[..., None]
    return color, mask


def _shrink(rgb, opaque, height, width):
    """Area reduction: the hint share of each sketch pixel decides the mask,
    the hint pixels alone its color."""
    weight = opaque.astype(np.float32)  # (h, w)
    share = cv2.resize(weight, (width, height), interpolation=cv2.INTER_AREA)  # (H, W) in 0..1
    # 1e-6: area sums of zeros come out as tiny negatives or positives.
    local_max = share >= cv2.dilate(share, np.ones((3, 3), np.uint8)) - 1e-6
    mask = (share >= 0.5 - 1e-6) | ((share > 1e-6) & local_max)
    # `rgb` is 0 off the hints: its area means are the hint colors' sums / area.
    sums = cv2.resize(rgb.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)  # (H, W, 3)
    color = sums / np.maximum(share, 1e-6)[..., None]
    color = np.clip(np.rint(color), 0, 255).astype(np.uint8)
    color *= mask[..., None]
    return color, mask


# -- points (--hint X,Y,#RRGGBB) ---------------------------------------------


def parse_hint(text):
    """Parses a `--hint` value: `X,Y,#RRGGBB` (or `X,Y,RRGGBB`).

    X and Y are the hint's pixel column and row in the sketch, from its top
    left corner (0-based; a point off the picture is refused by
    `points_layer`, and a negative one parses so that it can be named);
    RRGGBB its color in hexadecimal sRGB.

    Args:
        text: the flag's value.

    Returns:
        (x, y, (r, g, b)): ints, the color channels in 0..255.

    Raises:
        ColorizeError: one line quoting `text` and what is wrong.
    """
    match = _HINT.match(text)
    if match is None:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 3:
            reason = f"expected X,Y,#RRGGBB (3 comma-separated fields), got {len(parts)}"
        elif not (_is_int(parts[0]) and _is_int(parts[1])):
            reason = "X and Y must be whole pixel coordinates"
        else:
            reason = f"the color must be #RRGGBB (6 hexadecimal digits, the # optional), not {parts[2]!r}"
        raise ColorizeError(f"--hint {text!r}: {reason}")
    x, y, hexa = int(match[1]), int(match[2]), match[3]
    return x, y, tuple(int(hexa[i : i + 2], 16) for i in (0, 2, 4))


def parse_colors(text):
    """Parses a palette: `'#e03020,#2050c0'` (the `#` optional) -> `(n, 3)` uint8 RGB.

    Raises:
        ValueError: a color that is not `#RRGGBB`, an empty one (an extra
            comma), or none at all.
    """
    if not text.strip():
        raise ValueError("the palette names no color (give #RRGGBB,#RRGGBB,...)")
    colors = []
    parts = text.split(",")
    for i, part in enumerate(parts):
        item = part.strip().removeprefix("#")
        if not item:
            raise ValueError(
                f"the palette's color {i + 1} of {len(parts)} is empty (an extra comma?); give #RRGGBB,#RRGGBB,..."
            )
        if len(item) != 6 or any(c not in "0123456789abcdefABCDEF" for c in item):
            raise ValueError(f"palette color {part.strip()!r} is not #RRGGBB (6 hexadecimal digits, the # optional)")
        colors.append([int(item[i : i + 2], 16) for i in (0, 2, 4)])
    return np.asarray(colors, np.uint8)


def _is_int(text):
    return re.fullmatch(r"-?\d+", text) is not None


def default_radius(height, width):
    """The half side of a point hint's square: max(1, round(short side /
    128)), so a point stays a few pixels wide at the networks' 256 px scale."""
    return max(1, round(min(height, width) / 128))


def points_layer(points, height, width, radius=None):
    """Renders point hints as filled squares.

    Args:
        points: `[(x, y, (r, g, b)), ...]` as `parse_hint` returns: pixel
            column and row, color in 0..255. Later points cover earlier
            ones where their squares overlap. A point near the border gives
            the part of its square inside the picture.
        height, width: the sketch's size.
        radius: half side of the squares in pixels, >= 0 (side 2 * radius +
            1, clipped at the image's border); default `default_radius`.

    Returns:
        (hint_rgb, hint_mask): `(height, width, 3)` uint8 RGB (0 where no
        hint) and `(height, width)` bool.

    Raises:
        ColorizeError: a point off the image (named, with the image's
            size), a bad color, or a negative radius.
    """
    if radius is None:
        radius = default_radius(height, width)
    if radius < 0:
        raise ColorizeError(f"the hint radius must be >= 0, not {radius}")
    rgb = np.zeros((height, width, 3), np.uint8)
    mask = np.zeros((height, width), bool)
    for x, y, color in points:
        top, bottom, left, right = _square(x, y, height, width, radius)
        if len(color) != 3 or not all(0 <= int(c) <= 255 for c in color):
            raise ColorizeError(f"hint at x={x}, y={y}: color {tuple(color)} is not three values in 0..255")
        rgb[top:bottom, left:right] = color
        mask[top:bottom, left:right] = True
    return rgb, mask


def check_points(points, height, width):
    """Refuses the first point off a `height` x `width` sketch, as
    `points_layer` would: for checks before the model loads.

    Raises:
        ColorizeError: naming the point and the sketch's size.
    """
    radius = default_radius(height, width)
    for x, y, _ in points:
        _square(x, y, height, width, radius)


def _square(x, y, height, width, radius):
    """(top, bottom, left, right) of a point's square clipped to the image,
    or a ColorizeError when the point itself is off the image (a square
    half in it would color what the user did not point at: the page, if
    the point was meant for a figure at the edge)."""
    if not (0 <= x < width and 0 <= y < height):
        raise ColorizeError(
            f"hint at x={x}, y={y} is off the {width}x{height} sketch "
            f"(x from 0 to {width - 1}, y from 0 to {height - 1})"
        )
    top, bottom = max(0, y - radius), min(height, y + radius + 1)
    left, right = max(0, x - radius), min(width, x + radius + 1)
    return top, bottom, left, right


def merge(a, b):
    """Lays hints `b` over hints `a`: `b`'s hint wins where both have one
    (e.g. `--hint` points over a `--hints` layer).

    Args:
        a, b: (hint_rgb, hint_mask) pairs of the same size, or None (no
            hints).

    Returns:
        (hint_rgb, hint_mask), new arrays; None if both are None.

    Raises:
        ColorizeError: the two differ in size.
    """
    if a is None or b is None:
        other = b if a is None else a
        return None if other is None else (other[0].copy(), other[1].copy())
    (rgb_a, mask_a), (rgb_b, mask_b) = a, b
    if rgb_a.shape != rgb_b.shape or mask_a.shape != mask_b.shape:
        raise ColorizeError(f"cannot merge hints of sizes {mask_a.shape} and {mask_b.shape}")
    rgb = np.where(mask_b[..., None], rgb_b, rgb_a).astype(np.uint8)
    return rgb, mask_a | mask_b
