"""Inference computes in float32, whatever the network was trained in and
whatever Keras policy the process has."""

import keras
import numpy as np

from colorize import runs, variants
from colorize.nets import models, trained


def test_a_network_trained_in_bfloat16_loads_as_float32(tmp_path):
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")  # as training leaves the process
    try:
        net = models.build_net("classification", width=0.0625, hints=True, palette=True)
        assert net.get_layer("conv1_1").dtype_policy.compute_dtype == "bfloat16"
        config = variants.resolve("lch", "tiny")
        run = tmp_path / "run"
        run.mkdir()
        runs.save_config(config, str(run))
        trained.save_net(net, str(run))
        _, loaded = trained.load_net(str(run))
        packed_dir = str(tmp_path / "packed")
        trained.pack_net(net, config, packed_dir)
        _, unpacked = trained.load_net(packed_dir)
    finally:
        keras.mixed_precision.set_global_policy(before)
    for each in (loaded, unpacked):
        assert {layer.dtype_policy.compute_dtype for layer in each.layers} == {"float32"}
    for a, b in zip(net.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert keras.mixed_precision.global_policy().name == before.name
