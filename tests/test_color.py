"""Tests for colorize/nets/color.py: conversions against scikit-image, the grid."""

import importlib.util
import math
import os
import warnings

import numpy as np
import pytest
import skimage.color
from keras import ops

from colorize.errors import ColorizeError
from colorize.nets import color

import helpers


def _np(x):
    return ops.convert_to_numpy(x).astype("float64")


def _test_colors():
    """Thousands of random sRGB colors plus the cube's edges and corners."""
    rng = np.random.default_rng(0)
    random = rng.random((3000, 3))
    steps = np.linspace(0.0, 1.0, 16)
    grid = np.stack(np.meshgrid(steps, steps, steps), axis=-1).reshape(-1, 3)
    edges = np.array(
        [
            [0, 0, 0],  # black
            [1, 1, 1],  # white
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
            [1, 1, 0],
            [0, 1, 1],
            [1, 0, 1],
            [0.5, 0.5, 0.5],
            [0.04045, 0.04045, 0.04045],  # the sRGB gamma kink
            [0.03, 0.0, 0.0],  # below the kink, near Lab's linear segment
            [1.0, 0.0, 0.5],  # hue just below 2 pi (b < 0, a > 0)
            [1.0, 0.05, 0.0],  # hue near 0 from above
        ]
    )
    return np.concatenate([random, grid, edges])


def test_rgb_to_lab_matches_skimage():
    rgb = _test_colors()
    ours = _np(color.rgb_to_lab(rgb.astype("float32")))
    assert ours.shape == rgb.shape
    assert np.abs(ours - skimage.color.rgb2lab(rgb)).max() < 0.01  # Lab units


def test_lab_to_lch_matches_skimage_with_hue_in_range():
    lab = skimage.color.rgb2lab(_test_colors())
    # Hue right at the wrap: b = +-1e-4 gives h = 1e-6 and 2 pi - 1e-6.
    lab = np.concatenate([lab, [[50.0, 30.0, 1e-4], [50.0, 30.0, -1e-4]]])
    ours = _np(color.lab_to_lch(lab.astype("float32")))
    ref = skimage.color.lab2lch(lab)
    np.testing.assert_allclose(ours[:, :2], ref[:, :2], atol=1e-3)
    # Hue error as a Lab distance: the chord 2 C sin(dh / 2).
    chord = 2 * ref[:, 1] * np.abs(np.sin((ours[:, 2] - ref[:, 2]) / 2))
    assert chord.max() < 0.01
    assert ours[:, 2].min() >= 0.0 and ours[:, 2].max() < 2 * math.pi
    assert ours[-2, 2] < 1e-3 and ours[-1, 2] > 2 * math.pi - 1e-3


def test_lch_to_rgb_matches_skimage_including_out_of_gamut():
    rng = np.random.default_rng(1)
    lch = np.stack(
        [rng.uniform(0, 100, 3000), rng.uniform(0, 130, 3000), rng.uniform(0, 7, 3000)],
        axis=-1,
    )
    lab = skimage.color.lch2lab(lch)
    np.testing.assert_allclose(_np(color.lch_to_lab(lch.astype("float32"))), lab, atol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skimage warns on negative Z
        ref = skimage.color.lab2rgb(lab)
    ours = _np(color.lch_to_rgb(lch.astype("float32")))
    assert ours.min() >= 0.0 and ours.max() <= 1.0
    assert np.abs(ours - ref).max() < 1e-3


def test_rgb_lch_rgb_round_trip_within_one_level():
    rgb = _test_colors()
    back = _np(color.lch_to_rgb(color.rgb_to_lch(rgb.astype("float32"))))
    assert np.abs(back - rgb).max() < 1.0 / 255.0


def test_conversions_keep_any_leading_shape():
    rgb = np.random.default_rng(2).random((2, 5, 7, 3)).astype("float32")
    lch = color.rgb_to_lch(rgb)
    assert tuple(lch.shape) == (2, 5, 7, 3)
    flat = _np(color.rgb_to_lch(rgb.reshape(-1, 3)))
    np.testing.assert_allclose(_np(lch).reshape(-1, 3), flat, atol=1e-5)


def test_to_scaled_golden_values():
    # Pure red is Lab (53.2408, 80.0925, 67.2032): C = 104.55 > 100 is clipped
    # to 100 -> 255; h = atan2(67.2032, 80.0925) = 0.69777 rad -> 28.32.
    red = _np(color.to_scaled(np.array([1.0, 0.0, 0.0], "float32"), "lch"))
    np.testing.assert_allclose(red, [53.2408 * 2.55, 255.0, 0.69777 * 255 / (2 * math.pi)], atol=0.02)
    white = _np(color.to_scaled(np.array([1.0, 1.0, 1.0], "float32"), "lch"))
    # skimage's matrix leaves white at C = 0.012 (not exactly gray).
    np.testing.assert_allclose(white[:2], [255.0, 0.0], atol=0.05)
    rgb = _np(color.to_scaled(np.array([0.2, 0.4, 1.0], "float32"), "rgb"))
    np.testing.assert_allclose(rgb, [51.0, 102.0, 255.0], atol=1e-4)


def test_from_scaled_inverts_to_scaled():
    rgb = _test_colors().astype("float32")
    for space in color.SPACES:
        scaled = color.to_scaled(rgb, space)
        back = _np(color.from_scaled(scaled, space))
        # Colors with chroma above 100 lose chroma to the clip; skip them.
        keep = _np(color.rgb_to_lch(rgb))[:, 1] <= 100.0
        assert keep.sum() > 1500
        assert np.abs(back - rgb)[keep].max() < 1.0 / 255.0, space


def test_class_index_golden_values():
    scaled = np.array(
        [
            [0.0, 0.0, 0.0],  # bins (0, 0, 0) -> 0
            [255.0, 255.0, 255.0],  # (7, 7, 7) -> 7 + 56 + 448 = 511
            [31.9, 32.0, 64.0],  # (0, 1, 2) -> 0 + 8 + 128 = 136
            [300.0, -5.0, 100.0],  # clipped: (7, 0, 3) -> 7 + 0 + 192 = 199
        ],
        "float32",
    )
    q = ops.convert_to_numpy(color.class_index(scaled))
    assert q.dtype == np.int32
    assert q.tolist() == [0, 511, 136, 199]


def test_bin_centers_and_class_index_round_trip():
    for space in color.SPACES:
        centres = color.bin_centers(space)
        assert centres.shape == (512, 3)
        np.testing.assert_array_equal(centres[136], [16.0, 48.0, 80.0])
        q = ops.convert_to_numpy(color.class_index(centres))
        np.testing.assert_array_equal(q, np.arange(512))


def test_chroma_bins():
    q = np.arange(512)
    np.testing.assert_array_equal(color.chroma_bins("lch"), (q // 8) % 8)
    # RGB: the LCH chroma bin of each class's centre color, computed here
    # through our own conversion (the module uses scikit-image).
    centres = color.bin_centers("rgb") / 255.0
    chroma = _np(color.to_scaled(centres.astype("float32"), "lch"))[:, 1]
    expected = np.clip(np.floor(chroma / 32.0), 0, 7)
    np.testing.assert_array_equal(color.chroma_bins("rgb"), expected)
    gray = [b + 8 * b + 64 * b for b in range(8)]
    assert (color.chroma_bins("rgb")[gray] == 0).all()
    assert color.chroma_bins("rgb")[7] >= 6  # centre (240, 16, 16): red


def test_unknown_space_is_a_clear_error():
    with pytest.raises(ColorizeError, match="unknown color space 'hsv'"):
        color.to_scaled(np.zeros((1, 3), "float32"), "hsv")
    with pytest.raises(ColorizeError):
        color.chroma_bins("lab")


MY_TESTS = [f"tests/test_{name}.py" for name in ("color", "targets", "losses", "annealed_mean")]


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") == "jax", reason="already running under jax")
def test_core_math_passes_under_jax():
    """Reruns the color, target, loss and layer tests with KERAS_BACKEND=jax
    (TensorFlow-only tests skip themselves there). JAX is pinned in
    requirements.txt: a missing JAX fails here, it does not skip."""
    assert importlib.util.find_spec("jax") is not None, "jax is not installed (pip install -r requirements.txt)"
    result = helpers.run_python(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", *MY_TESTS],
        environ=helpers.env(KERAS_BACKEND="jax"),
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
