"""Color spaces and the paper's quantization grid, in `keras.ops`.

sRGB <-> CIE-Lab (D65, 2 degree observer) <-> CIE-LCH, with the constants of
`skimage.color` (so the two agree to float32 precision), for tensors of any
leading shape `(..., 3)`.

The classification variants quantize each channel, on a 0..255 scale, into
`NUM_BINS = 8` bins of width `BIN_WIDTH = 32`; a pixel's class is
`q = b0 + 8 * b1 + 64 * b2` (`NUM_CLASSES = 512`). The scale is the paper's:

- `"rgb"`: `(R, G, B) * 255`.
- `"lch"`: `(L * 255 / 100, min(C, 100) * 255 / 100, h * 255 / (2 pi))`
  with the hue `h` in radians in `[0, 2 pi)`. The hue is circular: bin 7 and
  bin 0 are neighbours. Because the paper maps a full turn onto 255 (not 256),
  hue bin 7 covers 224..255, 31/32 of a normal bin; we keep the paper's scale
  so that our classes are the paper's classes.

Channel 1 of the LCH grid is the chroma (saturation) channel; the saturation
loss compares chroma bins (`chroma_bins`).
"""

import functools
import math

import numpy as np
import skimage.color
from keras import ops

from colorize.errors import ColorizeError

SPACES = ("rgb", "lch")
NUM_BINS = 8
NUM_CLASSES = NUM_BINS**3  # 512
BIN_WIDTH = 32.0

TWO_PI = 2.0 * math.pi
# Chroma is clipped here before scaling: sRGB colors reach C ~ 134, but few
# pixels are that saturated, and the paper spends the bins on 0..100.
MAX_CHROMA = 100.0

# sRGB (linear) -> CIE XYZ, and the D65 2-degree white point: the values of
# skimage.color (which follow the sRGB specification).
_XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
_RGB_FROM_XYZ = np.linalg.inv(_XYZ_FROM_RGB)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])

# CIE Lab companding thresholds (as in skimage.color): (6/29)^3 and 6/29.
_LAB_EPS = 0.008856
_LAB_KAPPA = 7.787
_LAB_F_EPS = 0.2068966


def check_space(space):
    """Returns `space` if it is one of `SPACES`, else raises ColorizeError.

    Args:
        space: the name of a color space.

    Returns:
        `space`, unchanged.
    """
    if space not in SPACES:
        raise ColorizeError(f"unknown color space {space!r}; expected one of {', '.join(SPACES)}")
    return space


def _f32(x):
    return ops.cast(x, "float32")


def _matvec(x, matrix):
    """Applies a 3x3 matrix to the last axis: `(..., 3) -> (..., 3)`."""
    return ops.matmul(x, ops.convert_to_tensor(matrix.T.astype("float32")))


def rgb_to_lab(rgb):
    """Converts sRGB to CIE-Lab (D65).

    Args:
        rgb: (..., 3) sRGB values in [0, 1].

    Returns:
        (..., 3) float32 `(L, a, b)`, L in 0..100.
    """
    rgb = _f32(rgb)
    # Inverse sRGB gamma. The clamp keeps the unused branch of `where` free of
    # NaN (negative base to a fractional power), which would poison gradients.
    linear = ops.where(
        rgb > 0.04045,
        ops.power((ops.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4),
        rgb / 12.92,
    )
    xyz = _matvec(linear, _XYZ_FROM_RGB) / _WHITE_D65.astype("float32")
    f = ops.where(
        xyz > _LAB_EPS,
        ops.power(ops.maximum(xyz, _LAB_EPS), 1.0 / 3.0),
        _LAB_KAPPA * xyz + 16.0 / 116.0,
    )
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return ops.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_rgb(lab):
    """Converts CIE-Lab (D65) to sRGB, clipping out-of-gamut colors.

    Args:
        lab: (..., 3) `(L, a, b)`.

    Returns:
        (..., 3) float32 sRGB in [0, 1].
    """
    lab = _f32(lab)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = lab[..., 1] / 500.0 + fy
    # A negative z has no color; skimage clips it to 0 as well.
    fz = ops.maximum(fy - lab[..., 2] / 200.0, 0.0)
    f = ops.stack([fx, fy, fz], axis=-1)
    xyz = ops.where(f > _LAB_F_EPS, ops.power(f, 3.0), (f - 16.0 / 116.0) / _LAB_KAPPA) * _WHITE_D65.astype("float32")
    linear = _matvec(xyz, _RGB_FROM_XYZ)
    rgb = ops.where(
        linear > 0.0031308,
        1.055 * ops.power(ops.maximum(linear, 0.0031308), 1.0 / 2.4) - 0.055,
        12.92 * linear,
    )
    return ops.clip(rgb, 0.0, 1.0)


def lab_to_lch(lab):
    """Converts CIE-Lab to CIE-LCH (the polar form of Lab).

    Args:
        lab: (..., 3) `(L, a, b)`.

    Returns:
        (..., 3) float32 `(L, C, h)`, chroma C >= 0, hue h in radians in
        [0, 2 pi).
    """
    lab = _f32(lab)
    a, b = lab[..., 1], lab[..., 2]
    # The floor keeps the gradient of sqrt finite on gray pixels (C = 0); it
    # shifts C by at most 1e-6.
    chroma = ops.sqrt(ops.maximum(a * a + b * b, 1e-12))
    hue = ops.arctan2(b, a)
    hue = ops.where(hue < 0.0, hue + TWO_PI, hue)
    # -1e-8 + 2 pi rounds to 2 pi in float32; fold it back into [0, 2 pi).
    hue = ops.where(hue >= TWO_PI, hue - TWO_PI, hue)
    return ops.stack([lab[..., 0], chroma, hue], axis=-1)


def lch_to_lab(lch):
    """Converts CIE-LCH to CIE-Lab.

    Args:
        lch: (..., 3) `(L, C, h)`, h in radians (any range).

    Returns:
        (..., 3) float32 `(L, a, b)`.
    """
    lch = _f32(lch)
    chroma, hue = lch[..., 1], lch[..., 2]
    return ops.stack([lch[..., 0], chroma * ops.cos(hue), chroma * ops.sin(hue)], axis=-1)


def rgb_to_lch(rgb):
    """Converts sRGB in [0, 1] to CIE-LCH `(L, C, h)`; see `lab_to_lch`.

    Args:
        rgb: (..., 3) sRGB in [0, 1].

    Returns:
        (..., 3) float32 `(L, C, h)`.
    """
    return lab_to_lch(rgb_to_lab(rgb))


def lch_to_rgb(lch):
    """Converts CIE-LCH to sRGB in [0, 1] (clipped); see `lab_to_rgb`.

    Args:
        lch: (..., 3) `(L, C, h)`.

    Returns:
        (..., 3) float32 sRGB in [0, 1].
    """
    return lab_to_rgb(lch_to_lab(lch))


def to_scaled(rgb, space):
    """Maps sRGB to the paper's 0..255 channel scale of a color space.

    Args:
        rgb: (..., 3) sRGB in [0, 1].
        space: "rgb" or "lch".

    Returns:
        (..., 3) float32 channel values on the 0..255 scale (see module doc).
    """
    check_space(space)
    rgb = _f32(rgb)
    if space == "rgb":
        return rgb * 255.0
    lch = rgb_to_lch(rgb)
    return ops.stack(
        [
            lch[..., 0] * (255.0 / 100.0),
            ops.minimum(lch[..., 1], MAX_CHROMA) * (255.0 / MAX_CHROMA),
            lch[..., 2] * (255.0 / TWO_PI),
        ],
        axis=-1,
    )


def from_scaled(scaled, space):
    """Inverse of `to_scaled` (chroma above 100 stays clipped).

    Args:
        scaled: (..., 3) channel values on the 0..255 scale of `space`.
        space: "rgb" or "lch".

    Returns:
        (..., 3) float32 sRGB in [0, 1].
    """
    check_space(space)
    scaled = _f32(scaled)
    if space == "rgb":
        return ops.clip(scaled / 255.0, 0.0, 1.0)
    lch = ops.stack(
        [
            scaled[..., 0] * (100.0 / 255.0),
            scaled[..., 1] * (MAX_CHROMA / 255.0),
            scaled[..., 2] * (TWO_PI / 255.0),
        ],
        axis=-1,
    )
    return lch_to_rgb(lch)


def channel_bins(scaled):
    """Bin of each channel: `clip(floor(v / 32), 0, 7)`.

    Args:
        scaled: (..., 3) values on the 0..255 scale.

    Returns:
        (..., 3) int32 bins in 0..7.
    """
    bins = ops.floor(_f32(scaled) / BIN_WIDTH)
    return ops.cast(ops.clip(bins, 0.0, NUM_BINS - 1.0), "int32")


def class_index(scaled):
    """Class of each pixel: `q = b0 + 8 * b1 + 64 * b2`.

    Args:
        scaled: (..., 3) values on the 0..255 scale.

    Returns:
        (...) int32 class indices in 0..511.
    """
    bins = channel_bins(scaled)
    return bins[..., 0] + NUM_BINS * bins[..., 1] + NUM_BINS**2 * bins[..., 2]


def class_bins():
    """The per-channel bins `(b0, b1, b2)` of every class.

    Returns:
        np.ndarray (512, 3) int32; row q holds the bins of class q.
    """
    q = np.arange(NUM_CLASSES)
    return np.stack([q % NUM_BINS, (q // NUM_BINS) % NUM_BINS, q // NUM_BINS**2], axis=-1).astype("int32")


def bin_centers(space):
    """Centre of every class on the 0..255 scale: `32 * b + 16` per channel.

    The grid is the same for both spaces (only the meaning of the scale
    differs); `space` is checked so that callers state which one they mean.

    Args:
        space: "rgb" or "lch".

    Returns:
        np.ndarray (512, 3) float32.
    """
    check_space(space)
    return (class_bins() * BIN_WIDTH + BIN_WIDTH / 2).astype("float32")


@functools.cache
def _lch_class_bins(space):
    """(512, 3) int32: the LCH grid's bins of every class (for "rgb", of its centre color)."""
    if space == "lch":
        return class_bins()
    # RGB classes have no chroma or hue axis; use the LCH bins of each class's
    # centre color, so that "same saturation" and "same hue" mean the same as in
    # LCH. This is a constant table, so it is computed in NumPy (skimage uses
    # the same constants as `rgb_to_lch`); a graph op here would break under tracing.
    lch = skimage.color.lab2lch(skimage.color.rgb2lab(bin_centers("rgb") / 255.0))
    scaled = np.stack(
        [
            lch[:, 0] * (255.0 / 100.0),
            np.minimum(lch[:, 1], MAX_CHROMA) * (255.0 / MAX_CHROMA),
            lch[:, 2] * (255.0 / TWO_PI),
        ],
        axis=-1,
    )
    return np.clip(np.floor(scaled / BIN_WIDTH), 0, NUM_BINS - 1).astype("int32")


def chroma_bins(space):
    """The chroma (saturation) bin, 0..7, of every class.

    For "lch" it is the class's channel-1 bin `b1`. For "rgb" it is the LCH
    chroma bin of the class's centre color (`bin_centers("rgb") / 255`), so
    the saturation matrix is defined for both grids.

    Args:
        space: "rgb" or "lch".

    Returns:
        np.ndarray (512,) int32.
    """
    check_space(space)
    return _lch_class_bins(space)[:, 1].copy()


def hue_bins(space):
    """The hue bin, 0..7 (45 degrees each, the LCH grid's channel 2), of every class.

    For "lch" it is the class's channel-2 bin `b2`; for "rgb" the LCH hue
    bin of the class's centre color, as in `chroma_bins`. A class whose
    chroma bin is 0 has a hue bin too, though its hue means little.

    Args:
        space: "rgb" or "lch".

    Returns:
        np.ndarray (512,) int32.
    """
    check_space(space)
    return _lch_class_bins(space)[:, 2].copy()
