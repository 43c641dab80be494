"""sketch_colorization dataset (TFDS builder) and a helper to build it.

Importing this package registers the builder with TFDS, so that
`tfds.load("sketch_colorization/synthetic", data_dir=...)` and
`tfds.builder(...)` find it.
"""

import glob
import os
import shutil
import time

import tensorflow_datasets as tfds

from colorize import fileio, sketch
from colorize.errors import ColorizeError

from .sketch_colorization_dataset_builder import Builder
from .sketch_colorization_dataset_builder import split_for

__all__ = ["Builder", "build", "split_for"]


def build(config="synthetic", data_dir=None, manual_dir=None):
    """Builds `sketch_colorization/<config>` unless it is built already.

    Args:
      config: "synthetic", "synthetic_tiny" or "folder".
      data_dir: TFDS data folder (default: TFDS's, ~/tensorflow_datasets).
      manual_dir: the folder of images for the "folder" config.

    Returns:
      The prepared `Builder`; `builder.as_dataset(split=...)` reads it.

    Raises:
      ColorizeError: unknown config, or a missing or imageless manual_dir.
    """
    names = [c.name for c in Builder.BUILDER_CONFIGS]
    if config not in names:
        raise ColorizeError(
            f"unknown sketch_colorization config {config!r}; choose one of {', '.join(names)}")
    if config == "folder":
        if not manual_dir:
            raise ColorizeError("the folder config needs manual_dir, a folder of color images")
        if not sketch.find_images(manual_dir):
            raise ColorizeError(f"{manual_dir}: no images ({', '.join(sketch.IMAGE_EXTENSIONS)})"
                                " in this folder")
    elif manual_dir:
        raise ColorizeError(f"manual_dir is only used by the folder config, not {config!r}")
    data_dir = os.fspath(data_dir) if data_dir else None
    builder = Builder(config=config, data_dir=data_dir)
    if builder.is_prepared():
        print(f"sketch_colorization/{config} is already built in {builder.data_dir}")
        return builder
    _check_writable(data_dir or os.path.expanduser(tfds.core.constants.DATA_DIR))
    print(f"building sketch_colorization/{config} into {builder.data_dir}", flush=True)
    start = time.monotonic()
    started = time.time()
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(
            manual_dir=os.fspath(manual_dir) if manual_dir else None))
    _remove_interrupted_builds(builder, before=started)
    splits = builder.info.splits
    print(f"built sketch_colorization/{config}: "
          + ", ".join(f"{name} {splits[name].num_examples}" for name in splits)
          + f" windows in {time.monotonic() - start:.0f} s", flush=True)
    return builder


def _check_writable(data_dir):
    """Fails early, on one line, when the data folder cannot be written
    (TFDS would fail later with a traceback). Remote paths (gs://...) are
    left to TFDS."""
    if "://" in data_dir:
        return
    fileio.ensure_writable_dir(data_dir, "the dataset")


def _remove_interrupted_builds(builder, before):
    """Deletes the `incomplete.*` folders that killed builds of this config
    and version left behind (TFDS writes into one and renames it when done;
    a killed build never removes it). Only folders older than this build
    are touched, so a build running beside this one keeps its own."""
    version_dir = builder.data_dir
    if "://" in version_dir:
        return
    pattern = os.path.join(os.path.dirname(version_dir), f"incomplete.*_{builder.version}")
    for stale in glob.glob(pattern):
        try:
            if os.path.getmtime(stale) < before:
                shutil.rmtree(stale)
                print(f"removed {stale}, left by an interrupted build", flush=True)
        except OSError:
            pass  # Gone already, or not ours to remove: harmless.
