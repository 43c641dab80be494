"""`--crop-scale`: training takes the same random square of a window's
sketch and color image (random resized crop); evaluation, and runs without
it, see the whole window as before."""

import numpy as np
import pytest
import tensorflow as tf

from colorize import variants
from colorize.data import pipeline
from colorize.errors import ColorizeError

S = 64


def _coordinates():
    """A window whose pixels name their place: color R = row, G = column,
    B = row + column; the sketch is the row."""
    rows, cols = np.mgrid[:S, :S]
    color = np.stack([rows, cols, rows + cols], axis=-1).astype(np.uint8)
    return tf.constant(rows[..., None].astype(np.uint8)), tf.constant(color)


def test_the_crop_is_one_square_of_the_window_for_sketch_and_color():
    sketch, color = _coordinates()
    sides, corners = set(), set()
    for i in range(200):
        s, c = pipeline.random_resized_crop(sketch, color, 0.5, tf.constant([i, 7]))
        s, c = s.numpy(), c.numpy()
        side = c.shape[0]
        assert c.shape == (side, side, 3) and s.shape == (side, side, 1)
        assert S // 2 <= side <= S
        top, left = int(c[0, 0, 0]), int(c[0, 0, 1])
        rows, cols = np.mgrid[top : top + side, left : left + side]
        np.testing.assert_array_equal(c[..., 0], rows)  # a contiguous square, not resampled
        np.testing.assert_array_equal(c[..., 1], cols)
        np.testing.assert_array_equal(s[..., 0], c[..., 0])  # the sketch's square is the color's
        sides.add(side)
        corners.add((top, left))
    # 200 draws of 33 sides: both ends of the range come up, and many places.
    assert min(sides) <= S // 2 + 3 and max(sides) >= S - 3
    assert len(corners) > 50


def _prepared(config, training, seed=(3, 4)):
    sketch, color = _coordinates()
    example = {"sketch": sketch, "sketch_binary": sketch, "color": color}
    return [t.numpy() for t in pipeline._prepare(example, config, training, tf.constant(seed))]


def test_training_with_crops_gives_windows_at_the_training_size():
    config = variants.BASE.replace(image_size=32, crop_scale=0.5)
    seen = set()
    for i in range(20):
        sketch, color = _prepared(config, True, seed=(i, 1))
        assert sketch.shape == (32, 32, 1) and color.shape == (32, 32, 3)
        seen.add(color[..., 2].astype(int).max() - color[..., 2].astype(int).min())
    assert len(seen) > 1  # the squares differ in size, so the resized windows span different ranges


@pytest.mark.parametrize("training", [True, False])
def test_without_crops_and_in_evaluation_the_whole_window_is_used(training):
    whole = variants.BASE.replace(image_size=32)
    _, color = _coordinates()
    resized = tf.cast(tf.round(tf.image.resize(color, (32, 32), method="area")), tf.uint8).numpy()
    for config in (whole, whole.replace(crop_scale=0.5)) if not training else (whole,):
        for i in range(6):
            _, out = _prepared(config, training, seed=(i, 2))
            # The whole window, flipped or not (training flips half of them).
            assert np.array_equal(out, resized) or (training and np.array_equal(out, resized[:, ::-1]))


@pytest.mark.parametrize("value", [0.1, 1.5])
def test_a_crop_scale_out_of_range_is_one_line(value):
    with pytest.raises(ColorizeError, match="--crop-scale"):
        variants.validate(variants.BASE.replace(crop_scale=value))
