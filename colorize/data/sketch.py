"""The paper's data pipeline on numpy images: filter, resize, window, sketch.

Inoue, "Line Drawing Colorization", section 3.1 and Fig. 2: colored
illustrations whose short side is under 256 px or that are "devoid of colors"
are dropped; the rest are resized so the short side is 256 px, cut into
256x256 sliding windows along the long side, and each window's line sketch is
extracted with OpenCV (erode/dilate difference, box blur, dilate) and
binarized with Otsu's threshold.

Images are BGR uint8 arrays (OpenCV's order) everywhere in this module;
`colorize.data.images.load_image` decodes files into them.
"""

import math

import cv2
import numpy as np

from colorize.errors import ColorizeError

SIZE = 256
"""Side of the square windows the network trains on (the paper's 256 px)."""

COLORLESS_THRESHOLD = 20
"""A window whose mean HSV saturation (0..255) is below this is colorless."""

_KERNEL = np.ones((3, 3), np.uint8)


# ------------------------------------------------------------ the pipeline --


def _check_bgr(img, what="image"):
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        raise ColorizeError(f"{what} must be a uint8 numpy array, got {type(img).__name__} {getattr(img, 'dtype', '')}")
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
    for color, line_window, binary_window in zip(
        crop_windows(img), crop_windows(line), crop_windows(binary), strict=True
    ):
        if is_colorful(color):
            windows.append(
                (np.ascontiguousarray(color), np.ascontiguousarray(line_window), np.ascontiguousarray(binary_window))
            )
    if not windows:
        return [], "colorless"
    return windows, None


CONTENT_MARGIN = 0.06
"""Margin kept around a drawing's content by `trim_to_content`, as a share of its larger side."""

PAPER_LEVEL = 245
"""A pixel with every channel at or above this is paper (`trim_to_content`)."""


def trim_to_content(bgr, line=None, margin=CONTENT_MARGIN):
    """Crops a drawing to a square around its content, on white paper.

    Emoji and icons are drawn in the middle of a wide empty canvas; the
    paper's windows would then be mostly margin (and dropped as colorless).
    The square is centred on the bounding box of the pixels that are not
    paper (in either image), `margin` wider on each side than its larger
    side, and padded with white where it leaves the canvas.

    Args:
      bgr: (h, w, 3) uint8 color image.
      line: optional (h, w) uint8 line art of the same drawing, cropped alike.
      margin: share of the content's larger side kept on each side.

    Returns:
      (bgr, line): the crops (line None when not given), or the inputs
      unchanged when the image holds nothing but paper.
    """
    _check_bgr(bgr)
    ink = (bgr < PAPER_LEVEL).any(-1)
    if line is not None:
        if line.shape != bgr.shape[:2]:
            raise ColorizeError(f"line art of shape {line.shape} does not match the color image {bgr.shape[:2]}")
        ink |= line < PAPER_LEVEL
    if not ink.any():
        return bgr, line
    ys, xs = np.nonzero(ink)
    side = int(round(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) * (1 + 2 * margin)))
    top = int(round((ys.min() + ys.max() + 1 - side) / 2))
    left = int(round((xs.min() + xs.max() + 1 - side) / 2))

    def crop(img, fill):
        out = np.full((side, side, *img.shape[2:]), fill, np.uint8)
        h, w = img.shape[:2]
        y0, x0, y1, x1 = max(0, top), max(0, left), min(h, top + side), min(w, left + side)
        out[y0 - top : y1 - top, x0 - left : x1 - left] = img[y0:y1, x0:x1]
        return out

    return crop(bgr, 255), (None if line is None else crop(line, 255))


def prepare_pair_examples(bgr, line=None):
    """`prepare_examples` for drawings on a wide canvas, with the artist's
    line art where it exists.

    Both images are trimmed to their content (`trim_to_content`), resized
    alike to a SIZE short side (enlarged when the content is smaller) and
    cut into the same windows. The line sketch is the line art itself
    (gray, anti-aliased) and the binary one its Otsu threshold; without line
    art, the paper's extraction of the trimmed drawing. Too small means the
    canvas's short side is under SIZE, as in the paper; colorless windows
    (by the color image) are dropped.

    Args:
      bgr: (h, w, 3) uint8 BGR color image.
      line: optional (h, w) uint8 line art (dark lines on white) of the same drawing.

    Returns:
      As `prepare_examples`.
    """
    _check_bgr(bgr)
    if min(bgr.shape[:2]) < SIZE:
        return [], "too small"
    bgr, line = trim_to_content(bgr, line)
    img = resize_short_side(bgr)
    if line is None:
        line, binary = extract_sketch(img)
    else:
        h, w = img.shape[:2]
        interpolation = cv2.INTER_AREA if line.shape[0] > h else cv2.INTER_LINEAR
        line = cv2.resize(line, (w, h), interpolation=interpolation)
        _, binary = cv2.threshold(line, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    windows = []
    for color, line_window, binary_window in zip(
        crop_windows(img), crop_windows(line), crop_windows(binary), strict=True
    ):
        if is_colorful(color):
            windows.append(
                (np.ascontiguousarray(color), np.ascontiguousarray(line_window), np.ascontiguousarray(binary_window))
            )
    if not windows:
        return [], "colorless"
    return windows, None
