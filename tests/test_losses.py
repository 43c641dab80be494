"""Tests for colorize/nets/losses.py: hand values, properties, serialization."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from colorize.errors import ColorizeError
from colorize.nets import color, losses, targets

import helpers
from helpers import tf_only


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
        m = helpers.saturation_matrix(space).astype("float64")
        expected = np.sum((z.astype("float64") @ m) * p, axis=-1)
        np.testing.assert_allclose(_np(losses.saturation_term(z, p, space)), expected, atol=1e-5)


def test_saturation_weight_adds_the_term_before_the_pixel_weight():
    y, logits = _images(), _logits()
    w = np.random.default_rng(4).uniform(0.5, 2.0, 512).astype("float32")
    z = _np(targets.encode_colors(y, "lch", size=(4, 4)))
    p = np.exp(logits.astype("float64"))
    p /= p.sum(-1, keepdims=True)
    ce = -np.sum(z * np.log(p), axis=-1)
    sat = np.sum((z @ helpers.saturation_matrix("lch")) * p, axis=-1)
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
        loss = losses.SoftCrossEntropy("lch", saturation_weight=1.0)(y, ops.cast(logits, "float16"))
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
    clone = helpers.config_round_trip(loss)
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


# -- the factored form against the materialized definition --------------------


def _edge_images():
    """Random colors plus the grid's edges: 0, 255, bin boundaries, grays
    (chroma 0), pure primaries (chroma clipped at 100)."""
    y = np.random.default_rng(9).integers(0, 256, (3, 16, 16, 3)).astype("uint8")
    y[0, :4] = 0
    y[0, 4:8] = 255
    y[1, :4] = (32, 64, 224)  # exactly on bin boundaries
    y[1, 4:8] = (128, 128, 128)
    y[2, :4] = (255, 0, 0)
    y[2, 4:8] = (0, 0, 255)
    return y


def _value_and_grad(fn, y, logits, *args):
    x = tf.constant(logits)
    # Unequal per-pixel upstream gradients, so that every pixel's term counts.
    upstream = tf.constant(np.random.default_rng(10).uniform(0.5, 2.0, logits.shape[:3]).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(y, x, *args)  # (batch, h, w)
        total = tf.reduce_sum(value * upstream)
    return value.numpy().astype("float64"), tape.gradient(total, x).numpy().astype("float64")


@tf_only
@pytest.mark.parametrize("space", color.SPACES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("saturation_weight", [0.0, 1.0, 0.3])
def test_factored_loss_equals_materialized_form_and_gradient(space, weighted, saturation_weight):
    y = _edge_images()
    logits = np.random.default_rng(11).normal(0, 3, (3, 4, 4, 512)).astype("float32")
    w = np.random.default_rng(12).uniform(0.1, 5.0, 512).astype("float32") if weighted else None
    args = (space, w, saturation_weight)
    value, grad = _value_and_grad(losses.soft_cross_entropy, y, logits, *args)
    ref_value, ref_grad = _value_and_grad(losses.materialized_soft_cross_entropy, y, logits, *args)
    np.testing.assert_allclose(value, ref_value, rtol=1e-5)
    # Gradient entries span many magnitudes; compare relative to the largest.
    assert np.max(np.abs(grad - ref_grad)) <= 1e-5 * np.max(np.abs(ref_grad))
    # The gradient is v * (softmax - Z) (+ the saturation part): each pixel's
    # row sums to 0 because softmax and Z both sum to 1 (float32 sums of 512
    # entries of up to ~0.1: rounding ~1e-6).
    np.testing.assert_allclose(grad.sum(-1), 0.0, atol=1e-5)


def test_factored_cross_entropy_hand_values():
    # One pixel whose target is all mass on class 8 except what the kernel
    # spreads: use the factors directly. u0 = e_0, u1 = e_1, u2 = e_0 -> Z = e_8.
    factors = np.zeros((1, 3, 8), "float32")
    factors[0, 0, 0] = factors[0, 1, 1] = factors[0, 2, 0] = 1.0
    logits = np.zeros((1, 512), "float32")
    logits[0, 8] = math.log(3.0)  # softmax: class 8 gets 3 / (511 + 3) = 3 / 514
    ce = _np(losses.factored_cross_entropy(logits, factors, "lch"))[0]
    assert ce == pytest.approx(-math.log(3 / 514), rel=1e-6)
    # Saturation term: the probability mass outside chroma bin 1 (the L and hue
    # of class 8 do not matter): 448 of the 511 other classes, each 1 / 514.
    sat = _np(losses.factored_cross_entropy(logits, factors, "lch", saturation_weight=1.0))[0] - ce
    assert sat == pytest.approx(448 / 514, rel=1e-5)
    # Split targets: u0 = (0.5, 0.5, 0, ...) puts half on class 8 and half on 9.
    factors[0, 0, :2] = 0.5
    uniform = _np(losses.factored_cross_entropy(np.zeros((1, 512), "float32"), factors, "rgb"))[0]
    assert uniform == pytest.approx(math.log(512), rel=1e-6)


def test_factored_cross_entropy_keeps_leading_shape_and_float32():
    factors = ops.convert_to_numpy(targets.soft_factors(_images(), "rgb", size=(4, 4)).factors)
    assert factors.shape == (2, 4, 4, 3, 8)
    out = losses.factored_cross_entropy(_logits().astype("float16"), factors, "rgb", saturation_weight=1.0)
    assert tuple(out.shape) == (2, 4, 4) and ops.convert_to_numpy(out).dtype == np.float32
    with pytest.raises(ColorizeError, match="unknown color space"):
        losses.factored_cross_entropy(_logits(), factors, "hsv")


@tf_only
def test_forward_pass_never_forms_a_512_wide_target():
    def wide_ops(fn):
        """Types of the ops whose output has 512 (or 8 x 8 x 8) entries per pixel."""
        graph = (
            tf.function(fn)
            .get_concrete_function(tf.TensorSpec((2, 16, 16, 3), tf.uint8), tf.TensorSpec((2, 4, 4, 512), tf.float32))
            .graph
        )
        found = set()
        for op in graph.get_operations():
            for out in op.outputs if op.type != "Const" else ():
                dims = out.shape.as_list() if out.shape.rank else []
                if dims and (dims[-1] == 512 or dims[-3:] == [8, 8, 8]):
                    found.add(op.type)
        return found

    w = np.random.default_rng(13).uniform(0.5, 2.0, 512).astype("float32")

    def bind(fn, *args):
        return lambda y, x: fn(y, x, *args)

    for space, saturation_weight in (("lch", 1.0), ("rgb", 0.0)):
        factored = wide_ops(bind(losses.soft_cross_entropy, space, w, saturation_weight))
        # Only the logits themselves (placeholder, reshape, the custom
        # gradient's identity) and the softmax the loss needs are 512 wide.
        assert factored <= {"Placeholder", "Reshape", "Cast", "Identity", "IdentityN", "Softmax"}, (space, factored)
        materialized = wide_ops(bind(losses.materialized_soft_cross_entropy, space, w, saturation_weight))
        assert "Mul" in materialized  # the check does see a materialized target
    # RGB with the saturation term (no paper variant): an RGB class's chroma
    # bin depends on all three channels, so the target's chroma marginal
    # contracts the factors with the (8, 8, 8, 8) chroma table through one
    # (8 x 64)-per-pixel product; still no target.
    rgb_chroma = wide_ops(lambda y, x: losses.soft_cross_entropy(y, x, "rgb", w, 1.0))
    allowed = {"Placeholder", "Reshape", "Cast", "Identity", "IdentityN", "Softmax", "MatMul", "BatchMatMulV2"}
    assert rgb_chroma <= allowed, rgb_chroma
