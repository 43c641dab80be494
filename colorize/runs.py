"""Run directories and exported models: the one place that knows their layout.

A run directory (written by `python -m colorize.train`) holds:

| path | what |
|---|---|
| `config.json` | the resolved `variants.Config` |
| `checkpoints/` | `tf.train.Checkpoint`s of the training state (resume) |
| `workers/workerN/` | private checkpoint copies of non-chief workers |
| `logs/` | TensorBoard summaries |
| `grids/epoch_NNN.png` | validation image grids (sketch, prediction, truth) |
| `history.json` | per-epoch metrics |
| `model.keras` | the trained network |

An export directory (written by `python -m colorize.export`) is a SavedModel
(`saved_model.pb`) with `colorize.json` beside it: the run's config and the
export options.

Inference (`predict`, `export`, `evaluate`, the demo) reads runs through this
module and never imports the training code.
"""

import json
import os

from colorize import fileio, variants
from colorize.errors import ColorizeError

CONFIG = "config.json"
MODEL = "model.keras"
PACKED_WEIGHTS = "weights.npz"  # float16 weights of a shipped model (`pack_net`)
DECODING = "decoding.json"  # decoding settings chosen on validation data (`write_decoding`)
HISTORY = "history.json"
CHECKPOINTS = "checkpoints"
LOGS = "logs"
GRIDS = "grids"
WORKERS = "workers"
SAVED_MODEL = "saved_model.pb"
EXPORT_METADATA = "colorize.json"


def config_path(run_dir):
    return os.path.join(run_dir, CONFIG)


def model_path(run_dir):
    return os.path.join(run_dir, MODEL)


def history_path(run_dir):
    return os.path.join(run_dir, HISTORY)


def checkpoint_dir(run_dir, worker=None):
    """The chief's checkpoint folder, or worker `worker`'s private one."""
    if worker is None:
        return os.path.join(run_dir, CHECKPOINTS)
    return os.path.join(run_dir, WORKERS, f"worker{worker}")


def logs_dir(run_dir):
    return os.path.join(run_dir, LOGS)


def grid_path(run_dir, epoch):
    return os.path.join(run_dir, GRIDS, f"epoch_{epoch:03d}.png")


def class_prior_path(data_dir, space, size):
    """The cached class prior of a dataset (kept beside the dataset, since
    every run on it shares it): one per color space and logits size."""
    return os.path.join(data_dir, f"class_prior_{space}_{size}px.json")


# -- kinds ---------------------------------------------------------------


def is_run(path):
    """Whether `path` is a run directory (it holds a config)."""
    return os.path.isfile(config_path(path))


def is_export(path):
    """Whether `path` holds a SavedModel."""
    return os.path.isfile(os.path.join(path, SAVED_MODEL))


def kind(path):
    """ "run" or "export".

    Raises:
        ColorizeError: `path` is missing or is neither.
    """
    if not os.path.isdir(path):
        raise ColorizeError(f"{path}: no such model directory")
    if is_export(path):
        return "export"
    if is_run(path):
        return "run"
    raise ColorizeError(f"{path}: neither a run directory ({CONFIG}) nor a SavedModel ({SAVED_MODEL})")


# -- config and history --------------------------------------------------


def save_config(config, run_dir):
    """Writes the resolved config into the run directory (atomically)."""
    fileio.write_atomic(config_path(run_dir), config.to_json() + "\n")


def load_config(run_dir):
    """A run directory's `variants.Config`.

    Raises:
        ColorizeError: the folder or its config is missing or unreadable.
    """
    path = config_path(run_dir)
    if not os.path.isdir(run_dir):
        raise ColorizeError(f"{run_dir}: no such run directory")
    if not os.path.isfile(path):
        raise ColorizeError(f"{run_dir}: not a run directory (no {CONFIG})")
    try:
        with open(path) as f:
            return variants.Config.from_dict(json.load(f))
    except (OSError, ValueError, TypeError, ColorizeError) as e:
        raise ColorizeError(f"{path}: unreadable config ({e})") from None


def load_history(run_dir):
    """The per-epoch metrics recorded so far (a list of dicts; [] if none or
    unreadable, as after a run killed while writing its first epoch)."""
    try:
        with open(history_path(run_dir)) as f:
            history = json.load(f)
    except (OSError, ValueError):
        return []
    return history if isinstance(history, list) else []


def save_history(history, run_dir):
    fileio.write_atomic(history_path(run_dir), json.dumps(history, indent=1) + "\n")


# -- the trained network ---------------------------------------------------


def save_net(net, run_dir):
    """Writes the trained network as `.keras`, atomically."""
    path = model_path(run_dir)
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
    import keras  # noqa: PLC0415 (Keras is heavy; reading configs is not)

    from colorize.nets import annealed_mean, losses, models  # noqa: F401, PLC0415 (registers the classes)

    config = load_config(run_dir)
    path = model_path(run_dir)
    if not os.path.isfile(path) and os.path.isfile(os.path.join(run_dir, PACKED_WEIGHTS)):
        return config, _unpack_net(config, os.path.join(run_dir, PACKED_WEIGHTS))
    if not os.path.isfile(path):
        raise ColorizeError(f"{run_dir}: no trained model ({MODEL} is missing; finish training first)")
    try:
        net = keras.models.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a broken archive.
        raise ColorizeError(f"{path}: cannot load model ({str(e).splitlines()[0]})") from None
    return config, net


def pack_net(net, config, out_dir):
    """Writes a trained network the way the package ships it: its config
    and its weights as float16 (`PACKED_WEIGHTS`, half the size of the
    float32 `.keras` file), which `load_net` reads back as float32.

    Args:
        net: a trained network (float32 weights).
        config: its `variants.Config`.
        out_dir: the folder to write (created).

    Returns:
        The path of the weights file.
    """
    import numpy as np  # noqa: PLC0415

    os.makedirs(out_dir, exist_ok=True)
    save_config(config, out_dir)
    path = os.path.join(out_dir, PACKED_WEIGHTS)
    arrays = {f"w{i:04d}": w.astype(np.float16) for i, w in enumerate(net.get_weights())}
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return path


def _unpack_net(config, path):
    """The network of `config` with the float16 weights of `path` (as float32)."""
    import numpy as np  # noqa: PLC0415

    from colorize.nets import models  # noqa: PLC0415

    net = models.build_net(config.model, width=config.width, hints=config.hints, palette=config.palette)
    try:
        with np.load(path) as packed:
            weights = [packed[name].astype(np.float32) for name in sorted(packed.files)]
        net.set_weights(weights)
    except (OSError, ValueError, KeyError) as e:
        raise ColorizeError(f"{path}: cannot load packed weights ({str(e).splitlines()[0]})") from None
    return net


# -- decoding settings -----------------------------------------------------


def write_decoding(model_dir, settings):
    """Records decoding settings chosen on validation data beside a model
    (a run, a packed model or an export), e.g. `{"paper_threshold": 0.35,
    "temperature": 0.3}`, with how they were chosen."""
    fileio.write_atomic(os.path.join(model_dir, DECODING), json.dumps(settings, indent=2, sort_keys=True) + "\n")


def read_decoding(model_dir):
    """The decoding settings recorded beside a model ({} when none or unreadable)."""
    try:
        with open(os.path.join(model_dir, DECODING)) as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


# -- exports ---------------------------------------------------------------


def write_export_metadata(export_dir, metadata):
    with open(os.path.join(export_dir, EXPORT_METADATA), "w") as f:
        json.dump(metadata, f, indent=2, sort_keys=True)
        f.write("\n")


def read_export_metadata(export_dir):
    """The metadata written beside a SavedModel ({} if absent or unreadable)."""
    try:
        with open(os.path.join(export_dir, EXPORT_METADATA)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
