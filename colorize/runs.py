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

Reading and writing the trained network itself is `colorize.nets.trained`'s
(it needs Keras; this module does not).
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
BEST = "best"  # the network of the epoch with the lowest validation loss, itself a run (`best_dir`)
BEST_EPOCH = "best.json"  # in it: that epoch's history entry
AVERAGE = "average"  # the mean of the networks of epochs from `--average-from` on, itself a run (`average_dir`)
AVERAGE_EPOCHS = "average.json"  # in it: the epochs averaged
SAVED_MODEL = "saved_model.pb"
EXPORT_METADATA = "colorize.json"


def config_path(run_dir):
    return os.path.join(run_dir, CONFIG)


def model_path(run_dir):
    return os.path.join(run_dir, MODEL)


def history_path(run_dir):
    return os.path.join(run_dir, HISTORY)


def best_dir(run_dir):
    """The run folder (config and network) training keeps of its best epoch:
    `--init-from`, `evaluate` and `ship_model` take it as a run."""
    return os.path.join(run_dir, BEST)


def average_dir(run_dir):
    """The run folder (config and network) training keeps of the mean of its
    networks at the ends of epochs (`Config.average_from`); `--init-from`,
    `evaluate`, `predict` and `ship_model` take it as a run."""
    return os.path.join(run_dir, AVERAGE)


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


def not_a_file(path, kind):
    """Raises when `path` is a file where a `kind` ("model", "run") directory
    is wanted: `model.keras`, `weights.npz` or a picture given for its
    folder. The message names the folder when it is a run or a SavedModel.

    Raises:
        ColorizeError: `path` is a file.
    """
    if os.path.isfile(path):
        parent = os.path.dirname(os.path.abspath(path))
        hint = f" (give its folder {parent})" if is_run(parent) or is_export(parent) else ""
        raise ColorizeError(f"{path}: a file, not a {kind} directory{hint}")


def check_model(path):
    """`path` if it is a model to color with: a SavedModel, or a run directory
    with its trained network (`MODEL`) or packed weights (`PACKED_WEIGHTS`).
    Cheap (no loading): a wrong path is reported before seconds of loading.

    Raises:
        ColorizeError: missing, neither kind, or a run not trained yet.
    """
    if kind(path) == "run" and not any(os.path.isfile(os.path.join(path, f)) for f in (MODEL, PACKED_WEIGHTS)):
        raise ColorizeError(f"{path}: no trained model ({MODEL} is missing; finish training first)")
    return path


def kind(path):
    """ "run" or "export".

    Raises:
        ColorizeError: `path` is missing or is neither.
    """
    not_a_file(path, "model")
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
    not_a_file(run_dir, "run")
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
