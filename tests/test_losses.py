"""Tests for colorize/losses.py: hand values, properties, serialization."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from colorize import color, losses, targets
from colorize.errors import ColorizeError

tf_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="tf.function shapes"
)


def _np(x):
    return ops.convert_to_numpy(x).astype("float64")


def _images(seed=0, size=16):
    return np.random.default_rng(seed).integers(0, 256, (2, size, size, 3)).astype("uint8")


def _logits(seed=1, size=4):
    return np.random.default_rng(seed).normal(0, 2, (2, size, size, 512)).astype("float32")


def test_regression_l2_hand_values():
    y = np.array([[[[255, 0, 0], [51, 102, 0]]]], "float32")  # (1, 1, 2, 3)
    p = np.zeros_like(y)
    # Pixel 1: 1/2 * (1^2) = 0.5. Pixel 2: 1/2 * (0.2^2 + 0.4^2) = 0.1.
    np.testing.assert_allclose(_np(losses.regression_l2(y, p)), [[[0.5, 0.1]]], atol=1e-6)
    assert float(losses.RegressionL2()(y, p)) == pytest.approx(0.3, abs=1e-6)
    assert float(losses.RegressionL2()(y, y)) == 0.0


def test_per_example_sample_weight():
    y = np.zeros((2, 2, 3, 3), "float32")
    p = np.zeros_like(y)
    p[0] = 255.0  # example 0: 1/2 * 3 = 1.5 per pixel; example 1: 0
    loss = losses.RegressionL2()
    assert float(loss(y, p)) == pytest.approx(0.75)
    assert float(loss(y, p, sample_weight=np.array([2.0, 1.0]))) == pytest.approx(1.5)


def test_uniform_logits_give_log_q():
    # softmax of equal logits is 1/512 everywhere: CE = -sum Z log(1/512) = log 512.
    loss = losses.SoftCrossEntropy("rgb")(_images(), np.zeros((2, 4, 4, 512), "float32"))
    assert float(loss) == pytest.approx(math.log(512), abs=1e-5)


def test_prediction_equal_to_target_gives_its_entropy():
    y = _images()
    for space in color.SPACES:
        z = _np(targets.encode_colors(y, space, size=(4, 4)))
        logits = np.log(np.maximum(z, 1e-30)).astype("float32")
        entropy = -np.sum(z * np.log(np.maximum(z, 1e-30)), axis=-1).mean()
        loss = float(losses.SoftCrossEntropy(space)(y, logits))
        assert loss == pytest.approx(entropy, abs=1e-4), space
        # ... which is less than for any other prediction.
        assert loss < float(losses.SoftCrossEntropy(space)(y, logits + _logits()))


def test_uniform_weights_equal_plain_cross_entropy():
    y, logits = _images(), _logits()
    plain = float(losses.SoftCrossEntropy("lch")(y, logits))
    uniform = float(losses.SoftCrossEntropy("lch", class_weights=np.ones(512))(y, logits))
    assert uniform == pytest.approx(plain, rel=1e-6)
    # Rebalancing weights from a uniform prior are all 1 too.
    w = targets.rebalance_weights(np.ones(512))
    assert float(losses.SoftCrossEntropy("lch", w)(y, logits)) == pytest.approx(plain, rel=1e-5)


def test_class_weights_multiply_each_pixel_by_its_nearest_class_weight():
    y, logits = _images(), _logits()
    w = np.random.default_rng(2).uniform(0.1, 5.0, 512).astype("float32")
    small = _np(targets.resize_colors(y, (4, 4)))
    q = ops.convert_to_numpy(targets.nearest_class(small, "rgb"))  # (2, 4, 4)
    z = _np(targets.encode_colors(y, "rgb", size=(4, 4)))
    log_p = logits - np.log(np.exp(logits.astype("float64")).sum(-1, keepdims=True))
    expected = (w[q] * -np.sum(z * log_p, axis=-1)).mean()
    loss = float(losses.SoftCrossEntropy("rgb", w)(y, logits))
    assert loss == pytest.approx(expected, rel=1e-5)


def test_target_is_resized_to_the_logits():
    # A constant color gives the same loss at any target resolution.
    big = np.broadcast_to(np.array([200, 30, 90], "uint8"), (2, 16, 16, 3))
    small = np.ascontiguousarray(big[:, :4, :4])
    logits = _logits()
    loss = losses.SoftCrossEntropy("lch")
    assert float(loss(big, logits)) == pytest.approx(float(loss(small, logits)), rel=1e-6)


def test_saturation_term_bounds():
    # Target: all mass on class 8 (chroma bin 1 in LCH).
    z = np.zeros((1, 512), "float32")
    z[0, 8] = 1.0
    right = np.zeros((1, 512), "float32")
    right[0, [8 + 1, 8 + 64, 8 + 7 + 448]] = 1 / 3  # other L, hue; chroma bin 1
    wrong = np.zeros((1, 512), "float32")
    wrong[0, [0, 16, 63]] = 1 / 3  # chroma bins 0, 2, 7
    assert _np(losses.saturation_term(z, right, "lch"))[0] == pytest.approx(0.0, abs=1e-7)
    assert _np(losses.saturation_term(z, wrong, "lch"))[0] == pytest.approx(1.0, abs=1e-7)
    half = (right + wrong) / 2
    assert _np(losses.saturation_term(z, half, "lch"))[0] == pytest.approx(0.5, abs=1e-6)


def test_saturation_term_equals_z_msat_dot_prediction():
    rng = np.random.default_rng(3)
    z = rng.dirichlet(np.full(512, 0.1), size=20).astype("float32")
    p = rng.dirichlet(np.full(512, 0.1), size=20).astype("float32")
    for space in color.SPACES:
        m = targets.saturation_matrix(space).astype("float64")
        expected = np.sum((z.astype("float64") @ m) * p, axis=-1)
        np.testing.assert_allclose(_np(losses.saturation_term(z, p, space)), expected, atol=1e-5)


def test_saturation_weight_adds_the_term_before_the_pixel_weight():
    y, logits = _images(), _logits()
    w = np.random.default_rng(4).uniform(0.5, 2.0, 512).astype("float32")
    z = _np(targets.encode_colors(y, "lch", size=(4, 4)))
    p = np.exp(logits.astype("float64"))
    p /= p.sum(-1, keepdims=True)
    ce = -np.sum(z * np.log(p), axis=-1)
    sat = np.sum((z @ targets.saturation_matrix("lch")) * p, axis=-1)
    q = ops.convert_to_numpy(targets.nearest_class(_np(targets.resize_colors(y, (4, 4))), "lch"))
    expected = (w[q] * (ce + 0.5 * sat)).mean()
    loss = losses.SoftCrossEntropy("lch", w, saturation_weight=0.5)
    assert float(loss(y, logits)) == pytest.approx(expected, rel=1e-5)


def test_float32_under_mixed_precision():
    y, logits = _images(), _logits()
    logits16 = logits.astype("float16").astype("float32")
    reference = float(losses.SoftCrossEntropy("lch", saturation_weight=1.0)(y, logits16))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        loss = losses.SoftCrossEntropy("lch", saturation_weight=1.0)(
            y, ops.cast(logits, "float16")
        )
    finally:
        keras.config.set_dtype_policy(previous)
    assert ops.convert_to_numpy(loss).dtype == np.float32
    assert float(loss) == pytest.approx(reference, rel=1e-6)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ColorizeError, match="512 entries"):
        losses.SoftCrossEntropy(class_weights=np.ones(10))
    with pytest.raises(ColorizeError, match="saturation_weight"):
        losses.SoftCrossEntropy(saturation_weight=-1)
    with pytest.raises(ColorizeError, match="unknown color space"):
        losses.SoftCrossEntropy("hsv")


def test_config_round_trip():
    w = np.random.default_rng(5).uniform(0.5, 2.0, 512).astype("float32")
    loss = losses.SoftCrossEntropy("lch", w, saturation_weight=1.0, name="chroma")
    config = loss.get_config()
    assert isinstance(config["class_weights"], list) and config["space"] == "lch"
    clone = losses.SoftCrossEntropy.from_config(config)
    y, logits = _images(), _logits()
    assert float(clone(y, logits)) == float(loss(y, logits))
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, losses.SoftCrossEntropy) and restored.name == "chroma"
    assert float(restored(y, logits)) == float(loss(y, logits))
    l2 = keras.losses.deserialize(keras.losses.serialize(losses.RegressionL2()))
    assert isinstance(l2, losses.RegressionL2)


def _tiny_model():
    inputs = keras.Input((4, 4, 8))
    logits = keras.layers.Dense(512)(inputs)  # (batch, 4, 4, Q)
    return keras.Model(inputs, logits)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_keras_save_and_load(tmp_path):
    x = np.random.default_rng(6).normal(size=(2, 4, 4, 8)).astype("float32")
    y = _images()
    w = np.random.default_rng(7).uniform(0.5, 2.0, 512).astype("float32")
    model = _tiny_model()
    model.compile(loss=losses.SoftCrossEntropy("lch", w, saturation_weight=1.0))
    before = model.evaluate(x, y, verbose=0)
    path = str(tmp_path / "tiny.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.loss.get_config()["class_weights"] == w.tolist()
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(before, rel=1e-6)


@tf_only
def test_unknown_spatial_size_in_a_graph():
    import tensorflow as tf

    loss = losses.SoftCrossEntropy("lch", saturation_weight=1.0)
    fn = tf.function(
        loss,
        input_signature=[
            tf.TensorSpec((None, None, None, 3), tf.uint8),
            tf.TensorSpec((None, None, None, 512), tf.float32),
        ],
    )
    y, logits = _images(), _logits()
    assert float(fn(y, logits)) == pytest.approx(float(loss(y, logits)), rel=1e-5)
    y8, logits8 = _images(size=32), _logits(size=8)
    assert float(fn(y8, logits8)) == pytest.approx(float(loss(y8, logits8)), rel=1e-5)


@tf_only
def test_gradient_is_weighted_softmax_minus_target_and_compiles_with_xla():
    import tensorflow as tf

    y, logits = _images(), _logits()
    w = np.random.default_rng(8).uniform(0.5, 2.0, 512).astype("float32")
    loss = losses.SoftCrossEntropy("rgb", w)

    @tf.function(jit_compile=True)
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = loss(y, x)
        return value, tape.gradient(value, x)

    value, grad = value_and_grad(tf.constant(logits))
    assert float(value) == pytest.approx(float(loss(y, logits)), rel=1e-5)
    # d/dlogits of mean_pixels(v * CE) = v * (softmax - Z) / num_pixels.
    z = _np(targets.encode_colors(y, "rgb", size=(4, 4)))
    q = ops.convert_to_numpy(targets.nearest_class(_np(targets.resize_colors(y, (4, 4))), "rgb"))
    p = np.exp(logits.astype("float64"))
    p /= p.sum(-1, keepdims=True)
    expected = w[q][..., None] * (p - z) / (2 * 4 * 4)
    np.testing.assert_allclose(grad.numpy(), expected, atol=1e-6)
