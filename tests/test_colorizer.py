"""The colorizer core: one module for the Keras colorizer's decoding, predict
and the SavedModel; tiles along the long side of strips."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from colorize.nets import models
from colorize.serving import colorizer, trained_scale

from bad_inputs import drawing

NO_T = tf.constant([], tf.float32)


@pytest.mark.parametrize("kind, space", [("classification", "lch"), ("regression", "rgb")])
def test_core_equals_the_keras_colorizer_at_the_trained_size(kind, space):
    # Both decode with `models.color_head`: the same numbers, not a copy.
    net = models.build_net(kind, width=0.0625)
    core = colorizer.Colorizer(net, space, 64, 0.38, normalize=False)
    keras_colorizer = models.build_colorizer(net, space, 0.38)
    sketch = drawing(64, 64, seed=4)[np.newaxis, :, :, np.newaxis]
    ours = core.colorize_sketch(tf.constant(sketch), NO_T)["rgb"].numpy()
    theirs = np.round(keras_colorizer(sketch.astype(np.float32)).numpy())
    np.testing.assert_array_equal(ours, theirs)


def test_tiles_cover_a_strip_and_blend_back_exactly():
    # A 1:20 strip at image size 16: tiles of 128 along the long side that
    # overlap by at least 16, in the strip's own orientation.
    rng = np.random.default_rng(0)
    for shape in [(2, 16, 320, 1), (1, 320, 16, 1), (1, 20, 60, 1)]:
        x = tf.constant(rng.uniform(0, 255, shape).astype(np.float32))
        tiles, layout = trained_scale.split_tiles(x, 16)
        offsets = layout["offsets"].numpy()
        long = max(shape[1:3])
        if long > trained_scale.TILE_ASPECT * 16:
            assert tiles.shape[1:3] == ((128, 16) if shape[1] > shape[2] else (16, 128))
            assert offsets[0] == 0 and offsets[-1] == long - 128
            assert np.diff(offsets).max() <= 128 - 16  # overlaps of >= 16 px
        else:
            assert len(offsets) == 1 and tiles.shape[1:3] == (24, 64)  # padded to multiples of 8
        # Identical colors in every overlap blend back to exactly themselves.
        color = tf.concat([tiles] * 3, axis=-1)
        blended = trained_scale.blend_tiles(color, layout, 16).numpy()
        np.testing.assert_allclose(blended, np.concatenate([x.numpy()] * 3, -1), rtol=1e-6, atol=1e-4)


def test_tile_weights_ramp_across_the_overlaps():
    weights = trained_scale.tile_weights(tf.constant([0, 96, 192]), tf.constant(128), tf.constant(320), 16).numpy()
    np.testing.assert_allclose(weights[0, :64], 1.0)  # the strip's own end is not faded
    np.testing.assert_allclose(weights[0, -1], 0.5 / 16)
    np.testing.assert_allclose(weights[1, :16], (np.arange(16) + 0.5) / 16)
    np.testing.assert_allclose(weights[2, -16:], 1.0)
    assert weights.min() > 0


def _strip(panel, count, vertical=True):
    return np.concatenate([panel] * count, axis=0 if vertical else 1)


def _vivid_net():
    """A U-Net whose colors vary strongly with the sketch (RGB spread of
    about 60 levels over a drawing), unlike an untrained or tiny-trained one
    whose output is nearly one gray: its last layer's weights are scaled."""
    keras.utils.set_random_seed(0)
    net = models.build_net("regression", width=0.125)
    net.get_layer("rgb").kernel.assign(net.get_layer("rgb").kernel * 50.0)
    return net


def test_a_panel_in_a_strip_gets_its_own_colors():
    # A webtoon: 20 panels in a 1:20 strip (and a 20:1 one). Each
    # panel is seen at the trained scale, as on its own, and gets the same
    # colors except where its neighbours enter the network's view near its
    # edges. Measured: interior mean difference 0.03-0.17 levels, against 33
    # for the same panel colored 2.5 times smaller (the old 8:1 cap).
    size = 32
    core = colorizer.Colorizer(_vivid_net(), "rgb", size, 0.38, normalize=False)
    panel = drawing(2 * size, 2 * size, seed=7)  # the trained scale is half of it
    alone = core.color(tf.constant(panel[np.newaxis, :, :, np.newaxis]), NO_T)["color"].numpy()[0]
    assert alone.std(axis=(0, 1)).min() > 30  # colors that depend on the drawing
    for vertical in (True, False):
        strip = _strip(panel, 20, vertical)
        colored = core.color(tf.constant(strip[np.newaxis, :, :, np.newaxis]), NO_T)["color"].numpy()[0]
        assert colored.shape[:2] == ((20 * size, size) if vertical else (size, 20 * size))
        for i in (0, 7, 19):  # first panel, one where two tiles overlap, last panel
            cell = colored[i * size : (i + 1) * size] if vertical else colored[:, i * size : (i + 1) * size]
            assert np.abs(cell - alone)[4:-4, 4:-4].mean() < 0.5, (vertical, i)
    small = tf.image.resize(tf.constant(panel[np.newaxis, :, :, np.newaxis], tf.float32), (26, 26), "area")
    squeezed = core.color(tf.cast(tf.round(small), tf.uint8), NO_T)["color"]
    squeezed = tf.image.resize(squeezed, (size, size), "bilinear").numpy()[0]
    assert np.abs(squeezed - alone)[4:-4, 4:-4].mean() > 10


# -- color hints ----------------------------------------------------------------


def _hint_echo(inputs, training=False):
    """Stands in for a hinted network's color head: returns the hint colors
    it was given, so a test sees exactly what reached the network."""
    return inputs[2]


def test_hints_at_scale_keep_a_one_pixel_hint_with_its_color():
    rgb = np.zeros((1, 400, 400, 3), np.uint8)
    mask = np.zeros((1, 400, 400, 1), np.uint8)
    rgb[0, 200, 200], mask[0, 200, 200] = (200, 10, 30), 1  # 1/156 of a network pixel (12.5 px)
    rgb[0, 0:6, 0:13], mask[0, 0:6, 0:13] = (0, 0, 255), 1  # two colors share network pixel (0, 0):
    rgb[0, 6:12, 0:13], mask[0, 6:12, 0:13] = (255, 0, 0), 1  # 78 blue and 78 red of its 156.25 px
    color, on = colorizer.hints_at_scale(tf.constant(rgb), tf.constant(mask), tf.constant([32, 32]))
    color, on = color.numpy()[0], on.numpy()[0, ..., 0]
    assert on[16, 16] == 1 and color[16, 16] == pytest.approx([200, 10, 30], abs=1e-3)
    assert color[0, 0] == pytest.approx([127.5, 0, 127.5], abs=1e-3)  # the mask-weighted mean
    assert on.sum() == 2 + 1 and on[0, 1] == 1  # columns 0..12 reach into network column 1
    assert not color[on == 0].any()


def test_no_hints_give_the_automatic_colors_and_plain_nets_ignore_hints():
    keras.utils.set_random_seed(1)
    sketch = tf.constant(_strip(drawing(32, 32, seed=2), 10, vertical=False)[np.newaxis, :, :, np.newaxis])
    rgb = tf.constant(np.full((1, 32, 320, 3), 90, np.uint8))
    none, some = tf.zeros((1, 32, 320, 1), tf.uint8), tf.ones((1, 32, 320, 1), tf.uint8)
    net = models.build_net("classification", width=0.0625, hints=True)
    hinted = colorizer.Colorizer(net, "rgb", 16, 0.38, normalize=False)
    assert bool(hinted.uses_hints.numpy())
    auto = hinted.color(sketch, NO_T)["color"].numpy()  # a strip of 3 tiles at 16 px
    np.testing.assert_array_equal(hinted.color_guided(sketch, NO_T, rgb, none)["color"].numpy(), auto)
    assert np.abs(hinted.color_guided(sketch, NO_T, rgb, some)["color"].numpy() - auto).max() > 0
    with pytest.raises(tf.errors.InvalidArgumentError, match="hints do not fit the sketch"):
        hinted.color_guided(sketch, NO_T, rgb[:, :16], none)
    plain = colorizer.Colorizer(models.build_net("classification", width=0.0625), "rgb", 16, 0.38, normalize=False)
    assert not bool(plain.uses_hints.numpy())
    np.testing.assert_array_equal(
        plain.color_guided(sketch, NO_T, rgb, some)["color"].numpy(), plain.color(sketch, NO_T)["color"].numpy()
    )


def test_hints_follow_the_sketch_to_the_trained_scale_and_into_its_tiles():
    # A 1:20 strip at twice the trained scale: the network sees 2 tiles of
    # 128 x 16 (image size 16). Whatever the hints, what reaches the network
    # and is blended back is `hints_at_scale` of them: the same resize, the
    # same tiles, the padding "no hint".
    core = colorizer.Colorizer(models.build_net("regression", width=0.0625, hints=True), "rgb", 16, 0.38)
    core.guided_head = _hint_echo
    rng = np.random.default_rng(3)
    for shape in [(1, 32, 640), (2, 640, 32), (1, 40, 60)]:
        sketch = tf.constant(np.full((*shape, 1), 255, np.uint8))
        mask = (rng.uniform(size=(*shape, 1)) < 0.01).astype(np.uint8)
        rgb = rng.integers(0, 256, (*shape, 3)).astype(np.uint8) * mask
        got = core.color_guided(sketch, NO_T, tf.constant(rgb), tf.constant(mask))["color"].numpy()
        size = tf.shape(trained_scale.to_trained_scale(sketch, 16))[1:3]
        want, on = colorizer.hints_at_scale(tf.constant(rgb), tf.constant(mask), size)
        np.testing.assert_allclose(got, want.numpy(), atol=1e-3)
        assert on.numpy().sum() > 0
