"""Simulated color hints: the count distribution, exact patch colors,
patches inside the image, the bias toward colored pixels, and seeds."""

import numpy as np
import pytest
import tensorflow as tf

from colorize.data import simulated_hints


def _image(h=48, w=40, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)


def _counts(n, seed=0, **kwargs):
    ds = tf.data.Dataset.range(n).map(
        lambda i: simulated_hints.sample_count(simulated_hints.example_seed(seed, i), **kwargs)
    )
    return next(iter(ds.batch(n))).numpy()


def test_count_is_geometric_with_a_share_of_none():
    n = 20000
    counts = _counts(n)
    p, none = simulated_hints.GEOMETRIC_P, simulated_hints.NONE_SHARE
    # Tolerances: 5 standard errors of each estimate at this sample size.
    zero = np.mean(counts == 0)
    assert abs(zero - none) < 5 * np.sqrt(none * (1 - none) / n)
    some = counts[counts > 0]
    # 1 + Geometric(p): mean 1 / p = 8, variance (1 - p) / p^2 = 56 (the cap at
    # 64 moves the mean by < 64 * (7/8)^64 = 1e-2, a fifth of the tolerance).
    assert abs(some.mean() - 1 / p) < 5 * np.sqrt((1 - p) / p**2 / some.size)
    assert abs(np.mean(some == 1) - p) < 5 * np.sqrt(p * (1 - p) / some.size)
    assert abs(np.mean(some == 2) - (1 - p) * p) < 5 * np.sqrt(p * (1 - p) / some.size)
    assert counts.max() <= simulated_hints.MAX_HINTS and counts.min() == 0
    # The configurable share and p: none at all, or always exactly one.
    assert np.all(_counts(200, none_share=1.0) == 0)
    assert np.all(_counts(200, none_share=0.0, p=1.0) == 1)


def test_patch_colors_are_the_clicked_colors_mean_exactly_and_later_patches_win():
    img = _image()
    points = simulated_hints.sample_hints(tf.constant(img), simulated_hints.example_seed(3, 7), count=30, max_side=5)
    top, left, side, rgb, valid = (points[k].numpy() for k in ("top", "left", "side", "rgb", "valid"))
    ys, xs = points["y"].numpy(), points["x"].numpy()
    assert valid.sum() == 30 and rgb.dtype == np.float32
    for y, x, s, c, cy, cx in zip(top, left, side, rgb, ys, xs, strict=True):
        assert y <= cy < y + s and x <= cx < x + s  # the click is inside its patch
        patch = img[y : y + s, x : x + s].astype(np.int64).reshape(-1, 3)
        close = np.all(np.abs(patch - img[cy, cx]) <= simulated_hints.STROKE_TOLERANCE, -1)
        # Integer sums divided once in float32: the same rounding as the graph.
        expected = patch[close].sum(0).astype(np.float32) / np.float32(close.sum())
        np.testing.assert_array_equal(c, expected)
    hint_color, hint_mask = simulated_hints.render_hints(points, *img.shape[:2])
    # Painted independently, in order: later patches cover earlier ones.
    color = np.zeros(img.shape, np.float32)
    mask = np.zeros(img.shape[:2] + (1,), np.float32)
    for y, x, s, c in zip(top, left, side, rgb, strict=True):
        color[y : y + s, x : x + s] = c
        mask[y : y + s, x : x + s] = 1
    np.testing.assert_array_equal(hint_color.numpy(), color)
    np.testing.assert_array_equal(hint_mask.numpy(), mask)


def test_patches_stay_inside_the_image_and_have_the_scaled_sizes():
    assert [simulated_hints.max_patch_side(s) for s in (256, 128, 64, 16)] == [9, 5, 2, 1]
    h, w = 24, 16
    img = np.zeros((h, w, 3), np.uint8)
    img[:2, :2] = (255, 0, 0)  # the only color sits in a corner: patches get pushed in
    for i in range(20):
        points = simulated_hints.sample_hints(
            tf.constant(img), simulated_hints.example_seed(0, i), count=40, max_side=9
        )
        top, left, side = (points[k].numpy() for k in ("top", "left", "side"))
        assert np.all((side >= 1) & (side <= 9))
        assert np.all((top >= 0) & (top + side <= h) & (left >= 0) & (left + side <= w))
    assert set(np.unique(side)) <= set(range(1, 10))


def test_same_seed_same_hints_other_seed_other_hints():
    img = tf.constant(_image())

    def draw(seed, index):
        return [
            t.numpy() for t in simulated_hints.simulate_hints(img, simulated_hints.example_seed(seed, index), count=10)
        ]

    a, b = draw(0, 5), draw(0, 5)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    for other in (draw(1, 5), draw(0, 6)):
        assert not np.array_equal(a[1], other[1])


def test_positions_favour_colored_pixels():
    # Left half colored (equal chroma everywhere), right half white paper:
    # a quarter of the hints fall uniformly (half of them on the left), the
    # other three quarters on colored pixels, so 0.25 / 2 + 0.75 = 0.875 of
    # the centers lie on the left.
    h, w = 32, 32
    img = np.full((h, w, 3), 255, np.uint8)
    img[:, : w // 2] = (200, 40, 40)
    centers = []
    for i in range(50):
        points = simulated_hints.sample_hints(
            tf.constant(img), simulated_hints.example_seed(0, i), count=64, max_side=1
        )
        centers.append(points["left"].numpy())
    share = np.mean(np.concatenate(centers) < w // 2)
    n = 50 * 64
    assert share == pytest.approx(0.875, abs=5 * np.sqrt(0.875 * 0.125 / n))
    # No chroma at all: uniform positions.
    gray = np.full((h, w, 3), 128, np.uint8)
    left = simulated_hints.sample_hints(tf.constant(gray), simulated_hints.example_seed(0, 0), count=2000, max_side=1)[
        "left"
    ].numpy()
    assert np.mean(left < w // 2) == pytest.approx(0.5, abs=5 * np.sqrt(0.25 / 2000))


def test_no_hints_gives_empty_inputs():
    color, mask = simulated_hints.simulate_hints(tf.constant(_image()), simulated_hints.example_seed(0, 0), count=0)
    assert color.shape == (48, 40, 3) and mask.shape == (48, 40, 1)
    assert not np.any(color.numpy()) and not np.any(mask.numpy())


def test_loguniform_counts_cover_dense_hints_as_often_as_sparse():
    n = 20000
    counts = _counts(n, counts="loguniform")
    none = simulated_hints.NONE_SHARE
    # Tolerances: 5 standard errors of each estimate at this sample size.
    assert abs(np.mean(counts == 0) - none) < 5 * np.sqrt(none * (1 - none) / n)
    some = counts[counts > 0]
    assert some.min() == 1 and some.max() <= simulated_hints.MAX_HINTS
    # floor(65^u): P(1..7) = log(8) / log(65), about one half; P(k = 1) = log(2) / log(65).
    for share, expected in ((np.mean(some <= 7), np.log(8) / np.log(65)), (np.mean(some == 1), np.log(2) / np.log(65))):
        assert abs(share - expected) < 5 * np.sqrt(expected * (1 - expected) / some.size)
    with pytest.raises(ValueError, match="unknown hint counts"):
        simulated_hints.sample_count(tf.constant([0, 1]), counts="poisson")


def test_strokes_stay_in_their_color_region_and_reach_beyond_the_patch():
    # Left half red, right half blue; all hints are strokes 1 px wide (so a
    # patch's color is the truth's at its pixel).
    truth = np.zeros((64, 64, 3), np.uint8)
    truth[:, :32] = (220, 40, 30)
    truth[:, 32:] = (30, 60, 200)
    color, mask = simulated_hints.simulate_hints(
        tf.constant(truth), tf.constant([3, 4]), count=12, max_side=1, stroke_share=1.0
    )
    color, mask = color.numpy(), mask.numpy()[..., 0] > 0
    painted = color[mask]
    # A stroke never crosses into the other color: every painted pixel has the truth's color there.
    np.testing.assert_allclose(painted, truth[mask].astype(np.float32), atol=1e-3)
    # Twelve 1 px dots cover at most 12 pixels; strokes reach further.
    assert mask.sum() > 3 * 12
    dots, dot_mask = simulated_hints.simulate_hints(tf.constant(truth), tf.constant([3, 4]), count=12, max_side=1)
    assert dot_mask.numpy().sum() <= 12


def _dense_render(points, height, width, color):
    """Every one of the M hint slots painted, padding and dots included, and
    masked afterwards: what `render_hints` computed before it painted only
    the valid hints (and ran the stroke test on strokes only)."""
    top, left, side, valid = points["top"], points["left"], points["side"], points["valid"]
    rows, cols = tf.range(height)[None, :], tf.range(width)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < (top + side)[:, None]) & valid[:, None]
    in_cols = (cols >= left[:, None]) & (cols < (left + side)[:, None])
    half = tf.cast(side, tf.float32)[:, None, None] / 2.0
    y0 = tf.cast(top, tf.float32)[:, None, None] + half - 0.5
    x0 = tf.cast(left, tf.float32)[:, None, None] + half - 0.5
    dy, dx = points["dy"][:, None, None], points["dx"][:, None, None]
    ys = tf.cast(tf.range(height), tf.float32)[None, :, None]
    xs = tf.cast(tf.range(width), tf.float32)[None, None, :]
    t = tf.clip_by_value(tf.math.divide_no_nan((ys - y0) * dy + (xs - x0) * dx, dy * dy + dx * dx), 0.0, 1.0)
    band = tf.square(ys - (y0 + t * dy)) + tf.square(xs - (x0 + t * dx)) <= tf.square(tf.maximum(half, 0.5))
    diff = tf.abs(tf.cast(color, tf.float32)[None] - points["rgb"][:, None, None, :])
    close = tf.reduce_all(diff <= simulated_hints.STROKE_TOLERANCE, axis=-1)
    stroke = band & close & (points["stroke"] & valid)[:, None, None]
    cover = (in_rows[:, :, None] & in_cols[:, None, :]) | stroke
    order = tf.range(1, tf.shape(top)[0] + 1)[:, None, None]
    last = tf.reduce_max(tf.where(cover, order, 0), axis=0)
    palette = tf.concat([tf.zeros([1, 3], tf.float32), points["rgb"]], 0)
    return tf.gather(palette, last), tf.cast(last > 0, tf.float32)[..., None]


def test_painting_only_the_valid_hints_equals_painting_every_slot():
    # Flat regions, so that strokes stay inside a color and reach past their patch.
    truth = np.zeros((64, 48, 3), np.uint8)
    truth[:, :20] = (220, 40, 30)
    truth[:, 20:] = (30, 60, 200)
    truth[40:] = (250, 250, 240)
    painted = 0
    for i in range(12):
        points = simulated_hints.sample_hints(
            tf.constant(truth),
            simulated_hints.example_seed(5, i),
            max_hints=simulated_hints.MAX_HINTS,
            counts="loguniform",
            stroke_share=0.5,
            max_side=5,
        )  # room for 64 hints: the unused slots are padding
        fast = simulated_hints.render_hints(points, 64, 48, color=tf.constant(truth))
        dense = _dense_render(points, 64, 48, tf.constant(truth))
        for a, b in zip(fast, dense, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        painted += int(fast[1].numpy().sum())
    assert painted > 0  # not only hint-free examples
    # No valid hint at all: nothing painted.
    none = dict(points, valid=tf.zeros_like(points["valid"]))
    color, mask = simulated_hints.render_hints(none, 64, 48, color=tf.constant(truth))
    assert not color.numpy().any() and not mask.numpy().any()


def test_a_patch_across_an_outline_takes_the_clicked_sides_color_not_a_blend():
    # Orange on the left, a black outline, white on the right: every patch
    # is one of the three colors exactly, whatever it straddles.
    img = np.full((64, 64, 3), 255, np.uint8)
    img[:, :30] = (240, 150, 40)
    img[:, 30:33] = 0
    points = simulated_hints.sample_hints(tf.constant(img), simulated_hints.example_seed(0, 1), count=64, max_side=9)
    rgb, ys, xs, left, side = (points[k].numpy() for k in ("rgb", "y", "x", "left", "side"))
    assert ((left < 30) & (left + side > 33)).any()  # some patches cross the outline
    for c, y, x in zip(rgb, ys, xs, strict=True):
        np.testing.assert_array_equal(c, img[y, x].astype(np.float32))


def test_clicks_fall_on_the_sketchs_paper_away_from_its_lines():
    # A sketch with a dark line and a soft gray band: no click lands on
    # either or within the margin of them; the patch may still reach them.
    size = 64
    sketch = np.full((size, size, 1), 255, np.uint8)
    sketch[:, 20:23] = 0
    sketch[:, 40:42] = 180  # below PAPER_LEVEL: the soft edge of a line
    paper = simulated_hints.clickable(tf.constant(sketch)).numpy()
    margin = max(1, round(simulated_hints.CLICK_MARGIN_AT_256 * size / 256))
    columns = np.flatnonzero(paper.all(0))
    expected = [c for c in range(size) if all(abs(c - b) > margin for b in (20, 21, 22, 40, 41))]
    assert columns.tolist() == expected and paper.any(0).tolist() == paper.all(0).tolist()
    color = np.full((size, size, 3), 255, np.uint8)
    color[:, :30] = (240, 150, 40)
    points = simulated_hints.sample_hints(
        tf.constant(color), simulated_hints.example_seed(0, 2), count=64, max_side=5, paper=tf.constant(paper)
    )
    xs = points["x"].numpy()
    assert paper[points["y"].numpy(), xs].all()
    # All ink: clicks anywhere, as without a sketch.
    none = tf.zeros((size, size), tf.bool)
    points = simulated_hints.sample_hints(tf.constant(color), simulated_hints.example_seed(0, 2), count=8, paper=none)
    assert points["valid"].numpy().all()
