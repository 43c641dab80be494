"""sketch_colorization dataset (TFDS builder) and a helper to build it.

Importing this package registers the builder with TFDS, so that
`tfds.load("sketch_colorization/synthetic", data_dir=...)` and
`tfds.builder(...)` find it.
"""

import os
import time

import tensorflow_datasets as tfds

from colorize import sketch
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
    builder = Builder(config=config, data_dir=os.fspath(data_dir) if data_dir else None)
    if builder.is_prepared():
        print(f"sketch_colorization/{config} is already built in {builder.data_dir}")
        return builder
    print(f"building sketch_colorization/{config} into {builder.data_dir}", flush=True)
    start = time.monotonic()
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(
            manual_dir=os.fspath(manual_dir) if manual_dir else None))
    splits = builder.info.splits
    print(f"built sketch_colorization/{config}: "
          + ", ".join(f"{name} {splits[name].num_examples}" for name in splits)
          + f" windows in {time.monotonic() - start:.0f} s", flush=True)
    return builder
