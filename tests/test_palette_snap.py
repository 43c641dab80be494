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


def _boxes():
    """Lines: two boxes side by side on a white page, (60, 130) uint8."""
    lines = np.full((60, 130), 255, np.uint8)
    cv2.rectangle(lines, (5, 5), (60, 55), 0, 2)
    cv2.rectangle(lines, (70, 5), (125, 55), 0, 2)
    return lines


def test_a_region_mostly_of_palette_colors_is_made_all_of_them():
    lines = _boxes()
    purple, skin = (130, 60, 120), (235, 190, 160)  # a blend of red and blue; a color the palette does not name
    color = np.full((60, 130, 3), 255, np.float32)
    color[7:54, 7:59] = (230, 70, 60)  # left box: reddish (snaps to red) ...
    color[40:54, 7:59] = purple  # ... with a blend at its bottom, nearer blue below
    color[50:54, 7:59] = (40, 70, 180)  # bluish: snaps to blue
    color[7:54, 72:124] = skin  # right box: skin ...
    color[7:20, 72:124] = (230, 70, 60)  # ... under a reddish band: a minority
    assert _delta_e(purple, RED) > palette_snap.SNAP_DELTA_E and _delta_e(purple, BLUE) > palette_snap.SNAP_DELTA_E
    assert _delta_e(skin, RED) > palette_snap.SNAP_DELTA_E
    out = palette_snap.snap_colors(color.copy(), np.uint8([RED, BLUE]), lines=lines)
    left = out[7:54, 7:59]
    # The blend (rows 40-49) took the nearest palette pixel's color: red down to row 44, blue from row 45.
    np.testing.assert_array_equal(left[:38], np.broadcast_to(RED, left[:38].shape))
    np.testing.assert_array_equal(left[38:], np.broadcast_to(BLUE, left[38:].shape))
    right = out[7:54, 72:124]
    np.testing.assert_array_equal(right[:13], np.broadcast_to(RED, right[:13].shape))
    np.testing.assert_array_equal(right[13:], np.broadcast_to(skin, right[13:].shape))  # the region keeps its skin
    np.testing.assert_array_equal(out[57:], 255.0)  # the page
    # Without the lines (or with the fill off) the blend stays.
    alone = palette_snap.snap_colors(color.copy(), np.uint8([RED, BLUE]))
    np.testing.assert_array_equal(alone[45, 30], purple)
    off = palette_snap.snap_colors(color.copy(), np.uint8([RED, BLUE]), lines=lines, fill_share=2.0)
    np.testing.assert_array_equal(off[45, 30], purple)
