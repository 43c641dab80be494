"""A run's trained network on disk: the `.keras` file training writes, and
the float16 weights the package ships a model as.

A loaded network always computes in float32, whatever it was trained in and
whatever the process's Keras policy is (training in the same process sets
it to `mixed_bfloat16` on a CPU with bfloat16 units): bfloat16 inference
moves colors by more than the 2 levels it is allowed (README,
"Performance").

The `.keras` files name their classes by their registered names
(`colorize>ClassificationNet`, `colorize>RegressionUNet`), which
`colorize.nets.models` registers when it is imported, so runs saved by any
version of this package load whatever module the classes live in now.
"""

import contextlib
import os

import keras
import numpy as np

from colorize import runs
from colorize.errors import ColorizeError
from colorize.nets import models


def save_net(net, run_dir):
    """Writes the trained network as `.keras`, atomically."""
    path = runs.model_path(run_dir)
    tmp = os.path.join(run_dir, "model.tmp.keras")
    net.save(tmp)
    os.replace(tmp, path)
    return path


def load_net(run_dir):
    """A trained run's config and network.

    Returns:
        (config, net): a `variants.Config` and a `ClassificationNet` or
        `RegressionUNet`.

    Raises:
        ColorizeError: not a run directory, no trained model in it, or a
            model file that cannot be loaded.
    """
    config = runs.load_config(run_dir)
    path = runs.model_path(run_dir)
    runs.check_model(run_dir)  # its network or its packed weights are there
    if not os.path.isfile(path):
        return config, _unpack_net(config, os.path.join(run_dir, runs.PACKED_WEIGHTS))
    try:
        net = keras.models.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a broken archive.
        raise ColorizeError(f"{path}: cannot load model ({str(e).splitlines()[0]})") from None
    if all(layer.dtype_policy.compute_dtype == "float32" for layer in net.layers):
        return config, net
    # Trained in mixed precision: the same weights in a float32 network.
    with _float32():
        plain = models.build_net(config.model, width=config.width, hints=config.hints, palette=config.palette)
    plain.set_weights(net.get_weights())
    return config, plain


@contextlib.contextmanager
def _float32():
    """Keras's global dtype policy set to float32 for the block, then restored."""
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def pack_net(net, config, out_dir):
    """Writes a trained network the way the package ships it: its config
    and its weights as float16 (`runs.PACKED_WEIGHTS`, half the size of the
    float32 `.keras` file; an array with values past `FLOAT16_LIMIT` stays
    float32), which `load_net` reads back as float32.

    Args:
        net: a trained network (float32 weights).
        config: its `variants.Config`.
        out_dir: the folder to write (created).

    Returns:
        The path of the weights file.
    """
    os.makedirs(out_dir, exist_ok=True)
    runs.save_config(config, out_dir)
    path = os.path.join(out_dir, runs.PACKED_WEIGHTS)
    arrays = {f"w{i:04d}": _packed(w) for i, w in enumerate(net.get_weights())}
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return path


FLOAT16_LIMIT = 60000.0
"""An array with a value past this (float16 ends at 65504: batch-norm moving
variances of a long run reach 1e5-1e6) is packed as float32."""


def _packed(w):
    """`w` as float16, or as float32 when a value would overflow float16."""
    w = np.asarray(w)
    return w.astype(np.float32) if w.size and np.abs(w).max() > FLOAT16_LIMIT else w.astype(np.float16)


def _unpack_net(config, path):
    """The network of `config` with the float16 weights of `path` (as float32)."""
    with _float32():
        net = models.build_net(config.model, width=config.width, hints=config.hints, palette=config.palette)
    try:
        with np.load(path) as packed:
            weights = [packed[name].astype(np.float32) for name in sorted(packed.files)]
        net.set_weights(weights)
    except (OSError, ValueError, KeyError) as e:
        raise ColorizeError(f"{path}: cannot load packed weights ({str(e).splitlines()[0]})") from None
    return net
