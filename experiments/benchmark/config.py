"""The stages, their budgets (full and quick) and the data they read."""

import os
import tempfile

from colorize import variants

STAGES = ("build", "targets", "train", "inference")


DEFAULT_JSON = os.path.join("experiments", "results", "benchmark.json")


QUICK_JSON = os.path.join(tempfile.gettempdir(), "colorize-benchmark-quick.json")


# The budget of each mode. Full: the README's figures; quick: seconds, for
# the tests (timings meaningless, every code path exercised).
BUDGETS = {
    "full": dict(
        repeats=3,
        synthetic_images=40,
        folder_images=200,
        tfds_builds=3,
        target_batch=24,
        reference_examples=4,
        small_preset="small",
        train_variants=tuple(variants.VARIANTS),
        paper_variants=tuple(variants.VARIANTS),
        paper_batch=2,
        paper_repeats=2,
        pipeline_batches=20,
        inference_preset="small",
        inference_sizes=(256, 512, 1024),
        inference_batch=8,
    ),
    "quick": dict(
        repeats=2,
        synthetic_images=2,
        folder_images=3,
        tfds_builds=1,
        target_batch=4,
        reference_examples=1,
        small_preset="tiny",
        train_variants=("chroma",),
        paper_variants=(),
        paper_batch=1,
        paper_repeats=1,
        pipeline_batches=2,
        inference_preset="tiny",
        inference_sizes=(64,),
        inference_batch=2,
    ),
}


def dataset_config(args, preset):
    """The config whose dataset the data-dependent stages read."""
    dataset = args.dataset or ("sketch_colorization/synthetic_tiny" if args.quick else "sketch_colorization/synthetic")
    return variants.resolve("rebalance", preset, dataset=dataset, data_dir=args.data_dir or "")


# The loss each space is timed with: the variants that train over it.
TARGET_LOSSES = {
    "rgb": dict(variant="rebalance", saturation_weight=0.0),
    "lch": dict(variant="chroma", saturation_weight=1.0),
}
