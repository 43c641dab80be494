"""Building the `sketch_colorization` TFDS dataset, serially or on Apache Beam.

`build("synthetic_tiny", data_dir=...)` is what `tfds build
dataset_builder/sketch_colorization --config ...` does, plus checks that fail
early on one line (unknown config, missing or imageless folder, a data folder
that cannot be written), the choice of Beam runner (`workers=N` runs N
local processes) and the removal of folders that killed builds left.

The builder is not installed with the package: it stays in the checkout's
`dataset_builder/sketch_colorization` (TFDS names a dataset after its
builder's folder, and `tfds build dataset_builder/sketch_colorization`
loads it from there). This module imports it at load time, from the
checkout that holds this package when it is not importable already
(`CHECKOUT`: the root of an editable install, or the folder a program runs
from); importing it also registers the dataset with TFDS, so that
`tfds.builder("sketch_colorization/CONFIG")` finds it. The builder imports
`colorize.data.examples`, never this module.
"""

import contextlib
import glob
import importlib.util
import io
import os
import shutil
import sys
import time

import tensorflow_datasets as tfds

from colorize import fileio, formats
from colorize.data import examples, images
from colorize.errors import ColorizeError

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
"""The folder that holds this package and, in a checkout, `dataset_builder/`."""

if importlib.util.find_spec("dataset_builder") is None and os.path.isdir(os.path.join(CHECKOUT, "dataset_builder")):
    sys.path.append(CHECKOUT)  # an editable install run from another folder
try:
    from dataset_builder.sketch_colorization import Builder
except ModuleNotFoundError as e:  # a wheel installed without the checkout
    raise ColorizeError(
        f"the dataset builder is not importable ({e}): build datasets from a checkout of colorize "
        "(its dataset_builder/ folder), e.g. `pip install -e .` there"
    ) from None


def config_names():
    """The builder's config names, in its order."""
    return [c.name for c in Builder.BUILDER_CONFIGS]


def build(config="synthetic", data_dir=None, manual_dir=None, *, workers=None, beam_options=None):
    """Builds `sketch_colorization/<config>` unless it is built already.

    By default the build is a plain loop in this process. With `workers`
    or `beam_options` it is an Apache Beam pipeline (TFDS's Beam path):
    `workers=N` runs it on Beam's DirectRunner in N local processes (one:
    in this process), `beam_options` on any runner (Dataflow, Flink,
    Spark, ...). All of them write the same shards, byte for byte.

    Args:
      config: "synthetic", "synthetic_tiny", "folder" or "openclipart".
      data_dir: TFDS data folder (default: TFDS's, ~/tensorflow_datasets).
      manual_dir: the folder of images for the "folder" config; for
        "openclipart", the folder holding svg/ and png/ (default
        CLIP_ART_ROOT, where the Debian packages install).
      workers: number of local Beam worker processes (DirectRunner,
        multi_processing when > 1); default: no Beam.
      beam_options: instead of `workers`, Beam pipeline options: a
        `PipelineOptions`, or a string as `tfds build
        --beam_pipeline_options` takes it, e.g.
        "runner=DirectRunner,direct_num_workers=4,direct_running_mode=multi_processing".

    Returns:
      The prepared builder; `builder.as_dataset(split=...)` reads it.

    Raises:
      ColorizeError: unknown config, a missing or imageless manual_dir, a
        data folder that cannot be written, bad `workers` or
        `beam_options`, or a split without any usable window.
    """
    names = config_names()
    if config not in names:
        raise ColorizeError(f"unknown {examples.NAME} config {config!r}; choose one of {', '.join(names)}")
    if config == "folder":
        if not manual_dir:
            raise ColorizeError("the folder config needs manual_dir, a folder of color images")
        if not images.find_images(manual_dir):
            raise ColorizeError(f"{manual_dir}: no images ({', '.join(formats.IMAGE_EXTENSIONS)}) in this folder")
    elif config == "openclipart":
        manual_dir = manual_dir or examples.CLIP_ART_ROOT
        examples.clip_art_sources(manual_dir)  # fails now, on one line, when there is none
    elif config == "line_art":
        if not manual_dir:
            raise ColorizeError("the line_art config needs manual_dir, the folder of its manifest")
        examples.line_art_sources(manual_dir)  # fails now, on one line, without a manifest
    elif manual_dir:
        raise ColorizeError(f"manual_dir is only used by the folder, openclipart and line_art configs, not {config!r}")
    options = pipeline_options(workers, beam_options)
    data_dir = os.fspath(data_dir) if data_dir else None
    builder = Builder(config=config, data_dir=data_dir)
    if builder.is_prepared():
        print(f"{examples.NAME}/{config} is already built in {builder.data_dir}")
        return builder
    _check_writable(data_dir or os.path.expanduser(tfds.core.constants.DATA_DIR))
    print(f"building {examples.NAME}/{config} into {builder.data_dir}", flush=True)
    start = time.monotonic()
    started = time.time()
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(
            manual_dir=os.fspath(manual_dir) if manual_dir else None, beam_options=options
        )
    )
    _remove_interrupted_builds(builder, before=started)
    splits = builder.info.splits
    print(
        f"built {examples.NAME}/{config}: "
        + ", ".join(f"{name} {splits[name].num_examples}" for name in splits)
        + f" windows in {time.monotonic() - start:.0f} s",
        flush=True,
    )
    return builder


def pipeline_options(workers=None, beam_options=None):
    """The Beam pipeline options of a build, or None for a build without Beam.

    Args:
      workers: number of local worker processes, >= 1; None (with no
        `beam_options`): no Beam.
      beam_options: a `PipelineOptions`, or a comma-separated string of
        `key=value` flags (as `tfds build --beam_pipeline_options`); not
        together with `workers`.

    Returns:
      None, or `apache_beam.options.pipeline_options.PipelineOptions`: the
      given ones, or Beam's DirectRunner with `workers` workers (in this
      process for one, in as many processes otherwise).

    Raises:
      ColorizeError: both given, workers < 1, or options Beam rejects.
    """
    if workers is None and beam_options is None:
        return None
    beam = tfds.core.lazy_imports.apache_beam
    options_cls = beam.options.pipeline_options.PipelineOptions
    if beam_options is not None:
        if workers is not None:
            raise ColorizeError("give either workers or beam_options, not both")
        if isinstance(beam_options, options_cls):
            return beam_options
        flags = [f"--{flag.strip()}" for flag in str(beam_options).split(",") if flag.strip()]
        options = options_cls(flags=flags)
        usage = io.StringIO()
        try:
            with contextlib.redirect_stderr(usage):
                options.get_all_options()  # parses the flags now, not inside the build
        except (SystemExit, ValueError) as e:  # argparse prints its usage and exits on a bad value
            reason = usage.getvalue().strip().splitlines()[-1:] or [str(e)]
            raise ColorizeError(f"beam_options {beam_options!r}: {reason[0].split('error: ', 1)[-1]}") from None
        return options
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ColorizeError(f"workers must be a positive integer, not {workers!r}")
    mode = "in_memory" if workers == 1 else "multi_processing"
    return options_cls(flags=[], runner="DirectRunner", direct_num_workers=workers, direct_running_mode=mode)


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
