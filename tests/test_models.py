import keras
import numpy as np
import pytest

from colorize.nets import models

import helpers


def _sketch(h=32, w=48, seed=0):
    rng = np.random.default_rng(seed)
    sketch = np.full((2, h, w, 1), 255, np.uint8)
    sketch[:, 8:10, :, 0] = 0  # a dark horizontal line
    sketch[1] = rng.integers(0, 256, (h, w, 1))
    return sketch


@pytest.mark.parametrize("cls", [models.ClassificationNet, models.RegressionUNet])
def test_any_size_divisible_by_8(cls):
    net = cls(width=0.0625)
    for h, w in ((32, 48), (40, 24)):
        out = net(_sketch(h, w))
        if cls is models.ClassificationNet:
            assert out.shape == (2, h // 4, w // 4, 512)
        else:
            assert out.shape == (2, h, w, 3)
        assert out.dtype == "float32"


def test_paper_size_network():
    # Zhang et al.'s network has about 32 M parameters; 64x64x512 logits at 256.
    net = models.ClassificationNet(width=1.0)
    assert 31e6 < net.count_params() < 33e6
    assert net.output.shape == (None, None, None, 512)


def test_regression_output_masked_by_sketch():
    net = models.RegressionUNet(width=0.0625)
    sketch = _sketch()
    out = keras.ops.convert_to_numpy(net(sketch))
    # Where the sketch is black (0) the prediction is multiplied by 0.
    np.testing.assert_array_equal(out[0, 8:10], 0.0)
    assert np.abs(out[0, 20:]).max() > 0


def test_normalization_inside_model_takes_raw_pixels():
    net = models.ClassificationNet(width=0.0625)
    sketch = _sketch()
    a = keras.ops.convert_to_numpy(net(sketch))
    b = keras.ops.convert_to_numpy(net(sketch.astype("float32")))
    np.testing.assert_allclose(a, b, atol=1e-5)
    # The first layer maps the reference mean (219) to zero.
    norm = net.get_layer("normalize")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(np.array([219.0, 255.0]))), [0.0, 36 / 255], atol=1e-6)


@pytest.mark.parametrize("cls", [models.ClassificationNet, models.RegressionUNet])
def test_config_round_trip_and_keras_save_load(cls, tmp_path):
    net = cls(width=0.0625, name="net")
    clone = helpers.config_round_trip(net)
    assert clone.count_params() == net.count_params()
    path = tmp_path / "net.keras"
    net.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, cls)
    sketch = _sketch()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(sketch)), keras.ops.convert_to_numpy(net(sketch)), atol=1e-5
    )


@pytest.mark.parametrize("space", ["rgb", "lch"])
def test_colorizer_classification(space):
    net = models.ClassificationNet(width=0.0625)
    colorizer = models.build_colorizer(net, space=space)
    sketch = _sketch()
    rgb = keras.ops.convert_to_numpy(colorizer(sketch))
    assert rgb.shape == (2, 32, 48, 3)
    assert rgb.min() >= 0.0 and rgb.max() <= 255.0
    # Lines (sketch 0) stay black; paper (255) gets the decoded color.
    np.testing.assert_array_equal(rgb[0, 8:10], 0.0)
    assert rgb[0, 20:].mean() > 10.0


def test_colorizer_regression_clips():
    net = models.RegressionUNet(width=0.0625)
    rgb = keras.ops.convert_to_numpy(models.build_colorizer(net)(_sketch()))
    assert rgb.shape == (2, 32, 48, 3)
    assert rgb.min() >= 0.0 and rgb.max() <= 255.0


def test_build_net_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown model kind"):
        models.build_net("gan")


# -- color hints -----------------------------------------------------------


def _hinted(sketch, color=(255.0, 0.0, 0.0), box=(slice(4, 12), slice(4, 12))):
    """The dict inputs: `sketch` with one square hint of `color`."""
    b, h, w, _ = sketch.shape
    mask = np.zeros((b, h, w, 1), np.float32)
    mask[:, box[0], box[1]] = 1.0
    hint_color = np.zeros((b, h, w, 3), np.float32)
    hint_color[:, box[0], box[1]] = color
    return {"sketch": sketch, "hint_color": hint_color, "hint_mask": mask}


@pytest.mark.parametrize("kind", ["classification", "regression"])
@pytest.mark.parametrize("width", [0.0625, 0.5])
def test_hints_add_only_the_first_kernels_four_input_channels(kind, width):
    plain = models.build_net(kind, width=width)
    hinted = models.build_net(kind, width=width, hints=True)
    assert not models.uses_hints(plain) and models.uses_hints(hinted)
    # conv1_1: a 3x3 kernel over 1 + 3 + 1 input channels instead of 1.
    filters = models._filters(64, width)
    assert hinted.count_params() - plain.count_params() == 4 * 3 * 3 * filters
    assert hinted.get_layer("conv1_1").kernel.shape == (3, 3, 5, filters)
    assert plain.get_layer("conv1_1").kernel.shape == (3, 3, 1, filters)


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_a_hinted_net_without_hints_is_given_zero_hints_and_ignores_colors_outside_the_mask(kind):
    keras.utils.set_random_seed(0)
    net = models.build_net(kind, width=0.0625, hints=True)
    sketch = _sketch()
    none = _hinted(sketch, box=(slice(0, 0), slice(0, 0)))  # an empty mask
    bare = keras.ops.convert_to_numpy(net(sketch))
    np.testing.assert_array_equal(bare, keras.ops.convert_to_numpy(net(none)))
    # Colors where the mask is 0 are multiplied away inside the network.
    none["hint_color"][:] = 200.0
    np.testing.assert_array_equal(bare, keras.ops.convert_to_numpy(net(none)))
    # A hint reaches the output: a red and a blue hint give different outputs
    # (relative to the output's scale: untrained logits are about 1e-7).
    red = keras.ops.convert_to_numpy(net(_hinted(sketch, (255.0, 0.0, 0.0))))
    blue = keras.ops.convert_to_numpy(net(_hinted(sketch, (0.0, 0.0, 255.0))))
    assert np.abs(red - blue).max() > 1e-2 * np.abs(red).max()
    with pytest.raises(ValueError, match="without hint inputs"):
        models.net_inputs(models.build_net(kind, width=0.0625), sketch, none["hint_color"], none["hint_mask"])
    with pytest.raises(ValueError, match="both"):
        models.net_inputs(net, sketch, none["hint_color"])


@pytest.mark.parametrize("cls", [models.ClassificationNet, models.RegressionUNet])
def test_hinted_net_saves_and_loads(cls, tmp_path):
    keras.utils.set_random_seed(1)
    net = cls(width=0.0625, hints=True, name="net")
    assert net.get_config()["hints"] is True
    path = tmp_path / "net.keras"
    net.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, cls) and loaded.hints
    inputs = _hinted(_sketch())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(inputs)), keras.ops.convert_to_numpy(net(inputs)), atol=1e-5
    )
    # A config saved before hints existed (no "hints" key) builds the plain network.
    old = {k: v for k, v in cls(width=0.0625).get_config().items() if k != "hints"}
    assert not cls.from_config(old).hints


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_guided_colorizer_is_the_colorizer_with_hints(kind):
    keras.utils.set_random_seed(2)
    net = models.build_net(kind, width=0.0625, hints=True)
    sketch = _sketch()
    guided = models.build_guided_colorizer(net, "lch")
    automatic = keras.ops.convert_to_numpy(models.build_colorizer(net, "lch")(sketch))
    empty = _hinted(sketch, box=(slice(0, 0), slice(0, 0)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(guided(empty)), automatic, atol=1e-4)
    rgb = keras.ops.convert_to_numpy(guided(_hinted(sketch)))
    assert rgb.shape == (2, 32, 48, 3) and rgb.min() >= 0.0 and rgb.max() <= 255.0
    np.testing.assert_array_equal(rgb[0, 8:10], 0.0)  # lines stay black
    with pytest.raises(ValueError, match="without hint inputs"):
        models.build_guided_colorizer(models.build_net(kind, width=0.0625))


@pytest.mark.slow
def test_a_briefly_trained_unet_colors_the_hinted_region_with_the_hint():
    # Each example is one uniform random color on a blank sketch; half of
    # the image (left or right) carries a hint of that color. Without hints
    # nothing tells the color: the best guess is the mean, whose mean
    # absolute error on uniform 0..255 colors is 255 / 4 = 64 per channel.
    # With hints the network can copy the hint through its full-resolution
    # pass-through layer. Measured after 150 steps: about 16 with the hint
    # against 72 without; the test asks for less than half.
    import tensorflow as tf  # noqa: PLC0415 (the training step is TensorFlow)

    keras.utils.set_random_seed(0)
    size, batch = 32, 16
    net = models.RegressionUNet(width=0.25, hints=True)
    optimizer = keras.optimizers.Adam(3e-3)

    def examples(rng):
        colors = rng.integers(0, 256, (batch, 1, 1, 3)).astype(np.float32)
        truth = np.broadcast_to(colors, (batch, size, size, 3))
        mask = np.zeros((batch, size, size, 1), np.float32)
        for i, left in enumerate(rng.random(batch) < 0.5):
            mask[i, :, slice(0, size // 2) if left else slice(size // 2, size)] = 1.0
        sketch = np.full((batch, size, size, 1), 255, np.uint8)
        return {"sketch": sketch, "hint_color": truth * mask, "hint_mask": mask}, truth

    @tf.function
    def step(inputs, truth):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(net(inputs, training=True) - truth)) / 255.0**2
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng(0)
    for _ in range(150):
        step(*examples(rng))
    inputs, truth = examples(np.random.default_rng(1))
    region = inputs["hint_mask"][..., 0] > 0
    # Batch statistics: after 150 steps the moving averages (momentum 0.99)
    # still hold a fifth of their initial values.
    with_hint = net(inputs, training=True).numpy()
    without = net(inputs["sketch"], training=True).numpy()
    error_with = np.abs(with_hint - truth)[region].mean()
    error_without = np.abs(without - truth)[region].mean()
    assert error_with < 0.5 * error_without, (error_with, error_without)
