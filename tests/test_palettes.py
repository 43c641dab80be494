"""Palettes (global hints): named colors and pictures to class weights, the
training palette, and the network's palette input starting at zero."""

import numpy as np
import pytest
import tensorflow as tf

from colorize.data import palettes
from colorize.inference import hint_layers
from colorize.nets import color, models


def test_named_colors_weigh_the_same_and_fall_in_their_classes():
    rgb = hint_layers.parse_colors("#e03020, 2050c0,#E03020")
    assert rgb.tolist() == [[224, 48, 32], [32, 80, 192], [224, 48, 32]]
    for space in ("rgb", "lch"):
        palette = palettes.palette_from_colors(rgb, space)
        assert palette.shape == (color.NUM_CLASSES,) and np.isclose(palette.sum(), 1.0)
        assert np.count_nonzero(palette) == 2 and np.allclose(palette[palette > 0], 0.5)
        # The classes' centres are near the named colors: within half a bin
        # of 32 levels in RGB; the LCH bins (12.5 of L and C, 45 degrees of
        # hue) are coarser in RGB terms.
        centers = palettes.class_colors(palette, space).astype(int)
        tolerance = 16 if space == "rgb" else 64
        for named in ([224, 48, 32], [32, 80, 192]):
            assert np.abs(centers - named).max(axis=1).min() <= tolerance
    for bad in ("#e0302", "red", "", "#e03020,#zz0000"):
        with pytest.raises(ValueError, match="palette"):
            hint_layers.parse_colors(bad)
    for extra_comma in ("#e03020,", ",#e03020", "#e03020,,#2050c0"):
        with pytest.raises(ValueError, match=r"color \d of \d is empty \(an extra comma\?\)"):
            hint_layers.parse_colors(extra_comma)


def test_a_pictures_palette_is_its_main_colors_without_paper_and_lines():
    img = np.full((64, 64, 3), 255, np.uint8)
    img[:, :4] = 0  # a black line
    img[8:40, 8:40] = (224, 48, 32)  # most color: red
    img[40:60, 30:60] = (32, 80, 192)  # then blue
    img[2:6, 50:54] = (30, 200, 40)  # a speck of green, under 2 % of the counted pixels
    palette = palettes.palette_from_image(img, "lch", k=8)
    named = palettes.palette_from_colors([[224, 48, 32], [32, 80, 192]], "lch")
    # Red and blue (anti-aliased edges may add a neighbour class of either).
    assert palette[named > 0].min() > 0 and np.count_nonzero(palette) <= 4
    assert not palette[palettes.excluded_classes("lch")].any()
    one = palettes.palette_from_image(img, "lch", k=1)
    assert np.count_nonzero(one) == 1 and one[np.argmax(named * (np.arange(512) == np.argmax(one)))] > 0
    blank = np.full((32, 32, 3), 255, np.uint8)
    assert not palettes.palette_from_image(blank, "lch").any()


def test_training_palettes_follow_the_share_and_the_seed():
    img = np.full((32, 32, 3), 255, np.uint8)
    img[4:28, 4:28] = (224, 48, 32)
    given = [palettes.truth_palette(tf.constant(img), "lch", tf.constant([i, 5]), 0.25).numpy() for i in range(400)]
    share = np.mean([p.any() for p in given])
    assert abs(share - 0.25) < 5 * np.sqrt(0.25 * 0.75 / 400)
    again = palettes.truth_palette(tf.constant(img), "lch", tf.constant([3, 5]), 0.25).numpy()
    np.testing.assert_array_equal(again, given[3])
    assert not any(
        palettes.truth_palette(tf.constant(img), "lch", tf.constant([i, 5]), 0.0).numpy().any() for i in range(20)
    )


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_the_palette_input_starts_at_zero_and_then_matters(kind):
    net = models.build_net(kind, width=0.0625, hints=True, palette=True)
    assert models.uses_palette(net)
    sketch = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 1)).astype(np.float32)
    palette = np.stack([palettes.palette_from_colors([[224, 48, 32]], "lch")] * 2)
    hints = dict(hint_color=np.zeros((2, 32, 32, 3), np.float32), hint_mask=np.zeros((2, 32, 32, 1), np.float32))
    plain = np.asarray(net(sketch))
    with_palette = np.asarray(net({"sketch": sketch, **hints, "palette": palette}))
    np.testing.assert_array_equal(with_palette, plain)  # a fresh palette layer adds exactly zero
    layer = net.get_layer("global_hint")
    kernel, bias = layer.get_weights()
    kernel[np.argmax(palette[0])] = 1.0  # the palette's class now adds 1 to every bottleneck channel
    layer.set_weights([kernel, bias])
    changed = np.asarray(net({"sketch": sketch, **hints, "palette": palette}))
    # The same inputs through the same float32 graph repeat exactly: any change is the palette's.
    assert not np.allclose(changed, plain, rtol=1e-5, atol=0)
    # Without a palette (all zero) only the bias speaks, the same as giving none.
    none = np.asarray(net({"sketch": sketch, **hints, "palette": np.zeros_like(palette)}))
    np.testing.assert_allclose(none, np.asarray(net(sketch)), atol=1e-6)
    with pytest.raises(ValueError, match="needs hints"):
        models.build_net(kind, width=0.0625, palette=True)
