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
