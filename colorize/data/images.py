"""Decoding any image file into an 8-bit BGR array, in bounded memory.

`load_image` turns what real illustration collections contain into one
kind of array, (height, width, 3) uint8 BGR (OpenCV's channel order, what
`colorize.data.sketch` works on). PNG, JPEG, WebP and GIF are decoded by libvips
(`pyvips`); every other format Pillow knows (BMP, TIFF, ...) by Pillow.

Decoding semantics, exactly (the SavedModel's in-graph decoder is to compute
the same for PNG and JPEG; `tests/bad_inputs.decodable_corpus` writes one
file per PNG layout and JPEG kind to check both against):

1. Samples to 8 bits. 16-bit samples v (color and alpha alike) become
   round(v / 257) = (v + 128) // 257 (there are no ties); 1-, 2- and 4-bit
   gray samples are scaled to 0..255 (v * 255 / (2^bits - 1), that is bit
   replication); palette indices become their palette colors, and the
   palette's tRNS entries (or a tRNS color key) become alpha (0 or the
   entry). A CMYK JPEG (libvips undoes Adobe's inverted storage, so 255 is
   full ink) becomes R = round((255 - C) * (255 - K) / 255), likewise G
   from M and B from Y, with no color management.
2. Alpha composited on white, on the 8-bit samples c and alpha a:
   out = 255 - round((255 - c) * a / 255) (no ties either). Gray and
   gray+alpha images give three equal channels.
3. The first frame of an animation; the EXIF orientation applied last
   (libvips `autorot`, `PIL.ImageOps.exif_transpose`).
4. With `min_short_side`, the image is reduced by the largest integer
   factor f that keeps its short side >= min_short_side: a JPEG first by
   libjpeg's DCT scaling (1/2, 1/4, 1/8) while decoding, then every format
   by the mean of f x f blocks of the 8-bit image (rounded; the partial
   blocks at the right and bottom edges are dropped).

Consumers that need gray (`sketch.extract_sketch`, `predict`) take it from
this BGR image as ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B, rounded
(OpenCV's `COLOR_BGR2GRAY`).

Memory: PNG and JPEG are read sequentially: libvips keeps a few strips of
rows, so reducing an 8000 x 8000 PNG to a 256 px short side holds those
strips, not the 192 MB of the decoded image. An interlaced (Adam7) PNG, which
libvips decodes whole, is reduced pass by pass instead (`_Adam7`), in the
same bounded memory and to the same pixels (within one level: its block
means are rounded half up, libvips' its own way). Other images are
decoded whole, so they must fit `max_pixels` at full size. A header that
claims more than `MAX_SOURCE_PIXELS` pixels is refused before any decoding
(a decompression bomb).
"""

import contextlib
import errno
import io
import os
import stat
import struct
import threading
import warnings
import zlib

import cv2
import numpy as np
import pyvips
from PIL import Image, ImageOps, UnidentifiedImageError

from colorize import formats
from colorize.errors import ColorizeError, ImageError

MAX_SOURCE_PIXELS = 1 << 30
"""Largest image header accepted at all, even when it can be streamed and
reduced (OpenCV's own default cap): bounds the decoding time of a
decompression bomb."""

_VIPS_LOADERS = ("pngload", "jpegload", "webpload", "gifload")
"""libvips loaders used; other formats libvips knows go to Pillow, whose
conversions of their many modes (TIFF float, BMP, ...) are known."""

_END_MARKERS = {"pngload": b"IEND\xaeB`\x82", "jpegload": b"\xff\xd9"}
"""How a complete file of the format ends (PNG: the IEND chunk; JPEG: EOI),
to tell truncated files from corrupt ones (libpng says "read error" for
both)."""

_BAND_PIXELS = 1 << 21  # Pixels Pillow converts at a time.

# libvips caches operations by their arguments: a file rewritten under the
# same name would come back stale, and the cache would hold decoded images.
pyvips.cache_set_max(0)


def load_image(source, *, name=None, min_short_side=None, max_pixels=formats.MAX_PIXELS):
    """Decodes an image file or bytes to a BGR uint8 array, alpha on white.

    See the module docstring for exactly how samples, alpha, palettes, CMYK,
    animations, the EXIF orientation and the reduction are treated.

    Args:
      source: a path (str or os.PathLike) or the encoded bytes.
      name: what error messages call the input (default: the path, or
        "<bytes>").
      min_short_side: when set (pixels, >= 1), the image may be reduced by an
        integer factor while decoding as long as its short side stays >=
        this; an image whose short side is already below it is returned at
        full size.
      max_pixels: refuse an image that would still have more pixels than
        this after any reduction.

    Returns:
      (height, width, 3) uint8 BGR array.

    Raises:
      ImageError: the file is missing, a directory, unreadable, empty, not an
        image, truncated or corrupt, or too large; the message is one line.
      ColorizeError: min_short_side < 1.
    """
    if min_short_side is not None and min_short_side < 1:
        raise ColorizeError(f"min_short_side must be >= 1, got {min_short_side}")
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "<bytes>"
        data = bytes(source)
        if not data:
            raise ImageError(label, "empty data (0 bytes)")
        return _Decoder(label, data, None, min_short_side, max_pixels).decode()
    path = os.fspath(source)
    label = name or path
    with _open_file(path, label) as f:
        return _Decoder(label, None, f, min_short_side, max_pixels).decode()


def header_size(path):
    """The size an image file decodes to, `(width, height)` in pixels with
    its EXIF orientation applied: from its header alone for PNG, JPEG, WebP
    and GIF, by decoding it for the formats Pillow decodes (TIFF, BMP...).

    Args:
      path: a file path (str or os.PathLike).

    Returns:
      (width, height) ints, as `load_image` would give them (unreduced).

    Raises:
      ImageError: one line naming the file, with `header_reason`'s reason.
    """
    path = os.fspath(path)
    with _open_file(path, path) as f:
        decoder = _Decoder(path, None, f, None, formats.MAX_PIXELS)
        size = decoder.read_header()
        if size is None:
            height, width = decoder.decode_pil().shape[:2]
            size = (width, height)
        return size


def header_reason(path):
    """Why the file at `path` cannot be decoded, as far as its header tells;
    None when the header reads as an image of a size accepted at all.

    For checks before slow work (a model to load): it reads the header only,
    so data cut short or corrupt after the header is still reported by
    `load_image`.

    Args:
      path: a file path (str or os.PathLike).

    Returns:
      the one-line reason `load_image` would give ("no such file", "empty
      file (0 bytes)", "not an image (unrecognized format)", "too large:
      ..."), or None.
    """
    path = os.fspath(path)
    try:
        with _open_file(path, path) as f:
            _Decoder(path, None, f, None, formats.MAX_PIXELS).read_header()
    except ImageError as e:
        return e.reason
    return None


def _open_file(path, label):
    """The regular, non-empty file at `path`, open for reading; ImageError
    (named `label`) with the reason otherwise."""
    try:
        info = os.stat(path)
    except OSError as e:
        raise ImageError(label, _os_reason(e, path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError(label, "is a directory, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise ImageError(label, "not a regular file")
    if info.st_size == 0:
        raise ImageError(label, "empty file (0 bytes)")
    try:
        return open(path, "rb")  # Python's open: permission checks happen here.
    except OSError as e:
        raise ImageError(label, _os_reason(e, path)) from None


def missing_reason(path):
    """Why `path` cannot be opened when nothing is there: "no such file", or
    for a symbolic link whose target is gone, "broken symbolic link ...".
    None otherwise (something is there, or `os.stat` fails another way,
    a link loop for one, which opening reports)."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno != errno.ENOENT:
            return None
        if os.path.islink(path):
            return "broken symbolic link (its target does not exist)"
        return "no such folder" if path.endswith(("/", os.sep)) else "no such file"  # `DIR/` names a folder
    return None


def _os_reason(error, path):
    """One-line reason for an OSError raised while opening `path`."""
    if error.errno == errno.ENOENT:
        return missing_reason(path) or "no such file"
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if error.errno == errno.EISDIR:
        return "is a directory, not an image file"
    return f"cannot open: {error.strerror or error}"


def _one_line(error):
    """The text of an exception on one line, with its type if it is empty."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _reduction(width, height, min_short_side):
    """Largest integer factor that keeps the short side >= min_short_side."""
    if not min_short_side:
        return 1
    return max(1, min(width, height) // min_short_side)


_TURNED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


class _Decoder:
    """One decode of one input (bytes `data` or the open file `f`)."""

    def __init__(self, label, data, f, min_short_side, max_pixels):
        self.label, self.data, self.f = label, data, f
        self.min_short_side, self.max_pixels = min_short_side, max_pixels

    def error(self, reason):
        return ImageError(self.label, reason)

    def open_vips(self, **options):
        """A lazy libvips image: only the header is read."""
        if self.data is not None:
            return pyvips.Image.new_from_buffer(self.data, "", access="sequential", fail_on="truncated", **options)
        source = pyvips.Source.new_from_descriptor(self.f.fileno())
        return pyvips.Image.new_from_source(source, "", access="sequential", fail_on="truncated", **options)

    def decode(self):
        img, loader = self.vips_header()
        if loader not in _VIPS_LOADERS:
            return self.decode_pil()
        try:
            return self.decode_vips(img, loader)
        except MemoryError:
            raise self.error(f"out of memory decoding {img.width}x{img.height} pixels") from None
        except pyvips.Error as e:
            raise self.error(self.vips_reason(loader, e)) from None

    def read_header(self):
        """Reads the header only: (width, height) with the EXIF orientation
        applied, or None for a format Pillow decodes; ImageError when it is
        not an image's, or gives a size refused at any reduction."""
        img, loader = self.vips_header()
        if loader in _VIPS_LOADERS:
            self.check_source_size(img.width, img.height)
            turned = img.get_typeof("orientation") and img.get("orientation") in _TURNED
            return (img.height, img.width) if turned else (img.width, img.height)
        with self.open_pil() as im:
            self.check_source_size(*im.size)
        return None  # Pillow's plugins differ in when they turn the image: only a decode tells

    def vips_header(self):
        """(the lazy libvips image, its loader's name), or (None, None) for a
        format libvips does not know (Pillow may)."""
        try:
            img = self.open_vips()
            return img, img.get("vips-loader").rsplit("_", 1)[0]
        except pyvips.Error:
            return None, None

    def check_source_size(self, width, height):
        if width < 1 or height < 1:
            raise self.error(f"invalid size {width}x{height}")
        if width * height > MAX_SOURCE_PIXELS:
            raise self.error(
                f"too large: {width}x{height} pixels is over the limit of "
                f"{MAX_SOURCE_PIXELS} pixels (decompression bomb?)"
            )

    def check_decoded_size(self, width, height, source_size):
        if width * height > self.max_pixels:
            note = f" (reduced from {source_size[0]}x{source_size[1]})" if (width, height) != source_size else ""
            raise self.error(
                f"too large: {width}x{height} pixels{note} is over the limit of {self.max_pixels} decoded pixels"
            )

    # -- libvips ---------------------------------------------------------------

    def decode_vips(self, img, loader):
        width, height = img.width, img.height
        self.check_source_size(width, height)
        interlaced = loader == "pngload" and _flag(img, "interlaced")
        if interlaced and _reduction(width, height, self.min_short_side) > 1:
            return self.decode_adam7(img)
        streamed = loader == "jpegload" or (loader == "pngload" and not interlaced)
        if loader == "jpegload" and self.min_short_side:
            shrink = next(s for s in (8, 4, 2, 1) if min(width, height) // s >= self.min_short_side or s == 1)
            if shrink > 1:  # libjpeg's DCT scaling: the full-size image never exists.
                img = self.open_vips(shrink=shrink)
        factor = _reduction(img.width, img.height, self.min_short_side)
        out_w, out_h = img.width // factor, img.height // factor
        if streamed:
            self.check_decoded_size(out_w, out_h, (width, height))
        else:
            self.check_decoded_size(width, height, (width, height))
        bgr = _vips_to_bgr(img)
        if factor > 1:
            bgr = bgr.crop(0, 0, out_w * factor, out_h * factor).shrink(factor, factor)
        if img.get_typeof("orientation") and img.get("orientation") != 1:
            bgr = bgr.copy_memory().autorot()  # (rotating needs random access)
        # libvips' own buffer, writable, without a copy: one image in memory.
        return np.frombuffer(bgr.write_to_memory(), np.uint8).reshape(bgr.height, bgr.width, 3)

    def decode_adam7(self, img):
        """An interlaced PNG reduced pass by pass (see `_Adam7`), in the
        memory of the reduced image: the same pixels as the same PNG not
        interlaced, to one level (libvips rounds its block means its own
        way)."""
        width, height = img.width, img.height
        factor = _reduction(width, height, self.min_short_side)
        self.check_decoded_size(width // factor, height // factor, (width, height))
        stream = self.f if self.f is not None else io.BytesIO(self.data)
        stream.seek(0)
        try:
            bgr = _Adam7(stream, factor).reduce()
        except (zlib.error, ValueError) as e:
            text = _one_line(e)
            if "truncated" in text or "incomplete" in text:
                raise self.error(f"truncated image data ({text})") from None
            raise self.error(f"corrupt image data ({text})") from None
        except pyvips.Error as e:
            raise self.error(self.vips_reason("pngload", e)) from None
        if img.get_typeof("orientation") and img.get("orientation") != 1:
            small = pyvips.Image.new_from_memory(bgr.tobytes(), bgr.shape[1], bgr.shape[0], 3, "uchar").copy()
            small.set_type(pyvips.GValue.gint_type, "orientation", img.get("orientation"))
            small = small.autorot()
            bgr = np.frombuffer(small.write_to_memory(), np.uint8).reshape(small.height, small.width, 3)
        return bgr

    def vips_reason(self, loader, error):
        lines = [line.strip() for line in str(getattr(error, "detail", "") or error).splitlines()]
        text = next((line for line in reversed(lines) if line), type(error).__name__)
        if "out of memory" in text:
            return "out of memory decoding the image"
        marker = _END_MARKERS.get(loader)
        if marker is not None and not self.tail(len(marker) + 2).rstrip(b"\0").endswith(marker):
            return f"truncated image data ({text})"
        if "premature end" in text.lower():
            return f"truncated image data ({text})"
        return f"corrupt image data ({text})"

    def tail(self, n):
        if self.data is not None:
            return self.data[-n:]
        self.f.seek(max(0, os.fstat(self.f.fileno()).st_size - n))
        return self.f.read(n)

    # -- Pillow ----------------------------------------------------------------

    def open_pil(self):
        """The Pillow image, its header read (ImageError when it is none)."""
        stream = self.f if self.f is not None else io.BytesIO(self.data)
        stream.seek(0)
        try:
            with _own_size_checks():
                return Image.open(stream)
        except UnidentifiedImageError:
            raise self.error("not an image (unrecognized format)") from None
        except Exception as e:
            raise self.error(f"corrupt image header: {_one_line(e)}") from None

    def decode_pil(self):
        with self.open_pil() as im:
            self.check_source_size(*im.size)
            self.check_decoded_size(*im.size, im.size)
            try:
                im.load()
                with contextlib.suppress(Exception):  # A broken EXIF block must not lose the image.
                    ImageOps.exif_transpose(im, in_place=True)
                return _pil_to_bgr(im, _reduction(*im.size, self.min_short_side))
            except MemoryError:
                raise self.error(f"out of memory decoding {im.width}x{im.height} pixels") from None
            except Exception as e:
                raise self.error(f"corrupt or truncated image data: {_one_line(e)}") from None


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
"""The seven passes of an interlaced PNG: (first column, first row, column step, row step)."""

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
"""Samples per pixel of each PNG color type."""


class _Adam7:
    """Reduces an interlaced (Adam7) PNG by `factor` while reading it once.

    libvips (libpng) decodes an interlaced PNG whole: an 8000 x 8000 one
    needs 192 MB or more, where the same PNG not interlaced streams in tens
    of MB. Each of the seven passes of the image data is, byte for byte,
    the filtered rows of a small non-interlaced image (every 8th pixel, ...,
    every other row): the passes are read in order from one zlib stream,
    each is handed to libvips as a PNG of its own (the same header but its
    size, with the palette and transparency chunks, and the pass's rows
    stored in zlib without compression) and decoded in strips, so libvips
    converts the samples exactly as for the whole file, and every strip's
    pixels are summed into the f x f blocks they fall in. The block means
    are rounded half up. Memory: the block sums (4 bytes per channel of the
    reduced image) and a few MB of buffers.

    Args:
        stream: a binary file object at the PNG's start.
        factor: the reduction, >= 1.
    """

    _PIECE = 1 << 20  # bytes read, decompressed and handed on at a time

    def __init__(self, stream, factor):
        self.stream, self.factor = stream, factor
        self.header, self.extra = None, []
        self.inflate = zlib.decompressobj()
        self.pending = b""  # decompressed, not yet handed on
        self.idat_left = 0  # bytes of the current IDAT chunk not yet read
        self.done = False

    def _read(self, n):
        data = self.stream.read(n)
        if len(data) != n:
            raise ValueError("truncated PNG (the file ends inside a chunk)")
        return data

    def _chunk(self):
        """Reads the next chunk's length and type; returns them."""
        length, kind = struct.unpack(">I4s", self._read(8))
        return length, kind

    def _start(self):
        if self._read(8) != b"\x89PNG\r\n\x1a\n":
            raise ValueError("not a PNG signature")
        while True:
            length, kind = self._chunk()
            if kind == b"IDAT":
                self.idat_left = length
                return
            if kind == b"IEND":
                raise ValueError("truncated PNG (no image data)")
            data = self._read(length)
            self._read(4)  # CRC
            if kind == b"IHDR":
                self.header = struct.unpack(">IIBBBBB", data)
            elif kind in (b"PLTE", b"tRNS"):
                self.extra.append((kind, data))

    def _inflated(self, n):
        """The next `n` bytes of the decompressed image data."""
        parts, have = [self.pending], len(self.pending)
        while have < n:
            if self.inflate.unconsumed_tail:
                data = self.inflate.decompress(self.inflate.unconsumed_tail, self._PIECE)
            else:
                while self.idat_left == 0 and not self.done:
                    self._read(4)  # the CRC of the IDAT chunk before
                    length, kind = self._chunk()
                    if kind != b"IDAT":
                        self.done = True
                    else:
                        self.idat_left = length
                if self.done:
                    raise ValueError("truncated image data (the compressed stream ends early)")
                raw = self._read(min(self.idat_left, self._PIECE))
                self.idat_left -= len(raw)
                data = self.inflate.decompress(raw, self._PIECE)
            parts.append(data)
            have += len(data)
        joined = b"".join(parts)
        self.pending = joined[n:]
        return joined[:n]

    def _pass_png(self, width, height, size):
        """A pyvips source: a non-interlaced PNG of the next `size` bytes of rows."""
        depth, color = self.header[2], self.header[3]
        ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
        head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
        head += b"".join(_png_chunk(kind, data) for kind, data in self.extra)
        deflate = zlib.compressobj(0)  # stored: the rows as they are, framed for zlib
        state = {"buffer": head, "left": size, "end": False, "error": None}

        def on_read(wanted):
            try:
                return fill(wanted)
            except (zlib.error, ValueError) as e:  # (raised here, libvips would only see a short read)
                state["error"] = e
                return b""

        def fill(wanted):
            while len(state["buffer"]) < wanted and not state["end"]:
                if state["left"]:
                    rows = self._inflated(min(state["left"], self._PIECE))
                    state["left"] -= len(rows)
                    body = deflate.compress(rows)
                else:
                    body = deflate.flush()
                    state["end"] = True
                if body:
                    state["buffer"] += _png_chunk(b"IDAT", body)
                if state["end"]:
                    state["buffer"] += _png_chunk(b"IEND", b"")
            out, state["buffer"] = state["buffer"][:wanted], state["buffer"][wanted:]
            return out

        source = pyvips.SourceCustom()
        source.on_read(on_read)
        return source, state

    def reduce(self):
        """`(H // f, W // f, 3)` uint8 BGR block means."""
        self._start()
        width, height, depth, color = self.header[:4]
        if color not in _CHANNELS:
            raise ValueError(f"unknown PNG color type {color}")
        f = self.factor
        out_w, out_h = width // f, height // f
        sums = np.zeros((out_h, out_w, 3), np.int64)
        bits = depth * _CHANNELS[color]
        for x0, y0, dx, dy in _ADAM7:
            pass_w = max(0, -(-(width - x0) // dx))
            pass_h = max(0, -(-(height - y0) // dy))
            if not pass_w or not pass_h:
                continue
            size = pass_h * (1 + -(-(pass_w * bits) // 8))
            source, state = self._pass_png(pass_w, pass_h, size)
            try:
                self._add_pass(source, (x0, y0, dx, dy), (pass_w, pass_h), sums)
            except pyvips.Error:
                if state["error"] is not None:  # the reason, rather than libvips' "short read"
                    raise state["error"] from None
                raise
            while state["left"]:  # rows libvips did not ask for
                state["left"] -= len(self._inflated(min(state["left"], self._PIECE)))
        n = f * f
        return ((sums + n // 2) // n).astype(np.uint8)

    def _add_pass(self, source, geometry, size, sums):
        """Adds the pixels of one pass (a PNG `source`) to their blocks' sums."""
        (x0, y0, dx, dy), (pass_w, pass_h), f = geometry, size, self.factor
        out_h, out_w = sums.shape[:2]
        image = _vips_to_bgr(pyvips.Image.new_from_source(source, "", access="sequential", fail_on="truncated"))
        region = pyvips.Region.new(image)
        columns = (x0 + dx * np.arange(pass_w)) // f  # block column of each pass column
        keep_cols = columns < out_w
        col_blocks, col_starts = np.unique(columns[keep_cols], return_index=True)
        strip = max(1, (1 << 18) // (3 * pass_w))  # rows a fetch: libvips holds several times a strip
        for top in range(0, pass_h, strip):
            n = min(strip, pass_h - top)
            rows = np.frombuffer(region.fetch(0, top, pass_w, n), np.uint8).reshape(n, pass_w, 3)
            blocks = (y0 + dy * np.arange(top, top + n)) // f
            keep_rows = blocks < out_h
            if not keep_rows.any() or not col_blocks.size:
                continue
            rows = rows[keep_rows][:, keep_cols]
            row_blocks, row_starts = np.unique(blocks[keep_rows], return_index=True)
            summed = np.add.reduceat(rows, col_starts, axis=1, dtype=np.int64)
            summed = np.add.reduceat(summed, row_starts, axis=0)
            sums[np.ix_(row_blocks, col_blocks)] += summed


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _flag(img, field):
    return img.get_typeof(field) != 0 and bool(img.get(field))


def _vips_to_bgr(img):
    """The lazy 3-band uchar BGR image of a loaded libvips image (steps 1
    and 2 of the module docstring), evaluated strip by strip later."""
    if img.interpretation == "cmyk":
        paper = 255 - img[:4].cast("float")  # (255 - C, 255 - M, 255 - Y, 255 - K)
        rgb = (paper[:3] * paper[3] / 255).rint().cast("uchar")
        img = (rgb.bandjoin(img[4:]) if img.bands > 4 else rgb).copy(interpretation="srgb")
    if img.format == "ushort":
        img = ((img + 128) / 257).floor().cast("uchar")
    elif img.format != "uchar":
        img = img.colourspace("srgb").cast("uchar")
    color = img.bands >= 3
    samples = 3 if color else 1
    alpha = img.bands > samples
    out = img[:samples]
    if alpha:
        ink = (255 - out.cast("float")) * img[samples].cast("float") / 255
        out = (255 - ink.rint()).cast("uchar")
    if color:
        return out[2].bandjoin([out[1], out[0]])
    return out.bandjoin([out, out])


_PIL_LOCK = threading.Lock()


@contextlib.contextmanager
def _own_size_checks():
    """Turns off Pillow's decompression-bomb check while opening: this
    module checks sizes itself, with its own limits."""
    with _PIL_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _pil_to_bgr(im, factor):
    """A loaded Pillow image as (h // factor, w // factor, 3) uint8 BGR on
    white, block-averaged by `factor`.

    Converts bands of rows, so that only the result and one band of
    converted pixels exist beside Pillow's own buffer.
    """
    width, height = im.size
    scale = _gray_scale(im)
    out_w, out_h = width // factor, height // factor
    out = np.empty((out_h, out_w, 3), np.uint8)
    rows = max(factor, (_BAND_PIXELS // max(width, 1)) // factor * factor)
    for top in range(0, out_h * factor, rows):
        bottom = min(top + rows, out_h * factor)
        rgb = _band_to_rgb(im.crop((0, top, width, bottom)), scale)  # (rows, width, 3)
        if factor > 1:
            rgb = cv2.resize(
                rgb[:, : out_w * factor], (out_w, (bottom - top) // factor), interpolation=cv2.INTER_AREA
            )  # the block mean for an integer factor
        out[top // factor : bottom // factor] = rgb[..., ::-1]
    return out


def _gray_scale(im):
    """The factor that maps a 16-bit, integer or float gray image to 0..255
    (Pillow's own convert would clip instead); None for other modes."""
    if im.mode.startswith("I;16"):
        return 1.0 / 257.0
    if im.mode not in ("I", "F"):
        return None
    _, high = im.getextrema()
    if high > 255:
        return 1.0 / 257.0
    return 255.0 if im.mode == "F" and high <= 1.0 else 1.0


def _band_to_rgb(band, scale):
    """(h, w, 3) uint8 RGB of a Pillow image (a band of rows), alpha on white.

    Args:
      band: a loaded Pillow image of any mode.
      scale: `_gray_scale` of the whole image.
    """
    if scale is not None:
        gray = np.clip(np.asarray(band, dtype=np.float32) * scale + 0.5, 0, 255)
        return cv2.cvtColor(gray.astype(np.uint8), cv2.COLOR_GRAY2RGB)
    has_alpha = band.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in band.info
    if not has_alpha:
        return np.asarray(band if band.mode == "RGB" else band.convert("RGB"))
    rgba = np.asarray(band.convert("RGBA"))
    # 255 - (255 - c) * a / 255, rounded once.
    alpha = cv2.cvtColor(cv2.extractChannel(rgba, 3), cv2.COLOR_GRAY2RGB)
    ink = cv2.bitwise_not(cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB))
    return cv2.bitwise_not(cv2.multiply(ink, alpha, scale=1.0 / 255.0))


SVG_SHORT_SIDE = 512
"""Short side, in pixels, that `render_svg` draws an SVG at by default: twice
the dataset's 256 px windows, so that no clip art is dropped as too small
and its lines are antialiased when the pipeline shrinks it."""


def render_svg(source, *, name=None, short_side=SVG_SHORT_SIDE, max_pixels=formats.MAX_PIXELS):
    """Renders an SVG drawing to a BGR uint8 array, transparency on white.

    libvips' `svgload` draws it (librsvg underneath, bundled with the
    `pyvips[binary]` wheel the project already uses for decoding: no other
    renderer to install, and librsvg is the renderer of GNOME, Wikipedia and
    ImageMagick). The drawing is scaled so that its short side is
    `short_side` pixels, whatever size its `width`/`height`/`viewBox` say;
    transparency is composited on white as `load_image` does.

    Args:
      source: a path (str or os.PathLike) or the SVG's bytes.
      name: what error messages call the input (default: the path).
      short_side: the rendered short side in pixels, >= 1.
      max_pixels: refuse a drawing whose rendering would have more pixels
        (a very long, thin drawing).

    Returns:
      (height, width, 3) uint8 BGR array with min(height, width) ==
      short_side (within a pixel of rounding).

    Raises:
      ImageError: missing, empty, not an SVG, unrenderable or too large.
    """
    if short_side < 1:
        raise ColorizeError(f"short_side must be >= 1, got {short_side}")
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, data = name or "<bytes>", bytes(source)
    else:
        label = name or os.fspath(source)
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ImageError(label, _os_reason(e, os.fspath(source))) from None
    if not data.strip():
        raise ImageError(label, "empty file (0 bytes)")
    try:
        header = pyvips.Image.svgload_buffer(data)
        width, height = header.width, header.height
        if width < 1 or height < 1:
            raise ImageError(label, f"invalid SVG size {width}x{height}")
        scale = short_side / min(width, height)
        if width * height * scale * scale > max_pixels:
            raise ImageError(
                label,
                f"too large: rendering {width}x{height} at a {short_side} px short side is over "
                f"the limit of {max_pixels} pixels",
            )
        img = pyvips.Image.svgload_buffer(data, scale=scale)
        bgr = _vips_to_bgr(img)
        return np.frombuffer(bgr.write_to_memory(), np.uint8).reshape(bgr.height, bgr.width, 3)
    except pyvips.Error as e:
        lines = [line.strip() for line in str(getattr(e, "detail", "") or e).splitlines() if line.strip()]
        raise ImageError(label, f"not a renderable SVG ({lines[-1] if lines else 'libvips svgload failed'})") from None


def find_images(folder):
    """Image files under a folder, recursively, in a stable order.

    Follows symbolic links to folders but never loops; a broken or looping
    link to a file is listed (decoding it reports why it fails).

    Args:
      folder: a local folder.

    Returns:
      sorted list of str paths (sorted by their path relative to `folder`)
      whose names end with one of `formats.IMAGE_EXTENSIONS`, in any case.

    Raises:
      ColorizeError: the folder does not exist or is not a folder.
    """
    folder = os.fspath(folder)
    if not os.path.exists(folder):
        raise ColorizeError(f"{folder}: no such folder")
    if not os.path.isdir(folder):
        raise ColorizeError(f"{folder}: not a folder")
    found = []
    seen = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        try:
            st = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:  # a link back to a visited folder
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        found.extend(os.path.join(root, name) for name in files if name.lower().endswith(formats.IMAGE_EXTENSIONS))
    return sorted(found, key=lambda p: os.path.relpath(p, folder).split(os.sep))
