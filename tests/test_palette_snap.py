"""A palette's own colors in the output (`inference.palette_snap`): colored
pixels near a palette color take it exactly, far ones and white paper keep
theirs, and the bands of a large image give what one band gives."""

import cv2
import numpy as np
import pytest

from colorize.inference import fullres, palette_snap


def _delta_e(a, b):
    lab = cv2.cvtColor(np.float32([[a, b]]) / 255.0, cv2.COLOR_RGB2Lab)[0]
    return float(np.linalg.norm(lab[0] - lab[1]))


RED, BLUE = (224, 48, 32), (32, 80, 192)


def test_near_colors_take_the_palettes_far_ones_and_paper_keep_theirs():
    reddish = (230, 70, 60)
    green = (40, 180, 60)
    cream = (250, 249, 244)  # white paper, even beside a near-white palette color
    assert _delta_e(reddish, RED) < palette_snap.SNAP_DELTA_E < _delta_e(green, RED)
    assert _delta_e((40, 70, 180), BLUE) < palette_snap.SNAP_DELTA_E
    color = np.float32([[reddish, green, cream, (40, 70, 180)]])
    out = palette_snap.snap_colors(color.copy(), np.uint8([RED, BLUE, (248, 248, 240)]))
    np.testing.assert_array_equal(out[0, 0], RED)
    np.testing.assert_array_equal(out[0, 1], green)
    np.testing.assert_array_equal(out[0, 2], cream)
    np.testing.assert_array_equal(out[0, 3], BLUE)  # the nearest of the palette's colors
    # A distance of 0 snaps nothing; a pixel just beyond the distance keeps its color.
    np.testing.assert_array_equal(palette_snap.snap_colors(color.copy(), np.uint8([RED]), 0.0), color)
    beyond = _delta_e(reddish, RED) - 0.5
    np.testing.assert_array_equal(palette_snap.snap_colors(color.copy(), np.uint8([RED]), beyond)[0, 0], reddish)


def test_bands_give_what_one_band_gives(monkeypatch):
    rng = np.random.default_rng(0)
    color = rng.uniform(0, 255, (300, 200, 3)).astype(np.float32)
    palette = rng.integers(0, 256, (5, 3)).astype(np.uint8)
    whole = palette_snap.snap_colors(color.copy(), palette, 30.0)
    assert 0 < np.mean(np.all(whole != color, axis=-1)) < 1  # some pixels moved, not all
    monkeypatch.setattr(fullres, "BAND_PIXELS", 4000)  # 20 rows a band
    np.testing.assert_array_equal(palette_snap.snap_colors(color.copy(), palette, 30.0), whole)


def test_bad_arrays_are_refused():
    with pytest.raises(ValueError, match="float32"):
        palette_snap.snap_colors(np.zeros((4, 4, 3), np.uint8), np.uint8([RED]))
    with pytest.raises(ValueError, match="n >= 1"):
        palette_snap.snap_colors(np.zeros((4, 4, 3), np.float32), np.zeros((0, 3), np.uint8))
