"""Layered output an artist can keep working on: OpenRaster (`.ora`) files.

OpenRaster (https://www.openraster.org, the freedesktop.org layer-stack
format) is a zip of layers. The file `write_ora` writes has two layers over
a transparent canvas:

| layer (top to bottom) | pixels |
|---|---|
| `lines` | black ink whose alpha is `255 - gray`: the sketch's lines |
| `color` | the flat color, opaque, no lines |

Black ink at alpha `a = 255 - gray` over a color `c`, composited with plain
source-over in sRGB, gives `c * (1 - a / 255) = c * gray / 255`: exactly
the line multiplication `predict` does, without relying on a blend mode
(`composite-op="svg:multiply"` on the gray layer would give the same
picture where a reader honors it; source-over is the one every reader
implements). Krita (5.1) flattens it into the PNG to the level
(`tests/test_ora_in_krita.py`); Debian's GIMP 2.10 cannot open `.ora`, and
a GIMP with the OpenRaster plug-in blends in linear light, which lightens
anti-aliased line edges (README, "Layers in editors"). The artist can
repaint the color under the lines, or erase and redraw lines, and export
again.

The zip follows the specification (version 0.0.5): `mimetype` first and
stored uncompressed (the magic that file managers check), `stack.xml`,
`data/*.png`, `mergedimage.png` (the composite, full size) and
`Thumbnails/thumbnail.png` (the composite within 256 x 256 pixels).
"""

import io
import os
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
from PIL import Image

from colorize import fileio
from colorize.errors import ColorizeError

MIMETYPE = "image/openraster"
THUMBNAIL_SIZE = 256
LAYERS = ("lines", "color")
"""Layer names, top of the stack first."""


def line_layer(lines):
    """The lines as black ink with alpha `255 - gray`.

    Args:
        lines: `(H, W)` uint8 gray lines (255 = paper, 0 = ink).

    Returns:
        `(H, W, 4)` uint8 RGBA.
    """
    rgba = np.zeros((*lines.shape, 4), np.uint8)
    rgba[..., 3] = 255 - lines
    return rgba


def composite(color_rgb, lines):
    """What a reader shows: the line layer over the color layer.

    Args:
        color_rgb: `(H, W, 3)` uint8 flat color.
        lines: `(H, W)` uint8 gray lines.

    Returns:
        `(H, W, 3)` uint8, `round(color * lines / 255)`.
    """
    product = color_rgb.astype(np.uint32) * lines[..., np.newaxis].astype(np.uint32)  # (H, W, 3)
    return ((product + 127) // 255).astype(np.uint8)


def _png(rgb_or_rgba):
    buffer = io.BytesIO()
    Image.fromarray(rgb_or_rgba).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _stack_xml(width, height):
    image = ET.Element("image", {"version": "0.0.5", "w": str(width), "h": str(height)})
    stack = ET.SubElement(image, "stack")
    for name in LAYERS:
        ET.SubElement(
            stack,
            "layer",
            {
                "name": name,
                "src": f"data/{name}.png",
                "x": "0",
                "y": "0",
                "opacity": "1.0",
                "visibility": "visible",
                "composite-op": "svg:src-over",
            },
        )
    return ET.tostring(image, encoding="UTF-8", xml_declaration=True)


def _check(color_rgb, lines):
    color_rgb, lines = np.asarray(color_rgb), np.asarray(lines)
    if color_rgb.dtype != np.uint8 or color_rgb.ndim != 3 or color_rgb.shape[2] != 3:
        raise ColorizeError(f"color layer must be (H, W, 3) uint8, got {color_rgb.shape} {color_rgb.dtype}")
    if lines.dtype != np.uint8 or lines.shape != color_rgb.shape[:2]:
        raise ColorizeError(
            f"lines must be (H, W) uint8 of the color layer's size {color_rgb.shape[:2]}, "
            f"got {lines.shape} {lines.dtype}"
        )
    if min(lines.shape) < 1:
        raise ColorizeError(f"cannot write an empty image ({lines.shape[1]}x{lines.shape[0]} pixels)")
    return color_rgb, lines


def ora_bytes(color_rgb, lines):
    """The OpenRaster file of a colored sketch, in memory.

    Args:
        color_rgb: `(H, W, 3)` uint8 flat color (no lines).
        lines: `(H, W)` uint8 gray lines (255 = paper).

    Returns:
        bytes, a zip as described in the module docstring.

    Raises:
        ColorizeError: arrays of the wrong shape or type.
    """
    color_rgb, lines = _check(color_rgb, lines)
    height, width = lines.shape
    merged = composite(color_rgb, lines)
    thumb = Image.fromarray(merged)
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        z.writestr("stack.xml", _stack_xml(width, height))
        # PNGs are compressed already: stored, as Krita does.
        z.writestr("data/lines.png", _png(line_layer(lines)), compress_type=zipfile.ZIP_STORED)
        z.writestr("data/color.png", _png(color_rgb), compress_type=zipfile.ZIP_STORED)
        z.writestr("mergedimage.png", _png(merged), compress_type=zipfile.ZIP_STORED)
        z.writestr("Thumbnails/thumbnail.png", _png(np.asarray(thumb)), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def write_ora(path_or_file, color_rgb, lines):
    """Writes a colored sketch as an OpenRaster file (color and lines layers).

    Args:
        path_or_file: a path (written atomically: a temporary file, then a
            rename) or a binary file object.
        color_rgb: `(H, W, 3)` uint8 flat color (no lines).
        lines: `(H, W)` uint8 gray lines (255 = paper).

    Returns:
        The path, or the file object.

    Raises:
        ColorizeError: arrays of the wrong shape or type.
        OSError: the file cannot be written.
    """
    data = ora_bytes(color_rgb, lines)
    if hasattr(path_or_file, "write"):
        path_or_file.write(data)
        return path_or_file
    fileio.write_atomic(os.fspath(path_or_file), data)
    return path_or_file
