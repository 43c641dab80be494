"""A palette's own colors in the output (`inference.palette_snap`): chromatic
pixels take their nearest palette color exactly, grays and white paper
keep theirs, a closed region has one color, the one most of its pixels
took, every named color ends up on some shape, and the bands of a large
image give what one band gives."""

import math

import cv2
import numpy as np
import pytest

from colorize.inference import fullres, palette_snap


def _delta_e(a, b):
    lab = cv2.cvtColor(np.float32([[a, b]]) / 255.0, cv2.COLOR_RGB2Lab)[0]
    return float(np.linalg.norm(lab[0] - lab[1]))


RED, BLUE, GREEN = (224, 48, 32), (32, 80, 192), (48, 160, 64)
PINK, PURPLE, SKIN = (217, 62, 108), (150, 60, 140), (235, 190, 160)  # what the network paints; unnamed
GRAY, CREAM = (128, 126, 124), (250, 249, 244)


def test_chromatic_pixels_take_their_nearest_palette_color_grays_and_paper_keep_theirs():
    color = np.float32([[PINK, SKIN, (40, 70, 180), GRAY, CREAM]])
    out = palette_snap.snap_colors(color.copy(), np.uint8([RED, BLUE, (248, 248, 240)]))
    np.testing.assert_array_equal(out[0, :3], [RED, (248, 248, 240), BLUE])  # the nearest, however far
    assert _delta_e(PINK, RED) > 40
    np.testing.assert_array_equal(out[0, 3:], [GRAY, CREAM])  # a gray; white paper, even beside a near-white color
    # A distance: farther pixels keep their color; 0 changes nothing.
    near = palette_snap.snap_colors(color.copy(), np.uint8([RED, BLUE]), max_distance=_delta_e(PINK, RED) - 0.5)
    np.testing.assert_array_equal(near[0, 0], PINK)
    np.testing.assert_array_equal(near[0, 2], BLUE)
    np.testing.assert_array_equal(palette_snap.snap_colors(color.copy(), np.uint8([RED]), 0.0), color)


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
    with pytest.raises(ValueError, match="lines must be"):
        palette_snap.snap_colors(np.zeros((4, 4, 3), np.float32), np.uint8([RED]), lines=np.zeros((4, 5), np.uint8))


def _boxes():
    """Lines: two boxes side by side on a white page, (60, 130) uint8."""
    lines = np.full((60, 130), 255, np.uint8)
    cv2.rectangle(lines, (5, 5), (60, 55), 0, 2)
    cv2.rectangle(lines, (70, 5), (125, 55), 0, 2)
    return lines


def test_a_closed_region_has_one_color_the_one_most_of_its_pixels_took():
    lines = _boxes()
    color = np.full((60, 130, 3), 255, np.float32)
    color[7:54, 7:59] = PINK  # left box: mostly the red class's pink (-> red) ...
    color[40:50, 7:59] = PURPLE  # ... a blend (-> blue or red) ...
    color[50:54, 7:59] = (40, 70, 180)  # ... a bluish strip (-> blue) ...
    color[20:24, 20:30] = GRAY  # ... and a gray patch: the network's doubt
    color[7:54, 72:124] = PINK  # right box: 40 % red, 35 % blue, 25 % green
    color[26:42, 72:124] = (40, 70, 180)
    color[42:54, 72:124] = (60, 150, 70)
    color[56:60, :64] = PINK  # the page, touching the border: each patch of color is a shape of its own
    color[56:60, 50:64] = (40, 70, 180)
    color[56:60, 68:] = (40, 70, 180)
    color[56:60, 70:76] = GRAY
    palette = np.uint8([RED, BLUE, GREEN])
    out = palette_snap.snap_colors(color.copy(), palette, lines=lines, every_color=False)
    left = out[7:54, 7:59]
    np.testing.assert_array_equal(left, np.broadcast_to(RED, left.shape))
    right = out[8:53, 73:123]  # inside the line barrier: red holds the most
    np.testing.assert_array_equal(right, np.broadcast_to(RED, right.shape))
    np.testing.assert_array_equal(out[58, [5, 55, 72, 110]], [RED, RED, BLUE, BLUE])
    np.testing.assert_array_equal(out[58, 66], 255.0)
    np.testing.assert_array_equal(out[:4], 255.0)  # white paper
    # A near-white blob inside a closed shape mostly of color (the network's smooth color passing
    # near white, a new user's fish) takes the shape's color; in a shape mostly near-white it stays.
    blob = color.copy()
    blob[25:35, 30:45] = CREAM
    out = palette_snap.snap_colors(blob, palette, lines=lines, every_color=False)
    np.testing.assert_array_equal(out[7:54, 7:59], np.broadcast_to(RED, left.shape))
    pale = color.copy()
    pale[7:45, 7:59] = CREAM  # most of the left box
    out = palette_snap.snap_colors(pale, palette, lines=lines, every_color=False)
    np.testing.assert_array_equal(out[[10, 50], 30], [CREAM, BLUE])  # (what is left: blue holds the most)
    # With a share the right box's red (40 %) does not reach, it keeps each pixel's nearest color.
    half = palette_snap.snap_colors(color.copy(), palette, lines=lines, unify_share=0.5, every_color=False)
    np.testing.assert_array_equal(half[7:54, 7:59], left)
    np.testing.assert_array_equal(half[[20, 35, 50], 100], [RED, BLUE, GREEN])
    # A shape the network painted gray (a few pixels near a palette color) stays gray, one gray,
    # and its outline takes no palette color (no rim).
    gray = color.copy()
    gray[7:54, 72:124] = GRAY
    gray[20:22, 90:100] = (110, 100, 130)  # slightly tinted: its mean is still a gray
    gray[7:54, 70:73] = (130, 70, 150)  # the line beside it, painted a purple the fill bled
    out = palette_snap.snap_colors(gray, palette, lines=lines)
    shape = out[8:53, 73:123]
    assert np.ptp(shape.reshape(-1, 3), axis=0).max() == 0 and np.ptp(shape[0, 0]) < 5  # one gray
    np.testing.assert_array_equal(out[30, 71], shape[0, 0])
    # Without the lines, each pixel keeps its own nearest color, and grays stay.
    alone = palette_snap.snap_colors(color.copy(), palette)
    np.testing.assert_array_equal(alone[[52, 22], [30, 25]], [BLUE, GRAY])
    assert palette_snap.Palette(np.zeros(3), palette).snap == math.inf


def test_every_named_color_goes_to_the_shape_it_suits_best():
    lines = _boxes()
    cv2.rectangle(lines, (20, 20), (45, 40), 0, 2)  # a third shape, inside the left box
    color = np.full((60, 130, 3), 255, np.float32)
    color[7:54, 7:59] = PINK  # the left box: red
    color[22:39, 22:44] = PINK  # the inner box: 70 % red, 30 % green
    color[22:27, 22:44] = (60, 150, 70)
    color[7:54, 72:124] = PINK  # the right box: 80 % red, 20 % green
    color[7:16, 72:124] = (60, 150, 70)
    palette = np.uint8([RED, BLUE, GREEN])
    unforced = palette_snap.snap_colors(color.copy(), palette, lines=lines, every_color=False)
    for y, x in ((10, 10), (30, 30), (30, 100)):  # red wins every shape: green goes unused
        np.testing.assert_array_equal(unforced[y, x], RED)
    out = palette_snap.snap_colors(color.copy(), palette, lines=lines)
    # Green goes to the inner box, where it holds the larger share (30 % against 20 %); blue, which
    # no pixel took, to the red shape whose colors were nearer it; red stays on the third.
    np.testing.assert_array_equal(out[30, 30], GREEN)
    taken = {tuple(out[y, x]) for y, x in ((10, 10), (30, 30), (30, 100))}
    assert taken == {RED, GREEN, BLUE}
    nearer = min(((10, 10), (30, 100)), key=lambda p: np.mean([_delta_e(c, BLUE) for c in _colors_of(color, lines, p)]))
    np.testing.assert_array_equal(out[nearer], BLUE)
    # A shape keeps its color when no other shape has it: with one red shape, green stays unused.
    alone = color.copy()
    alone[7:54, 7:59] = 255.0
    alone[22:39, 22:44] = 255.0
    out = palette_snap.snap_colors(alone, palette, lines=lines)
    np.testing.assert_array_equal(out[30, 100], RED)
    # Palettes built by predict use every color.
    assert palette_snap.Palette(np.zeros(3), palette).every_color


def test_a_hinted_shape_neither_shows_a_named_color_nor_is_given_one():
    # As above; a hint in the inner box will cover it with its own color, so green, which it
    # would take, goes to the right box (20 % green) instead, and the left box stays red.
    lines = _boxes()
    cv2.rectangle(lines, (20, 20), (45, 40), 0, 2)
    color = np.full((60, 130, 3), 255, np.float32)
    color[7:54, 7:59] = PINK
    color[22:39, 22:44] = PINK
    color[22:27, 22:44] = (60, 150, 70)
    color[7:54, 72:124] = PINK
    color[7:16, 72:124] = (60, 150, 70)
    palette = np.uint8([RED, BLUE, GREEN])
    plain = palette_snap.snap_colors(color.copy(), palette, lines=lines)
    np.testing.assert_array_equal(plain[30, 30], GREEN)
    assert tuple(plain[30, 100]) != GREEN
    hinted = np.zeros(lines.shape, bool)
    hinted[29:32, 30:33] = True  # a dab in the inner box
    out = palette_snap.snap_colors(color.copy(), palette, lines=lines, hinted=hinted)
    np.testing.assert_array_equal(out[30, 100], GREEN)
    np.testing.assert_array_equal(out[10, 10], RED)


def _colors_of(color, lines, seed):
    """The colors of the pixels of the line-bounded region holding `seed` (y, x)."""
    _, labels, _ = fullres.line_regions(lines)
    return [tuple(int(v) for v in c) for c in color[labels == labels[seed]]]


def test_a_page_without_color_keeps_its_paper_and_grays():
    """Every named color missing and no colored pixel to take one: nothing changes, nothing fails."""
    lines = _boxes()
    page = np.full((60, 130, 3), 255, np.float32)
    page[20:30, 20:30] = GRAY
    out = palette_snap.snap_colors(page.copy(), np.uint8([RED, BLUE]), lines=lines)
    np.testing.assert_array_equal(out[:, :, :][lines > 0], page[lines > 0])
    np.testing.assert_array_equal(out[25, 25], GRAY)
    blank = np.full((60, 130, 3), 255, np.float32)
    np.testing.assert_array_equal(palette_snap.snap_colors(blank.copy(), np.uint8([RED]), lines=lines), blank)
