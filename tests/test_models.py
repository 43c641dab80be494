import numpy as np
import pytest

import keras

from colorize import models


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
    clone = cls.from_config(net.get_config())
    assert clone.count_params() == net.count_params()
    assert clone.get_config() == net.get_config()
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
