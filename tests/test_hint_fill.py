"""Line-bounded regions and hinted flood fill (`colorize.inference.hint_fill`) on drawn shapes."""

import cv2
import numpy as np
import pytest

from colorize.errors import ColorizeError
from colorize.evaluation import metrics
from colorize.inference import hint_fill, hint_flood

HINT = (200, 40, 10)
GRAY = 100


def circle_with_gap(size=96, gap=2):
    """A closed circle outline (2 px thick) with a `gap` px break in its
    right side; returns (lines, inside mask, outside mask) where the masks
    are the paper pixels inside and outside the circle."""
    lines = np.full((size, size), 255, np.uint8)
    center, radius = (size // 2, size // 2), size // 3
    cv2.circle(lines, center, radius, 0, 2)
    lines[size // 2 - 1 : size // 2 - 1 + gap, size // 2 + radius - 4 : size // 2 + radius + 4] = 255
    yy, xx = np.mgrid[:size, :size]
    distance = np.hypot(yy - center[1], xx - center[0])
    paper = lines == 255
    return lines, paper & (distance < radius - 2), paper & (distance > radius + 2)


def one_hint(size, y, x, color=HINT, side=1):
    rgb = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), bool)
    mask[y : y + side, x : x + side] = True
    rgb[mask] = color
    return rgb, mask


def test_a_gap_in_the_outline_is_closed_and_the_inside_takes_the_hint_color():
    lines, inside, outside = circle_with_gap(gap=2)
    # The break is real: 2 rows of the outline are paper.
    assert np.all(lines[47:49, 76:84] == 255)
    hint_rgb, hint_mask = one_hint(96, 40, 45)
    rgb = np.full((96, 96, 3), GRAY, np.uint8)
    out = hint_flood.fill_hinted_regions(rgb, lines, hint_rgb, hint_mask)  # default gap: 2 px at 96 px
    assert np.all(out[inside] == HINT)  # the whole inside, exactly the hint color
    assert np.all(out[outside] == GRAY)  # nothing leaked
    # The lines stay: the hinted region (the inside and its half of the
    # outline) is the hint color times lines / 255, black on the ink.
    region = hint_fill.line_regions(lines) == hint_fill.line_regions(lines)[40, 45]
    expected = np.rint(np.array(HINT, np.float64) * lines[region][:, None] / 255.0)
    np.testing.assert_array_equal(out[region], expected)
    assert np.all(out[region & (lines == 0)] == 0) and np.all(out[~region] == GRAY)

    # Without gap closing the region reaches the page border through the
    # break; the second pass (wider gaps, `hint_flood`) keeps the hint inside.
    assert hint_fill.line_regions(lines, gap=0)[40, 45] == hint_fill.line_regions(lines, gap=0)[2, 2]
    kept = hint_flood.fill_hinted_regions(rgb, lines, hint_rgb, hint_mask, gap=0)
    assert np.all(kept[inside] == HINT) and np.all(kept[outside] == GRAY)


def test_regions_cover_every_pixel_and_meet_under_the_lines():
    lines, inside, outside = circle_with_gap(gap=2)
    labels = hint_fill.line_regions(lines)
    assert labels.dtype == np.int32 and labels.shape == lines.shape
    assert set(np.unique(labels).tolist()) == {1, 2}  # inside and outside, nothing unlabeled
    (a,), (b,) = np.unique(labels[inside]), np.unique(labels[outside])
    assert a != b
    # The ring (lines and the gap) splits between the two at its middle.
    ring = ~(inside | outside)
    assert 0.3 < np.mean(labels[ring] == a) < 0.7


def test_a_neck_narrower_than_the_ball_stays_one_region():
    lines = np.full((64, 96), 255, np.uint8)
    cv2.circle(lines, (24, 32), 16, 0, 1)
    cv2.circle(lines, (72, 32), 16, 0, 1)
    lines[31:34, 38:58] = 255  # open both circles into a 3 px wide channel
    cv2.line(lines, (39, 30), (57, 30), 0, 1)
    cv2.line(lines, (39, 34), (57, 34), 0, 1)
    labels = hint_fill.line_regions(lines, gap=4)  # the ball (radius 3) does not pass the neck
    assert labels[32, 24] == labels[32, 48] == labels[32, 72]
    assert labels[2, 2] != labels[32, 24]
    assert labels.max() == 2


def test_a_sharp_corner_of_thick_lines_stays_in_its_region():
    # The README's flower leaf: 8 px lines meeting at a sharp tip. Near the
    # tip the leaf narrows below the ball, so it is seeded twice; the border
    # between the two seeds crosses the thick lines on both sides of the
    # neck, more ink than paper, and a hint left the tip to the network.
    lines = np.full((240, 240), 255, np.uint8)
    leaf = np.array([(30, 30), (70, 130), (200, 110)], np.int32)
    cv2.polylines(lines, [leaf], True, 0, 8, cv2.LINE_AA)
    labels = hint_fill.line_regions(lines, gap=6)
    inside = np.zeros_like(lines)
    cv2.fillPoly(inside, [leaf], 255)
    inside = (inside > 0) & (lines == 255)  # the leaf's paper, up to its tip
    assert len(np.unique(labels[inside])) == 1
    assert labels[2, 2] != labels[inside][0]
    hint_rgb, hint_mask = one_hint(240, 100, 100)
    assert inside[100, 100]
    out = hint_flood.flood_fill_baseline(lines, hint_rgb, hint_mask, gap=6)
    assert (out[inside] == HINT).all(-1).all() and tuple(out[2, 2]) == (255, 255, 255)


def test_an_enclosed_region_smaller_than_the_ball_is_its_own_region():
    lines = np.full((80, 80), 255, np.uint8)
    cv2.circle(lines, (40, 40), 30, 0, 1)
    cv2.circle(lines, (40, 40), 3, 0, 1)  # a pupil, 5 px across inside
    labels = hint_fill.line_regions(lines, gap=6)  # ball radius 4
    assert len({labels[40, 40], labels[40, 55], labels[2, 2]}) == 3
    hint_rgb, hint_mask = one_hint(80, 55, 40)
    out = hint_flood.flood_fill_baseline(lines, hint_rgb, hint_mask, gap=6)
    assert tuple(out[40, 55]) == HINT and tuple(out[40, 40]) == (255, 255, 255)


def test_two_colors_in_one_region_split_it_and_only_hinted_regions_change():
    lines, inside, outside = circle_with_gap(gap=0)  # closed circle
    hint_rgb, hint_mask = one_hint(96, 40, 40, HINT, side=3)  # 9 pixels
    hint_rgb[50, 50], hint_mask[50, 50] = (0, 255, 0), True  # 1 pixel, same region: no vote, a split
    rgb = np.full((96, 96, 3), GRAY, np.uint8)
    out = hint_flood.fill_hinted_regions(rgb, lines, hint_rgb, hint_mask)
    assert np.all(out[outside] == GRAY)
    assert tuple(out[41, 41]) == HINT and tuple(out[50, 50]) == (0, 255, 0)
    assert np.all((out[inside] == HINT).all(-1) | (out[inside] == (0, 255, 0)).all(-1))
    # A hint on the background fills it too (a user may mark it).
    hint_rgb[2, 2], hint_mask[2, 2] = (10, 20, 30), True
    out = hint_flood.fill_hinted_regions(rgb, lines, hint_rgb, hint_mask)
    assert np.all(out[outside] == (10, 20, 30)) and tuple(out[41, 41]) == HINT
    # No hints, or a hint on a line only (ambiguous: ignored): the input, unchanged.
    none = np.zeros((96, 96), bool)
    np.testing.assert_array_equal(hint_flood.fill_hinted_regions(rgb, lines, hint_rgb, none), rgb)
    on_line = np.zeros((96, 96), bool)
    on_line[48, 16] = True
    assert lines[48, 16] == 0
    np.testing.assert_array_equal(hint_flood.fill_hinted_regions(rgb, lines, np.full_like(rgb, 7), on_line), rgb)


def test_blank_paper_and_all_ink():
    assert np.all(hint_fill.line_regions(np.full((20, 30), 255, np.uint8)) == 1)
    ink = np.zeros((20, 30), np.uint8)
    assert np.all(hint_fill.line_regions(ink) == 0)
    hint_rgb, hint_mask = np.full((20, 30, 3), 9, np.uint8), np.ones((20, 30), bool)
    np.testing.assert_array_equal(hint_flood.flood_fill_baseline(ink, hint_rgb, hint_mask), np.zeros((20, 30, 3)))


def flat_illustration(size=64):
    """Lines and a ground truth of flat colors: white background, a red
    disc and a blue square, multiplied by the lines as the paper does."""
    lines = np.full((size, size), 255, np.uint8)
    colors = np.full((size, size, 3), 255, np.uint8)
    cv2.circle(colors, (20, 20), 12, (220, 30, 30), -1)
    cv2.rectangle(colors, (36, 36), (56, 56), (30, 60, 220), -1)
    cv2.circle(lines, (20, 20), 12, 0, 1)
    cv2.rectangle(lines, (36, 36), (56, 56), 0, 1)
    truth = np.rint(colors * (lines[..., None] / 255.0)).astype(np.uint8)
    return lines, truth


def test_baseline_with_the_truths_colors_beats_no_hints():
    lines, truth = flat_illustration()
    no_hints = hint_flood.flood_fill_baseline(lines, np.zeros_like(truth), np.zeros(lines.shape, bool))
    np.testing.assert_array_equal(no_hints, np.repeat(lines[..., None], 3, -1))  # the bare sketch
    before = metrics.psnr(no_hints, truth)
    # One hint per colored region, in the truth's color: the truth exactly.
    hint_rgb, hint_mask = np.zeros_like(truth), np.zeros(lines.shape, bool)
    for y, x in ((20, 20), (46, 46)):
        hint_rgb[y, x], hint_mask[y, x] = truth[y, x], True
    assert metrics.psnr(hint_flood.flood_fill_baseline(lines, hint_rgb, hint_mask), truth) == metrics.PSNR_CAP
    # Simulated hints (patches of the truth's clicked color) raise the PSNR too.
    import tensorflow as tf  # noqa: PLC0415 (the hint simulation is TensorFlow)

    from colorize.data import simulated_hints  # noqa: PLC0415

    # (A patch across a line has a blended color and takes its share of
    # the region it shares with a good one, not outvoted: over 8 draws the
    # median gain is what counts.)
    after = []
    for seed in range(8):
        color, mask = simulated_hints.simulate_hints(tf.constant(truth), tf.constant([seed, 2]), count=5)
        sim_rgb = np.clip(np.rint(color.numpy()), 0, 255).astype(np.uint8)
        after.append(metrics.psnr(hint_flood.flood_fill_baseline(lines, sim_rgb, mask.numpy()[..., 0] > 0.5), truth))
    assert np.median(after) > before + 10.0


def test_bad_inputs_are_one_line_errors():
    lines = np.full((8, 8), 255, np.uint8)
    rgb = np.zeros((8, 8, 3), np.uint8)
    mask = np.zeros((8, 8), bool)
    with pytest.raises(ColorizeError, match="lines must be a"):
        hint_fill.line_regions(lines.astype(np.float32))
    with pytest.raises(ColorizeError, match="gap must be >= 0"):
        hint_fill.line_regions(lines, gap=-1)
    with pytest.raises(ColorizeError, match="rgb must be a"):
        hint_flood.fill_hinted_regions(rgb[:4], lines, rgb, mask)
    with pytest.raises(ColorizeError, match="hint_mask must have shape"):
        hint_flood.fill_hinted_regions(rgb, lines, rgb, mask[:4])


def test_default_gap_scales_with_the_short_side():
    assert hint_fill.default_gap(64, 64) == 2
    assert hint_fill.default_gap(1000, 3000) == 10
    assert hint_fill.default_gap(4000, 4000) == 40
