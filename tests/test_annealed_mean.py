"""Tests for colorize/nets/annealed_mean.py: AnnealedMean decoding."""

import math
import warnings

import keras
import numpy as np
import pytest
import skimage.color
from keras import ops

from colorize.errors import ColorizeError
from colorize.nets import color
from colorize.nets.annealed_mean import AnnealedMean

import helpers
from helpers import tf_only


def _np(x):
    return ops.convert_to_numpy(x).astype("float64")


def _logits(seed=0, shape=(2, 3, 4, 512), scale=2.0):
    return np.random.default_rng(seed).normal(0, scale, shape).astype("float32")


def _softmax(x):
    x = x.astype("float64")
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _lch_scaled_to_rgb255(scaled):
    """Reference LCH (0..255 scale) -> sRGB 0..255 with scikit-image."""
    lch = np.stack(
        [
            scaled[..., 0] * 100 / 255,
            scaled[..., 1] * 100 / 255,
            scaled[..., 2] * 2 * math.pi / 255,
        ],
        axis=-1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # negative Z on out-of-gamut colors
        return skimage.color.lab2rgb(skimage.color.lch2lab(lch)) * 255


def _expectation(probs, space):
    """Reference decoding: weighted mean of bin centres (circular for hue)."""
    centres = color.bin_centers(space).astype("float64")  # (512, 3)
    mean = probs @ centres
    if space == "rgb":
        return mean
    angles = centres[:, 2] * 2 * math.pi / 255
    hue = np.arctan2(probs @ np.sin(angles), probs @ np.cos(angles)) % (2 * math.pi)
    mean[..., 2] = hue * 255 / (2 * math.pi)
    return _lch_scaled_to_rgb255(mean)


def test_two_class_expectation_by_hand():
    # RGB, T = 1: 0.25 on class 0 (centre 16, 16, 16) and 0.75 on class 511
    # (centre 240, 240, 240): each channel is 0.25 * 16 + 0.75 * 240 = 184.
    logits = np.full((1, 1, 1, 512), -1e4, "float32")
    logits[..., 0], logits[..., 511] = math.log(0.25), math.log(0.75)
    out = _np(AnnealedMean("rgb", temperature=1.0)(logits))
    np.testing.assert_allclose(out, [[[[184.0, 184.0, 184.0]]]], atol=1e-3)
    # T = 0.5 squares and renormalizes: 1/16 : 9/16 -> 0.1 * 16 + 0.9 * 240 = 217.6.
    out = _np(AnnealedMean("rgb", temperature=0.5)(logits))
    np.testing.assert_allclose(out, [[[[217.6, 217.6, 217.6]]]], atol=1e-3)


def test_temperature_one_is_the_expectation():
    logits = _logits()
    for space in color.SPACES:
        out = _np(AnnealedMean(space, temperature=1.0)(logits))
        assert out.shape == (2, 3, 4, 3)
        np.testing.assert_allclose(out, _expectation(_softmax(logits), space), atol=0.05)


def test_low_temperature_tends_to_the_mode():
    logits = _logits(seed=1)
    # Lift each pixel's top class 1.0 above the rest so the mode is clear.
    np.put_along_axis(logits, logits.argmax(-1)[..., None], logits.max(-1, keepdims=True) + 1.0, -1)
    for space in color.SPACES:
        mode = color.bin_centers(space)[logits.argmax(-1)]  # (2, 3, 4, 3)
        mode_rgb = _np(color.from_scaled(mode, space)) * 255
        errors = [
            np.abs(_np(AnnealedMean(space, temperature=t)(logits)) - mode_rgb).max() for t in (1.0, 0.38, 0.1, 0.01)
        ]
        assert errors[-1] < 0.05, space
        assert errors[0] > 10.0  # the expectation is far from the mode
        assert all(a >= b for a, b in zip(errors, errors[1:])), errors


def test_one_hot_gives_the_bin_centre_color():
    classes = [0, 8, 136, 199, 300, 511, 7 * 64 + 3 * 8 + 5]
    logits = np.zeros((1, 1, len(classes), 512), "float32")
    logits[0, 0, np.arange(len(classes)), classes] = 40.0  # others: e^-105 at T = 0.38
    centres = color.bin_centers("rgb")[classes].astype("float64")
    out = _np(AnnealedMean("rgb")(logits))[0, 0]
    np.testing.assert_allclose(out, centres, atol=1e-3)
    out = _np(AnnealedMean("lch")(logits))[0, 0]
    np.testing.assert_allclose(out, _lch_scaled_to_rgb255(centres), atol=0.05)


def test_hue_is_a_circular_mean():
    # Half the mass on hue bin 0 (centre 16), half on bin 7 (centre 240), same
    # L bin 4 and chroma bin 2. The arithmetic mean would be 128 (hue ~ pi,
    # the opposite color); the circular mean is between them, across 0:
    # angles 16 and 240 * 2 pi / 255 average to (16 + 240 - 255) / 2 = 0.5.
    logits = np.full((1, 1, 1, 512), -1e4, "float32")
    logits[..., 4 + 8 * 2 + 64 * 0] = 0.0
    logits[..., 4 + 8 * 2 + 64 * 7] = 0.0
    out = _np(AnnealedMean("lch", temperature=1.0)(logits))[0, 0, 0]
    expected = _lch_scaled_to_rgb255(np.array([144.0, 80.0, 0.5]))
    np.testing.assert_allclose(out, expected, atol=0.05)


def test_temperature_at_call_time():
    logits = _logits(seed=2)
    layer = AnnealedMean("lch")  # T = 0.38
    np.testing.assert_allclose(
        _np(layer(logits, temperature=1.0)),
        _np(AnnealedMean("lch", temperature=1.0)(logits)),
        atol=1e-4,
    )
    # One temperature per example.
    per_example = _np(layer(logits, temperature=np.array([1.0, 0.1], "float32")))
    np.testing.assert_allclose(per_example[0], _np(layer(logits, temperature=1.0))[0], atol=1e-4)
    np.testing.assert_allclose(per_example[1], _np(layer(logits, temperature=0.1))[1], atol=1e-4)


def test_output_range_dtype_and_shape():
    logits = _logits(seed=3, scale=20.0)
    for space in color.SPACES:
        out = AnnealedMean(space)(logits)
        assert ops.convert_to_numpy(out).dtype == np.float32
        assert _np(out).min() >= 0.0 and _np(out).max() <= 255.0
    layer = AnnealedMean()
    assert layer.compute_output_shape((None, None, None, 512)) == (None, None, None, 3)
    symbolic = layer(keras.Input((None, None, 512)))
    assert tuple(symbolic.shape) == (None, None, None, 3)
    with pytest.raises(ColorizeError, match="temperature must be positive"):
        AnnealedMean(temperature=0.0)


def test_float32_under_mixed_precision():
    logits = _logits(seed=4)
    # Float16 logits, decoded in float32.
    reference = _np(AnnealedMean("lch")(logits.astype("float16").astype("float32")))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        out = AnnealedMean("lch")(ops.cast(logits, "float16"))
    finally:
        keras.config.set_dtype_policy(previous)
    assert ops.convert_to_numpy(out).dtype == np.float32
    np.testing.assert_allclose(_np(out), reference, atol=1e-3)


def _decoder(space="lch"):
    logits = keras.Input((None, None, 512), name="logits")
    temperature = keras.Input((), name="temperature")
    rgb = AnnealedMean(space, temperature=0.5)(logits, temperature=temperature)
    default = AnnealedMean(space, temperature=0.5)(logits)
    return keras.Model([logits, temperature], [rgb, default])


def test_config_round_trip():
    layer = AnnealedMean("lch", temperature=0.2, name="decode")
    assert layer.get_config()["space"] == "lch" and layer.get_config()["temperature"] == 0.2
    clone = helpers.config_round_trip(layer)
    logits = _logits(seed=5)
    np.testing.assert_array_equal(_np(clone(logits)), _np(layer(logits)))


def test_keras_save_and_load(tmp_path):
    model = _decoder()
    logits = _logits(seed=6)
    t = np.array([0.38, 1.0], "float32")
    before = model.predict([logits, t], verbose=0)
    path = str(tmp_path / "decoder.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    after = loaded.predict([logits, t], verbose=0)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    # The per-example temperature input is live: T = 0.5 differs from both.
    assert np.abs(before[0] - before[1]).max() > 1.0


@tf_only
def test_exports_to_a_saved_model(tmp_path):
    import tensorflow as tf  # noqa: PLC0415 (this module also runs under KERAS_BACKEND=jax)

    model = _decoder()
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "decode",
        lambda logits, t: model([logits, t])[0],
        input_signature=[
            tf.TensorSpec((None, None, None, 512), tf.float32),
            tf.TensorSpec((None,), tf.float32),
        ],
    )
    path = str(tmp_path / "saved")
    archive.write_out(path, verbose=False)
    restored = tf.saved_model.load(path)
    for shape in [(2, 3, 4, 512), (1, 5, 2, 512)]:  # another size, same graph
        logits = _logits(seed=7, shape=shape)
        t = np.full((shape[0],), 0.38, "float32")
        np.testing.assert_allclose(restored.decode(logits, t).numpy(), _np(AnnealedMean("lch")(logits)), atol=1e-3)
