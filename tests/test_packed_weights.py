"""Shipping a model as float16 weights (`trained.pack_net`) and reading it back."""

import os

import numpy as np
import pytest

from colorize import runs, variants, weights
from colorize.errors import ColorizeError
from colorize.nets import models, trained


@pytest.mark.parametrize("variant", ["lch", "regression"])
def test_packed_weights_load_as_the_network_within_float16_rounding(variant, tmp_path):
    config = variants.resolve(variant, "tiny")
    net = models.build_net(config.model, width=config.width, hints=config.hints, palette=config.palette)
    path = trained.pack_net(net, config, str(tmp_path / "packed"))
    assert os.path.basename(path) == runs.PACKED_WEIGHTS
    loaded_config, loaded = trained.load_net(str(tmp_path / "packed"))
    assert loaded_config == config and models.uses_hints(loaded) == config.hints
    assert models.uses_palette(loaded) == config.palette
    assert loaded.count_params() == net.count_params()
    for a, b in zip(net.get_weights(), loaded.get_weights()):
        assert b.dtype == np.float32
        # float16 keeps 11 significant bits: relative error <= 2^-11.
        np.testing.assert_allclose(b, a, rtol=2.0**-11, atol=6e-8)
    # Half the bytes of float32 weights (plus the archive's few headers).
    values = sum(w.size for w in net.get_weights())  # BatchNorm statistics too
    assert os.path.getsize(path) < values * 2 + 256 * len(net.weights) + 1024


def test_a_broken_weights_file_is_one_line(tmp_path):
    config = variants.resolve("lch", "tiny")
    runs.save_config(config, str(tmp_path))
    (tmp_path / runs.PACKED_WEIGHTS).write_bytes(b"not a zip")
    with pytest.raises(ColorizeError, match="cannot load packed weights"):
        trained.load_net(str(tmp_path))


def test_default_model_says_when_the_shipped_weights_are_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "SHIPPED", str(tmp_path / "missing"))
    with pytest.raises(ColorizeError, match="shipped model is missing"):
        weights.default_model()


def test_values_past_float16_are_packed_in_float32(tmp_path):
    # A long run's batch-norm moving variances reach 1e5-1e6: float16 would make them inf.
    config = variants.resolve("lch", "tiny")
    net = models.build_net(config.model, width=config.width, hints=config.hints, palette=config.palette)
    layer = net.get_layer("conv4_3_bn")
    gamma, beta, mean, variance = layer.get_weights()
    layer.set_weights([gamma, beta, mean + 1024.0, variance + 611579.7])
    trained.pack_net(net, config, str(tmp_path / "packed"))
    _, loaded = trained.load_net(str(tmp_path / "packed"))
    got = loaded.get_layer("conv4_3_bn").get_weights()
    assert np.isfinite(got[3]).all()
    np.testing.assert_allclose(got[3], variance + 611579.7, rtol=1e-7)
    np.testing.assert_allclose(got[2], mean + 1024.0, rtol=2.0**-11)
