"""The paper's data pipeline on numpy images: decode, filter, resize, window, sketch.

Inoue, "Line Drawing Colorization", section 3.1 and Fig. 2: colored
illustrations whose short side is under 256 px or that are "devoid of colors"
are dropped; the rest are resized so the short side is 256 px, cut into
256x256 sliding windows along the long side, and each window's line sketch is
extracted with OpenCV (erode/dilate difference, box blur, dilate) and
binarized with Otsu's threshold.

Images are BGR uint8 arrays (OpenCV's order) everywhere in this module.

`load_image` decodes what real illustration collections contain: alpha
(composited on white), grayscale, palette, 16-bit, CMYK, EXIF rotation,
animations (first frame). Its memory stays bounded whatever the input: a
JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) and a large
PNG is streamed strip by strip and box-averaged when the caller only needs a
short side of `min_short_side` pixels; what would still be too large is
refused with a clear reason.
"""

import contextlib
import errno
import io
import math
import os
import stat
import struct
import threading
import warnings
import zlib

import cv2
import numpy as np
from PIL import Image
from PIL import UnidentifiedImageError

from colorize.errors import ColorizeError
from colorize.errors import ImageError

SIZE = 256
"""Side of the square windows the network trains on (the paper's 256 px)."""

COLORLESS_THRESHOLD = 20
"""A window whose mean HSV saturation (0..255) is below this is colorless."""

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
"""File name endings `find_images` collects (compared case-insensitively)."""

DEFAULT_MAX_PIXELS = 40_000_000
"""Largest image `load_image` holds decoded (after any reduction): 40 MP is
160 MB as PIL's 4-byte pixels plus 120 MB for the BGR result."""

MAX_SOURCE_PIXELS = 1 << 30
"""Largest image header accepted at all, even when it can be streamed and
reduced (OpenCV's own default cap): bounds the decoding time of a
decompression bomb."""

STREAM_PIXELS = 4_000_000
"""PNGs larger than this are streamed when they can be reduced by 2 or more."""

_STRIP_BYTES = 4 << 20  # Raw bytes decoded per strip of a streamed PNG.
_READ_BYTES = 1 << 20  # File bytes read at a time while streaming.
_MAX_STREAM_WIDTH = 1 << 18  # Wider PNGs are refused (one row is one strip).
_BAND_PIXELS = 1 << 21  # Pixels converted to float at a time.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KERNEL = np.ones((3, 3), np.uint8)


# ---------------------------------------------------------------- decoding --


def load_image(
    source, *, name=None, min_short_side=None, max_pixels=DEFAULT_MAX_PIXELS
):
    """Decodes an image file or bytes to a BGR uint8 array, alpha on white.

    Grayscale, gray+alpha, palette, 16-bit and CMYK images are converted; the
    EXIF orientation is applied; an animated image gives its first frame.

    Args:
      source: a path (str or os.PathLike) or the encoded bytes.
      name: what error messages call the input (default: the path, or
        "<bytes>").
      min_short_side: when set, the image may be reduced by an integer factor
        while decoding as long as its short side stays >= this; an image
        whose short side is already below it is returned at full size.
      max_pixels: refuse an image that would still have more pixels than
        this after any reduction.

    Returns:
      (height, width, 3) uint8 BGR array.

    Raises:
      ImageError: the file is missing, a directory, unreadable, empty, not an
        image, truncated or corrupt, or too large; the message is one line.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "<bytes>"
        if len(source) == 0:
            raise ImageError(label, "empty data (0 bytes)")
        return _decode(io.BytesIO(source), label, min_short_side, max_pixels)
    path = os.fspath(source)
    label = name or path
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
        f = open(path, "rb")
    except OSError as e:
        raise ImageError(label, _os_reason(e, path)) from None
    with f:
        return _decode(f, label, min_short_side, max_pixels)


def _os_reason(error, path):
    """One-line reason for an OSError raised while opening `path`."""
    if error.errno == errno.ENOENT:
        if os.path.islink(path):
            return "broken symbolic link (its target does not exist)"
        return "no such file"
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


def _decode(f, label, min_short_side, max_pixels):
    """Decodes an open binary file; see `load_image`."""
    if min_short_side is not None and min_short_side < 1:
        raise ColorizeError(f"min_short_side must be >= 1, got {min_short_side}")
    header = f.read(33)
    f.seek(0)
    if header.startswith(_PNG_SIGNATURE) and header[12:16] == b"IHDR":
        width, height, _, _, _, _, interlace = struct.unpack(">IIBBBBB", header[16:29])
        factor = _reduction(width, height, min_short_side)
        if interlace == 0 and factor >= 2 and width * height > STREAM_PIXELS:
            _check_source_size(label, width, height)
            if (width // factor) * (height // factor) > max_pixels:
                raise _too_large(label, width // factor, height // factor, max_pixels,
                                 f" (reduced from {width}x{height})")
            try:
                bgr = _PngStream(f, factor).decode()
            except MemoryError:
                raise ImageError(label, f"out of memory decoding {width}x{height} pixels") from None
            except EOFError as e:
                raise ImageError(label, f"truncated image data: {_one_line(e)}") from None
            except Exception as e:  # zlib, struct, PIL and OpenCV errors alike
                raise ImageError(label, f"corrupt image data: {_one_line(e)}") from None
            if isinstance(bgr, str):
                raise ImageError(label, bgr)
            return bgr
    return _decode_pil(f, label, min_short_side, max_pixels)


def _reduction(width, height, min_short_side):
    """Largest integer factor that keeps the short side >= min_short_side."""
    if not min_short_side:
        return 1
    return max(1, min(width, height) // min_short_side)


def _check_source_size(label, width, height):
    if width * height > MAX_SOURCE_PIXELS:
        raise ImageError(
            label,
            f"too large: {width}x{height} pixels is over the limit of "
            f"{MAX_SOURCE_PIXELS} pixels (decompression bomb?)",
        )


def _too_large(label, width, height, max_pixels, note=""):
    return ImageError(
        label,
        f"too large: {width}x{height} pixels{note} is over the limit of "
        f"{max_pixels} decoded pixels",
    )


_PIL_LOCK = threading.Lock()


@contextlib.contextmanager
def _own_size_checks():
    """Turns off PIL's decompression-bomb check while opening: this module
    checks sizes itself, after the JPEG reduction PIL does not know about."""
    with _PIL_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _decode_pil(f, label, min_short_side, max_pixels):
    """Decodes with PIL, at reduced size when the format allows it."""
    try:
        with _own_size_checks():
            im = Image.open(f)
    except UnidentifiedImageError:
        raise ImageError(label, "not an image (unrecognized format)") from None
    except Exception as e:
        raise ImageError(label, f"corrupt image header: {_one_line(e)}") from None
    with im:
        width, height = im.size
        if width < 1 or height < 1:
            raise ImageError(label, f"invalid size {width}x{height}")
        _check_source_size(label, width, height)
        if im.format == "JPEG" and min_short_side:
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale: the full-size image
            # is never allocated.
            scale = min(width, height) / min_short_side
            if scale >= 2:
                im.draft(im.mode, (math.ceil(width / scale), math.ceil(height / scale)))
        dw, dh = im.size
        factor = _reduction(dw, dh, min_short_side)
        if dw * dh > max_pixels:
            raise _too_large(label, dw, dh, max_pixels, _draft_note(im, width, height))
        try:
            im.load()
            orientation = _orientation(im)
            bgr = _pil_to_bgr(im, factor)
        except MemoryError:
            raise ImageError(label, f"out of memory decoding {width}x{height} pixels") from None
        except Exception as e:
            raise ImageError(label, f"corrupt or truncated image data: {_one_line(e)}") from None
    return _orient(bgr, orientation)


def _draft_note(im, width, height):
    if im.size != (width, height):
        return f" (reduced from {width}x{height})"
    return ""


def _orientation(im):
    """The EXIF orientation tag (1..8), 1 when absent or unreadable."""
    try:
        value = int(im.getexif().get(0x0112, 1))
    except Exception:  # A broken EXIF block must not lose the image.
        return 1
    return value if 1 <= value <= 8 else 1


def _orient(img, orientation):
    """Applies an EXIF orientation to an (h, w, c) array, like
    PIL.ImageOps.exif_transpose."""
    if orientation == 2:
        img = img[:, ::-1]
    elif orientation == 3:
        img = img[::-1, ::-1]
    elif orientation == 4:
        img = img[::-1]
    elif orientation == 5:
        img = img.transpose(1, 0, 2)
    elif orientation == 6:
        img = np.rot90(img, -1)
    elif orientation == 7:
        img = img[::-1, ::-1].transpose(1, 0, 2)
    elif orientation == 8:
        img = np.rot90(img, 1)
    return np.ascontiguousarray(img)


def _pil_to_bgr(im, factor):
    """Converts a loaded PIL image to BGR on white, box-reduced by `factor`.

    Works in bands of rows so that only the result and one band of
    converted pixels exist beside PIL's own buffer.
    """
    width, height = im.size
    scale = _gray_scale(im)
    out_w, out_h = width // factor, height // factor
    out = np.empty((out_h, out_w, 3), np.uint8)
    rows = max(factor, (_BAND_PIXELS // max(width, 1)) // factor * factor)
    for top in range(0, out_h * factor, rows):
        bottom = min(top + rows, out_h * factor)
        rgb = _band_to_rgb(im.crop((0, top, width, bottom)), scale)  # (rows, width, 3)
        out[top // factor : bottom // factor] = _box_reduce(rgb, factor)[..., ::-1]
    return out


def _gray_scale(im):
    """The factor that maps a 16-bit, integer or float gray image to 0..255
    (PIL's own convert would clip instead); None for other modes."""
    if im.mode.startswith("I;16"):
        return 255.0 / 65535.0
    if im.mode not in ("I", "F"):
        return None
    _, high = im.getextrema()
    if high > 255:
        return 255.0 / 65535.0
    return 255.0 if im.mode == "F" and high <= 1.0 else 1.0


def _band_to_rgb(band, scale):
    """(h, w, 3) uint8 RGB of a PIL image (band), alpha composited on white.

    Args:
      band: a loaded PIL image of any mode.
      scale: `_gray_scale` of the whole image.
    """
    if scale is not None:
        gray = np.clip(np.asarray(band, dtype=np.float32) * scale + 0.5, 0, 255)
        return cv2.cvtColor(gray.astype(np.uint8), cv2.COLOR_GRAY2RGB)
    has_alpha = band.mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        "transparency" in band.info
    )
    if not has_alpha:
        if band.mode != "RGB":
            band = band.convert("RGB")
        return np.asarray(band)
    return _on_white(np.asarray(band.convert("RGBA")))


def _on_white(rgba):
    """Composites (h, w, 4) uint8 RGBA (or BGRA), straight alpha, on white.

    out = rgb * a + 255 * (1 - a) = 255 - (255 - rgb) * a, with one rounding.
    """
    alpha = cv2.cvtColor(cv2.extractChannel(rgba, 3), cv2.COLOR_GRAY2RGB)
    ink = cv2.bitwise_not(cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB))
    return cv2.bitwise_not(cv2.multiply(ink, alpha, scale=1.0 / 255.0))


def _box_reduce(img, factor):
    """Means over factor x factor blocks of (h, w, c) uint8; drops partial
    blocks. (INTER_AREA with an integer factor is exactly the block mean.)"""
    if factor == 1:
        return img
    h, w = img.shape[0] // factor, img.shape[1] // factor
    return cv2.resize(img[: h * factor, : w * factor], (w, h), interpolation=cv2.INTER_AREA)


class _PngStream:
    """Decodes a non-interlaced PNG strip by strip, box-reducing as it goes.

    Only one strip of rows (at most `_STRIP_BYTES` of raw data and
    `_BAND_PIXELS` pixels) and the reduced result are in memory, so a
    20000 x 30000 PNG costs a few tens of MB.

    PNG rows are filtered against the row above them, so a strip cannot be
    decoded alone. Each strip is handed to OpenCV as a PNG of its own whose
    first row is the previous strip's last raw row (filter "none"), with a
    stand-in header that has the real bytes per pixel: OpenCV undoes the
    filters and returns the raw samples. 8-bit and 16-bit gray, RGB and RGBA
    are used as they come; other layouts (palette, gray+alpha, fewer than
    8 bits, transparent color) are wrapped once more in a PNG with the real
    header, no filters, and decoded by PIL.

    Args:
      f: the open file, at any position.
      factor: the integer reduction factor (>= 1).
    """

    # bytes per pixel -> (color type, bit depth, samples) of the stand-in header.
    _RAW_LAYOUT = {1: (0, 8, 1), 2: (0, 16, 1), 3: (2, 8, 3), 4: (6, 8, 4),
                   6: (2, 16, 3), 8: (6, 16, 4)}
    _SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

    def __init__(self, f, factor):
        self.f = f
        self.factor = factor

    def _chunks(self):
        """Yields (type, data) of the chunks this decoder needs.

        Image data (IDAT) comes in pieces of at most `_READ_BYTES` and its
        checksum is verified; other chunks are skipped without reading them,
        so a file made of one gigantic chunk costs no memory either.
        """
        self.f.seek(8)
        while True:
            head = self.f.read(8)
            if len(head) < 8:
                raise EOFError("the file ends before the image data does")
            length, kind = struct.unpack(">I4s", head)
            if length > 1 << 31:
                raise ValueError(f"chunk length {length} is invalid")
            if kind == b"IDAT":
                crc = zlib.crc32(kind)
                left = length
                while left:
                    piece = self.f.read(min(left, _READ_BYTES))
                    if not piece:
                        raise EOFError("the file ends inside the image data")
                    crc = zlib.crc32(piece, crc)
                    left -= len(piece)
                    yield kind, piece
                stored = self.f.read(4)
                if len(stored) == 4 and struct.unpack(">I", stored)[0] != crc:
                    raise ValueError("image data checksum mismatch")
                continue
            if kind in (b"IHDR", b"PLTE", b"tRNS", b"eXIf") and length <= _READ_BYTES:
                data = self.f.read(length)
                if len(data) < length:
                    raise EOFError(f"the file ends inside a {kind.decode('latin-1')} chunk")
                yield kind, data
                self.f.seek(4, io.SEEK_CUR)  # chunk checksum
            elif kind == b"IEND":
                return
            else:
                self.f.seek(length + 4, io.SEEK_CUR)

    def decode(self):
        """Returns the reduced (h, w, 3) BGR image, or a reason string when
        the image is refused."""
        chunks = self._chunks()
        _, ihdr = next(chunks)
        width, height, depth, ctype = struct.unpack(">IIBB", ihdr[:10])
        if ctype not in self._SAMPLES or depth not in (1, 2, 4, 8, 16):
            raise ValueError(f"invalid PNG color type {ctype} / bit depth {depth}")
        if width > _MAX_STREAM_WIDTH:
            return f"too large: {width}x{height} pixels, wider than {_MAX_STREAM_WIDTH}"
        bits = self._SAMPLES[ctype] * depth
        self.bpp = max(1, bits // 8)
        self.row_bytes = (width * bits + 7) // 8
        self.width, self.depth, self.ctype = width, depth, ctype
        self.real_header = ihdr[:13]
        self.extra = []  # PLTE and tRNS chunks, needed to decode the strips.
        strip_rows = max(1, min(_STRIP_BYTES // self.row_bytes, _BAND_PIXELS // width))
        f = self.factor
        out_w, out_h = width // f, height // f
        out = np.empty((out_h, out_w, 3), np.uint8)
        pending = np.zeros((0, out_w, 3), np.float32)  # (rows, out_w, 3) not yet f rows
        inflater = zlib.decompressobj()
        filtered = bytearray()
        stride = self.row_bytes + 1
        prev = None  # The last raw row of the previous strip.
        orientation = 1
        rows_done = 0
        out_row = 0
        for kind, data in chunks:
            if kind in (b"PLTE", b"tRNS"):
                self.extra.append((kind, data))
            elif kind == b"eXIf":
                orientation = _exif_chunk_orientation(data)
            elif kind == b"IDAT":
                view = data
                while rows_done < height:
                    n = min(strip_rows, height - rows_done)
                    piece = inflater.decompress(view, n * stride - len(filtered))
                    view = inflater.unconsumed_tail
                    filtered += piece
                    if len(filtered) < n * stride:
                        if not piece and not view:
                            break  # This chunk is used up: on to the next.
                        continue
                    bgr, prev = self._strip(prev, filtered, n)  # (n, width, 3)
                    filtered.clear()
                    rows_done += n
                    # Columns are averaged here, rows once f of them are in.
                    narrow = cv2.resize(bgr[:, : out_w * f], (out_w, n),
                                        interpolation=cv2.INTER_AREA)
                    pending = np.concatenate([pending, narrow.astype(np.float32)])
                    full = min(len(pending) // f, out_h - out_row)
                    if full:
                        rows = pending[: full * f].reshape(full, f, out_w, 3).mean(axis=1)
                        out[out_row : out_row + full] = rows + 0.5
                        out_row += full
                        pending = pending[full * f :]
                if rows_done == height:
                    break  # Whatever follows the image data is not needed.
            elif kind == b"IEND":
                break
        if rows_done < height:
            return f"truncated image data (got {rows_done} of {height} rows)"
        return _orient(out, orientation)

    def _strip(self, prev, filtered, n):
        """Decodes n filtered rows.

        Returns:
          ((n, width, 3) uint8 BGR on white, (row_bytes,) uint8 last raw row).
        """
        ctype, depth, samples = self._RAW_LAYOUT[self.bpp]
        blocks = [filtered]
        if prev is not None:
            blocks.insert(0, b"\x00" + prev.tobytes())
        rows = n + (prev is not None)
        header = struct.pack(">IIBBBBB", self.row_bytes // self.bpp, rows, depth, ctype, 0, 0, 0)
        png = _png_file(header, blocks)
        arr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
        del png
        if arr is None:
            raise ValueError("corrupt PNG row data")
        arr = arr[rows - n :]
        last = arr[-1:]
        if last.ndim == 3:  # OpenCV returns BGR(A): back to the file's order.
            last = last[..., [2, 1, 0, 3][:samples]]
        if depth == 16:
            last = last.astype(">u2")
        last = np.frombuffer(last.tobytes(), np.uint8)
        simple = (ctype == self.ctype and depth == self.depth and (ctype == 6 or not any(
            kind == b"tRNS" for kind, _ in self.extra)))
        if not simple:
            return self._strip_pil(arr, samples, depth, n), last
        if depth == 16:
            arr = (arr >> 8).astype(np.uint8)
        if ctype == 0:
            return cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR), last
        if ctype == 6:
            return _on_white(arr), last
        return arr, last

    def _strip_pil(self, arr, samples, depth, n):
        """Decodes OpenCV's raw samples of n rows with the real header."""
        if arr.ndim == 3:
            arr = arr[..., [2, 1, 0, 3][:samples]]
        if depth == 16:
            arr = arr.astype(">u2")
        raw = np.frombuffer(arr.tobytes(), np.uint8).reshape(n, self.row_bytes)
        rows = np.concatenate([np.zeros((n, 1), np.uint8), raw], axis=1)
        header = struct.pack(">II", self.width, n) + self.real_header[8:10] + b"\x00\x00\x00"
        with Image.open(io.BytesIO(_png_file(header, [rows.tobytes()], self.extra))) as im:
            im.load()
            scale = 255.0 / 65535.0 if im.mode.startswith("I") else None
            return _band_to_rgb(im, scale)[..., ::-1]


def _png_file(header, blocks, extra=()):
    """A whole PNG file from a 13-byte IHDR body, extra (type, data) chunks
    and blocks of (filtered) row bytes, stored without compression."""

    def chunk(kind, *data):
        crc = zlib.crc32(kind)
        for d in data:
            crc = zlib.crc32(d, crc)
        size = sum(len(d) for d in data)
        return [struct.pack(">I4s", size, kind), *data, struct.pack(">I", crc)]

    store = zlib.compressobj(0)
    idat = [store.compress(block) for block in blocks] + [store.flush()]
    parts = [_PNG_SIGNATURE] + chunk(b"IHDR", header)
    for kind, data in extra:
        parts += chunk(kind, data)
    parts += chunk(b"IDAT", *idat) + chunk(b"IEND")
    return b"".join(parts)


def _exif_chunk_orientation(data):
    """The orientation tag of a PNG eXIf chunk (1 when unreadable)."""
    try:
        exif = Image.Exif()
        exif.load(data)
        value = int(exif.get(0x0112, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


# ------------------------------------------------------------ the pipeline --


def _check_bgr(img, what="image"):
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        raise ColorizeError(f"{what} must be a uint8 numpy array, got {type(img).__name__} "
                            f"{getattr(img, 'dtype', '')}")
    if img.ndim != 3 or img.shape[2] != 3:
        raise ColorizeError(f"{what} must have shape (height, width, 3), got {img.shape}")
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise ColorizeError(f"{what} is empty: shape {img.shape}")


def extract_sketch(bgr):
    """The paper's line sketch and binary sketch of a color image (Fig. 2).

    gray -> d = dilate(erode(gray, 3x3, 2 iterations), 3x3, 4 iterations);
    line = 255 - min(3 |gray - d|, 255); 8x8 box blur; dilate 3x3 once;
    binary = Otsu threshold of line. Dark pixels are lines, white is paper.

    Args:
      bgr: (h, w, 3) uint8 BGR image, or an (h, w) uint8 gray image.

    Returns:
      (line, binary): two (h, w) uint8 arrays; binary holds only 0 and 255.
    """
    if isinstance(bgr, np.ndarray) and bgr.ndim == 2 and bgr.dtype == np.uint8:
        gray = bgr
    else:
        _check_bgr(bgr)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    d = cv2.dilate(cv2.erode(gray, _KERNEL, iterations=2), _KERNEL, iterations=4)
    diff = cv2.convertScaleAbs(cv2.absdiff(gray, d), alpha=3)  # saturates at 255
    line = cv2.blur(255 - diff, (8, 8))
    line = cv2.dilate(line, _KERNEL, iterations=1)
    _, binary = cv2.threshold(line, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return line, binary


def saturation(bgr):
    """Mean HSV saturation of a BGR image on the 0..255 scale."""
    _check_bgr(bgr)
    return float(cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[..., 1].mean())


def is_colorful(bgr, threshold=COLORLESS_THRESHOLD):
    """Whether an image has color: mean HSV saturation (0..255) >= threshold.

    Args:
      bgr: (h, w, 3) uint8 BGR image.
      threshold: the paper's "devoid of colors" limit.

    Returns:
      bool.
    """
    return saturation(bgr) >= threshold


def resize_short_side(bgr, size=SIZE):
    """Resizes so the short side is `size`, keeping the aspect ratio.

    Args:
      bgr: (h, w, c) or (h, w) uint8 image.
      size: the new short side.

    Returns:
      The resized image (INTER_AREA when shrinking, bilinear when growing);
      the image itself when its short side already is `size`.
    """
    h, w = bgr.shape[:2]
    short = min(h, w)
    if short < 1:
        raise ColorizeError(f"cannot resize an empty image of shape {bgr.shape}")
    if short == size:
        return bgr
    scale = size / short
    new_w = size if w == short else max(size, round(w * scale))
    new_h = size if h == short else max(size, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(bgr, (new_w, new_h), interpolation=interpolation)


def window_offsets(length, size=SIZE):
    """Start offsets of the windows that cover a side of `length` pixels.

    There are ceil(length / size) windows, equally spaced from 0 to
    length - size (they overlap unless length is a multiple of size).

    Args:
      length: the long side, >= size.
      size: the window side.

    Returns:
      list of int offsets, increasing, the first 0 and the last length - size.
    """
    if length < size:
        raise ColorizeError(f"a side of {length} px is shorter than the {size} px window")
    count = math.ceil(length / size)
    if count == 1:
        return [0]
    return [round(i * (length - size) / (count - 1)) for i in range(count)]


def crop_windows(img, size=SIZE):
    """The size x size windows along the long side of an image.

    Args:
      img: (h, w, ...) array whose short side is `size` (see
        `resize_short_side`).
      size: the window side.

    Returns:
      list of (size, size, ...) views, in order along the long side.
    """
    h, w = img.shape[:2]
    if min(h, w) != size:
        raise ColorizeError(f"crop_windows needs a short side of {size} px, got {h}x{w}")
    if w >= h:
        return [img[:, o : o + size] for o in window_offsets(w, size)]
    return [img[o : o + size] for o in window_offsets(h, size)]


def prepare_examples(bgr):
    """The whole per-image dataset rule of the paper (section 3.1).

    Too small (short side < SIZE) -> skipped; else resize the short side to
    SIZE, extract the sketches, cut windows along the long side and drop
    colorless windows; skipped as colorless when no window is left.

    Args:
      bgr: (h, w, 3) uint8 BGR image.

    Returns:
      (windows, skip_reason): windows is a list of (color_bgr, line, binary)
      with shapes (SIZE, SIZE, 3), (SIZE, SIZE), (SIZE, SIZE), all uint8 and
      contiguous; skip_reason is None, "too small" or "colorless".
    """
    _check_bgr(bgr)
    if min(bgr.shape[:2]) < SIZE:
        return [], "too small"
    img = resize_short_side(bgr)
    # Sketches of the whole resized image, then cropped: no window-border
    # artifacts from the blur and morphology.
    line, binary = extract_sketch(img)
    windows = []
    for color, l, b in zip(crop_windows(img), crop_windows(line), crop_windows(binary)):
        if is_colorful(color):
            windows.append((np.ascontiguousarray(color), np.ascontiguousarray(l),
                            np.ascontiguousarray(b)))
    if not windows:
        return [], "colorless"
    return windows, None


# ------------------------------------------------------------------ folders --


def find_images(folder):
    """Image files under a folder, recursively, in a stable order.

    Follows symbolic links to folders but never loops; a broken or looping
    link to a file is listed (decoding it reports why it fails).

    Args:
      folder: a local folder.

    Returns:
      sorted list of str paths (sorted by their path relative to `folder`)
      whose names end with one of IMAGE_EXTENSIONS, in any case.

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
        for name in files:
            if name.lower().endswith(IMAGE_EXTENSIONS):
                found.append(os.path.join(root, name))
    return sorted(found, key=lambda p: os.path.relpath(p, folder).split(os.sep))
